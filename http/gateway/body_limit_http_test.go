package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// TestOpenAIDropIn_HonoursTheBodyLimit: the drop-in reads bodies up to
// ASTRA_BODY_LIMIT like every other route, and answers 413 problem+json
// VAL-004 beyond it (it used to read up to a hard-coded 8 MiB).
func TestOpenAIDropIn_HonoursTheBodyLimit(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.BodyLimit = 64 << 10
	in := testkit.Start(t, &cfg)
	token := in.AdminToken(t)
	big := strings.Repeat("the weather is mild today. ", 4000)
	for _, tc := range []struct {
		path string
		body map[string]any
	}{
		{"/api/v1/gateway/openai/v1/chat/completions", map[string]any{"model": "mock-small", "messages": []map[string]string{{"role": "user", "content": big}}}},
		{"/api/v1/gateway/openai/v1/embeddings", map[string]any{"model": "mock-embed", "input": big}},
		{"/api/v1/gateway/chat/completions", map[string]any{"provider": "mock", "model": "mock-small", "messages": []map[string]string{{"role": "user", "content": big}}}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := in.Do(t, http.MethodPost, tc.path, token, tc.body)
			if strings.Contains(tc.path, "/openai/") {
				wantOpenAIError(t, r, http.StatusRequestEntityTooLarge, "VAL-004") // the drop-in answers in OpenAI's shape
				return
			}
			wantProblem(t, r, http.StatusRequestEntityTooLarge, "VAL-004")
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	// The Idempotency-Key middleware reads the body within the same limit.
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", token, map[string]any{"model": "mock-small",
		"messages": []map[string]string{{"role": "user", "content": big}}}, "Idempotency-Key", "too-large-1")
	wantOpenAIError(t, r, http.StatusRequestEntityTooLarge, "VAL-004")
	// Under the limit the drop-in answers as before.
	r = in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", token, map[string]any{"model": "mock-small",
		"messages": []map[string]string{{"role": "user", "content": strings.Repeat("the weather is mild today. ", 1000)}}})
	wantStatus(t, r, http.StatusOK)
}
