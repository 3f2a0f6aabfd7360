package mcpfw

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDirectCall_OnlyAWellFormedToolsCallSkipsTheSDKHandler: the firewall
// answers a tools/call itself only when the SDK handler would have taken
// it; anything else reaches the SDK, which answers as the protocol says.
func TestDirectCall_OnlyAWellFormedToolsCallSkipsTheSDKHandler(t *testing.T) {
	const call = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}`
	for _, tc := range []struct {
		name, body, accept, contentType, version string
		direct                                   bool
	}{
		{name: "a tools/call", body: call, direct: true},
		{name: "a string id and charset", body: strings.Replace(call, `7`, `"x"`, 1), contentType: "application/json; charset=utf-8", direct: true},
		{name: "a known protocol version", body: call, version: "2025-06-18", direct: true},
		{name: "an unknown protocol version", body: call, version: "1999-01-01"},
		{name: "a list", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`},
		{name: "a notification", body: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"add"}}`},
		{name: "a batch", body: "[" + call + "]"},
		{name: "no params", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`},
		{name: "params of another shape", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}`},
		{name: "no event stream accepted", body: call, accept: "application/json"},
		{name: "not JSON", body: call, contentType: "text/plain"},
		{name: "a null id", body: strings.Replace(call, `7`, `null`, 1)},
		{name: "another version of JSON-RPC", body: strings.Replace(call, `2.0`, `1.0`, 1)},
		{name: "malformed", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			r.Header.Set("Accept", "application/json, text/event-stream")
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			if tc.version != "" {
				r.Header.Set("Mcp-Protocol-Version", tc.version)
			}
			c, ok := directCall(r, []byte(tc.body))
			if ok != tc.direct {
				t.Fatalf("answered directly: %v, want %v", ok, tc.direct)
			}
			if ok && c.params.Name != "add" {
				t.Fatalf("read the tool %q", c.params.Name)
			}
		})
	}
}
