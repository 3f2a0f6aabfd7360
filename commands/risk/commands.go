// Package risk holds the commands of the risk register and of FAIR
// simulations. Each command is a small named type with one handler that
// loads the risk folded from its stream, lets the domain decide, and appends
// with the version the decision was based on (eventstore.Update).
package risk

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
)

// Handlers executes risk commands.
type Handlers struct {
	Store *eventstore.Store
	// Now is the clock of the simulations' timestamps (time.Now when nil).
	Now func() time.Time
}

// Risk is what the commands know of a risk: its tenant, whether it is
// closed, and its FAIR model.
type Risk struct {
	TenantID string
	Closed   bool
	Fair     *risk.FairInputs
}

// fold folds a risk's stream; the fields a command does not decide on
// (title, owner, ratings) are the read model's business.
var fold = func() *eventstore.Fold[Risk] {
	f := eventstore.NewFold[Risk]()
	eventstore.On(f, risk.RiskIdentified, func(r *Risk, d *risk.RiskIdentifiedV1, _ *eventstore.Event) { r.TenantID = d.TenantID })
	eventstore.On(f, risk.RiskClosed, func(r *Risk, _ *risk.RiskClosedV1, _ *eventstore.Event) { r.Closed = true })
	eventstore.On(f, risk.FairInputsSet, func(r *Risk, d *risk.FairInputsSetV1, _ *eventstore.Event) {
		in := d.Inputs
		r.Fair = &in
	})
	return f
}()

// changeable checks that a risk may change: it exists in the caller's
// tenant (another tenant's risk is not found, whatever If-Match says, so that
// a version never reveals it), it is open, and it is at the version the
// caller saw (expected; eventstore.AnyVersion when the caller did not say).
func changeable(a *eventstore.Aggregate[Risk], tenantID string, expected int64) error {
	if !a.Exists() || a.State.TenantID != tenantID {
		return risk.ErrRiskNotFound
	}
	if a.State.Closed {
		return risk.ErrRiskClosed
	}
	if expected != eventstore.AnyVersion && expected != a.Version {
		return eventstore.ErrVersionMismatch
	}
	return nil
}

// change appends what decide returns to a changeable risk's stream.
func (h *Handlers) change(ctx context.Context, meta eventstore.Metadata, id string, expected int64,
	decide func(r *Risk) (eventstore.Draft, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, fold, risk.StreamOfRisk(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[Risk]) (eventstore.Decision, error) {
			if err := changeable(a, meta.TenantID, expected); err != nil {
				return nil, err
			}
			d, err := decide(&a.State)
			if err != nil {
				return nil, err
			}
			return eventstore.Decision{d}, nil
		})
}

// IdentifyRisk records a new risk in the register.
type IdentifyRisk struct {
	Title, Description, Category, Owner string
	Likelihood, Impact                  int
	// Treatment defaults to mitigate.
	Treatment string
	Residual  *risk.Rating
	Threats   []string
	AssetIDs  []string
}

// IdentifyRisk handles IdentifyRisk and returns the new risk's id.
func (h *Handlers) IdentifyRisk(ctx context.Context, meta eventstore.Metadata, c IdentifyRisk) (string, []eventstore.Event, error) {
	r := risk.RiskIdentifiedV1{Title: c.Title, Description: c.Description, Category: c.Category, Owner: c.Owner,
		Likelihood: c.Likelihood, Impact: c.Impact, Treatment: c.Treatment, Residual: c.Residual, Threats: c.Threats, AssetIDs: c.AssetIDs}
	if err := risk.ValidateNew(&r); err != nil {
		return "", nil, err
	}
	r.RiskID, r.TenantID = uuid.Must(uuid.NewV7()).String(), meta.TenantID
	evs, err := eventstore.Create(ctx, h.Store, meta, risk.StreamOfRisk(r.RiskID),
		eventstore.Draft{Type: risk.RiskIdentified, Subject: r.RiskID, Data: &r})
	return r.RiskID, evs, err
}

// UpdateRisk changes a risk's fields (nil: unchanged).
type UpdateRisk struct {
	RiskID string
	// Expected is the version the change is based on (eventstore.AnyVersion: any).
	Expected    int64
	Title       *string
	Description *string
	Category    *string
	Owner       *string
	Likelihood  *int
	Impact      *int
	Treatment   *string
	Residual    *risk.Rating
	Threats     *[]string
}

// UpdateRisk handles UpdateRisk.
func (h *Handlers) UpdateRisk(ctx context.Context, meta eventstore.Metadata, c UpdateRisk) ([]eventstore.Event, error) {
	u := risk.RiskUpdatedV1{RiskID: c.RiskID, Title: c.Title, Description: c.Description, Category: c.Category, Owner: c.Owner,
		Likelihood: c.Likelihood, Impact: c.Impact, Treatment: c.Treatment, Residual: c.Residual, Threats: c.Threats}
	return h.change(ctx, meta, c.RiskID, c.Expected, func(*Risk) (eventstore.Draft, error) {
		if err := risk.ValidateUpdate(&u); err != nil {
			return eventstore.Draft{}, err
		}
		return eventstore.Draft{Type: risk.RiskUpdated, Subject: c.RiskID, Data: &u}, nil
	})
}

// CloseRisk removes a risk from the register (its history stays).
type CloseRisk struct {
	RiskID   string
	Expected int64
	Reason   string
}

// CloseRisk handles CloseRisk.
func (h *Handlers) CloseRisk(ctx context.Context, meta eventstore.Metadata, c CloseRisk) ([]eventstore.Event, error) {
	return h.change(ctx, meta, c.RiskID, c.Expected, func(*Risk) (eventstore.Draft, error) {
		return eventstore.Draft{Type: risk.RiskClosed, Subject: c.RiskID, Data: &risk.RiskClosedV1{RiskID: c.RiskID, Reason: c.Reason}}, nil
	})
}

// SetFairInputs records a risk's FAIR model.
type SetFairInputs struct {
	RiskID   string
	Expected int64
	Inputs   risk.FairInputs
}

// SetFairInputs handles SetFairInputs. An unusable model is refused before
// the risk is looked at (risk.ErrInvalidInputs).
func (h *Handlers) SetFairInputs(ctx context.Context, meta eventstore.Metadata, c SetFairInputs) ([]eventstore.Event, error) {
	if err := c.Inputs.Validate(); err != nil {
		return nil, err
	}
	return h.change(ctx, meta, c.RiskID, c.Expected, func(*Risk) (eventstore.Draft, error) {
		return eventstore.Draft{Type: risk.FairInputsSet, Subject: c.RiskID, Data: &risk.FairInputsSetV1{RiskID: c.RiskID, Inputs: c.Inputs}}, nil
	})
}

// SimulateRisk runs a risk's FAIR model and records the results.
type SimulateRisk struct {
	RiskID     string
	Iterations int
	Seed       uint64
}

// SimulateRisk handles SimulateRisk and returns the simulation's id.
func (h *Handlers) SimulateRisk(ctx context.Context, meta eventstore.Metadata, c SimulateRisk) (string, []eventstore.Event, error) {
	r, err := h.modelled(ctx, meta.TenantID, c.RiskID)
	if err != nil {
		return "", nil, err
	}
	if r.Fair == nil {
		return "", nil, risk.ErrNoFairInputs
	}
	start := time.Now()
	res, err := risk.Simulate(*r.Fair, c.Iterations, c.Seed)
	if err != nil {
		return "", nil, err
	}
	return h.record(ctx, meta, []string{c.RiskID}, false, c.Iterations, c.Seed, res, time.Since(start))
}

// SimulatePortfolio aggregates the loss of the named risks; those without a
// FAIR model are left out, and a portfolio without any is refused.
type SimulatePortfolio struct {
	RiskIDs    []string
	Iterations int
	Seed       uint64
}

// SimulatePortfolio handles SimulatePortfolio and returns the simulation's id.
func (h *Handlers) SimulatePortfolio(ctx context.Context, meta eventstore.Metadata, c SimulatePortfolio) (string, []eventstore.Event, error) {
	var ins []risk.FairInputs
	var used []string
	for _, id := range c.RiskIDs {
		r, err := h.modelled(ctx, meta.TenantID, id)
		if err != nil {
			return "", nil, err
		}
		if r.Fair != nil {
			ins = append(ins, *r.Fair)
			used = append(used, id)
		}
	}
	if len(ins) == 0 {
		return "", nil, risk.ErrNoFairInputs
	}
	start := time.Now()
	res, err := risk.Portfolio(ins, c.Iterations, c.Seed)
	if err != nil {
		return "", nil, err
	}
	return h.record(ctx, meta, used, true, c.Iterations, c.Seed, res, time.Since(start))
}

// modelled loads an open risk of the tenant for a simulation.
func (h *Handlers) modelled(ctx context.Context, tenantID, id string) (*Risk, error) {
	a, err := eventstore.Load(ctx, h.Store, fold, risk.StreamOfRisk(id))
	if err != nil {
		return nil, err
	}
	if err := changeable(a, tenantID, eventstore.AnyVersion); err != nil {
		return nil, err
	}
	return &a.State, nil
}

// record appends a simulation on its own stream.
func (h *Handlers) record(ctx context.Context, meta eventstore.Metadata, ids []string, portfolio bool, iterations int, seed uint64,
	res *risk.Results, d time.Duration) (string, []eventstore.Event, error) {
	sim := &risk.SimulationCompletedV1{SimulationID: uuid.Must(uuid.NewV7()).String(), TenantID: meta.TenantID, RiskIDs: ids, Portfolio: portfolio,
		Iterations: iterations, Seed: seed, Results: *res, DurationMs: float64(d.Microseconds()) / 1000, At: h.now()}
	evs, err := eventstore.Create(ctx, h.Store, meta, risk.StreamOfSimulation(sim.SimulationID),
		eventstore.Draft{Type: risk.SimulationCompleted, Subject: sim.SimulationID, Data: sim})
	return sim.SimulationID, evs, err
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// AddThreat records a tenant's custom threat.
type AddThreat struct {
	Name, Description, Category, Reference string
}

// AddThreat handles AddThreat and returns the threat's id.
func (h *Handlers) AddThreat(ctx context.Context, meta eventstore.Metadata, c AddThreat) (string, []eventstore.Event, error) {
	t := risk.ThreatAddedV1{ThreatID: uuid.Must(uuid.NewV7()).String(), TenantID: meta.TenantID, Name: c.Name, Description: c.Description,
		Category: c.Category, Reference: c.Reference}
	evs, err := eventstore.Create(ctx, h.Store, meta, risk.StreamOfThreat(t.ThreatID),
		eventstore.Draft{Type: risk.ThreatAdded, Subject: t.ThreatID, Data: &t})
	return t.ThreatID, evs, err
}
