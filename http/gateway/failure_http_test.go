package gateway_test

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// failedOut is a request of the log with its outcome and failure.
type failedOut struct {
	ID        string `json:"id"`
	Status    int    `json:"status"`
	ErrorCode string `json:"error_code"`
	Blocked   bool   `json:"blocked"`
	BlockedBy string `json:"blocked_by"`
	Outcome   string `json:"outcome"`
	Failure   *struct {
		Cause            string `json:"cause"`
		UpstreamStatus   int    `json:"upstream_status"`
		Fault            string `json:"fault"`
		RetriesExhausted bool   `json:"retries_exhausted"`
		Legacy           bool   `json:"legacy"`
		Tried            []struct {
			Provider       string `json:"provider"`
			Model          string `json:"model"`
			Cause          string `json:"cause"`
			UpstreamStatus int    `json:"upstream_status"`
			Attempts       int    `json:"attempts"`
		} `json:"tried"`
	} `json:"failure"`
	Violations []string `json:"policy_violations"`
}

// TestGateway_ProviderFailuresAreFailures: an upstream that answers 500, one
// that hangs past the timeout, one that refuses connections, an open circuit
// and an upstream refusing the request each record gateway.RequestFailed
// with its cause (never RequestBlocked), answer with the status of the
// cause, are counted apart from blocks in /requests/stats, and move the
// resilience pillar, not security. An old RequestBlocked{blocked_by:
// provider_call} record reads as a failure too.
func TestGateway_ProviderFailuresAreFailures(t *testing.T) {
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	tenantID, ta := in.NewTenant(t, admin, "Failures")

	failing := newLoopback(t, "failing", "failing-chat")
	failing.failWith.Store(http.StatusInternalServerError)
	registerLoopback(t, in, ta, failing, "", map[string]any{"max_retries": 1, "breaker_failures": 2, "breaker_cooldown_s": 600})

	// The handler hangs until the test ends: it never reads the body, so the
	// server does not notice the gateway giving up, and Close waits for it.
	hung := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hung:
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(func() { close(hung); hang.CloseClientConnections(); hang.Close() })
	registerProvider(t, in, ta, "hanging", hang.URL+"/v1", map[string]any{"max_retries": 0, "timeout_ms": 300})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	registerProvider(t, in, ta, "refusing", refusing, map[string]any{"max_retries": 0})

	picky := newLoopback(t, "picky", "picky-chat")
	picky.failWith.Store(http.StatusBadRequest)
	registerLoopback(t, in, ta, picky, "", map[string]any{"max_retries": 0})

	record := func(t *testing.T, r *testkit.Response, status int, code, cause string) failedOut {
		t.Helper()
		p := wantProblem(t, r, status, code)
		var rec failedOut
		testkit.Eventually(t, 10*time.Second, "the failure in the log", func() bool {
			return in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+p.RequestID, ta, nil).Status == http.StatusOK
		})
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+p.RequestID, ta, nil).Data(t, &rec)
		if rec.Outcome != "failed" || rec.Blocked || rec.BlockedBy != "" || rec.ErrorCode != code || rec.Status != status ||
			rec.Failure == nil || rec.Failure.Cause != cause || contains(rec.Violations, "provider_call") {
			t.Fatalf("record of a %s failure: %+v %+v", cause, rec, rec.Failure)
		}
		return rec
	}

	t.Run("an upstream 500, retried to the end", func(t *testing.T) {
		rec := record(t, chatWith(t, in, ta, "failing", "failing-chat", "hello", nil), http.StatusBadGateway, "GW-009", "upstream_5xx")
		f := rec.Failure
		if f.UpstreamStatus != 500 || f.Fault != "provider" || !f.RetriesExhausted || len(f.Tried) != 1 ||
			f.Tried[0].Provider != "failing" || f.Tried[0].Model != "failing-chat" || f.Tried[0].Attempts != 2 || failing.calls.Load() != 2 {
			t.Fatalf("failure %+v (%d calls)", f, failing.calls.Load())
		}
	})

	t.Run("an open circuit", func(t *testing.T) {
		calls := failing.calls.Load()
		rec := record(t, chatWith(t, in, ta, "failing", "failing-chat", "hello again", nil), http.StatusServiceUnavailable, "GW-031", "circuit_open")
		if failing.calls.Load() != calls || rec.Failure.UpstreamStatus != 0 {
			t.Fatalf("an open circuit called the provider or has an upstream status: %+v", rec.Failure)
		}
	})

	t.Run("an upstream that hangs past the timeout", func(t *testing.T) {
		start := time.Now()
		record(t, chatWith(t, in, ta, "hanging", "hanging-chat", "hello", nil), http.StatusGatewayTimeout, "GW-030", "timeout")
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the timeout took %s", d)
		}
		// On the drop-in, in OpenAI's shape with the same status.
		var e struct {
			Error struct {
				Type string `json:"type"`
				Code string `json:"code"`
			} `json:"error"`
		}
		r := in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", ta,
			map[string]any{"model": "hanging/hanging-chat", "messages": []map[string]string{{"role": "user", "content": "hi"}}})
		r.JSON(t, &e)
		if r.Status != http.StatusGatewayTimeout || e.Error.Code != "GW-030" || e.Error.Type != "upstream_error" {
			t.Fatalf("drop-in timeout: %d %s", r.Status, r.Body)
		}
	})

	t.Run("an upstream that refuses connections", func(t *testing.T) {
		rec := record(t, chatWith(t, in, ta, "refusing", "refusing-chat", "hello", nil), http.StatusBadGateway, "GW-009", "connection_refused")
		if rec.Failure.Fault != "provider" || rec.Failure.RetriesExhausted {
			t.Fatalf("failure %+v", rec.Failure)
		}
		// A stream that fails before its first chunk answers the same way.
		b := toJSON(map[string]any{"provider": "refusing", "model": "refusing-chat", "stream": true, "messages": []map[string]string{{"role": "user", "content": "hi"}}})
		record(t, in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", ta, b), http.StatusBadGateway, "GW-009", "connection_refused")
	})

	t.Run("an upstream refusing the request is the caller's fault", func(t *testing.T) {
		rec := record(t, chatWith(t, in, ta, "picky", "picky-chat", "hello", nil), http.StatusBadRequest, "GW-032", "upstream_4xx")
		if rec.Failure.UpstreamStatus != 400 || rec.Failure.Fault != "caller" {
			t.Fatalf("failure %+v", rec.Failure)
		}
	})

	t.Run("every target tried is recorded", func(t *testing.T) {
		pol := createPolicy(t, in, ta, map[string]any{"name": "fallback-to-refusing", "fallbacks": []map[string]string{{"provider": "refusing", "model": "refusing-chat"}}})
		rec := record(t, chatWith(t, in, ta, "picky", "picky-chat", "hello", map[string]any{"policy_id": pol.ID}), http.StatusBadGateway, "GW-009", "connection_refused")
		tr := rec.Failure.Tried
		if len(tr) != 2 || tr[0].Provider != "picky" || tr[0].Cause != "upstream_4xx" || tr[0].UpstreamStatus != 400 ||
			tr[1].Provider != "refusing" || tr[1].Cause != "connection_refused" || rec.Failure.Fault != "provider" {
			t.Fatalf("tried %+v", tr)
		}
	})

	// A security block, for the stats to count apart: in the log before they count.
	blocked := wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", injectionPrompt, nil), http.StatusUnprocessableEntity, "GW-003")
	awaitRequest(t, in, ta, blocked.RequestID)

	// A provider failure recorded before RequestFailed existed.
	legacyID := "legacy-provider-failure"
	_, err = in.Running.Stack.Store.Append(t.Context(), eventstore.Metadata{TenantID: tenantID, Actor: "test"},
		eventstore.StreamAppend{StreamID: gw.StreamOfRequest(legacyID), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: gw.RequestBlocked, Subject: legacyID, Data: &gw.RequestRecordedV1{RequestID: legacyID,
				TenantID: tenantID, Provider: "old", Model: "old-chat", Status: 502, ErrorCode: "GW-009", Blocked: true, BlockedBy: "provider_call",
				Violations: []string{"provider_call"}, Steps: []gw.StepTrace{{Step: "provider_call", Verdict: "error", Detail: "old answered 503 (overloaded)"}}}}}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("an old provider_call block reads as a failure", func(t *testing.T) {
		var rec failedOut
		testkit.Eventually(t, 10*time.Second, "the legacy record in the log", func() bool {
			return in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+legacyID, ta, nil).Status == http.StatusOK
		})
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+legacyID, ta, nil).Data(t, &rec)
		if rec.Outcome != "failed" || rec.Blocked || rec.Failure == nil || rec.Failure.Cause != "upstream_5xx" ||
			rec.Failure.UpstreamStatus != 503 || !rec.Failure.Legacy {
			t.Fatalf("legacy record %+v %+v", rec, rec.Failure)
		}
	})

	t.Run("stats count failures apart from blocks", func(t *testing.T) {
		var st struct {
			Requests    int64            `json:"requests"`
			Blocked     int64            `json:"blocked"`
			BlockRate   float64          `json:"block_rate"`
			Failed      int64            `json:"failed"`
			FailureRate float64          `json:"failure_rate"`
			ByBlocker   map[string]int64 `json:"blocked_by"`
			FailedBy    map[string]int64 `json:"failed_by"`
			Groups      []struct {
				Provider string `json:"provider"`
				Blocked  int64  `json:"blocked"`
				Failed   int64  `json:"failed"`
			} `json:"by_provider_model_principal"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests/stats", ta, nil).Data(t, &st)
		want := map[string]int64{"upstream_5xx": 2, "circuit_open": 1, "timeout": 2, "connection_refused": 3, "upstream_4xx": 1}
		if st.Requests != 10 || st.Blocked != 1 || st.Failed != 9 || st.BlockRate != 0.1 || st.FailureRate != 0.9 ||
			len(st.ByBlocker) != 1 || st.ByBlocker["injection_detection"] != 1 || len(st.FailedBy) != len(want) {
			t.Fatalf("stats %+v", st)
		}
		for k, n := range want {
			if st.FailedBy[k] != n {
				t.Fatalf("failed_by %v, want %v", st.FailedBy, want)
			}
		}
		for _, g := range st.Groups {
			if g.Provider == "refusing" && (g.Failed != 2 || g.Blocked != 0) {
				t.Fatalf("group %+v", g)
			}
		}
	})

	t.Run("the log filters by outcome", func(t *testing.T) {
		count := func(q string) int {
			var rs []failedOut
			r := in.Do(t, http.MethodGet, "/api/v1/gateway/requests?limit=100&"+q, ta, nil)
			wantStatus(t, r, http.StatusOK)
			r.Data(t, &rs)
			for _, x := range rs {
				if want := strings.TrimPrefix(q, "outcome="); strings.HasPrefix(q, "outcome=") && x.Outcome != want {
					t.Fatalf("%s listed %+v", q, x)
				}
			}
			return len(rs)
		}
		if f, b, c, blocked := count("outcome=failed"), count("outcome=blocked"), count("outcome=completed"), count("blocked=true"); f != 9 || b != 1 || c != 0 || blocked != 1 {
			t.Fatalf("failed %d, blocked %d, completed %d, blocked=true %d", f, b, c, blocked)
		}
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/requests?outcome=broken", ta, nil), http.StatusBadRequest, "VAL-005")
	})

	t.Run("failures are recorded as RequestFailed, never RequestBlocked", func(t *testing.T) {
		if n := len(events(t, in, ta, "RequestFailed")); n != 8 {
			t.Fatalf("%d RequestFailed events, want 8", n)
		}
		for _, e := range events(t, in, ta, "RequestBlocked") {
			if data, _ := e["data"].(map[string]any); data["blocked_by"] == "provider_call" && e["subject"] != legacyID {
				t.Fatalf("a provider failure recorded as a block: %v", e)
			}
		}
	})

	t.Run("failures move the resilience pillar, not security", func(t *testing.T) {
		type signal struct {
			Pillar string  `json:"pillar"`
			Score  float64 `json:"score"`
			Source string  `json:"source"`
		}
		var res []signal
		testkit.Eventually(t, 15*time.Second, "resilience signals of the failures", func() bool {
			res = nil
			in.Do(t, http.MethodGet, "/api/v1/trust/signals?pillar=resilience&limit=100", ta, nil).Data(t, &res)
			return len(res) >= 8
		})
		failed, legacy := 0, 0
		for _, s := range res {
			switch {
			case s.Source == gw.RequestFailed.CEType() && s.Score == 45:
				failed++
			case s.Source == gw.RequestBlocked.CEType():
				legacy++ // the old record keeps its old signal
			}
		}
		// The request the provider refused as the caller's fault says nothing
		// about the provider's health: 7 of the 8 failures are signals.
		if failed != 7 || legacy != 1 {
			t.Fatalf("resilience signals %+v", res)
		}
		var sec []signal
		in.Do(t, http.MethodGet, "/api/v1/trust/signals?pillar=security&limit=100", ta, nil).Data(t, &sec)
		for _, s := range sec {
			if s.Source == gw.RequestFailed.CEType() {
				t.Fatalf("a failure in the security pillar: %+v", s)
			}
		}
		if len(sec) != 1 {
			t.Fatalf("security signals %+v, want the injection block only", sec)
		}
	})
}

// registerProvider registers an openai_compatible provider at baseURL.
func registerProvider(t *testing.T, in *testkit.Instance, token, name, baseURL string, settings map[string]any) {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", token, map[string]any{"name": name, "kind": "openai_compatible",
		"base_url": baseURL, "models": []string{name + "-chat"}, "settings": settings})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
}

// TestGateway_StreamFailingMidway: an upstream that dies after the client has
// been sent part of the answer ends the stream with an error event naming
// the failure and [DONE] (never a silent end that reads as a complete
// answer), and the request is recorded as a provider failure, not a block.
func TestGateway_StreamFailingMidway(t *testing.T) {
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "Streams")
	words := strings.Repeat("Once upon a time there was a gateway. ", 8)
	breaking := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, word := range strings.SplitAfter(words, " ") {
			chunk, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "breaking-chat",
				"choices": []map[string]any{{"index": 0, "delta": map[string]any{"content": word}, "finish_reason": nil}}})
			_, _ = w.Write([]byte("data: " + string(chunk) + "\n\n"))
		}
		w.(http.Flusher).Flush()
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close() // the upstream dies mid-stream
		}
	}))
	t.Cleanup(breaking.Close)
	registerProvider(t, in, ta, "breaking", breaking.URL+"/v1", map[string]any{"max_retries": 0})

	r := in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", ta,
		map[string]any{"model": "breaking/breaking-chat", "stream": true, "messages": []map[string]string{{"role": "user", "content": "tell me a story"}}})
	// What the client was sent before the failure is the answer's start.
	var sent strings.Builder
	var failure struct {
		Error struct{ Type, Code string } `json:"error"`
	}
	events := strings.Split(string(r.Body), "\n\n")
	for i, ev := range events {
		switch {
		case strings.HasPrefix(ev, "data: {"):
			var ch struct {
				Choices []struct {
					Delta        struct{ Content string } `json:"delta"`
					FinishReason *string                  `json:"finish_reason"`
				} `json:"choices"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(ev, "data: ")), &ch); err != nil || len(ch.Choices) != 1 || ch.Choices[0].FinishReason != nil {
				t.Fatalf("event %d: %q", i, ev)
			}
			sent.WriteString(ch.Choices[0].Delta.Content)
		case strings.HasPrefix(ev, "event: error\ndata: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(ev, "event: error\ndata: ")), &failure); err != nil || i+3 != len(events) ||
				events[i+1] != "data: [DONE]" {
				t.Fatalf("the error event is not the last before [DONE]: %q", r.Body)
			}
		}
	}
	if r.Status != http.StatusOK || sent.Len() < 100 || !strings.HasPrefix(words, sent.String()) ||
		failure.Error.Code != "GW-009" || failure.Error.Type != "upstream_error" {
		t.Fatalf("the client saw %d, the text %q and the failure %+v", r.Status, sent.String(), failure)
	}
	var rec failedOut
	testkit.Eventually(t, 10*time.Second, "the failed stream in the log", func() bool {
		l := in.Do(t, http.MethodGet, "/api/v1/gateway/requests?outcome=failed", ta, nil)
		var page []failedOut
		l.Data(t, &page)
		if len(page) != 1 {
			return false
		}
		rec = page[0]
		return true
	})
	if rec.Blocked || rec.ErrorCode != "GW-009" || rec.Failure == nil || rec.Failure.Fault != "provider" || rec.Failure.Cause == "" {
		t.Fatalf("record of a stream failed mid-way: %+v %+v", rec, rec.Failure)
	}
}
