package mcpfw

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
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
func directCall(r *http.Request, body []byte) (*jsonrpc.Request, *sdk.CallToolParamsRaw, bool) {
	if r.Method != http.MethodPost {
		return nil, nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, nil, false
	}
	if !accepts(r.Header.Values("Accept")) {
		return nil, nil, false
	}
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" && !slices.Contains(sdk.SupportedProtocolVersions(), v) {
		return nil, nil, false
	}
	msg, err := jsonrpc.DecodeMessage(body)
	if err != nil {
		return nil, nil, false
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok || !req.IsCall() || req.Method != "tools/call" {
		return nil, nil, false
	}
	var p sdk.CallToolParamsRaw
	if len(req.Params) == 0 || json.Unmarshal(req.Params, &p) != nil || p.Name == "" {
		return nil, nil, false
	}
	return req, &p, true
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
// response as application/json, as the SDK handler does in JSON mode.
func (f *Firewall) serveCall(w http.ResponseWriter, r *http.Request, cc *callCtx, req *jsonrpc.Request, p *sdk.CallToolParamsRaw) {
	resp := &jsonrpc.Response{ID: req.ID}
	res, err := f.call(r.Context(), cc, p)
	if err != nil {
		resp.Error = wireError(err)
	} else {
		resp.Result = res
	}
	data, err := jsonrpc.EncodeMessage(resp)
	if err != nil {
		rpcError(w, http.StatusInternalServerError, jsonrpc.CodeInternalError, "the answer could not be encoded")
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("Content-Type", "application/json")
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
