// Package resilience holds the command handlers of Resilience: objectives
// per service, disruption scenarios, simulations over the CyberTwins graph
// (read through CyberTwins' index, never copied), and chaos experiments.
package resilience

import (
	"context"
	"fmt"
	"strings"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/eventstore"
)

// Graphs is CyberTwins' index of a tenant's asset graph.
type Graphs interface {
	Graph(ctx context.Context, tenant string) (*cybertwins.Graph, error)
}

// Objectives reads the tenant's objectives by service.
type Objectives interface {
	ObjectivesOf(ctx context.Context, tenant string) (map[string]resilience.Objective, error)
}

// Handlers executes Resilience commands.
type Handlers struct {
	Store      *eventstore.Store
	Graphs     Graphs
	Objectives Objectives
	Now        eventstore.Clock
	// Chaos is the gateway's fault switchboard (nil: chaos unavailable).
	Chaos *Chaos
}

// SetObjective records a service's RTO and RPO; the service is an asset of
// the tenant's twin.
func (h *Handlers) SetObjective(ctx context.Context, meta eventstore.Metadata, serviceID string, rto, rpo int64) ([]eventstore.Event, error) {
	if rto < 0 || rpo < 0 {
		return nil, fmt.Errorf("%w: rto_seconds and rpo_seconds are not negative", resilience.ErrInvalidObjective)
	}
	g, err := h.Graphs.Graph(ctx, meta.TenantID)
	if err != nil {
		return nil, err
	}
	if !g.Has(serviceID) {
		return nil, resilience.ErrServiceNotFound
	}
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: resilience.StreamOfObjective(meta.TenantID, serviceID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: resilience.ObjectiveSet, Subject: serviceID,
			Data: &resilience.ObjectiveSetV1{ServiceID: serviceID, TenantID: meta.TenantID, RTOSeconds: rto, RPOSeconds: rpo}}}})
}

// scenario is a scenario folded from its stream.
type scenario struct {
	TenantID    string
	Name        string
	Disruptions []resilience.Disruption
	Deleted     bool
}

var scenarios = func() *eventstore.Fold[scenario] {
	f := eventstore.NewFold[scenario]()
	eventstore.On(f, resilience.ScenarioDefined, func(s *scenario, d *resilience.ScenarioDefinedV1, _ *eventstore.Event) {
		s.TenantID, s.Name, s.Disruptions = d.TenantID, d.Name, d.Disruptions
	})
	eventstore.On(f, resilience.ScenarioUpdated, func(s *scenario, d *resilience.ScenarioUpdatedV1, _ *eventstore.Event) {
		if d.Name != nil {
			s.Name = *d.Name
		}
		if d.Disruptions != nil {
			s.Disruptions = *d.Disruptions
		}
	})
	eventstore.On(f, resilience.ScenarioDeleted, func(s *scenario, _ *resilience.ScenarioDeletedV1, _ *eventstore.Event) { s.Deleted = true })
	return f
}()

// inGraph checks that every disrupted asset is in the tenant's twin.
func (h *Handlers) inGraph(ctx context.Context, tenant string, ds []resilience.Disruption) error {
	g, err := h.Graphs.Graph(ctx, tenant)
	if err != nil {
		return err
	}
	for i, d := range ds {
		if !g.Has(d.AssetID) {
			return fmt.Errorf("%w: disruptions[%d].asset_id names no asset of the twin", resilience.ErrInvalidScenario, i)
		}
	}
	return nil
}

// DefineScenario records a scenario and returns its id.
func (h *Handlers) DefineScenario(ctx context.Context, meta eventstore.Metadata, name, description string, ds []resilience.Disruption) (string, []eventstore.Event, error) {
	name = strings.TrimSpace(name)
	if err := resilience.CheckScenario(name, ds); err != nil {
		return "", nil, err
	}
	if err := h.inGraph(ctx, meta.TenantID, ds); err != nil {
		return "", nil, err
	}
	id := eventstore.NewID()
	evs, err := eventstore.Create(ctx, h.Store, meta, resilience.StreamOfScenario(id), eventstore.Draft{Type: resilience.ScenarioDefined, Subject: id,
		Data: &resilience.ScenarioDefinedV1{ScenarioID: id, TenantID: meta.TenantID, Name: name, Description: description, Disruptions: ds}})
	return id, evs, err
}

// UpdateScenario records a scenario's changed fields.
func (h *Handlers) UpdateScenario(ctx context.Context, meta eventstore.Metadata, expected int64, d resilience.ScenarioUpdatedV1) ([]eventstore.Event, error) {
	if d.Disruptions != nil {
		if err := h.inGraph(ctx, meta.TenantID, *d.Disruptions); err != nil {
			return nil, err
		}
	}
	return eventstore.Update(ctx, h.Store, meta, scenarios, resilience.StreamOfScenario(d.ScenarioID), expected,
		func(a *eventstore.Aggregate[scenario]) (eventstore.Decision, error) {
			if a.State.TenantID != meta.TenantID || a.State.Deleted {
				return nil, resilience.ErrScenarioNotFound
			}
			name, ds := a.State.Name, a.State.Disruptions
			if d.Name != nil {
				*d.Name = strings.TrimSpace(*d.Name)
				name = *d.Name
			}
			if d.Disruptions != nil {
				ds = *d.Disruptions
			}
			if err := resilience.CheckScenario(name, ds); err != nil {
				return nil, err
			}
			return eventstore.Decision{{Type: resilience.ScenarioUpdated, Subject: d.ScenarioID, Data: &d}}, nil
		})
}

// DeleteScenario records a scenario's deletion (its simulations stay).
func (h *Handlers) DeleteScenario(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, scenarios, resilience.StreamOfScenario(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[scenario]) (eventstore.Decision, error) {
			if a.State.TenantID != meta.TenantID || a.State.Deleted {
				return nil, resilience.ErrScenarioNotFound
			}
			return eventstore.Decision{{Type: resilience.ScenarioDeleted, Subject: id, Data: &resilience.ScenarioDeletedV1{ScenarioID: id}}}, nil
		})
}

// Simulate runs a scenario's Monte Carlo over the tenant's current graph
// and objectives, and records SimulationCompleted (the resilience signal).
func (h *Handlers) Simulate(ctx context.Context, meta eventstore.Metadata, scenarioID string, iterations int, seed uint64) (string, []eventstore.Event, error) {
	a, err := eventstore.Load(ctx, h.Store, scenarios, resilience.StreamOfScenario(scenarioID))
	if err != nil {
		return "", nil, err
	}
	if a.State.TenantID != meta.TenantID || a.State.Deleted {
		return "", nil, resilience.ErrScenarioNotFound
	}
	g, err := h.Graphs.Graph(ctx, meta.TenantID)
	if err != nil {
		return "", nil, err
	}
	objectives, err := h.Objectives.ObjectivesOf(ctx, meta.TenantID)
	if err != nil {
		return "", nil, err
	}
	res, err := resilience.Simulate(g, a.State.Disruptions, objectives, iterations, seed)
	if err != nil {
		return "", nil, err
	}
	id := eventstore.NewID()
	evs, err := eventstore.Create(ctx, h.Store, meta, resilience.StreamOfSimulation(id), eventstore.Draft{Type: resilience.SimulationCompleted, Subject: id,
		Data: &resilience.SimulationCompletedV1{SimulationID: id, ScenarioID: scenarioID, TenantID: meta.TenantID, Iterations: iterations, Seed: seed,
			GraphVersion: g.Version, Results: res, CompletedAt: h.Now.Read()}})
	return id, evs, err
}
