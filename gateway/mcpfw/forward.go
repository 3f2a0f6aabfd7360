package mcpfw

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/astrabastion/astra/domain/aegis/mcp"
)

// UpstreamProtocol is the MCP version the firewall asks upstream servers
// for: session-based Streamable HTTP, in which a tools/call is one POST
// that the firewall forwards as bytes (decision 0032). A server that only
// speaks an older version negotiates it, as the protocol says.
const UpstreamProtocol = "2025-11-25"

// callRequest is a tools/call as the firewall forwards it: the tool and
// the caller's arguments, as sent.
type callRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      string          `json:"id"`
	Method  string          `json:"method"`
	Params  callRequestArgs `json:"params"`
}

type callRequestArgs struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

var emptyObject = json.RawMessage(`{}`)

// Call forwards a tools/call to the upstream and returns its result as the
// upstream wrote it. On the upstream's SDK session (its id and negotiated
// version) it is one POST read in this goroutine, without the SDK client's
// decoding of the result and its hand-offs between goroutines; a session
// of another version goes through the SDK client.
func (u *Upstreams) Call(ctx context.Context, serverID, url, tool string, args json.RawMessage) (json.RawMessage, error) {
	up := u.get(serverID, url)
	s, err := u.session(ctx, up)
	if err != nil {
		return nil, err
	}
	init := s.InitializeResult()
	if init == nil || init.ProtocolVersion > UpstreamProtocol {
		return u.callSDK(ctx, up, s, tool, args)
	}
	if len(bytes.TrimSpace(args)) == 0 || string(bytes.TrimSpace(args)) == "null" {
		args = emptyObject
	}
	id := "astra-fw-" + strconv.FormatUint(up.seq.Add(1), 10)
	body, err := json.Marshal(callRequest{JSONRPC: "2.0", ID: id, Method: "tools/call", Params: callRequestArgs{Name: tool, Arguments: args}})
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "tools/call arguments must be JSON"}
	}
	// The POST outlives the call by its drain (below): it ends with the
	// caller's context while the answer is read, on its own after.
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	resp, err := u.post(pctx, up.url, s, init.ProtocolVersion, body)
	if err != nil {
		stop()
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		u.broken(up, s)
		return nil, fmt.Errorf("%w: tools/call: %v", mcp.ErrUpstream, err)
	}
	wait := u.DrainWait
	if wait <= 0 {
		wait = DrainWait
	}
	defer func() {
		stop()
		go drain(resp.Body, wait, cancel)
	}()
	if resp.StatusCode != http.StatusOK {
		// 404: the upstream forgot the session; anything else: it cannot serve it.
		u.broken(up, s)
		return nil, fmt.Errorf("%w: tools/call: HTTP %d", mcp.ErrUpstream, resp.StatusCode)
	}
	res, err := u.answerOf(ctx, up, s, init.ProtocolVersion, id, resp)
	if err != nil && isTransport(err) && ctx.Err() == nil {
		u.broken(up, s)
		return nil, fmt.Errorf("%w: tools/call: %v", mcp.ErrUpstream, err)
	}
	return res, err
}

// DrainWait is how long the rest of an upstream's answer is read after the
// call's response when Upstreams.DrainWait is not set: an upstream that
// keeps the stream open past it loses the connection.
const DrainWait = 10 * time.Second

// drain reads what is left of an upstream's answer once the call's
// response is in hand, so that the connection serves the next call, then
// ends the POST. It runs after the answer: on a stream the upstream ends
// with a last chunk written after the response's event, and waiting for it
// in the call made about one call in twenty wait for one more wake-up of
// the connection's reader (measured under load: 36 of 601 drains over
// 50 µs, the slowest 61 ms).
func drain(body io.ReadCloser, wait time.Duration, cancel context.CancelFunc) {
	t := time.AfterFunc(wait, cancel)
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
	t.Stop()
	cancel()
}

// callSDK forwards a tools/call through the SDK client session.
func (u *Upstreams) callSDK(ctx context.Context, up *upstream, s *sdk.ClientSession, tool string, args json.RawMessage) (json.RawMessage, error) {
	var a any
	if len(args) > 0 {
		a = args
	}
	res, err := s.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: a})
	if err != nil {
		if isTransport(err) {
			u.broken(up, s)
			return nil, fmt.Errorf("%w: tools/call: %v", mcp.ErrUpstream, err)
		}
		return nil, err
	}
	return json.Marshal(res)
}

func (u *Upstreams) post(ctx context.Context, url string, s *sdk.ClientSession, version string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Mcp-Protocol-Version", version)
	if id := s.ID(); id != "" {
		h.Set("Mcp-Session-Id", id)
	}
	client := u.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	return client.Do(req)
}

// answerOf reads the response to the request id from a JSON or an SSE
// answer. On a stream, notifications are passed over (a tools/list_changed
// marks the tool list stale) and a request of the server is answered: ping
// with an empty result, anything else as a method the firewall does not
// offer (it advertises no client capability).
func (u *Upstreams) answerOf(ctx context.Context, up *upstream, s *sdk.ClientSession, version, id string, resp *http.Response) (json.RawMessage, error) {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/json" {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		res, done, err := u.handle(ctx, up, s, version, id, data)
		if !done && err == nil {
			err = errors.New("the answer is not the call's response")
		}
		return res, err
	}
	if mt != "text/event-stream" {
		return nil, fmt.Errorf("unexpected content type %q", mt)
	}
	rd := streamReaders.Get().(*bufio.Reader)
	rd.Reset(resp.Body)
	defer func() {
		rd.Reset(nil) // holds no body while pooled
		streamReaders.Put(rd)
	}()
	var data []byte
	for {
		line, err := rd.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: read the rest of it.
			rest, rerr := rd.ReadBytes('\n')
			line, err = append(append([]byte(nil), line...), rest...), rerr
		}
		if len(line) > 0 {
			line = bytes.TrimRight(line, "\r\n")
			switch {
			case len(line) == 0: // the event ends
				if len(data) > 0 {
					res, done, herr := u.handle(ctx, up, s, version, id, data)
					if done || herr != nil {
						return res, herr
					}
					data = data[:0]
				}
			case bytes.HasPrefix(line, []byte("data:")):
				v := bytes.TrimPrefix(line[5:], []byte(" "))
				if len(data) > 0 {
					data = append(data, '\n')
				}
				data = append(data, v...)
			}
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("the stream ended before the response: %w", err)
		}
	}
}

// streamReaders are the buffered readers of SSE answers, reused: a call
// through the proxy otherwise allocates 16 KiB for reading its answer,
// the larger part of what the proxied path allocates (and of the garbage
// collections it sets off).
var streamReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 16<<10) }}

// message is a JSON-RPC message of the upstream's answer, as far as the
// firewall reads it (the standard decoder: the SDK's allocates a large
// buffer for every message).
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *jsonrpc.Error  `json:"error"`
}

// reply is the firewall's answer to a request of the upstream.
type reply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *jsonrpc.Error  `json:"error,omitempty"`
}

// handle reads one message of the answer: done when it is the response.
func (u *Upstreams) handle(ctx context.Context, up *upstream, s *sdk.ClientSession, version, id string, data []byte) (json.RawMessage, bool, error) {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, false, err
	}
	hasID := len(m.ID) > 0 && string(m.ID) != "null"
	switch {
	case m.Method == "" && hasID: // a response
		var got string
		if json.Unmarshal(m.ID, &got) != nil || got != id {
			return nil, false, nil
		}
		if m.Error != nil {
			return nil, true, m.Error
		}
		if len(m.Result) == 0 {
			return nil, true, errors.New("a response without a result")
		}
		return m.Result, true, nil
	case m.Method == "": // neither a response nor a request
		return nil, false, nil
	case !hasID: // a notification
		if m.Method == "notifications/tools/list_changed" {
			up.toolsMu.Lock()
			up.stale = true
			up.toolsMu.Unlock()
		}
		return nil, false, nil
	}
	rp := reply{JSONRPC: "2.0", ID: m.ID}
	if m.Method == "ping" {
		rp.Result = emptyObject
	} else {
		rp.Error = &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "the MCP firewall offers no " + m.Method}
	}
	body, err := json.Marshal(rp)
	if err != nil {
		return nil, false, err
	}
	r, err := u.post(ctx, up.url, s, version, body)
	if err != nil {
		return nil, false, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
	_ = r.Body.Close()
	return nil, false, nil
}

// resultContent is what the firewall reads of a tools/call result: its texts.
type resultContent struct {
	Content []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Resource *struct {
			Text string `json:"text"`
		} `json:"resource"`
	} `json:"content"`
	StructuredContent json.RawMessage `json:"structuredContent"`
}

// resultText is every text a result carries: its text and resource
// contents, and the keys and strings of its structured content.
func resultText(raw json.RawMessage) (string, error) {
	var r resultContent
	if err := json.Unmarshal(raw, &r); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, c := range r.Content {
		switch c.Type {
		case "text":
			b.WriteString(c.Text)
			b.WriteByte('\n')
		case "resource":
			if c.Resource != nil {
				b.WriteString(c.Resource.Text)
				b.WriteByte('\n')
			}
		}
	}
	if s := bytes.TrimSpace(r.StructuredContent); len(s) > 0 && string(s) != "null" {
		// Its strings, unescaped: a writer may escape "<" as \u003c, which
		// must not hide a pseudo-tag from the scan.
		var v any
		if err := json.Unmarshal(s, &v); err != nil {
			return "", err
		}
		writeStrings(&b, v)
	}
	return b.String(), nil
}

// writeStrings writes every key and string of a decoded JSON value, a line each.
func writeStrings(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
		b.WriteByte('\n')
	case []any:
		for _, e := range x {
			writeStrings(b, e)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) { // in one order: the scan is deterministic
			b.WriteString(k)
			b.WriteByte('\n')
			writeStrings(b, x[k])
		}
	}
}
