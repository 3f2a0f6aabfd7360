package providers

// The reflective codec that the hand-written one (codec.go) replaced, as it
// was at dd1bade, on a copy of the model's types: the oracle the codec's
// tests compare against. Only the names differ.

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// refMessage is one chat message.
type refMessage struct {
	Role string `json:"role"`
	// Content is the message's text: the string content, or the text parts
	// of a content-part array joined by "\n" (what detectors read). When
	// Parts is set it is derived: change the parts (see Texts), not Content.
	Content string `json:"-"`
	// Parts is the content-part array (text, image_url, input_audio, file…)
	// when the content was sent as one; nil for string content.
	Parts []refContentPart `json:"-"`
	// ContentNull: the content was JSON null (an assistant turn with tool calls).
	ContentNull bool   `json:"-"`
	Name        string `json:"name,omitempty"`
	// ToolCalls are an assistant turn's tool calls.
	ToolCalls []refToolCall `json:"tool_calls,omitempty"`
	// ToolCallID is what a role "tool" message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Refusal is an assistant's refusal text (answers).
	Refusal *string                    `json:"refusal,omitempty"`
	Extra   map[string]json.RawMessage `json:"-"`
}

// refContentPart is one part of a content-part array.
type refContentPart struct {
	Type string `json:"type"`
	// Text of a "text" part (omitted for other types).
	Text       *string                    `json:"text,omitempty"`
	ImageURL   *refImageURL               `json:"image_url,omitempty"`
	InputAudio json.RawMessage            `json:"input_audio,omitempty"` // {data, format}
	File       json.RawMessage            `json:"file,omitempty"`        // {file_id | file_data, filename}
	Extra      map[string]json.RawMessage `json:"-"`
}

// refImageURL is an image part's image: a URL or a data: URL.
type refImageURL struct {
	URL    string                     `json:"url"`
	Detail string                     `json:"detail,omitempty"`
	Extra  map[string]json.RawMessage `json:"-"`
}

// refToolCall is an assistant's call of a tool (whole, or a streamed fragment
// whose Index says which call it extends).
type refToolCall struct {
	Index    *int                       `json:"index,omitempty"`
	ID       string                     `json:"id,omitempty"`
	Type     string                     `json:"type,omitempty"`
	Function *refFunctionCall           `json:"function,omitempty"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// refFunctionCall is the function a tool call names and its JSON arguments (as text).
type refFunctionCall struct {
	Name      string                     `json:"name,omitempty"`
	Arguments string                     `json:"arguments"`
	Extra     map[string]json.RawMessage `json:"-"`
}

// refTool is a tool the model may call.
type refTool struct {
	Type     string                     `json:"type"`
	Function *refFunctionDef            `json:"function,omitempty"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// refFunctionDef declares a function tool.
type refFunctionDef struct {
	Name        string                     `json:"name"`
	Description string                     `json:"description,omitempty"`
	Parameters  json.RawMessage            `json:"parameters,omitempty"`
	Strict      *bool                      `json:"strict,omitempty"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// refStreamOptions are a streamed request's options.
type refStreamOptions struct {
	IncludeUsage bool                       `json:"include_usage"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// refChatRequest is a chat completion request: the current Chat Completions API,
// whole.
type refChatRequest struct {
	Model       string       `json:"model"`
	Messages    []refMessage `json:"messages"`
	Temperature *float64     `json:"temperature,omitempty"`
	TopP        *float64     `json:"top_p,omitempty"`
	// MaxTokens is the legacy max_tokens; MaxCompletionTokens the current name.
	MaxTokens           *int `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int `json:"max_completion_tokens,omitempty"`
	// Stop is stop or its list (StopString remembers a lone string).
	Stop              []string          `json:"-"`
	StopString        bool              `json:"-"`
	User              string            `json:"user,omitempty"`
	Stream            bool              `json:"stream,omitempty"`
	StreamOptions     *refStreamOptions `json:"stream_options,omitempty"`
	N                 *int              `json:"n,omitempty"`
	Seed              *int64            `json:"seed,omitempty"`
	Tools             []refTool         `json:"tools,omitempty"`
	ToolChoice        json.RawMessage   `json:"tool_choice,omitempty"` // "auto" | "none" | "required" | {type, function{name}}
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`
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
func (r *refChatRequest) OutputLimit() *int {
	if r.MaxCompletionTokens != nil {
		return r.MaxCompletionTokens
	}
	return r.MaxTokens
}

// refUsage counts tokens. Details (prompt_tokens_details, …) come back unchanged.
type refUsage struct {
	PromptTokens     int                        `json:"prompt_tokens"`
	CompletionTokens int                        `json:"completion_tokens"`
	TotalTokens      int                        `json:"total_tokens"`
	Extra            map[string]json.RawMessage `json:"-"`
}

// refChoice is one completion choice.
type refChoice struct {
	Index        int                        `json:"index"`
	Message      refMessage                 `json:"message"`
	FinishReason string                     `json:"finish_reason"`
	Logprobs     json.RawMessage            `json:"logprobs,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// refChatResponse is a chat completion.
type refChatResponse struct {
	ID                string                     `json:"id"`
	Object            string                     `json:"object"`
	Created           int64                      `json:"created"`
	Model             string                     `json:"model"`
	Choices           []refChoice                `json:"choices"`
	Usage             refUsage                   `json:"usage"`
	SystemFingerprint string                     `json:"system_fingerprint,omitempty"`
	ServiceTier       string                     `json:"service_tier,omitempty"`
	Extra             map[string]json.RawMessage `json:"-"`
}

// Texts are pointers to every text of the message a detector reads and a
// redaction may rewrite: the content, or each text part. After changing them
// call Sync.
func (m *refMessage) Texts() []*string {
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
func (m *refMessage) Sync() {
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
func (m refMessage) Clone() refMessage {
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

// --- JSON: typed fields plus Extra ---------------------------------------

var refKnownCache sync.Map // reflect.Type → map[string]bool

// known lists the JSON member names of a struct's typed fields.
func refKnown(t reflect.Type) map[string]bool {
	if k, ok := refKnownCache.Load(t); ok {
		return k.(map[string]bool)
	}
	k := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			k[name] = true
		}
	}
	refKnownCache.Store(t, k)
	return k
}

// decodeExtra decodes data into v (a pointer to an alias type without
// methods) and the members v does not name (json:"-" fields included, which
// the caller then takes out) into extra.
func refDecodeExtra(data []byte, v any, extra *map[string]json.RawMessage) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	// One allocation-free pass over the object's members finds those v
	// does not name (the common request has none).
	k := refKnown(reflect.TypeOf(v).Elem())
	return refMembers(data, func(name string, raw []byte) {
		if k[name] {
			return
		}
		if *extra == nil {
			*extra = map[string]json.RawMessage{}
		}
		(*extra)[name] = append(json.RawMessage(nil), raw...)
	})
}

// members calls fn with each member of a JSON object (already validated by
// json.Unmarshal) and its raw value. Names with escapes are unescaped.
func refMembers(data []byte, fn func(name string, raw []byte)) error {
	i := refSkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil
	}
	i++
	for {
		i = refSkipSpace(data, i)
		if i >= len(data) || data[i] == '}' {
			return nil
		}
		end := refSkipValue(data, i)
		name := string(data[i+1 : end-1])
		if bytes.IndexByte(data[i:end], '\\') >= 0 {
			_ = json.Unmarshal(data[i:end], &name)
		}
		i = refSkipSpace(data, end)
		i = refSkipSpace(data, i+1) // ':'
		vend := refSkipValue(data, i)
		fn(name, data[i:vend])
		i = refSkipSpace(data, vend)
		if i < len(data) && data[i] == ',' {
			i++
		}
	}
}

func refSkipSpace(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i.
func refSkipValue(d []byte, i int) int {
	if i >= len(d) {
		return i
	}
	switch d[i] {
	case '"':
		for i++; i < len(d); i++ {
			switch d[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return i
	case '{', '[':
		depth := 0
		for ; i < len(d); i++ {
			switch d[i] {
			case '"':
				i = refSkipValue(d, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(d) && d[i] != ',' && d[i] != '}' && d[i] != ']' && d[i] != ' ' && d[i] != '\n' && d[i] != '\t' && d[i] != '\r' {
		i++
	}
	return i
}

// encodeExtra marshals v (an alias type) and appends the members in add
// (already-encoded, in order) and then extra (sorted), skipping any member v
// already has.
func refEncodeExtra(v any, extra map[string]json.RawMessage, add ...refMember) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(extra) == 0 && len(add) == 0 {
		return b, nil
	}
	out := bytes.NewBuffer(make([]byte, 0, len(b)+64))
	out.Write(b[:len(b)-1])
	first := len(b) == 2
	write := func(name string, raw []byte) {
		if !first {
			out.WriteByte(',')
		}
		first = false
		nb, _ := json.Marshal(name)
		out.Write(nb)
		out.WriteByte(':')
		out.Write(raw)
	}
	for _, m := range add {
		write(m.name, m.raw)
	}
	if len(extra) > 0 {
		k := refKnown(reflect.TypeOf(v).Elem())
		names := make([]string, 0, len(extra))
		for n := range extra {
			if !k[n] && !slices.ContainsFunc(add, func(m refMember) bool { return m.name == n }) {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			write(n, extra[n])
		}
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

type refMember struct {
	name string
	raw  []byte
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *refChatRequest) UnmarshalJSON(data []byte) error {
	type alias refChatRequest
	if err := refDecodeExtra(data, (*alias)(r), &r.Extra); err != nil {
		return err
	}
	stop, ok := r.Extra["stop"]
	if !ok {
		return nil
	}
	delete(r.Extra, "stop")
	if len(r.Extra) == 0 {
		r.Extra = nil
	}
	switch {
	case bytes.Equal(bytes.TrimSpace(stop), []byte("null")):
	case len(bytes.TrimSpace(stop)) > 0 && bytes.TrimSpace(stop)[0] == '"':
		var s string
		if err := json.Unmarshal(stop, &s); err != nil {
			return err
		}
		r.Stop, r.StopString = []string{s}, true
	default:
		if err := json.Unmarshal(stop, &r.Stop); err != nil {
			return &json.UnmarshalTypeError{Value: "stop", Field: "stop", Type: reflect.TypeOf("")}
		}
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (r refChatRequest) MarshalJSON() ([]byte, error) {
	type alias refChatRequest
	var add []refMember
	if len(r.Stop) > 0 {
		var raw []byte
		if r.StopString && len(r.Stop) == 1 {
			raw, _ = json.Marshal(r.Stop[0])
		} else {
			raw, _ = json.Marshal(r.Stop)
		}
		add = append(add, refMember{"stop", raw})
	}
	return refEncodeExtra((*alias)(&r), r.Extra, add...)
}

// UnmarshalJSON implements json.Unmarshaler: content is a string, null or a part array.
func (m *refMessage) UnmarshalJSON(data []byte) error {
	type alias refMessage
	*m = refMessage{}
	if err := refDecodeExtra(data, (*alias)(m), &m.Extra); err != nil {
		return err
	}
	raw, ok := m.Extra["content"]
	if !ok {
		return nil
	}
	delete(m.Extra, "content")
	if len(m.Extra) == 0 {
		m.Extra = nil
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case bytes.Equal(raw, []byte("null")):
		m.ContentNull = true
	case len(raw) > 0 && raw[0] == '[':
		m.Parts = []refContentPart{}
		if err := json.Unmarshal(raw, &m.Parts); err != nil {
			return err
		}
		m.Sync()
	default:
		if err := json.Unmarshal(raw, &m.Content); err != nil {
			return err
		}
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (m refMessage) MarshalJSON() ([]byte, error) {
	type alias refMessage
	var content []byte
	var err error
	switch {
	case m.Parts != nil:
		content, err = json.Marshal(m.Parts)
	case m.Content == "" && (m.ContentNull || len(m.ToolCalls) > 0 || m.Refusal != nil):
		content = []byte("null")
	default:
		content, err = json.Marshal(m.Content)
	}
	if err != nil {
		return nil, err
	}
	return refEncodeExtra((*alias)(&m), m.Extra, refMember{"content", content})
}

// The other types: typed fields plus Extra.

func (p *refContentPart) UnmarshalJSON(d []byte) error {
	type alias refContentPart
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refContentPart) MarshalJSON() ([]byte, error) {
	type alias refContentPart
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refImageURL) UnmarshalJSON(d []byte) error {
	type alias refImageURL
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refImageURL) MarshalJSON() ([]byte, error) {
	type alias refImageURL
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refToolCall) UnmarshalJSON(d []byte) error {
	type alias refToolCall
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refToolCall) MarshalJSON() ([]byte, error) {
	type alias refToolCall
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refFunctionCall) UnmarshalJSON(d []byte) error {
	type alias refFunctionCall
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refFunctionCall) MarshalJSON() ([]byte, error) {
	type alias refFunctionCall
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refTool) UnmarshalJSON(d []byte) error {
	type alias refTool
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refTool) MarshalJSON() ([]byte, error) {
	type alias refTool
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refFunctionDef) UnmarshalJSON(d []byte) error {
	type alias refFunctionDef
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refFunctionDef) MarshalJSON() ([]byte, error) {
	type alias refFunctionDef
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refStreamOptions) UnmarshalJSON(d []byte) error {
	type alias refStreamOptions
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refStreamOptions) MarshalJSON() ([]byte, error) {
	type alias refStreamOptions
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refUsage) UnmarshalJSON(d []byte) error {
	type alias refUsage
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refUsage) MarshalJSON() ([]byte, error) {
	type alias refUsage
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refChoice) UnmarshalJSON(d []byte) error {
	type alias refChoice
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refChoice) MarshalJSON() ([]byte, error) {
	type alias refChoice
	return refEncodeExtra((*alias)(&p), p.Extra)
}
func (p *refChatResponse) UnmarshalJSON(d []byte) error {
	type alias refChatResponse
	return refDecodeExtra(d, (*alias)(p), &p.Extra)
}
func (p refChatResponse) MarshalJSON() ([]byte, error) {
	type alias refChatResponse
	return refEncodeExtra((*alias)(&p), p.Extra)
}
