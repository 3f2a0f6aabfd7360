// Package trust holds the trust score's commands: recalculation (by a
// scheduler, so that decay alone emits trust.ScoreUpdated and replays give
// the same history) and the decay and weight configuration.
package trust

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/eventstore"
)

// Scores is the read side the commands need (the trust projection).
type Scores interface {
	Snapshot(ctx context.Context, tenantID string) (*trust.Snapshot, error)
	Tenants(ctx context.Context) ([]string, error)
}

// Handlers executes trust commands.
type Handlers struct {
	Store   *eventstore.Store
	Queries Scores
	Log     *slog.Logger
	// Now is the clock; tests inject one to move time past half-lives.
	Now func() time.Time
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// Compute is a tenant's score at now from the read model.
func (h *Handlers) Compute(ctx context.Context, tenantID string, now time.Time) (trust.Score, *trust.Snapshot, error) {
	snap, err := h.Queries.Snapshot(ctx, tenantID)
	if err != nil {
		return trust.Score{}, nil, err
	}
	return trust.Compose(snap.States, snap.Weights, snap.Decay, now), snap, nil
}

// Recalculate computes the score now and records trust.ScoreUpdated when it
// moved by at least 0.1 or changed grade (always when force). It returns the
// events (none when nothing moved or another instance recorded it first).
func (h *Handlers) Recalculate(ctx context.Context, tenantID string, force bool, reason string) (trust.Score, []eventstore.Event, error) {
	now := h.now()
	sc, snap, err := h.Compute(ctx, tenantID, now)
	if err != nil {
		return sc, nil, err
	}
	// The last recorded score comes from the ledger, not the read model: the
	// stream version must be current or the append is refused.
	var prev trust.Score
	version := int64(0)
	signals := 0
	for _, p := range snap.States {
		signals += p.Count
	}
	last, err := h.Store.Last(ctx, trust.StreamOfScore(tenantID))
	if err != nil {
		return sc, nil, err
	}
	if last != nil {
		var d trust.ScoreUpdatedV1
		if err := last.Decode(&d); err != nil {
			return sc, nil, err
		}
		prev = trust.Score{Composite: d.Score, Grade: d.Grade, Known: d.Known}
		version = last.Version
		if reason == "" {
			reason = "decay"
			if signals != d.Signals {
				reason = "signal"
			}
		}
	} else {
		prev = trust.Score{Grade: "unknown"}
		if reason == "" {
			reason = "signal"
		}
	}
	if !force && !trust.Moved(prev, sc) {
		return sc, nil, nil
	}
	pillars := map[string]float64{}
	for p, ps := range sc.Pillars {
		if ps.Known {
			pillars[p] = ps.Score
		}
	}
	evs, err := h.Store.Append(ctx, eventstore.Metadata{TenantID: tenantID, Actor: "system:trust"},
		eventstore.StreamAppend{StreamID: trust.StreamOfScore(tenantID), Expected: version,
			Events: []eventstore.Draft{{Type: trust.ScoreUpdated, Subject: tenantID, Data: &trust.ScoreUpdatedV1{TenantID: tenantID,
				Score: sc.Composite, Grade: sc.Grade, Previous: prev.Composite, PrevGrade: prev.Grade, Pillars: pillars, Reason: reason,
				At: now, Signals: signals, Known: sc.Known}}}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return sc, nil, nil // another instance recorded this recalculation (or the read model lags): next tick decides
	}
	return sc, evs, err
}

// Tick recalculates every tenant with trust signals once.
func (h *Handlers) Tick(ctx context.Context) (int, error) {
	tenants, err := h.Queries.Tenants(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tenants {
		_, evs, err := h.Recalculate(ctx, t, false, "")
		if err != nil {
			h.Log.Warn("trust: recalculation failed", "tenant", t, "err", err)
			continue
		}
		n += len(evs)
	}
	return n, nil
}

// Run recalculates every interval until ctx ends.
func (h *Handlers) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := h.Tick(ctx); err != nil && ctx.Err() == nil {
				h.Log.Warn("trust: tick", "err", err)
			}
		}
	}
}

// ConfigureDecay records a tenant's decay model.
func (h *Handlers) ConfigureDecay(ctx context.Context, meta eventstore.Metadata, cfg trust.DecayConfig) ([]eventstore.Event, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: trust.StreamOfConfig(meta.TenantID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: trust.DecayConfigured, Subject: meta.TenantID, Data: &trust.DecayConfiguredV1{TenantID: meta.TenantID, Config: cfg}}}})
}

// ConfigureWeights records a tenant's pillar weights.
func (h *Handlers) ConfigureWeights(ctx context.Context, meta eventstore.Metadata, w map[string]float64) ([]eventstore.Event, error) {
	if err := trust.ValidateWeights(w); err != nil {
		return nil, err
	}
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: trust.StreamOfConfig(meta.TenantID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: trust.WeightsConfigured, Subject: meta.TenantID, Data: &trust.WeightsConfiguredV1{TenantID: meta.TenantID, Weights: w}}}})
}
