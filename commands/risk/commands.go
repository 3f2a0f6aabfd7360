// Package risk holds the command handlers of the risk register and of FAIR
// simulations.
package risk

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
)

// ErrVersionMismatch reports a stale If-Match version.
var ErrVersionMismatch = errors.New("risk: version mismatch")

// Handlers executes risk commands.
type Handlers struct {
	Store *eventstore.Store
	Now   func() time.Time
}

// State is a risk folded from its stream.
type State struct {
	ID, TenantID string
	Closed       bool
	Fair         *risk.FairInputs
	Version      int64
}

// Load folds a risk's stream.
func (h *Handlers) Load(ctx context.Context, id string) (State, error) {
	var st State
	evs, err := h.Store.ReadStream(ctx, risk.StreamOfRisk(id))
	if err != nil {
		return st, err
	}
	for i := range evs {
		t, ok := events.Lookup(evs[i].Type)
		if !ok {
			continue
		}
		p := t.New()
		if err := evs[i].Decode(p); err != nil {
			return st, err
		}
		switch d := p.(type) {
		case *risk.RiskIdentifiedV1:
			st.ID, st.TenantID = d.RiskID, d.TenantID
		case *risk.RiskClosedV1:
			st.Closed = true
		case *risk.FairInputsSetV1:
			in := d.Inputs
			st.Fair = &in
		}
		st.Version = evs[i].Version
	}
	return st, nil
}

func (h *Handlers) open(ctx context.Context, meta eventstore.Metadata, id string, expected int64) (State, error) {
	st, err := h.Load(ctx, id)
	if err != nil {
		return st, err
	}
	if st.Version == 0 || st.TenantID != meta.TenantID {
		return st, risk.ErrRiskNotFound
	}
	if st.Closed {
		return st, risk.ErrRiskClosed
	}
	if expected >= 0 && expected != st.Version {
		return st, ErrVersionMismatch
	}
	return st, nil
}

func conflict(err error) error {
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return ErrVersionMismatch
	}
	return err
}

// Identify records a new risk.
func (h *Handlers) Identify(ctx context.Context, meta eventstore.Metadata, r risk.RiskIdentifiedV1) (string, []eventstore.Event, error) {
	if err := risk.ValidateNew(&r); err != nil {
		return "", nil, err
	}
	r.RiskID, r.TenantID = uuid.Must(uuid.NewV7()).String(), meta.TenantID
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: risk.StreamOfRisk(r.RiskID), Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: risk.RiskIdentified, Subject: r.RiskID, Data: &r}}})
	return r.RiskID, evs, err
}

// Update changes a risk.
func (h *Handlers) Update(ctx context.Context, meta eventstore.Metadata, id string, expected int64, u risk.RiskUpdatedV1) ([]eventstore.Event, error) {
	st, err := h.open(ctx, meta, id, expected)
	if err != nil {
		return nil, err
	}
	if (u.Likelihood != nil && !risk.ValidRating(*u.Likelihood)) || (u.Impact != nil && !risk.ValidRating(*u.Impact)) ||
		(u.Treatment != nil && !risk.ValidTreatment(*u.Treatment)) ||
		(u.Residual != nil && (!risk.ValidRating(u.Residual.Likelihood) || !risk.ValidRating(u.Residual.Impact))) {
		return nil, risk.ErrInvalidRisk
	}
	u.RiskID = id
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: risk.StreamOfRisk(id), Expected: st.Version,
		Events: []eventstore.Draft{{Type: risk.RiskUpdated, Subject: id, Data: &u}}})
	return evs, conflict(err)
}

// Close removes a risk from the register (its history stays).
func (h *Handlers) Close(ctx context.Context, meta eventstore.Metadata, id string, expected int64, reason string) ([]eventstore.Event, error) {
	st, err := h.open(ctx, meta, id, expected)
	if err != nil {
		return nil, err
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: risk.StreamOfRisk(id), Expected: st.Version,
		Events: []eventstore.Draft{{Type: risk.RiskClosed, Subject: id, Data: &risk.RiskClosedV1{RiskID: id, Reason: reason}}}})
	return evs, conflict(err)
}

// SetFair records a risk's FAIR model.
func (h *Handlers) SetFair(ctx context.Context, meta eventstore.Metadata, id string, expected int64, in risk.FairInputs) ([]eventstore.Event, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	st, err := h.open(ctx, meta, id, expected)
	if err != nil {
		return nil, err
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: risk.StreamOfRisk(id), Expected: st.Version,
		Events: []eventstore.Draft{{Type: risk.FairInputsSet, Subject: id, Data: &risk.FairInputsSetV1{RiskID: id, Inputs: in}}}})
	return evs, conflict(err)
}

// ErrNoFairInputs reports a simulation of a risk without a FAIR model.
var ErrNoFairInputs = errors.New("risk: no FAIR inputs set")

// Simulate runs a risk's model and records the results.
func (h *Handlers) Simulate(ctx context.Context, meta eventstore.Metadata, id string, iterations int, seed uint64) (*risk.SimulationCompletedV1, []eventstore.Event, error) {
	st, err := h.open(ctx, meta, id, -1)
	if err != nil {
		return nil, nil, err
	}
	if st.Fair == nil {
		return nil, nil, ErrNoFairInputs
	}
	start := time.Now()
	res, err := risk.Simulate(*st.Fair, iterations, seed)
	if err != nil {
		return nil, nil, err
	}
	return h.record(ctx, meta, []string{id}, false, iterations, seed, res, time.Since(start))
}

// SimulatePortfolio aggregates the given (or every modelled) risks.
func (h *Handlers) SimulatePortfolio(ctx context.Context, meta eventstore.Metadata, ids []string, iterations int, seed uint64) (*risk.SimulationCompletedV1, []eventstore.Event, error) {
	var ins []risk.FairInputs
	var used []string
	for _, id := range ids {
		st, err := h.open(ctx, meta, id, -1)
		if err != nil {
			return nil, nil, err
		}
		if st.Fair != nil {
			ins = append(ins, *st.Fair)
			used = append(used, id)
		}
	}
	if len(ins) == 0 {
		return nil, nil, ErrNoFairInputs
	}
	start := time.Now()
	res, err := risk.Portfolio(ins, iterations, seed)
	if err != nil {
		return nil, nil, err
	}
	return h.record(ctx, meta, used, true, iterations, seed, res, time.Since(start))
}

func (h *Handlers) record(ctx context.Context, meta eventstore.Metadata, ids []string, portfolio bool, iterations int, seed uint64, res *risk.Results, d time.Duration) (*risk.SimulationCompletedV1, []eventstore.Event, error) {
	sim := &risk.SimulationCompletedV1{SimulationID: uuid.Must(uuid.NewV7()).String(), TenantID: meta.TenantID, RiskIDs: ids, Portfolio: portfolio,
		Iterations: iterations, Seed: seed, Results: *res, DurationMs: float64(d.Microseconds()) / 1000, At: h.now()}
	stream := "risk.simulation-" + sim.SimulationID
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: risk.SimulationCompleted, Subject: sim.SimulationID, Data: sim}}})
	return sim, evs, err
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// AddThreat records a tenant's custom threat.
func (h *Handlers) AddThreat(ctx context.Context, meta eventstore.Metadata, t risk.ThreatAddedV1) (string, []eventstore.Event, error) {
	t.ThreatID, t.TenantID = uuid.Must(uuid.NewV7()).String(), meta.TenantID
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "risk.threat-" + t.ThreatID, Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: risk.ThreatAdded, Subject: t.ThreatID, Data: &t}}})
	return t.ThreatID, evs, err
}
