package cluster

import (
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestCluster_AgentKillReachesEveryInstanceWithinOneSecond runs two
// instances on one database and one broker. An agent killed on A has its
// next gateway request on B refused within one second; a quarantine and a
// release on A likewise; and a WebSocket subscriber of B to
// aegis.kill_switch.activated receives the kill.
func TestCluster_AgentKillReachesEveryInstanceWithinOneSecond(t *testing.T) {
	a, b := pair(t)

	admin := a.AdminToken(t)
	secret, keyID := a.NewAPIKey(t, admin, "agent-key", "gateway:read", "gateway:write")
	r := a.Do(t, http.MethodPost, "/api/v1/aegis/agents", admin, map[string]any{"name": "ops-agent", "owner": "sre", "model": "mock-small",
		"api_key_ids": []string{keyID}})
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	var agent struct {
		ID string `json:"id"`
	}
	r.Data(t, &agent)
	chat := func(in *testkit.Instance) int {
		return in.DoRaw(t, http.MethodPost, "/api/v1/gateway/chat/completions", secret, map[string]any{"provider": "mock", "model": "mock-small",
			"messages": []map[string]string{{"role": "user", "content": "status?"}}}).Status
	}
	// B learns of the agent from the log; its traffic passes there.
	testkit.Eventually(t, 10*time.Second, "the agent's traffic served by B", func() bool { return chat(b) == http.StatusOK })

	ws := b.DialWS(t, admin)
	ws.Subscribe("", "aegis.kill_switch.activated")

	contain := func(action string) time.Time {
		t.Helper()
		start := time.Now()
		if r := a.Do(t, http.MethodPost, "/api/v1/aegis/agents/"+agent.ID+"/"+action, admin, map[string]string{"reason": "cluster test"}); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", action, r.Status, r.Body)
		}
		return start
	}

	start := contain("quarantine")
	if s := chat(a); s != http.StatusForbidden {
		t.Fatalf("A right after the quarantine: %d", s)
	}
	withinASecond(t, "quarantine refused on B", start, func() bool { return chat(b) == http.StatusForbidden })
	start = contain("release")
	withinASecond(t, "release admitted on B", start, func() bool { return chat(b) == http.StatusOK })

	start = contain("kill")
	if s := chat(a); s != http.StatusForbidden && s != http.StatusUnauthorized {
		t.Fatalf("A right after the kill: %d", s)
	}
	withinASecond(t, "kill refused on B", start, func() bool { s := chat(b); return s == http.StatusForbidden || s == http.StatusUnauthorized })
	evs := ws.Events(5*time.Second, func(e []map[string]any) bool {
		for _, x := range e {
			if x["type"] == "com.astra.aegis.KillSwitchActivated" {
				return true
			}
		}
		return false
	})
	var got map[string]any
	for _, x := range evs {
		if x["type"] == "com.astra.aegis.KillSwitchActivated" {
			got = x
		}
	}
	if got == nil || got["subject"] != agent.ID {
		t.Fatalf("B's subscriber to aegis.kill_switch.activated got %v", evs)
	}
	t.Logf("kill switch event on B's live stream after %s", time.Since(start).Round(time.Millisecond))
	// The keys are then revoked through IAM, on both instances.
	testkit.Eventually(t, 10*time.Second, "the killed agent's key revoked on B", func() bool { return chat(b) == http.StatusUnauthorized })
}
