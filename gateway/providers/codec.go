package providers

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"

	"github.com/astrabastion/astra/gateway/internal/jsonwire"
)

// The model's JSON codec, written by hand: one pass over the text for
// decoding, one append per field for encoding, and the raw members copied
// rather than re-parsed.
//
// It is encoding/json's behaviour exactly, the reflective implementation it
// replaced (each type decoded through an alias type, then its members walked
// again for the unknown ones) included: the same texts are valid; a member
// name matches a field exactly, or else case-insensitively (and is then also
// kept as an unknown member); null leaves a string or number alone and
// clears a pointer, slice or raw value to its zero or to "null"; a value of
// the wrong type is reported as a *json.UnmarshalTypeError naming the field
// path (array indices left out), the first one of a type winning unless a
// nested type fails, which stops decoding. Encoding writes what
// json.Marshal wrote: fields in declaration order, then the unknown members
// sorted by name, strings HTML-safe, raw values compacted. The reference
// implementation is kept in the tests, which compare the two.

// fields are the JSON names of a type's typed fields.
type fields struct {
	names  []string
	folded map[string]string // case-folded name → name
}

func newFields(names ...string) *fields {
	f := &fields{names: names, folded: map[string]string{}}
	for _, n := range names {
		f.folded[string(jsonwire.AppendFoldedName(nil, []byte(n)))] = n
	}
	return f
}

func (f *fields) has(name string) bool { return slices.Contains(f.names, name) }

// fold is the field a name matches only case-insensitively ("" for none).
func (f *fields) fold(name []byte) string {
	var buf [32]byte
	return f.folded[string(jsonwire.AppendFoldedName(buf[:0], name))]
}

var (
	requestFields = newFields("model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "user", "stream",
		"stream_options", "n", "seed", "tools", "tool_choice", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs",
		"logit_bias", "presence_penalty", "frequency_penalty", "metadata", "reasoning_effort")
	messageFields       = newFields("role", "name", "tool_calls", "tool_call_id", "refusal")
	contentPartFields   = newFields("type", "text", "image_url", "input_audio", "file")
	imageURLFields      = newFields("url", "detail")
	toolCallFields      = newFields("index", "id", "type", "function")
	functionCallFields  = newFields("name", "arguments")
	toolFields          = newFields("type", "function")
	functionDefFields   = newFields("name", "description", "parameters", "strict")
	streamOptionsFields = newFields("include_usage")
	usageFields         = newFields("prompt_tokens", "completion_tokens", "total_tokens")
	choiceFields        = newFields("index", "message", "finish_reason", "logprobs")
	responseFields      = newFields("id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier")
)

// Go types named in type errors.
var (
	typeString  = reflect.TypeFor[string]()
	typeInt     = reflect.TypeFor[int]()
	typeInt64   = reflect.TypeFor[int64]()
	typeFloat64 = reflect.TypeFor[float64]()
	typeBool    = reflect.TypeFor[bool]()
)

// --- Decoding -------------------------------------------------------------

// decoder reads one JSON text. saved is the first value of the wrong type
// met at the current level (encoding/json goes on after one and reports it
// at the end).
type decoder struct {
	data  []byte
	pos   int
	saved *json.UnmarshalTypeError
}

// decodeText decodes the whole of data with dec, nothing but white space
// after the value; its errors are encoding/json's (a syntax error is
// rebuilt by encoding/json itself, with its message and offset).
func decodeText(data []byte, dec func(*decoder) error) error {
	d := decoder{data: data}
	d.pos = jsonwire.SkipSpace(data, 0)
	err := dec(&d)
	if err == nil && jsonwire.SkipSpace(data, d.pos) != len(data) {
		err = jsonwire.ErrSyntax
	}
	if err != nil && !json.Valid(data) {
		var v any
		return json.Unmarshal(data, &v)
	}
	return err
}

// peek skips white space and returns the next byte (0 at the end).
func (d *decoder) peek() byte {
	d.pos = jsonwire.SkipSpace(d.data, d.pos)
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// skip consumes one value and returns its text.
func (d *decoder) skip() ([]byte, error) {
	start := jsonwire.SkipSpace(d.data, d.pos)
	end, err := jsonwire.SkipValue(d.data, start)
	if err != nil {
		return nil, err
	}
	d.pos = end
	return d.data[start:end], nil
}

// null consumes a null if one is next.
func (d *decoder) null() bool {
	if d.peek() == 'n' && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// kind names the JSON type of the value starting with c as encoding/json's type errors do.
func kind(c byte) string {
	switch c {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// mismatch consumes a value that does not fit field (of Go type t) and
// records it as the level's type error if it is the first.
func (d *decoder) mismatch(value string, t reflect.Type, field string) error {
	if _, err := d.skip(); err != nil {
		return err
	}
	d.save(value, t, field)
	return nil
}

func (d *decoder) save(value string, t reflect.Type, field string) {
	if d.saved == nil {
		d.saved = &json.UnmarshalTypeError{Value: value, Type: t, Field: field, Offset: int64(d.pos)}
	}
}

// within prefixes the field path of a nested type's error with the member
// that holds it.
func within(err error, field string) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok && field != "" {
		if te.Field == "" {
			te.Field = field
		} else {
			te.Field = field + "." + te.Field
		}
	}
	return err
}

// str decodes a string field.
func (d *decoder) str(dst *string, field string) error {
	switch c := d.peek(); c {
	case '"':
		end, k, err := jsonwire.ScanString(d.data, d.pos)
		if err != nil {
			return err
		}
		if k == jsonwire.Plain {
			*dst = string(d.data[d.pos+1 : end-1])
		} else {
			*dst = jsonwire.Unquote(d.data[d.pos:end])
		}
		d.pos = end
		return nil
	case 'n':
		if d.null() {
			return nil
		}
		return jsonwire.ErrSyntax
	default:
		return d.mismatch(kind(c), typeString, field)
	}
}

// number consumes a number, or records a mismatch (ok false).
func (d *decoder) number(t reflect.Type, field string) (lit []byte, ok bool, err error) {
	switch c := d.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		end, err := jsonwire.ScanNumber(d.data, d.pos)
		if err != nil {
			return nil, false, err
		}
		lit = d.data[d.pos:end]
		d.pos = end
		return lit, true, nil
	case c == 'n':
		if d.null() {
			return nil, false, nil
		}
		return nil, false, jsonwire.ErrSyntax
	default:
		return nil, false, d.mismatch(kind(c), t, field)
	}
}

// parseInt is strconv.ParseInt(lit, 10, 64) without its allocation for the
// plain integers that are nearly all there is.
func parseInt(lit []byte) (int64, bool) {
	if n := len(lit); n > 0 && n <= 18 {
		neg := lit[0] == '-'
		digits := lit
		if neg {
			digits = lit[1:]
		}
		var v int64
		plain := len(digits) > 0
		for _, c := range digits {
			if c < '0' || c > '9' {
				plain = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if plain {
			if neg {
				v = -v
			}
			return v, true
		}
	}
	v, err := strconv.ParseInt(string(lit), 10, 64)
	return v, err == nil
}

func (d *decoder) int64(dst *int64, field string) error {
	lit, ok, err := d.number(typeInt64, field)
	if !ok {
		return err
	}
	v, ok := parseInt(lit)
	if !ok {
		d.save("number "+string(lit), typeInt64, field)
		return nil
	}
	*dst = v
	return nil
}

func (d *decoder) int(dst *int, field string) error {
	lit, ok, err := d.number(typeInt, field)
	if !ok {
		return err
	}
	v, ok := parseInt(lit)
	if !ok {
		d.save("number "+string(lit), typeInt, field)
		return nil
	}
	*dst = int(v)
	return nil
}

func (d *decoder) float(dst *float64, field string) error {
	lit, ok, err := d.number(typeFloat64, field)
	if !ok {
		return err
	}
	v, perr := strconv.ParseFloat(string(lit), 64)
	if perr != nil {
		d.save("number "+string(lit), typeFloat64, field)
		return nil
	}
	*dst = v
	return nil
}

func (d *decoder) bool(dst *bool, field string) error {
	switch c := d.peek(); c {
	case 't', 'f', 'n':
		end, err := jsonwire.ScanLiteral(d.data, d.pos)
		if err != nil {
			return err
		}
		if c != 'n' {
			*dst = c == 't'
		}
		d.pos = end
		return nil
	default:
		return d.mismatch(kind(c), typeBool, field)
	}
}

// raw decodes a json.RawMessage field: any value, null included, copied.
func (d *decoder) raw(dst *json.RawMessage) error {
	v, err := d.skip()
	if err != nil {
		return err
	}
	*dst = append((*dst)[:0], v...)
	return nil
}

// opt decodes a pointer field: null clears it, a value fills the pointee
// (the existing one, as encoding/json does).
func opt[T any](d *decoder, dst **T, field string, dec func(*decoder, *T, string) error) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = new(T)
	}
	return dec(d, *dst, field)
}

// nested decodes a pointer to one of the model's types.
func nested[T any](d *decoder, dst **T, field string, dec func(*T, *decoder) error) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = new(T)
	}
	return within(dec(*dst, d), field)
}

// list decodes a slice of the model's types as encoding/json decodes a
// slice: null clears it, elements already there are decoded into.
func list[T any](d *decoder, dst *[]T, field string, dec func(*T, *decoder) error) error {
	switch c := d.peek(); c {
	case '[':
	case 'n':
		if d.null() {
			*dst = nil
			return nil
		}
		return jsonwire.ErrSyntax
	default:
		return d.mismatch(kind(c), reflect.TypeFor[[]T](), field)
	}
	d.pos++
	s := *dst
	i := 0
	for first := true; ; first = false {
		more, err := d.element(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		switch {
		case i >= cap(s):
			var zero T
			s = append(s, zero)
		case i >= len(s):
			s = s[:i+1]
		}
		if err := dec(&s[i], d); err != nil {
			*dst = s
			return within(err, field)
		}
		i++
	}
	if i < len(s) {
		s = s[:i]
	}
	if i == 0 && s == nil {
		s = []T{}
	}
	*dst = s
	return nil
}

// strings decodes a []string the same way (stop's list).
func (d *decoder) strings(dst *[]string) error {
	return list(d, dst, "", func(s *string, d *decoder) error { return d.str(s, "") })
}

// element moves to an array's next element, false at its end.
func (d *decoder) element(first bool) (bool, error) {
	c := d.peek()
	if c == ']' {
		d.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, jsonwire.ErrSyntax
		}
		d.pos++
		if d.peek() == 0 {
			return false, jsonwire.ErrSyntax
		}
	}
	return true, nil
}

// object decodes an object: field decodes the member of a typed field
// (false for a name it does not know), and every other member is kept in
// extra. null leaves the value alone; another type is a type error.
func (d *decoder) object(t reflect.Type, known *fields, extra *map[string]json.RawMessage, field func(name []byte) (bool, error)) error {
	switch c := d.peek(); c {
	case '{':
	case 'n':
		if d.null() {
			return nil
		}
		return jsonwire.ErrSyntax
	default:
		if _, err := d.skip(); err != nil {
			return err
		}
		return &json.UnmarshalTypeError{Value: kind(c), Type: t, Offset: int64(d.pos)}
	}
	d.pos++
	outer := d.saved
	d.saved = nil
	for first := true; ; first = false {
		name, more, err := d.member(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		start := d.pos
		ok, err := field(name)
		if err == nil && !ok {
			// Not a typed field's exact name: kept as it is, and decoded
			// into the field it matches case-insensitively, if any.
			if f := known.fold(name); f != "" {
				_, err = field([]byte(f))
			} else {
				_, err = d.skip()
			}
			if err == nil {
				if *extra == nil {
					*extra = map[string]json.RawMessage{}
				}
				(*extra)[string(name)] = append(json.RawMessage(nil), d.data[start:d.pos]...)
			}
		}
		if err != nil {
			return err
		}
	}
	saved := d.saved
	d.saved = outer
	if saved != nil {
		return saved
	}
	return nil
}

// member moves to an object's next member and returns its name (unescaped
// when it has escapes), leaving the decoder at its value; false at the end.
func (d *decoder) member(first bool) (name []byte, more bool, err error) {
	c := d.peek()
	if c == '}' {
		d.pos++
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, jsonwire.ErrSyntax
		}
		d.pos++
		c = d.peek()
	}
	if c != '"' {
		return nil, false, jsonwire.ErrSyntax
	}
	end, _, err := jsonwire.ScanString(d.data, d.pos)
	if err != nil {
		return nil, false, err
	}
	name = d.data[d.pos+1 : end-1]
	if slices.Contains(name, '\\') {
		name = []byte(jsonwire.Unquote(d.data[d.pos:end]))
	}
	d.pos = end
	if d.peek() != ':' {
		return nil, false, jsonwire.ErrSyntax
	}
	d.pos++
	if d.peek() == 0 {
		return nil, false, jsonwire.ErrSyntax
	}
	return name, true, nil
}

// UnmarshalJSON implements json.Unmarshaler. It checks the text itself, so
// calling it directly is json.Unmarshal in one pass.
func (r *ChatRequest) UnmarshalJSON(data []byte) error {
	return decodeText(data, r.decode)
}

func (r *ChatRequest) decode(d *decoder) error {
	var stop []byte
	stopAt := 0
	err := d.object(reflect.TypeFor[ChatRequest](), requestFields, &r.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "model":
			return true, d.str(&r.Model, "model")
		case "messages":
			return true, list(d, &r.Messages, "messages", (*Message).decode)
		case "temperature":
			return true, opt(d, &r.Temperature, "temperature", (*decoder).float)
		case "top_p":
			return true, opt(d, &r.TopP, "top_p", (*decoder).float)
		case "max_tokens":
			return true, opt(d, &r.MaxTokens, "max_tokens", (*decoder).int)
		case "max_completion_tokens":
			return true, opt(d, &r.MaxCompletionTokens, "max_completion_tokens", (*decoder).int)
		case "user":
			return true, d.str(&r.User, "user")
		case "stream":
			return true, d.bool(&r.Stream, "stream")
		case "stream_options":
			return true, nested(d, &r.StreamOptions, "stream_options", (*StreamOptions).decode)
		case "n":
			return true, opt(d, &r.N, "n", (*decoder).int)
		case "seed":
			return true, opt(d, &r.Seed, "seed", (*decoder).int64)
		case "tools":
			return true, list(d, &r.Tools, "tools", (*Tool).decode)
		case "tool_choice":
			return true, d.raw(&r.ToolChoice)
		case "parallel_tool_calls":
			return true, opt(d, &r.ParallelToolCalls, "parallel_tool_calls", (*decoder).bool)
		case "response_format":
			return true, d.raw(&r.ResponseFormat)
		case "logprobs":
			return true, opt(d, &r.Logprobs, "logprobs", (*decoder).bool)
		case "top_logprobs":
			return true, opt(d, &r.TopLogprobs, "top_logprobs", (*decoder).int)
		case "logit_bias":
			return true, d.raw(&r.LogitBias)
		case "presence_penalty":
			return true, opt(d, &r.PresencePenalty, "presence_penalty", (*decoder).float)
		case "frequency_penalty":
			return true, opt(d, &r.FrequencyPenalty, "frequency_penalty", (*decoder).float)
		case "metadata":
			return true, d.raw(&r.Metadata)
		case "reasoning_effort":
			return true, d.str(&r.ReasoningEffort, "reasoning_effort")
		case "stop":
			// stop is a string or a list: decoded once the rest is.
			stopAt = d.pos
			v, err := d.skip()
			stop = v
			return true, err
		}
		return false, nil
	})
	if err != nil || stop == nil {
		return err
	}
	if len(r.Extra) == 0 {
		r.Extra = nil
	}
	sd := decoder{data: d.data, pos: stopAt}
	switch stop[0] {
	case 'n':
	case '"':
		var s string
		_ = sd.str(&s, "")
		r.Stop, r.StopString = []string{s}, true
	default:
		if err := sd.strings(&r.Stop); err != nil || sd.saved != nil {
			return &json.UnmarshalTypeError{Value: "stop", Field: "stop", Type: typeString}
		}
	}
	return nil
}

// DecodeChatRequestWith decodes data as a request that also carries the
// named members, each a string (the product envelope's provider and
// policy_id), and returns their values in the order of names ("" when
// absent); they stay in r.Extra. It answers only for a text that is that
// and nothing unusual: no other unknown member (nor one matching a field
// only case-insensitively), each named member and stop at most once, stop
// a list. For any other text, errors included, ok is false: the caller
// decodes it its own way, which decides what the answer is.
func DecodeChatRequestWith(data []byte, names ...string) (r ChatRequest, values []string, ok bool) {
	if r.UnmarshalJSON(data) != nil || r.StopString {
		return r, nil, false
	}
	for name := range r.Extra {
		if !slices.Contains(names, name) {
			return r, nil, false
		}
	}
	// Repeats: encoding/json would decode (and type-check) each one, the
	// request keeps the last.
	d := decoder{data: data}
	if d.peek() == '{' {
		d.pos++
		stops := 0
		var seen uint64
		for first := true; ; first = false {
			name, more, err := d.member(first)
			if err != nil {
				return r, nil, false
			}
			if !more {
				break
			}
			if string(name) == "stop" {
				if stops++; stops > 1 {
					return r, nil, false
				}
			} else if i := slices.Index(names, string(name)); i >= 0 {
				if i >= 64 || seen&(1<<i) != 0 {
					return r, nil, false
				}
				seen |= 1 << i
			}
			if _, err := d.skip(); err != nil {
				return r, nil, false
			}
		}
	}
	values = make([]string, len(names))
	for i, name := range names {
		raw, present := r.Extra[name]
		if !present {
			continue
		}
		if raw[0] != '"' {
			return r, nil, false
		}
		vd := decoder{data: raw}
		if vd.str(&values[i], name) != nil {
			return r, nil, false
		}
	}
	return r, values, true
}

// UnmarshalJSON implements json.Unmarshaler: content is a string, null or a
// part array. It checks the text itself, like ChatRequest's.
func (m *Message) UnmarshalJSON(data []byte) error {
	return decodeText(data, m.decode)
}

func (m *Message) decode(d *decoder) error {
	*m = Message{}
	var content []byte
	contentAt := 0
	err := d.object(reflect.TypeFor[Message](), messageFields, &m.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "role":
			return true, d.str(&m.Role, "role")
		case "name":
			return true, d.str(&m.Name, "name")
		case "tool_calls":
			return true, list(d, &m.ToolCalls, "tool_calls", (*ToolCall).decode)
		case "tool_call_id":
			return true, d.str(&m.ToolCallID, "tool_call_id")
		case "refusal":
			return true, opt(d, &m.Refusal, "refusal", (*decoder).str)
		case "content":
			contentAt = d.pos
			v, err := d.skip()
			content = v
			return true, err
		}
		return false, nil
	})
	if err != nil || content == nil {
		return err
	}
	if len(m.Extra) == 0 {
		m.Extra = nil
	}
	cd := decoder{data: d.data, pos: contentAt}
	switch c := content[0]; c {
	case 'n':
		m.ContentNull = true
	case '[':
		m.Parts = []ContentPart{}
		if err := list(&cd, &m.Parts, "", (*ContentPart).decode); err != nil {
			return err
		}
		if cd.saved != nil {
			return cd.saved
		}
		m.Sync()
	case '"':
		_ = cd.str(&m.Content, "")
	default:
		return &json.UnmarshalTypeError{Value: kind(c), Type: typeString, Offset: int64(contentAt)}
	}
	return nil
}

// decodeAll decodes data with dec, as UnmarshalJSON.
func decodeAll[T any](data []byte, v *T, dec func(*T, *decoder) error) error {
	return decodeText(data, func(d *decoder) error { return dec(v, d) })
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *ContentPart) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*ContentPart).decode)
}

func (p *ContentPart) decode(d *decoder) error {
	return d.object(reflect.TypeFor[ContentPart](), contentPartFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "type":
			return true, d.str(&p.Type, "type")
		case "text":
			return true, opt(d, &p.Text, "text", (*decoder).str)
		case "image_url":
			return true, nested(d, &p.ImageURL, "image_url", (*ImageURL).decode)
		case "input_audio":
			return true, d.raw(&p.InputAudio)
		case "file":
			return true, d.raw(&p.File)
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *ImageURL) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*ImageURL).decode)
}

func (p *ImageURL) decode(d *decoder) error {
	return d.object(reflect.TypeFor[ImageURL](), imageURLFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "url":
			return true, d.str(&p.URL, "url")
		case "detail":
			return true, d.str(&p.Detail, "detail")
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *ToolCall) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*ToolCall).decode)
}

func (p *ToolCall) decode(d *decoder) error {
	return d.object(reflect.TypeFor[ToolCall](), toolCallFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "index":
			return true, opt(d, &p.Index, "index", (*decoder).int)
		case "id":
			return true, d.str(&p.ID, "id")
		case "type":
			return true, d.str(&p.Type, "type")
		case "function":
			return true, nested(d, &p.Function, "function", (*FunctionCall).decode)
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *FunctionCall) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*FunctionCall).decode)
}

func (p *FunctionCall) decode(d *decoder) error {
	return d.object(reflect.TypeFor[FunctionCall](), functionCallFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "name":
			return true, d.str(&p.Name, "name")
		case "arguments":
			return true, d.str(&p.Arguments, "arguments")
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Tool) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*Tool).decode)
}

func (p *Tool) decode(d *decoder) error {
	return d.object(reflect.TypeFor[Tool](), toolFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "type":
			return true, d.str(&p.Type, "type")
		case "function":
			return true, nested(d, &p.Function, "function", (*FunctionDef).decode)
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *FunctionDef) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*FunctionDef).decode)
}

func (p *FunctionDef) decode(d *decoder) error {
	return d.object(reflect.TypeFor[FunctionDef](), functionDefFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "name":
			return true, d.str(&p.Name, "name")
		case "description":
			return true, d.str(&p.Description, "description")
		case "parameters":
			return true, d.raw(&p.Parameters)
		case "strict":
			return true, opt(d, &p.Strict, "strict", (*decoder).bool)
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *StreamOptions) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*StreamOptions).decode)
}

func (p *StreamOptions) decode(d *decoder) error {
	return d.object(reflect.TypeFor[StreamOptions](), streamOptionsFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "include_usage":
			return true, d.bool(&p.IncludeUsage, "include_usage")
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Usage) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*Usage).decode)
}

func (p *Usage) decode(d *decoder) error {
	return d.object(reflect.TypeFor[Usage](), usageFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "prompt_tokens":
			return true, d.int(&p.PromptTokens, "prompt_tokens")
		case "completion_tokens":
			return true, d.int(&p.CompletionTokens, "completion_tokens")
		case "total_tokens":
			return true, d.int(&p.TotalTokens, "total_tokens")
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Choice) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*Choice).decode)
}

func (p *Choice) decode(d *decoder) error {
	return d.object(reflect.TypeFor[Choice](), choiceFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "index":
			return true, d.int(&p.Index, "index")
		case "message":
			return true, within(p.Message.decode(d), "message")
		case "finish_reason":
			return true, d.str(&p.FinishReason, "finish_reason")
		case "logprobs":
			return true, d.raw(&p.Logprobs)
		}
		return false, nil
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *ChatResponse) UnmarshalJSON(data []byte) error {
	return decodeAll(data, p, (*ChatResponse).decode)
}

// DecodeChatResponse decodes the first JSON value of data as a chat
// completion and ignores what follows it, as a json.Decoder reading a
// response body does.
func DecodeChatResponse(data []byte) (*ChatResponse, error) {
	var out ChatResponse
	d := decoder{data: data, pos: jsonwire.SkipSpace(data, 0)}
	if err := out.decode(&d); err != nil {
		return nil, err
	}
	return &out, nil
}

func (p *ChatResponse) decode(d *decoder) error {
	return d.object(reflect.TypeFor[ChatResponse](), responseFields, &p.Extra, func(name []byte) (bool, error) {
		switch string(name) {
		case "id":
			return true, d.str(&p.ID, "id")
		case "object":
			return true, d.str(&p.Object, "object")
		case "created":
			return true, d.int64(&p.Created, "created")
		case "model":
			return true, d.str(&p.Model, "model")
		case "choices":
			return true, list(d, &p.Choices, "choices", (*Choice).decode)
		case "usage":
			return true, within(p.Usage.decode(d), "usage")
		case "system_fingerprint":
			return true, d.str(&p.SystemFingerprint, "system_fingerprint")
		case "service_tier":
			return true, d.str(&p.ServiceTier, "service_tier")
		}
		return false, nil
	})
}

// --- Encoding -------------------------------------------------------------

// key appends a member name (a constant, safe as it stands), after a comma
// unless it is the object's first (the object's first byte is at open).
func key(b []byte, open int, name string) []byte {
	if len(b) > open+1 {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendExtra appends the unknown members, sorted by name, leaving out any
// a typed field (or a member in also) already wrote, and closes the object.
func appendExtra(b []byte, open int, extra map[string]json.RawMessage, known *fields, also string) ([]byte, error) {
	if len(extra) > 0 {
		var buf [8]string
		names := buf[:0]
		for n := range extra {
			if !known.has(n) && (also == "" || n != also) {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		var err error
		for _, n := range names {
			if len(b) > open+1 {
				b = append(b, ',')
			}
			b = jsonwire.AppendString(b, n)
			b = append(b, ':')
			if b, err = jsonwire.AppendCompact(b, extra[n]); err != nil {
				return b, err
			}
		}
	}
	return append(b, '}'), nil
}

// appendRaw appends a raw field's value (nil is null, as json.RawMessage writes it).
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	return jsonwire.AppendCompact(b, raw)
}

// appendList appends a slice of the model's types (nil is null).
func appendList[T any](b []byte, s []T, enc func(*T, []byte) ([]byte, error)) ([]byte, error) {
	if s == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	var err error
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = enc(&s[i], b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// AppendJSON appends the request's JSON (what MarshalJSON returns).
func (r *ChatRequest) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = key(b, open, "model")
	b = jsonwire.AppendString(b, r.Model)
	b = key(b, open, "messages")
	if b, err = appendList(b, r.Messages, (*Message).AppendJSON); err != nil {
		return b, err
	}
	if r.Temperature != nil {
		if b, err = jsonwire.AppendFloat(key(b, open, "temperature"), *r.Temperature); err != nil {
			return b, err
		}
	}
	if r.TopP != nil {
		if b, err = jsonwire.AppendFloat(key(b, open, "top_p"), *r.TopP); err != nil {
			return b, err
		}
	}
	if r.MaxTokens != nil {
		b = strconv.AppendInt(key(b, open, "max_tokens"), int64(*r.MaxTokens), 10)
	}
	if r.MaxCompletionTokens != nil {
		b = strconv.AppendInt(key(b, open, "max_completion_tokens"), int64(*r.MaxCompletionTokens), 10)
	}
	if r.User != "" {
		b = jsonwire.AppendString(key(b, open, "user"), r.User)
	}
	if r.Stream {
		b = append(key(b, open, "stream"), "true"...)
	}
	if r.StreamOptions != nil {
		if b, err = r.StreamOptions.AppendJSON(key(b, open, "stream_options")); err != nil {
			return b, err
		}
	}
	if r.N != nil {
		b = strconv.AppendInt(key(b, open, "n"), int64(*r.N), 10)
	}
	if r.Seed != nil {
		b = strconv.AppendInt(key(b, open, "seed"), *r.Seed, 10)
	}
	if len(r.Tools) > 0 {
		if b, err = appendList(key(b, open, "tools"), r.Tools, (*Tool).AppendJSON); err != nil {
			return b, err
		}
	}
	if len(r.ToolChoice) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "tool_choice"), r.ToolChoice); err != nil {
			return b, err
		}
	}
	if r.ParallelToolCalls != nil {
		b = appendBool(key(b, open, "parallel_tool_calls"), *r.ParallelToolCalls)
	}
	if len(r.ResponseFormat) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "response_format"), r.ResponseFormat); err != nil {
			return b, err
		}
	}
	if r.Logprobs != nil {
		b = appendBool(key(b, open, "logprobs"), *r.Logprobs)
	}
	if r.TopLogprobs != nil {
		b = strconv.AppendInt(key(b, open, "top_logprobs"), int64(*r.TopLogprobs), 10)
	}
	if len(r.LogitBias) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "logit_bias"), r.LogitBias); err != nil {
			return b, err
		}
	}
	if r.PresencePenalty != nil {
		if b, err = jsonwire.AppendFloat(key(b, open, "presence_penalty"), *r.PresencePenalty); err != nil {
			return b, err
		}
	}
	if r.FrequencyPenalty != nil {
		if b, err = jsonwire.AppendFloat(key(b, open, "frequency_penalty"), *r.FrequencyPenalty); err != nil {
			return b, err
		}
	}
	if len(r.Metadata) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "metadata"), r.Metadata); err != nil {
			return b, err
		}
	}
	if r.ReasoningEffort != "" {
		b = jsonwire.AppendString(key(b, open, "reasoning_effort"), r.ReasoningEffort)
	}
	also := ""
	if len(r.Stop) > 0 {
		also = "stop"
		b = key(b, open, "stop")
		if r.StopString && len(r.Stop) == 1 {
			b = jsonwire.AppendString(b, r.Stop[0])
		} else {
			b = append(b, '[')
			for i, s := range r.Stop {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonwire.AppendString(b, s)
			}
			b = append(b, ']')
		}
	}
	return appendExtra(b, open, r.Extra, requestFields, also)
}

// MarshalJSON implements json.Marshaler.
func (r ChatRequest) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// AppendJSON appends the message's JSON (what MarshalJSON returns).
func (m *Message) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = jsonwire.AppendString(key(b, open, "role"), m.Role)
	if m.Name != "" {
		b = jsonwire.AppendString(key(b, open, "name"), m.Name)
	}
	if len(m.ToolCalls) > 0 {
		if b, err = appendList(key(b, open, "tool_calls"), m.ToolCalls, (*ToolCall).AppendJSON); err != nil {
			return b, err
		}
	}
	if m.ToolCallID != "" {
		b = jsonwire.AppendString(key(b, open, "tool_call_id"), m.ToolCallID)
	}
	if m.Refusal != nil {
		b = jsonwire.AppendString(key(b, open, "refusal"), *m.Refusal)
	}
	b = key(b, open, "content")
	switch {
	case m.Parts != nil:
		if b, err = appendList(b, m.Parts, (*ContentPart).AppendJSON); err != nil {
			return b, err
		}
	case m.Content == "" && (m.ContentNull || len(m.ToolCalls) > 0 || m.Refusal != nil):
		b = append(b, "null"...)
	default:
		b = jsonwire.AppendString(b, m.Content)
	}
	return appendExtra(b, open, m.Extra, messageFields, "content")
}

// MarshalJSON implements json.Marshaler.
func (m Message) MarshalJSON() ([]byte, error) { return m.AppendJSON(nil) }

// AppendJSON appends the part's JSON (what MarshalJSON returns).
func (p *ContentPart) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = jsonwire.AppendString(key(b, open, "type"), p.Type)
	if p.Text != nil {
		b = jsonwire.AppendString(key(b, open, "text"), *p.Text)
	}
	if p.ImageURL != nil {
		if b, err = p.ImageURL.AppendJSON(key(b, open, "image_url")); err != nil {
			return b, err
		}
	}
	if len(p.InputAudio) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "input_audio"), p.InputAudio); err != nil {
			return b, err
		}
	}
	if len(p.File) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "file"), p.File); err != nil {
			return b, err
		}
	}
	return appendExtra(b, open, p.Extra, contentPartFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p ContentPart) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the image's JSON (what MarshalJSON returns).
func (p *ImageURL) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	b = jsonwire.AppendString(key(b, open, "url"), p.URL)
	if p.Detail != "" {
		b = jsonwire.AppendString(key(b, open, "detail"), p.Detail)
	}
	return appendExtra(b, open, p.Extra, imageURLFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p ImageURL) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the tool call's JSON (what MarshalJSON returns).
func (p *ToolCall) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	if p.Index != nil {
		b = strconv.AppendInt(key(b, open, "index"), int64(*p.Index), 10)
	}
	if p.ID != "" {
		b = jsonwire.AppendString(key(b, open, "id"), p.ID)
	}
	if p.Type != "" {
		b = jsonwire.AppendString(key(b, open, "type"), p.Type)
	}
	if p.Function != nil {
		if b, err = p.Function.AppendJSON(key(b, open, "function")); err != nil {
			return b, err
		}
	}
	return appendExtra(b, open, p.Extra, toolCallFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p ToolCall) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the function call's JSON (what MarshalJSON returns).
func (p *FunctionCall) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	if p.Name != "" {
		b = jsonwire.AppendString(key(b, open, "name"), p.Name)
	}
	b = jsonwire.AppendString(key(b, open, "arguments"), p.Arguments)
	return appendExtra(b, open, p.Extra, functionCallFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p FunctionCall) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the tool's JSON (what MarshalJSON returns).
func (p *Tool) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = jsonwire.AppendString(key(b, open, "type"), p.Type)
	if p.Function != nil {
		if b, err = p.Function.AppendJSON(key(b, open, "function")); err != nil {
			return b, err
		}
	}
	return appendExtra(b, open, p.Extra, toolFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p Tool) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the function's JSON (what MarshalJSON returns).
func (p *FunctionDef) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = jsonwire.AppendString(key(b, open, "name"), p.Name)
	if p.Description != "" {
		b = jsonwire.AppendString(key(b, open, "description"), p.Description)
	}
	if len(p.Parameters) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "parameters"), p.Parameters); err != nil {
			return b, err
		}
	}
	if p.Strict != nil {
		b = appendBool(key(b, open, "strict"), *p.Strict)
	}
	return appendExtra(b, open, p.Extra, functionDefFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p FunctionDef) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the options' JSON (what MarshalJSON returns).
func (p *StreamOptions) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	b = appendBool(key(b, open, "include_usage"), p.IncludeUsage)
	return appendExtra(b, open, p.Extra, streamOptionsFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p StreamOptions) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the usage's JSON (what MarshalJSON returns).
func (p *Usage) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	b = strconv.AppendInt(key(b, open, "prompt_tokens"), int64(p.PromptTokens), 10)
	b = strconv.AppendInt(key(b, open, "completion_tokens"), int64(p.CompletionTokens), 10)
	b = strconv.AppendInt(key(b, open, "total_tokens"), int64(p.TotalTokens), 10)
	return appendExtra(b, open, p.Extra, usageFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p Usage) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the choice's JSON (what MarshalJSON returns).
func (p *Choice) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = strconv.AppendInt(key(b, open, "index"), int64(p.Index), 10)
	if b, err = p.Message.AppendJSON(key(b, open, "message")); err != nil {
		return b, err
	}
	b = jsonwire.AppendString(key(b, open, "finish_reason"), p.FinishReason)
	if len(p.Logprobs) > 0 {
		if b, err = jsonwire.AppendCompact(key(b, open, "logprobs"), p.Logprobs); err != nil {
			return b, err
		}
	}
	return appendExtra(b, open, p.Extra, choiceFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p Choice) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }

// AppendJSON appends the completion's JSON (what MarshalJSON returns).
func (p *ChatResponse) AppendJSON(b []byte) ([]byte, error) {
	open := len(b)
	b = append(b, '{')
	var err error
	b = jsonwire.AppendString(key(b, open, "id"), p.ID)
	b = jsonwire.AppendString(key(b, open, "object"), p.Object)
	b = strconv.AppendInt(key(b, open, "created"), p.Created, 10)
	b = jsonwire.AppendString(key(b, open, "model"), p.Model)
	if b, err = appendList(key(b, open, "choices"), p.Choices, (*Choice).AppendJSON); err != nil {
		return b, err
	}
	if b, err = p.Usage.AppendJSON(key(b, open, "usage")); err != nil {
		return b, err
	}
	if p.SystemFingerprint != "" {
		b = jsonwire.AppendString(key(b, open, "system_fingerprint"), p.SystemFingerprint)
	}
	if p.ServiceTier != "" {
		b = jsonwire.AppendString(key(b, open, "service_tier"), p.ServiceTier)
	}
	return appendExtra(b, open, p.Extra, responseFields, "")
}

// MarshalJSON implements json.Marshaler.
func (p ChatResponse) MarshalJSON() ([]byte, error) { return p.AppendJSON(nil) }
