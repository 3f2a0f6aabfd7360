package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/astrabastion/astra/gateway/providers"
)

// The key hashes the request as json.Marshal writes it, so that keys stay
// what they were (and the same on every instance) whichever encoder made them.
func TestCacheKey_HashesTheRequestAsJSONMarshalWritesIt(t *testing.T) {
	for _, body := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi <b>&</b>"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"stop":"END","stream":true,"stream_options":{"include_usage":true},` +
			`"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"temperature":0.2,"x_vendor":{"a":[1, 2]}}`,
	} {
		var req providers.ChatRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		for _, provider := range []string{"openai", "é\u2028<p>"} {
			unstreamed := req
			unstreamed.Stream, unstreamed.StreamOptions = false, nil
			b, err := json.Marshal(struct {
				P string                `json:"p"`
				R providers.ChatRequest `json:"r"`
			}{provider, unstreamed})
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			h.Write([]byte("t\x00p\x00" + strconv.Itoa(3) + "\x00"))
			h.Write(b)
			if got, want := CacheKey("t", "p", 3, provider, req), hex.EncodeToString(h.Sum(nil)); got != want {
				t.Errorf("%s via %q: key %s, want %s", body, provider, got, want)
			}
		}
	}
}
