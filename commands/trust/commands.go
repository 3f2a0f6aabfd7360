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

// Recalculate computes a tenant's score now and records trust.ScoreUpdated
// when it moved by at least 0.1 or changed grade (always when Force).
type Recalculate struct {
	TenantID string
	Force    bool
	// Reason is recorded on the event; empty: "signal" when signals arrived
	// since the last recorded score, else "decay".
	Reason string
}

// Recalculate handles Recalculate. It returns the score and the events (none
// when nothing moved or another instance recorded it first). Running it
// twice records nothing the second time unless time moved the score: it is
// idempotent, as the recalculation reactor needs.
func (h *Handlers) Recalculate(ctx context.Context, c Recalculate) (trust.Score, []eventstore.Event, error) {
	tenantID, force, reason := c.TenantID, c.Force, c.Reason
	now := h.now()
	sc, snap, err := h.Compute(ctx, tenantID, now)
	if err != nil {
		return sc, nil, err
	}
	// The last recorded score comes from the ledger, not the read model: the
	// stream version must be current or the append is refused. Only the last
	// event counts, so it is read alone instead of folding the stream (which
	// grows with every recorded score).
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
	evs, err := h.appendAt(ctx, eventstore.Metadata{TenantID: tenantID, Actor: "system:trust"}, trust.StreamOfScore(tenantID), version,
		eventstore.Draft{Type: trust.ScoreUpdated, Subject: tenantID, Data: &trust.ScoreUpdatedV1{TenantID: tenantID,
			Score: sc.Composite, Grade: sc.Grade, Previous: prev.Composite, PrevGrade: prev.Grade, Pillars: pillars, Reason: reason,
			At: now, Signals: signals, Known: sc.Known}})
	if errors.Is(err, eventstore.ErrVersionMismatch) {
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
		_, evs, err := h.Recalculate(ctx, Recalculate{TenantID: t})
		if err != nil {
			h.Log.Warn("trust: recalculation failed", "tenant", t, "err", err)
			continue
		}
		n += len(evs)
	}
	return n, nil
}

// appendAt appends after the version the decision read. eventstore.Update
// would fold the whole score stream for a decision that needs its last event
// only; this is its append half, with the kit's one conflict sentinel.
func (h *Handlers) appendAt(ctx context.Context, meta eventstore.Metadata, stream string, version int64, d eventstore.Draft) ([]eventstore.Event, error) {
	if version == 0 {
		return eventstore.Create(ctx, h.Store, meta, stream, d)
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: version, Events: []eventstore.Draft{d}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, eventstore.ErrVersionMismatch
	}
	return evs, err
}

// ConfigureDecay records a tenant's decay model (it replaces the previous
// one whatever it was, so no version is checked).
type ConfigureDecay struct{ Config trust.DecayConfig }

// ConfigureDecay handles ConfigureDecay; an invalid model is trust.ErrDecay.
func (h *Handlers) ConfigureDecay(ctx context.Context, meta eventstore.Metadata, c ConfigureDecay) ([]eventstore.Event, error) {
	if err := c.Config.Validate(); err != nil {
		return nil, err
	}
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: trust.StreamOfConfig(meta.TenantID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: trust.DecayConfigured, Subject: meta.TenantID, Data: &trust.DecayConfiguredV1{TenantID: meta.TenantID, Config: c.Config}}}})
}

// ConfigureWeights records a tenant's pillar weights (replacing the previous ones).
type ConfigureWeights struct{ Weights map[string]float64 }

// ConfigureWeights handles ConfigureWeights; invalid weights are trust.ErrWeights.
func (h *Handlers) ConfigureWeights(ctx context.Context, meta eventstore.Metadata, c ConfigureWeights) ([]eventstore.Event, error) {
	if err := trust.ValidateWeights(c.Weights); err != nil {
		return nil, err
	}
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: trust.StreamOfConfig(meta.TenantID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: trust.WeightsConfigured, Subject: meta.TenantID, Data: &trust.WeightsConfiguredV1{TenantID: meta.TenantID, Weights: c.Weights}}}})
}
