package gateway_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// loopback is an OpenAI-compatible provider served on 127.0.0.1 by the test:
// chat completions (JSON and SSE), embeddings and the model list. Its answer
// is "loopback(<model>): <last user message>", or exactly what follows
// "LOOPBACK_SAY:" in the last user message. failWith makes every call answer
// that HTTP status.
type loopback struct {
	srv      *httptest.Server
	name     string
	models   []string
	dim      int
	failWith atomic.Int32
	calls    atomic.Int64

	mu       sync.Mutex
	prompts  []string // last user message of every chat/embedding call, as the provider saw it
	authSeen []string // Authorization headers received
}

func newLoopback(t *testing.T, name string, models ...string) *loopback {
	t.Helper()
	lb := &loopback{name: name, models: models, dim: 8}
	lb.srv = httptest.NewServer(http.HandlerFunc(lb.serve))
	t.Cleanup(lb.srv.Close)
	return lb
}

// BaseURL is the provider's base URL as registered in the gateway.
func (lb *loopback) BaseURL() string { return lb.srv.URL + "/v1" }

func (lb *loopback) reply(model, last string) string {
	if _, after, ok := strings.Cut(last, "LOOPBACK_SAY:"); ok {
		return strings.TrimSpace(after)
	}
	return "loopback(" + model + "): " + last
}

func (lb *loopback) lastPrompt() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if len(lb.prompts) == 0 {
		return ""
	}
	return lb.prompts[len(lb.prompts)-1]
}

func (lb *loopback) lastAuth() string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if len(lb.authSeen) == 0 {
		return ""
	}
	return lb.authSeen[len(lb.authSeen)-1]
}

func (lb *loopback) serve(w http.ResponseWriter, r *http.Request) {
	lb.calls.Add(1)
	lb.mu.Lock()
	lb.authSeen = append(lb.authSeen, r.Header.Get("Authorization"))
	lb.mu.Unlock()
	if s := lb.failWith.Load(); s != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s))
		_, _ = fmt.Fprintf(w, `{"error":{"message":"%s is failing on purpose","type":"server_error"}}`, lb.name)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		data := []map[string]any{}
		for _, m := range lb.models {
			data = append(data, map[string]any{"id": m, "object": "model", "created": 0, "owned_by": lb.name})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions":
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
			Stream        bool `json:"stream"`
			StreamOptions *struct {
				IncludeUsage bool `json:"include_usage"`
			} `json:"stream_options"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		last := ""
		for _, m := range req.Messages {
			if m.Role == "user" {
				last = m.Content
			}
		}
		lb.mu.Lock()
		lb.prompts = append(lb.prompts, last)
		lb.mu.Unlock()
		text := lb.reply(req.Model, last)
		usage := map[string]int{"prompt_tokens": 7, "completion_tokens": len(strings.Fields(text)), "total_tokens": 7 + len(strings.Fields(text))}
		if !req.Stream {
			writeJSON(w, map[string]any{"id": "chatcmpl-loop", "object": "chat.completion", "created": 1, "model": req.Model,
				"choices": []map[string]any{{"index": 0, "message": map[string]string{"role": "assistant", "content": text}, "finish_reason": "stop"}},
				"usage":   usage})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl, _ := w.(http.Flusher)
		send := func(v any) {
			b, _ := json.Marshal(v)
			_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
			if fl != nil {
				fl.Flush()
			}
		}
		chunk := func(delta map[string]string, finish any) map[string]any {
			return map[string]any{"id": "chatcmpl-loop", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
				"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}}}
		}
		send(chunk(map[string]string{"role": "assistant"}, nil))
		for _, part := range strings.SplitAfter(text, " ") {
			send(chunk(map[string]string{"content": part}, nil))
		}
		send(chunk(map[string]string{}, "stop"))
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
			send(map[string]any{"id": "chatcmpl-loop", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
				"choices": []any{}, "usage": usage})
		}
		_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	case r.Method == http.MethodPost && r.URL.Path == "/v1/embeddings":
		var req struct {
			Model string `json:"model"`
			Input any    `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		var inputs []string
		switch v := req.Input.(type) {
		case string:
			inputs = []string{v}
		case []any:
			for _, x := range v {
				s, _ := x.(string)
				inputs = append(inputs, s)
			}
		}
		data := []map[string]any{}
		for i, s := range inputs {
			lb.mu.Lock()
			lb.prompts = append(lb.prompts, s)
			lb.mu.Unlock()
			data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": lb.vector(s)})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": 3 * len(inputs), "completion_tokens": 0, "total_tokens": 3 * len(inputs)}})
	default:
		http.NotFound(w, r)
	}
}

// vector is the provider's embedding of s.
func (lb *loopback) vector(s string) []float64 {
	sum := sha256.Sum256([]byte(s))
	vec := make([]float64, lb.dim)
	for j := range vec {
		vec[j] = float64(sum[j])/255 - 0.5
	}
	return vec
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// startLoopbackInstance starts the product with loopback provider URLs allowed
// (ASTRA_ALLOW_PRIVATE_URLS=loopback), as a test setup must say explicitly.
func startLoopbackInstance(t *testing.T) *testkit.Instance {
	t.Helper()
	cfg := testkit.Config(t)
	cfg.AllowPrivateURLs = []string{"loopback"}
	return testkit.Start(t, &cfg)
}

type providerOut struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Kind           string         `json:"kind"`
	BaseURL        string         `json:"base_url"`
	Models         []string       `json:"models"`
	Settings       map[string]any `json:"settings"`
	CredentialsSet bool           `json:"credentials_set"`
	Version        int64          `json:"version"`
}

// registerLoopback registers lb as an openai_compatible provider of the
// token's tenant; settings (may be nil) override the defaults.
func registerLoopback(t *testing.T, in *testkit.Instance, token string, lb *loopback, apiKey string, settings map[string]any) providerOut {
	t.Helper()
	body := map[string]any{"name": lb.name, "kind": "openai_compatible", "base_url": lb.BaseURL(), "models": lb.models}
	if apiKey != "" {
		body["api_key"] = apiKey
	}
	if settings != nil {
		body["settings"] = settings
	}
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", lb.name, r.Status, r.Body)
	}
	var p providerOut
	r.Data(t, &p)
	return p
}
