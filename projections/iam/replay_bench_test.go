package iam_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
	"github.com/astrabastion/astra/testkit"
)

const benchTenant = "bench-tenant"

// benchEvents is the size of the ledger BenchmarkReplayUsers replays
// (ASTRA_BENCH_EVENTS, default one million).
func benchEvents(b *testing.B) int {
	b.Helper()
	v := os.Getenv("ASTRA_BENCH_EVENTS")
	if v == "" {
		return 1_000_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 10 {
		b.Fatalf("ASTRA_BENCH_EVENTS=%q: want an integer ≥ 10", v)
	}
	return n
}

// BenchmarkReplayUsers measures a rebuild of the iam projection from offset 0
// of a ledger of ASTRA_BENCH_EVENTS events: one tenth UserCreated (invited
// users, sealed e-mail and name), the rest UserUpdated (a sealed new name,
// every third one a role change), spread over the users round by round.
//
// Setup (not timed): the events are appended through Store.Append in big
// appends, relayed to the embedded broker, and the live generation catches up.
// Timed, as `astra replay` does it in a fresh process (cold keyring, new
// runner with switch lag 0): Rebuild, Run, until the new generation is active.
// ASTRA_BENCH_CPUPROFILE=file writes a CPU profile of the timed part only.
//
//	ASTRA_BENCH_EVENTS=1000000 go test -run '^$' -bench BenchmarkReplayUsers -benchtime 1x -timeout 30m ./projections/iam/
func BenchmarkReplayUsers(b *testing.B) {
	total := benchEvents(b)
	users := max(1, total/10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	cfg := testkit.Config(b)
	cfg.KafkaPartitions = 6 // a cluster's default (the embedded broker's is 1); kept for comparable figures
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	st, err := app.Open(ctx, cfg, log, true)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	if err := st.Runner.Init(ctx); err != nil {
		b.Fatal(err)
	}
	setupCtx, stopSetup := context.WithCancel(ctx)
	var bg sync.WaitGroup
	relay := eventstore.NewRelay(st.Pool, st.Brokers, log)
	bg.Add(2)
	go func() { defer bg.Done(); _ = relay.Run(setupCtx) }()
	go func() { defer bg.Done(); _ = st.Runner.Run(setupCtx) }()

	t0 := time.Now()
	loadUsers(b, st, users, total)
	b.Logf("setup: appended %d events (%d users) in %s", total, users, time.Since(t0).Round(time.Millisecond))
	waitFor(b, 30*time.Minute, "the relay", func() bool {
		head, err1 := st.Store.Head(ctx)
		cp, err2 := eventstore.Checkpoint(ctx, st.Pool)
		return err1 == nil && err2 == nil && cp >= head
	})
	live := activeGeneration(b, st.Runner)
	waitFor(b, 30*time.Minute, "the live generation", func() bool {
		lag, err := st.Runner.Lag(ctx, rmiam.Name, live.Generation)
		return err == nil && lag == 0
	})
	b.Logf("setup: relayed and projected live in %s", time.Since(t0).Round(time.Millisecond))
	records := logSize(b, st.Runner, live.Generation)
	stopSetup()
	bg.Wait()

	// What `astra replay` does in a fresh process: a cold keyring and a new
	// runner with switch lag 0; Rebuild, Run, wait until the generation is live.
	keys, err := eventstore.NewKeyring(st.Pool, st.KEK)
	if err != nil {
		b.Fatal(err)
	}
	runner := projections.NewRunner(st.Pool, st.Brokers, log, &rmiam.Projection{Keys: keys})
	runner.SwitchLag = 0
	if err := runner.Init(ctx); err != nil {
		b.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer func() { stopRun(); bg.Wait() }()

	if path := os.Getenv("ASTRA_BENCH_CPUPROFILE"); path != "" {
		// Profiles the timed part only (go test -cpuprofile covers the setup too).
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	goCPU0, pgCPU0 := processCPU(), postgresCPU(b, st)
	b.ResetTimer()
	start := time.Now()
	var gen projections.Generation
	for i := range b.N {
		if gen, err = runner.Rebuild(ctx, rmiam.Name); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			bg.Add(1)
			go func() { defer bg.Done(); _ = runner.Run(runCtx) }()
		}
		lastLog := time.Now()
		waitFor(b, 30*time.Minute, "the rebuilt generation", func() bool {
			lag, err := runner.Lag(ctx, rmiam.Name, gen.Generation)
			if testing.Verbose() && time.Since(lastLog) >= 5*time.Second {
				lastLog = time.Now()
				b.Logf("replay: %s, %d of %d records applied", time.Since(start).Round(time.Second), records-lag, records)
			}
			if err != nil || lag > 0 {
				return false
			}
			if err := runner.SwitchIfCaughtUp(ctx); err != nil {
				b.Fatal(err)
			}
			return activeGeneration(b, runner).Generation == gen.Generation
		})
	}
	elapsed := time.Since(start)
	b.StopTimer()
	goCPU, pgCPU := processCPU()-goCPU0, postgresCPU(b, st)-pgCPU0
	b.ReportMetric(float64(records)*float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/replay")
	// CPU per event is what a busy machine distorts least: with 2 cores,
	// 50,000 events/s needs go+pg ≤ 40 µs/event (and enough parallelism).
	applied := float64(records) * float64(b.N)
	b.ReportMetric(float64(goCPU.Microseconds())/applied, "go_cpu_µs/event")
	if pgCPU > 0 {
		b.ReportMetric(float64(pgCPU.Microseconds())/applied, "pg_cpu_µs/event")
	}
	checkUsers(b, st, gen.Schema, users, int64(total))
}

// loadUsers appends users UserCreated events and total-users UserUpdated
// events, in rounds: every user is created, then updated round after round.
func loadUsers(b *testing.B, st *app.Stack, users, total int) {
	b.Helper()
	start := time.Now()
	ctx := context.Background()
	ids := make([]string, users)
	created := make([]*iam.UserCreatedV1, users)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sealErr error
	const sealers = 16
	for w := range sealers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := w; u < users; u += sealers {
				id := uuid.Must(uuid.NewV7()).String()
				email, err1 := st.Keys.Seal(ctx, benchTenant, id, fmt.Sprintf("user%d@bench.example", u))
				name, err2 := st.Keys.Seal(ctx, benchTenant, id, fmt.Sprintf("Bench User %d", u))
				if err := firstErr(err1, err2); err != nil {
					mu.Lock()
					sealErr = err
					mu.Unlock()
					return
				}
				inv := sha256.Sum256([]byte("inv_" + id))
				ids[u] = id
				created[u] = &iam.UserCreatedV1{UserID: id, TenantID: benchTenant, Email: email, Name: name,
					Role: iam.RoleViewer, InvitationHash: hex.EncodeToString(inv[:]), Status: iam.StatusInvited}
			}
		}()
	}
	wg.Wait()
	if sealErr != nil {
		b.Fatal(sealErr)
	}
	b.Logf("setup: %d subject keys created and users sealed in %s", users, time.Since(start).Round(time.Millisecond))

	meta := eventstore.Metadata{TenantID: benchTenant, Actor: "bench-admin", CorrelationID: uuid.NewString()}
	const perAppend = 5000
	sem := make(chan struct{}, 2)
	var appendErr error
	flush := func(appends []eventstore.StreamAppend) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := st.Store.Append(ctx, meta, appends...); err != nil {
				mu.Lock()
				appendErr = err
				mu.Unlock()
			}
		}()
	}
	roles := []string{iam.RoleDeveloper, iam.RoleAuditor, iam.RoleViewer}
	for done, round := 0, 0; done < total; round++ {
		var appends []eventstore.StreamAppend
		for u := 0; u < users && done < total; u++ {
			var d eventstore.Draft
			if round == 0 {
				d = eventstore.Draft{Type: iam.UserCreated, Subject: ids[u], Data: created[u]}
			} else {
				name, err := st.Keys.Seal(ctx, benchTenant, ids[u], fmt.Sprintf("Bench User %d (rev %d)", u, round))
				if err != nil {
					b.Fatal(err)
				}
				upd := &iam.UserUpdatedV1{UserID: ids[u], Name: &name}
				if (u+round)%3 == 0 {
					upd.Role = &roles[(u+round)%len(roles)]
				}
				d = eventstore.Draft{Type: iam.UserUpdated, Subject: ids[u], Data: upd}
			}
			appends = append(appends, eventstore.StreamAppend{StreamID: iam.StreamOfUser(ids[u]), Expected: int64(round),
				Events: []eventstore.Draft{d}})
			done++
			if len(appends) == perAppend {
				flush(appends)
				appends = nil
			}
		}
		if len(appends) > 0 {
			flush(appends)
		}
		wg.Wait() // a round's appends land before the next round's (expected versions)
		if appendErr != nil {
			b.Fatal(appendErr)
		}
	}
}

// processCPU is the CPU time of this process (product code, the embedded
// broker and the benchmark itself).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the CPU time of the Postgres backends serving this
// benchmark's database, when the server runs on this machine (else 0).
func postgresCPU(b *testing.B, st *app.Stack) time.Duration {
	b.Helper()
	rows, err := st.Pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		b.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		b.Fatal(err)
	}
	var ticks int64
	for _, pid := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0 // not a local server
		}
		// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
		if len(f) < 13 {
			return 0
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += ut + stt
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func waitFor(b *testing.B, timeout time.Duration, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func activeGeneration(b *testing.B, r *projections.Runner) projections.Generation {
	b.Helper()
	gens, err := r.Generations(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, g := range gens {
		if g.Projection == rmiam.Name && g.Status == "active" {
			return g
		}
	}
	b.Fatal("no active iam generation")
	return projections.Generation{}
}

// logSize is the number of records on the projection's topics.
func logSize(b *testing.B, r *projections.Runner, gen int) int64 {
	b.Helper()
	offs, err := r.Offsets(context.Background(), rmiam.Name, gen)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, o := range offs {
		n += o.HighWater
	}
	return n
}

// checkUsers proves the rebuilt read model applied every event: one row per
// user, versions adding up to the event count, and names that open.
func checkUsers(b *testing.B, st *app.Stack, schema string, users int, total int64) {
	b.Helper()
	var n, versions int64
	var sample string
	err := st.Pool.QueryRow(context.Background(), `SELECT count(*), coalesce(sum(version), 0)::bigint,
		coalesce(min(name), '') FROM `+schema+`.users`).Scan(&n, &versions, &sample)
	if err != nil {
		b.Fatal(err)
	}
	if n != int64(users) || versions != total {
		b.Fatalf("rebuilt %s.users has %d rows with versions summing to %d, want %d and %d", schema, n, versions, users, total)
	}
	if len(sample) < 10 || sample[:10] != "Bench User" {
		b.Fatalf("names did not open: %q", sample)
	}
}
