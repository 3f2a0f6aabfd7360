package platformmod_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// officialVerify checks signatures with the official Standard Webhooks
// library (npm standardwebhooks, run with node): "ok" or its error, per request.
func officialVerify(t *testing.T, secret string, got []received) []string {
	t.Helper()
	testkit.RequireTool(t, "node", "npm")
	dir := testkit.NodeProject(t, "http/platformmod/testdata/standardwebhooks", "standardwebhooks/package.json")
	var in strings.Builder
	for _, g := range got {
		line, _ := json.Marshal(map[string]any{"secret": secret, "body": string(g.Body), "headers": map[string]string{
			"webhook-id": g.Header.Get("webhook-id"), "webhook-timestamp": g.Header.Get("webhook-timestamp"),
			"webhook-signature": g.Header.Get("webhook-signature")}})
		in.Write(line)
		in.WriteByte('\n')
	}
	cmd := exec.Command("node", "verify.mjs")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node verify.mjs: %v", err)
	}
	return strings.Fields(strings.TrimSpace(strings.ReplaceAll(string(out), "error: ", "error:")))
}

// TestIntegrations_TwoInstancesNeverDeliverOneEventTwiceConcurrently runs
// two instances on one database and broker; both deliver (each claims due
// rows). Every event arrives exactly once, never two copies in flight at
// once, and the official Standard Webhooks library verifies every signature.
func TestIntegrations_TwoInstancesNeverDeliverOneEventTwiceConcurrently(t *testing.T) {
	rc := newReceiver(t)
	rc.delay = 20 * time.Millisecond
	a := start(t, rc)
	cfg := testkit.Config(t)
	cfg.DatabaseURL, cfg.KafkaBrokers = a.Cfg.DatabaseURL, []string{a.BrokerAddr()}
	cfg.AllowPrivateURLs, cfg.OutboundCAFile, cfg.WebhookRetryScale = a.Cfg.AllowPrivateURLs, a.Cfg.OutboundCAFile, a.Cfg.WebhookRetryScale
	b := testkit.Start(t, &cfg)

	admin := a.AdminToken(t)
	i := configure(t, a, admin, map[string]any{"name": "cluster", "url": rc.srv.URL, "event_types": []string{"com.astra.iam.UserCreated"}})
	const users = 40
	var wg sync.WaitGroup
	for k := 0; k < users; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			in := a
			if k%2 == 1 {
				in = b
			}
			r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": fmt.Sprintf("u%d@cluster.test", k), "name": "U",
				"role": "viewer", "password": testkit.UserPassword})
			if r.Status != http.StatusCreated {
				t.Errorf("create user %d: %d", k, r.Status)
			}
		}(k)
	}
	wg.Wait()
	testkit.Eventually(t, 30*time.Second, "every user's event delivered", func() bool {
		return len(rc.ofType("com.astra.iam.UserCreated")) >= users
	})
	time.Sleep(2 * time.Second)
	got := rc.ofType("com.astra.iam.UserCreated")
	ids := map[string]int{}
	for _, g := range got {
		ids[g.Header.Get("webhook-id")]++
	}
	if len(got) != users || len(ids) != users {
		t.Fatalf("%d requests for %d events, want %d each once", len(got), len(ids), users)
	}
	rc.mu.Lock()
	overlap := rc.overlap
	rc.mu.Unlock()
	if len(overlap) > 0 {
		t.Fatalf("events delivered twice at once: %v", overlap)
	}
	// Both instances delivered (each claims what is due when it looks).
	var claimers int
	if err := a.Running.Stack.Pool.QueryRow(t.Context(), `SELECT count(DISTINCT delivered_by) FROM platform_deliveries`).Scan(&claimers); err != nil {
		t.Fatal(err)
	}
	for n, res := range officialVerify(t, i.Secret, got) {
		if res != "ok" {
			t.Fatalf("standardwebhooks rejects delivery %d: %s", n, res)
		}
	}
	t.Logf("%d events, each delivered once, by %d instances; the official library verified every signature", users, claimers)
}
