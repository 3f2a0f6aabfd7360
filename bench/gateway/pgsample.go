package gateway

import (
	"context"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// PGSample is one line of the Postgres sampling profile: how often a
// statement was seen running (or waiting, and on what) among the samples.
type PGSample struct {
	Wait      string  `json:"wait"` // CPU, or the wait event type/name
	Statement string  `json:"statement"`
	Samples   int     `json:"samples"`
	Share     float64 `json:"share"`
}

// pgSampler samples pg_stat_activity of the bench database every few
// milliseconds while it runs: a poor man's profile of where Postgres spends
// the time of the run (statements on CPU, and what the others wait for).
type pgSampler struct {
	pool   *pgxpool.Pool
	counts map[[2]string]int
	total  int
	stop   context.CancelFunc
	done   chan struct{}
}

func startPGSampler(pool *pgxpool.Pool) *pgSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &pgSampler{pool: pool, counts: map[[2]string]int{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for ctx.Err() == nil {
			rows, err := pool.Query(ctx, `SELECT coalesce(wait_event_type || '/' || wait_event, 'CPU'),
				left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_activity
				WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
				AND coalesce(wait_event_type, '') <> 'Client'`)
			if err != nil {
				return
			}
			for rows.Next() {
				var k [2]string
				if rows.Scan(&k[0], &k[1]) == nil {
					s.counts[k]++
					s.total++
				}
			}
			rows.Close()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return s
}

// result stops the sampler and returns the top n lines.
func (s *pgSampler) result(n int) []PGSample {
	s.stop()
	<-s.done
	var out []PGSample
	for k, c := range s.counts {
		out = append(out, PGSample{Wait: k[0], Statement: k[1], Samples: c, Share: round1(100 * float64(c) / float64(s.total))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Samples > out[j].Samples })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
