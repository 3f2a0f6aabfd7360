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

// History buckets recorded scores by hour, day or week (the last score of each bucket).
func (q *Queries) History(ctx context.Context, tenantID, granularity string, from, to time.Time) ([]Point, error) {
	var out []Point
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT DISTINCT ON (b) date_trunc($2, at) AS b, score, grade, pillars, count(*) OVER (PARTITION BY date_trunc($2, at))
			FROM `+s+`.history WHERE tenant_id = $1 AND at >= $3 AND at < $4 ORDER BY b, position DESC`, tenantID, granularity, from, to)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Point, error) {
			var p Point
			return p, r.Scan(&p.At, &p.Score, &p.Grade, &p.Pillars, &p.Updates)
		})
		return err
	})
	if out == nil {
		out = []Point{}
	}
	return out, err
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
