package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestCrash_Kill9UnderGatewayLoad: the gateway keeps each request record in
// its journal before it answers and ships it to the ledger right after
// (decision 0031). Under load, the process is killed with SIGKILL; after a
// restart on the same data directory, every answered request has exactly
// one record in the ledger, an unanswered one at most one, the request log
// lists what the ledger holds, and the ledger verifies.
func TestCrash_Kill9UnderGatewayLoad(t *testing.T) {
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	db := openDB(t, cfg)

	type try struct {
		id       string
		answered bool
	}
	const writers = 8
	var (
		mu    sync.Mutex
		tries []try
		stop  atomic.Bool
		acked atomic.Int64
		wg    sync.WaitGroup
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("e2e-gwcrash-w%d-%d", w, i)
				a, err := call(http.MethodPost, p.URL+"/api/v1/gateway/chat/completions", token, map[string]any{
					"provider": "mock", "model": "mock-small",
					"messages": []map[string]string{{"role": "user", "content": "Summarise the quarter, request " + id}},
				}, "X-Request-ID", id)
				answered := err == nil && a.Status == http.StatusOK
				if answered {
					acked.Add(1)
				}
				mu.Lock()
				tries = append(tries, try{id: id, answered: answered})
				mu.Unlock()
			}
		}()
	}
	testkit.Eventually(t, 30*time.Second, "the load to get going", func() bool { return acked.Load() >= 100 })
	time.Sleep(1500 * time.Millisecond)
	stop.Store(true)
	p.Kill() // kill -9, with requests in flight
	wg.Wait()

	answered := 0
	for _, tr := range tries {
		if tr.answered {
			answered++
		}
	}
	journaled := 0
	segs, _ := filepath.Glob(filepath.Join(cfg.DataDir, "gateway-journal", "journal-*.ndjson"))
	for _, s := range segs {
		b, _ := os.ReadFile(s)
		journaled += strings.Count(string(b), "\n")
	}
	shippedBefore := scalar[int](t, db, `SELECT count(*) FROM events WHERE correlation_id LIKE 'e2e-gwcrash-%'
		AND type LIKE 'com.astra.gateway.Request%'`)
	t.Logf("load: %d requests, %d answered; at the kill the journal held %d records, the ledger %d of them",
		len(tries), answered, journaled, shippedBefore)
	if answered < 100 {
		t.Fatalf("only %d requests answered before the kill", answered)
	}

	p = testkit.StartProcess(t, cfg)
	token = login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)

	recorded := map[string]int{}
	rows, err := db.Query(t.Context(), `SELECT correlation_id, count(*) FROM events
		WHERE correlation_id LIKE 'e2e-gwcrash-%' AND type LIKE 'com.astra.gateway.Request%' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		recorded[id] = n
	}
	rows.Close()
	unansweredRecorded := 0
	for _, tr := range tries {
		n := recorded[tr.id]
		switch {
		case n > 1:
			t.Errorf("request %s recorded %d times", tr.id, n)
		case tr.answered && n != 1:
			t.Errorf("answered request %s has %d records in the ledger", tr.id, n)
		case !tr.answered:
			unansweredRecorded += n
		}
	}
	t.Logf("%d requests without an answer were recorded nevertheless (once)", unansweredRecorded)
	if t.Failed() {
		t.FailNow()
	}

	// The request log lists every request record of the ledger.
	inLedger := scalar[int](t, db, `SELECT count(*) FROM events WHERE type LIKE 'com.astra.gateway.Request%'`)
	testkit.Eventually(t, 60*time.Second, "the request log to list every recorded request", func() bool {
		a := mustCall(t, http.MethodGet, p.URL+"/api/v1/gateway/requests?limit=1", token, nil)
		n, ok := a.totalCount()
		return ok && n == inLedger
	})
	if code, out := testkit.RunAstra(t, cfg, "verify"); code != 0 {
		t.Fatalf("verify after kill -9 exited %d:\n%s", code, out)
	}
}
