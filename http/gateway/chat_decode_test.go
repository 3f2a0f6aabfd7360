package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/astrabastion/astra/gateway/providers"
)

// envelopeSeeds are chat bodies: ordinary ones, and every way a body can be
// unusual for the one-pass decoding (unknown, case-folded or repeated
// members, stop as a string, provider of the wrong type, errors).
var envelopeSeeds = []string{
	`{"provider":"benchmock","model":"bench-model","messages":[{"role":"system","content":"You are concise."},{"role":"user","content":"Summarize note 1."}]}`,
	`{"provider":"p","policy_id":"pol","model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}],"x":1}],"stop":["a"],"stream":true,` +
		`"stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto","temperature":0.5,"seed":3,"metadata":{"k":"v"}}`,
	` {"provider":"p\u00e9","model":"m","messages":[{"role":"user","content":"x"}],"stop":null,"user":"u"} `,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"stop":[]}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"stop":"END"}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"stop":"x","stop":["a"]}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"stop":[1],"stop":["a"]}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b"],"stop":[null]}`,
	`{"provider":"p","provider":"q","model":"m","messages":[{"role":"user","content":"x"}]}`,
	`{"provider":"p","provider":null,"model":"m","messages":[{"role":"user","content":"x"}]}`,
	`{"provider":null,"model":"m","messages":[{"role":"user","content":"x"}]}`,
	`{"provider":1,"model":"m","messages":[{"role":"user","content":"x"}]}`,
	`{"Provider":"p","model":"m","messages":[{"role":"user","content":"x"}]}`,
	`{"provider":"p","Model":"m","messages":[{"role":"user","content":"x"}]}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"store":true}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"policy_id":["x"]}`,
	`{"provider":"p","model":"m","messages":[{"role":1}]}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`,
	`{"provider":"p","model":"m","messages":[{"role":"user","content":"x"}],"messages":[{"name":"n"}]}`,
	`{"provider":"p","model":"m"}`, `{}`, `null`, `[]`, `"x"`, `{"provider":"p","model":"m","messages":{}}`,
}

// bind decodes body as platform.Bind does: one value, unknown members refused.
func bind(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the value")
	}
	return nil
}

// decodeBefore is how the chat route decoded a body before the one-pass
// decoding: the envelope by encoding/json with unknown members refused,
// then the body again as the pipeline's request.
func decodeBefore(body []byte) (ChatRequest, providers.ChatRequest, error, error) {
	type envelope ChatRequest
	var env ChatRequest
	err := bind(body, (*envelope)(&env))
	var cr providers.ChatRequest
	var crErr error
	if err == nil {
		crErr = json.Unmarshal(body, &cr)
	}
	return env, cr, err, crErr
}

// decodeNow is how the chat route decodes it now.
func decodeNow(body []byte) (ChatRequest, providers.ChatRequest, error, error) {
	var env ChatRequest
	err := bind(body, &env)
	var cr providers.ChatRequest
	var crErr error
	if err == nil {
		if env.decoded != nil {
			cr = *env.decoded
		} else {
			crErr = cr.UnmarshalJSON(body)
		}
	}
	env.decoded = nil
	return env, cr, err, crErr
}

func sameDecodeError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var at, bt *json.UnmarshalTypeError
	if errors.As(a, &at) && errors.As(b, &bt) {
		return at.Field == bt.Field && at.Value == bt.Value && at.Type.Kind() == bt.Type.Kind()
	}
	return a.Error() == b.Error()
}

func checkEnvelope(t *testing.T, body []byte) {
	t.Helper()
	wantEnv, wantCR, wantErr, wantCRErr := decodeBefore(body)
	gotEnv, gotCR, gotErr, gotCRErr := decodeNow(body)
	if !sameDecodeError(gotErr, wantErr) || !sameDecodeError(gotCRErr, wantCRErr) {
		t.Fatalf("%s\nerrors %v, %v\nbefore %v, %v", body, gotErr, gotCRErr, wantErr, wantCRErr)
	}
	if wantErr != nil {
		return
	}
	if !reflect.DeepEqual(gotEnv, wantEnv) {
		t.Fatalf("%s\nenvelope %+v\nbefore   %+v", body, gotEnv, wantEnv)
	}
	if wantCRErr == nil && !reflect.DeepEqual(gotCR, wantCR) {
		t.Fatalf("%s\nrequest %+v\nbefore  %+v", body, gotCR, wantCR)
	}
}

// The chat route decodes a body once where it can, and every body to the
// same envelope, request and error as when it decoded it twice.
func TestChatEnvelope_DecodesAsBefore(t *testing.T) {
	for _, s := range envelopeSeeds {
		checkEnvelope(t, []byte(s))
	}
	// The plain chat body takes the one pass.
	var env ChatRequest
	if err := json.Unmarshal([]byte(envelopeSeeds[0]), &env); err != nil || env.decoded == nil || env.Provider != "benchmock" {
		t.Fatalf("plain body: %v, decoded once %v, provider %q", err, env.decoded != nil, env.Provider)
	}
}

func FuzzChatEnvelope_DecodesAsBefore(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkEnvelope(t, body)
	})
}
