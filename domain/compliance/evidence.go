package compliance

import (
	"fmt"
	"strings"
	"time"
)

// MaxEvidencePerResult bounds the evidence one result may cite.
const MaxEvidencePerResult = 100

// NewEvidence decides the EvidenceAdded of d, a file (SHA256 set) or a link
// (URL set), at now: the kind follows from which is set (never both), the
// name defaults to the file's name or the link, the evidence takes effect at
// effectiveAt (now when nil) and may expire only after that. A link must
// still pass the outbound URL rules, which need the network: the caller
// checks them when the kind is EvidenceLink.
func NewEvidence(d EvidenceAddedV1, effectiveAt *time.Time, now time.Time) (*EvidenceAddedV1, error) {
	switch {
	case d.URL != "" && d.SHA256 != "":
		return nil, fmt.Errorf("%w: a file or a url, not both", ErrInvalidEvidence)
	case d.URL != "":
		d.Kind = EvidenceLink
	case d.SHA256 != "":
		d.Kind = EvidenceFile
	default:
		return nil, fmt.Errorf("%w: send a file part or a url", ErrInvalidEvidence)
	}
	if d.Name = strings.TrimSpace(d.Name); d.Name == "" {
		d.Name = d.Filename
		if d.Name == "" {
			d.Name = d.URL
		}
	}
	d.EffectiveAt = now.UTC()
	if effectiveAt != nil {
		d.EffectiveAt = effectiveAt.UTC()
	}
	if d.ExpiresAt != nil {
		exp := d.ExpiresAt.UTC()
		if !exp.After(d.EffectiveAt) {
			return nil, fmt.Errorf("%w: expires_at must come after effective_at", ErrInvalidEvidence)
		}
		d.ExpiresAt = &exp
	}
	return &d, nil
}

// Evidence is a piece of evidence as commands decide on it, folded from its
// stream (EvidenceAdded, EvidenceExpired).
type Evidence struct {
	TenantID  string
	ExpiresAt *time.Time
	Expired   bool
}

// Added folds EvidenceAdded.
func (e *Evidence) Added(d *EvidenceAddedV1) { e.TenantID, e.ExpiresAt = d.TenantID, d.ExpiresAt }

// due reports whether the evidence has expired at now, recorded or not.
func (e *Evidence) due(now time.Time) bool {
	return e.Expired || (e.ExpiresAt != nil && !e.ExpiresAt.After(now))
}

// Usable refuses evidence id to support a result of the tenant at now: it
// must be the tenant's (evidence never added has no tenant) and unexpired.
func (e *Evidence) Usable(tenant, id string, now time.Time) error {
	switch {
	case e.TenantID == "" || e.TenantID != tenant:
		return fmt.Errorf("%w: %s", ErrEvidenceNotFound, id)
	case e.due(now):
		return fmt.Errorf("%w: %s", ErrEvidenceExpiredUse, id)
	}
	return nil
}

// Expire decides the EvidenceExpired of evidence id of the tenant at now,
// naming the results that cite it; nil (nothing to record) when it is not the
// tenant's, expired already, or not due, so that scans may repeat and race.
func (e *Evidence) Expire(tenant, id string, now time.Time, stale []StaleRef) *EvidenceExpiredV1 {
	if e.TenantID == "" || e.TenantID != tenant || e.Expired || !e.due(now) {
		return nil
	}
	if stale == nil {
		stale = []StaleRef{}
	}
	return &EvidenceExpiredV1{EvidenceID: id, ExpiresAt: *e.ExpiresAt, Stale: stale}
}
