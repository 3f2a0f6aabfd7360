package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// recorder is an OpenAI-compatible upstream that records every chat body
// exactly as it arrives and answers with every response field a current
// OpenAI answer has (and one it has not): tool calls when the request offers
// tools and the last turn is the user's, text otherwise; streamed with the
// tool call's arguments split across chunks.
type recorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

const toolArgs = `{"city":"Paris"}`

func newRecorder(t *testing.T, models ...string) *recorder {
	rc := &recorder{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v1/models" {
			data := []map[string]any{}
			for _, m := range models {
				data = append(data, map[string]any{"id": m, "object": "model"})
			}
			writeJSON(w, map[string]any{"object": "list", "data": data})
			return
		}
		raw, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, raw)
		rc.mu.Unlock()
		var req struct {
			Model    string           `json:"model"`
			Stream   bool             `json:"stream"`
			Tools    []any            `json:"tools"`
			Messages []map[string]any `json:"messages"`
		}
		_ = json.Unmarshal(raw, &req)
		wantTool := len(req.Tools) > 0 && req.Messages[len(req.Messages)-1]["role"] == "user"
		text := "It is 18 degrees in Paris."
		if !wantTool && len(req.Tools) == 0 {
			text = `{"name":"Ada"}`
		}
		usage := map[string]any{"prompt_tokens": 20, "completion_tokens": 9, "total_tokens": 29,
			"prompt_tokens_details": map[string]int{"cached_tokens": 0}, "completion_tokens_details": map[string]int{"reasoning_tokens": 3}}
		if !req.Stream {
			msg := map[string]any{"role": "assistant", "content": text, "refusal": nil, "annotations": []any{}}
			finish := "stop"
			if wantTool {
				msg["content"] = nil
				msg["tool_calls"] = []any{map[string]any{"id": "call_abc123", "type": "function",
					"function": map[string]any{"name": "get_weather", "arguments": toolArgs}}}
				finish = "tool_calls"
			}
			writeJSON(w, map[string]any{"id": "chatcmpl-up", "object": "chat.completion", "created": 1, "model": req.Model,
				"system_fingerprint": "fp_loop", "service_tier": "default", "x_upstream_extra": map[string]bool{"kept": true},
				"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish,
					"logprobs": map[string]any{"content": []any{map[string]any{"token": "It", "logprob": -0.1, "bytes": []int{73, 116}, "top_logprobs": []any{}}}}}},
				"usage": usage})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(delta map[string]any, finish any, u any) {
			ch := map[string]any{"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1, "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
			if u != nil {
				ch["choices"], ch["usage"] = []any{}, u
			}
			b, _ := json.Marshal(ch)
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		send(map[string]any{"role": "assistant", "content": ""}, nil, nil)
		if wantTool {
			send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_abc123", "type": "function",
				"function": map[string]any{"name": "get_weather", "arguments": ""}}}}, nil, nil)
			for _, frag := range []string{`{"ci`, `ty":"Pa`, `ris"}`} {
				send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": frag}}}}, nil, nil)
			}
			send(map[string]any{}, "tool_calls", nil)
		} else {
			for _, w := range strings.SplitAfter(text, " ") {
				send(map[string]any{"content": w}, nil, nil)
			}
			send(map[string]any{}, "stop", nil)
		}
		send(nil, nil, usage)
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *recorder) body(t *testing.T, i int) map[string]any {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if i >= len(rc.bodies) {
		t.Fatalf("the upstream received %d requests, not %d", len(rc.bodies), i+1)
	}
	var m map[string]any
	if err := json.Unmarshal(rc.bodies[i], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameJSON reports whether the upstream received exactly what the client
// sent (as JSON values), naming the first member that differs.
func sameJSON(t *testing.T, what string, sent, got map[string]any, except ...string) {
	t.Helper()
	for _, k := range except {
		delete(sent, k)
		delete(got, k)
	}
	for k, v := range sent {
		if !reflect.DeepEqual(v, got[k]) {
			gb, _ := json.Marshal(got[k])
			sb, _ := json.Marshal(v)
			t.Errorf("%s: %q arrived as %s, sent %s", what, k, gb, sb)
		}
	}
	for k, v := range got {
		if _, ok := sent[k]; !ok {
			b, _ := json.Marshal(v)
			t.Errorf("%s: the upstream received %q=%s, which the client did not send", what, k, b)
		}
	}
}

// TestOpenAIDropIn_ToolsAndEveryField drives the drop-in with the official
// `openai` npm client against an upstream that records what it receives.
func TestOpenAIDropIn_ToolsAndEveryField(t *testing.T) {
	requireTool(t, "node", "npm")
	dir := sdkDir(t)
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	rc := newRecorder(t, "loop-tools", "loop-killed")
	body := map[string]any{"name": "rec", "kind": "openai_compatible", "base_url": rc.srv.URL + "/v1", "models": []string{"loop-tools", "loop-killed"}}
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", admin, body); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", admin,
		map[string]any{"scope": map[string]string{"kind": "model", "value": "loop-killed"}, "reason": "incident 42"}); r.Status >= 300 {
		t.Fatalf("kill switch: %d %s", r.Status, r.Body)
	}
	key, _ := in.NewAPIKey(t, admin, "openai-tools", "gateway:read", "gateway:write")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "tools.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ASTRA_BASE_URL="+in.URL+"/api/v1/gateway/openai/v1", "ASTRA_API_KEY="+key,
		"ASTRA_CHAT_MODEL=loop-tools", "ASTRA_KILLED_MODEL=loop-killed")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node tools.mjs: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	var out struct {
		Sent   map[string]map[string]any `json:"sent"`
		Got    map[string]json.RawMessage
		Errors map[string]struct {
			Thrown   bool   `json:"thrown"`
			Class    string `json:"class"`
			NotFound bool   `json:"not_found"`
			APIError bool   `json:"api_error"`
			Status   int    `json:"status"`
			Code     string `json:"code"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &out); err != nil {
		t.Fatalf("script output %q: %v (stderr %s)", stdout.String(), err, stderr.String())
	}

	// Every request arrived upstream exactly as the client sent it: tools,
	// tool_choice, every sampling field, metadata, the unknown field, the
	// assistant's tool_calls with content null, the tool result, the strict
	// json_schema and the image part. (A stream asks for usage whatever the
	// client asked: usage and budgets need it.)
	sameJSON(t, "first", out.Sent["first"], rc.body(t, 0))
	sameJSON(t, "follow-up", out.Sent["follow"], rc.body(t, 1))
	sameJSON(t, "streamed first", out.Sent["stream_first"], rc.body(t, 2))
	sameJSON(t, "streamed follow-up", out.Sent["stream_follow"], rc.body(t, 3), "stream_options")
	sameJSON(t, "json_schema", out.Sent["schema"], rc.body(t, 4))
	sameJSON(t, "image", out.Sent["image"], rc.body(t, 5))

	// Every response field came back.
	var first struct {
		SystemFingerprint string          `json:"system_fingerprint"`
		ServiceTier       string          `json:"service_tier"`
		Extra             map[string]bool `json:"x_upstream_extra"`
		Choices           []struct {
			Message struct {
				Content   *string `json:"content"`
				ToolCalls []struct {
					ID       string `json:"id"`
					Type     string `json:"type"`
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
				Annotations []any `json:"annotations"`
			} `json:"message"`
			FinishReason string         `json:"finish_reason"`
			Logprobs     map[string]any `json:"logprobs"`
		} `json:"choices"`
		Usage map[string]any `json:"usage"`
	}
	for _, which := range []string{"first", "stream_first"} {
		first.Choices = nil
		if err := json.Unmarshal(out.Got[which], &first); err != nil {
			t.Fatal(err)
		}
		c := first.Choices[0]
		if len(c.Message.ToolCalls) != 1 || c.Message.ToolCalls[0].ID != "call_abc123" || c.Message.ToolCalls[0].Type != "function" ||
			c.Message.ToolCalls[0].Function.Name != "get_weather" || c.Message.ToolCalls[0].Function.Arguments != toolArgs ||
			c.FinishReason != "tool_calls" {
			t.Errorf("%s: tool call came back as %s", which, out.Got[which])
		}
		if which == "first" && (first.SystemFingerprint != "fp_loop" || first.ServiceTier != "default" || !first.Extra["kept"] ||
			c.Logprobs == nil || first.Usage["completion_tokens_details"] == nil || c.Message.Annotations == nil || c.Message.Content != nil) {
			t.Errorf("response fields lost: %s", out.Got[which])
		}
	}
	var follow struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	_ = json.Unmarshal(out.Got["follow"], &follow)
	var streamText string
	_ = json.Unmarshal(out.Got["stream_follow_text"], &streamText)
	if follow.Choices[0].Message.Content != "It is 18 degrees in Paris." || streamText != "It is 18 degrees in Paris." {
		t.Errorf("answers to the tool result: %q, streamed %q", follow.Choices[0].Message.Content, streamText)
	}

	// An unknown model is the SDK's NotFoundError with the message; a
	// kill-switched model a typed APIError carrying the reason.
	nf := out.Errors["unknown_model"]
	if !nf.Thrown || !nf.NotFound || nf.Status != http.StatusNotFound || nf.Code != "model_not_found" ||
		!strings.Contains(nf.Message, "gpt-does-not-exist") {
		t.Errorf("unknown model through the SDK: %+v", nf)
	}
	for _, k := range []string{"killed", "killed_stream"} {
		ks := out.Errors[k]
		if !ks.Thrown || !ks.APIError || ks.Class != "InternalServerError" || ks.Status != http.StatusServiceUnavailable || ks.Code != "GW-001" ||
			!strings.Contains(ks.Message, "incident 42") {
			t.Errorf("%s through the SDK: %+v", k, ks)
		}
	}

	// The audit record of the streamed tool call holds it reassembled.
	var reqs []struct {
		ID     string `json:"id"`
		Stream bool   `json:"stream"`
	}
	testkit.Eventually(t, 10*time.Second, "the requests in the log", func() bool {
		r := in.Do(t, http.MethodGet, "/api/v1/gateway/requests?endpoint=openai_chat", admin, nil)
		r.Data(t, &reqs)
		return len(reqs) >= 8
	})
	found := false
	for _, q := range reqs {
		var one struct {
			Completion string `json:"completion"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+q.ID, admin, nil).Data(t, &one)
		if q.Stream && one.Completion == "tool_call call_abc123 get_weather("+toolArgs+")" {
			found = true
		}
	}
	if !found {
		t.Errorf("no streamed request's audit record holds the reassembled tool call")
	}
}
