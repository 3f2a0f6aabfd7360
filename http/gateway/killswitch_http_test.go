package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type switchOut struct {
	ID                 string            `json:"id"`
	TenantID           string            `json:"tenant_id"`
	Scope              map[string]string `json:"scope"`
	Reason             string            `json:"reason"`
	Active             bool              `json:"active"`
	ActivatedBy        string            `json:"activated_by"`
	DeactivatedAt      *time.Time        `json:"deactivated_at"`
	DeactivationReason *string           `json:"deactivation_reason"`
}

func isKilled(t *testing.T, r *testkit.Response) bool {
	t.Helper()
	return r.Status == http.StatusServiceUnavailable && r.Problem(t).ErrorCode == "GW-001"
}

// testKillSwitch: every scope stops exactly its traffic within a second and
// resumes it on deactivation; global is for platform admins only; history.
func testKillSwitch(t *testing.T, in *testkit.Instance, admin string) {
	tenantID, ta := in.NewTenant(t, admin, "Kill")
	_, other := in.NewTenant(t, admin, "KillOther")
	_, dev := in.SignIn(t, ta, "dev@kill.test", "developer")
	key, keyID := in.NewAPIKey(t, ta, "kill-key", "gateway:read", "gateway:write")
	lb := newLoopback(t, "loop", "loop-chat")
	loop := registerLoopback(t, in, ta, lb, "", map[string]any{"max_retries": 0})
	flaky := newLoopback(t, "flaky", "flaky-chat")
	flaky.failWith.Store(http.StatusInternalServerError)
	registerLoopback(t, in, ta, flaky, "", map[string]any{"max_retries": 0, "breaker_failures": 100})
	toLoop := createPolicy(t, in, ta, map[string]any{"name": "falls-back-to-loop", "fallbacks": []map[string]string{{"provider": "loop", "model": "loop-chat"}}})
	pol := createPolicy(t, in, ta, map[string]any{"name": "killable"})

	activate := func(t *testing.T, tok string, kind, value, reason string) switchOut {
		t.Helper()
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", tok, map[string]any{"scope": map[string]string{"kind": kind, "value": value}, "reason": reason})
		wantStatus(t, r, http.StatusCreated)
		var s switchOut
		r.Data(t, &s)
		if !s.Active || s.Scope["kind"] != kind || s.Reason != reason {
			t.Fatalf("activated %+v", s)
		}
		return s
	}
	deactivate := func(t *testing.T, tok string, body map[string]any) switchOut {
		t.Helper()
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", tok, body)
		wantStatus(t, r, http.StatusOK)
		var s switchOut
		r.Data(t, &s)
		if s.Active || s.DeactivatedAt == nil {
			t.Fatalf("deactivated %+v", s)
		}
		return s
	}
	// within checks that cond holds within one second (the product's promise).
	within := func(t *testing.T, what string, cond func() bool) {
		t.Helper()
		testkit.Eventually(t, time.Second, what, cond)
	}
	userChat := func(model string, extra map[string]any) *testkit.Response {
		return chatWith(t, in, ta, "mock", model, "hello", extra)
	}
	keyChat := func() *testkit.Response { return chatWith(t, in, key, "mock", "mock-small", "hello", nil) }
	allOK := func(t *testing.T) {
		t.Helper()
		within(t, "traffic resumed", func() bool {
			return userChat("mock-small", nil).Status == http.StatusOK && keyChat().Status == http.StatusOK &&
				chatWith(t, in, ta, "loop", "loop-chat", "hi", nil).Status == http.StatusOK
		})
	}

	t.Run("tenant scope", func(t *testing.T) {
		s := activate(t, ta, "tenant", "", "tenant-wide incident")
		if s.TenantID != tenantID {
			t.Fatalf("switch %+v", s)
		}
		within(t, "the tenant's traffic stopped", func() bool {
			return isKilled(t, userChat("mock-small", nil)) && isKilled(t, keyChat()) &&
				isKilled(t, chatWith(t, in, ta, "loop", "loop-chat", "hi", nil))
		})
		okChat(t, in, other, "mock", "mock-small", "hello", nil) // another tenant is untouched
		// A simulation judges the policy, not today's switches.
		var sim struct {
			Allowed bool `json:"allowed"`
		}
		in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+pol.ID+"/simulate", ta, map[string]any{"prompt": "hello"}).Data(t, &sim)
		if !sim.Allowed {
			t.Fatal("simulate refused by the kill switch")
		}
		var state struct {
			Active []switchOut `json:"active"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/kill-switch", dev, nil).Data(t, &state)
		if len(state.Active) != 1 || state.Active[0].ID != s.ID {
			t.Fatalf("active %+v", state.Active)
		}
		// Activating the same scope again does not duplicate it.
		if again := activate(t, ta, "tenant", "", "tenant-wide incident"); again.ID != s.ID {
			t.Fatalf("duplicate switch %s vs %s", again.ID, s.ID)
		}
		deactivate(t, ta, map[string]any{"id": s.ID, "reason": "resolved"})
		allOK(t)
	})

	t.Run("provider scope", func(t *testing.T) {
		activate(t, ta, "provider", "loop", "loop provider misbehaves")
		within(t, "the provider's traffic stopped", func() bool {
			return isKilled(t, chatWith(t, in, ta, "loop", "loop-chat", "hi", nil))
		})
		okChat(t, in, ta, "mock", "mock-small", "other providers flow", nil)
		calls := lb.calls.Load()
		// Addressing the provider by its id does not get around the switch …
		r := chatWith(t, in, ta, loop.ID, "loop-chat", "by id", nil)
		if !isKilled(t, r) {
			t.Fatalf("provider addressed by id: %d %s", r.Status, r.Body)
		}
		raw, _, status := sse(t, in, "/api/v1/gateway/chat/completions", ta, map[string]any{"provider": loop.ID, "model": "loop-chat", "stream": true,
			"messages": []map[string]string{{"role": "user", "content": "by id, streamed"}}})
		if status != http.StatusServiceUnavailable || !strings.Contains(raw, "GW-001") {
			t.Fatalf("stream to the provider by id: %d %s", status, raw)
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": loop.ID, "model": "loop-chat", "input": []string{"x"}}),
			http.StatusServiceUnavailable, "GW-001")
		// … nor does a fallback to it.
		if r := chatWith(t, in, ta, "flaky", "flaky-chat", "fall back", map[string]any{"policy_id": toLoop.ID}); !isKilled(t, r) {
			t.Fatalf("fallback to a killed provider: %d %s", r.Status, r.Body)
		}
		if lb.calls.Load() != calls {
			t.Fatal("the killed provider was called")
		}
		deactivate(t, ta, map[string]any{"scope": map[string]string{"kind": "provider", "value": "loop"}, "reason": "fixed"})
		out := okChat(t, in, ta, "flaky", "flaky-chat", "fall back", map[string]any{"policy_id": toLoop.ID})
		if out.Choices[0].Message.Content != "loopback(loop-chat): fall back" {
			t.Fatalf("fallback after deactivation: %q", out.Choices[0].Message.Content)
		}
		allOK(t)
	})

	t.Run("model scope", func(t *testing.T) {
		activate(t, ta, "model", "mock-large", "model recalled")
		within(t, "the model's traffic stopped", func() bool { return isKilled(t, userChat("mock-large", nil)) })
		wantStatus(t, userChat("mock-small", nil), http.StatusOK)
		deactivate(t, ta, map[string]any{"scope": map[string]string{"kind": "model", "value": "mock-large"}, "reason": "fine again"})
		within(t, "the model flows", func() bool { return userChat("mock-large", nil).Status == http.StatusOK })
	})

	t.Run("policy scope", func(t *testing.T) {
		activate(t, ta, "policy", pol.ID, "policy under review")
		within(t, "the policy's traffic stopped", func() bool { return isKilled(t, userChat("mock-small", map[string]any{"policy_id": pol.ID})) })
		wantStatus(t, userChat("mock-small", nil), http.StatusOK)
		deactivate(t, ta, map[string]any{"scope": map[string]string{"kind": "policy", "value": pol.ID}, "reason": "reviewed"})
		within(t, "the policy flows", func() bool {
			return userChat("mock-small", map[string]any{"policy_id": pol.ID}).Status == http.StatusOK
		})
	})

	t.Run("api_key scope", func(t *testing.T) {
		activate(t, ta, "api_key", keyID, "key leaked")
		within(t, "the key's traffic stopped", func() bool { return isKilled(t, keyChat()) })
		wantStatus(t, userChat("mock-small", nil), http.StatusOK)
		// The drop-in refuses it in OpenAI's error shape.
		r := in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", key, map[string]any{"model": "mock/mock-small",
			"messages": []map[string]string{{"role": "user", "content": "hi"}}})
		var oe struct {
			Error struct {
				Code string `json:"code"`
				Type string `json:"type"`
			} `json:"error"`
		}
		r.JSON(t, &oe)
		if r.Status != http.StatusServiceUnavailable || oe.Error.Code != "GW-001" || oe.Error.Type != "astra_policy_violation" {
			t.Fatalf("drop-in under an api_key switch: %d %s", r.Status, r.Body)
		}
		deactivate(t, ta, map[string]any{"scope": map[string]string{"kind": "api_key", "value": keyID}, "reason": "rotated"})
		allOK(t)
	})

	t.Run("global scope: platform admins only", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", ta, map[string]any{"scope": map[string]string{"kind": "global"}, "reason": "not mine to pull"})
		wantProblem(t, r, http.StatusForbidden, "AUTH-006")
		s := activate(t, admin, "global", "", "platform-wide stop")
		within(t, "every tenant stopped", func() bool {
			return isKilled(t, userChat("mock-small", nil)) && isKilled(t, chatWith(t, in, other, "mock", "mock-small", "hi", nil))
		})
		var state struct {
			Active []switchOut `json:"active"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/kill-switch", ta, nil).Data(t, &state)
		if len(state.Active) != 1 || state.Active[0].Scope["kind"] != "global" {
			t.Fatalf("tenant's view of the global switch: %+v", state.Active)
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", ta, map[string]any{"id": s.ID, "reason": "let me through"}),
			http.StatusForbidden, "AUTH-006")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", ta, map[string]any{"scope": map[string]string{"kind": "global"}, "reason": "let me through"}),
			http.StatusForbidden, "AUTH-006")
		deactivate(t, admin, map[string]any{"scope": map[string]string{"kind": "global"}, "reason": "all clear"})
		allOK(t)
		okChat(t, in, other, "mock", "mock-small", "hello", nil)
	})

	t.Run("denials", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"scope": map[string]string{"kind": "galaxy"}, "reason": "bad kind"},
			{"scope": map[string]string{"kind": "provider"}, "reason": "no value"},
			{"scope": map[string]string{"kind": "tenant", "value": "x"}, "reason": "value on tenant"},
		} {
			wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", ta, body), http.StatusBadRequest, "VAL-001")
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", ta, map[string]any{"scope": map[string]string{"kind": "tenant"}, "reason": "x"}),
			http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", dev, map[string]any{"scope": map[string]string{"kind": "tenant"}, "reason": "developer"}),
			http.StatusForbidden, "AUTH-006")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", ta, map[string]any{"id": "01a218e2-16da-77dc-aa4b-8226e65d817f", "reason": "nothing"}),
			http.StatusNotFound, "GW-014")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", ta, map[string]any{"scope": map[string]string{"kind": "model", "value": "never"}, "reason": "nothing"}),
			http.StatusNotFound, "GW-014")
	})

	t.Run("history", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/gateway/kill-switch/history", dev, nil)
		var hist []switchOut
		r.Data(t, &hist)
		kinds := []string{}
		for _, s := range hist {
			if s.Active || s.DeactivatedAt == nil || s.DeactivationReason == nil || s.ActivatedBy == "" {
				t.Fatalf("history entry %+v", s)
			}
			kinds = append(kinds, s.Scope["kind"])
		}
		if got := strings.Join(kinds, ","); got != "global,api_key,policy,model,provider,tenant" {
			t.Fatalf("history kinds newest first: %s", got)
		}
		var theirs []switchOut
		in.Do(t, http.MethodGet, "/api/v1/gateway/kill-switch/history", other, nil).Data(t, &theirs)
		if len(theirs) != 1 || theirs[0].Scope["kind"] != "global" {
			t.Fatalf("another tenant's history: %+v", theirs)
		}
		if a, d := len(events(t, in, ta, "KillSwitchActivated")), len(events(t, in, ta, "KillSwitchDeactivated")); a != 5 || d != 5 {
			t.Fatalf("tenant events: %d activated, %d deactivated", a, d)
		}
		// A stopped request is audited as blocked by the kill switch.
		var blocked []requestOut
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests?blocked=true&limit=200", ta, nil).Data(t, &blocked)
		found := false
		for _, b := range blocked {
			found = found || (b.BlockedBy == "kill_switch" && b.ErrorCode == "GW-001" && b.Status == http.StatusServiceUnavailable)
		}
		if !found {
			t.Fatalf("no kill-switch block in the log: %+v", blocked)
		}
	})
}
