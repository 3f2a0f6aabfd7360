package mcpfw

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// directCall recognises a well-formed tools/call that the firewall answers
// itself, without the SDK server's per-request session (a jsonrpc2
// connection and its goroutines for one message): the hot path of the
// proxy. Anything else (initialize, lists, notifications, batches, a
// malformed request, headers the SDK would refuse) goes through the SDK
// handler, which answers it as the protocol says.
func directCall(r *http.Request, body []byte) (*toolCall, bool) {
	if r.Method != http.MethodPost {
		return nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, false
	}
	if !accepts(r.Header.Values("Accept")) {
		return nil, false
	}
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" && !slices.Contains(sdk.SupportedProtocolVersions(), v) {
		return nil, false
	}
	// Only what the firewall reads, with the standard decoder: the SDK's
	// allocates a large buffer for every message.
	var m struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil || m.JSONRPC != "2.0" || m.Method != "tools/call" || !validID(m.ID) {
		return nil, false
	}
	c := &toolCall{id: m.ID}
	if len(m.Params) == 0 || json.Unmarshal(m.Params, &c.params) != nil || c.params.Name == "" {
		return nil, false
	}
	return c, true
}

// toolCall is a tools/call the firewall answers itself: its id as sent and its params.
type toolCall struct {
	id     json.RawMessage
	params sdk.CallToolParamsRaw
}

// validID reports whether a JSON-RPC id is a string or a number (a call's,
// not a notification's or a null).
func validID(id json.RawMessage) bool {
	if len(id) == 0 {
		return false
	}
	switch c := id[0]; {
	case c == '"':
		var s string
		return json.Unmarshal(id, &s) == nil
	case c == '-' || (c >= '0' && c <= '9'):
		var n json.Number
		return json.Unmarshal(id, &n) == nil
	}
	return false
}

// accepts reports whether the Accept header names both application/json
// and text/event-stream (or a wildcard), as the Streamable HTTP transport
// requires of every POST.
func accepts(values []string) bool {
	var j, s bool
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json", "application/*":
				j = true
			case "text/event-stream", "text/*":
				s = true
			case "*/*":
				j, s = true, true
			}
		}
	}
	return j && s
}

// serveCall judges and forwards a tools/call and answers its JSON-RPC
// response as application/json, as the SDK handler does in JSON mode: the
// upstream's result as it wrote it, under the caller's id as it sent it.
func (f *Firewall) serveCall(w http.ResponseWriter, r *http.Request, cc *callCtx, c *toolCall) {
	res, err := f.call(r.Context(), cc, &c.params)
	var data []byte
	if err == nil {
		data = make([]byte, 0, len(res)+len(c.id)+40)
		data = append(append(append(append(append(data, `{"jsonrpc":"2.0","id":`...), c.id...), `,"result":`...), res...), '}')
	} else {
		data, err = json.Marshal(struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   *jsonrpc.Error  `json:"error"`
		}{"2.0", c.id, wireError(err)})
		if err != nil {
			rpcError(w, http.StatusInternalServerError, jsonrpc.CodeInternalError, "the answer could not be encoded")
			return
		}
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// wireError is err as a JSON-RPC error: the firewall's own as they are,
// the upstream's with its code, anything else an internal error.
func wireError(err error) *jsonrpc.Error {
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		if we == err {
			return we
		}
		return &jsonrpc.Error{Code: we.Code, Message: err.Error(), Data: we.Data}
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: err.Error()}
}
