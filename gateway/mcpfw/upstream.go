// Package mcpfw is AEGIS's inline MCP firewall: a Streamable HTTP MCP
// endpoint built on the official Go SDK that any MCP client connects to as to
// the real server, which judges every tools/list, tools/call and result with
// the tenant's pins and rules (domain/aegis/mcp) and forwards what it allows
// to the upstream server through an SDK client, behind a circuit breaker.
package mcpfw

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/astrabastion/astra/domain/aegis/mcp"
)

// Version is what the firewall calls itself to upstream servers and clients.
const Version = "1.0.0"

// ErrCircuitOpen is answered while an upstream's breaker is open: no
// connection is attempted until its backoff ends.
var ErrCircuitOpen = fmt.Errorf("%w: circuit open after repeated failures", mcp.ErrUpstream)

// Backoff tunes reconnection to a failing upstream.
type Backoff struct {
	// Base is the first delay; each further failure doubles it up to Max.
	Base, Max time.Duration
	// Threshold is how many consecutive failures open the circuit.
	Threshold int
}

// DefaultBackoff: the circuit opens at the first failure, for a delay drawn
// uniformly in [d/2, d] where d = 250 ms × 2^(failures−1), at most 30 s
// ("equal jitter"): callers fail fast meanwhile, and one probe goes out when
// it ends (half-open), so a dead upstream is never stormed.
var DefaultBackoff = Backoff{Base: 250 * time.Millisecond, Max: 30 * time.Second, Threshold: 1}

// ToolsTTL is how long an upstream's tool list is trusted without a
// tools/list_changed notification before it is fetched again.
var ToolsTTL = 60 * time.Second

// Upstreams holds one SDK client session per upstream server on this
// instance.
type Upstreams struct {
	HTTP    *http.Client
	Backoff Backoff
	Now     func() time.Time
	// DrainWait bounds the reading of an answer's rest after the call's
	// response (0: the package's DrainWait).
	DrainWait time.Duration

	mu  sync.Mutex
	ups map[string]*upstream
}

type upstream struct {
	key, url string

	mu        sync.Mutex // held while connecting: one probe at a time
	session   *sdk.ClientSession
	failures  int
	openUntil time.Time
	attempts  int // connection attempts (what a storm would multiply)
	seq       atomic.Uint64

	toolsMu sync.RWMutex
	tools   map[string]mcp.Tool
	order   []mcp.Tool
	toolsAt time.Time
	stale   bool
}

func (u *Upstreams) now() time.Time {
	if u.Now != nil {
		return u.Now()
	}
	return time.Now()
}

func (u *Upstreams) get(serverID, url string) *upstream {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ups == nil {
		u.ups = map[string]*upstream{}
	}
	up, ok := u.ups[serverID]
	if !ok || up.url != url {
		if ok {
			go up.close()
		}
		up = &upstream{key: serverID, url: url}
		u.ups[serverID] = up
	}
	return up
}

// Forget closes and drops an upstream (its server was removed or moved).
func (u *Upstreams) Forget(serverID string) {
	u.mu.Lock()
	up := u.ups[serverID]
	delete(u.ups, serverID)
	u.mu.Unlock()
	if up != nil {
		up.close()
	}
}

// Close closes every upstream session of this instance.
func (u *Upstreams) Close() {
	u.mu.Lock()
	ups := u.ups
	u.ups = nil
	u.mu.Unlock()
	for _, up := range ups {
		up.close()
	}
}

// Attempts is how many connections were attempted to a server's upstream on this instance.
func (u *Upstreams) Attempts(serverID string) int {
	u.mu.Lock()
	up := u.ups[serverID]
	u.mu.Unlock()
	if up == nil {
		return 0
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.attempts
}

func (up *upstream) close() {
	up.mu.Lock()
	s := up.session
	up.session = nil
	up.mu.Unlock()
	if s != nil {
		_ = s.Close()
	}
}

func (u *Upstreams) backoff() Backoff {
	b := u.Backoff
	if b.Base <= 0 {
		b = DefaultBackoff
	}
	return b
}

// session returns the upstream's live session, connecting when there is
// none and the breaker allows it.
func (u *Upstreams) session(ctx context.Context, up *upstream) (*sdk.ClientSession, error) {
	up.mu.Lock()
	defer up.mu.Unlock()
	if up.session != nil {
		return up.session, nil
	}
	now := u.now()
	if now.Before(up.openUntil) {
		return nil, ErrCircuitOpen
	}
	up.attempts++
	client := sdk.NewClient(&sdk.Implementation{Name: "astra-mcp-firewall", Version: Version}, &sdk.ClientOptions{
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) {
			up.toolsMu.Lock()
			up.stale = true
			up.toolsMu.Unlock()
		},
	})
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	s, err := client.Connect(cctx, &sdk.StreamableClientTransport{Endpoint: up.url, HTTPClient: u.HTTP, MaxRetries: 1},
		&sdk.ClientSessionOptions{ProtocolVersion: UpstreamProtocol})
	if err != nil {
		u.fail(up)
		return nil, fmt.Errorf("%w: %v", mcp.ErrUpstream, err)
	}
	up.session, up.failures, up.openUntil = s, 0, time.Time{}
	up.toolsMu.Lock()
	up.stale = true
	up.toolsMu.Unlock()
	return s, nil
}

// fail records a failure (up.mu held) and opens the circuit for a jittered backoff.
func (u *Upstreams) fail(up *upstream) {
	up.failures++
	b := u.backoff()
	if up.failures < b.Threshold {
		return
	}
	d := b.Base << min(up.failures-b.Threshold, 16)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	d = d/2 + rand.N(d/2+1)
	up.openUntil = u.now().Add(d)
}

// broken drops a session that failed in transport and counts the failure.
func (u *Upstreams) broken(up *upstream, s *sdk.ClientSession) {
	up.mu.Lock()
	if up.session == s {
		up.session = nil
		u.fail(up)
	}
	up.mu.Unlock()
	_ = s.Close()
}

// isTransport tells a transport failure from an error the upstream answered (a JSON-RPC error).
func isTransport(err error) bool {
	var we *jsonrpc.Error
	return err != nil && !errors.As(err, &we) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// Tools lists what the upstream offers now: fetched when forced, stale or
// older than ToolsTTL, else from this instance's copy.
func (u *Upstreams) Tools(ctx context.Context, serverID, url string, force bool) ([]mcp.Tool, map[string]mcp.Tool, error) {
	up := u.get(serverID, url)
	up.toolsMu.RLock()
	fresh := up.tools != nil && !up.stale && u.now().Sub(up.toolsAt) < ToolsTTL
	order, byName := up.order, up.tools
	up.toolsMu.RUnlock()
	if fresh && !force {
		return order, byName, nil
	}
	s, err := u.session(ctx, up)
	if err != nil {
		return nil, nil, err
	}
	var tools []mcp.Tool
	for t, err := range s.Tools(ctx, nil) {
		if err != nil {
			if isTransport(err) {
				u.broken(up, s)
			}
			return nil, nil, fmt.Errorf("%w: tools/list: %v", mcp.ErrUpstream, err)
		}
		tools = append(tools, fromSDK(t))
	}
	byName = make(map[string]mcp.Tool, len(tools))
	for _, t := range tools {
		if _, dup := byName[t.Name]; !dup {
			byName[t.Name] = t
		}
	}
	up.toolsMu.Lock()
	up.order, up.tools, up.toolsAt, up.stale = tools, byName, u.now(), false
	up.toolsMu.Unlock()
	return tools, byName, nil
}

// fromSDK is a tool as the firewall pins it.
func fromSDK(t *sdk.Tool) mcp.Tool {
	raw := func(v any) json.RawMessage {
		if v == nil {
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil || string(b) == "null" {
			return nil
		}
		return b
	}
	out := mcp.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: raw(t.InputSchema), OutputSchema: raw(t.OutputSchema)}
	if t.Annotations != nil {
		out.Annotations = raw(t.Annotations)
	}
	return out
}

// toSDK is a pinned tool as the proxy offers it to clients.
func toSDK(t mcp.Tool) *sdk.Tool {
	out := &sdk.Tool{Name: t.Name, Title: t.Title, Description: t.Description}
	if len(t.InputSchema) > 0 {
		out.InputSchema = t.InputSchema
	} else {
		out.InputSchema = json.RawMessage(`{"type":"object"}`)
	}
	if len(t.OutputSchema) > 0 {
		out.OutputSchema = t.OutputSchema
	}
	if len(t.Annotations) > 0 {
		var a sdk.ToolAnnotations
		if json.Unmarshal(t.Annotations, &a) == nil {
			out.Annotations = &a
		}
	}
	return out
}
