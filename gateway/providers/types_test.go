package providers

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The request model is lossless: whatever a client sends comes out as the
// same JSON value, unknown members (escaped names, nested values) included.
func TestChatRequest_RoundTripsEveryMember(t *testing.T) {
	in := `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA==","detail":"low","x":1}}],"x_msg":{"a":[1,"}",{"b":"\"]"}]}},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],` +
		`"stop":"END","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"f"}},` +
		`"response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":{"type":"object"}}},"logit_bias":{"1":-100},"seed":7,` +
		`"x_unknown":[true,null,{"q\u00e9":"v"}], "na\u006de":  3 ,"store":false}`
	var r ChatRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Messages[0].Content != "hi" || len(r.Messages[0].Parts) != 2 || r.Messages[1].ToolCalls[0].Function.Arguments != `{"a":1}` || !r.StopString {
		t.Fatalf("decoded %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip\n in  %s\n out %s", in, out)
	}
}
