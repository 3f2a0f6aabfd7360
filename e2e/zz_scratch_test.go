package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

func TestScratchRestartStall(t *testing.T) {
	lap := stopwatch(t)
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	lap("start")
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	createUser(t, p.URL, token, "a@s.test", "A")
	lap("first user")
	timeCreate := func(what, email string) {
		start := time.Now()
		a := mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/users", token, map[string]string{"email": email, "name": "x", "role": "viewer"})
		t.Logf("%s: first write %d in %s consistency=%s", what, a.Status, time.Since(start), a.Header.Get("X-Astra-Consistency"))
	}
	p.Stop()
	lap("stop")
	p = testkit.StartProcess(t, cfg)
	lap("start")
	timeCreate("after SIGTERM restart", "b@s.test")
	p.Kill()
	lap("kill")
	p = testkit.StartProcess(t, cfg)
	lap("start")
	timeCreate("after kill -9 restart", "c@s.test")
	p.Stop()
	lap("stop")
	mustAstra(t, cfg, "replay")
	lap("replay")
	p = testkit.StartProcess(t, cfg)
	lap("start")
	timeCreate("after replay restart", "d@s.test")
}
