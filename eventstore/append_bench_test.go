package eventstore_test

import (
	"context"
	"errors"
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
	cfg.KafkaPartitions = 6 // a cluster's default (the embedded broker's is 1); kept for comparable figures
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

// TestAppendGroupCommitSemantics is the quick check behind BenchmarkAppend:
// under concurrent group-committed appends, expected versions reject stale
// writes, a retried append with the same event ids records nothing new,
// positions are gapless and every hash chain verifies.
func TestAppendGroupCommitSemantics(t *testing.T) {
	st := openStack(t)
	ctx := context.Background()
	meta := eventstore.Metadata{TenantID: "t1", Actor: "test"}
	draft := func(id uuid.UUID) []eventstore.Draft {
		return []eventstore.Draft{{ID: id, Type: iam.UserUpdated, Subject: "u", Data: &iam.UserUpdatedV1{UserID: "u"}}}
	}
	const writers, each = 16, 20
	var wg sync.WaitGroup
	var conflicts atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := fmt.Sprintf("test.own-%d", w)
			for v := range int64(each) {
				if _, err := st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: mine, Expected: v, Events: draft(uuid.Nil)}); err != nil {
					t.Error(err)
					return
				}
				// Every writer also races for the shared stream at version v.
				_, err := st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "test.shared", Expected: v, Events: draft(uuid.Nil)})
				var ce *eventstore.ConcurrencyError
				switch {
				case errors.As(err, &ce):
					conflicts.Add(1)
				case err != nil:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	shared, err := st.Store.StreamVersion(ctx, "test.shared")
	if err != nil {
		t.Fatal(err)
	}
	if shared+conflicts.Load() != writers*each {
		t.Fatalf("shared stream at %d with %d conflicts, want them to add up to %d", shared, conflicts.Load(), writers*each)
	}

	id := uuid.Must(uuid.NewV7())
	first, err := st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "test.retry", Expected: eventstore.NoStream, Events: draft(id)})
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "test.retry", Expected: eventstore.NoStream, Events: draft(id)})
	if err != nil || len(again) != 1 || again[0].Position != first[0].Position {
		t.Fatalf("retry: %v %+v, want the recorded event at %d", err, again, first[0].Position)
	}

	head, err := st.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers*each + shared + 1; head != want {
		t.Fatalf("head %d, want %d", head, want)
	}
	rep, err := eventstore.Verify(ctx, st.Pool, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.EventsChecked != head {
		t.Fatalf("verify: %+v", rep)
	}
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
