// Package resilience projects Resilience: objectives per service,
// scenarios, simulations and chaos experiments; and answers the queries
// over them.
package resilience

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "resilience"

// Projection builds the Resilience read models.
type Projection struct {
	projections.Tabled
}

// New builds the projection.
func New() *Projection {
	p := &Projection{Tabled: projections.NewTabled(Name, events.TopicFor(resilience.Module))}
	projections.On(p.Table, resilience.ObjectiveSet, projections.Exec(func(e *eventstore.Event, d *resilience.ObjectiveSetV1) (string, []any) {
		return `INSERT INTO %[1]s.objectives (tenant_id, service_id, rto_seconds, rpo_seconds, position, updated_at, actor)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, service_id) DO UPDATE SET rto_seconds = excluded.rto_seconds,
			rpo_seconds = excluded.rpo_seconds, position = excluded.position, updated_at = excluded.updated_at, actor = excluded.actor
			WHERE objectives.position < excluded.position`,
			[]any{e.TenantID, d.ServiceID, d.RTOSeconds, d.RPOSeconds, e.Position, e.Time, e.Actor}
	}))
	projections.On(p.Table, resilience.ScenarioDefined, projections.Exec(func(e *eventstore.Event, d *resilience.ScenarioDefinedV1) (string, []any) {
		return `INSERT INTO %[1]s.scenarios (id, tenant_id, name, description, disruptions, deleted, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, false, $6, $7, $7) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ScenarioID, e.TenantID, d.Name, d.Description, d.Disruptions, e.Version, e.Time}
	}))
	projections.On(p.Table, resilience.ScenarioUpdated, projections.Exec(func(e *eventstore.Event, d *resilience.ScenarioUpdatedV1) (string, []any) {
		var ds any
		if d.Disruptions != nil {
			ds = *d.Disruptions
		}
		return `UPDATE %[1]s.scenarios SET name = coalesce($2, name), description = coalesce($3, description), disruptions = coalesce($4, disruptions),
			version = $5, updated_at = $6 WHERE id = $1 AND version < $5`, []any{d.ScenarioID, d.Name, d.Description, ds, e.Version, e.Time}
	}))
	projections.On(p.Table, resilience.ScenarioDeleted, projections.Exec(func(e *eventstore.Event, d *resilience.ScenarioDeletedV1) (string, []any) {
		return `UPDATE %[1]s.scenarios SET deleted = true, version = $2, updated_at = $3 WHERE id = $1`, []any{d.ScenarioID, e.Version, e.Time}
	}))
	projections.On(p.Table, resilience.SimulationCompleted, projections.Exec(func(e *eventstore.Event, d *resilience.SimulationCompletedV1) (string, []any) {
		return `INSERT INTO %[1]s.simulations (id, tenant_id, scenario_id, iterations, seed, graph_version, results, completed_at, actor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			[]any{d.SimulationID, e.TenantID, d.ScenarioID, d.Iterations, fmt.Sprint(d.Seed), d.GraphVersion, d.Results, e.Time, e.Actor}
	}))
	projections.On(p.Table, resilience.ChaosStarted, projections.Exec(func(e *eventstore.Event, d *resilience.ChaosStartedV1) (string, []any) {
		return `INSERT INTO %[1]s.experiments (id, tenant_id, name, fault, scope, max_error_rate, starts_at, ends_at, status, actor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ExperimentID, e.TenantID, d.Name, d.Fault, d.Scope, d.MaxErrorRate, d.StartsAt, d.EndsAt, e.Actor}
	}))
	ended := func(status string) projections.Applier[resilience.ChaosEndedV1] {
		return projections.Exec(func(e *eventstore.Event, d *resilience.ChaosEndedV1) (string, []any) {
			return `UPDATE %[1]s.experiments SET status = $2, reason = $3, result = $4, ended_at = $5 WHERE id = $1`,
				[]any{d.ExperimentID, status, d.Reason, d.Result, d.EndedAt}
		})
	}
	projections.On(p.Table, resilience.ChaosCompleted, ended("completed"))
	projections.On(p.Table, resilience.ChaosAborted, ended("aborted"))
	return p
}

var _ projections.Projection = (*Projection)(nil)

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.objectives (
			tenant_id text NOT NULL, service_id text NOT NULL, rto_seconds bigint NOT NULL, rpo_seconds bigint NOT NULL, position bigint NOT NULL,
			updated_at timestamptz NOT NULL, actor text NOT NULL, PRIMARY KEY (tenant_id, service_id));
		CREATE TABLE %[1]s.scenarios (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, disruptions jsonb NOT NULL, deleted boolean NOT NULL,
			version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.scenarios (tenant_id, id DESC);
		CREATE TABLE %[1]s.simulations (
			id text PRIMARY KEY, tenant_id text NOT NULL, scenario_id text NOT NULL, iterations int NOT NULL, seed text NOT NULL, graph_version bigint NOT NULL,
			results jsonb NOT NULL, completed_at timestamptz NOT NULL, actor text NOT NULL);
		CREATE INDEX ON %[1]s.simulations (tenant_id, id DESC);
		CREATE TABLE %[1]s.experiments (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, fault jsonb NOT NULL, scope jsonb NOT NULL, max_error_rate float8 NOT NULL,
			starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL, status text NOT NULL, reason text, result jsonb, ended_at timestamptz, actor text NOT NULL);
		CREATE INDEX ON %[1]s.experiments (tenant_id, id DESC);
	`, s)); err != nil {
		return err
	}
	return projections.Isolate(ctx, tx, s, "objectives", "scenarios", "simulations", "experiments")
}

// Queries reads the Resilience read models.
type Queries struct {
	Runner *projections.Runner
}

// Objective is a service's recovery objectives.
type Objective struct {
	ServiceID  string    `json:"service_id"`
	RTOSeconds int64     `json:"rto_seconds"`
	RPOSeconds int64     `json:"rpo_seconds"`
	UpdatedAt  time.Time `json:"updated_at"`
	UpdatedBy  string    `json:"updated_by"`
}

func scanObjective(r pgx.CollectableRow) (Objective, error) {
	var o Objective
	err := r.Scan(&o.ServiceID, &o.RTOSeconds, &o.RPOSeconds, &o.UpdatedAt, &o.UpdatedBy)
	return o, err
}

const objectiveColumns = `service_id, rto_seconds, rpo_seconds, updated_at, actor`

// Objectives lists the tenant's objectives by service.
func (q *Queries) Objectives(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Objective], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".objectives", objectiveColumns).Where("tenant_id = ?", tenant).OrderBy(false, projections.TextKey("service_id"))
	}, p, scanObjective, func(o Objective) []any { return []any{o.ServiceID} })
}

// Objective reads one service's objective.
func (q *Queries) Objective(ctx context.Context, tenant, service string) (*Objective, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, resilience.ErrServiceNotFound, scanObjective, func(s string) string {
		return `SELECT ` + objectiveColumns + ` FROM ` + s + `.objectives WHERE tenant_id = $1 AND service_id = $2`
	}, tenant, service)
}

// ObjectivesOf is every objective of the tenant by service (simulations).
func (q *Queries) ObjectivesOf(ctx context.Context, tenant string) (map[string]resilience.Objective, error) {
	out := map[string]resilience.Objective{}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+objectiveColumns+` FROM `+s+`.objectives WHERE tenant_id = $1`, tenant)
		os, err := pgx.CollectRows(rows, scanObjective)
		for _, o := range os {
			out[o.ServiceID] = resilience.Objective{RTO: o.RTOSeconds, RPO: o.RPOSeconds}
		}
		return err
	})
	return out, err
}

// Scenario is a disruption scenario.
type Scenario struct {
	ID          string                  `json:"id"`
	Name        string                  `json:"name"`
	Description string                  `json:"description"`
	Disruptions []resilience.Disruption `json:"disruptions"`
	Version     int64                   `json:"version"`
	CreatedAt   time.Time               `json:"created_at"`
	UpdatedAt   time.Time               `json:"updated_at"`
}

const scenarioColumns = `id, name, description, disruptions, version, created_at, updated_at`

func scanScenario(r pgx.CollectableRow) (Scenario, error) {
	var x Scenario
	err := r.Scan(&x.ID, &x.Name, &x.Description, &x.Disruptions, &x.Version, &x.CreatedAt, &x.UpdatedAt)
	return x, err
}

// Scenarios lists the tenant's scenarios, newest first.
func (q *Queries) Scenarios(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Scenario], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".scenarios", scenarioColumns).Where("tenant_id = ?", tenant).Where("NOT deleted").OrderBy(true, projections.TextKey("id"))
	}, p, scanScenario, func(x Scenario) []any { return []any{x.ID} })
}

// Scenario reads one scenario.
func (q *Queries) Scenario(ctx context.Context, tenant, id string) (*Scenario, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, resilience.ErrScenarioNotFound, scanScenario, func(s string) string {
		return `SELECT ` + scenarioColumns + ` FROM ` + s + `.scenarios WHERE tenant_id = $1 AND id = $2 AND NOT deleted`
	}, tenant, id)
}

// Simulation is a recorded simulation.
type Simulation struct {
	ID           string             `json:"id"`
	ScenarioID   string             `json:"scenario_id"`
	Iterations   int                `json:"iterations"`
	Seed         string             `json:"seed"`
	GraphVersion int64              `json:"graph_version"`
	Results      resilience.Results `json:"results"`
	CompletedAt  time.Time          `json:"completed_at"`
	RunBy        string             `json:"run_by"`
}

const simulationColumns = `id, scenario_id, iterations, seed, graph_version, results, completed_at, actor`

func scanSimulation(r pgx.CollectableRow) (Simulation, error) {
	var x Simulation
	err := r.Scan(&x.ID, &x.ScenarioID, &x.Iterations, &x.Seed, &x.GraphVersion, &x.Results, &x.CompletedAt, &x.RunBy)
	return x, err
}

// Simulations lists the tenant's simulations, newest first (of one scenario when given).
func (q *Queries) Simulations(ctx context.Context, tenant, scenarioID string, p projections.PageRequest) (projections.Page[Simulation], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".simulations", simulationColumns).Where("tenant_id = ?", tenant).
			WhereIf(scenarioID != "", "scenario_id = ?", scenarioID).OrderBy(true, projections.TextKey("id"))
	}, p, scanSimulation, func(x Simulation) []any { return []any{x.ID} })
}

// Simulation reads one simulation.
func (q *Queries) Simulation(ctx context.Context, tenant, id string) (*Simulation, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, resilience.ErrSimulationNotFound, scanSimulation, func(s string) string {
		return `SELECT ` + simulationColumns + ` FROM ` + s + `.simulations WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// Experiment is a chaos experiment.
type Experiment struct {
	ID           string                  `json:"id"`
	Name         string                  `json:"name"`
	Fault        resilience.Fault        `json:"fault"`
	Scope        resilience.Scope        `json:"scope"`
	MaxErrorRate float64                 `json:"max_error_rate"`
	StartsAt     time.Time               `json:"starts_at"`
	EndsAt       time.Time               `json:"ends_at"`
	Status       string                  `json:"status" enum:"running,completed,aborted"`
	Reason       *string                 `json:"reason"`
	Result       *resilience.ChaosResult `json:"result"`
	EndedAt      *time.Time              `json:"ended_at"`
	StartedBy    string                  `json:"started_by"`
}

const experimentColumns = `id, name, fault, scope, max_error_rate, starts_at, ends_at, status, reason, result, ended_at, actor`

func scanExperiment(r pgx.CollectableRow) (Experiment, error) {
	var x Experiment
	err := r.Scan(&x.ID, &x.Name, &x.Fault, &x.Scope, &x.MaxErrorRate, &x.StartsAt, &x.EndsAt, &x.Status, &x.Reason, &x.Result, &x.EndedAt, &x.StartedBy)
	return x, err
}

// Experiments lists the tenant's experiments, newest first.
func (q *Queries) Experiments(ctx context.Context, tenant, status string, p projections.PageRequest) (projections.Page[Experiment], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".experiments", experimentColumns).Where("tenant_id = ?", tenant).
			WhereIf(status != "", "status = ?", status).OrderBy(true, projections.TextKey("id"))
	}, p, scanExperiment, func(x Experiment) []any { return []any{x.ID} })
}

// Experiment reads one experiment.
func (q *Queries) Experiment(ctx context.Context, tenant, id string) (*Experiment, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, resilience.ErrExperimentNotFound, scanExperiment, func(s string) string {
		return `SELECT ` + experimentColumns + ` FROM ` + s + `.experiments WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// Running lists the running experiments of a tenant ("*": every tenant's)
// as they started.
func (q *Queries) Running(ctx context.Context, tenant string) ([]resilience.ChaosStartedV1, error) {
	var out []resilience.ChaosStartedV1
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, name, fault, scope, max_error_rate, starts_at, ends_at FROM `+s+`.experiments
			WHERE status = 'running' AND ($1 = '*' OR tenant_id = $1) ORDER BY id`, tenant)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (resilience.ChaosStartedV1, error) {
			var d resilience.ChaosStartedV1
			err := r.Scan(&d.ExperimentID, &d.TenantID, &d.Name, &d.Fault, &d.Scope, &d.MaxErrorRate, &d.StartsAt, &d.EndsAt)
			return d, err
		})
		return err
	})
	return out, err
}

// RecentlyEnded lists the experiments of every tenant that ended since a time.
func (q *Queries) RecentlyEnded(ctx context.Context, since time.Time) ([]string, error) {
	var out []string
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM `+s+`.experiments WHERE status <> 'running' AND ended_at >= $1`, since)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}
