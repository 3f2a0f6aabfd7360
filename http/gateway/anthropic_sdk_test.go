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
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// anthropicUpstream speaks the Anthropic Messages API on /v1/messages and
// records each request (body and headers) exactly as it arrives: it answers
// a tool_use when the request offers tools and the last turn is the user's
// question (not a tool result), text otherwise; streamed with the tool's
// input split across input_json_delta events.
type anthropicUpstream struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
}

func newAnthropicUpstream(t *testing.T) *anthropicUpstream {
	up := &anthropicUpstream{}
	up.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/messages" {
			http.Error(w, `{"type":"error","error":{"type":"not_found_error","message":"no such path"}}`, http.StatusNotFound)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		up.mu.Lock()
		up.bodies, up.headers = append(up.bodies, raw), append(up.headers, r.Header.Clone())
		up.mu.Unlock()
		var req struct {
			Model         string   `json:"model"`
			Stream        bool     `json:"stream"`
			Tools         []any    `json:"tools"`
			StopSequences []string `json:"stop_sequences"`
			Messages      []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		_ = json.Unmarshal(raw, &req)
		last := req.Messages[len(req.Messages)-1]
		wantTool := len(req.Tools) > 0 && !bytes.Contains(last.Content, []byte("tool_result"))
		text := "Hello there."
		if len(req.Tools) > 0 {
			text = "It is 18 degrees in Paris."
		}
		if wantTool {
			text = "Let me check."
		}
		stop := "end_turn"
		if wantTool {
			stop = "tool_use"
		}
		var stopSeq any
		if len(req.StopSequences) > 0 {
			stop, stopSeq = "stop_sequence", req.StopSequences[0]
		}
		if !req.Stream {
			content := []any{map[string]any{"type": "text", "text": text}}
			if wantTool {
				content = append(content, map[string]any{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": map[string]string{"city": "Paris"}})
			}
			writeJSON(w, map[string]any{"id": "msg_up", "type": "message", "role": "assistant", "model": req.Model, "content": content,
				"stop_reason": stop, "stop_sequence": stopSeq, "usage": map[string]int{"input_tokens": 21, "output_tokens": 8}})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		ev := func(typ string, v map[string]any) {
			v["type"] = typ
			b, _ := json.Marshal(v)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b)
		}
		ev("message_start", map[string]any{"message": map[string]any{"id": "msg_up", "type": "message", "role": "assistant", "model": req.Model,
			"content": []any{}, "stop_reason": nil, "usage": map[string]int{"input_tokens": 21, "output_tokens": 1}}})
		ev("content_block_start", map[string]any{"index": 0, "content_block": map[string]string{"type": "text", "text": ""}})
		for _, part := range strings.SplitAfter(text, " ") {
			ev("content_block_delta", map[string]any{"index": 0, "delta": map[string]string{"type": "text_delta", "text": part}})
		}
		ev("content_block_stop", map[string]any{"index": 0})
		if wantTool {
			ev("content_block_start", map[string]any{"index": 1, "content_block": map[string]any{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": map[string]any{}}})
			for _, frag := range []string{`{"ci`, `ty": "Pa`, `ris"}`} {
				ev("content_block_delta", map[string]any{"index": 1, "delta": map[string]string{"type": "input_json_delta", "partial_json": frag}})
			}
			ev("content_block_stop", map[string]any{"index": 1})
		}
		ev("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 8}})
		ev("message_stop", map[string]any{})
	}))
	t.Cleanup(up.srv.Close)
	return up
}

func (up *anthropicUpstream) body(t *testing.T, i int) (map[string]any, http.Header) {
	t.Helper()
	up.mu.Lock()
	defer up.mu.Unlock()
	if i >= len(up.bodies) {
		t.Fatalf("the upstream received %d requests, not %d", len(up.bodies), i+1)
	}
	var m map[string]any
	if err := json.Unmarshal(up.bodies[i], &m); err != nil {
		t.Fatal(err)
	}
	return m, up.headers[i]
}

// anthropicSDKDir is sdk/anthropic-compat-test with its dependencies
// installed from the committed lock file (npm ci only when missing).
func anthropicSDKDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "sdk", "anthropic-compat-test")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@anthropic-ai", "sdk", "package.json")); err == nil {
		return dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out.String())
	}
	return dir
}

// TestAnthropicMessages_OfficialSDK drives POST /gateway/anthropic/v1/messages
// with the official @anthropic-ai/sdk through the whole chain: SDK → the
// Messages endpoint → the gateway's request model and pipeline → the
// anthropic provider adapter → a loopback Anthropic upstream.
func TestAnthropicMessages_OfficialSDK(t *testing.T) {
	requireTool(t, "node", "npm")
	dir := anthropicSDKDir(t)
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	up := newAnthropicUpstream(t)
	body := map[string]any{"name": "claude-loop", "kind": "anthropic", "base_url": up.srv.URL, "api_key": "sk-ant-loop",
		"models": []string{"claude-loop-1", "claude-killed"}}
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", admin, body); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", admin,
		map[string]any{"scope": map[string]string{"kind": "model", "value": "claude-killed"}, "reason": "incident 43"}); r.Status >= 300 {
		t.Fatalf("kill switch: %d %s", r.Status, r.Body)
	}
	key, _ := in.NewAPIKey(t, admin, "anthropic-sdk", "gateway:read", "gateway:write")

	// Without a key: 401 in Anthropic's shape.
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/api/v1/gateway/anthropic/v1/messages",
		strings.NewReader(`{"model":"claude-loop-1","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var shape struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil || resp.StatusCode != http.StatusUnauthorized || shape.Type != "error" ||
		shape.Error.Type != "authentication_error" || !strings.Contains(shape.Error.Message, "X-API-Key") {
		t.Errorf("no key: %d %s", resp.StatusCode, raw)
	}

	out := runScript(t, dir, "messages.mjs", "ASTRA_BASE_URL="+in.URL+"/api/v1/gateway/anthropic", "ASTRA_API_KEY="+key,
		"ASTRA_CHAT_MODEL=claude-loop-1", "ASTRA_KILLED_MODEL=claude-killed")
	var res struct {
		Got    map[string]json.RawMessage `json:"got"`
		Events map[string][]string        `json:"events"`
		Errors map[string]sdkError        `json:"errors"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("script output %q: %v", out, err)
	}

	// What the upstream received: the Messages API, from the adapter, with
	// the provider's own credentials (never the caller's key).
	tools := `[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`
	ask := `{"role":"user","content":[{"type":"text","text":"What is the weather in Paris?"}]}`
	want := []string{
		`{"model":"claude-loop-1","max_tokens":256,"system":"You are terse.","messages":[{"role":"user","content":"Say hello."}],
			"temperature":0.3,"top_p":0.8,"top_k":40,"stop_sequences":["END"],"metadata":{"user_id":"user-42"}}`,
		`{"model":"claude-loop-1","max_tokens":256,"messages":[{"role":"user","content":"Say hello."}],"stream":true}`,
		`{"model":"claude-loop-1","max_tokens":256,"tools":` + tools + `,"tool_choice":{"type":"auto"},"messages":[` + ask + `]}`,
		`{"model":"claude-loop-1","max_tokens":256,"tools":` + tools + `,"messages":[` + ask + `,
			{"role":"assistant","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"{\"temp_c\":18}"}]}]}`,
		`{"model":"claude-loop-1","max_tokens":256,"tools":` + tools + `,"messages":[` + ask + `],"stream":true}`,
	}
	for i, w := range want {
		got, h := up.body(t, i)
		sameJSON(t, fmt.Sprintf("upstream request %d", i), decodeJSON(t, w), got)
		if h.Get("x-api-key") != "sk-ant-loop" || h.Get("anthropic-version") == "" {
			t.Errorf("upstream request %d: headers %v", i, h)
		}
	}

	// What the SDK got.
	type block struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	}
	type message struct {
		ID           string  `json:"id"`
		Type         string  `json:"type"`
		Role         string  `json:"role"`
		Model        string  `json:"model"`
		Content      []block `json:"content"`
		StopReason   string  `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
		Usage        struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	get := func(k string) message {
		var m message
		if err := json.Unmarshal(res.Got[k], &m); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return m
	}
	for k, stop := range map[string]string{"plain": "stop_sequence", "stream": "end_turn"} {
		m := get(k)
		if !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" || m.Model != "claude-loop-1" || len(m.Content) != 1 ||
			m.Content[0].Type != "text" || m.Content[0].Text != "Hello there." || m.StopReason != stop || m.Usage.InputTokens != 21 || m.Usage.OutputTokens != 8 {
			t.Errorf("%s: %s", k, res.Got[k])
		}
	}
	if m := get("plain"); m.StopSequence == nil || *m.StopSequence != "END" {
		t.Errorf("plain: the matched stop sequence is lost: %s", res.Got["plain"])
	}
	var streamText string
	_ = json.Unmarshal(res.Got["stream_text"], &streamText)
	if streamText != "Hello there." {
		t.Errorf("streamed text %q", streamText)
	}
	for _, k := range []string{"tool", "tool_stream"} {
		m := get(k)
		i := slices.IndexFunc(m.Content, func(b block) bool { return b.Type == "tool_use" })
		if i < 0 || m.Content[i].ID != "toolu_01" || m.Content[i].Name != "get_weather" || m.StopReason != "tool_use" ||
			m.Content[0].Type != "text" || m.Content[0].Text != "Let me check." {
			t.Errorf("%s: %s", k, res.Got[k])
			continue
		}
		var input map[string]string
		if err := json.Unmarshal(m.Content[i].Input, &input); err != nil || input["city"] != "Paris" {
			t.Errorf("%s: tool input %s", k, m.Content[i].Input)
		}
	}
	if m := get("tool_follow"); len(m.Content) != 1 || m.Content[0].Text != "It is 18 degrees in Paris." || m.StopReason != "end_turn" {
		t.Errorf("answer to the tool result: %s", res.Got["tool_follow"])
	}
	for _, want := range []string{"message_start", "content_block_start", "content_block_delta:text_delta", "content_block_delta:input_json_delta",
		"content_block_stop", "message_delta", "message_stop"} {
		if !slices.Contains(res.Events["tool"], want) {
			t.Errorf("streamed tool use: no %s in %v", want, res.Events["tool"])
		}
	}

	// Refusals as the SDK's typed errors, with the message.
	if e := res.Errors["unknown_model"]; !e.Thrown || !e.NotFound || e.Status != 404 || e.Type != "not_found_error" || !strings.Contains(e.Message, "claude-does-not-exist") {
		t.Errorf("unknown model: %+v", e)
	}
	for _, k := range []string{"killed", "killed_stream"} {
		if e := res.Errors[k]; !e.Thrown || !e.APIError || e.Status != http.StatusServiceUnavailable || e.Type != "api_error" || !strings.Contains(e.Message, "incident 43") {
			t.Errorf("%s: %+v", k, e)
		}
	}
	if e := res.Errors["bad_key"]; !e.Thrown || !e.Auth || e.Status != 401 || e.Type != "authentication_error" {
		t.Errorf("bad key: %+v", e)
	}
	if e := res.Errors["thinking"]; !e.Thrown || !e.BadRequest || e.Type != "invalid_request_error" || !strings.Contains(e.Message, "'thinking'") {
		t.Errorf("thinking: %+v", e)
	}
	// Nothing refused reached the upstream.
	up.mu.Lock()
	n := len(up.bodies)
	up.mu.Unlock()
	if n != len(want) {
		t.Errorf("the upstream received %d requests, want %d", n, len(want))
	}
}
