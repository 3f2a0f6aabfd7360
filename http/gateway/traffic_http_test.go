package gateway_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// testRequestLog: list with filters and pages, one request with its trace and
// content, stats and NDJSON/CSV export.
func testRequestLog(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Log")
	_, other := in.NewTenant(t, admin, "LogOther")
	_, viewer := in.SignIn(t, ta, "viewer@log.test", "viewer")
	key, keyID := in.NewAPIKey(t, ta, "log-key", "gateway:write")

	ok1 := okChat(t, in, ta, "mock", "mock-small", "first question", nil)
	okChat(t, in, ta, "mock", "mock-large", "second question", nil)
	pii := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: mail jane.doe@example.com", nil)
	blocked := chatWith(t, in, ta, "mock", "mock-small", injectionPrompt, nil)
	wantProblem(t, blocked, http.StatusUnprocessableEntity, "GW-003")
	raw, _, _ := sse(t, in, "/api/v1/gateway/chat/completions", ta, map[string]any{"provider": "mock", "model": "mock-small", "stream": true,
		"messages": []map[string]string{{"role": "user", "content": "a streamed one"}}})
	if !strings.Contains(raw, "[DONE]") {
		t.Fatalf("stream %s", raw)
	}
	okChat(t, in, key, "mock", "mock-small", "from the key", nil)

	var all []requestOut
	testkit.Eventually(t, 10*time.Second, "six requests in the log", func() bool {
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests", viewer, nil).Data(t, &all)
		return len(all) == 6
	})

	t.Run("list: no trace or content, filters, pages", func(t *testing.T) {
		for _, r := range all {
			if len(r.Steps) != 0 || r.Prompt != "" || r.Completion != "" {
				t.Fatalf("list entry carries detail: %+v", r)
			}
		}
		count := func(query string) int {
			var rs []requestOut
			r := in.Do(t, http.MethodGet, "/api/v1/gateway/requests?"+query, viewer, nil)
			wantStatus(t, r, http.StatusOK)
			r.Data(t, &rs)
			return len(rs)
		}
		for q, want := range map[string]int{"blocked=true": 1, "blocked=false": 5, "model=mock-large": 1, "principal=" + keyID: 1,
			"provider=mock": 6, "from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z": 0} {
			if got := count(q); got != want {
				t.Errorf("%s: %d requests, want %d", q, got, want)
			}
		}
		listed, walked := testkit.Walk[requestOut](t, in, "/api/v1/gateway/requests?limit=4", viewer)
		pages := len(walked)
		seen := map[string]bool{}
		for _, r := range listed {
			if seen[r.ID] {
				t.Fatalf("request %s on two pages", r.ID)
			}
			seen[r.ID] = true
		}
		if pages != 2 || len(seen) != 6 {
			t.Fatalf("%d pages, %d requests", pages, len(seen))
		}
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?blocked=maybe", viewer, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?from=yesterday", viewer, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?cursor=bogus", viewer, nil), http.StatusBadRequest, "VAL-006")
		var theirs []requestOut
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests", other, nil).Data(t, &theirs)
		if len(theirs) != 0 {
			t.Fatalf("another tenant sees %d requests", len(theirs))
		}
	})

	t.Run("list: newest first, with total_count on every page; limit defaults to 25 and is capped at 200", func(t *testing.T) {
		type listPage = testkit.ListPage[requestOut]
		var first, second, byDefault, filtered listPage
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests?limit=4", viewer, nil).JSON(t, &first)
		pg := first.Meta.Pagination
		if len(first.Data) != 4 || !pg.HasMore || pg.Cursor == "" || pg.Limit != 4 || pg.TotalCount == nil || *pg.TotalCount != 6 {
			t.Fatalf("first page: %d items, %+v", len(first.Data), pg)
		}
		// The key's chat was the last one made, the first chat the first.
		if first.Data[0].Principal != keyID {
			t.Fatalf("newest first: the first item is %+v", first.Data[0])
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests?limit=4&cursor="+pg.Cursor, viewer, nil).JSON(t, &second)
		pg = second.Meta.Pagination
		if len(second.Data) != 2 || pg.HasMore || pg.Cursor != "" || pg.TotalCount == nil || *pg.TotalCount != 6 {
			t.Fatalf("second page: %d items, %+v", len(second.Data), pg)
		}
		if last := second.Data[len(second.Data)-1]; last.ID != ok1.Security.RequestID {
			t.Fatalf("oldest last: the last item is %+v, want %s", last, ok1.Security.RequestID)
		}
		for i, pages := 1, append(first.Data, second.Data...); i < len(pages); i++ {
			if pages[i].Time.After(pages[i-1].Time) {
				t.Fatalf("item %d (%s) is newer than item %d (%s)", i, pages[i].Time, i-1, pages[i-1].Time)
			}
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests", viewer, nil).JSON(t, &byDefault)
		if byDefault.Meta.Pagination.Limit != 25 || len(byDefault.Data) != 6 || byDefault.Meta.Pagination.HasMore {
			t.Fatalf("default page: %d items, %+v", len(byDefault.Data), byDefault.Meta.Pagination)
		}
		// Filters narrow the total as well as the page.
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests?blocked=false&limit=2", viewer, nil).JSON(t, &filtered)
		if pg := filtered.Meta.Pagination; len(filtered.Data) != 2 || !pg.HasMore || pg.TotalCount == nil || *pg.TotalCount != 5 {
			t.Fatalf("filtered page: %d items, %+v", len(filtered.Data), pg)
		}
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?limit=201", viewer, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?limit=0", viewer, nil), http.StatusBadRequest, "VAL-005")
		// A cursor of another list (a policy list's name/id keys) does not fit this one.
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?cursor=WyJhIiwiYiJd", viewer, nil), http.StatusBadRequest, "VAL-006")
	})

	t.Run("one request: every step, content as the policy keeps it", func(t *testing.T) {
		rec := awaitRequest(t, in, viewer, ok1.Security.RequestID)
		want := []string{"authenticate", "resolve_tenant", "kill_switch", "rate_limit_budget", "validate", "resolve_policy", "allow_list",
			"injection_detection", "pii_detection", "content_rules", "cache_lookup", "provider_call", "response_scan", "audit_usage"}
		if len(rec.Steps) != len(want) {
			t.Fatalf("steps %+v", rec.Steps)
		}
		for i, s := range rec.Steps {
			if s.Step != want[i] || s.Verdict == "" || s.FailMode == "" {
				t.Fatalf("step %d: %+v, want %s", i, s, want[i])
			}
		}
		if rec.step("injection_detection").Detector == "" || rec.ContentMode != "redacted" || rec.Prompt != "first question" ||
			!strings.HasPrefix(rec.Completion, "Mock answer") || rec.PrincipalKind != "user" || rec.Status != 200 {
			t.Fatalf("request %+v", rec)
		}
		// The default policy logs content redacted: the e-mail is gone from prompt and completion.
		p := awaitRequest(t, in, viewer, pii.Security.RequestID)
		if strings.Contains(p.Prompt, "jane.doe") || strings.Contains(p.Completion, "jane.doe") || !strings.Contains(p.Prompt, "mail") {
			t.Fatalf("redacted content %q / %q", p.Prompt, p.Completion)
		}
		b := awaitRequest(t, in, viewer, blocked.Header.Get("X-Request-ID"))
		if !b.Blocked || b.BlockedBy != "injection_detection" || b.Status != 422 || b.step("injection_detection").Score < 0.5 {
			t.Fatalf("blocked request %+v", b)
		}
		// Content is sealed in the ledger, never plaintext.
		var n int
		if err := in.Running.Stack.Pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE position(convert_to('first question', 'UTF8') in data) > 0`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("plaintext prompt in the ledger: %d %v", n, err)
		}
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+ok1.Security.RequestID, other, nil), http.StatusNotFound, "GW-019")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests/req_does_not_exist", viewer, nil), http.StatusNotFound, "GW-019")
	})

	t.Run("stats", func(t *testing.T) {
		var st struct {
			Requests     int64            `json:"requests"`
			Blocked      int64            `json:"blocked"`
			BlockRate    float64          `json:"block_rate"`
			Tokens       int64            `json:"tokens"`
			LatencyMsP50 float64          `json:"latency_ms_p50"`
			LatencyMsP99 float64          `json:"latency_ms_p99"`
			ByBlocker    map[string]int64 `json:"blocked_by"`
			Groups       []struct {
				Provider  string `json:"provider"`
				Model     string `json:"model"`
				Principal string `json:"principal"`
				Requests  int64  `json:"requests"`
			} `json:"by_provider_model_principal"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests/stats", viewer, nil).Data(t, &st)
		if st.Requests != 6 || st.Blocked != 1 || st.BlockRate < 0.16 || st.BlockRate > 0.17 || st.Tokens == 0 || st.LatencyMsP50 <= 0 ||
			st.LatencyMsP99 < st.LatencyMsP50 || st.ByBlocker["injection_detection"] != 1 || len(st.Groups) != 3 {
			t.Fatalf("stats %+v", st)
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests/stats?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z", viewer, nil).Data(t, &st)
		if st.Requests != 0 {
			t.Fatalf("stats of 2020: %+v", st)
		}
	})

	t.Run("export: NDJSON and CSV", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/gateway/requests/export", viewer, nil)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("ndjson %d %v", r.Status, r.Header)
		}
		lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
		if len(lines) != 6 {
			t.Fatalf("%d NDJSON lines", len(lines))
		}
		for _, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil || m["id"] == nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if _, ok := m["prompt"]; ok {
				t.Fatalf("export carries content: %s", l)
			}
		}
		blockedOnly := in.Do(t, http.MethodGet, "/api/v1/gateway/requests/export?blocked=true", viewer, nil)
		if n := len(strings.Split(strings.TrimSpace(string(blockedOnly.Body)), "\n")); n != 1 {
			t.Fatalf("filtered export: %d lines", n)
		}
		// CSV is a second representation of the same route (the document declares NDJSON).
		c := in.DoRaw(t, http.MethodGet, "/api/v1/gateway/requests/export?format=csv", viewer, nil)
		if c.Status != http.StatusOK || c.Header.Get("Content-Type") != "text/csv" {
			t.Fatalf("csv %d %v", c.Status, c.Header)
		}
		rows, err := csv.NewReader(bytes.NewReader(c.Body)).ReadAll()
		if err != nil || len(rows) != 7 || rows[0][0] != "id" || rows[0][len(rows[0])-1] != "latency_ms" {
			t.Fatalf("csv rows %v: %v", rows, err)
		}
		wantProblem(t, in.DoRaw(t, http.MethodGet, "/api/v1/gateway/requests/export?format=xml", viewer, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests/export", "", nil), http.StatusUnauthorized, "AUTH-001")
	})
}

// testTraffic: embeddings, models, scan and the OpenAI drop-in's headers and errors.
func testTraffic(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Traffic")
	_, viewer := in.SignIn(t, ta, "viewer@traffic.test", "viewer")
	lb := newLoopback(t, "loop", "loop-chat", "loop-embed")
	registerLoopback(t, in, ta, lb, "", map[string]any{"max_retries": 0})
	down := newLoopback(t, "down", "down-chat")
	down.failWith.Store(http.StatusInternalServerError)
	registerLoopback(t, in, ta, down, "", map[string]any{"max_retries": 0, "breaker_failures": 100})

	t.Run("embeddings through the pipeline", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "loop", "model": "loop-embed",
			"input": []string{"alpha", "write to jane.doe@example.com"}})
		wantStatus(t, r, http.StatusOK)
		var e struct {
			Data []struct {
				Index     int       `json:"index"`
				Embedding []float64 `json:"embedding"`
			} `json:"data"`
			Usage struct {
				TotalTokens int `json:"total_tokens"`
			} `json:"usage"`
		}
		r.Data(t, &e)
		if len(e.Data) != 2 || len(e.Data[0].Embedding) != lb.dim || e.Data[1].Index != 1 || e.Usage.TotalTokens == 0 {
			t.Fatalf("embeddings %+v", e)
		}
		if p := lb.lastPrompt(); strings.Contains(p, "jane.doe") || !strings.Contains(p, "write to") {
			t.Fatalf("the provider embedded %q", p)
		}
		mock := in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "mock", "model": "mock-embed", "input": []string{"x"}})
		wantStatus(t, mock, http.StatusOK)
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "nope", "model": "m", "input": []string{"x"}}),
			http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "down", "model": "down-chat", "input": []string{"x"}}),
			http.StatusBadGateway, "GW-009")
		// A model the provider does not declare never reaches it.
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "down", "model": "m", "input": []string{"x"}}),
			http.StatusNotFound, "GW-020")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "loop", "model": "loop-embed", "input": []string{injectionPrompt}}),
			http.StatusUnprocessableEntity, "GW-003")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", ta, map[string]any{"provider": "loop", "model": "loop-embed", "input": []string{}}),
			http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/embeddings", viewer, map[string]any{"provider": "loop", "model": "loop-embed", "input": []string{"x"}}),
			http.StatusForbidden, "AUTH-006")
	})

	t.Run("models", func(t *testing.T) {
		var ms []struct {
			ID       string `json:"id"`
			Provider string `json:"provider"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/models", viewer, nil).Data(t, &ms)
		has := map[string]bool{}
		for _, m := range ms {
			has[m.Provider+"/"+m.ID] = true
		}
		if !has["loop/loop-chat"] || !has["loop/loop-embed"] || !has["down/down-chat"] || !has["mock/mock-small"] {
			t.Fatalf("models %+v", ms)
		}
	})

	t.Run("scan", func(t *testing.T) {
		type scanOut struct {
			InjectionScore float64  `json:"injection_score"`
			Threshold      float64  `json:"threshold"`
			Blocked        bool     `json:"blocked"`
			BlockedBy      string   `json:"blocked_by"`
			ErrorCode      string   `json:"error_code"`
			Patterns       []string `json:"patterns"`
			PII            []struct {
				Type    string `json:"type"`
				Message int    `json:"message"`
				Start   int    `json:"start"`
				End     int    `json:"end"`
			} `json:"pii"`
			Redacted []string `json:"redacted"`
			ScanID   string   `json:"scan_id"`
		}
		var s scanOut
		in.Do(t, http.MethodPost, "/api/v1/gateway/scan", ta, map[string]any{"prompt": injectionPrompt}).Data(t, &s)
		if !s.Blocked || s.ErrorCode != "GW-003" || s.BlockedBy != "injection_detection" || s.InjectionScore < s.Threshold || len(s.Patterns) == 0 || s.ScanID == "" {
			t.Fatalf("scan of an injection %+v", s)
		}
		msg := "pay with 4111 1111 1111 1111 and mail receipts to jane.doe@example.com"
		in.Do(t, http.MethodPost, "/api/v1/gateway/scan", ta, map[string]any{"messages": []map[string]string{
			{"role": "system", "content": "You are a billing assistant."}, {"role": "user", "content": msg}}}).Data(t, &s)
		types := map[string]bool{}
		for _, p := range s.PII {
			types[p.Type] = true
			if p.Message != 1 || msg[p.Start:p.End] == "" {
				t.Fatalf("finding %+v", p)
			}
		}
		if s.Blocked || !types["CREDIT_CARD"] || !types["EMAIL_ADDRESS"] || len(s.Redacted) != 2 || strings.Contains(s.Redacted[1], "4111") ||
			strings.Contains(s.Redacted[1], "jane.doe") {
			t.Fatalf("scan of PII %+v", s)
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/scan", ta, map[string]any{}), http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/scan", ta, map[string]any{"prompt": "x", "policy_id": "01a218e2-16da-77dc-aa4b-8226e65d817f"}),
			http.StatusNotFound, "GW-006")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/scan", viewer, map[string]any{"prompt": "x"}), http.StatusForbidden, "AUTH-006")
		if n := len(events(t, in, ta, "PromptScanned")); n != 2 {
			t.Fatalf("PromptScanned events: %d", n)
		}
	})

	t.Run("drop-in: plain OpenAI answers with the verdict in X-Astra-* headers", func(t *testing.T) {
		const base = "/api/v1/gateway/openai/v1"
		msgs := func(c string) []map[string]string { return []map[string]string{{"role": "user", "content": c}} }
		r := in.Do(t, http.MethodPost, base+"/chat/completions", ta, map[string]any{"model": "mock/mock-small", "messages": msgs("MOCK_ECHO: plain")})
		wantStatus(t, r, http.StatusOK)
		var c struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
			Data     any `json:"data"`
			Security any `json:"security"`
		}
		r.JSON(t, &c)
		if c.Object != "chat.completion" || c.Model != "mock/mock-small" || c.Choices[0].Message.Content != "plain" || c.Data != nil || c.Security != nil {
			t.Fatalf("drop-in body %s", r.Body)
		}
		h := r.Header
		if h.Get("X-Astra-Request-Id") == "" || h.Get("X-Astra-Injection-Score") == "" || h.Get("X-Astra-PII-Detected") != "false" ||
			h.Get("X-Astra-Cache") != "miss" || h.Get("X-Astra-Provider") != "mock" || h.Get("X-Astra-Pipeline-Latency-Ms") == "" {
			t.Fatalf("headers %v", h)
		}
		// The provider by header, and by the tenant's provider listing the model.
		r = in.Do(t, http.MethodPost, base+"/chat/completions", ta, map[string]any{"model": "loop-chat", "messages": msgs("by header")}, "X-Astra-Provider", "loop")
		r.JSON(t, &c)
		if c.Choices[0].Message.Content != "loopback(loop-chat): by header" || r.Header.Get("X-Astra-Provider") != "loop" {
			t.Fatalf("by header: %s", r.Body)
		}
		r = in.Do(t, http.MethodPost, base+"/chat/completions", ta, map[string]any{"model": "loop-chat", "messages": msgs("by listing")})
		r.JSON(t, &c)
		if c.Choices[0].Message.Content != "loopback(loop-chat): by listing" {
			t.Fatalf("by listing: %s", r.Body)
		}
		// PII is reported in the headers.
		r = in.Do(t, http.MethodPost, base+"/chat/completions", ta, map[string]any{"model": "mock/mock-small", "messages": msgs("mail jane.doe@example.com")})
		if r.Header.Get("X-Astra-PII-Detected") != "true" {
			t.Fatalf("pii header %v", r.Header)
		}
		var models struct {
			Object string `json:"object"`
			Data   []struct {
				ID      string `json:"id"`
				OwnedBy string `json:"owned_by"`
			} `json:"data"`
		}
		in.Do(t, http.MethodGet, base+"/models", viewer, nil).JSON(t, &models)
		if models.Object != "list" || !strings.Contains(toJSON(models.Data), `"id":"loop/loop-chat","owned_by":"loop"`) {
			t.Fatalf("models %+v", models)
		}
		for _, format := range []string{"float", "base64"} {
			e := in.Do(t, http.MethodPost, base+"/embeddings", ta, map[string]any{"model": "loop-embed", "input": []string{"a", "b"}, "encoding_format": format})
			var el struct {
				Object string `json:"object"`
				Data   []struct {
					Embedding json.RawMessage `json:"embedding"`
				} `json:"data"`
			}
			e.JSON(t, &el)
			isString := len(el.Data) == 2 && el.Data[0].Embedding[0] == '"'
			if e.Status != http.StatusOK || el.Object != "list" || isString != (format == "base64") || e.Header.Get("X-Astra-Request-Id") == "" {
				t.Fatalf("embeddings %s: %d %s", format, e.Status, e.Body)
			}
		}
	})

	t.Run("drop-in: streaming", func(t *testing.T) {
		raw, h, status := sse(t, in, "/api/v1/gateway/openai/v1/chat/completions", ta, map[string]any{"model": "loop-chat", "stream": true,
			"stream_options": map[string]bool{"include_usage": true}, "messages": []map[string]string{{"role": "user", "content": "stream it"}}})
		if status != http.StatusOK || h.Get("Content-Type") != "text/event-stream" || h.Get("X-Accel-Buffering") != "no" || h.Get("X-Astra-Request-Id") == "" {
			t.Fatalf("stream %d %v", status, h)
		}
		if got := deltas(raw); got != "loopback(loop-chat): stream it" {
			t.Fatalf("streamed %q", got)
		}
		if strings.Contains(raw, `"security"`) || !strings.Contains(raw, `"usage":{"prompt_tokens"`) || !strings.HasSuffix(raw, "data: [DONE]\n\n") {
			t.Fatalf("stream body %s", raw)
		}
	})

	t.Run("drop-in: errors in OpenAI's shape", func(t *testing.T) {
		const path = "/api/v1/gateway/openai/v1/chat/completions"
		type oaiErr struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		check := func(t *testing.T, r *testkit.Response, status int, typ, code string) {
			t.Helper()
			var e oaiErr
			r.JSON(t, &e)
			if r.Status != status || e.Error.Type != typ || e.Error.Code != code || e.Error.Message == "" ||
				!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("want %d %s %s, got %d %s", status, typ, code, r.Status, r.Body)
			}
		}
		msgs := []map[string]string{{"role": "user", "content": injectionPrompt}}
		r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "mock/mock-small", "messages": msgs})
		check(t, r, http.StatusUnprocessableEntity, "astra_policy_violation", "GW-003")
		if !strings.Contains(r.Header.Get("X-Astra-Policy-Violations"), "prompt_injection") || r.Header.Get("X-Astra-Request-Id") == "" {
			t.Fatalf("verdict headers of a block %v", r.Header)
		}
		check(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "down-chat", "messages": []map[string]string{{"role": "user", "content": "hi"}}}),
			http.StatusBadGateway, "upstream_error", "GW-009")
		check(t, in.DoRaw(t, http.MethodPost, path, ta, `{"model": "mock/mock-small", "messages": [`), http.StatusBadRequest, "invalid_request_error", "VAL-002")
		check(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"messages": []map[string]string{{"role": "user", "content": "hi"}}}),
			http.StatusBadRequest, "invalid_request_error", "VAL-001")
		// n is carried: the mock answers n choices; n > 1 cannot be streamed (the stream scan follows one choice).
		var two struct {
			Choices []any `json:"choices"`
		}
		in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "mock/mock-small", "n": 2, "messages": []map[string]string{{"role": "user", "content": "hi"}}}).JSON(t, &two)
		if len(two.Choices) != 2 {
			t.Fatalf("n=2 answered %d choices", len(two.Choices))
		}
		check(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "mock/mock-small", "n": 2, "stream": true, "messages": []map[string]string{{"role": "user", "content": "hi"}}}),
			http.StatusUnprocessableEntity, "astra_policy_violation", "GW-005")
		check(t, in.DoRaw(t, http.MethodPost, path, ta, "model=x", "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "invalid_request_error", "VAL-003")
		check(t, in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/embeddings", ta, map[string]any{"model": "loop-embed", "input": "x", "encoding_format": "hex"}),
			http.StatusBadRequest, "invalid_request_error", "VAL-001")
		check(t, in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/embeddings", ta, map[string]any{"model": "loop-embed", "input": []any{1, 2}}),
			http.StatusBadRequest, "invalid_request_error", "VAL-001")
		// A stream the pipeline refuses before the first chunk is an OpenAI error too.
		raw, _, status := sse(t, in, path, ta, map[string]any{"model": "mock/mock-small", "stream": true, "messages": msgs})
		var e oaiErr
		if err := json.Unmarshal([]byte(raw), &e); err != nil || status != http.StatusUnprocessableEntity || e.Error.Code != "GW-003" {
			t.Fatalf("refused stream %d %s", status, raw)
		}
		// The platform's own refusals (authentication, permission) are in OpenAI's shape on the drop-in.
		check(t, in.DoRaw(t, http.MethodPost, path, "", map[string]any{"model": "mock/mock-small", "messages": msgs}),
			http.StatusUnauthorized, "authentication_error", "AUTH-001")
		check(t, in.DoRaw(t, http.MethodPost, path, viewer, map[string]any{"model": "mock/mock-small", "messages": msgs}),
			http.StatusForbidden, "permission_error", "AUTH-006")
		// An unknown model is OpenAI's model_not_found, never a mock answer.
		check(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "gpt-4o", "messages": msgs}),
			http.StatusNotFound, "invalid_request_error", "model_not_found")
	})
}
