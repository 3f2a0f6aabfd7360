package compliance

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/eventstore"
)

// MaxEvidenceBytes bounds one evidence file.
const MaxEvidenceBytes int64 = 100 << 20

// KeepFile streams an evidence file into the blob store and returns its
// SHA-256 and size; AddEvidence then records it. (Form fields of an upload
// may follow the file, so the two are separate steps; content kept without
// a record is unreferenced and harmless, being content-addressed.)
func (h *Handlers) KeepFile(ctx context.Context, r io.Reader) (string, int64, error) {
	return h.Evidence.Put(ctx, r, MaxEvidenceBytes)
}

// AddEvidence records a piece of evidence: a file kept by KeepFile (SHA256
// and Size set) or a link (URL set).
type AddEvidence struct {
	Name, Description   string
	Filename, MediaType string
	SHA256              string
	Size                int64
	URL                 string
	EffectiveAt         *time.Time
	ExpiresAt           *time.Time
}

// AddEvidence records EvidenceAdded (compliance.NewEvidence decides it). A
// link must pass the outbound URL rules (https, no credentials, no private,
// loopback or metadata address).
func (h *Handlers) AddEvidence(ctx context.Context, meta eventstore.Metadata, c AddEvidence) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := compliance.NewEvidence(compliance.EvidenceAddedV1{EvidenceID: id, TenantID: meta.TenantID, Name: c.Name, Description: c.Description,
		Filename: c.Filename, MediaType: c.MediaType, SHA256: c.SHA256, Size: c.Size, URL: c.URL, ExpiresAt: c.ExpiresAt}, c.EffectiveAt, h.Now.Read())
	if err != nil {
		return "", nil, err
	}
	if d.Kind == compliance.EvidenceLink {
		if err := h.Guard.CheckURL(ctx, c.URL); err != nil {
			return "", nil, fmt.Errorf("%w: %w", compliance.ErrLinkRefused, err)
		}
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, compliance.StreamOfEvidence(id), eventstore.Draft{Type: compliance.EvidenceAdded, Subject: id, Data: d})
	return id, evs, err
}

var evidence = func() *eventstore.Fold[compliance.Evidence] {
	f := eventstore.NewFold[compliance.Evidence]()
	eventstore.On(f, compliance.EvidenceAdded, func(s *compliance.Evidence, d *compliance.EvidenceAddedV1, _ *eventstore.Event) { s.Added(d) })
	eventstore.On(f, compliance.EvidenceExpired, func(s *compliance.Evidence, _ *compliance.EvidenceExpiredV1, _ *eventstore.Event) { s.Expired = true })
	return f
}()

// checkEvidence refuses evidence ids that are not the tenant's or that expired.
func (h *Handlers) checkEvidence(ctx context.Context, tenant string, ids []string) error {
	if len(ids) > compliance.MaxEvidencePerResult {
		return fmt.Errorf("%w: at most %d evidence ids", compliance.ErrInvalidEvidence, compliance.MaxEvidencePerResult)
	}
	now := h.Now.Read()
	for _, id := range ids {
		a, err := eventstore.Load(ctx, h.Store, evidence, compliance.StreamOfEvidence(id))
		if err != nil {
			return err
		}
		if err := a.State.Usable(tenant, id, now); err != nil {
			return err
		}
	}
	return nil
}

// ExpireEvidence records that a piece of evidence passed its expiry.
type ExpireEvidence struct {
	EvidenceID, TenantID string
	// Now is when the scan ran; evidence expiring after it is left alone.
	Now time.Time
	// Stale are the results citing the evidence, as the scan found them.
	Stale []compliance.StaleRef
}

// ExpireEvidence records EvidenceExpired once: evidence already expired, or
// not due at Now, yields no event, so scans may repeat and race.
func (h *Handlers) ExpireEvidence(ctx context.Context, c ExpireEvidence) ([]eventstore.Event, error) {
	meta := eventstore.Metadata{TenantID: c.TenantID, Actor: "system:compliance-evidence-expiry"}
	return eventstore.Update(ctx, h.Store, meta, evidence, compliance.StreamOfEvidence(c.EvidenceID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[compliance.Evidence]) (eventstore.Decision, error) {
			d := a.State.Expire(c.TenantID, c.EvidenceID, c.Now, c.Stale)
			return eventstore.One(compliance.EvidenceExpired, c.EvidenceID, d, nil)
		})
}
