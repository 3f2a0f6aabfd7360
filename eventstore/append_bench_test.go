package eventstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// openBenchStack opens the real stack (fresh, migrated database; keyring;
// group-committing store) without a broker unless withBroker.
func openBenchStack(b *testing.B, withBroker bool) *app.Stack {
	b.Helper()
	cfg := testkit.Config(b)
	cfg.KafkaPartitions = 6 // the product's default
	st, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), withBroker)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	return st
}

// userUpdate is a realistic payload: a profile change with a sealed name.
func userUpdate(b *testing.B, st *app.Stack, tenant, userID string) *iam.UserUpdatedV1 {
	b.Helper()
	name, err := st.Keys.Seal(context.Background(), tenant, userID, "Ada Lovelace-Byron")
	if err != nil {
		b.Fatal(err)
	}
	role := iam.RoleDeveloper
	return &iam.UserUpdatedV1{UserID: userID, Name: &name, Role: &role}
}

// groupCommits reads the store's group-commit histogram: transactions and events so far.
func groupCommits(b *testing.B, st *app.Stack) (uint64, float64) {
	b.Helper()
	for _, c := range st.Store.Collectors() {
		h, ok := c.(prometheus.Histogram)
		if !ok || !strings.Contains(h.Desc().String(), "group_commit_events") {
			continue
		}
		var m dto.Metric
		if err := h.Write(&m); err != nil {
			b.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
	}
	return 0, 0
}

// percentile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// BenchmarkAppend measures Store.Append with 1, 16 and 64 concurrent writers.
// One op is one append of one event to the writer's own stream with the
// expected version checked; the group committer batches concurrent appends.
//
//	go test -run '^$' -bench BenchmarkAppend -benchtime 20000x ./eventstore/
func BenchmarkAppend(b *testing.B) {
	st := openBenchStack(b, false)
	const tenant = "bench-tenant"
	payload := userUpdate(b, st, tenant, uuid.NewString())
	var runs atomic.Int64
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			run := runs.Add(1)
			ctx := context.Background()
			meta := eventstore.Metadata{TenantID: tenant, Actor: "bench", CorrelationID: uuid.NewString()}
			commits0, events0 := groupCommits(b, st)
			var next atomic.Int64
			lat := make([][]time.Duration, writers)
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stream := fmt.Sprintf("bench.append-%d-%d-%d", run, writers, w)
					var version int64
					mine := make([]time.Duration, 0, b.N/writers+1)
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						evs, err := st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: version,
							Events: []eventstore.Draft{{Type: iam.UserUpdated, Subject: payload.UserID, Data: payload}}})
						mine = append(mine, time.Since(t0))
						if err != nil {
							errs <- err
							return
						}
						version = evs[len(evs)-1].Version
					}
					lat[w] = mine
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			commits1, events1 := groupCommits(b, st)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			if commits1 > commits0 {
				b.ReportMetric((events1-events0)/float64(commits1-commits0), "events/commit")
			}
			b.ReportMetric(float64(percentile(all, 0.50).Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(percentile(all, 0.99).Microseconds())/1000, "p99_ms")
		})
	}
}
