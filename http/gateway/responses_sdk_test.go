package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// sdkError is an error the script caught, as the SDK raised it.
type sdkError struct {
	Thrown     bool   `json:"thrown"`
	Class      string `json:"class"`
	NotFound   bool   `json:"not_found"`
	BadRequest bool   `json:"bad_request"`
	APIError   bool   `json:"api_error"`
	Auth       bool   `json:"auth"`
	Status     int    `json:"status"`
	Code       string `json:"code"`
	Param      string `json:"param"`
	Type       string `json:"type"`
	Message    string `json:"message"`
}

func runScript(t *testing.T, dir, script string, env ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	return bytes.TrimSpace(stdout.Bytes())
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOpenAIResponses_OfficialClient drives POST …/openai/v1/responses with
// the official `openai` npm client (responses.create, plain and streamed)
// against an upstream that records the Chat Completions request each
// Responses request was translated to.
func TestOpenAIResponses_OfficialClient(t *testing.T) {
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
	key, _ := in.NewAPIKey(t, admin, "openai-responses", "gateway:read", "gateway:write")
	raw := runScript(t, dir, "responses.mjs", "ASTRA_BASE_URL="+in.URL+"/api/v1/gateway/openai/v1", "ASTRA_API_KEY="+key,
		"ASTRA_CHAT_MODEL=loop-tools", "ASTRA_KILLED_MODEL=loop-killed")
	var out struct {
		Got    map[string]json.RawMessage `json:"got"`
		Events map[string][]string        `json:"events"`
		Errors map[string]sdkError        `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("script output %q: %v", raw, err)
	}

	// What the upstream received: the Chat Completions translation, whole.
	tools := `[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","strict":true,
		"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}}]`
	user := `{"role":"user","content":[{"type":"text","text":"What is the weather in Paris?"}]}`
	first := `{"model":"loop-tools","messages":[{"role":"system","content":"You are a weather bot."},` + user + `],
		"tools":` + tools + `,"tool_choice":"auto","parallel_tool_calls":false,"temperature":0.2,"top_p":0.9,
		"max_completion_tokens":200,"metadata":{"team":"agents"},"user":"user-42","reasoning_effort":"low"}`
	follow := `{"model":"loop-tools","tools":` + tools + `,"messages":[` + user + `,
		{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
		{"role":"tool","tool_call_id":"call_abc123","content":"{\"temp_c\":18}"}]}`
	sameJSON(t, "first", decodeJSON(t, first), rc.body(t, 0))
	sameJSON(t, "follow-up", decodeJSON(t, follow), rc.body(t, 1))
	sameJSON(t, "streamed first", decodeJSON(t, first), rc.body(t, 2), "stream", "stream_options")
	sameJSON(t, "streamed follow-up", decodeJSON(t, follow), rc.body(t, 3), "stream", "stream_options")
	if rc.body(t, 2)["stream"] != true {
		t.Errorf("the streamed request did not stream upstream")
	}
	sameJSON(t, "json_schema", decodeJSON(t, `{"model":"loop-tools","messages":[{"role":"user","content":"Give me a person as JSON."}],
		"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}}}}`),
		rc.body(t, 4))
	sameJSON(t, "image", decodeJSON(t, `{"model":"loop-tools","messages":[{"role":"user","content":[{"type":"text","text":"What is in this image?"},
		{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==","detail":"low"}}]}]}`),
		rc.body(t, 5))

	// What the SDK got: the function call as an output item, usage, text.
	type item struct {
		Type      string `json:"type"`
		CallID    string `json:"call_id"`
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
		Status    string `json:"status"`
	}
	var resp struct {
		ID     string `json:"id"`
		Object string `json:"object"`
		Status string `json:"status"`
		Model  string `json:"model"`
		Store  bool   `json:"store"`
		Output []item `json:"output"`
		Usage  struct {
			InputTokens         int            `json:"input_tokens"`
			OutputTokens        int            `json:"output_tokens"`
			TotalTokens         int            `json:"total_tokens"`
			OutputTokensDetails map[string]int `json:"output_tokens_details"`
		} `json:"usage"`
		OutputText string `json:"output_text"`
	}
	for _, which := range []string{"first", "stream_first"} {
		resp.Output = nil
		if err := json.Unmarshal(out.Got[which], &resp); err != nil {
			t.Fatal(err)
		}
		fc := slices.IndexFunc(resp.Output, func(i item) bool { return i.Type == "function_call" })
		if fc < 0 || resp.Output[fc].CallID != "call_abc123" || resp.Output[fc].Name != "get_weather" || resp.Output[fc].Arguments != toolArgs ||
			resp.Output[fc].Status != "completed" {
			t.Errorf("%s: function call came back as %s", which, out.Got[which])
		}
		if !strings.HasPrefix(resp.ID, "resp_") || resp.Object != "response" || resp.Status != "completed" || resp.Model != "loop-tools" || resp.Store ||
			resp.Usage.InputTokens != 20 || resp.Usage.OutputTokens != 9 || resp.Usage.TotalTokens != 29 || resp.Usage.OutputTokensDetails["reasoning_tokens"] != 3 {
			t.Errorf("%s: response envelope: %s", which, out.Got[which])
		}
	}
	var followText, streamText string
	_ = json.Unmarshal(out.Got["follow_text"], &followText)
	_ = json.Unmarshal(out.Got["stream_follow_text"], &streamText)
	if followText != "It is 18 degrees in Paris." || streamText != "It is 18 degrees in Paris." {
		t.Errorf("answers to the function output: %q, streamed %q", followText, streamText)
	}
	for _, want := range []string{"response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta",
		"response.function_call_arguments.done", "response.output_item.done", "response.completed"} {
		if !slices.Contains(out.Events["first"], want) {
			t.Errorf("streamed function call: no %s event in %v", want, out.Events["first"])
		}
	}
	for _, want := range []string{"response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.completed"} {
		if !slices.Contains(out.Events["follow"], want) {
			t.Errorf("streamed text: no %s event in %v", want, out.Events["follow"])
		}
	}
	var schema struct {
		OutputText string `json:"output_text"`
	}
	_ = json.Unmarshal(out.Got["schema"], &schema)
	if schema.OutputText != `{"name":"Ada"}` {
		t.Errorf("json_schema answer: %s", out.Got["schema"])
	}

	// Refusals, as the SDK's typed errors with the message.
	if e := out.Errors["unknown_model"]; !e.Thrown || !e.NotFound || e.Status != 404 || e.Code != "model_not_found" || !strings.Contains(e.Message, "gpt-does-not-exist") {
		t.Errorf("unknown model: %+v", e)
	}
	for _, k := range []string{"killed", "killed_stream"} {
		if e := out.Errors[k]; !e.Thrown || !e.APIError || e.Status != http.StatusServiceUnavailable || e.Code != "GW-001" || !strings.Contains(e.Message, "incident 42") {
			t.Errorf("%s: %+v", k, e)
		}
	}
	if e := out.Errors["previous_response_id"]; !e.Thrown || !e.BadRequest || e.Param != "previous_response_id" || !strings.Contains(e.Message, "previous_response_id") {
		t.Errorf("previous_response_id: %+v", e)
	}
	if e := out.Errors["hosted_tool"]; !e.Thrown || !e.BadRequest || e.Param != "tools[0].type" || !strings.Contains(e.Message, "web_search") {
		t.Errorf("hosted tool: %+v", e)
	}
}
