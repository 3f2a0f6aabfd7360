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

// Topics implements projections.Projection: the trust topic and every module
// that feeds a pillar.
func (Projection) Topics() []string {
	return []string{events.TopicFor("trust"), events.TopicFor("gateway"), events.TopicFor("risk")}
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

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	tenants := map[string]*tenantState{}
	load := func(tenant string) (*tenantState, error) {
		if ts, ok := tenants[tenant]; ok {
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
		tenants[tenant] = ts
		return ts, rows.Err()
	}
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
	var sigRows []signalRow
	for i := range evs {
		e := &evs[i]
		var err error
		switch e.Type {
		case trust.ScoreUpdated.CEType():
			var d trust.ScoreUpdatedV1
			if err = e.Decode(&d); err == nil {
				if _, err = tx.Exec(ctx, `INSERT INTO `+s+`.history (tenant_id, at, score, grade, previous, pillars, reason, known, position)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`, e.TenantID, d.At, d.Score, d.Grade, d.Previous, d.Pillars,
					d.Reason, d.Known, e.Position); err == nil {
					_, err = tx.Exec(ctx, `INSERT INTO `+s+`.scores (tenant_id, score, grade, known, pillars, at, signals, version)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id) DO UPDATE SET score = excluded.score, grade = excluded.grade,
						known = excluded.known, pillars = excluded.pillars, at = excluded.at, signals = excluded.signals, version = excluded.version`,
						e.TenantID, d.Score, d.Grade, d.Known, d.Pillars, d.At, d.Signals, e.Version)
				}
			}
		case trust.WeightsConfigured.CEType():
			var d trust.WeightsConfiguredV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.config (tenant_id, weights, updated_at) VALUES ($1, $2, $3)
					ON CONFLICT (tenant_id) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at`, e.TenantID, d.Weights, e.Time)
			}
		case trust.DecayConfigured.CEType():
			var d trust.DecayConfiguredV1
			if err = e.Decode(&d); err == nil {
				if err = flushSignals(ctx, tx, s, &sigRows); err == nil {
					err = reconfigure(ctx, tx, s, e, d.Config, tenants, load)
				}
			}
		default:
			sig, ok := trust.SignalFrom(e.Type, e.Data)
			if !ok || e.TenantID == "" {
				continue
			}
			sig.At = e.Time
			var ts *tenantState
			if ts, err = load(e.TenantID); err == nil {
				st, ok := ts.states[sig.Pillar]
				if !ok {
					st = &trust.PillarState{}
					ts.states[sig.Pillar] = st
				}
				st.Add(sig, ts.cfg.Pillars[sig.Pillar])
				ts.dirty[sig.Pillar] = true
				sigRows = append(sigRows, signalRow{id: e.ID.String(), tenant: e.TenantID, sig: sig, position: e.Position})
			}
		}
		if err != nil {
			return fmt.Errorf("projections/trust: %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
		}
	}
	if err := flushSignals(ctx, tx, s, &sigRows); err != nil {
		return err
	}
	for tenant, ts := range tenants {
		for p := range ts.dirty {
			if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.pillar_state (tenant_id, pillar, state, updated_at) VALUES ($1, $2, $3, now())
				ON CONFLICT (tenant_id, pillar) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, tenant, p, ts.states[p]); err != nil {
				return err
			}
		}
	}
	return nil
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
func reconfigure(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, cfg trust.DecayConfig,
	tenants map[string]*tenantState, load func(string) (*tenantState, error)) error {
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.config (tenant_id, decay, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET decay = excluded.decay, updated_at = excluded.updated_at`, e.TenantID, cfg, e.Time); err != nil {
		return err
	}
	ts, err := load(e.TenantID)
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
