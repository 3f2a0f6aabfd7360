// Package trust projects module events into trust signals and per-pillar
// aggregates (so the current score is computed in constant time however many
// signals there are), and keeps the score history from trust.ScoreUpdated.
package trust

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "trust"

// Projection builds the trust read models.
type Projection struct{}

var _ projections.Projection = (*Projection)(nil)

// Name implements projections.Projection.
func (Projection) Name() string { return Name }

// Topics implements projections.Projection: the trust topic and the topics of
// every declared signal (trust.Signals).
func (Projection) Topics() []string {
	out := []string{events.TopicFor("trust")}
	for _, t := range trust.Signals.Topics() {
		if t != out[0] {
			out = append(out, t)
		}
	}
	return out
}

// HighVolume implements projections.HighVolume: every gateway request is a signal.
func (Projection) HighVolume() bool { return true }

// Setup implements projections.Projection.
func (Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, `
		CREATE TABLE `+s+`.pillar_state (
			tenant_id text NOT NULL, pillar text NOT NULL, state jsonb NOT NULL, updated_at timestamptz NOT NULL,
			PRIMARY KEY (tenant_id, pillar));
		CREATE TABLE `+s+`.config (
			tenant_id text PRIMARY KEY, decay jsonb, weights jsonb, updated_at timestamptz NOT NULL);
		CREATE TABLE `+s+`.signals (
			id text PRIMARY KEY, tenant_id text NOT NULL, pillar text NOT NULL, score double precision NOT NULL,
			weight double precision NOT NULL, at timestamptz NOT NULL, source text NOT NULL, reason text NOT NULL, position bigint NOT NULL);
		CREATE INDEX ON `+s+`.signals (tenant_id, at);
		CREATE INDEX ON `+s+`.signals (tenant_id, pillar, at);
		CREATE TABLE `+s+`.history (
			tenant_id text NOT NULL, at timestamptz NOT NULL, score double precision NOT NULL, grade text NOT NULL,
			previous double precision NOT NULL, pillars jsonb NOT NULL, reason text NOT NULL, known boolean NOT NULL, position bigint NOT NULL,
			PRIMARY KEY (tenant_id, position));
		CREATE INDEX ON `+s+`.history (tenant_id, at);
		CREATE TABLE `+s+`.scores (
			tenant_id text PRIMARY KEY, score double precision NOT NULL, grade text NOT NULL, known boolean NOT NULL,
			pillars jsonb NOT NULL, at timestamptz NOT NULL, signals int NOT NULL, version bigint NOT NULL);
	`); err != nil {
		return err
	}
	for _, t := range []string{"pillar_state", "config", "signals", "history", "scores"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	return nil
}

// tenantState is one tenant's aggregates during a batch.
type tenantState struct {
	cfg    trust.DecayConfig
	states map[string]*trust.PillarState
	dirty  map[string]bool
}

// batch is what one Apply folds before writing: the tenants' aggregates and
// the signals to insert in one statement.
type batch struct {
	tenants map[string]*tenantState
	signals []signalRow
}

type batchKey struct{}

// batchOf is the batch an applier of the table runs in.
func batchOf(ctx context.Context) *batch { return ctx.Value(batchKey{}).(*batch) }

// load reads a tenant's aggregates once per batch.
func (b *batch) load(ctx context.Context, tx pgx.Tx, s, tenant string) (*tenantState, error) {
	if ts, ok := b.tenants[tenant]; ok {
		return ts, nil
	}
	ts := &tenantState{cfg: trust.DefaultDecay(), states: map[string]*trust.PillarState{}, dirty: map[string]bool{}}
	var decay []byte
	err := tx.QueryRow(ctx, `SELECT decay FROM `+s+`.config WHERE tenant_id = $1`, tenant).Scan(&decay)
	if err == nil && decay != nil {
		_ = json.Unmarshal(decay, &ts.cfg)
	} else if err != nil && err != pgx.ErrNoRows {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT pillar, state FROM `+s+`.pillar_state WHERE tenant_id = $1`, tenant)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p string
		st := &trust.PillarState{}
		if err := rows.Scan(&p, st); err != nil {
			rows.Close()
			return nil, err
		}
		ts.states[p] = st
	}
	rows.Close()
	b.tenants[tenant] = ts
	return ts, rows.Err()
}

// table applies the trust module's own events; the signals of other modules
// go through their declarations (see signal).
var table = func() *projections.Table {
	tbl := projections.NewTable()
	projections.On(tbl, trust.ScoreUpdated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *trust.ScoreUpdatedV1) error {
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.history (tenant_id, at, score, grade, previous, pillars, reason, known, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`, e.TenantID, d.At, d.Score, d.Grade, d.Previous, d.Pillars,
			d.Reason, d.Known, e.Position); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.scores (tenant_id, score, grade, known, pillars, at, signals, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id) DO UPDATE SET score = excluded.score, grade = excluded.grade,
			known = excluded.known, pillars = excluded.pillars, at = excluded.at, signals = excluded.signals, version = excluded.version`,
			e.TenantID, d.Score, d.Grade, d.Known, d.Pillars, d.At, d.Signals, e.Version)
		return err
	})
	projections.On(tbl, trust.WeightsConfigured, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *trust.WeightsConfiguredV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.config (tenant_id, weights, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at`, e.TenantID, d.Weights, e.Time)
		return err
	})
	projections.On(tbl, trust.DecayConfigured, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *trust.DecayConfiguredV1) error {
		b := batchOf(ctx)
		if err := flushSignals(ctx, tx, s, &b.signals); err != nil {
			return err
		}
		return reconfigure(ctx, tx, s, e, d.Config, b)
	})
	return tbl
}()

// signal folds a declared signal into its tenant's pillar.
func signal(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, decl trust.Declaration) error {
	sig, ok, err := decl.Signal(e.Decode)
	if err != nil || !ok || e.TenantID == "" {
		return err
	}
	sig.At = e.Time
	b := batchOf(ctx)
	ts, err := b.load(ctx, tx, s, e.TenantID)
	if err != nil {
		return err
	}
	st, ok := ts.states[sig.Pillar]
	if !ok {
		st = &trust.PillarState{}
		ts.states[sig.Pillar] = st
	}
	st.Add(sig, ts.cfg.Pillars[sig.Pillar])
	ts.dirty[sig.Pillar] = true
	b.signals = append(b.signals, signalRow{id: e.ID.String(), tenant: e.TenantID, sig: sig, position: e.Position})
	return nil
}

// Apply implements projections.Projection: events in order, trust's own
// through the table and declared signals through their declarations, then
// the batch's signals and changed aggregates written once.
func (Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	// Batches of different partitions run concurrently and fold into the same
	// per-tenant aggregates: lock each tenant of the batch (in a fixed order, so
	// two batches cannot deadlock) before reading its state.
	var ids []string
	seen := map[string]bool{}
	for i := range evs {
		if t := evs[i].TenantID; t != "" && !seen[t] {
			seen[t] = true
			ids = append(ids, t)
		}
	}
	sort.Strings(ids)
	for _, t := range ids {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('astra_trust:' || $1))`, t); err != nil {
			return err
		}
	}
	b := &batch{tenants: map[string]*tenantState{}}
	ctx = context.WithValue(ctx, batchKey{}, b)
	for i := range evs {
		e := &evs[i]
		if decl, ok := trust.Signals.Of(e.Type); ok {
			if err := signal(ctx, tx, s, e, decl); err != nil {
				return fmt.Errorf("projections/trust: %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
			}
			continue
		}
		if err := table.Apply(ctx, tx, s, evs[i:i+1]); err != nil {
			return err
		}
	}
	if err := flushSignals(ctx, tx, s, &b.signals); err != nil {
		return err
	}
	for tenant, ts := range b.tenants {
		for p := range ts.dirty {
			if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.pillar_state (tenant_id, pillar, state, updated_at) VALUES ($1, $2, $3, now())
				ON CONFLICT (tenant_id, pillar) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, tenant, p, ts.states[p]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Handles reports whether the projection consumes events of the CloudEvents
// type: trust's own, or a declared signal.
func Handles(ceType string) bool {
	_, ok := trust.Signals.Of(ceType)
	return ok || table.Handles(ceType)
}

// flushSignals inserts pending signals in one statement (ids are event ids,
// so a redelivered event adds nothing).
func flushSignals(ctx context.Context, tx pgx.Tx, s string, rows *[]signalRow) error {
	if len(*rows) == 0 {
		return nil
	}
	n := len(*rows)
	ids, tenants, pillars, sources, reasons := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	scores, weights := make([]float64, n), make([]float64, n)
	ats, positions := make([]time.Time, n), make([]int64, n)
	for i, r := range *rows {
		ids[i], tenants[i], pillars[i], sources[i], reasons[i] = r.id, r.tenant, r.sig.Pillar, r.sig.Source, r.sig.Reason
		scores[i], weights[i], ats[i], positions[i] = r.sig.Score, r.sig.Weight, r.sig.At, r.position
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.signals (id, tenant_id, pillar, score, weight, at, source, reason, position)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::timestamptz[], $7::text[], $8::text[], $9::bigint[])
		ON CONFLICT (id) DO NOTHING`, ids, tenants, pillars, scores, weights, ats, sources, reasons, positions); err != nil {
		return err
	}
	*rows = (*rows)[:0]
	return nil
}

type signalRow struct {
	id, tenant string
	sig        trust.Signal
	position   int64
}

// reconfigure stores a new decay configuration and rebuilds the tenant's
// aggregates from its recorded signals under it.
func reconfigure(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, cfg trust.DecayConfig, b *batch) error {
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.config (tenant_id, decay, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET decay = excluded.decay, updated_at = excluded.updated_at`, e.TenantID, cfg, e.Time); err != nil {
		return err
	}
	ts, err := b.load(ctx, tx, s, e.TenantID)
	if err != nil {
		return err
	}
	ts.cfg = cfg
	ts.states = map[string]*trust.PillarState{}
	rows, err := tx.Query(ctx, `SELECT pillar, score, weight, at FROM `+s+`.signals WHERE tenant_id = $1 ORDER BY position`, e.TenantID)
	if err != nil {
		return err
	}
	sigs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (trust.Signal, error) {
		var sig trust.Signal
		return sig, r.Scan(&sig.Pillar, &sig.Score, &sig.Weight, &sig.At)
	})
	if err != nil {
		return err
	}
	for _, sig := range sigs {
		st, ok := ts.states[sig.Pillar]
		if !ok {
			st = &trust.PillarState{}
			ts.states[sig.Pillar] = st
		}
		st.Add(sig, cfg.Pillars[sig.Pillar])
	}
	for _, p := range trust.Pillars {
		if ts.states[p] != nil {
			ts.dirty[p] = true
			continue
		}
		delete(ts.dirty, p)
		if _, err := tx.Exec(ctx, `DELETE FROM `+s+`.pillar_state WHERE tenant_id = $1 AND pillar = $2`, e.TenantID, p); err != nil {
			return err
		}
	}
	return nil
}
