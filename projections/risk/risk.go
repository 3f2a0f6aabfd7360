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

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	for i := range evs {
		e := &evs[i]
		var err error
		switch e.Name() {
		case risk.RiskIdentified.Name:
			var d risk.RiskIdentifiedV1
			if err = e.Decode(&d); err == nil {
				var rl, ri any
				if d.Residual != nil {
					rl, ri = d.Residual.Likelihood, d.Residual.Impact
				}
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.risks (id, tenant_id, title, description, category, owner, likelihood, impact, treatment,
					residual_likelihood, residual_impact, threats, asset_ids, status, version, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, $15, $15) ON CONFLICT (id) DO NOTHING`,
					d.RiskID, e.TenantID, d.Title, d.Description, d.Category, d.Owner, d.Likelihood, d.Impact, d.Treatment, rl, ri,
					nonNil(d.Threats), nonNil(d.AssetIDs), e.Version, e.Time)
			}
		case risk.RiskUpdated.Name:
			var d risk.RiskUpdatedV1
			if err = e.Decode(&d); err == nil {
				var rl, ri any
				if d.Residual != nil {
					rl, ri = d.Residual.Likelihood, d.Residual.Impact
				}
				_, err = tx.Exec(ctx, `UPDATE `+s+`.risks SET title = coalesce($2, title), description = coalesce($3, description),
					category = coalesce($4, category), owner = coalesce($5, owner), likelihood = coalesce($6, likelihood),
					impact = coalesce($7, impact), treatment = coalesce($8, treatment),
					residual_likelihood = coalesce($9, residual_likelihood), residual_impact = coalesce($10, residual_impact),
					threats = coalesce($11, threats), version = $12, updated_at = $13 WHERE id = $1`,
					d.RiskID, d.Title, d.Description, d.Category, d.Owner, d.Likelihood, d.Impact, d.Treatment, rl, ri, d.Threats, e.Version, e.Time)
			}
		case risk.RiskClosed.Name:
			var d risk.RiskClosedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.risks SET status = 'closed', closed_reason = $2, version = $3, updated_at = $4 WHERE id = $1`,
					d.RiskID, d.Reason, e.Version, e.Time)
			}
		case risk.FairInputsSet.Name:
			var d risk.FairInputsSetV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.risks SET fair = $2, version = $3, updated_at = $4 WHERE id = $1`, d.RiskID, d.Inputs, e.Version, e.Time)
			}
		case risk.SimulationCompleted.Name:
			var d risk.SimulationCompletedV1
			if err = e.Decode(&d); err == nil {
				if _, err = tx.Exec(ctx, `INSERT INTO `+s+`.simulations (id, tenant_id, risk_ids, portfolio, iterations, seed, results, duration_ms, at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`, d.SimulationID, e.TenantID, d.RiskIDs, d.Portfolio,
					d.Iterations, int64(d.Seed), d.Results, d.DurationMs, d.At); err != nil {
					break
				}
			}
		case risk.ThreatAdded.Name:
			var d risk.ThreatAddedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.threats (id, tenant_id, name, description, category, reference, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`, d.ThreatID, e.TenantID, d.Name, d.Description, d.Category, d.Reference, e.Time)
			}
		}
		if err != nil {
			return fmt.Errorf("projections/risk: %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
		}
	}
	return nil
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

// RiskFilter narrows List.
type RiskFilter struct {
	Status, Owner, Treatment, Category string
	After                              string
	Limit                              int
}

// List pages through the register.
func (q *Queries) List(ctx context.Context, tenantID string, f RiskFilter) ([]Risk, bool, int64, error) {
	var out []Risk
	var total int64
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		where := ` WHERE ($1 = '' OR status = $1) AND ($2 = '' OR owner = $2) AND ($3 = '' OR treatment = $3) AND ($4 = '' OR category = $4)`
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+s+`.risks`+where, f.Status, f.Owner, f.Treatment, f.Category).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+fmt.Sprintf(riskColumns, s)+` FROM `+s+`.risks r`+where+` AND r.id > $5 ORDER BY r.id LIMIT $6`,
			f.Status, f.Owner, f.Treatment, f.Category, f.After, f.Limit+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanRisk)
		return err
	})
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, total, err
}

// Get finds a risk; nil when none.
func (q *Queries) Get(ctx context.Context, tenantID, id string) (*Risk, error) {
	var out *Risk
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+fmt.Sprintf(riskColumns, s)+` FROM `+s+`.risks r WHERE r.id = $1`, id)
		if err != nil {
			return err
		}
		rs, err := pgx.CollectRows(rows, scanRisk)
		if len(rs) > 0 {
			out = &rs[0]
		}
		return err
	})
	return out, err
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

// Simulations lists a risk's simulations, newest first.
func (q *Queries) Simulations(ctx context.Context, tenantID, riskID string, limit int) ([]Simulation, error) {
	var out []Simulation
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+simColumns+` FROM `+s+`.simulations WHERE $1 = ANY(risk_ids) AND NOT portfolio ORDER BY at DESC, id DESC LIMIT $2`, riskID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanSim)
		return err
	})
	return out, err
}

// Simulation finds one simulation; nil when none.
func (q *Queries) Simulation(ctx context.Context, tenantID, id string) (*Simulation, error) {
	var out *Simulation
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+simColumns+` FROM `+s+`.simulations WHERE id = $1`, id)
		if err != nil {
			return err
		}
		xs, err := pgx.CollectRows(rows, scanSim)
		if len(xs) > 0 {
			out = &xs[0]
		}
		return err
	})
	return out, err
}

// Threats lists the built-in catalogue and the tenant's custom threats.
func (q *Queries) Threats(ctx context.Context, tenantID string) ([]risk.Threat, error) {
	out := append([]risk.Threat(nil), risk.Catalogue...)
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id, name, category, description FROM `+s+`.threats ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		custom, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (risk.Threat, error) {
			var t risk.Threat
			return t, r.Scan(&t.ID, &t.Name, &t.Framework, &t.Description)
		})
		for i := range custom {
			if custom[i].Framework == "" {
				custom[i].Framework = "custom"
			}
		}
		out = append(out, custom...)
		return err
	})
	return out, err
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
