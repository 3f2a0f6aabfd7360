package bastionai_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// script is an OpenAI-compatible upstream on 127.0.0.1 that plays a script:
// each chat completion answers the next step (tool calls, or text), and
// records the request it received, as the provider saw it. Embeddings are
// a hashed bag of words (so that similar texts are near).
type script struct {
	srv   *httptest.Server
	mu    sync.Mutex
	steps []step
	seen  []seenRequest
}

// step is one scripted answer: tool calls (name → JSON arguments) or text.
type step struct {
	calls [][2]string
	text  string
}

type seenRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role       string `json:"role"`
		Content    any    `json:"content"`
		ToolCallID string `json:"tool_call_id"`
	} `json:"messages"`
	Tools []struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

func (s seenRequest) toolNames() []string {
	var out []string
	for _, t := range s.Tools {
		out = append(out, t.Function.Name)
	}
	return out
}

// toolResults are the contents of the role "tool" messages.
func (s seenRequest) toolResults() []string {
	var out []string
	for _, m := range s.Messages {
		if m.Role == "tool" {
			c, _ := m.Content.(string)
			out = append(out, c)
		}
	}
	return out
}

func newScript(t *testing.T) *script {
	t.Helper()
	s := &script{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *script) play(steps ...step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = append(s.steps, steps...)
}

// reset drops the steps not played.
func (s *script) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps = nil
}

func (s *script) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

func (s *script) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/models":
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": []map[string]any{{"id": "scripted-1", "object": "model"}, {"id": "embed-1", "object": "model"}}})
	case "/v1/embeddings":
		var req struct {
			Input []string `json:"input"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		data := []map[string]any{}
		for i, in := range req.Input {
			data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": bagOfWords(in)})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": "embed-1",
			"usage": map[string]int{"prompt_tokens": len(req.Input), "total_tokens": len(req.Input)}})
	case "/v1/chat/completions":
		var req seenRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		s.mu.Lock()
		s.seen = append(s.seen, req)
		var st step
		if len(s.steps) > 0 {
			st, s.steps = s.steps[0], s.steps[1:]
		} else {
			st = step{text: "the script has nothing more to say"}
		}
		s.mu.Unlock()
		if req.Stream {
			s.stream(w, req.Model, st)
			return
		}
		msg := map[string]any{"role": "assistant", "content": st.text}
		finish := "stop"
		if len(st.calls) > 0 {
			var calls []map[string]any
			for i, c := range st.calls {
				calls = append(calls, map[string]any{"id": "call_" + c[0] + "_" + string(rune('a'+i)), "type": "function",
					"function": map[string]any{"name": c[0], "arguments": c[1]}})
			}
			msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": calls}
			finish = "tool_calls"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-script", "object": "chat.completion", "created": 1, "model": req.Model,
			"choices": []map[string]any{{"index": 0, "message": msg, "finish_reason": finish}},
			"usage":   map[string]int{"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}})
	default:
		http.NotFound(w, r)
	}
}

// stream answers a step as OpenAI streams: the text a word at a time, or
// each tool call in two fragments (name and the first half of its
// arguments, then the rest), then the finish chunk and [DONE].
func (s *script) stream(w http.ResponseWriter, model string, st step) {
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-script", "object": "chat.completion.chunk", "created": 1, "model": model,
			"choices": []map[string]any{{"index": 0, "delta": delta, "finish_reason": finish}}})
		_, _ = w.Write([]byte("data: " + string(b) + "\n\n"))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	send(map[string]any{"role": "assistant"}, nil)
	finish := "stop"
	for _, part := range strings.SplitAfter(st.text, " ") {
		if part != "" {
			send(map[string]any{"content": part}, nil)
		}
	}
	for i, c := range st.calls {
		finish = "tool_calls"
		half := len(c[1]) / 2
		send(map[string]any{"tool_calls": []map[string]any{{"index": i, "id": "call_" + c[0] + "_" + string(rune('a'+i)), "type": "function",
			"function": map[string]any{"name": c[0], "arguments": c[1][:half]}}}}, nil)
		send(map[string]any{"tool_calls": []map[string]any{{"index": i, "function": map[string]any{"arguments": c[1][half:]}}}}, nil)
	}
	send(map[string]any{}, finish)
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
}

// bagOfWords is a 64-dimension hashed bag of lower-cased words.
func bagOfWords(s string) []float64 {
	v := make([]float64, 64)
	for _, w := range strings.Fields(strings.ToLower(s)) {
		w = strings.Trim(w, ".,:;!?()[]\"'")
		if len(w) < 3 {
			continue
		}
		h := uint32(2166136261)
		for i := 0; i < len(w); i++ {
			h = (h ^ uint32(w[i])) * 16777619
		}
		v[h%64]++
	}
	return v
}

// startInstance starts the product with loopback provider URLs allowed.
func startInstance(t testing.TB) *testkit.Instance {
	t.Helper()
	cfg := testkit.Config(t)
	cfg.AllowPrivateURLs = []string{"loopback"}
	return testkit.Start(t, &cfg)
}

// useScript registers the script as the tenant's "script" provider and as
// the assistant's provider.
func useScript(t *testing.T, in *testkit.Instance, token string, s *script, embeddings bool) {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", token, map[string]any{"name": "script", "kind": "openai_compatible",
		"base_url": s.srv.URL + "/v1", "models": []string{"scripted-1", "embed-1"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("register the script: %d %s", r.Status, r.Body)
	}
	body := map[string]any{"provider": "script", "model": "scripted-1"}
	if embeddings {
		body["embedding_model"] = "embed-1"
	}
	if r := in.Do(t, http.MethodPut, api+"/providers/default", token, body); r.Status != http.StatusOK {
		t.Fatalf("choose the script: %d %s", r.Status, r.Body)
	}
}
