package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/platform"
)

// The OpenAI Responses API on the drop-in (POST …/openai/v1/responses): a
// translator onto the gateway's one request model (providers.ChatRequest),
// run through the same pipeline as Chat Completions, and back.
//
// The gateway speaks Chat Completions to providers, so a Responses field with
// a Chat Completions equivalent is translated, and one without is refused
// with a 400 naming it — never dropped. The gateway keeps no conversation
// state: a response is never stored for later retrieval (store absent or
// false is accepted and answered with store: false; store: true is refused),
// and previous_response_id and conversation are refused: send the whole
// input each time.

// ResponsesRequest is the body of POST /gateway/openai/v1/responses: the
// members the translator takes (any other member is refused, naming it).
type ResponsesRequest struct {
	Model string `json:"model"`
	// Input is a string (one user message) or a list of items: messages
	// (role user|system|developer|assistant; content a string or input_text,
	// input_image, input_file parts; an assistant's output_text and refusal
	// parts), function_call and function_call_output items.
	Input        json.RawMessage `json:"input"`
	Instructions *string         `json:"instructions,omitempty"`
	// Tools: function tools only ({type: function, name, description, parameters, strict}).
	Tools             []ResponsesTool `json:"tools,omitempty"`
	ToolChoice        json.RawMessage `json:"tool_choice,omitempty"` // auto | none | required | {type: function, name}
	ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
	Text              *ResponsesText  `json:"text,omitempty"`
	MaxOutputTokens   *int            `json:"max_output_tokens,omitempty"`
	Temperature       *float64        `json:"temperature,omitempty"`
	TopP              *float64        `json:"top_p,omitempty"`
	TopLogprobs       *int            `json:"top_logprobs,omitempty"`
	Metadata          json.RawMessage `json:"metadata,omitempty"`
	// Store must be absent or false: the gateway stores no response for retrieval.
	Store     *bool               `json:"store,omitempty"`
	Stream    bool                `json:"stream,omitempty"`
	User      string              `json:"user,omitempty"`
	Reasoning *ResponsesReasoning `json:"reasoning,omitempty"`
	// Truncation must be absent or "disabled".
	Truncation string `json:"truncation,omitempty"`
	// Include must be empty.
	Include []string `json:"include,omitempty"`
	// ServiceTier, PromptCacheKey and SafetyIdentifier are passed on as the
	// Chat Completions fields of the same name.
	ServiceTier      string `json:"service_tier,omitempty"`
	PromptCacheKey   string `json:"prompt_cache_key,omitempty"`
	SafetyIdentifier string `json:"safety_identifier,omitempty"`
}

// ResponsesTool is a function tool of the Responses API.
type ResponsesTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ResponsesText is the text output configuration.
type ResponsesText struct {
	// Format is {type: text} | {type: json_object} | {type: json_schema, name, schema, strict, description}.
	Format    json.RawMessage `json:"format,omitempty"`
	Verbosity string          `json:"verbosity,omitempty"`
}

// ResponsesReasoning is the reasoning configuration: effort only.
type ResponsesReasoning struct {
	Effort string `json:"effort,omitempty"`
}

// ResponsesResponse is the Responses API's response object.
type ResponsesResponse struct {
	ID                 string          `json:"id"`
	Object             string          `json:"object"`
	CreatedAt          int64           `json:"created_at"`
	Status             string          `json:"status"`
	Error              json.RawMessage `json:"error"`
	IncompleteDetails  json.RawMessage `json:"incomplete_details"`
	Instructions       *string         `json:"instructions"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Model              string          `json:"model"`
	Output             []ResponseItem  `json:"output"`
	ParallelToolCalls  bool            `json:"parallel_tool_calls"`
	PreviousResponseID *string         `json:"previous_response_id"`
	Store              bool            `json:"store"`
	Temperature        *float64        `json:"temperature"`
	TopP               *float64        `json:"top_p"`
	Text               json.RawMessage `json:"text"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	Tools              []ResponsesTool `json:"tools"`
	Truncation         string          `json:"truncation"`
	Metadata           json.RawMessage `json:"metadata"`
	User               *string         `json:"user,omitempty"`
	Usage              *ResponsesUsage `json:"usage"`
}

// ResponseItem is an output item: a message (content output_text or
// refusal parts) or a function_call.
type ResponseItem struct {
	Type      string        `json:"type"`
	ID        string        `json:"id"`
	Status    string        `json:"status"`
	Role      string        `json:"role,omitempty"`
	Content   []ContentItem `json:"content,omitempty"`
	CallID    string        `json:"call_id,omitempty"`
	Name      string        `json:"name,omitempty"`
	Arguments *string       `json:"arguments,omitempty"`
}

// ContentItem is one part of an output message.
type ContentItem struct {
	Type string  `json:"type"`
	Text *string `json:"text,omitempty"`
	// Annotations and Logprobs are lists on an output_text part (absent on a refusal).
	Annotations json.RawMessage `json:"annotations,omitempty"`
	Logprobs    json.RawMessage `json:"logprobs,omitempty"`
	Refusal     *string         `json:"refusal,omitempty"`
}

// ResponsesUsage is the Responses API's usage.
type ResponsesUsage struct {
	InputTokens         int            `json:"input_tokens"`
	InputTokensDetails  map[string]int `json:"input_tokens_details"`
	OutputTokens        int            `json:"output_tokens"`
	OutputTokensDetails map[string]int `json:"output_tokens_details"`
	TotalTokens         int            `json:"total_tokens"`
}

// responsesRoute declares POST …/openai/v1/responses.
func (a *API) responsesRoute() platform.Route {
	return platform.Route{Method: http.MethodPost, Path: "/api/v1/gateway/openai/v1/responses", OperationID: "openaiResponses", Tag: "gateway-openai",
		Streams: "As OpenAI streams the Responses API: typed events (response.created, response.output_text.delta, …, response.completed).",
		Summary: "OpenAI Responses API through the pipeline (plain OpenAI JSON or the Responses SSE events; verdict in X-Astra-* headers). " +
			"Translated to Chat Completions for the provider: function tools, function_call and function_call_output items, " +
			"input_text/input_image/input_file parts, instructions, text.format (json_schema), max_output_tokens, reasoning.effort. " +
			"Nothing is stored (store: true, previous_response_id and conversation are refused with 400 naming the field), " +
			"and any field without a Chat Completions equivalent is refused with 400 naming it.",
		Permission: "gateway:write", Raw: true, Dialect: platform.OpenAIDialect, Request: ResponsesRequest{}, Response: ResponsesResponse{},
		Headers: []platform.Param{routeHeader}, Errors: []int{400, 404, 413, 422, 429, 502}, Handler: a.openaiResponses}
}

// responsesFields are the request members the translator takes.
var responsesFields = []string{"model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text", "max_output_tokens",
	"temperature", "top_p", "top_logprobs", "metadata", "store", "stream", "user", "reasoning", "truncation", "include",
	"service_tier", "prompt_cache_key", "safety_identifier"}

// refused is a 400 naming the field the translator cannot take.
// bindDialect reads a drop-in dialect's body (see lenientBind) into v and
// returns it raw too, for the translator's checks of unknown members; a
// member of the wrong type is a VAL-002 naming it.
func bindDialect(c echo.Context, v any) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := lenientBind(c, &raw); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		detail := "The request body is not valid JSON for this endpoint."
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, platform.Problem("VAL-002", detail+" The field '"+te.Field+"' has the wrong type.").
				WithFields(platform.FieldError{Field: te.Field, Message: "wrong type"})
		}
		return nil, platform.Problem("VAL-002", detail)
	}
	return raw, nil
}

func refused(field, why string) *platform.Error {
	return platform.Problem("VAL-001", "'"+field+"' "+why).WithFields(platform.FieldError{Field: field, Message: why})
}

// unknownMember is the first member of a JSON object not in allowed ("" when none).
func unknownMember(raw json.RawMessage, allowed ...string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	names := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains(allowed, k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0]
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// responsesToChat translates a Responses request to the one request model.
func responsesToChat(raw json.RawMessage, r *ResponsesRequest) (providers.ChatRequest, error) {
	noEquivalent := "has no Chat Completions equivalent; the gateway does not take it (it is not dropped)."
	if f := unknownMember(raw, responsesFields...); f != "" {
		switch f {
		case "previous_response_id", "conversation":
			return providers.ChatRequest{}, refused(f, "is not supported: the gateway stores no responses or conversations; send the whole input with each request.")
		}
		return providers.ChatRequest{}, refused(f, noEquivalent)
	}
	out := providers.ChatRequest{Model: r.Model, Temperature: r.Temperature, TopP: r.TopP, MaxCompletionTokens: r.MaxOutputTokens,
		Stream: r.Stream, User: r.User, ParallelToolCalls: r.ParallelToolCalls}
	switch {
	case r.Store != nil && *r.Store:
		return out, refused("store", "must be false or absent: the gateway stores no response for later retrieval.")
	case r.Truncation != "" && r.Truncation != "disabled":
		return out, refused("truncation", "must be 'disabled' or absent: the gateway does not truncate input.")
	case len(r.Include) > 0:
		return out, refused("include", "must be empty: none of its additions has a Chat Completions equivalent.")
	}
	if !isNull(r.Metadata) {
		out.Metadata = r.Metadata
	}
	if r.TopLogprobs != nil {
		t := true
		out.Logprobs, out.TopLogprobs = &t, r.TopLogprobs
	}
	if r.Reasoning != nil {
		out.ReasoningEffort = r.Reasoning.Effort
	}
	for name, v := range map[string]string{"service_tier": r.ServiceTier, "prompt_cache_key": r.PromptCacheKey, "safety_identifier": r.SafetyIdentifier} {
		if v != "" {
			if out.Extra == nil {
				out.Extra = map[string]json.RawMessage{}
			}
			out.Extra[name], _ = json.Marshal(v)
		}
	}
	if f := unknownMember(rawMember(raw, "reasoning"), "effort"); f != "" {
		return out, refused("reasoning."+f, noEquivalent)
	}
	// Tools and tool_choice.
	for i, t := range r.Tools {
		if t.Type != "function" {
			return out, refused(fmt.Sprintf("tools[%d].type", i), "'"+t.Type+"': only function tools translate to Chat Completions.")
		}
		if f := unknownMember(rawIndex(rawMember(raw, "tools"), i), "type", "name", "description", "parameters", "strict"); f != "" {
			return out, refused(fmt.Sprintf("tools[%d].%s", i, f), noEquivalent)
		}
		if t.Name == "" {
			return out, refused(fmt.Sprintf("tools[%d].name", i), "is required.")
		}
		out.Tools = append(out.Tools, providers.Tool{Type: "function", Function: &providers.FunctionDef{Name: t.Name, Description: t.Description,
			Parameters: t.Parameters, Strict: t.Strict}})
	}
	if !isNull(r.ToolChoice) {
		var s string
		var obj struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		switch {
		case json.Unmarshal(r.ToolChoice, &s) == nil:
			if s != "auto" && s != "none" && s != "required" {
				return out, refused("tool_choice", "must be auto, none, required or {type: function, name}.")
			}
			out.ToolChoice = r.ToolChoice
		case json.Unmarshal(r.ToolChoice, &obj) == nil && obj.Type == "function" && obj.Name != "":
			out.ToolChoice, _ = json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": obj.Name}})
		default:
			return out, refused("tool_choice", "must be auto, none, required or {type: function, name}: other choices have no Chat Completions equivalent.")
		}
	}
	// text: format and verbosity.
	if r.Text != nil {
		if r.Text.Verbosity != "" {
			if out.Extra == nil {
				out.Extra = map[string]json.RawMessage{}
			}
			out.Extra["verbosity"], _ = json.Marshal(r.Text.Verbosity)
		}
		if f := unknownMember(rawMember(raw, "text"), "format", "verbosity"); f != "" {
			return out, refused("text."+f, noEquivalent)
		}
		if !isNull(r.Text.Format) {
			rf, err := responseFormat(r.Text.Format)
			if err != nil {
				return out, err
			}
			out.ResponseFormat = rf
		}
	}
	// Instructions, then the input.
	if r.Instructions != nil && *r.Instructions != "" {
		out.Messages = append(out.Messages, providers.Message{Role: "system", Content: *r.Instructions})
	}
	msgs, err := responsesInput(r.Input)
	if err != nil {
		return out, err
	}
	out.Messages = append(out.Messages, msgs...)
	return out, nil
}

func jsonOf(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// responseFormat translates text.format to Chat's response_format.
func responseFormat(raw json.RawMessage) (json.RawMessage, error) {
	var f struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
		Description string          `json:"description"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, refused("text.format", "must be an object {type: text | json_object | json_schema, …}.")
	}
	switch f.Type {
	case "text", "json_object":
		if m := unknownMember(raw, "type"); m != "" {
			return nil, refused("text.format."+m, "is not a member of a "+f.Type+" format.")
		}
		return json.Marshal(map[string]string{"type": f.Type})
	case "json_schema":
		if m := unknownMember(raw, "type", "name", "schema", "strict", "description"); m != "" {
			return nil, refused("text.format."+m, "has no Chat Completions equivalent.")
		}
		js := map[string]any{"name": f.Name, "schema": f.Schema}
		if f.Strict != nil {
			js["strict"] = *f.Strict
		}
		if f.Description != "" {
			js["description"] = f.Description
		}
		return json.Marshal(map[string]any{"type": "json_schema", "json_schema": js})
	}
	return nil, refused("text.format.type", "must be text, json_object or json_schema.")
}

// responsesInput translates the input (a string or a list of items) to messages.
func responsesInput(raw json.RawMessage) ([]providers.Message, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, refused("input", "is required.")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, refused("input", "must be a string or a list of items.")
		}
		return []providers.Message{{Role: "user", Content: s}}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, refused("input", "must be a string or a list of items.")
	}
	var out []providers.Message
	for i, it := range items {
		where := fmt.Sprintf("input[%d]", i)
		var item struct {
			Type      string          `json:"type"`
			Role      string          `json:"role"`
			Content   json.RawMessage `json:"content"`
			CallID    string          `json:"call_id"`
			Name      string          `json:"name"`
			Arguments string          `json:"arguments"`
			Output    json.RawMessage `json:"output"`
		}
		if err := json.Unmarshal(it, &item); err != nil {
			return nil, refused(where, "is not a valid input item.")
		}
		switch item.Type {
		case "", "message":
			if m := unknownMember(it, "type", "role", "content", "id", "status"); m != "" {
				return nil, refused(where+"."+m, "has no Chat Completions equivalent.")
			}
			msg, err := responsesMessage(where, item.Role, item.Content)
			if err != nil {
				return nil, err
			}
			out = append(out, msg)
		case "function_call":
			if m := unknownMember(it, "type", "call_id", "name", "arguments", "id", "status"); m != "" {
				return nil, refused(where+"."+m, "has no Chat Completions equivalent.")
			}
			if item.CallID == "" || item.Name == "" {
				return nil, refused(where, "a function_call item needs call_id and name.")
			}
			tc := providers.ToolCall{ID: item.CallID, Type: "function", Function: &providers.FunctionCall{Name: item.Name, Arguments: item.Arguments}}
			// Consecutive calls (and the assistant text before them) are one assistant turn.
			if n := len(out); n > 0 && out[n-1].Role == "assistant" && out[n-1].Refusal == nil {
				out[n-1].ToolCalls = append(out[n-1].ToolCalls, tc)
				continue
			}
			out = append(out, providers.Message{Role: "assistant", ContentNull: true, ToolCalls: []providers.ToolCall{tc}})
		case "function_call_output":
			if m := unknownMember(it, "type", "call_id", "output", "id", "status"); m != "" {
				return nil, refused(where+"."+m, "has no Chat Completions equivalent.")
			}
			if item.CallID == "" {
				return nil, refused(where+".call_id", "is required.")
			}
			msg := providers.Message{Role: "tool", ToolCallID: item.CallID}
			var s string
			if json.Unmarshal(item.Output, &s) == nil {
				msg.Content = s
			} else {
				parts, err := responsesParts(where+".output", item.Output)
				if err != nil {
					return nil, err
				}
				msg.Parts = parts
				msg.Sync()
			}
			out = append(out, msg)
		default:
			return nil, refused(where+".type", "'"+item.Type+"' has no Chat Completions equivalent (message, function_call and function_call_output items translate).")
		}
	}
	if len(out) == 0 {
		return nil, refused("input", "must hold at least one item.")
	}
	return out, nil
}

// responsesMessage translates a message item.
func responsesMessage(where, role string, content json.RawMessage) (providers.Message, error) {
	switch role {
	case "user", "system", "developer", "assistant":
	default:
		return providers.Message{}, refused(where+".role", "must be user, system, developer or assistant.")
	}
	msg := providers.Message{Role: role}
	content = bytes.TrimSpace(content)
	if len(content) > 0 && content[0] == '"' {
		err := json.Unmarshal(content, &msg.Content)
		return msg, err
	}
	if role == "assistant" {
		// An assistant's earlier output: output_text parts are its text, a refusal part its refusal.
		var parts []struct {
			Type    string `json:"type"`
			Text    string `json:"text"`
			Refusal string `json:"refusal"`
		}
		if err := json.Unmarshal(content, &parts); err != nil {
			return msg, refused(where+".content", "must be a string or a list of parts.")
		}
		var text []string
		for j, p := range parts {
			switch p.Type {
			case "output_text", "input_text":
				text = append(text, p.Text)
			case "refusal":
				r := p.Refusal
				msg.Refusal = &r
			default:
				return msg, refused(fmt.Sprintf("%s.content[%d].type", where, j), "'"+p.Type+"' has no Chat Completions equivalent in an assistant turn.")
			}
		}
		msg.Content = strings.Join(text, "")
		if msg.Content == "" {
			msg.ContentNull = true
		}
		return msg, nil
	}
	parts, err := responsesParts(where+".content", content)
	if err != nil {
		return msg, err
	}
	msg.Parts = parts
	msg.Sync()
	return msg, nil
}

// responsesParts translates input_text, input_image and input_file parts.
func responsesParts(where string, raw json.RawMessage) ([]providers.ContentPart, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, refused(where, "must be a string or a list of parts.")
	}
	out := []providers.ContentPart{}
	for j, pr := range parts {
		at := fmt.Sprintf("%s[%d]", where, j)
		var p struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			ImageURL string `json:"image_url"`
			Detail   string `json:"detail"`
			FileID   string `json:"file_id"`
			FileData string `json:"file_data"`
			Filename string `json:"filename"`
		}
		if err := json.Unmarshal(pr, &p); err != nil {
			return nil, refused(at, "is not a valid content part.")
		}
		switch p.Type {
		case "input_text", "text", "output_text":
			if m := unknownMember(pr, "type", "text", "annotations"); m != "" {
				return nil, refused(at+"."+m, "has no Chat Completions equivalent.")
			}
			t := p.Text
			out = append(out, providers.ContentPart{Type: "text", Text: &t})
		case "input_image":
			if m := unknownMember(pr, "type", "image_url", "detail"); m != "" {
				return nil, refused(at+"."+m, "has no Chat Completions equivalent (an image by file_id cannot be sent; send image_url).")
			}
			if p.ImageURL == "" {
				return nil, refused(at+".image_url", "is required.")
			}
			out = append(out, providers.ContentPart{Type: "image_url", ImageURL: &providers.ImageURL{URL: p.ImageURL, Detail: p.Detail}})
		case "input_file":
			if m := unknownMember(pr, "type", "file_id", "file_data", "filename"); m != "" {
				return nil, refused(at+"."+m, "has no Chat Completions equivalent.")
			}
			f := map[string]string{}
			for k, v := range map[string]string{"file_id": p.FileID, "file_data": p.FileData, "filename": p.Filename} {
				if v != "" {
					f[k] = v
				}
			}
			b, _ := json.Marshal(f)
			out = append(out, providers.ContentPart{Type: "file", File: b})
		default:
			return nil, refused(at+".type", "'"+p.Type+"' has no Chat Completions equivalent (input_text, input_image and input_file translate).")
		}
	}
	return out, nil
}

// responseShell is the response object a request answers, without output or usage.
func responseShell(id, model string, r *ResponsesRequest, created int64) ResponsesResponse {
	out := ResponsesResponse{ID: id, Object: "response", CreatedAt: created, Status: "in_progress", Error: json.RawMessage("null"),
		IncompleteDetails: json.RawMessage("null"), Instructions: r.Instructions, MaxOutputTokens: r.MaxOutputTokens, Model: model,
		Output: []ResponseItem{}, ParallelToolCalls: r.ParallelToolCalls == nil || *r.ParallelToolCalls, Store: false,
		Temperature: r.Temperature, TopP: r.TopP, ToolChoice: r.ToolChoice, Tools: r.Tools, Truncation: "disabled", Metadata: r.Metadata}
	if out.Tools == nil {
		out.Tools = []ResponsesTool{}
	}
	if isNull(out.ToolChoice) {
		out.ToolChoice = json.RawMessage(`"auto"`)
	}
	if isNull(out.Metadata) {
		out.Metadata = json.RawMessage("{}")
	}
	out.Text = json.RawMessage(`{"format":{"type":"text"}}`)
	if r.Text != nil {
		out.Text = jsonOf(r.Text)
	}
	if r.User != "" {
		out.User = &r.User
	}
	return out
}

// finishStatus sets the status a Chat finish reason means.
func (o *ResponsesResponse) finishStatus(finish string) {
	switch finish {
	case "length":
		o.Status, o.IncompleteDetails = "incomplete", json.RawMessage(`{"reason":"max_output_tokens"}`)
	case "content_filter":
		o.Status, o.IncompleteDetails = "incomplete", json.RawMessage(`{"reason":"content_filter"}`)
	default:
		o.Status = "completed"
	}
}

// responsesUsage translates usage, with the cached and reasoning token details.
func responsesUsage(u providers.Usage) *ResponsesUsage {
	out := &ResponsesUsage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens,
		InputTokensDetails: map[string]int{"cached_tokens": 0}, OutputTokensDetails: map[string]int{"reasoning_tokens": 0}}
	if out.TotalTokens == 0 {
		out.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	var d struct {
		CachedTokens    int `json:"cached_tokens"`
		ReasoningTokens int `json:"reasoning_tokens"`
	}
	if json.Unmarshal(u.Extra["prompt_tokens_details"], &d) == nil {
		out.InputTokensDetails["cached_tokens"] = d.CachedTokens
	}
	if json.Unmarshal(u.Extra["completion_tokens_details"], &d) == nil {
		out.OutputTokensDetails["reasoning_tokens"] = d.ReasoningTokens
	}
	return out
}

// logprobsContent is the content list of a Chat logprobs object: the same
// entries ({token, logprob, bytes, top_logprobs}) an output_text part carries.
func logprobsContent(raw json.RawMessage) []json.RawMessage {
	var lp struct {
		Content []json.RawMessage `json:"content"`
	}
	if isNull(raw) || json.Unmarshal(raw, &lp) != nil {
		return nil
	}
	return lp.Content
}

// listOf is a JSON list of the entries ([] for none).
func listOf(entries []json.RawMessage) json.RawMessage {
	if entries == nil {
		return json.RawMessage("[]")
	}
	return jsonOf(entries)
}

// chatToResponse translates a chat completion to the response's output.
func chatToResponse(out *ResponsesResponse, reqID string, cr *providers.ChatResponse) {
	finish := ""
	if len(cr.Choices) > 0 {
		c := cr.Choices[0]
		finish = c.FinishReason
		var parts []ContentItem
		if c.Message.Content != "" || (c.Message.Refusal == nil && len(c.Message.ToolCalls) == 0) {
			t := c.Message.Content
			parts = append(parts, ContentItem{Type: "output_text", Text: &t, Annotations: json.RawMessage("[]"), Logprobs: listOf(logprobsContent(c.Logprobs))})
		}
		if c.Message.Refusal != nil {
			parts = append(parts, ContentItem{Type: "refusal", Refusal: c.Message.Refusal})
		}
		if len(parts) > 0 {
			out.Output = append(out.Output, ResponseItem{Type: "message", ID: "msg_" + reqID, Status: "completed", Role: "assistant", Content: parts})
		}
		for i, tc := range c.Message.ToolCalls {
			if tc.Function == nil {
				continue
			}
			args := tc.Function.Arguments
			out.Output = append(out.Output, ResponseItem{Type: "function_call", ID: "fc_" + reqID + "_" + strconv.Itoa(i), Status: "completed",
				CallID: tc.ID, Name: tc.Function.Name, Arguments: &args})
		}
	}
	out.finishStatus(finish)
	out.Usage = responsesUsage(cr.Usage)
}

// translated binds a dialect's body into body, requires its model,
// translates it into a chat request and routes that: the start every
// drop-in dialect shares.
func translated[T any](a *API, c echo.Context, body *T, model func() string,
	toChat func(json.RawMessage, *T) (providers.ChatRequest, error)) (providers.ChatRequest, gateway.Routed, error) {
	raw, err := bindDialect(c, body)
	if err != nil {
		return providers.ChatRequest{}, gateway.Routed{}, err
	}
	if model() == "" {
		return providers.ChatRequest{}, gateway.Routed{}, refused("model", "is required.")
	}
	req, err := toChat(raw, body)
	if err != nil {
		return req, gateway.Routed{}, err
	}
	rt, err := a.routeFor(c, req.Model)
	return req, rt, err
}

func (a *API) openaiResponses(c echo.Context) error {
	var rr ResponsesRequest
	req, rt, err := translated(a, c, &rr, func() string { return rr.Model }, responsesToChat)
	if err != nil {
		return err
	}
	requested := rr.Model
	return a.runDropIn(c, rt, req, dropIn{endpoint: "openai_responses", stream: rr.Stream, blocked: openaiBlocked,
		sink: func(call *gateway.Call) gateway.StreamSink {
			return &responsesSink{c: c, resp: responseShell("resp_"+call.RequestID, requested, &rr, time.Now().Unix()), reqID: call.RequestID}
		},
		answer: func(call *gateway.Call, resp *providers.ChatResponse) error {
			shell := responseShell("resp_"+call.RequestID, requested, &rr, time.Now().Unix())
			chatToResponse(&shell, call.RequestID, resp)
			return c.JSON(http.StatusOK, shell)
		}})
}

// responsesSink writes the Responses API's stream events: response.created
// and response.in_progress; per output item output_item.added, its content
// part or arguments deltas, and their .done events; then response.completed
// (or response.incomplete) with the whole response.
type responsesSink struct {
	c     echo.Context
	resp  ResponsesResponse
	reqID string
	seq   int
	// The open message item (-1: none) and its open part (-1: none).
	msg, part int
	partText  strings.Builder
	logprobs  []json.RawMessage
	calls     map[int]int // tool-call delta index → output index
	open      []int       // output indexes of open function_call items
}

func (s *responsesSink) event(typ string, fields map[string]any) error {
	fields["type"] = typ
	fields["sequence_number"] = s.seq
	s.seq++
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	w := s.c.Response()
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
		return err
	}
	w.Flush()
	return nil
}

// Start implements gateway.StreamSink.
func (s *responsesSink) Start() error {
	s.msg, s.part = -1, -1
	h := s.c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Astra-Request-Id", s.reqID)
	s.c.Response().WriteHeader(http.StatusOK)
	if err := s.event("response.created", map[string]any{"response": s.resp}); err != nil {
		return err
	}
	return s.event("response.in_progress", map[string]any{"response": s.resp})
}

// openPart opens the message item (if needed) and a part of the kind (output_text or refusal).
func (s *responsesSink) openPart(kind string) error {
	if s.msg >= 0 && s.part >= 0 && s.resp.Output[s.msg].Content[s.part].Type == kind {
		return nil
	}
	if err := s.closePart(); err != nil {
		return err
	}
	if s.msg < 0 {
		if err := s.closeCalls(); err != nil {
			return err
		}
		s.msg = len(s.resp.Output)
		item := ResponseItem{Type: "message", ID: "msg_" + s.reqID + "_" + strconv.Itoa(s.msg), Status: "in_progress", Role: "assistant", Content: []ContentItem{}}
		s.resp.Output = append(s.resp.Output, item)
		if err := s.event("response.output_item.added", map[string]any{"output_index": s.msg, "item": item}); err != nil {
			return err
		}
	}
	item := &s.resp.Output[s.msg]
	empty := ""
	part := ContentItem{Type: kind}
	if kind == "output_text" {
		part.Text, part.Annotations, part.Logprobs = &empty, json.RawMessage("[]"), json.RawMessage("[]")
	} else {
		part.Refusal = &empty
	}
	s.part = len(item.Content)
	item.Content = append(item.Content, part)
	return s.event("response.content_part.added", map[string]any{"item_id": item.ID, "output_index": s.msg, "content_index": s.part, "part": part})
}

func (s *responsesSink) closePart() error {
	if s.msg < 0 || s.part < 0 {
		return nil
	}
	item := &s.resp.Output[s.msg]
	p := &item.Content[s.part]
	text := s.partText.String()
	s.partText.Reset()
	base := map[string]any{"item_id": item.ID, "output_index": s.msg, "content_index": s.part}
	with := func(k string, v any) map[string]any {
		m := map[string]any{k: v}
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	if p.Type == "output_text" {
		p.Text, p.Logprobs = &text, listOf(s.logprobs)
		s.logprobs = nil
		if err := s.event("response.output_text.done", with("text", text)); err != nil {
			return err
		}
	} else {
		p.Refusal = &text
		if err := s.event("response.refusal.done", with("refusal", text)); err != nil {
			return err
		}
	}
	s.part = -1
	return s.event("response.content_part.done", with("part", *p))
}

func (s *responsesSink) closeMessage() error {
	if s.msg < 0 {
		return nil
	}
	if err := s.closePart(); err != nil {
		return err
	}
	item := &s.resp.Output[s.msg]
	item.Status = "completed"
	err := s.event("response.output_item.done", map[string]any{"output_index": s.msg, "item": *item})
	s.msg = -1
	return err
}

func (s *responsesSink) closeCalls() error {
	for _, i := range s.open {
		item := &s.resp.Output[i]
		item.Status = "completed"
		if err := s.event("response.function_call_arguments.done", map[string]any{"item_id": item.ID, "output_index": i,
			"name": item.Name, "arguments": *item.Arguments}); err != nil {
			return err
		}
		if err := s.event("response.output_item.done", map[string]any{"output_index": i, "item": *item}); err != nil {
			return err
		}
	}
	s.open = nil
	return nil
}

// Chunk implements gateway.StreamSink.
func (s *responsesSink) Chunk(text string) error {
	if err := s.openPart("output_text"); err != nil {
		return err
	}
	s.partText.WriteString(text)
	item := s.resp.Output[s.msg]
	return s.event("response.output_text.delta", map[string]any{"item_id": item.ID, "output_index": s.msg, "content_index": s.part,
		"delta": text, "logprobs": []any{}})
}

// Parts implements gateway.StreamSink: tool-call deltas become function_call
// items, refusal fragments a refusal part; logprobs go on the text part.
func (s *responsesSink) Parts(ch providers.Chunk) error {
	s.logprobs = append(s.logprobs, logprobsContent(ch.Logprobs)...)
	if ch.Refusal != "" {
		if err := s.openPart("refusal"); err != nil {
			return err
		}
		s.partText.WriteString(ch.Refusal)
		item := s.resp.Output[s.msg]
		if err := s.event("response.refusal.delta", map[string]any{"item_id": item.ID, "output_index": s.msg, "content_index": s.part,
			"delta": ch.Refusal}); err != nil {
			return err
		}
	}
	for _, d := range ch.ToolCalls {
		idx := len(s.calls)
		if d.Index != nil {
			idx = *d.Index
		}
		if s.calls == nil {
			s.calls = map[int]int{}
		}
		at, ok := s.calls[idx]
		if !ok {
			if err := s.closeMessage(); err != nil {
				return err
			}
			at = len(s.resp.Output)
			s.calls[idx] = at
			empty := ""
			item := ResponseItem{Type: "function_call", ID: "fc_" + s.reqID + "_" + strconv.Itoa(idx), Status: "in_progress", CallID: d.ID, Arguments: &empty}
			if d.Function != nil {
				item.Name = d.Function.Name
			}
			s.resp.Output = append(s.resp.Output, item)
			s.open = append(s.open, at)
			if err := s.event("response.output_item.added", map[string]any{"output_index": at, "item": item}); err != nil {
				return err
			}
			if d.Function == nil || d.Function.Arguments == "" {
				continue
			}
		} else if d.Function != nil && d.Function.Name != "" {
			s.resp.Output[at].Name += d.Function.Name
		}
		if d.Function != nil && d.Function.Arguments != "" {
			item := &s.resp.Output[at]
			args := *item.Arguments + d.Function.Arguments
			item.Arguments = &args
			if err := s.event("response.function_call_arguments.delta", map[string]any{"item_id": item.ID, "output_index": at,
				"delta": d.Function.Arguments}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Done implements gateway.StreamSink.
func (s *responsesSink) Done(finish string, usage providers.Usage, _ gateway.Security) error {
	if err := s.closeMessage(); err != nil {
		return err
	}
	if err := s.closeCalls(); err != nil {
		return err
	}
	s.resp.finishStatus(finish)
	s.resp.Usage = responsesUsage(usage)
	typ := "response.completed"
	if s.resp.Status == "incomplete" {
		typ = "response.incomplete"
	}
	return s.event(typ, map[string]any{"response": s.resp})
}

// Abort implements gateway.StreamSink: an error event (which the SDKs raise
// as an APIError with the message), with the response failed.
func (s *responsesSink) Abort(b *gateway.Blocked, sec gateway.Security) error {
	entry := platform.Catalogue[b.Code]
	msg := entry.Title + ": " + b.Detail
	return s.event("error", map[string]any{"code": b.Code, "message": msg, "param": nil,
		"error": map[string]any{"message": msg, "type": openaiErrorType(b.Code), "code": b.Code, "request_id": sec.RequestID}})
}
