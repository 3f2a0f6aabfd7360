package trust

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the trust read models.
type Queries struct{ Runner *projections.Runner }

// Snapshot is what computing a tenant's score needs.
type Snapshot = trust.Snapshot

// Last is the last recorded score.
type Last = trust.LastScore

// Snapshot loads a tenant's aggregates, configuration and last recorded score.
func (q *Queries) Snapshot(ctx context.Context, tenantID string) (*Snapshot, error) {
	snap, _, err := q.Current(ctx, tenantID, time.Time{})
	return snap, err
}

// Current is Snapshot plus the recorded score at trendAt (for the trend),
// read in one round trip.
func (q *Queries) Current(ctx context.Context, tenantID string, trendAt time.Time) (*Snapshot, *float64, error) {
	out := &Snapshot{States: map[string]*trust.PillarState{}, Decay: trust.DefaultDecay(), Weights: map[string]float64{}}
	for k, v := range trust.DefaultWeights {
		out.Weights[k] = v
	}
	var prev *float64
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT pillar, state FROM `+s+`.pillar_state WHERE tenant_id = $1`, tenantID)
		b.Queue(`SELECT decay, weights FROM `+s+`.config WHERE tenant_id = $1`, tenantID)
		b.Queue(`SELECT score, grade, known, at, version, signals FROM `+s+`.scores WHERE tenant_id = $1`, tenantID)
		b.Queue(`SELECT score FROM `+s+`.history WHERE tenant_id = $1 AND at <= $2 ORDER BY at DESC, position DESC LIMIT 1`, tenantID, trendAt)
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var p string
			st := &trust.PillarState{}
			if err := rows.Scan(&p, st); err != nil {
				rows.Close()
				return err
			}
			out.States[p] = st
			out.Signals += st.Count
		}
		rows.Close()
		var decay, weights []byte
		err = br.QueryRow().Scan(&decay, &weights)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if decay != nil {
			_ = json.Unmarshal(decay, &out.Decay)
		}
		if weights != nil {
			_ = json.Unmarshal(weights, &out.Weights)
		}
		var l Last
		err = br.QueryRow().Scan(&l.Score, &l.Grade, &l.Known, &l.At, &l.Version, &l.Signals)
		if err == nil {
			out.Last = &l
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var v float64
		err = br.QueryRow().Scan(&v)
		if err == nil {
			prev = &v
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	return out, prev, err
}

// Tenants lists tenants that have trust signals.
func (q *Queries) Tenants(ctx context.Context) ([]string, error) {
	var out []string
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT tenant_id FROM `+s+`.pillar_state UNION SELECT tenant_id FROM `+s+`.config`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// Point is one point of the score history.
type Point struct {
	At      time.Time          `json:"at"`
	Score   float64            `json:"score"`
	Grade   string             `json:"grade"`
	Pillars map[string]float64 `json:"pillars"`
	Updates int                `json:"updates"`
}

// Granularities of the history, each with its date_trunc field.
var granularities = map[string]string{"hour": "'hour'", "day": "'day'", "week": "'week'"}

// Granularities lists the history's granularities.
var Granularities = []string{"hour", "day", "week"}

// History pages through recorded scores bucketed by hour, day or week (each
// point is the last score of its bucket, with the number of updates in it),
// newest first.
func (q *Queries) History(ctx context.Context, tenantID, granularity string, from, to time.Time, p projections.PageRequest) (projections.Page[Point], error) {
	g, ok := granularities[granularity]
	if !ok {
		return projections.Page[Point]{}, errors.New("projections/trust: unknown granularity " + granularity)
	}
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		bucket := func(alias string) string { return "date_trunc(" + g + ", " + alias + ".at)" }
		// $2 and $3 are the period (the first filter's arguments): the count
		// of a bucket's updates is the period's, as its point is.
		return projections.NewList(s+`.history h`, bucket("h")+`, h.score, h.grade, h.pillars,
			(SELECT count(*) FROM `+s+`.history c WHERE c.tenant_id = h.tenant_id AND `+bucket("c")+` = `+bucket("h")+` AND c.at >= $2 AND c.at < $3)`).
			Where("h.tenant_id = ? AND h.at >= ? AND h.at < ?", tenantID, from, to).
			Where(`NOT EXISTS (SELECT 1 FROM `+s+`.history n WHERE n.tenant_id = h.tenant_id AND `+bucket("n")+` = `+bucket("h")+`
				AND n.at >= ? AND n.at < ? AND n.position > h.position)`, from, to).
			OrderBy(true, projections.TimeKey(bucket("h")))
	}, p, func(r pgx.CollectableRow) (Point, error) {
		var p Point
		return p, r.Scan(&p.At, &p.Score, &p.Grade, &p.Pillars, &p.Updates)
	}, func(p Point) []any { return []any{p.At} })
}

// SignalFilter narrows SignalPage (zero values: any).
type SignalFilter struct {
	Pillar   string
	From, To time.Time
}

// SignalPage pages through a tenant's signals, newest first.
func (q *Queries) SignalPage(ctx context.Context, tenantID string, f SignalFilter, p projections.PageRequest) (projections.Page[trust.Signal], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.signals`, `id, pillar, score, weight, at, source, reason`).
			Where("tenant_id = ?", tenantID).
			WhereIf(f.Pillar != "", "pillar = ?", f.Pillar).
			WhereIf(!f.From.IsZero(), "at >= ?", f.From).
			WhereIf(!f.To.IsZero(), "at < ?", f.To).
			OrderBy(true, projections.TimeKey("at"), projections.TextKey("id"))
	}, p, func(r pgx.CollectableRow) (trust.Signal, error) {
		var x trust.Signal
		return x, r.Scan(&x.ID, &x.Pillar, &x.Score, &x.Weight, &x.At, &x.Source, &x.Reason)
	}, func(x trust.Signal) []any { return []any{x.At, x.ID} })
}

// ScoreAt is the last recorded score at or before t (nil when none).
func (q *Queries) ScoreAt(ctx context.Context, tenantID string, t time.Time) (*float64, error) {
	var out *float64
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		var v float64
		err := tx.QueryRow(ctx, `SELECT score FROM `+s+`.history WHERE tenant_id = $1 AND at <= $2 ORDER BY at DESC, position DESC LIMIT 1`, tenantID, t).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		out = &v
		return err
	})
	return out, err
}

// Signals lists a tenant's signals in a period (newest first, at most limit), optionally of one pillar.
func (q *Queries) Signals(ctx context.Context, tenantID, pillar string, from, to time.Time, limit int) ([]trust.Signal, error) {
	var out []trust.Signal
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id, pillar, score, weight, at, source, reason FROM `+s+`.signals
			WHERE tenant_id = $1 AND ($2 = '' OR pillar = $2) AND at >= $3 AND at < $4 ORDER BY at DESC, position DESC LIMIT $5`,
			tenantID, pillar, from, to, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (trust.Signal, error) {
			var x trust.Signal
			return x, r.Scan(&x.ID, &x.Pillar, &x.Score, &x.Weight, &x.At, &x.Source, &x.Reason)
		})
		return err
	})
	if out == nil {
		out = []trust.Signal{}
	}
	return out, err
}
