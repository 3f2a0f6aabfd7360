package trust_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/testkit"
)

// BenchmarkCurrentScore measures GET /api/v1/trust/scores/current through real
// HTTP with ASTRA_BENCH_SIGNALS (default 1,000,000) signals recorded for the
// tenant, and reports p50 and p99 latency.
//
//	go test -run '^$' -bench CurrentScore -benchtime 2000x ./http/trust/
func BenchmarkCurrentScore(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ASTRA_BENCH_SIGNALS")); err == nil && v > 0 {
		n = v
	}
	in := testkit.Start(b, nil)
	admin := in.AdminToken(b)
	me := in.Me(b, admin)
	ctx := context.Background()
	pool := in.Running.Stack.Pool
	schema := in.Running.Stack.Runner.Schema("trust")
	cfg := trust.DefaultDecay()
	states := map[string]*trust.PillarState{}
	start := time.Now()
	t0 := time.Now().Add(-90 * 24 * time.Hour)
	rows := make([][]any, 0, 50_000)
	flush := func() {
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{schema, "signals"}, []string{"id", "tenant_id", "pillar", "score", "weight", "at", "source", "reason", "position"},
			pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	for i := 0; i < n; i++ {
		p := trust.Pillars[i%len(trust.Pillars)]
		s := trust.Signal{Pillar: p, Score: float64(40 + i%60), Weight: 1, At: t0.Add(time.Duration(i) * 7 * time.Second)}
		st, ok := states[p]
		if !ok {
			st = &trust.PillarState{}
			states[p] = st
		}
		st.Add(s, cfg.Pillars[p])
		rows = append(rows, []any{uuid.Must(uuid.NewV7()).String(), me.TenantID, p, s.Score, 1.0, s.At, "bench", "bench", int64(i + 1)})
		if len(rows) == cap(rows) {
			flush()
		}
	}
	flush()
	for p, st := range states {
		if _, err := pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.pillar_state (tenant_id, pillar, state, updated_at) VALUES ($1, $2, $3, now())
			ON CONFLICT (tenant_id, pillar) DO UPDATE SET state = excluded.state`, schema), me.TenantID, p, st); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, fmt.Sprintf(`ANALYZE %s.signals`, schema)); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d signals in %s", n, time.Since(start).Round(time.Millisecond))
	req, _ := http.NewRequest(http.MethodGet, in.URL+"/api/v1/trust/scores/current", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%v %v", resp, err)
		}
		_ = resp.Body.Close()
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
