package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

const (
	responsesPath = "/api/v1/gateway/openai/v1/responses"
	messagesPath  = "/api/v1/gateway/anthropic/v1/messages"
)

// TestDialects_ThroughThePipeline: the Responses API and the Messages
// endpoint answer as documented (the OpenAPI check of testkit's Do), are
// audited under their own endpoint names, end a stream with an error event
// in their dialect when the response scan withholds the rest, and refuse
// every member without an equivalent with a 400 naming it.
func TestDialects_ThroughThePipeline(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "Dialects")

	t.Run("answers, audited under their endpoint", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, responsesPath, ta, map[string]any{"model": "mock/mock-small", "input": "MOCK_ECHO: hello there"})
		wantStatus(t, r, http.StatusOK)
		var resp struct {
			Output []struct {
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"output"`
		}
		_ = json.Unmarshal(r.Body, &resp)
		if len(resp.Output) != 1 || resp.Output[0].Content[0].Text != "hello there" {
			t.Fatalf("responses: %s", r.Body)
		}
		if rec := awaitRequest(t, in, ta, r.Header.Get("X-Astra-Request-Id")); rec.Endpoint != "openai_responses" {
			t.Errorf("responses audited as %q", rec.Endpoint)
		}
		r = in.Do(t, http.MethodPost, messagesPath, ta, map[string]any{"model": "mock/mock-small", "max_tokens": 64,
			"messages": []map[string]any{{"role": "user", "content": "MOCK_ECHO: hello there"}}}, "anthropic-version", "2023-06-01")
		wantStatus(t, r, http.StatusOK)
		var msg struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			StopReason string `json:"stop_reason"`
		}
		_ = json.Unmarshal(r.Body, &msg)
		if len(msg.Content) != 1 || msg.Content[0].Text != "hello there" || msg.StopReason != "end_turn" {
			t.Fatalf("messages: %s", r.Body)
		}
		if rec := awaitRequest(t, in, ta, r.Header.Get("X-Astra-Request-Id")); rec.Endpoint != "anthropic_messages" {
			t.Errorf("messages audited as %q", rec.Endpoint)
		}
	})

	t.Run("a stream the response scan ends is an error event in the dialect", func(t *testing.T) {
		pol := createPolicy(t, in, ta, map[string]any{"name": "canary", "response_scan": map[string]any{"enabled": true, "pii_action": "allow",
			"canaries": []string{"CANARY-7F3A-19C2"}}})
		say := "MOCK_ECHO: " + strings.Repeat("all is well here, ", 10) + "and the key is CANARY-7F3A-19C2 ok"
		r := in.DoRaw(t, http.MethodPost, responsesPath, ta, map[string]any{"model": "mock/mock-small", "input": say, "stream": true},
			"X-Astra-Policy-Id", pol.ID)
		body := string(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(body, "event: response.output_text.delta") || !strings.Contains(body, "event: error") ||
			!strings.Contains(body, `"code":"GW-011"`) || strings.Contains(body, "CANARY") || strings.Contains(body, "response.completed") {
			t.Errorf("responses stream: %d %s", r.Status, body)
		}
		r = in.DoRaw(t, http.MethodPost, messagesPath, ta, map[string]any{"model": "mock/mock-small", "max_tokens": 512, "stream": true,
			"messages": []map[string]any{{"role": "user", "content": say}}}, "X-Astra-Policy-Id", pol.ID)
		body = string(r.Body)
		if r.Status != http.StatusOK || !strings.Contains(body, "event: content_block_delta") || !strings.Contains(body, "event: error\ndata: {\"error\":{") ||
			!strings.Contains(body, `"type":"error"`) || !strings.Contains(body, "Response withheld") || strings.Contains(body, "CANARY") ||
			strings.Contains(body, "message_stop") {
			t.Errorf("messages stream: %d %s", r.Status, body)
		}
	})

	t.Run("members without an equivalent are refused, naming them", func(t *testing.T) {
		hi := func(extra map[string]any) map[string]any {
			b := map[string]any{"model": "mock/mock-small", "input": "hi"}
			for k, v := range extra {
				b[k] = v
			}
			return b
		}
		for _, c := range []struct {
			body  map[string]any
			param string
		}{
			{hi(map[string]any{"previous_response_id": "resp_1"}), "previous_response_id"},
			{hi(map[string]any{"conversation": "conv_1"}), "conversation"},
			{hi(map[string]any{"store": true}), "store"},
			{hi(map[string]any{"truncation": "auto"}), "truncation"},
			{hi(map[string]any{"include": []string{"reasoning.encrypted_content"}}), "include"},
			{hi(map[string]any{"background": true}), "background"},
			{hi(map[string]any{"reasoning": map[string]any{"effort": "low", "summary": "auto"}}), "reasoning.summary"},
			{hi(map[string]any{"tools": []map[string]any{{"type": "function", "name": "f", "cache": 1}}}), "tools[0].cache"},
			{hi(map[string]any{"tool_choice": map[string]any{"type": "allowed_tools"}}), "tool_choice"},
			{hi(map[string]any{"text": map[string]any{"format": map[string]any{"type": "grammar"}}}), "text.format.type"},
			{hi(map[string]any{"input": []map[string]any{{"type": "reasoning", "summary": []any{}}}}), "input[0].type"},
			{hi(map[string]any{"input": []map[string]any{{"role": "user", "content": []map[string]any{{"type": "input_image", "file_id": "file_1"}}}}}), "input[0].content[0].file_id"},
		} {
			r := in.DoRaw(t, http.MethodPost, responsesPath, ta, c.body)
			var e struct {
				Error struct {
					Message string  `json:"message"`
					Type    string  `json:"type"`
					Param   *string `json:"param"`
				} `json:"error"`
			}
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != http.StatusBadRequest || e.Error.Type != "invalid_request_error" || e.Error.Param == nil || *e.Error.Param != c.param ||
				!strings.Contains(e.Error.Message, c.param) {
				t.Errorf("responses %s: %d %s", c.param, r.Status, r.Body)
			}
		}
		msg := func(extra map[string]any, content any) map[string]any {
			b := map[string]any{"model": "mock/mock-small", "max_tokens": 16, "messages": []map[string]any{{"role": "user", "content": content}}}
			for k, v := range extra {
				b[k] = v
			}
			return b
		}
		for _, c := range []struct {
			body   map[string]any
			header string
			field  string
		}{
			{msg(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024}}, "hi"), "", "'thinking'"},
			{msg(map[string]any{"max_tokens": 0}, "hi"), "", "'max_tokens'"},
			{msg(map[string]any{"metadata": map[string]any{"user_id": "u", "tier": "gold"}}, "hi"), "", "'metadata.tier'"},
			{msg(map[string]any{"tools": []map[string]any{{"type": "web_search_20250305", "name": "web_search"}}}, "hi"), "", "'tools[0].type'"},
			{msg(map[string]any{"tool_choice": map[string]any{"type": "sometimes"}}, "hi"), "", "'tool_choice.type'"},
			{msg(nil, []map[string]any{{"type": "text", "text": "hi", "cache_control": map[string]string{"type": "ephemeral"}}}), "", "'messages[0].content[0].cache_control'"},
			{msg(nil, []map[string]any{{"type": "document", "source": map[string]string{"type": "text", "data": "x"}}}), "", "'messages[0].content[0].type'"},
			{msg(map[string]any{"system": []map[string]any{{"type": "text", "text": "s", "cache_control": map[string]string{"type": "ephemeral"}}}}, "hi"), "", "'system[0].cache_control'"},
			{msg(nil, "hi"), "prompt-caching-2024-07-31", "'anthropic-beta'"},
		} {
			var headers []string
			if c.header != "" {
				headers = []string{"anthropic-beta", c.header}
			}
			r := in.DoRaw(t, http.MethodPost, messagesPath, ta, c.body, headers...)
			var e struct {
				Type  string `json:"type"`
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			_ = json.Unmarshal(r.Body, &e)
			if r.Status != http.StatusBadRequest || e.Type != "error" || e.Error.Type != "invalid_request_error" || !strings.Contains(e.Error.Message, c.field) {
				t.Errorf("messages %s: %d %s", c.field, r.Status, r.Body)
			}
		}
	})
}
