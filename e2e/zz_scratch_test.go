package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

func TestScratchRestartStall(t *testing.T) {
	cfg := processConfig(t)
	cfg.LogLevel = "debug"
	p := testkit.StartProcess(t, cfg)
	db := openDB(t, cfg)
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	createUser(t, p.URL, token, "a@s.test", "A")
	timeCreate := func(what, email string) {
		start := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-done:
					return
				case <-time.After(500 * time.Millisecond):
				}
				var head, cp int64
				var offs string
				_ = db.QueryRow(context.Background(), `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint),
				(SELECT string_agg(generation||'/'||partition||':'||next_offset||'@'||last_position, ' ') FROM projection_offsets)`).Scan(&head, &cp, &offs)
				t.Logf("  %s head %d cp %d offs %s", time.Since(start).Round(time.Millisecond), head, cp, offs)
			}
		}()
		a := mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/users", token, map[string]string{"email": email, "name": "x", "role": "viewer"})
		done <- struct{}{}
		t.Logf("%s: first write %d in %s consistency=%s", what, a.Status, time.Since(start), a.Header.Get("X-Astra-Consistency"))
	}
	p.Stop()
	p = testkit.StartProcess(t, cfg)
	timeCreate("after SIGTERM restart", "b@s.test")
	p.Stop()
	t.Logf("log:\n%s", p.Log)
}
