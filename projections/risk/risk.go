// Package risk projects the risk register, FAIR models, simulations and
// custom threats, and answers the queries over them.
package risk

import (
	"context"

	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "risk"

// Projection builds the risk read models.
type Projection struct{}

var _ projections.Projection = (*Projection)(nil)

// Name implements projections.Projection.
func (Projection) Name() string { return Name }

// Topics implements projections.Projection.
func (Projection) Topics() []string { return []string{events.TopicFor("risk")} }

// Setup implements projections.Projection.
func (Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, `
		CREATE TABLE `+s+`.risks (
			id text PRIMARY KEY, tenant_id text NOT NULL, title text NOT NULL, description text NOT NULL, category text NOT NULL,
			owner text NOT NULL, likelihood int NOT NULL, impact int NOT NULL, treatment text NOT NULL,
			residual_likelihood int, residual_impact int, threats text[] NOT NULL, asset_ids text[] NOT NULL,
			fair jsonb, status text NOT NULL, closed_reason text,
			version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON `+s+`.risks (tenant_id, status);
		CREATE TABLE `+s+`.simulations (
			id text PRIMARY KEY, tenant_id text NOT NULL, risk_ids text[] NOT NULL, portfolio boolean NOT NULL, iterations int NOT NULL,
			seed bigint NOT NULL, results jsonb NOT NULL, duration_ms double precision NOT NULL, at timestamptz NOT NULL);
		CREATE INDEX ON `+s+`.simulations USING gin (risk_ids);
		CREATE TABLE `+s+`.threats (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, category text NOT NULL,
			reference text NOT NULL, created_at timestamptz NOT NULL);
	`); err != nil {
		return err
	}
	for _, t := range []string{"risks", "simulations", "threats"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	return nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// table applies the risk events, one typed applier per event type.
var table = func() *projections.Table {
	tbl := projections.NewTable()
	projections.On(tbl, risk.RiskIdentified, applyIdentified)
	projections.On(tbl, risk.RiskUpdated, applyUpdated)
	projections.On(tbl, risk.RiskClosed, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *risk.RiskClosedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.risks SET status = 'closed', closed_reason = $2, version = $3, updated_at = $4 WHERE id = $1`,
			d.RiskID, d.Reason, e.Version, e.Time)
		return err
	})
	projections.On(tbl, risk.FairInputsSet, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *risk.FairInputsSetV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.risks SET fair = $2, version = $3, updated_at = $4 WHERE id = $1`, d.RiskID, d.Inputs, e.Version, e.Time)
		return err
	})
	projections.On(tbl, risk.SimulationCompleted, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *risk.SimulationCompletedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.simulations (id, tenant_id, risk_ids, portfolio, iterations, seed, results, duration_ms, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`, d.SimulationID, e.TenantID, d.RiskIDs, d.Portfolio,
			d.Iterations, int64(d.Seed), d.Results, d.DurationMs, d.At)
		return err
	})
	projections.On(tbl, risk.ThreatAdded, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *risk.ThreatAddedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.threats (id, tenant_id, name, description, category, reference, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, d.ThreatID, e.TenantID, d.Name, d.Description, d.Category, d.Reference, e.Time)
		return err
	})
	return tbl
}()

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	return table.Apply(ctx, tx, s, evs)
}

func applyIdentified(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *risk.RiskIdentifiedV1) error {
	var rl, ri any
	if d.Residual != nil {
		rl, ri = d.Residual.Likelihood, d.Residual.Impact
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.risks (id, tenant_id, title, description, category, owner, likelihood, impact, treatment,
		residual_likelihood, residual_impact, threats, asset_ids, status, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, $15, $15) ON CONFLICT (id) DO NOTHING`,
		d.RiskID, e.TenantID, d.Title, d.Description, d.Category, d.Owner, d.Likelihood, d.Impact, d.Treatment, rl, ri,
		nonNil(d.Threats), nonNil(d.AssetIDs), e.Version, e.Time)
	return err
}

func applyUpdated(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *risk.RiskUpdatedV1) error {
	var rl, ri any
	if d.Residual != nil {
		rl, ri = d.Residual.Likelihood, d.Residual.Impact
	}
	_, err := tx.Exec(ctx, `UPDATE `+s+`.risks SET title = coalesce($2, title), description = coalesce($3, description),
		category = coalesce($4, category), owner = coalesce($5, owner), likelihood = coalesce($6, likelihood),
		impact = coalesce($7, impact), treatment = coalesce($8, treatment),
		residual_likelihood = coalesce($9, residual_likelihood), residual_impact = coalesce($10, residual_impact),
		threats = coalesce($11, threats), version = $12, updated_at = $13 WHERE id = $1`,
		d.RiskID, d.Title, d.Description, d.Category, d.Owner, d.Likelihood, d.Impact, d.Treatment, rl, ri, d.Threats, e.Version, e.Time)
	return err
}

// Risk is a register entry.
type Risk struct {
	ID            string           `json:"id"`
	Title         string           `json:"title"`
	Description   string           `json:"description"`
	Category      string           `json:"category"`
	Owner         string           `json:"owner"`
	Likelihood    int              `json:"likelihood"`
	Impact        int              `json:"impact"`
	Score         int              `json:"inherent_score"`
	Level         string           `json:"level"`
	Treatment     string           `json:"treatment"`
	Residual      *risk.Rating     `json:"residual,omitempty"`
	ResidualScore *int             `json:"residual_score,omitempty"`
	Threats       []string         `json:"threats"`
	AssetIDs      []string         `json:"asset_ids"`
	Fair          *risk.FairInputs `json:"fair,omitempty"`
	Status        string           `json:"status"`
	LastSimID     *string          `json:"last_simulation_id,omitempty"`
	LastMeanALE   *float64         `json:"last_mean_ale,omitempty"`
	Version       int64            `json:"version"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
}

// Queries reads the risk read models.
type Queries struct{ Runner *projections.Runner }

// riskColumns reads a risk with its latest simulation. The latest simulation
// is looked up, not stored on the risk: simulation events live on their own
// streams (other partitions), so a stored copy would depend on delivery order.
const riskColumns = `r.id, r.title, r.description, r.category, r.owner, r.likelihood, r.impact, r.treatment, r.residual_likelihood,
	r.residual_impact, r.threats, r.asset_ids, r.fair, r.status,
	(SELECT x.id FROM %[1]s.simulations x WHERE r.id = ANY(x.risk_ids) AND NOT x.portfolio ORDER BY x.at DESC, x.id DESC LIMIT 1),
	(SELECT (x.results->>'mean_ale')::float8 FROM %[1]s.simulations x WHERE r.id = ANY(x.risk_ids) AND NOT x.portfolio ORDER BY x.at DESC, x.id DESC LIMIT 1),
	r.version, r.created_at, r.updated_at`

func scanRisk(r pgx.CollectableRow) (Risk, error) {
	var x Risk
	var rl, ri *int
	err := r.Scan(&x.ID, &x.Title, &x.Description, &x.Category, &x.Owner, &x.Likelihood, &x.Impact, &x.Treatment, &rl, &ri,
		&x.Threats, &x.AssetIDs, &x.Fair, &x.Status, &x.LastSimID, &x.LastMeanALE, &x.Version, &x.CreatedAt, &x.UpdatedAt)
	x.Score = x.Likelihood * x.Impact
	x.Level = risk.Level(x.Likelihood, x.Impact)
	if rl != nil && ri != nil {
		x.Residual = &risk.Rating{Likelihood: *rl, Impact: *ri}
		rs := *rl * *ri
		x.ResidualScore = &rs
	}
	return x, err
}

// Values a risk's status takes (the list's status filter).
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// RiskFilter narrows List (empty: any).
type RiskFilter struct {
	Status, Owner, Treatment, Category string
}

// List pages through the register, newest first (ids are UUIDv7, in the
// order risks were identified).
func (q *Queries) List(ctx context.Context, tenantID string, f RiskFilter, p projections.PageRequest) (projections.Page[Risk], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.risks r`, fmt.Sprintf(riskColumns, s)).
			WhereIf(f.Status != "", "r.status = ?", f.Status).
			WhereIf(f.Owner != "", "r.owner = ?", f.Owner).
			WhereIf(f.Treatment != "", "r.treatment = ?", f.Treatment).
			WhereIf(f.Category != "", "r.category = ?", f.Category).
			OrderBy(true, projections.TextKey("r.id"))
	}, p, scanRisk, func(r Risk) []any { return []any{r.ID} })
}

// MaxPortfolio bounds how many risks a portfolio simulation aggregates.
const MaxPortfolio = 1000

// Modelled lists the open risks that have a FAIR model (at most
// MaxPortfolio, oldest first): the default portfolio.
func (q *Queries) Modelled(ctx context.Context, tenantID string) ([]string, error) {
	var out []string
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM `+s+`.risks WHERE status = 'open' AND fair IS NOT NULL ORDER BY id LIMIT $1`, MaxPortfolio)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// Get finds a risk; nil when none.
func (q *Queries) Get(ctx context.Context, tenantID, id string) (*Risk, error) {
	return projections.One(ctx, q.Runner, Name, tenantID, scanRisk, func(s string) string {
		return `SELECT ` + fmt.Sprintf(riskColumns, s) + ` FROM ` + s + `.risks r WHERE r.id = $1`
	}, id)
}

// Simulation is a recorded simulation.
type Simulation struct {
	ID         string       `json:"id"`
	RiskIDs    []string     `json:"risk_ids"`
	Portfolio  bool         `json:"portfolio"`
	Iterations int          `json:"iterations"`
	Seed       int64        `json:"seed"`
	Results    risk.Results `json:"results"`
	DurationMs float64      `json:"duration_ms"`
	At         time.Time    `json:"at"`
}

const simColumns = `id, risk_ids, portfolio, iterations, seed, results, duration_ms, at`

func scanSim(r pgx.CollectableRow) (Simulation, error) {
	var x Simulation
	return x, r.Scan(&x.ID, &x.RiskIDs, &x.Portfolio, &x.Iterations, &x.Seed, &x.Results, &x.DurationMs, &x.At)
}

// Simulations pages through a risk's own simulations (not the portfolios
// it is part of), newest first.
func (q *Queries) Simulations(ctx context.Context, tenantID, riskID string, p projections.PageRequest) (projections.Page[Simulation], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.simulations`, simColumns).Where("? = ANY(risk_ids) AND NOT portfolio", riskID).
			OrderBy(true, projections.TimeKey("at"), projections.TextKey("id"))
	}, p, scanSim, func(x Simulation) []any { return []any{x.At, x.ID} })
}

// Simulation finds one simulation; nil when none.
func (q *Queries) Simulation(ctx context.Context, tenantID, id string) (*Simulation, error) {
	return projections.One(ctx, q.Runner, Name, tenantID, scanSim, func(s string) string {
		return `SELECT ` + simColumns + ` FROM ` + s + `.simulations WHERE id = $1`
	}, id)
}

// Threats pages through the built-in catalogue, in its published order,
// then the tenant's custom threats in the order they were added (their ids
// are UUIDv7), continuing after the last id of the previous page.
func (q *Queries) Threats(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[risk.Threat], error) {
	var page projections.Page[risk.Threat]
	after, err := p.AfterText()
	if err != nil {
		return page, err
	}
	limit := p.Limit
	builtin := risk.Catalogue
	customAfter := after
	if i := catalogueIndex(after); i >= 0 {
		builtin, customAfter = risk.Catalogue[i+1:], ""
	} else if after != "" {
		builtin = nil
	}
	err = q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		n := min(len(builtin), limit)
		// The custom page fills what the catalogue leaves of this one; at
		// least one row is asked for so that has_more and the total are known.
		l := projections.NewList(s+`.threats`, `id, name, category, description`).OrderBy(false, projections.TextKey("id"))
		var cp projections.PageRequest
		if customAfter != "" {
			cp.After = []any{customAfter}
		}
		cp.Limit = max(limit-n, 1)
		custom, err := projections.Fetch(ctx, tx, l, cp, func(r pgx.CollectableRow) (risk.Threat, error) {
			var t risk.Threat
			err := r.Scan(&t.ID, &t.Name, &t.Framework, &t.Description)
			if t.Framework == "" {
				t.Framework = "custom"
			}
			return t, err
		}, func(t risk.Threat) []any { return []any{t.ID} })
		if err != nil {
			return err
		}
		page.Total = int64(len(risk.Catalogue)) + custom.Total
		page.TotalEstimated = custom.TotalEstimated
		page.Items = append(append([]risk.Threat{}, builtin[:n]...), custom.Items...)
		if len(page.Items) > limit {
			page.Items = page.Items[:limit]
		}
		page.HasMore = n < len(builtin) || len(page.Items) < n+len(custom.Items) || custom.HasMore
		if page.HasMore && len(page.Items) > 0 {
			page.Next = []any{page.Items[len(page.Items)-1].ID}
		}
		return nil
	})
	return page, err
}

// catalogueIndex is the index of a built-in threat's id, -1 when it is not one.
func catalogueIndex(id string) int {
	for i, t := range risk.Catalogue {
		if t.ID == id {
			return i
		}
	}
	return -1
}

// Cell is one heatmap cell.
type Cell struct {
	Likelihood int      `json:"likelihood"`
	Impact     int      `json:"impact"`
	Count      int      `json:"count"`
	Level      string   `json:"level"`
	RiskIDs    []string `json:"risk_ids"`
}

// Heatmap counts open risks by likelihood × impact (residual when asked).
func (q *Queries) Heatmap(ctx context.Context, tenantID string, residual bool) ([]Cell, error) {
	cells := map[[2]int]*Cell{}
	var out []Cell
	for l := 1; l <= 5; l++ {
		for i := 1; i <= 5; i++ {
			cells[[2]int{l, i}] = &Cell{Likelihood: l, Impact: i, Level: risk.Level(l, i), RiskIDs: []string{}}
		}
	}
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		cols := `likelihood, impact`
		if residual {
			cols = `coalesce(residual_likelihood, likelihood), coalesce(residual_impact, impact)`
		}
		rows, err := tx.Query(ctx, `SELECT id, `+cols+` FROM `+s+`.risks WHERE status = 'open'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var l, i int
			if err := rows.Scan(&id, &l, &i); err != nil {
				return err
			}
			if c, ok := cells[[2]int{l, i}]; ok {
				c.Count++
				c.RiskIDs = append(c.RiskIDs, id)
			}
		}
		return rows.Err()
	})
	for l := 5; l >= 1; l-- {
		for i := 1; i <= 5; i++ {
			out = append(out, *cells[[2]int{l, i}])
		}
	}
	return out, err
}
