package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/testkit"
)

type projectionStatus struct {
	Name   string `json:"name"`
	Active int    `json:"active_generation"`
	Lag    int64  `json:"lag"`
}

// iamStatus reads the iam projection from GET /api/v1/admin/projections.
func iamStatus(t testing.TB, base, token string) projectionStatus {
	t.Helper()
	a := mustCall(t, http.MethodGet, base+"/api/v1/admin/projections", token, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("projections: %d %.400s", a.Status, a.Body)
	}
	var ps []projectionStatus
	a.data(t, &ps)
	for _, p := range ps {
		if p.Name == "iam" {
			return p
		}
	}
	t.Fatalf("no iam projection in %s", a.Body)
	return projectionStatus{}
}

// settle waits until Kafka holds the whole ledger and the active iam
// generation applied all of it.
func settle(t testing.TB, db *pgxpool.Pool, base, token string) {
	t.Helper()
	waitRelayed(t, db)
	testkit.Eventually(t, 60*time.Second, "the iam projection to catch up", func() bool {
		return iamStatus(t, base, token).Lag == 0
	})
}

// rebuildAndWait asks the running service to rebuild iam and waits for the switch.
func rebuildAndWait(t testing.TB, base, token string) int {
	t.Helper()
	a := mustCall(t, http.MethodPost, base+"/api/v1/admin/projections/iam/rebuild", token, nil)
	if a.Status != http.StatusAccepted {
		t.Fatalf("rebuild: %d %.400s", a.Status, a.Body)
	}
	var started struct {
		Generation int `json:"generation"`
	}
	a.data(t, &started)
	testkit.Eventually(t, 90*time.Second, "the rebuilt generation to go live", func() bool {
		return iamStatus(t, base, token).Active >= started.Generation
	})
	if got := iamStatus(t, base, token).Active; got != started.Generation {
		t.Fatalf("active generation %d, rebuilt %d", got, started.Generation)
	}
	return started.Generation
}

func TestReplay_RebuildsIdenticalReadModels(t *testing.T) {
	lap := stopwatch(t)
	cfg := processConfig(t)
	cfg.ReadYourWrites = 4 * time.Second
	p := testkit.StartProcess(t, cfg)
	lap("start")
	admin := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	db := openDB(t, cfg)

	// A mixed workload in two tenants: creations, renames, role changes,
	// deactivations, logins and a refresh-token rotation.
	a := mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/tenants", admin, map[string]any{"name": "Replayco",
		"admin": map[string]string{"email": "admin@replayco.test", "password": "replayco-admin-password"}})
	if a.Status != http.StatusCreated {
		t.Fatalf("create tenant: %d %.400s", a.Status, a.Body)
	}
	other := login(t, p.URL, "admin@replayco.test", "replayco-admin-password")
	for tn, token := range map[string]string{"default": admin, "replayco": other} {
		for i := 0; i < 6; i++ {
			u := createUser(t, p.URL, token, fmt.Sprintf("u%d@%s.replay.test", i, tn), fmt.Sprintf("User %d of %s", i, tn))
			switch i % 3 {
			case 1:
				if a := mustCall(t, http.MethodPatch, p.URL+"/api/v1/iam/users/"+u.ID, token,
					map[string]string{"name": "Renamed " + strconv.Itoa(i), "role": "auditor"}, "If-Match", "1"); a.Status != http.StatusOK {
					t.Fatalf("patch: %d %.400s", a.Status, a.Body)
				}
			case 2:
				if a := mustCall(t, http.MethodDelete, p.URL+"/api/v1/iam/users/"+u.ID, token, nil, "If-Match", "1"); a.Status != http.StatusOK {
					t.Fatalf("deactivate: %d %.400s", a.Status, a.Body)
				}
			}
		}
	}
	r := mustCall(t, http.MethodPost, p.URL+"/api/v1/auth/login", "", map[string]string{"email": testkit.AdminEmail, "password": testkit.AdminPassword})
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	r.data(t, &tok)
	if a := mustCall(t, http.MethodPost, p.URL+"/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}); a.Status != http.StatusOK {
		t.Fatalf("refresh: %d %.400s", a.Status, a.Body)
	}

	settle(t, db, p.URL, admin)
	lap("mixed workload")
	gen1, schema1 := activeSchema(t, db, "iam")
	live := dumpIAM(t, db, schema1)
	if rows(t, live, "tenants") != 2 || rows(t, live, "users") != 14 || rows(t, live, "sessions") < 3 {
		t.Fatalf("unexpected live read model: %d tenants, %d users, %d sessions",
			rows(t, live, "tenants"), rows(t, live, "users"), rows(t, live, "sessions"))
	}

	// `astra replay` and `astra replay iam` with the service stopped.
	p.Stop()
	prev := gen1
	for _, args := range [][]string{{"replay"}, {"replay", "iam"}} {
		out := mustAstra(t, cfg, args...)
		gen, schema := activeSchema(t, db, "iam")
		if gen <= prev {
			t.Fatalf("astra %v: active generation %d, was %d\n%s", args, gen, prev, out)
		}
		prev = gen
		sameDump(t, fmt.Sprintf("astra %v (generation %d vs live %d)", args, gen, gen1), live, dumpIAM(t, db, schema))
		lap(fmt.Sprintf("astra %v", args))
	}

	// Restarted after the replay, the service serves its writers at once: the
	// stopped service and the replay left no consumer-group member behind that
	// would hold the projection until its session timed out.
	p = testkit.StartProcess(t, cfg)
	first := mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/users", admin,
		map[string]string{"email": "first-after-replay@replay.test", "name": "First", "role": "viewer"})
	if first.Status != http.StatusCreated || first.Header.Get("X-Astra-Consistency") != "strong" {
		t.Fatalf("first write after the replay: %d, consistency %q (read-your-writes bound %s)",
			first.Status, first.Header.Get("X-Astra-Consistency"), cfg.ReadYourWrites)
	}
	lap("restart and first write")

	// A rebuild through the API while the service runs and takes writes.
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		mu      sync.Mutex
		written = map[string]int64{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			a, err := call(http.MethodPost, p.URL+"/api/v1/iam/users", admin,
				map[string]string{"email": fmt.Sprintf("during-rebuild-%d@replay.test", i), "name": "During " + strconv.Itoa(i), "role": "viewer"})
			var u user
			if err != nil || a.Status != http.StatusCreated || a.decode(&u) != nil {
				continue
			}
			mu.Lock()
			written[u.ID] = u.Version
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	testkit.Eventually(t, 10*time.Second, "the write load to start", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(written) >= 3
	})
	mu.Lock()
	before := len(written)
	mu.Unlock()
	gen4 := rebuildAndWait(t, p.URL, admin)
	mu.Lock()
	during := len(written) - before
	mu.Unlock()
	if during == 0 {
		t.Fatal("no write was answered while the rebuild ran")
	}
	time.Sleep(500 * time.Millisecond) // writes keep landing on the new generation
	stop.Store(true)
	wg.Wait()
	if len(written) < 5 {
		t.Fatalf("only %d writes went through during the rebuild", len(written))
	}
	settle(t, db, p.URL, admin)
	lap(fmt.Sprintf("rebuild under load (%d writes, %d while building)", len(written), during))

	// Every write is readable, and the generation built under load equals the
	// ledger: one row per created user at its stream's version.
	for id, v := range written {
		if st, u := getUser(t, p.URL, admin, id); st != http.StatusOK || u.Version != v {
			t.Fatalf("user %s written during the rebuild: %d %+v", id, st, u)
		}
	}
	_, schema4 := activeSchema(t, db, "iam")
	underLoad := dumpIAM(t, db, schema4)
	wantUsers := scalar[int](t, db, `SELECT count(*) FROM events WHERE type = 'com.astra.iam.UserCreated'`)
	if got := rows(t, underLoad, "users"); got != wantUsers || got != 15+len(written) {
		t.Fatalf("generation %d has %d users, the ledger %d, %d were written", gen4, got, wantUsers, 15+len(written))
	}
	if n := scalar[int](t, db, `SELECT count(*) FROM `+schema4+`.users u JOIN streams s ON s.stream_id = 'iam.user-' || u.id
		WHERE s.version <> u.version`); n != 0 {
		t.Fatalf("%d users of generation %d are not at their ledger version", n, gen4)
	}
	// And it equals a generation rebuilt from the quiet log.
	gen5 := rebuildAndWait(t, p.URL, admin)
	_, schema5 := activeSchema(t, db, "iam")
	sameDump(t, fmt.Sprintf("generation %d rebuilt under load vs %d rebuilt quietly", gen4, gen5), underLoad, dumpIAM(t, db, schema5))
	lap("quiet rebuild")
}
