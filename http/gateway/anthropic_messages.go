package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/platform"
)

// The Anthropic-compatible Messages endpoint (POST
// /gateway/anthropic/v1/messages): base_url …/api/v1/gateway/anthropic makes
// an unmodified Anthropic SDK go through the pipeline. The product's API key
// is sent as x-api-key (the SDK's apiKey) or as a bearer token; the
// anthropic-version header is accepted. The request is translated to the
// gateway's one request model and runs the same pipeline as every other
// dialect; the provider may be of any kind (an anthropic provider gets the
// Messages API back through its adapter). Every error, authentication's
// included, is in Anthropic's shape {"type":"error","error":{"type","message"}}.
//
// A member without an equivalent in the request model (thinking,
// cache_control, server tools, documents, an anthropic-beta header…) is
// refused with a 400 naming it, never dropped. stop_reason is end_turn,
// max_tokens, tool_use, refusal or, when the provider reports the stop
// sequence it matched, stop_sequence (not on streams: a streamed finish
// reason does not tell a stop sequence from the end of the turn).

// AnthropicMessagesRequest is the body of POST /gateway/anthropic/v1/messages.
type AnthropicMessagesRequest struct {
	Model     string `json:"model"`
	MaxTokens int    `json:"max_tokens"`
	// System is a string or a list of text blocks.
	System json.RawMessage `json:"system,omitempty"`
	// Messages alternate user and assistant turns; content is a string or
	// blocks: text, image (source base64 or url), tool_use (assistant),
	// tool_result (user; content a string or text blocks; is_error).
	Messages      []AnthropicMessage   `json:"messages"`
	Tools         []AnthropicTool      `json:"tools,omitempty"`
	ToolChoice    *AnthropicToolChoice `json:"tool_choice,omitempty"`
	StopSequences []string             `json:"stop_sequences,omitempty"`
	Temperature   *float64             `json:"temperature,omitempty"`
	TopP          *float64             `json:"top_p,omitempty"`
	TopK          *int                 `json:"top_k,omitempty"`
	Metadata      *AnthropicMetadata   `json:"metadata,omitempty"`
	Stream        bool                 `json:"stream,omitempty"`
}

// AnthropicMessage is one turn.
type AnthropicMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// AnthropicTool is a client tool.
type AnthropicTool struct {
	Type        string          `json:"type,omitempty"` // absent or "custom"
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// AnthropicToolChoice is {type: auto | any | tool | none, name, disable_parallel_tool_use}.
type AnthropicToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use,omitempty"`
}

// AnthropicMetadata is the request's metadata: user_id only.
type AnthropicMetadata struct {
	UserID string `json:"user_id,omitempty"`
}

// AnthropicMessage answer.
type AnthropicMessageResponse struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []AnthropicBlock `json:"content"`
	StopReason   *string          `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        AnthropicUsage   `json:"usage"`
}

// AnthropicBlock is an answer's content block: text or tool_use.
type AnthropicBlock struct {
	Type  string          `json:"type"`
	Text  *string         `json:"text,omitempty"`
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
}

// AnthropicUsage counts tokens.
type AnthropicUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// DialectRoutes declares the Responses API and the Anthropic Messages endpoint.
func (a *API) DialectRoutes() []platform.Route {
	return withDependencyErrors([]platform.Route{
		a.responsesRoute(),
		{Method: http.MethodPost, Path: "/api/v1/gateway/anthropic/v1/messages", OperationID: "anthropicMessages", Tag: "gateway-anthropic",
			Streams: "As Anthropic streams: message_start, content_block_start/delta/stop, message_delta, message_stop.",
			Summary: "Anthropic-compatible Messages API through the pipeline (Anthropic JSON or its SSE events; verdict in X-Astra-* headers). " +
				"Authenticate with the product's API key in x-api-key (or as a bearer token); anthropic-version is accepted. " +
				"Text, image, tool_use and tool_result blocks, tools, tool_choice, stop_sequences, temperature, top_p, top_k and metadata.user_id " +
				"translate to the gateway's request model for any provider; any other member (thinking, cache_control, server tools…) " +
				"is refused with 400 naming it. Errors are in Anthropic's shape.",
			Permission: "gateway:write", Raw: true, Dialect: platform.AnthropicDialect, Request: AnthropicMessagesRequest{}, Response: AnthropicMessageResponse{},
			Headers: []platform.Param{routeHeader,
				{Name: "anthropic-version", Schema: "string", Description: "Accepted (any version); the answer is the 2023-06-01 Messages API shape."}},
			Errors: []int{400, 401, 404, 413, 422, 429, 502}, Handler: a.anthropicMessages},
	})
}

var anthropicFields = []string{"model", "max_tokens", "system", "messages", "tools", "tool_choice", "stop_sequences",
	"temperature", "top_p", "top_k", "metadata", "stream"}

const noChatEquivalent = "has no equivalent in the gateway's request model; it is refused rather than dropped."

// anthropicToChat translates a Messages request to the one request model.
func anthropicToChat(raw json.RawMessage, r *AnthropicMessagesRequest) (providers.ChatRequest, error) {
	out := providers.ChatRequest{Model: r.Model, Temperature: r.Temperature, TopP: r.TopP, Stream: r.Stream, Stop: r.StopSequences}
	if f := unknownMember(raw, anthropicFields...); f != "" {
		return out, refused(f, noChatEquivalent)
	}
	if r.MaxTokens < 1 {
		return out, refused("max_tokens", "is required and must be at least 1.")
	}
	mt := r.MaxTokens
	out.MaxTokens = &mt
	if r.TopK != nil {
		// No Chat Completions field: passed to the provider as top_k (the
		// anthropic adapter sends it as such; an OpenAI-compatible upstream
		// takes it or refuses it).
		out.Extra = map[string]json.RawMessage{"top_k": jsonOf(*r.TopK)}
	}
	if r.Metadata != nil {
		if f := unknownMember(rawMember(raw, "metadata"), "user_id"); f != "" {
			return out, refused("metadata."+f, noChatEquivalent)
		}
		out.User = r.Metadata.UserID
	}
	for i, t := range r.Tools {
		at := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "custom" {
			return out, refused(at+".type", "'"+t.Type+"': server tools are not supported; client tools (name, description, input_schema) are.")
		}
		if f := unknownMember(rawIndex(rawMember(raw, "tools"), i), "type", "name", "description", "input_schema"); f != "" {
			return out, refused(at+"."+f, noChatEquivalent)
		}
		if t.Name == "" {
			return out, refused(at+".name", "is required.")
		}
		out.Tools = append(out.Tools, providers.Tool{Type: "function", Function: &providers.FunctionDef{Name: t.Name, Description: t.Description,
			Parameters: t.InputSchema}})
	}
	if tc := r.ToolChoice; tc != nil {
		if f := unknownMember(rawMember(raw, "tool_choice"), "type", "name", "disable_parallel_tool_use"); f != "" {
			return out, refused("tool_choice."+f, noChatEquivalent)
		}
		switch tc.Type {
		case "auto":
			out.ToolChoice = json.RawMessage(`"auto"`)
		case "any":
			out.ToolChoice = json.RawMessage(`"required"`)
		case "none":
			out.ToolChoice = json.RawMessage(`"none"`)
		case "tool":
			if tc.Name == "" {
				return out, refused("tool_choice.name", "is required with type tool.")
			}
			out.ToolChoice = jsonOf(map[string]any{"type": "function", "function": map[string]string{"name": tc.Name}})
		default:
			return out, refused("tool_choice.type", "must be auto, any, tool or none.")
		}
		if tc.DisableParallelToolUse != nil && *tc.DisableParallelToolUse {
			f := false
			out.ParallelToolCalls = &f
		}
	}
	if !isNull(r.System) {
		sys, err := anthropicSystem(r.System)
		if err != nil {
			return out, err
		}
		out.Messages = append(out.Messages, sys)
	}
	if len(r.Messages) == 0 {
		return out, refused("messages", "must hold at least one message.")
	}
	for i, m := range r.Messages {
		if f := unknownMember(rawIndex(rawMember(raw, "messages"), i), "role", "content"); f != "" {
			return out, refused(fmt.Sprintf("messages[%d].%s", i, f), noChatEquivalent)
		}
		msgs, err := anthropicTurn(fmt.Sprintf("messages[%d]", i), m)
		if err != nil {
			return out, err
		}
		out.Messages = append(out.Messages, msgs...)
	}
	return out, nil
}

// rawMember is a member of a JSON object (nil when absent).
func rawMember(raw json.RawMessage, name string) json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m[name]
}

// rawIndex is an element of a JSON array (nil when absent).
func rawIndex(raw json.RawMessage, i int) json.RawMessage {
	var a []json.RawMessage
	_ = json.Unmarshal(raw, &a)
	if i < len(a) {
		return a[i]
	}
	return nil
}

// anthropicBlockIn is a request content block.
type anthropicBlockIn struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Source *struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
		URL       string `json:"url"`
	} `json:"source"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   *bool           `json:"is_error"`
}

var blockMembers = map[string][]string{
	"text":        {"type", "text"},
	"image":       {"type", "source"},
	"tool_use":    {"type", "id", "name", "input"},
	"tool_result": {"type", "tool_use_id", "content", "is_error"},
}

// blocks decodes content blocks, refusing a type or member without equivalent.
func blocks(where string, raw json.RawMessage, allowed ...string) ([]anthropicBlockIn, error) {
	var rawBlocks []json.RawMessage
	if err := json.Unmarshal(raw, &rawBlocks); err != nil {
		return nil, refused(where, "must be a string or a list of content blocks.")
	}
	out := make([]anthropicBlockIn, len(rawBlocks))
	for j, rb := range rawBlocks {
		at := fmt.Sprintf("%s[%d]", where, j)
		if err := json.Unmarshal(rb, &out[j]); err != nil {
			return nil, refused(at, "is not a valid content block.")
		}
		t := out[j].Type
		if !contains(allowed, t) {
			return nil, refused(at+".type", fmt.Sprintf("'%s' is not supported here (%s are).", t, strings.Join(allowed, ", ")))
		}
		if f := unknownMember(rb, blockMembers[t]...); f != "" {
			return nil, refused(at+"."+f, noChatEquivalent)
		}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// anthropicSystem translates the system prompt: a string, or text blocks
// (kept as text parts).
func anthropicSystem(raw json.RawMessage) (providers.Message, error) {
	msg := providers.Message{Role: "system"}
	if bytes.TrimSpace(raw)[0] == '"' {
		err := json.Unmarshal(raw, &msg.Content)
		return msg, err
	}
	bs, err := blocks("system", raw, "text")
	if err != nil {
		return msg, err
	}
	msg.Parts = []providers.ContentPart{}
	for _, b := range bs {
		t := b.Text
		msg.Parts = append(msg.Parts, providers.ContentPart{Type: "text", Text: &t})
	}
	msg.Sync()
	return msg, nil
}

// anthropicTurn translates one turn: a user turn's tool_result blocks become
// role "tool" messages (in order, before the rest of the turn); an
// assistant's tool_use blocks its tool calls.
func anthropicTurn(where string, m AnthropicMessage) ([]providers.Message, error) {
	content := bytes.TrimSpace(m.Content)
	if len(content) == 0 {
		return nil, refused(where+".content", "is required.")
	}
	if m.Role != "user" && m.Role != "assistant" {
		return nil, refused(where+".role", "must be user or assistant.")
	}
	if content[0] == '"' {
		msg := providers.Message{Role: m.Role}
		err := json.Unmarshal(content, &msg.Content)
		return []providers.Message{msg}, err
	}
	if m.Role == "assistant" {
		bs, err := blocks(where+".content", content, "text", "tool_use")
		if err != nil {
			return nil, err
		}
		msg := providers.Message{Role: "assistant"}
		var text strings.Builder
		for _, b := range bs {
			if b.Type == "text" {
				text.WriteString(b.Text)
				continue
			}
			args := string(b.Input)
			if isNull(b.Input) {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, providers.ToolCall{ID: b.ID, Type: "function", Function: &providers.FunctionCall{Name: b.Name, Arguments: compactJSON(args)}})
		}
		msg.Content = text.String()
		msg.ContentNull = msg.Content == "" && len(msg.ToolCalls) > 0
		return []providers.Message{msg}, nil
	}
	bs, err := blocks(where+".content", content, "text", "image", "tool_result")
	if err != nil {
		return nil, err
	}
	var out []providers.Message
	user := providers.Message{Role: "user"}
	for j, b := range bs {
		at := fmt.Sprintf("%s.content[%d]", where, j)
		switch b.Type {
		case "text":
			t := b.Text
			user.Parts = append(user.Parts, providers.ContentPart{Type: "text", Text: &t})
		case "image":
			u, err := imageURL(at, b)
			if err != nil {
				return nil, err
			}
			user.Parts = append(user.Parts, providers.ContentPart{Type: "image_url", ImageURL: &providers.ImageURL{URL: u}})
		case "tool_result":
			if b.ToolUseID == "" {
				return nil, refused(at+".tool_use_id", "is required.")
			}
			tm := providers.Message{Role: "tool", ToolCallID: b.ToolUseID}
			if c := bytes.TrimSpace(b.Content); len(c) > 0 && c[0] == '"' {
				_ = json.Unmarshal(c, &tm.Content)
			} else if !isNull(c) {
				inner, err := blocks(at+".content", c, "text")
				if err != nil {
					return nil, err
				}
				tm.Parts = []providers.ContentPart{}
				for _, ib := range inner {
					t := ib.Text
					tm.Parts = append(tm.Parts, providers.ContentPart{Type: "text", Text: &t})
				}
				tm.Sync()
			}
			if b.IsError != nil && *b.IsError {
				// No Chat Completions field: carried to the provider as the
				// tool message's is_error (the anthropic adapter sends it back
				// as tool_result is_error).
				tm.Extra = map[string]json.RawMessage{"is_error": json.RawMessage("true")}
			}
			out = append(out, tm)
		}
	}
	if len(user.Parts) > 0 {
		user.Sync()
		out = append(out, user)
	}
	return out, nil
}

// imageURL is an image block's source as an image_url: a data: URL for base64.
func imageURL(at string, b anthropicBlockIn) (string, error) {
	s := b.Source
	switch {
	case s == nil:
		return "", refused(at+".source", "is required.")
	case s.Type == "base64" && s.MediaType != "" && s.Data != "":
		return "data:" + s.MediaType + ";base64," + s.Data, nil
	case s.Type == "url" && s.URL != "":
		return s.URL, nil
	}
	return "", refused(at+".source", "must be {type: base64, media_type, data} or {type: url, url}.")
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// stopReason is the Anthropic stop_reason of a finish reason.
func stopReason(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

// toolInput is a tool call's arguments as a tool_use block's input: the JSON
// object the model produced (an empty one for none); arguments that are not
// JSON are answered as a JSON string, unchanged, rather than invented.
func toolInput(args string) json.RawMessage {
	if strings.TrimSpace(args) == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(args)) {
		return json.RawMessage(args)
	}
	return jsonOf(args)
}

// chatToAnthropic translates a chat completion to a Messages answer. A
// choice that reports the stop sequence it matched (stop_reason, as the
// anthropic adapter and vLLM-style servers do) ends with stop_sequence.
func chatToAnthropic(id, model string, stops []string, cr *providers.ChatResponse) AnthropicMessageResponse {
	out := AnthropicMessageResponse{ID: id, Type: "message", Role: "assistant", Model: model, Content: []AnthropicBlock{},
		Usage: AnthropicUsage{InputTokens: cr.Usage.PromptTokens, OutputTokens: cr.Usage.CompletionTokens}}
	finish := ""
	if len(cr.Choices) > 0 {
		c := cr.Choices[0]
		finish = c.FinishReason
		text := c.Message.Content
		if c.Message.Refusal != nil && text == "" {
			text = *c.Message.Refusal
			finish = "content_filter"
		}
		if text != "" {
			out.Content = append(out.Content, AnthropicBlock{Type: "text", Text: &text})
		}
		for _, tc := range c.Message.ToolCalls {
			if tc.Function == nil {
				continue
			}
			out.Content = append(out.Content, AnthropicBlock{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: toolInput(tc.Function.Arguments)})
		}
	}
	sr := stopReason(finish)
	if finish == "stop" && len(cr.Choices) > 0 {
		var matched string
		if json.Unmarshal(cr.Choices[0].Extra["stop_reason"], &matched) == nil && contains(stops, matched) {
			sr, out.StopSequence = "stop_sequence", &matched
		}
	}
	out.StopReason = &sr
	return out
}

// anthropicBlocked is a refusal of the pipeline on the Messages endpoint:
// Anthropic's error type follows the status (a kill switch is an api_error,
// not overload), the X-Astra-* headers carry the verdict.
func anthropicBlocked(c echo.Context, b *gateway.Blocked) error {
	e := Problem(b)
	if b.Code == "GW-001" {
		e.DialectType = "api_error"
	}
	for k, v := range b.Headers {
		c.Response().Header().Set(k, v)
	}
	return e
}

func (a *API) anthropicMessages(c echo.Context) error {
	if beta := c.Request().Header.Get("anthropic-beta"); beta != "" {
		return refused("anthropic-beta", "header '"+beta+"': beta features are not supported by the gateway.")
	}
	var ar AnthropicMessagesRequest
	req, rt, err := translated(a, c, &ar, func() string { return ar.Model }, anthropicToChat)
	if err != nil {
		return err
	}
	requested := ar.Model
	return a.runDropIn(c, rt, req, dropIn{endpoint: "anthropic_messages", stream: ar.Stream, blocked: anthropicBlocked,
		sink: func(call *gateway.Call) gateway.StreamSink {
			return &anthropicSink{c: c, id: "msg_" + call.RequestID, model: requested, reqID: call.RequestID, input: providers.PromptTokens(req.Messages)}
		},
		answer: func(call *gateway.Call, resp *providers.ChatResponse) error {
			return c.JSON(http.StatusOK, chatToAnthropic("msg_"+call.RequestID, requested, ar.StopSequences, resp))
		}})
}

// anthropicSink writes the Messages API's stream: message_start; per content
// block content_block_start, its deltas (text_delta, input_json_delta) and
// content_block_stop; message_delta with the stop reason and usage;
// message_stop.
type anthropicSink struct {
	c         echo.Context
	id, model string
	reqID     string
	input     int // estimated input tokens, for message_start
	block     int // index of the next block
	open      string
	calls     map[int]bool // tool-call delta indexes seen
	current   int          // the delta index of the open tool_use block
}

func (s *anthropicSink) event(typ string, v map[string]any) error {
	v["type"] = typ
	b, err := json.Marshal(v)
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
func (s *anthropicSink) Start() error {
	h := s.c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Astra-Request-Id", s.reqID)
	h.Set("request-id", s.reqID)
	s.c.Response().WriteHeader(http.StatusOK)
	return s.event("message_start", map[string]any{"message": map[string]any{"id": s.id, "type": "message", "role": "assistant",
		"model": s.model, "content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]int{"input_tokens": s.input, "output_tokens": 0}}})
}

func (s *anthropicSink) closeBlock() error {
	if s.open == "" {
		return nil
	}
	s.open = ""
	err := s.event("content_block_stop", map[string]any{"index": s.block})
	s.block++
	return err
}

func (s *anthropicSink) text(t string) error {
	if s.open != "text" {
		if err := s.closeBlock(); err != nil {
			return err
		}
		s.open = "text"
		if err := s.event("content_block_start", map[string]any{"index": s.block, "content_block": map[string]string{"type": "text", "text": ""}}); err != nil {
			return err
		}
	}
	return s.event("content_block_delta", map[string]any{"index": s.block, "delta": map[string]string{"type": "text_delta", "text": t}})
}

// Chunk implements gateway.StreamSink.
func (s *anthropicSink) Chunk(t string) error { return s.text(t) }

// Parts implements gateway.StreamSink: tool-call deltas become tool_use
// blocks with input_json_delta; a refusal is text (Anthropic has no refusal
// block); logprobs are never asked for on this endpoint.
func (s *anthropicSink) Parts(ch providers.Chunk) error {
	if ch.Refusal != "" {
		if err := s.text(ch.Refusal); err != nil {
			return err
		}
	}
	for _, d := range ch.ToolCalls {
		idx := len(s.calls)
		if d.Index != nil {
			idx = *d.Index
		}
		if s.calls == nil {
			s.calls = map[int]bool{}
		}
		if !s.calls[idx] {
			s.calls[idx] = true
			if err := s.closeBlock(); err != nil {
				return err
			}
			name := ""
			if d.Function != nil {
				name = d.Function.Name
			}
			s.open, s.current = "tool_use", idx
			if err := s.event("content_block_start", map[string]any{"index": s.block, "content_block": map[string]any{"type": "tool_use",
				"id": d.ID, "name": name, "input": map[string]any{}}}); err != nil {
				return err
			}
		} else if idx != s.current {
			// A fragment of an earlier call after another began: Anthropic's
			// blocks are sequential, so this cannot be streamed faithfully.
			return fmt.Errorf("gateway: tool call %d continued after call %d began", idx, s.current)
		}
		if d.Function != nil && d.Function.Arguments != "" {
			if err := s.event("content_block_delta", map[string]any{"index": s.block,
				"delta": map[string]string{"type": "input_json_delta", "partial_json": d.Function.Arguments}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Done implements gateway.StreamSink.
func (s *anthropicSink) Done(finish string, usage providers.Usage, _ gateway.Security) error {
	if err := s.closeBlock(); err != nil {
		return err
	}
	if err := s.event("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stopReason(finish), "stop_sequence": nil},
		"usage": map[string]int{"input_tokens": usage.PromptTokens, "output_tokens": usage.CompletionTokens}}); err != nil {
		return err
	}
	return s.event("message_stop", map[string]any{})
}

// Abort implements gateway.StreamSink: an Anthropic error event, which the
// SDK raises as an APIError with the message.
func (s *anthropicSink) Abort(b *gateway.Blocked, _ gateway.Security) error {
	entry := platform.Catalogue[b.Code]
	typ := platform.AnthropicErrorType(entry.Status)
	return s.event("error", map[string]any{"error": map[string]string{"type": typ, "message": entry.Title + ": " + b.Detail}})
}
