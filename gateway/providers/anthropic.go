package providers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Anthropic translates the OpenAI shape to and from the Messages API: system
// messages become the top-level system prompt, max_tokens is mandatory there,
// usage is input/output tokens, and streaming is a sequence of typed events.
type Anthropic struct {
	Name    string
	BaseURL string // e.g. https://api.anthropic.com
	APIKey  string
	Version string // anthropic-version header
	Client  *http.Client
}

type anthropicRequest struct {
	Model       string             `json:"model"`
	System      string             `json:"system,omitempty"`
	Messages    []anthropicMessage `json:"messages"`
	MaxTokens   int                `json:"max_tokens"`
	Temperature *float64           `json:"temperature,omitempty"`
	TopP        *float64           `json:"top_p,omitempty"`
	TopK        *int               `json:"top_k,omitempty"`
	Stop        []string           `json:"stop_sequences,omitempty"`
	Stream      bool               `json:"stream,omitempty"`
	Tools       []anthropicTool    `json:"tools,omitempty"`
	ToolChoice  map[string]any     `json:"tool_choice,omitempty"`
	Metadata    map[string]string  `json:"metadata,omitempty"`
}

// anthropicMessage is one turn: Content is a string, or a list of blocks
// (text, image, tool_use, tool_result).
type anthropicMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"`
}

type anthropicTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type anthropicResponse struct {
	ID         string `json:"id"`
	Model      string `json:"model"`
	StopReason string `json:"stop_reason"`
	// StopSequence is the stop sequence that ended the answer (stop_reason stop_sequence).
	StopSequence *string `json:"stop_sequence"`
	Content      []struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content"`
	Usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// ToAnthropic converts a request for the Messages API. A field the Messages
// API has no equivalent for is refused (UnsupportedError names it), never
// dropped.
func ToAnthropic(req ChatRequest) (anthropicRequest, error) {
	out := anthropicRequest{Model: req.Model, Temperature: req.Temperature, TopP: req.TopP, Stop: req.Stop, MaxTokens: 1024}
	if m := req.OutputLimit(); m != nil && *m > 0 {
		out.MaxTokens = *m
	}
	if f := anthropicUnsupported(req); f != "" {
		return out, Unsupported(KindAnthropic, f, "the Messages API has no equivalent")
	}
	if raw, ok := req.Extra["top_k"]; ok {
		// top_k is no Chat Completions field but is the Messages API's.
		if err := json.Unmarshal(raw, &out.TopK); err != nil {
			return out, Unsupported(KindAnthropic, "top_k", "must be an integer")
		}
	}
	if req.User != "" {
		out.Metadata = map[string]string{"user_id": req.User}
	}
	for _, t := range req.Tools {
		if t.Type != "function" || t.Function == nil || len(t.Extra) > 0 {
			return out, Unsupported(KindAnthropic, "tools", "only function tools translate")
		}
		schema := t.Function.Parameters
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out.Tools = append(out.Tools, anthropicTool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	if len(req.ToolChoice) > 0 {
		var s string
		var obj struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		switch {
		case json.Unmarshal(req.ToolChoice, &s) == nil && s == "auto":
			out.ToolChoice = map[string]any{"type": "auto"}
		case s == "required":
			out.ToolChoice = map[string]any{"type": "any"}
		case s == "none":
			out.ToolChoice = map[string]any{"type": "none"}
		case json.Unmarshal(req.ToolChoice, &obj) == nil && obj.Function.Name != "":
			out.ToolChoice = map[string]any{"type": "tool", "name": obj.Function.Name}
		default:
			return out, Unsupported(KindAnthropic, "tool_choice")
		}
	}
	if req.ParallelToolCalls != nil && !*req.ParallelToolCalls {
		if out.ToolChoice == nil {
			out.ToolChoice = map[string]any{"type": "auto"}
		}
		out.ToolChoice["disable_parallel_tool_use"] = true
	}
	var system []string
	add := func(role string, blocks []map[string]any, text string, plain bool) {
		n := len(out.Messages)
		if n > 0 && out.Messages[n-1].Role == role {
			prev := &out.Messages[n-1]
			ps, prevPlain := prev.Content.(string)
			if prevPlain && plain {
				prev.Content = ps + "\n\n" + text // consecutive text turns merge
				return
			}
			prev.Content = append(anthropicBlocks(prev.Content), blocks...)
			return
		}
		if plain {
			out.Messages = append(out.Messages, anthropicMessage{Role: role, Content: text})
			return
		}
		out.Messages = append(out.Messages, anthropicMessage{Role: role, Content: blocks})
	}
	for i, m := range req.Messages {
		for k := range m.Extra {
			if m.Role == "tool" && k == "is_error" {
				continue // a tool result's is_error is the Messages API's own
			}
			return out, Unsupported(KindAnthropic, fmt.Sprintf("messages[%d].%s", i, k))
		}
		switch m.Role {
		case "system", "developer":
			if m.Parts != nil && hasNonText(m.Parts) {
				return out, Unsupported(KindAnthropic, fmt.Sprintf("messages[%d].content", i), "a system message takes text only")
			}
			system = append(system, m.Content)
		case "tool":
			block := map[string]any{"type": "tool_result", "tool_use_id": m.ToolCallID, "content": m.Content}
			if isErr, ok := m.Extra["is_error"]; ok {
				block["is_error"] = isErr
			}
			add("user", []map[string]any{block}, "", false)
		case "assistant":
			var blocks []map[string]any
			if m.Content != "" {
				blocks = append(blocks, map[string]any{"type": "text", "text": m.Content})
			}
			for _, tc := range m.ToolCalls {
				if tc.Function == nil {
					return out, Unsupported(KindAnthropic, fmt.Sprintf("messages[%d].tool_calls", i), "only function calls translate")
				}
				input := json.RawMessage(tc.Function.Arguments)
				if !json.Valid(input) || len(input) == 0 {
					input = json.RawMessage(`{}`)
				}
				blocks = append(blocks, map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Function.Name, "input": input})
			}
			add("assistant", blocks, m.Content, len(m.ToolCalls) == 0)
		default: // user: Anthropic has only user and assistant turns
			if m.Parts == nil {
				add("user", []map[string]any{{"type": "text", "text": m.Content}}, m.Content, true)
				continue
			}
			var blocks []map[string]any
			for j, p := range m.Parts {
				where := fmt.Sprintf("messages[%d].content[%d]", i, j)
				switch {
				case p.Type == "text" && p.Text != nil:
					blocks = append(blocks, map[string]any{"type": "text", "text": *p.Text})
				case p.Type == "image_url" && p.ImageURL != nil:
					blocks = append(blocks, anthropicImage(p.ImageURL.URL))
				default:
					return out, Unsupported(KindAnthropic, where+"."+p.Type, "the Messages API takes text and images")
				}
			}
			add("user", blocks, "", false)
		}
	}
	out.System = strings.Join(system, "\n\n")
	return out, nil
}

// anthropicUnsupported is the first request field the Messages API cannot take.
func anthropicUnsupported(req ChatRequest) string {
	switch {
	case req.N != nil && *req.N != 1:
		return "n"
	case req.Seed != nil:
		return "seed"
	case len(req.LogitBias) > 0:
		return "logit_bias"
	case req.Logprobs != nil && *req.Logprobs:
		return "logprobs"
	case req.TopLogprobs != nil:
		return "top_logprobs"
	case req.PresencePenalty != nil:
		return "presence_penalty"
	case req.FrequencyPenalty != nil:
		return "frequency_penalty"
	case len(req.ResponseFormat) > 0 && !isTextFormat(req.ResponseFormat):
		return "response_format"
	case len(req.Metadata) > 0:
		return "metadata"
	case req.ReasoningEffort != "":
		return "reasoning_effort"
	}
	for k := range req.Extra {
		if k != "top_k" {
			return k
		}
	}
	return ""
}

func isTextFormat(raw json.RawMessage) bool {
	var f struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(raw, &f) == nil && f.Type == "text"
}

func hasNonText(parts []ContentPart) bool {
	for _, p := range parts {
		if p.Type != "text" {
			return true
		}
	}
	return false
}

func anthropicBlocks(content any) []map[string]any {
	switch c := content.(type) {
	case string:
		return []map[string]any{{"type": "text", "text": c}}
	case []map[string]any:
		return c
	}
	return nil
}

// anthropicImage is an image block: a data: URL becomes base64 source, any other URL a url source.
func anthropicImage(u string) map[string]any {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok {
			media, _, _ := strings.Cut(meta, ";")
			return map[string]any{"type": "image", "source": map[string]any{"type": "base64", "media_type": media, "data": data}}
		}
	}
	return map[string]any{"type": "image", "source": map[string]any{"type": "url", "url": u}}
}

func finishReason(stop string) string {
	switch stop {
	case "max_tokens":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "":
		return ""
	default:
		return "stop"
	}
}

// FromAnthropic converts a Messages API answer: text blocks are the content,
// tool_use blocks tool calls.
func FromAnthropic(r anthropicResponse) *ChatResponse {
	var text strings.Builder
	msg := Message{Role: "assistant"}
	for _, c := range r.Content {
		switch c.Type {
		case "text":
			text.WriteString(c.Text)
		case "tool_use":
			args := string(c.Input)
			if args == "" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: c.ID, Type: "function", Function: &FunctionCall{Name: c.Name, Arguments: args}})
		}
	}
	msg.Content = text.String()
	choice := Choice{Index: 0, Message: msg, FinishReason: finishReason(r.StopReason)}
	if r.StopReason == "stop_sequence" && r.StopSequence != nil {
		// The matched stop sequence, as OpenAI-compatible servers (vLLM)
		// report it: the choice's stop_reason.
		raw, _ := json.Marshal(*r.StopSequence)
		choice.Extra = map[string]json.RawMessage{"stop_reason": raw}
	}
	return &ChatResponse{ID: r.ID, Object: "chat.completion", Model: r.Model,
		Choices: []Choice{choice},
		Usage:   Usage{PromptTokens: r.Usage.InputTokens, CompletionTokens: r.Usage.OutputTokens, TotalTokens: r.Usage.InputTokens + r.Usage.OutputTokens}}
}

func (a *Anthropic) post(ctx context.Context, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(a.BaseURL, "/")+"/v1/messages", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	v := a.Version
	if v == "" {
		v = "2023-06-01"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", a.APIKey)
	req.Header.Set("anthropic-version", v)
	resp, err := a.Client.Do(req)
	if err != nil {
		return nil, &Error{Provider: a.Name, Message: transportMessage(ctx, err), Retryable: ctx.Err() == nil, Err: err}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, &Error{Provider: a.Name, Status: resp.StatusCode, Message: upstreamMessage(raw), Retryable: retryableStatus(resp.StatusCode) || resp.StatusCode == 529}
	}
	return resp, nil
}

// Chat implements Provider.
func (a *Anthropic) Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error) {
	ar, err := ToAnthropic(req)
	if err != nil {
		return nil, err
	}
	resp, err := a.post(ctx, ar)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r anthropicResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&r); err != nil {
		return nil, &Error{Provider: a.Name, Status: resp.StatusCode, Message: "malformed response", Retryable: true}
	}
	return FromAnthropic(r), nil
}

// ChatStream implements Provider over the Messages API's event stream.
func (a *Anthropic) ChatStream(ctx context.Context, req ChatRequest, emit func(Chunk) error) error {
	ar, err := ToAnthropic(req)
	if err != nil {
		return err
	}
	ar.Stream = true
	resp, err := a.post(ctx, ar)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var usage Usage
	stop := ""
	tools := map[int]int{} // content block index → tool call index
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		var ev struct {
			Type         string `json:"type"`
			Index        int    `json:"index"`
			ContentBlock struct {
				Type string `json:"type"`
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"content_block"`
			Delta struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
				StopReason  string `json:"stop_reason"`
			} `json:"delta"`
			Message struct {
				Usage struct {
					InputTokens int `json:"input_tokens"`
				} `json:"usage"`
			} `json:"message"`
			Usage struct {
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &ev); err != nil {
			return &Error{Provider: a.Name, Message: "malformed stream event"}
		}
		switch ev.Type {
		case "message_start":
			usage.PromptTokens = ev.Message.Usage.InputTokens
		case "content_block_start":
			if ev.ContentBlock.Type == "tool_use" {
				idx := tools[ev.Index]
				if _, ok := tools[ev.Index]; !ok {
					idx = len(tools)
					tools[ev.Index] = idx
				}
				if err := emit(Chunk{ToolCalls: []ToolCall{{Index: &idx, ID: ev.ContentBlock.ID, Type: "function",
					Function: &FunctionCall{Name: ev.ContentBlock.Name}}}}); err != nil {
					return err
				}
			}
		case "content_block_delta":
			if ev.Delta.Type == "input_json_delta" {
				idx, ok := tools[ev.Index]
				if ok && ev.Delta.PartialJSON != "" {
					if err := emit(Chunk{ToolCalls: []ToolCall{{Index: &idx, Function: &FunctionCall{Arguments: ev.Delta.PartialJSON}}}}); err != nil {
						return err
					}
				}
				continue
			}
			if ev.Delta.Text != "" {
				if err := emit(Chunk{Delta: ev.Delta.Text}); err != nil {
					return err
				}
			}
		case "message_delta":
			usage.CompletionTokens = ev.Usage.OutputTokens
			stop = ev.Delta.StopReason
		case "message_stop":
			usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
			return emit(Chunk{FinishReason: finishReason(stop), Usage: &usage})
		case "error":
			return &Error{Provider: a.Name, Message: "upstream stream error", Retryable: false}
		}
	}
	if err := sc.Err(); err != nil {
		return &Error{Provider: a.Name, Message: "stream interrupted"}
	}
	return errors.New("providers: anthropic stream ended without message_stop")
}

// Embed implements Provider: Anthropic has no embeddings API.
func (a *Anthropic) Embed(context.Context, string, []string) (*EmbeddingResponse, error) {
	return nil, &Error{Provider: a.Name, Status: http.StatusNotImplemented, Message: "anthropic has no embeddings API"}
}

// Models implements Provider.
func (a *Anthropic) Models(context.Context) ([]string, error) {
	return []string{"claude-3-5-sonnet-latest", "claude-3-5-haiku-latest", "claude-3-opus-latest"}, nil
}
