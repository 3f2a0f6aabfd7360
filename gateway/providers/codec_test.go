package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// codecSeeds are texts that exercise the codec's edges: every field, unknown
// members at every level, escaped and case-folded names, duplicates, nulls
// everywhere, numbers that only the text holds exactly, unicode escapes and
// surrogates, invalid UTF-8, HTML characters, white space, values of the
// wrong type at every level, and texts that are not JSON.
var codecSeeds = []string{
	benchPlainRequest,
	benchToolRequest,
	benchResponse,
	`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA==","detail":"low","x":1}}],"x_msg":{"a":[1,"}",{"b":"\"]"}]}},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],` +
		`"stop":"END","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"f"}},` +
		`"response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":{"type":"object"}}},"logit_bias":{"1":-100},"seed":7,` +
		`"x_unknown":[true,null,{"q\u00e9":"v"}], "na\u006de":  3 ,"store":false}`,
	`{"model":"m","messages":[],"temperature":0.70,"top_p":1e-7,"max_tokens":10,"max_completion_tokens":20,"stop":["a","b",null],"user":"u","stream":true,` +
		`"stream_options":{"include_usage":true,"x":[]},"n":2,"seed":-9007199254740993,"parallel_tool_calls":false,"logprobs":true,"top_logprobs":3,` +
		`"presence_penalty":-0,"frequency_penalty":1.5e300,"metadata":{"k":"v"},"reasoning_effort":"low","big":123456789012345678901234567890,"exact":1.10,"neg":-0.0e-0}`,
	`{"Model":"folded","MESSAGES":[{"ROLE":"user","Content":"x","content":"y"}],"ſeed":1,"stop":null,"Stop":"kept","model":"exact","model":"last"}`,
	`{"model":null,"messages":null,"temperature":null,"tools":null,"tool_choice":null,"stream_options":null,"stream":null,"seed":null,"response_format":null,"metadata":null}`,
	`{"messages":[null,{"role":null,"content":null,"tool_calls":null,"refusal":null,"name":null},{"content":[null,{"type":null,"text":null,"image_url":null,"input_audio":null,"file":null}]}]}`,
	`{"messages":[{"role":"assistant","refusal":"no","content":""},{"role":"assistant","tool_calls":[{"index":0,"function":{"arguments":""}},{}]},{"content":[]}]}`,
	`{"messages":[{"role":"user","content":"\u00e9\ud83d\ude00\ud800\udc00 \ud800 \udfff x\u2028y\u2029<b>&amp;</b> \"q\" \\ \/ \b\f\n\r\t \u0000 \u001f"}],"x":"\ud800\u0041"}`,
	"{\"messages\":[{\"role\":\"us\xffer\",\"content\":\"bad \xc3\x28 utf8 \xe2\x80\xa8\"}],\"k\xfe\":\"v\xfd\",\"<&>\":\"\xe2\x80\xa9\"}",
	" \t\n\r{ \"model\" : \"m\" , \"x\" : [ 1 , { \"a\" : \" spaced  out \" } ] , \"messages\" : [ ] } \n",
	`{"messages":[{"role":"user","content":"a"}],"messages":[{"name":"b"}],"tools":[{"type":"function","function":{"name":"f","description":"d"}}],"tools":[{"function":{"strict":false}}]}`,
	`{"tool_choice":"auto","tool_choice":"none","x":1,"x":2,"stream_options":{"include_usage":true},"stream_options":{"y":1}}`,
	`{"id":"c","object":"chat.completion","created":1767225600,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls","logprobs":null}],` +
		`"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}},"system_fingerprint":"fp","service_tier":"default","x":{"y":[1,2,3]}}`,
	`{"choices":null,"usage":null,"created":null}`,
	`{"choices":[{"message":null,"index":null}],"usage":{"prompt_tokens":null},"usage":null}`,
	// Values of the wrong type, alone and several at once.
	`{"model":1}`, `{"model":true}`, `{"model":{}}`, `{"model":[]}`,
	`{"temperature":"hot"}`, `{"temperature":1e400}`, `{"max_tokens":1.5}`, `{"max_tokens":1e2}`, `{"max_tokens":99999999999999999999}`, `{"seed":-0}`,
	`{"stream":1}`, `{"stream":"true"}`, `{"messages":{}}`, `{"messages":"x"}`, `{"messages":[1]}`, `{"messages":[[]]}`, `{"messages":[true]}`,
	`{"messages":[{"role":1}]}`, `{"messages":[{"content":1}]}`, `{"messages":[{"content":{}}]}`, `{"messages":[{"content":true}]}`, `{"messages":[{"content":[1]}]}`,
	`{"messages":[{"content":[{"text":1}]}]}`, `{"messages":[{"content":[{"image_url":"x"}]}]}`, `{"messages":[{"content":[{"image_url":{"url":1}}]}]}`,
	`{"messages":[{"tool_calls":[{"function":{"name":1}}]}]}`, `{"messages":[{"tool_calls":{}}]}`, `{"messages":[{"tool_calls":[{"index":"0"}]}]}`,
	`{"tools":[{"function":{"strict":"yes"}}]}`, `{"tools":[1]}`, `{"stream_options":{"include_usage":"y"}}`, `{"stream_options":3}`,
	`{"stop":1}`, `{"stop":[1]}`, `{"stop":{}}`, `{"stop":true}`, `{"stop":[],"x":1}`,
	`{"temperature":"hot","messages":[{"role":5}]}`, `{"messages":[{"role":5}],"temperature":"hot"}`, `{"model":1,"top_p":"x"}`, `{"messages":[{"role":1,"content":2}],"stop":3}`,
	`{"usage":{"total_tokens":"3"}}`, `{"choices":[{"message":{"role":[]}}]}`, `{"choices":[{"index":1.0}]}`, `{"created":"now"}`,
	// Not objects, and not JSON.
	`null`, `[]`, `"x"`, `1`, `true`, ``, ` `, `{`, `}`, `{"model"}`, `{"model":}`, `{"model":"m",}`, `{"model":"m"} x`, `{"model":"m"}{}`,
	`{"a":tru}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":[1 2]}`, `{"a" 1}`, `{1:2}`,
	`{"messages":[{"role":"user","content":"x"}]`, `{"messages":[{"role":"user","content":"x"}]}}`, `{"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
}

// sameValue compares two values of identically laid-out types field by
// field (the model and the reference's copy of it).
func sameValue(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).Name != b.Type().Field(i).Name || !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			bv := b.MapIndex(k)
			if !bv.IsValid() || !sameValue(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	case reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	default:
		return a.Interface() == b.Interface()
	}
}

// sameError compares a decode error with the reference's: both nil, or the
// same syntax error, or a type error of the same value, field path and kind
// of Go type (the offset and struct name are not compared).
func sameError(got, want error) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	var gt, wt *json.UnmarshalTypeError
	if errors.As(want, &wt) {
		return errors.As(got, &gt) && gt.Value == wt.Value && gt.Field == wt.Field && gt.Type.Kind() == wt.Type.Kind()
	}
	var gs, ws *json.SyntaxError
	if errors.As(want, &ws) {
		return errors.As(got, &gs) && gs.Error() == ws.Error() && gs.Offset == ws.Offset
	}
	return got.Error() == want.Error()
}

// checkAgainstReference decodes text as T and as the reference's R, through
// encoding/json and directly, and encodes both: the errors, the values and
// the bytes must be the same.
func checkAgainstReference[T any, R any](t *testing.T, text []byte, direct func(*T, []byte) error, appendJSON func(*T, []byte) ([]byte, error)) {
	t.Helper()
	var got T
	var want R
	gerr := json.Unmarshal(text, &got)
	werr := json.Unmarshal(text, &want)
	if !sameError(gerr, werr) {
		t.Fatalf("%s\ndecode error %v (%#v), reference %v (%#v)", text, gerr, gerr, werr, werr)
	}
	var got2 T
	if derr := direct(&got2, text); !sameError(derr, werr) {
		t.Fatalf("%s\ndirect decode error %v, reference %v", text, derr, werr)
	}
	if werr != nil {
		return
	}
	if !sameValue(reflect.ValueOf(got), reflect.ValueOf(want)) || !sameValue(reflect.ValueOf(got2), reflect.ValueOf(want)) {
		t.Fatalf("%s\ndecoded  %+v\nreference %+v", text, got, want)
	}
	gb, gerr := json.Marshal(got)
	wb, werr := json.Marshal(want)
	if (gerr == nil) != (werr == nil) || !bytes.Equal(gb, wb) {
		t.Fatalf("%s\nencoded   %s (%v)\nreference %s (%v)", text, gb, gerr, wb, werr)
	}
	ab, aerr := appendJSON(&got, []byte("prefix"))
	if (aerr == nil) != (werr == nil) || werr == nil && string(ab) != "prefix"+string(wb) {
		t.Fatalf("%s\nappended  %s (%v)\nreference %s", text, ab, aerr, wb)
	}
}

func checkAllAgainstReference(t *testing.T, text []byte) {
	checkAgainstReference[ChatRequest, refChatRequest](t, text, (*ChatRequest).UnmarshalJSON, (*ChatRequest).AppendJSON)
	checkAgainstReference[ChatResponse, refChatResponse](t, text, (*ChatResponse).UnmarshalJSON, (*ChatResponse).AppendJSON)
	checkAgainstReference[Message, refMessage](t, text, (*Message).UnmarshalJSON, (*Message).AppendJSON)
	checkAgainstReference[ContentPart, refContentPart](t, text, (*ContentPart).UnmarshalJSON, (*ContentPart).AppendJSON)
	checkAgainstReference[Tool, refTool](t, text, (*Tool).UnmarshalJSON, (*Tool).AppendJSON)
	checkAgainstReference[ToolCall, refToolCall](t, text, (*ToolCall).UnmarshalJSON, (*ToolCall).AppendJSON)
	checkAgainstReference[Choice, refChoice](t, text, (*Choice).UnmarshalJSON, (*Choice).AppendJSON)
	// Inside a value that encoding/json decodes, as the envelope routes do.
	var got struct {
		M []Message `json:"messages"`
		U Usage     `json:"usage"`
	}
	var want struct {
		M []refMessage `json:"messages"`
		U refUsage     `json:"usage"`
	}
	gerr, werr := json.Unmarshal(text, &got), json.Unmarshal(text, &want)
	if !sameError(gerr, werr) {
		t.Fatalf("%s\nenvelope decode error %v, reference %v", text, gerr, werr)
	}
	if werr == nil && !sameValue(reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Fatalf("%s\nenvelope decoded %+v\nreference %+v", text, got, want)
	}
}

// The hand-written codec is the reflective one it replaced, exactly: same
// texts accepted, same values, same errors, same bytes out.
func TestCodec_BehavesAsTheReflectiveCodec(t *testing.T) {
	for _, s := range codecSeeds {
		checkAllAgainstReference(t, []byte(s))
		// Each seed's members also as a message, a part, a tool…
		if inner := firstArrayElement(s); inner != "" {
			checkAllAgainstReference(t, []byte(inner))
		}
	}
}

// firstArrayElement is the text of a seed's first messages element, if it has one.
func firstArrayElement(s string) string {
	var v struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if json.Unmarshal([]byte(s), &v) != nil || len(v.Messages) == 0 {
		return ""
	}
	return string(v.Messages[0])
}

func FuzzCodec_BehavesAsTheReflectiveCodec(f *testing.F) {
	for _, s := range codecSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkAllAgainstReference(t, text)
	})
}

// Whatever a client sends comes back as the same JSON: the unknown members
// at every level byte for byte (numbers exactly as written, escapes and
// all, only white space dropped and <, >, & escaped as encoding/json
// escapes them), and a second trip changes nothing.
func FuzzChatRequest_RoundTrip(f *testing.F) {
	for _, s := range codecSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		// Two cases are left out. A member named like a field but in other
		// case is encoding/json's: it fills the field and is also passed on,
		// so a second trip may let it win. Invalid UTF-8 never gets this far:
		// the routes refuse it (platform.CheckJSONText).
		var r ChatRequest
		if !utf8.Valid(text) || foldsOntoAField(text) || r.UnmarshalJSON(text) != nil {
			return
		}
		out, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatalf("%s: encode: %v", text, err)
		}
		var again ChatRequest
		if err := again.UnmarshalJSON(out); err != nil {
			t.Fatalf("%s: re-decode %s: %v", text, out, err)
		}
		if out2, _ := again.AppendJSON(nil); !bytes.Equal(out, out2) {
			t.Fatalf("second trip\n %s\n %s", out, out2)
		}
		checkMembersKept(t, text, out, requestFields, "stop")
		var in, got struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if json.Unmarshal(text, &in) == nil && json.Unmarshal(out, &got) == nil && len(in.Messages) == len(got.Messages) {
			for i := range in.Messages {
				if string(in.Messages[i]) != "null" {
					checkMembersKept(t, in.Messages[i], got.Messages[i], messageFields, "content")
				}
			}
		}
	})
}

// foldsOntoAField reports a member name, at any depth, that matches a typed
// field's name only case-insensitively.
func foldsOntoAField(text []byte) bool {
	var v any
	if json.Unmarshal(text, &v) != nil {
		return false
	}
	all := []*fields{requestFields, messageFields, contentPartFields, imageURLFields, toolCallFields, functionCallFields, toolFields,
		functionDefFields, streamOptionsFields, usageFields, choiceFields, responseFields}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				for _, f := range all {
					if !f.has(k) && f.fold([]byte(k)) != "" {
						return true
					}
				}
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// checkMembersKept checks that every member of the object in that is not a
// typed field (nor special) is in out with the same text.
func checkMembersKept(t *testing.T, in, out []byte, typed *fields, special string) {
	t.Helper()
	var im, om map[string]json.RawMessage
	if json.Unmarshal(in, &im) != nil || im == nil {
		return
	}
	if err := json.Unmarshal(out, &om); err != nil {
		t.Fatalf("%s: not an object: %v", out, err)
	}
	for name, raw := range im {
		if typed.has(name) || name == special {
			continue
		}
		// encoding/json's map decoding keeps the last duplicate, as the model does.
		want, _ := json.Marshal(json.RawMessage(raw))
		got, ok := om[name]
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("member %q: sent %s, passed on %s (%v)\n in  %s\n out %s", name, want, got, ok, in, out)
		}
	}
}

// The representative requests keep, exactly, numbers that a float64 cannot
// hold, unicode escapes and nulls in unknown members.
func TestChatRequest_KeepsUnknownMembersExactly(t *testing.T) {
	in := `{"model":"m","messages":[{"role":"user","content":"é","x":{"n":1.10,"big":123456789012345678901234567890,"e":1E+2,"neg":-0.0}}],` +
		`"vendor":{"s":"\u00e9\ud83d\ude00 \u2028","nil":null,"list":[null,-1e-400]},"tool_choice":null}`
	var r ChatRequest
	if err := r.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	out, err := r.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"user","content":"é","x":{"n":1.10,"big":123456789012345678901234567890,"e":1E+2,"neg":-0.0}}],` +
		`"tool_choice":null,"vendor":{"s":"\u00e9\ud83d\ude00 \u2028","nil":null,"list":[null,-1e-400]}}`
	if string(out) != want {
		t.Fatalf("\n got  %s\n want %s", out, want)
	}
}
