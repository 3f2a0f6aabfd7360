package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type healthOut struct {
	State     string  `json:"circuit_state"`
	Requests  int64   `json:"requests"`
	Failures  int64   `json:"failures"`
	ErrorRate float64 `json:"error_rate"`
	Latency   float64 `json:"latency_ms_ewma"`
}

// testResilience: live provider checks, the circuit breaker seen through
// /health, and fallbacks answering for a failing provider.
func testResilience(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Resilience")
	primary := newLoopback(t, "primary", "primary-chat")
	backup := newLoopback(t, "backup", "backup-chat")
	pp := registerLoopback(t, in, ta, primary, "", map[string]any{"max_retries": 0, "breaker_failures": 3, "breaker_cooldown_s": 600, "timeout_ms": 3000})
	bp := registerLoopback(t, in, ta, backup, "", map[string]any{"max_retries": 0})
	health := func(t *testing.T, id string) healthOut {
		t.Helper()
		var h healthOut
		r := in.Do(t, http.MethodGet, "/api/v1/gateway/providers/"+id+"/health", ta, nil)
		wantStatus(t, r, http.StatusOK)
		r.Data(t, &h)
		return h
	}
	test := func(t *testing.T, id string) (ok bool, msg string, latency float64) {
		t.Helper()
		var out struct {
			OK        bool    `json:"ok"`
			LatencyMs float64 `json:"latency_ms"`
			Error     string  `json:"error"`
		}
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers/"+id+"/test", ta, nil)
		wantStatus(t, r, http.StatusOK)
		r.Data(t, &out)
		return out.OK, out.Error, out.LatencyMs
	}

	t.Run("a live check of a healthy provider", func(t *testing.T) {
		ok, msg, lat := test(t, bp.ID)
		if !ok || msg != "" || lat <= 0 {
			t.Fatalf("test: ok=%v %q %.3f ms", ok, msg, lat)
		}
		if h := health(t, bp.ID); h.State != "closed" || h.Requests != 1 || h.Failures != 0 {
			t.Fatalf("health %+v", h)
		}
	})

	t.Run("a failing provider trips its breaker", func(t *testing.T) {
		primary.failWith.Store(http.StatusInternalServerError)
		ok, msg, _ := test(t, pp.ID)
		if ok || !strings.Contains(msg, "500") {
			t.Fatalf("test of a failing provider: ok=%v %q", ok, msg)
		}
		for i := 0; i < 2; i++ {
			p := wantProblem(t, chatWith(t, in, ta, "primary", "primary-chat", "hello", nil), http.StatusBadGateway, "GW-009")
			if !strings.Contains(p.Detail, "primary answered 500") {
				t.Fatalf("detail %q", p.Detail)
			}
		}
		h := health(t, pp.ID)
		if h.State != "open" || h.Failures != 3 || h.ErrorRate != 1 {
			t.Fatalf("health after 3 failures %+v", h)
		}
		calls := primary.calls.Load()
		// An open circuit is a provider failure of its own: 503 GW-031.
		p := wantProblem(t, chatWith(t, in, ta, "primary", "primary-chat", "hello", nil), http.StatusServiceUnavailable, "GW-031")
		if !strings.Contains(p.Detail, "circuit open") || primary.calls.Load() != calls {
			t.Fatalf("an open circuit still called the provider: %q, %d → %d calls", p.Detail, calls, primary.calls.Load())
		}
		if h := health(t, bp.ID); h.State != "closed" {
			t.Fatalf("the healthy provider's breaker %+v", h)
		}
	})

	t.Run("fallbacks answer for the failing provider", func(t *testing.T) {
		pol := createPolicy(t, in, ta, map[string]any{"name": "with-fallback", "fallbacks": []map[string]string{{"provider": "backup", "model": "backup-chat"}}})
		out := okChat(t, in, ta, "primary", "primary-chat", "answer me anyway", map[string]any{"policy_id": pol.ID})
		if out.Choices[0].Message.Content != "loopback(backup-chat): answer me anyway" || out.Security.Provider != "backup" {
			t.Fatalf("answered %q by %q", out.Choices[0].Message.Content, out.Security.Provider)
		}
		rec := awaitRequest(t, in, ta, out.Security.RequestID)
		if rec.Provider != "backup" || !strings.HasPrefix(rec.step("provider_call").Detail, "backup/") || !contains(rec.StreamActions, "fallback:backup/backup-chat") {
			t.Fatalf("trace of the fallback: provider %q, step %+v, actions %v", rec.Provider, rec.step("provider_call"), rec.StreamActions)
		}
		// Streams fall back too, before their first chunk.
		raw, _, status := sse(t, in, "/api/v1/gateway/chat/completions", ta, map[string]any{"provider": "primary", "model": "primary-chat", "stream": true,
			"policy_id": pol.ID, "messages": []map[string]string{{"role": "user", "content": "stream anyway"}}})
		if status != http.StatusOK || deltas(raw) != "loopback(backup-chat): stream anyway" {
			t.Fatalf("stream fallback %d %s", status, raw)
		}
		// A fallback the allow-list does not admit is not tried.
		strict := createPolicy(t, in, ta, map[string]any{"name": "no-way-out", "allowed_providers": []string{"primary"},
			"fallbacks": []map[string]string{{"provider": "backup", "model": "backup-chat"}}})
		calls := backup.calls.Load()
		// primary's circuit is open since the subtest above: its own failure, 503 GW-031.
		wantProblem(t, chatWith(t, in, ta, "primary", "primary-chat", "no fallback for you", map[string]any{"policy_id": strict.ID}), http.StatusServiceUnavailable, "GW-031")
		if backup.calls.Load() != calls {
			t.Fatal("a fallback outside the allow-list was called")
		}
	})

	t.Run("unknown providers", func(t *testing.T) {
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/providers/01a218e2-16da-77dc-aa4b-8226e65d817f/health", ta, nil), http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/providers/01a218e2-16da-77dc-aa4b-8226e65d817f/test", ta, nil), http.StatusNotFound, "GW-010")
		wantProblem(t, chatWith(t, in, ta, "nowhere", "m", "hi", nil), http.StatusNotFound, "GW-010")
		b := toJSON(map[string]any{"provider": "nowhere", "model": "m", "stream": true, "messages": []map[string]string{{"role": "user", "content": "hi"}}})
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", ta, b), http.StatusNotFound, "GW-010")
	})
}

// testBacktest: recorded traffic replayed against a draft policy, with
// content kept in full, redacted or not at all.
func testBacktest(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Backtest")
	_, viewer := in.SignIn(t, ta, "viewer@backtest.test", "viewer")
	lenient := func(name, logContent string) policyOut {
		return createPolicy(t, in, ta, map[string]any{"name": name, "log_content": logContent,
			"injection": map[string]any{"enabled": true, "threshold": 0.5, "action": "monitor"}, "pii": map[string]any{"enabled": true, "action": "allow"}})
	}
	full, redacted, none := lenient("full", "full"), lenient("redacted", "redacted"), lenient("none", "none")
	var ids = map[string]string{}
	send := func(label string, p policyOut, content string) {
		out := okChat(t, in, ta, "mock", "mock-small", content, map[string]any{"policy_id": p.ID})
		ids[label] = out.Security.RequestID
	}
	send("benign", full, "what is the weather like?")
	send("zeus-full", full, "tell me about project zeus")
	send("email-full", full, "email alice@example.com the report")
	send("injection-full", full, injectionPrompt)
	send("email-redacted", redacted, "email bob@example.com the report")
	send("zeus-redacted", redacted, "project zeus status please")
	send("zeus-none", none, "project zeus, unlogged")
	var all []requestOut
	testkit.Eventually(t, 10*time.Second, "seven requests recorded", func() bool {
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests", ta, nil).Data(t, &all)
		return len(all) == 7
	})
	from, to := all[0].Time.Add(-time.Second), all[6].Time.Add(time.Second)

	t.Run("content is kept as each policy says", func(t *testing.T) {
		if r := awaitRequest(t, in, ta, ids["email-full"]); r.ContentMode != "full" || r.Prompt != "email alice@example.com the report" {
			t.Fatalf("full: %q %q", r.ContentMode, r.Prompt)
		}
		if r := awaitRequest(t, in, ta, ids["email-redacted"]); r.ContentMode != "redacted" || strings.Contains(r.Prompt, "bob@") || !strings.Contains(r.Prompt, "the report") {
			t.Fatalf("redacted: %q %q", r.ContentMode, r.Prompt)
		}
		if r := awaitRequest(t, in, ta, ids["zeus-none"]); r.ContentMode != "none" || r.Prompt != "" || r.Completion != "" {
			t.Fatalf("none: %q %q", r.ContentMode, r.Prompt)
		}
	})

	type change struct {
		RequestID string `json:"request_id"`
		Was       string `json:"was"`
		Would     string `json:"would"`
		ErrorCode string `json:"error_code"`
	}
	type result struct {
		Requests      int            `json:"requests"`
		Evaluated     int            `json:"evaluated"`
		SkippedNoText int            `json:"skipped_no_content"`
		WouldBlock    int            `json:"would_block"`
		WasBlocked    int            `json:"was_blocked"`
		NewlyBlocked  int            `json:"newly_blocked"`
		NewlyAllowed  int            `json:"newly_allowed"`
		ByCode        map[string]int `json:"would_block_by_code"`
		Changes       []change       `json:"changes"`
		Draft         bool           `json:"draft"`
	}
	t.Run("a stricter draft shows what it would have blocked", func(t *testing.T) {
		draft := map[string]any{"name": "draft", "injection": map[string]any{"enabled": true, "threshold": 0.5, "action": "block"},
			"pii": map[string]any{"enabled": true, "action": "block"}, "content_rules": []map[string]string{{"name": "zeus", "pattern": "(?i)zeus"}}}
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+full.ID+"/backtest", viewer, map[string]any{"from": from, "to": to, "policy": draft})
		wantStatus(t, r, http.StatusOK)
		var res result
		r.Data(t, &res)
		// zeus-full (GW-008), email-full (GW-007), injection-full (GW-003) and zeus-redacted (GW-008);
		// email-redacted was kept without its address, zeus-none without any text.
		if !res.Draft || res.Requests != 7 || res.Evaluated != 6 || res.SkippedNoText != 1 || res.WasBlocked != 0 || res.NewlyBlocked != 4 ||
			res.WouldBlock != 4 || res.NewlyAllowed != 0 || res.ByCode["GW-008"] != 2 || res.ByCode["GW-007"] != 1 || res.ByCode["GW-003"] != 1 {
			t.Fatalf("backtest %+v", res)
		}
		changed := map[string]string{}
		for _, c := range res.Changes {
			if c.Was != "allowed" || c.Would != "blocked" {
				t.Fatalf("change %+v", c)
			}
			changed[c.RequestID] = c.ErrorCode
		}
		for label, code := range map[string]string{"zeus-full": "GW-008", "email-full": "GW-007", "injection-full": "GW-003", "zeus-redacted": "GW-008"} {
			if changed[ids[label]] != code {
				t.Errorf("%s: change %q, want %s", label, changed[ids[label]], code)
			}
		}
	})

	t.Run("the stored policy changes nothing; a narrower window sees less", func(t *testing.T) {
		var res result
		in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+full.ID+"/backtest", viewer, map[string]any{"from": from, "to": to}).Data(t, &res)
		if res.Draft || res.NewlyBlocked != 0 || res.WouldBlock != 0 || res.Requests != 7 {
			t.Fatalf("stored policy %+v", res)
		}
		in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+full.ID+"/backtest", viewer, map[string]any{"from": from, "to": from.Add(time.Millisecond)}).Data(t, &res)
		if res.Requests != 0 {
			t.Fatalf("empty window %+v", res)
		}
	})

	t.Run("denials", func(t *testing.T) {
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+full.ID+"/backtest", viewer, map[string]any{"from": to, "to": from}),
			http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+full.ID+"/backtest", viewer, map[string]any{"from": from, "to": to,
			"policy": map[string]any{"name": "bad", "log_content": "sometimes"}}), http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/01a218e2-16da-77dc-aa4b-8226e65d817f/backtest", viewer,
			map[string]any{"from": from, "to": to}), http.StatusNotFound, "GW-006")
		_, other := in.NewTenant(t, admin, "BacktestOther")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+full.ID+"/backtest", other, map[string]any{"from": from, "to": to}),
			http.StatusNotFound, "GW-006")
	})
}
