package compliance

import (
	"context"
	"fmt"
	"io"
	"strings"
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

// AddEvidence records EvidenceAdded. A link must pass the outbound URL rules
// (https, no credentials, no private, loopback or metadata address).
func (h *Handlers) AddEvidence(ctx context.Context, meta eventstore.Metadata, c AddEvidence) (string, []eventstore.Event, error) {
	d := compliance.EvidenceAddedV1{TenantID: meta.TenantID, Name: strings.TrimSpace(c.Name), Description: c.Description,
		Filename: c.Filename, MediaType: c.MediaType, SHA256: c.SHA256, Size: c.Size, URL: c.URL, ExpiresAt: c.ExpiresAt}
	switch {
	case c.URL != "" && c.SHA256 != "":
		return "", nil, fmt.Errorf("%w: a file or a url, not both", compliance.ErrInvalidEvidence)
	case c.URL != "":
		d.Kind = compliance.EvidenceLink
		if err := h.Guard.CheckURL(ctx, c.URL); err != nil {
			return "", nil, fmt.Errorf("%w: %w", compliance.ErrLinkRefused, err)
		}
	case c.SHA256 != "":
		d.Kind = compliance.EvidenceFile
	default:
		return "", nil, fmt.Errorf("%w: send a file part or a url", compliance.ErrInvalidEvidence)
	}
	if d.Name == "" {
		d.Name = c.Filename
		if d.Name == "" {
			d.Name = c.URL
		}
	}
	d.EffectiveAt = h.now()
	if c.EffectiveAt != nil {
		d.EffectiveAt = c.EffectiveAt.UTC()
	}
	if c.ExpiresAt != nil {
		exp := c.ExpiresAt.UTC()
		if !exp.After(d.EffectiveAt) {
			return "", nil, fmt.Errorf("%w: expires_at must come after effective_at", compliance.ErrInvalidEvidence)
		}
		d.ExpiresAt = &exp
	}
	d.EvidenceID = newID()
	evs, err := eventstore.Create(ctx, h.Store, meta, compliance.StreamOfEvidence(d.EvidenceID),
		eventstore.Draft{Type: compliance.EvidenceAdded, Subject: d.EvidenceID, Data: &d})
	return d.EvidenceID, evs, err
}

// evidence is a piece of evidence folded from its stream.
type evidence struct {
	TenantID  string
	ExpiresAt *time.Time
	Expired   bool
}

var evidenceFold = func() *eventstore.Fold[evidence] {
	f := eventstore.NewFold[evidence]()
	eventstore.On(f, compliance.EvidenceAdded, func(s *evidence, d *compliance.EvidenceAddedV1, _ *eventstore.Event) {
		s.TenantID, s.ExpiresAt = d.TenantID, d.ExpiresAt
	})
	eventstore.On(f, compliance.EvidenceExpired, func(s *evidence, _ *compliance.EvidenceExpiredV1, _ *eventstore.Event) { s.Expired = true })
	return f
}()

// checkEvidence refuses evidence ids that are not the tenant's or that expired.
func (h *Handlers) checkEvidence(ctx context.Context, tenant string, ids []string) error {
	if len(ids) > 100 {
		return fmt.Errorf("%w: at most 100 evidence ids", compliance.ErrInvalidEvidence)
	}
	now := h.now()
	for _, id := range ids {
		a, err := eventstore.Load(ctx, h.Store, evidenceFold, compliance.StreamOfEvidence(id))
		if err != nil {
			return err
		}
		if !a.Exists() || a.State.TenantID != tenant {
			return fmt.Errorf("%w: %s", compliance.ErrEvidenceNotFound, id)
		}
		if a.State.Expired || (a.State.ExpiresAt != nil && !a.State.ExpiresAt.After(now)) {
			return fmt.Errorf("%w: %s", compliance.ErrEvidenceExpiredUse, id)
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
	return eventstore.Update(ctx, h.Store, meta, evidenceFold, compliance.StreamOfEvidence(c.EvidenceID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[evidence]) (eventstore.Decision, error) {
			s := a.State
			if !a.Exists() || s.TenantID != c.TenantID || s.Expired || s.ExpiresAt == nil || s.ExpiresAt.After(c.Now) {
				return nil, nil
			}
			stale := c.Stale
			if stale == nil {
				stale = []compliance.StaleRef{}
			}
			return eventstore.Decision{{Type: compliance.EvidenceExpired, Subject: c.EvidenceID,
				Data: &compliance.EvidenceExpiredV1{EvidenceID: c.EvidenceID, ExpiresAt: *s.ExpiresAt, Stale: stale}}}, nil
		})
}
