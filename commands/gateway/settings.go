package gateway

import (
	"context"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// streamOfCache names a tenant's cache stream (settings and purges).
func streamOfCache(tenantID string) string { return "gateway.cache-" + tenantID }

// ConfigureCache replaces a tenant's cache settings.
type ConfigureCache struct {
	Config gw.CacheConfiguredV1
}

// ConfigureCache handles ConfigureCache.
func (h *Handlers) ConfigureCache(ctx context.Context, meta eventstore.Metadata, cmd ConfigureCache) ([]eventstore.Event, error) {
	c := cmd.Config
	c.TenantID = meta.TenantID
	return h.record(ctx, meta, streamOfCache(meta.TenantID), one(gw.CacheConfigured, meta.TenantID, &c))
}

// RecordCachePurge records that a tenant's cached answers (or one key's) were
// dropped; every instance drops its own when the event reaches it.
type RecordCachePurge struct {
	// Key is the purged entry (empty: every entry of the tenant).
	Key string
	// Entries is how many the purging instance held.
	Entries int
}

// RecordCachePurge handles RecordCachePurge.
func (h *Handlers) RecordCachePurge(ctx context.Context, meta eventstore.Metadata, cmd RecordCachePurge) ([]eventstore.Event, error) {
	return h.record(ctx, meta, streamOfCache(meta.TenantID), one(gw.CachePurged, meta.TenantID,
		&gw.CachePurgedV1{TenantID: meta.TenantID, Key: cmd.Key, Entries: cmd.Entries}))
}

// TuneDetector replaces a tenant's default for one detector.
type TuneDetector struct {
	Setting gw.DetectorTunedV1
}

// TuneDetector handles TuneDetector.
func (h *Handlers) TuneDetector(ctx context.Context, meta eventstore.Metadata, cmd TuneDetector) ([]eventstore.Event, error) {
	d := cmd.Setting
	d.TenantID = meta.TenantID
	return h.record(ctx, meta, "gateway.detector-"+meta.TenantID+"-"+d.Detector, one(gw.DetectorTuned, d.Detector, &d))
}
