package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// attempt is one write of the load and what the client learned of it.
type attempt struct {
	requestID string // X-Request-ID, recorded as the events' correlation id
	kind      string // create | patch
	userID    string // known for every patch and for answered creates
	version   int64  // the version the answer reported
	answered  bool   // a 2xx answer arrived
	status    int    // 0: transport error (no answer)
}

func TestCrash_Kill9UnderWriteLoad(t *testing.T) {
	lap := stopwatch(t)
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	lap("start")
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	db := openDB(t, cfg)
	ctx := context.Background()

	const writers = 8
	var (
		mu       sync.Mutex
		attempts []attempt
		stop     atomic.Bool
		wg       sync.WaitGroup
		acked    atomic.Int64
	)
	record := func(a attempt) {
		mu.Lock()
		attempts = append(attempts, a)
		mu.Unlock()
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				rid := fmt.Sprintf("e2e-crash-w%d-%d", w, i)
				a := attempt{requestID: rid, kind: "create"}
				ans, err := call(http.MethodPost, p.URL+"/api/v1/iam/users", token,
					map[string]string{"email": rid + "@crash.test", "name": "Crash " + rid, "role": "viewer"}, "X-Request-ID", rid)
				if err == nil {
					a.status = ans.Status
					var u user
					if ans.Status == http.StatusCreated && ans.decode(&u) == nil {
						a.userID, a.version, a.answered = u.ID, u.Version, true
						acked.Add(1)
					}
				}
				record(a)
				if !a.answered || i%2 == 1 {
					continue
				}
				prid := rid + "-patch"
				pa := attempt{requestID: prid, kind: "patch", userID: a.userID}
				ans, err = call(http.MethodPatch, p.URL+"/api/v1/iam/users/"+a.userID, token,
					map[string]string{"name": "Crash renamed " + rid}, "If-Match", `"1"`, "X-Request-ID", prid)
				if err == nil {
					pa.status = ans.Status
					var u user
					if ans.Status == http.StatusOK && ans.decode(&u) == nil {
						pa.version, pa.answered = u.Version, true
						acked.Add(1)
					}
				}
				record(pa)
			}
		}()
	}
	testkit.Eventually(t, 30*time.Second, "the load to get going", func() bool { return acked.Load() >= 50 })
	time.Sleep(2500 * time.Millisecond)
	stop.Store(true) // no new requests; those in flight meet the kill
	p.Kill()         // kill -9
	wg.Wait()

	lap("load and kill -9")
	var answered, lost, refused int
	for _, a := range attempts {
		switch {
		case a.answered:
			answered++
		case a.status == 0:
			lost++
		default:
			refused++
		}
	}
	t.Logf("load: %d attempts, %d answered 2xx, %d without answer, %d other answers", len(attempts), answered, lost, refused)
	if answered < 100 {
		t.Fatalf("only %d writes answered before the kill: the load is too light to prove anything", answered)
	}

	p = testkit.StartProcess(t, cfg)
	lap("restart")

	// Ledger: every answered write exactly once, any other attempt at most once.
	type key struct{ correlation, typ, subject string }
	counts := map[key]int{}
	rows, err := db.Query(ctx, `SELECT correlation_id, type, subject, count(*) FROM events
		WHERE correlation_id LIKE 'e2e-crash-%' GROUP BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	perAttempt := map[string]int{}
	for rows.Next() {
		var k key
		var n int
		if err := rows.Scan(&k.correlation, &k.typ, &k.subject, &n); err != nil {
			t.Fatal(err)
		}
		counts[k] += n
		if k.typ == "com.astra.iam.UserCreated" || k.typ == "com.astra.iam.UserUpdated" {
			perAttempt[k.correlation] += n
		}
	}
	rows.Close()
	unansweredRecorded := 0
	for _, a := range attempts {
		n := perAttempt[a.requestID]
		if n > 1 {
			t.Errorf("%s %s recorded %d times", a.kind, a.requestID, n)
		}
		if !a.answered {
			unansweredRecorded += n
			continue
		}
		typ := "com.astra.iam.UserCreated"
		if a.kind == "patch" {
			typ = "com.astra.iam.UserUpdated"
		}
		if got := counts[key{a.requestID, typ, a.userID}]; got != 1 {
			t.Errorf("answered %s %s (user %s) is in the ledger %d times", a.kind, a.requestID, a.userID, got)
		}
		if a.kind == "create" {
			if got := counts[key{a.requestID, "com.astra.iam.EmailClaimed", a.userID}]; got != 1 {
				t.Errorf("answered create %s claimed its address %d times", a.requestID, got)
			}
		}
	}
	t.Logf("%d writes without a 2xx answer were nevertheless recorded (once)", unansweredRecorded)
	if t.Failed() {
		t.FailNow()
	}

	lap("ledger checks")

	// Kafka: every ledger event exactly once, nothing that is not in the ledger,
	// in ledger order within each partition.
	waitRelayed(t, db)
	evs := ledger(t, db)
	onKafka := map[string]int{}
	for _, topic := range kafkaTopics(t, cfg.KafkaListen) {
		var last = map[int32]int64{}
		for _, m := range testkit.KafkaRecords(t, []string{cfg.KafkaListen}, topic) {
			onKafka[header(m, "ce_id")]++
			var pos int64
			fmt.Sscan(header(m, "ce_position"), &pos)
			if pos <= last[m.Partition] {
				t.Errorf("%s/%d: position %d after %d", topic, m.Partition, pos, last[m.Partition])
			}
			last[m.Partition] = pos
		}
	}
	for _, e := range evs {
		if n := onKafka[e.ID]; n != 1 {
			t.Errorf("ledger event %d (%s %s v%d) is on Kafka %d times", e.Position, e.Type, e.StreamID, e.Version, n)
		}
		delete(onKafka, e.ID)
	}
	for id, n := range onKafka {
		t.Errorf("Kafka holds %d record(s) with ce_id %q that the ledger does not have", n, id)
	}
	if t.Failed() {
		t.FailNow()
	}

	lap("Kafka checks")

	// Read model: every user in the ledger readable at its ledger version, and
	// at least at the version an answer reported.
	streamVersion, pending := map[string]int64{}, map[string]int64{}
	srows, err := db.Query(ctx, `SELECT substr(stream_id, 10), version FROM streams
		WHERE stream_id ~ '^iam\.user-[0-9a-f-]{36}$'`)
	if err != nil {
		t.Fatal(err)
	}
	for srows.Next() {
		var id string
		var v int64
		if err := srows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		streamVersion[id], pending[id] = v, v
	}
	srows.Close()
	if len(streamVersion) < answered/2 {
		t.Fatalf("only %d user streams in the ledger", len(streamVersion))
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(pending) > 0 {
		for id, v := range pending {
			st, u := getUser(t, p.URL, token, id)
			if st == http.StatusOK && u.Version == v {
				delete(pending, id)
				continue
			}
			if time.Now().After(deadline) {
				proj := mustCall(t, http.MethodGet, p.URL+"/api/v1/admin/projections", token, nil).Body
				p.Stop()
				t.Fatalf("%d recorded users not in the read model; user %s: %d version %d, ledger version %d\nprojections: %s\nlog:\n%s",
					len(pending), id, st, u.Version, v, proj, p.Log)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, a := range attempts {
		if !a.answered {
			continue
		}
		if v, ok := streamVersion[a.userID]; !ok || v < a.version {
			t.Errorf("answered %s %s: user %s at ledger version %d, answer said %d", a.kind, a.requestID, a.userID, v, a.version)
		}
	}
	// Exactly once: the tenant lists as many users as the ledger created.
	list := mustCall(t, http.MethodGet, p.URL+"/api/v1/iam/users?limit=1", token, nil)
	listed, ok := list.totalCount()
	if !ok {
		t.Fatalf("list users: %d %.400s", list.Status, list.Body)
	}
	created := scalar[int](t, db, `SELECT count(*) FROM events WHERE type = 'com.astra.iam.UserCreated' AND tenant_id = (
		SELECT tenant_id FROM events WHERE type = 'com.astra.iam.UserCreated' AND correlation_id LIKE 'e2e-crash-%' LIMIT 1)`)
	if listed != created {
		t.Fatalf("the read model lists %d users, the ledger created %d", listed, created)
	}
	lap("read-model checks")
	if code, out := testkit.RunAstra(t, cfg, "verify"); code != 0 {
		t.Fatalf("verify after kill -9 exited %d:\n%s", code, out)
	}
	lap("astra verify")
}
