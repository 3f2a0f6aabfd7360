package mcpfw

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/mcp"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// JSON-RPC error codes of the firewall (the implementation-defined range).
const (
	// CodeDenied: the call (or list, or result) was refused by a rule or pin; the message names which.
	CodeDenied = -32001
	// CodeQuarantined: the server awaits approval, or the caller's agent is contained.
	CodeQuarantined = -32002
	// CodeUpstream: the upstream server is unreachable or its circuit is open.
	CodeUpstream = -32003
)

// Caller is who speaks through the proxy.
type Caller struct {
	TenantID, Principal, APIKeyID string
}

// State reads what the firewall judges with.
type State interface {
	McpFirewallOf(ctx context.Context, tenant string) (*rm.McpFirewall, error)
	McpSession(ctx context.Context, tenant, id string) (*rm.McpSession, error)
	McpSessionLabels(ctx context.Context, tenant, id string) ([]string, error)
}

// Writer records what the firewall decides.
type Writer interface {
	// StartSession records a session and returns once every instance can read it.
	StartSession(ctx context.Context, c Caller, s aegis.McpSessionStartedV1) error
	EndSession(ctx context.Context, c Caller, id string) error
	// Pin records what a server offers now (pins, drift) and returns once recorded.
	Pin(ctx context.Context, c Caller, serverID string, tools []mcp.Tool) error
	// Record records decisions of one tenant (arguments sealed by the writer).
	Record(ctx context.Context, tenant string, ds []aegis.McpDecisionV1, args []map[string]any) error
}

// Firewall is the inline MCP firewall of one instance.
type Firewall struct {
	State     State
	Writer    Writer
	Upstreams *Upstreams
	// Agent names the agent that uses an API key and its status ("" when none).
	Agent func(tenant, keyID string) (id, status string)
	Log   *slog.Logger
	Now   func() time.Time

	cache    projections.PerTenant[*tenantFW]
	rates    rates
	sessions sync.Map // id → *session
	calls    sync.Map // call key → *callCtx
	offers   sync.Map // server id → *offer
	rec      *recorder
	server   *sdk.Server
	handler  *sdk.StreamableHTTPHandler
	once     sync.Once
}

type tenantFW struct {
	servers map[string]rm.McpServerState
	rules   *mcp.RuleSet
}

type session struct {
	id, tenant, server, principal, agent string
	ended                                atomic.Bool
	mu                                   sync.Mutex
	labels                               []string
}

func (s *session) addLabels(ls []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range ls {
		if !slices.Contains(s.labels, l) {
			s.labels = append(s.labels, l)
		}
	}
	slices.Sort(s.labels)
}

func (s *session) labelsNow() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.labels)
}

// callCtx is one proxied HTTP request's context, found by the SDK
// middleware through a header only the firewall sets.
type callCtx struct {
	caller   Caller
	agent    string
	status   string
	serverID string
	sess     *session
	started  time.Time
}

const callHeader = "X-Astra-Mcp-Call"

func (f *Firewall) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Firewall) init() {
	f.once.Do(func() {
		if f.Log == nil {
			f.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		f.rec = newRecorder(f.Writer, f.Log)
		f.server = sdk.NewServer(&sdk.Implementation{Name: "astra-mcp-firewall", Version: Version}, &sdk.ServerOptions{
			Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{}},
		})
		f.server.AddReceivingMiddleware(f.middleware)
		f.handler = sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return f.server }, &sdk.StreamableHTTPOptions{
			Stateless: true, JSONResponse: true, DisableLocalhostProtection: true, Logger: f.Log,
		})
	})
}

// Invalidate drops what this instance holds of a tenant's servers and rules.
func (f *Firewall) Invalidate(tenant string) { f.cache.Drop(tenant) }

// Close flushes the decisions not yet recorded.
func (f *Firewall) Close() {
	if f.rec != nil {
		f.rec.close()
	}
	f.Upstreams.Close()
}

func (f *Firewall) tenant(ctx context.Context, tenant string) (*tenantFW, error) {
	return f.cache.Get(tenant, func() (*tenantFW, error) {
		st, err := f.State.McpFirewallOf(ctx, tenant)
		if err != nil {
			return nil, err
		}
		return &tenantFW{servers: st.Servers, rules: mcp.Compile(st.Rules)}, nil
	})
}

// rpcError writes a JSON-RPC error answer outside the SDK (before a
// session exists or when it is unknown).
func rpcError(w http.ResponseWriter, status int, code int64, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": code, "message": msg}})
}

// ServeHTTP serves one request of the Streamable HTTP endpoint for a server.
// Sessions are the firewall's own, recorded as events: any instance serves
// any request of a session; the SDK handler runs stateless under it.
func (f *Firewall) ServeHTTP(w http.ResponseWriter, r *http.Request, c Caller, serverID string) {
	f.init()
	ctx := r.Context()
	agentID, status := "", ""
	if f.Agent != nil {
		agentID, status = f.Agent(c.TenantID, c.APIKeyID)
	}
	sid := r.Header.Get("Mcp-Session-Id")
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Allow", "POST, DELETE")
		http.Error(w, "this endpoint offers no standalone stream", http.StatusMethodNotAllowed)
		return
	case http.MethodDelete:
		s, ok := f.lookup(ctx, c, serverID, sid)
		if !ok {
			http.Error(w, "session not found", http.StatusNotFound)
			return
		}
		if err := f.Writer.EndSession(ctx, c, s.id); err != nil {
			http.Error(w, "session not ended", http.StatusServiceUnavailable)
			return
		}
		s.ended.Store(true)
		f.sessions.Delete(s.id)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20+1))
	if err != nil || len(body) > 4<<20 {
		rpcError(w, http.StatusRequestEntityTooLarge, jsonrpc.CodeInvalidRequest, "the request body exceeds 4 MiB")
		return
	}
	st, err := f.tenant(ctx, c.TenantID)
	if err != nil {
		rpcError(w, http.StatusServiceUnavailable, jsonrpc.CodeInternalError, "the firewall's state is unavailable; retry")
		return
	}
	srv, ok := st.servers[serverID]
	if !ok {
		rpcError(w, http.StatusNotFound, jsonrpc.CodeInvalidRequest, "no MCP server "+serverID+" is registered in this tenant")
		return
	}
	var s *session
	if sid == "" {
		init, proto, client := initializeOf(body)
		if !init {
			rpcError(w, http.StatusBadRequest, jsonrpc.CodeInvalidRequest, "Mcp-Session-Id is required after initialize")
			return
		}
		s = &session{id: uuid.Must(uuid.NewV7()).String(), tenant: c.TenantID, server: serverID, principal: c.Principal, agent: agentID}
		if err := f.Writer.StartSession(ctx, c, aegis.McpSessionStartedV1{SessionID: s.id, ServerID: serverID, Principal: c.Principal, AgentID: agentID,
			ProtocolVersion: proto, ClientName: client.Name, ClientVersion: client.Version}); err != nil {
			rpcError(w, http.StatusServiceUnavailable, jsonrpc.CodeInternalError, "the session could not be recorded; retry")
			return
		}
		f.sessions.Store(s.id, s)
		w.Header().Set("Mcp-Session-Id", s.id)
	} else if s, ok = f.lookup(ctx, c, serverID, sid); !ok {
		rpcError(w, http.StatusNotFound, jsonrpc.CodeInvalidRequest, "session not found: initialize again")
		return
	}
	cc := &callCtx{caller: c, agent: agentID, status: status, serverID: srv.ID, sess: s, started: time.Now()}
	if tc, ok := directCall(r, body); ok {
		f.serveCall(w, r, cc, tc)
		return
	}
	key := uuid.NewString()
	f.calls.Store(key, cc)
	defer f.calls.Delete(key)
	r.Header.Del(callHeader)
	r.Header.Set(callHeader, key)
	r.Header.Del("Mcp-Session-Id") // the SDK runs stateless under our session
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	f.handler.ServeHTTP(w, r)
}

type clientInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// initializeOf reads an initialize request's protocol version and client.
func initializeOf(body []byte) (bool, string, clientInfo) {
	var m struct {
		Method string `json:"method"`
		Params struct {
			ProtocolVersion string     `json:"protocolVersion"`
			ClientInfo      clientInfo `json:"clientInfo"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil || m.Method != "initialize" {
		return false, "", clientInfo{}
	}
	return true, m.Params.ProtocolVersion, m.Params.ClientInfo
}

// lookup finds a live session of the caller for the server: this
// instance's, or one another instance started (from the read model).
func (f *Firewall) lookup(ctx context.Context, c Caller, serverID, id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	if v, ok := f.sessions.Load(id); ok {
		s := v.(*session)
		return s, !s.ended.Load() && s.tenant == c.TenantID && s.server == serverID && s.principal == c.Principal
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, false
	}
	m, err := f.State.McpSession(ctx, c.TenantID, id)
	if err != nil || m == nil || m.Ended || m.ServerID != serverID || m.Principal != c.Principal {
		return nil, false
	}
	s := &session{id: m.ID, tenant: m.TenantID, server: m.ServerID, principal: m.Principal, agent: m.AgentID}
	if ls, err := f.State.McpSessionLabels(ctx, c.TenantID, id); err == nil {
		s.addLabels(ls)
	}
	f.sessions.Store(id, s)
	return s, true
}

func (f *Firewall) callOf(req sdk.Request) *callCtx {
	if ex := req.GetExtra(); ex != nil && ex.Header != nil {
		if v, ok := f.calls.Load(ex.Header.Get(callHeader)); ok {
			return v.(*callCtx)
		}
	}
	return nil
}

func (f *Firewall) middleware(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		switch method {
		case "tools/list", "tools/call":
		default:
			return next(ctx, method, req)
		}
		cc := f.callOf(req)
		if cc == nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "no firewall context for this request"}
		}
		if method == "tools/list" {
			return f.list(ctx, cc)
		}
		p, _ := req.GetParams().(*sdk.CallToolParamsRaw)
		if p == nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "tools/call needs params"}
		}
		raw, err := f.call(ctx, cc, p)
		if err != nil {
			return nil, err
		}
		var res sdk.CallToolResult
		if err := json.Unmarshal(raw, &res); err != nil {
			return nil, &jsonrpc.Error{Code: CodeUpstream, Message: "the upstream MCP server answered a result that is not a tools/call result"}
		}
		return &res, nil
	}
}

// deny is the JSON-RPC error of a refusal: it says that the firewall
// denied it and by which rule, never that the tool does not exist.
func deny(d mcp.Decision, decisionID string) error {
	code := int64(CodeDenied)
	if d.RuleID == "builtin:server_quarantined" || d.RuleID == "builtin:agent_contained" {
		code = CodeQuarantined
	}
	data, _ := json.Marshal(map[string]any{"denied": true, "rule_id": d.RuleID, "rule_name": d.RuleName, "reason": d.Reason,
		"decision_id": decisionID, "findings": d.Findings})
	return &jsonrpc.Error{Code: code, Message: fmt.Sprintf("Denied by the AEGIS MCP firewall (rule %s): %s", d.RuleName, d.Reason), Data: data}
}

// gate applies the checks before any rule: containment and approval.
func gate(cc *callCtx, srv rm.McpServerState) (mcp.Decision, bool) {
	if cc.status == aegis.StatusQuarantined || cc.status == aegis.StatusKilled {
		return mcp.Block("agent_contained", fmt.Sprintf("the AI agent %s that uses this API key is %s in AEGIS", cc.agent, cc.status)), true
	}
	if srv.ApprovalState != aegis.ApprovalApproved {
		return mcp.Block("server_quarantined", fmt.Sprintf("the MCP server %s is %s until a person with aegis:admin approves it", srv.ID, srv.ApprovalState)), true
	}
	return mcp.Decision{}, false
}

func (f *Firewall) decision(cc *callCtx, stage, tool, hash string, d mcp.Decision, labels []string) aegis.McpDecisionV1 {
	if labels == nil {
		labels = []string{}
	}
	return aegis.McpDecisionV1{DecisionID: uuid.Must(uuid.NewV7()).String(), ServerID: cc.serverID, SessionID: cc.sess.id, AgentID: cc.agent,
		Principal: cc.caller.Principal, Source: "proxy", Stage: stage, Tool: tool, ToolHash: hash, Labels: labels, Decision: d, At: f.now().UTC(),
		LatencyMicros: time.Since(cc.started).Microseconds()}
}

// record records a decision: a refusal before it is answered, an allowance
// in the background (batched).
func (f *Firewall) record(ctx context.Context, tenant string, d aegis.McpDecisionV1, args map[string]any) {
	if d.Blocked() {
		f.rec.now(ctx, tenant, d, args)
		return
	}
	f.rec.later(tenant, d, args)
}

func (f *Firewall) serverOf(ctx context.Context, cc *callCtx) (rm.McpServerState, error) {
	st, err := f.tenant(ctx, cc.caller.TenantID)
	if err != nil {
		return rm.McpServerState{}, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the firewall's state is unavailable; retry"}
	}
	srv, ok := st.servers[cc.serverID]
	if !ok {
		return srv, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "the MCP server was removed"}
	}
	return srv, nil
}

// offered fetches what the upstream offers and pins it when anything
// differs from what the tenant holds (a new tool, a drift): the drift is
// recorded before the list or call is answered.
func (f *Firewall) offered(ctx context.Context, cc *callCtx, srv rm.McpServerState, force bool) ([]mcp.Tool, map[string]mcp.Tool, map[string]mcp.Pinned, error) {
	tools, byName, err := f.Upstreams.Tools(ctx, srv.ID, srv.URL, force)
	if err != nil {
		return nil, nil, nil, &jsonrpc.Error{Code: CodeUpstream, Message: "the upstream MCP server is unavailable: " + err.Error()}
	}
	// The same list against the same pins gives the same table: the
	// hashes (canonical JSON, SHA-256) are computed once per change of either.
	st, _ := f.tenant(ctx, cc.caller.TenantID)
	if v, ok := f.offers.Load(srv.ID); ok {
		if o := v.(*offer); o.st == st && st != nil && sameList(o.tools, tools) {
			return tools, byName, o.pins, nil
		}
	}
	table, _ := mcp.Reconcile(srv.Tools, tools, func(mcp.Tool) []mcp.Finding { return nil })
	pins := make(map[string]mcp.Pinned, len(table))
	differs := false
	for _, p := range table {
		old, ok := srv.Tools[p.Tool.Name]
		if !ok || old.Hash != p.Hash || old.State != p.State {
			differs = true
		}
		if ok && old.Hash == p.Hash {
			p.Findings = old.Findings
		}
		pins[p.Tool.Name] = p
	}
	if differs {
		if err := f.Writer.Pin(ctx, cc.caller, srv.ID, tools); err != nil {
			f.Log.Warn("mcp firewall: pins not recorded", "server", srv.ID, "error", err)
		}
		f.Invalidate(cc.caller.TenantID)
		// Findings of the new definitions, for the answer.
		for n, p := range pins {
			if p.Findings == nil {
				p.Findings = mcp.ScanTool(p.Tool)
				pins[n] = p
			}
		}
	} else if st != nil {
		f.offers.Store(srv.ID, &offer{st: st, tools: tools, pins: pins})
	}
	return tools, byName, pins, nil
}

// offer is a server's pin table for one list of its upstream's tools and
// one view of the tenant's pins.
type offer struct {
	st    *tenantFW
	tools []mcp.Tool
	pins  map[string]mcp.Pinned
}

// sameList reports whether a and b are the same list (the upstream's copy,
// replaced whole when it is fetched again).
func sameList(a, b []mcp.Tool) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

func (f *Firewall) list(ctx context.Context, cc *callCtx) (sdk.Result, error) {
	srv, err := f.serverOf(ctx, cc)
	if err != nil {
		return nil, err
	}
	if d, blocked := gate(cc, srv); blocked {
		dec := f.decision(cc, aegis.StageList, "", "", d, nil)
		f.record(ctx, cc.caller.TenantID, dec, nil)
		return nil, deny(d, dec.DecisionID)
	}
	tools, _, pins, err := f.offered(ctx, cc, srv, true)
	if err != nil {
		return nil, err
	}
	st, _ := f.tenant(ctx, cc.caller.TenantID)
	out := &sdk.ListToolsResult{Tools: []*sdk.Tool{}}
	var hidden []string
	for _, t := range tools {
		p := pins[t.Name]
		if p.State != mcp.PinApproved {
			hidden = append(hidden, t.Name+" ("+p.State+")")
			continue
		}
		if st != nil {
			probe := &mcp.Call{TenantID: cc.caller.TenantID, ServerID: srv.ID, SessionID: cc.sess.id, AgentID: cc.agent, Tool: t.Name}
			if d := st.rules.Decide(probe, nil); d.Blocked() && d.Reason != "" && strings.Contains(d.Reason, "is denied by the rule") {
				hidden = append(hidden, t.Name+" (denied)")
				continue
			}
		}
		out.Tools = append(out.Tools, toSDK(t))
	}
	d := mcp.Allow()
	if len(hidden) > 0 {
		d.Reason = "hidden: " + strings.Join(hidden, ", ")
	}
	f.record(ctx, cc.caller.TenantID, f.decision(cc, aegis.StageList, "", "", d, nil), nil)
	return out, nil
}

// Judge decides a call of a tool whose current definition's pin is p (nil:
// not offered) with the tenant's rules: the same decision for the proxy and
// for gateways that only ask.
func Judge(st *tenantFW, srv rm.McpServerState, call *mcp.Call, p *mcp.Pinned, counter mcp.Counter) mcp.Decision {
	switch {
	case p == nil:
		return mcp.Block("tool_unknown", fmt.Sprintf("the server does not offer %s; the firewall refuses calls of tools it has not pinned", call.Tool))
	case p.State == mcp.PinChanged:
		return mcp.Block("tool_drift", fmt.Sprintf("the definition of %s changed since it was approved (pin %s, now %s); it is blocked until re-approved",
			call.Tool, short(p.ApprovedHash), short(p.Hash)), p.Findings...)
	case p.State != mcp.PinApproved:
		return mcp.Block("tool_pending", fmt.Sprintf("%s is not approved yet (%s)", call.Tool, p.State), p.Findings...)
	}
	return st.rules.Decide(call, counter)
}

func short(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func (f *Firewall) call(ctx context.Context, cc *callCtx, p *sdk.CallToolParamsRaw) (json.RawMessage, error) {
	srv, err := f.serverOf(ctx, cc)
	if err != nil {
		return nil, err
	}
	var args map[string]any
	if len(bytes.TrimSpace(p.Arguments)) > 0 && string(bytes.TrimSpace(p.Arguments)) != "null" {
		if err := json.Unmarshal(p.Arguments, &args); err != nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "tools/call arguments must be a JSON object"}
		}
	}
	if d, blocked := gate(cc, srv); blocked {
		dec := f.decision(cc, aegis.StageCall, p.Name, "", d, cc.sess.labelsNow())
		f.record(ctx, cc.caller.TenantID, dec, args)
		return nil, deny(d, dec.DecisionID)
	}
	_, _, pins, err := f.offered(ctx, cc, srv, false)
	if err != nil {
		return nil, err
	}
	st, err := f.tenant(ctx, cc.caller.TenantID)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "the firewall's state is unavailable; retry"}
	}
	var pin *mcp.Pinned
	if pp, ok := pins[p.Name]; ok && pp.State != mcp.PinRemoved {
		pin = &pp
	}
	call := &mcp.Call{TenantID: cc.caller.TenantID, ServerID: srv.ID, SessionID: cc.sess.id, AgentID: cc.agent, Tool: p.Name, Arguments: args,
		RawArguments: p.Arguments, Labels: cc.sess.labelsNow(), At: f.now()}
	d := Judge(st, srv, call, pin, &f.rates)
	hash := ""
	if pin != nil {
		hash = pin.Hash
	}
	dec := f.decision(cc, aegis.StageCall, p.Name, hash, d, call.Labels)
	if d.Blocked() {
		f.record(ctx, cc.caller.TenantID, dec, args)
		return nil, deny(d, dec.DecisionID)
	}
	for _, r := range st.rules.RateRules(call) {
		f.rates.add(mcp.RateKey(r, call), call.At, time.Duration(r.Spec.WindowSeconds)*time.Second)
	}
	f.record(ctx, cc.caller.TenantID, dec, args)
	res, err := f.Upstreams.Call(ctx, srv.ID, srv.URL, p.Name, p.Arguments)
	if err != nil {
		if errors.Is(err, mcp.ErrUpstream) {
			return nil, &jsonrpc.Error{Code: CodeUpstream, Message: "the upstream MCP server is unavailable: " + err.Error()}
		}
		return nil, err
	}
	// The result: smuggled instructions withhold it; personal data or
	// secrets label the session (what data-flow rules read).
	text, err := resultText(res)
	if err != nil {
		return nil, &jsonrpc.Error{Code: CodeUpstream, Message: "the upstream MCP server answered a result that is not a tools/call result"}
	}
	findings := mcp.ScanResult(text)
	labels := mcp.ResultLabels(text)
	cc.sess.addLabels(labels)
	rd := mcp.Allow()
	rd.Findings = findings
	if len(findings) > 0 {
		rd = mcp.Block("result_injection", fmt.Sprintf("the result of %s carries instructions for the model (%s)", p.Name, findings[0].Rule), findings...)
	}
	rdec := f.decision(cc, aegis.StageResult, p.Name, hash, rd, labels)
	f.record(ctx, cc.caller.TenantID, rdec, nil)
	if rd.Blocked() {
		return nil, deny(rd, rdec.DecisionID)
	}
	return res, nil
}
