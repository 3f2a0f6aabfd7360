package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// testPolicies: policy CRUD, versions, rollback, simulate, isolation and permissions.
func testPolicies(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Policies")
	_, other := in.NewTenant(t, admin, "PoliciesOther")
	_, dev := in.SignIn(t, ta, "dev@policies.test", "developer")

	v1 := map[string]any{"name": "strict", "description": "v1", "injection": map[string]any{"enabled": true, "threshold": 0.5, "action": "block"},
		"pii": map[string]any{"enabled": true, "action": "redact"}, "allowed_providers": []string{"mock"}, "allowed_models": []string{"mock-small"}}
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", ta, v1)
	wantStatus(t, r, http.StatusCreated)
	var p policyOut
	r.Data(t, &p)
	if p.Version != 1 || r.Header.Get("ETag") != `"1"` || r.Header.Get("Location") != "/api/v1/gateway/policies/"+p.ID {
		t.Fatalf("created %+v etag %q location %q", p, r.Header.Get("ETag"), r.Header.Get("Location"))
	}
	// Defaults are filled in.
	if p.Policy["log_content"] != "redacted" || p.Policy["response_scan"].(map[string]any)["pii_action"] != "redact" {
		t.Fatalf("normalised policy %v", p.Policy)
	}
	if evs := events(t, in, ta, "PolicyCreated"); len(evs) != 1 {
		t.Fatalf("PolicyCreated events: %d", len(evs))
	}

	t.Run("invalid policies are refused", func(t *testing.T) {
		for _, bad := range []map[string]any{
			{"name": ""},
			{"name": "x", "injection": map[string]any{"threshold": 1.5}},
			{"name": "x", "pii": map[string]any{"action": "shred"}},
			{"name": "x", "content_rules": []map[string]any{{"name": "r", "pattern": "(unclosed"}}},
			{"name": "x", "fail_modes": map[string]any{"warp_drive": "open"}},
			{"name": "x", "log_content": "everything"},
		} {
			wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies", ta, bad), http.StatusBadRequest, "VAL-001")
		}
	})

	t.Run("list and read", func(t *testing.T) {
		l := in.Do(t, http.MethodGet, "/api/v1/gateway/policies", dev, nil)
		var ps []policyOut
		l.Data(t, &ps)
		if len(ps) != 1 || ps[0].ID != p.ID {
			t.Fatalf("list %+v", ps)
		}
		g := in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+p.ID, dev, nil)
		if g.Status != http.StatusOK || g.Header.Get("ETag") != `"1"` {
			t.Fatalf("get %d %s", g.Status, g.Header.Get("ETag"))
		}
	})

	t.Run("lists page with limit and cursor and count the total", func(t *testing.T) {
		_, tp := in.NewTenant(t, admin, "PolicyPages")
		for _, name := range []string{"gamma", "alpha", "beta"} {
			createPolicy(t, in, tp, map[string]any{"name": name})
		}
		type page = testkit.ListPage[policyOut]
		var first, second page
		in.Do(t, http.MethodGet, "/api/v1/gateway/policies?limit=2", tp, nil).JSON(t, &first)
		pg := first.Meta.Pagination
		if len(first.Data) != 2 || first.Data[0].Name != "alpha" || first.Data[1].Name != "beta" || !pg.HasMore || pg.Limit != 2 ||
			pg.TotalCount == nil || *pg.TotalCount != 3 {
			t.Fatalf("first page %+v, %+v", first.Data, pg)
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/policies?limit=2&cursor="+pg.Cursor, tp, nil).JSON(t, &second)
		pg = second.Meta.Pagination
		if len(second.Data) != 1 || second.Data[0].Name != "gamma" || pg.HasMore || pg.TotalCount == nil || *pg.TotalCount != 3 {
			t.Fatalf("second page %+v, %+v", second.Data, pg)
		}
		// Policy versions page the same way, newest first.
		id := first.Data[0].ID
		for i := 0; i < 2; i++ {
			wantStatus(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/policies/"+id, tp, map[string]any{"name": "alpha"}), http.StatusOK)
		}
		var versions page
		in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+id+"/versions?limit=2", tp, nil).JSON(t, &versions)
		var vs []struct {
			Version int `json:"version"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+id+"/versions?limit=2", tp, nil).Data(t, &vs)
		if pg := versions.Meta.Pagination; len(vs) != 2 || vs[0].Version != 3 || vs[1].Version != 2 || !pg.HasMore || pg.TotalCount == nil || *pg.TotalCount != 3 {
			t.Fatalf("versions %+v, %+v", vs, pg)
		}
		var rest []struct {
			Version int `json:"version"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+id+"/versions?limit=2&cursor="+versions.Meta.Pagination.Cursor, tp, nil).Data(t, &rest)
		if len(rest) != 1 || rest[0].Version != 1 {
			t.Fatalf("versions after the cursor %+v", rest)
		}
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/policies?limit=1000", tp, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/policies?cursor=bogus", tp, nil), http.StatusBadRequest, "VAL-006")
	})

	v2 := map[string]any{"name": "strict", "description": "v2", "injection": map[string]any{"enabled": true, "threshold": 0.5, "action": "monitor"},
		"pii": map[string]any{"enabled": true, "action": "block"}}
	t.Run("update makes version 2; a stale If-Match is refused", func(t *testing.T) {
		r := in.Do(t, http.MethodPatch, "/api/v1/gateway/policies/"+p.ID, ta, v2, "If-Match", `"1"`)
		wantStatus(t, r, http.StatusOK)
		var up policyOut
		r.Data(t, &up)
		if up.Version != 2 || r.Header.Get("ETag") != `"2"` || up.Policy["description"] != "v2" {
			t.Fatalf("updated %+v", up)
		}
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/policies/"+p.ID, ta, v2, "If-Match", `"1"`), http.StatusPreconditionFailed, "CON-001")
		// The new version governs the next request: PII now blocks, injection only monitors.
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-large", "mail jane.doe@example.com", map[string]any{"policy_id": p.ID}),
			http.StatusUnprocessableEntity, "GW-007")
		out := okChat(t, in, ta, "mock", "mock-large", injectionPrompt, map[string]any{"policy_id": p.ID})
		if out.Security.PolicyViolations == nil || !contains(out.Security.PolicyViolations, "prompt_injection") {
			t.Fatalf("monitor %+v", out.Security)
		}
	})

	t.Run("versions and rollback", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+p.ID+"/versions", dev, nil)
		var vs []struct {
			Version        int            `json:"version"`
			Kind           string         `json:"kind"`
			RolledBackFrom *int           `json:"rolled_back_from"`
			Actor          string         `json:"actor"`
			Policy         map[string]any `json:"policy"`
		}
		r.Data(t, &vs)
		if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[1].Policy["description"] != "v1" || vs[0].Actor == "" {
			t.Fatalf("versions %+v", vs)
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/rollback", ta, map[string]int{"version": 7}), http.StatusNotFound, "GW-013")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/rollback", ta, map[string]int{"version": 2}), http.StatusNotFound, "GW-013")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/rollback", ta, map[string]int{"version": 0}), http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/rollback", dev, map[string]int{"version": 1}), http.StatusForbidden, "AUTH-006")
		rb := in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/rollback", ta, map[string]int{"version": 1})
		wantStatus(t, rb, http.StatusOK)
		var cur policyOut
		rb.Data(t, &cur)
		if cur.Version != 3 || cur.Policy["description"] != "v1" {
			t.Fatalf("rolled back %+v", cur)
		}
		r = in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+p.ID+"/versions", dev, nil)
		r.Data(t, &vs)
		if len(vs) != 3 || vs[0].Kind != "rolled_back" || vs[0].RolledBackFrom == nil || *vs[0].RolledBackFrom != 1 {
			t.Fatalf("versions after rollback %+v", vs)
		}
		if evs := events(t, in, ta, "PolicyRolledBack"); len(evs) != 1 {
			t.Fatalf("PolicyRolledBack events: %d", len(evs))
		}
		// Version 1 governs again: the allow-list admits mock-small only.
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-large", "hello", map[string]any{"policy_id": p.ID}), http.StatusForbidden, "GW-002")
		out := okChat(t, in, ta, "mock", "mock-small", "hello", map[string]any{"policy_id": p.ID})
		if out.Security.PolicyVersion != 3 || out.Security.PolicyID != p.ID {
			t.Fatalf("security %+v", out.Security)
		}
	})

	t.Run("simulate: one prompt, nothing recorded", func(t *testing.T) {
		before := len(events(t, in, ta, "Request*"))
		if before == 0 {
			t.Fatal("no request events to compare with")
		}
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", dev, map[string]any{"prompt": injectionPrompt})
		wantStatus(t, r, http.StatusOK)
		var sim struct {
			Allowed   bool      `json:"allowed"`
			ErrorCode string    `json:"error_code"`
			Steps     []stepOut `json:"steps"`
			Version   int       `json:"policy_version"`
			Security  struct {
				InjectionScore float64 `json:"injection_score"`
			} `json:"security"`
		}
		r.Data(t, &sim)
		if sim.Allowed || sim.ErrorCode != "GW-003" || sim.Version != 3 || sim.Security.InjectionScore < 0.5 {
			t.Fatalf("simulate injection %+v", sim)
		}
		// Version 2 (injection monitored, PII blocked) lets it through but not an e-mail.
		r = in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", dev, map[string]any{"prompt": injectionPrompt, "version": 2})
		r.Data(t, &sim)
		if !sim.Allowed || sim.Version != 2 {
			t.Fatalf("simulate v2 %+v", sim)
		}
		r = in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", dev, map[string]any{"version": 2,
			"messages": []map[string]string{{"role": "system", "content": "be brief"}, {"role": "user", "content": "write to jane.doe@example.com"}}})
		r.Data(t, &sim)
		if sim.Allowed || sim.ErrorCode != "GW-007" {
			t.Fatalf("simulate v2 pii %+v", sim)
		}
		r = in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", dev, map[string]any{"prompt": "hi", "provider": "openai", "model": "gpt-4o"})
		r.Data(t, &sim)
		if sim.Allowed || sim.ErrorCode != "GW-002" {
			t.Fatalf("simulate allow-list %+v", sim)
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", dev, map[string]any{"prompt": "x", "version": 9}),
			http.StatusNotFound, "GW-013")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", dev, map[string]any{}), http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+p.ID+"/simulate", other, map[string]any{"prompt": "x"}),
			http.StatusNotFound, "GW-006")
		time.Sleep(200 * time.Millisecond)
		if after := len(events(t, in, ta, "Request*")); after != before {
			t.Fatalf("simulate recorded requests: %d → %d", before, after)
		}
	})

	t.Run("isolation and permissions", func(t *testing.T) {
		base := "/api/v1/gateway/policies/" + p.ID
		wantProblem(t, in.Do(t, http.MethodGet, base, other, nil), http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodGet, base+"/versions", other, nil), http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodPatch, base, other, v2), http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodDelete, base, other, nil), http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodPost, base+"/rollback", other, map[string]int{"version": 1}), http.StatusNotFound, "GW-006")
		// Another tenant's policy id is not usable for traffic either.
		wantProblem(t, chatWith(t, in, other, "mock", "mock-small", "hi", map[string]any{"policy_id": p.ID}), http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies", dev, v1), http.StatusForbidden, "AUTH-006")
		wantProblem(t, in.Do(t, http.MethodPatch, base, dev, v2), http.StatusForbidden, "AUTH-006")
		wantProblem(t, in.Do(t, http.MethodDelete, base, dev, nil), http.StatusForbidden, "AUTH-006")
	})

	t.Run("delete", func(t *testing.T) {
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/policies/"+p.ID, ta, nil, "If-Match", `"2"`), http.StatusPreconditionFailed, "CON-001")
		wantStatus(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/policies/"+p.ID, ta, nil, "If-Match", `"3"`), http.StatusNoContent)
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+p.ID, ta, nil), http.StatusNotFound, "GW-006")
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", "hi", map[string]any{"policy_id": p.ID}), http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/policies/"+p.ID, ta, nil), http.StatusNotFound, "GW-006")
		for typ, want := range map[string]int{"PolicyCreated": 1, "PolicyUpdated": 1, "PolicyRolledBack": 1, "PolicyDeleted": 1} {
			if n := len(events(t, in, ta, typ)); n != want {
				t.Errorf("%s events: %d, want %d", typ, n, want)
			}
		}
	})
}

// testPipelineRules: the policy's allow-lists, token limits, content rules,
// PII block and response canaries, non-stream and stream.
func testPipelineRules(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Rules")
	pol := createPolicy(t, in, ta, map[string]any{"name": "rules",
		"injection":         map[string]any{"enabled": true, "threshold": 0.5},
		"pii":               map[string]any{"enabled": true, "action": "block", "types": []string{"EMAIL_ADDRESS", "CREDIT_CARD"}},
		"allowed_providers": []string{"mock"}, "allowed_models": []string{"mock-small", "mock-medium*"},
		"max_input_tokens": 60, "max_output_tokens": 256,
		"content_rules": []map[string]any{{"name": "codename", "pattern": `(?i)project\s+zeus`, "action": "block"},
			{"name": "internal-host", "pattern": `\b[a-z0-9-]+\.corp\.internal\b`, "action": "redact"}},
		"response_scan": map[string]any{"enabled": true, "pii_action": "redact", "canaries": []string{"CANARY-7F3A-19C2"}},
		"log_content":   "full"})
	with := map[string]any{"policy_id": pol.ID}
	withTokens := func(n int) map[string]any { return map[string]any{"policy_id": pol.ID, "max_tokens": n} }

	t.Run("allow-lists: GW-002", func(t *testing.T) {
		p := wantProblem(t, chatWith(t, in, ta, "mock", "mock-large", "hello", with), http.StatusForbidden, "GW-002")
		if !strings.Contains(p.Detail, "mock-large") || p.Type != "https://api.astrabastion.com/errors/GW-002" {
			t.Fatalf("problem %+v", p)
		}
		wantProblem(t, chatWith(t, in, ta, "openai", "mock-small", "hello", with), http.StatusForbidden, "GW-002")
		okChat(t, in, ta, "mock", "mock-medium-2", "hello", with) // prefix match
	})

	t.Run("token limits: GW-005", func(t *testing.T) {
		p := wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", "hello", withTokens(1000)), http.StatusUnprocessableEntity, "GW-005")
		if !strings.Contains(p.Detail, "256") {
			t.Fatalf("detail %q", p.Detail)
		}
		okChat(t, in, ta, "mock", "mock-small", "hello", withTokens(200))
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", strings.Repeat("lorem ipsum ", 40), with), http.StatusUnprocessableEntity, "GW-005")
	})

	t.Run("content rules: GW-008 blocks, redaction rewrites", func(t *testing.T) {
		p := wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", "status of Project  Zeus?", with), http.StatusUnprocessableEntity, "GW-008")
		if !strings.Contains(p.Detail, "codename") {
			t.Fatalf("detail %q", p.Detail)
		}
		out := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: ping db1.corp.internal now", with)
		if got := out.Choices[0].Message.Content; got != "ping [REDACTED:internal-host] now" {
			t.Fatalf("the provider saw %q", got)
		}
	})

	t.Run("PII block: GW-007", func(t *testing.T) {
		r := chatWith(t, in, ta, "mock", "mock-small", "email jane.doe@example.com", with)
		wantProblem(t, r, http.StatusUnprocessableEntity, "GW-007")
		if strings.Contains(string(r.Body), "jane.doe") {
			t.Fatalf("problem echoes the personal data: %s", r.Body)
		}
		rec := awaitRequest(t, in, ta, r.Header.Get("X-Request-ID"))
		if !rec.Blocked || rec.BlockedBy != "pii_detection" || !contains(rec.PIITypes, "EMAIL_ADDRESS") {
			t.Fatalf("record %+v", rec)
		}
		// An IP address is not among the policy's types.
		okChat(t, in, ta, "mock", "mock-small", "ping 203.0.113.7", with)
	})

	t.Run("response canary: GW-011 without a stream, nothing of it leaks", func(t *testing.T) {
		r := chatWith(t, in, ta, "mock", "mock-small", "MOCK_ECHO: the key is CANARY-7F3A-19C2 ok", with)
		wantProblem(t, r, http.StatusUnprocessableEntity, "GW-011")
		if strings.Contains(string(r.Body), "CANARY") {
			t.Fatalf("canary in the problem: %s", r.Body)
		}
		rec := awaitRequest(t, in, ta, r.Header.Get("X-Request-ID"))
		if rec.BlockedBy != "response_scan" || rec.step("response_scan").Verdict != "block" || strings.Contains(rec.Completion, "CANARY") {
			t.Fatalf("record %+v", rec)
		}
	})

	t.Run("response canary in a stream: the stream ends with an error event, the canary never reaches the client", func(t *testing.T) {
		lead := "Here is a long and perfectly harmless preamble that streams out well before anything sensitive shows up in the answer"
		raw, h, status := sse(t, in, "/api/v1/gateway/chat/completions", ta, map[string]any{"provider": "mock", "model": "mock-small", "stream": true,
			"policy_id": pol.ID, "messages": []map[string]string{{"role": "user", "content": "MOCK_ECHO: " + lead + " CANARY-7F3A-19C2 and more text after it"}}})
		if status != http.StatusOK || h.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream %d %v", status, h)
		}
		if strings.Contains(raw, "CANARY") || strings.Contains(raw, "7F3A") {
			t.Fatalf("the canary leaked: %s", raw)
		}
		got := deltas(raw)
		if got == "" || !strings.HasPrefix(lead, strings.TrimSpace(got)) {
			t.Fatalf("the harmless part did not stream: %q", got)
		}
		if !strings.Contains(raw, "event: error\ndata: ") || !strings.Contains(raw, `"code":"GW-011"`) || !strings.HasSuffix(raw, "data: [DONE]\n\n") {
			t.Fatalf("stream end: %s", raw)
		}
		rec := awaitRequest(t, in, ta, h.Get("X-Request-ID"))
		if !rec.Blocked || rec.ErrorCode != "GW-011" || !rec.Stream || !contains(rec.StreamActions, "stream_terminated:canary_token") {
			t.Fatalf("record %+v", rec)
		}
	})

	t.Run("a canary that arrives before anything streamed turns into a problem", func(t *testing.T) {
		b := toJSON(map[string]any{"provider": "mock", "model": "mock-small", "stream": true, "policy_id": pol.ID,
			"messages": []map[string]string{{"role": "user", "content": "MOCK_ECHO: CANARY-7F3A-19C2"}}})
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", ta, b)
		wantProblem(t, r, http.StatusUnprocessableEntity, "GW-011")
	})
}
