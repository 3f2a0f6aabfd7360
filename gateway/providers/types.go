package providers

import (
	"encoding/json"
	"slices"
	"strings"
)

// The gateway's one request/response model. Every dialect (Chat Completions,
// and the Responses and Anthropic Messages translators) translates to and from
// these types; every provider adapter translates them for its upstream.
//
// The model is lossless: each type keeps the fields the gateway reads as typed
// fields and every other member as raw JSON in Extra, re-emitted unchanged, so
// a field OpenAI adds next month reaches an OpenAI-compatible upstream (and
// comes back to the client) without a code change. Fields the gateway does not
// interpret but that translators need (response_format, tool_choice, logit_bias,
// metadata…) are raw JSON too, so their bytes are exactly what the client sent.
// The JSON codec is in codec.go.

// Message is one chat message.
type Message struct {
	Role string `json:"role"`
	// Content is the message's text: the string content, or the text parts
	// of a content-part array joined by "\n" (what detectors read). When
	// Parts is set it is derived: change the parts (see Texts), not Content.
	Content string `json:"-"`
	// Parts is the content-part array (text, image_url, input_audio, file…)
	// when the content was sent as one; nil for string content.
	Parts []ContentPart `json:"-"`
	// ContentNull: the content was JSON null (an assistant turn with tool calls).
	ContentNull bool   `json:"-"`
	Name        string `json:"name,omitempty"`
	// ToolCalls are an assistant turn's tool calls.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID is what a role "tool" message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Refusal is an assistant's refusal text (answers).
	Refusal *string                    `json:"refusal,omitempty"`
	Extra   map[string]json.RawMessage `json:"-"`
}

// ContentPart is one part of a content-part array.
type ContentPart struct {
	Type string `json:"type"`
	// Text of a "text" part (omitted for other types).
	Text       *string                    `json:"text,omitempty"`
	ImageURL   *ImageURL                  `json:"image_url,omitempty"`
	InputAudio json.RawMessage            `json:"input_audio,omitempty"` // {data, format}
	File       json.RawMessage            `json:"file,omitempty"`        // {file_id | file_data, filename}
	Extra      map[string]json.RawMessage `json:"-"`
}

// ImageURL is an image part's image: a URL or a data: URL.
type ImageURL struct {
	URL    string                     `json:"url"`
	Detail string                     `json:"detail,omitempty"`
	Extra  map[string]json.RawMessage `json:"-"`
}

// ToolCall is an assistant's call of a tool (whole, or a streamed fragment
// whose Index says which call it extends).
type ToolCall struct {
	Index    *int                       `json:"index,omitempty"`
	ID       string                     `json:"id,omitempty"`
	Type     string                     `json:"type,omitempty"`
	Function *FunctionCall              `json:"function,omitempty"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// FunctionCall is the function a tool call names and its JSON arguments (as text).
type FunctionCall struct {
	Name      string                     `json:"name,omitempty"`
	Arguments string                     `json:"arguments"`
	Extra     map[string]json.RawMessage `json:"-"`
}

// Tool is a tool the model may call.
type Tool struct {
	Type     string                     `json:"type"`
	Function *FunctionDef               `json:"function,omitempty"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// FunctionDef declares a function tool.
type FunctionDef struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description,omitempty"`
	Parameters  json.RawMessage            `json:"parameters,omitempty"`
	Strict      *bool                      `json:"strict,omitempty"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// StreamOptions are a streamed request's options.
type StreamOptions struct {
	IncludeUsage bool                       `json:"include_usage"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// ChatRequest is a chat completion request: the current Chat Completions API,
// whole.
type ChatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature *float64  `json:"temperature,omitempty"`
	TopP        *float64  `json:"top_p,omitempty"`
	// MaxTokens is the legacy max_tokens; MaxCompletionTokens the current name.
	MaxTokens           *int `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int `json:"max_completion_tokens,omitempty"`
	// Stop is stop or its list (StopString remembers a lone string).
	Stop              []string        `json:"-"`
	StopString        bool            `json:"-"`
	User              string          `json:"user,omitempty"`
	Stream            bool            `json:"stream,omitempty"`
	StreamOptions     *StreamOptions  `json:"stream_options,omitempty"`
	N                 *int            `json:"n,omitempty"`
	Seed              *int64          `json:"seed,omitempty"`
	Tools             []Tool          `json:"tools,omitempty"`
	ToolChoice        json.RawMessage `json:"tool_choice,omitempty"` // "auto" | "none" | "required" | {type, function{name}}
	ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
	// ResponseFormat is {type: text|json_object|json_schema, json_schema: {name, schema, strict}}.
	ResponseFormat   json.RawMessage `json:"response_format,omitempty"`
	Logprobs         *bool           `json:"logprobs,omitempty"`
	TopLogprobs      *int            `json:"top_logprobs,omitempty"`
	LogitBias        json.RawMessage `json:"logit_bias,omitempty"`
	PresencePenalty  *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64        `json:"frequency_penalty,omitempty"`
	Metadata         json.RawMessage `json:"metadata,omitempty"`
	ReasoningEffort  string          `json:"reasoning_effort,omitempty"`
	// Extra holds every other member, passed through unchanged.
	Extra map[string]json.RawMessage `json:"-"`
}

// OutputLimit is the completion bound the request sets: max_completion_tokens,
// else max_tokens; nil when neither.
func (r *ChatRequest) OutputLimit() *int {
	if r.MaxCompletionTokens != nil {
		return r.MaxCompletionTokens
	}
	return r.MaxTokens
}

// Usage counts tokens. Details (prompt_tokens_details, …) come back unchanged.
type Usage struct {
	PromptTokens     int                        `json:"prompt_tokens"`
	CompletionTokens int                        `json:"completion_tokens"`
	TotalTokens      int                        `json:"total_tokens"`
	Extra            map[string]json.RawMessage `json:"-"`
}

// Choice is one completion choice.
type Choice struct {
	Index        int                        `json:"index"`
	Message      Message                    `json:"message"`
	FinishReason string                     `json:"finish_reason"`
	Logprobs     json.RawMessage            `json:"logprobs,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// ChatResponse is a chat completion.
type ChatResponse struct {
	ID                string                     `json:"id"`
	Object            string                     `json:"object"`
	Created           int64                      `json:"created"`
	Model             string                     `json:"model"`
	Choices           []Choice                   `json:"choices"`
	Usage             Usage                      `json:"usage"`
	SystemFingerprint string                     `json:"system_fingerprint,omitempty"`
	ServiceTier       string                     `json:"service_tier,omitempty"`
	Extra             map[string]json.RawMessage `json:"-"`
}

// Texts are pointers to every text of the message a detector reads and a
// redaction may rewrite: the content, or each text part. After changing them
// call Sync.
func (m *Message) Texts() []*string {
	if m.Parts == nil {
		return []*string{&m.Content}
	}
	var out []*string
	for i := range m.Parts {
		if m.Parts[i].Text != nil {
			out = append(out, m.Parts[i].Text)
		}
	}
	return out
}

// Sync recomputes Content from the text parts.
func (m *Message) Sync() {
	if m.Parts == nil {
		return
	}
	var b strings.Builder
	for i, p := range m.Parts {
		if p.Text == nil {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(*p.Text)
	}
	m.Content = b.String()
}

// Clone copies a message deeply enough that redacting the copy's texts
// leaves the original alone.
func (m Message) Clone() Message {
	if m.Parts != nil {
		m.Parts = slices.Clone(m.Parts)
		for i := range m.Parts {
			if t := m.Parts[i].Text; t != nil {
				s := *t
				m.Parts[i].Text = &s
			}
		}
	}
	return m
}
