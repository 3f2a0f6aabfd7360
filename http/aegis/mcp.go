package aegis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/mcp"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/gateway/mcpfw"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// URLGuard checks outbound URLs (netguard): private, loopback and metadata
// addresses are refused unless the configuration allows them.
type URLGuard interface {
	CheckURL(ctx context.Context, raw string) error
	CheckHost(ctx context.Context, host string) error
}

// McpServerRequest is the body of POST /aegis/mcp/servers.
type McpServerRequest struct {
	Name        string `json:"name" validate:"required,max=200"`
	Description string `json:"description" validate:"max=2000"`
	// Transport is streamable_http: stdio servers run on the client's machine, beyond a network firewall.
	Transport string `json:"transport" validate:"omitempty,oneof=streamable_http" enum:"streamable_http"`
	// URL is the server's Streamable HTTP endpoint (checked by netguard).
	URL        string `json:"url" validate:"required,max=2000"`
	TrustLevel string `json:"trust_level" validate:"omitempty,oneof=untrusted low medium high" enum:"untrusted,low,medium,high"`
}

// McpServerPatch is the body of PATCH /aegis/mcp/servers/{id}: profile
// fields (absent stay; a new URL quarantines the server again) and/or an
// approval decision (aegis:admin).
type McpServerPatch struct {
	Name        *string `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Description *string `json:"description,omitempty" validate:"omitempty,max=2000"`
	URL         *string `json:"url,omitempty" validate:"omitempty,max=2000"`
	TrustLevel  *string `json:"trust_level,omitempty" validate:"omitempty,oneof=untrusted low medium high" enum:"untrusted,low,medium,high"`
	// ApprovalState approved fetches the server's tools/list and pins every tool the scan found nothing high or critical in
	// (again on an approved server: re-approves changed and new tools).
	ApprovalState *string `json:"approval_state,omitempty" validate:"omitempty,oneof=quarantined approved rejected" enum:"quarantined,approved,rejected"`
	Reason        string  `json:"reason" validate:"max=2000"`
	// ApproveFlagged approves flagged tools too (the findings are recorded with the approval).
	ApproveFlagged bool `json:"approve_flagged"`
}

// McpToolsView is a server's tool inventory (GET …/tools and a scan's answer).
type McpToolsView struct {
	ServerID       string       `json:"server_id"`
	ScannerVersion string       `json:"scanner_version"`
	Tools          []rm.McpTool `json:"tools"`
}

// McpRuleRequest is the body of POST /aegis/mcp/rules.
type McpRuleRequest struct {
	Name        string `json:"name" validate:"required,max=200"`
	Description string `json:"description" validate:"max=2000"`
	Kind        string `json:"kind" validate:"required,oneof=access arguments data_flow rate_limit" enum:"access,arguments,data_flow,rate_limit"`
	// Action of an access rule (allow or deny).
	Action   string `json:"action" validate:"omitempty,oneof=allow deny" enum:"allow,deny"`
	Priority int    `json:"priority" validate:"min=-100000,max=100000"`
	// Servers (ids), Tools and Agents (ids) narrow the rule; tools are glob patterns. Empty: any.
	Servers []string `json:"servers" validate:"max=100,dive,max=200"`
	Tools   []string `json:"tools" validate:"max=100,dive,max=200"`
	Agents  []string `json:"agents" validate:"max=100,dive,max=200"`
	// Schema is a JSON Schema the arguments must satisfy (arguments rules).
	Schema json.RawMessage `json:"schema,omitempty" swaggertype:"object"`
	// Expression is CEL over args, tool, server_id, agent_id, labels.
	Expression string   `json:"expression" validate:"max=4000"`
	Labels     []string `json:"labels" validate:"max=2,dive,oneof=pii secret"`
	MaxCalls   int      `json:"max_calls" validate:"min=0,max=1000000"`
	// WindowSeconds of a rate limit (1 to 86400).
	WindowSeconds int    `json:"window_seconds" validate:"min=0,max=86400"`
	Per           string `json:"per" validate:"omitempty,oneof=agent session" enum:"agent,session"`
	// Enabled is true unless false is given.
	Enabled *bool `json:"enabled,omitempty"`
}

func (r McpRuleRequest) spec() mcp.RuleSpec {
	return mcp.RuleSpec{Name: r.Name, Description: r.Description, Kind: r.Kind, Action: r.Action, Priority: r.Priority, Servers: r.Servers,
		Tools: r.Tools, Agents: r.Agents, Schema: r.Schema, Expression: r.Expression, Labels: r.Labels, MaxCalls: r.MaxCalls,
		WindowSeconds: r.WindowSeconds, Per: r.Per, Enabled: r.Enabled == nil || *r.Enabled}
}

// McpRulePatch is the body of PATCH /aegis/mcp/rules/{id} (absent fields stay).
type McpRulePatch struct {
	Name          *string          `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Description   *string          `json:"description,omitempty" validate:"omitempty,max=2000"`
	Action        *string          `json:"action,omitempty" validate:"omitempty,oneof=allow deny" enum:"allow,deny"`
	Priority      *int             `json:"priority,omitempty" validate:"omitempty,min=-100000,max=100000"`
	Servers       *[]string        `json:"servers,omitempty" validate:"omitempty,max=100,dive,max=200"`
	Tools         *[]string        `json:"tools,omitempty" validate:"omitempty,max=100,dive,max=200"`
	Agents        *[]string        `json:"agents,omitempty" validate:"omitempty,max=100,dive,max=200"`
	Schema        *json.RawMessage `json:"schema,omitempty" swaggertype:"object"`
	Expression    *string          `json:"expression,omitempty" validate:"omitempty,max=4000"`
	Labels        *[]string        `json:"labels,omitempty" validate:"omitempty,max=2,dive,oneof=pii secret"`
	MaxCalls      *int             `json:"max_calls,omitempty" validate:"omitempty,min=0,max=1000000"`
	WindowSeconds *int             `json:"window_seconds,omitempty" validate:"omitempty,min=0,max=86400"`
	Per           *string          `json:"per,omitempty" validate:"omitempty,oneof=agent session" enum:"agent,session"`
	Enabled       *bool            `json:"enabled,omitempty"`
}

// BacktestRequest is a draft rule set and the period of recorded decisions to replay.
type BacktestRequest struct {
	// Rules is the draft rule set, whole (it replaces the tenant's rules for the replay).
	Rules    []McpRuleRequest `json:"rules" validate:"max=500,dive"`
	From     *time.Time       `json:"from,omitempty"`
	To       *time.Time       `json:"to,omitempty"`
	ServerID string           `json:"server_id" validate:"omitempty,uuid"`
	// Limit bounds the decisions replayed (default and most 100,000).
	Limit int `json:"limit" validate:"min=0,max=100000"`
}

// InspectRequest is a tool call or result a gateway asks about.
type InspectRequest struct {
	ServerID string `json:"server_id" validate:"required,uuid"`
	Stage    string `json:"stage" validate:"omitempty,oneof=call result" enum:"call,result"`
	Tool     string `json:"tool" validate:"required,max=200"`
	// Arguments of the call (stage call).
	Arguments map[string]any `json:"arguments,omitempty"`
	// Result is the tool result's text (stage result).
	Result    string   `json:"result" validate:"max=1000000"`
	SessionID string   `json:"session_id" validate:"max=200"`
	AgentID   string   `json:"agent_id" validate:"omitempty,uuid"`
	Labels    []string `json:"labels" validate:"max=2,dive,oneof=pii secret"`
}

// InspectResult is the firewall's decision, as recorded.
type InspectResult struct {
	DecisionID string `json:"decision_id"`
	Stage      string `json:"stage" enum:"call,result"`
	mcp.Decision
	ToolHash string   `json:"tool_hash"`
	Labels   []string `json:"labels"`
}

var (
	mcpServerID = platform.IDParam(mcp.ErrServerNotFound)
	mcpRuleID   = platform.IDParam(mcp.ErrRuleNotFound)
)

func (a *API) mcpRoutes(p, r, w, adm string) []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/mcp/servers", OperationID: "listMcpServers", Tag: "aegis",
			Summary:    "MCP servers of the tenant, newest first, with their approval state and tool counts by pin state",
			Permission: r, Response: rm.McpServer{}, List: true, Handler: a.mcpServers, Query: []platform.Param{
				{Name: "approval_state", Description: "Only servers in this approval state", Enum: aegis.ApprovalStates}}},
		{Method: http.MethodPost, Path: p + "/mcp/servers", OperationID: "registerMcpServer", Tag: "aegis",
			Summary: "Register an MCP server (Streamable HTTP; its URL checked by netguard). It is quarantined until a person with " +
				"aegis:admin approves it: the proxy refuses its lists and calls",
			Permission: w, Request: McpServerRequest{}, Response: rm.McpServer{}, Status: http.StatusCreated, Handler: a.registerMcpServer, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/mcp/servers/:id", OperationID: "getMcpServer", Tag: "aegis", Summary: "One MCP server with its approval history",
			Permission: r, Response: rm.McpServer{}, Handler: a.mcpServer, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/mcp/servers/:id", OperationID: "updateMcpServer", Tag: "aegis",
			Summary: "Change an MCP server; approval_state approved (aegis:admin) fetches its tools/list, scans it and pins every tool " +
				"(flagged ones stay pending unless approve_flagged), recording who approved which pin with which scanner version",
			Permission: w, Request: McpServerPatch{}, Response: rm.McpServer{}, Handler: a.updateMcpServer, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{403, 404, 409, 412, 422, 502}},
		{Method: http.MethodDelete, Path: p + "/mcp/servers/:id", OperationID: "removeMcpServer", Tag: "aegis",
			Summary:    "Remove an MCP server (its history and decisions stay)",
			Permission: adm, Status: http.StatusNoContent, Handler: a.removeMcpServer, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},
		{Method: http.MethodGet, Path: p + "/mcp/servers/:id/tools", OperationID: "listMcpTools", Tag: "aegis",
			Summary: "The server's tools as last fetched: each pinned by SHA-256 over name, description, input and output schema, with its " +
				"pin state (approved, pending, changed, removed), scan findings (each with its MITRE ATLAS technique) and drifts. A complete list",
			Permission: r, Response: McpToolsView{}, Handler: a.mcpTools, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/mcp/servers/:id/tools/scan", OperationID: "scanMcpTools", Tag: "aegis",
			Summary: "Fetch the server's tools/list now, scan it for poisoning (offline, deterministic) and compare it with the pins: a changed " +
				"approved tool is blocked and recorded as aegis.McpToolDrift with its diff",
			Permission: w, Response: McpToolsView{}, Handler: a.scanMcpTools, Errors: []int{404, 502}},

		{Method: http.MethodGet, Path: p + "/mcp/rules", OperationID: "listMcpRules", Tag: "aegis", Summary: "Firewall rules in evaluation order (priority, then age)",
			Permission: r, Response: rm.McpRule{}, List: true, Handler: a.mcpRules},
		{Method: http.MethodPost, Path: p + "/mcp/rules", OperationID: "createMcpRule", Tag: "aegis",
			Summary: "Create a firewall rule: access (allow/deny per server and tool), arguments (JSON Schema and/or CEL), data_flow " +
				"(no pii/secret result may reach the named tools) or rate_limit (per agent or session and tool)",
			Permission: w, Request: McpRuleRequest{}, Response: rm.McpRule{}, Status: http.StatusCreated, Handler: a.createMcpRule, Errors: []int{422}},
		{Method: http.MethodPost, Path: p + "/mcp/rules/backtest", OperationID: "backtestMcpRules", Tag: "aegis",
			Summary: "Replay the recorded call decisions of a period against a draft rule set and report what would have changed " +
				"(newly blocked, newly allowed, by rule); records nothing",
			Permission: r, Request: BacktestRequest{}, Response: mcp.BacktestReport{}, Handler: a.backtest, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/mcp/rules/:id", OperationID: "getMcpRule", Tag: "aegis", Summary: "One firewall rule",
			Permission: r, Response: rm.McpRule{}, Handler: a.mcpRule, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/mcp/rules/:id", OperationID: "updateMcpRule", Tag: "aegis", Summary: "Change a firewall rule (absent fields stay)",
			Permission: w, Request: McpRulePatch{}, Response: rm.McpRule{}, Handler: a.updateMcpRule, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: p + "/mcp/rules/:id", OperationID: "deleteMcpRule", Tag: "aegis", Summary: "Delete a firewall rule",
			Permission: adm, Status: http.StatusNoContent, Handler: a.deleteMcpRule, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},

		{Method: http.MethodPost, Path: p + "/mcp/inspect", OperationID: "inspectMcp", Tag: "aegis",
			Summary: "Decide on a tool call or a tool result as the proxy would (pins, approval, containment, rules, result scan) for " +
				"gateways that only ask; the decision is recorded (aegis.McpCallAllowed / McpCallBlocked)",
			Permission: w, Request: InspectRequest{}, Response: InspectResult{}, Handler: a.inspect, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/mcp/decisions", OperationID: "listMcpDecisions", Tag: "aegis",
			Summary:    "The firewall's decision log, newest first: every list, call and result judged by the proxy or asked about",
			Permission: r, Response: rm.McpDecision{}, List: true, Handler: a.mcpDecisions, Query: []platform.Param{
				{Name: "server_id", Description: "Only decisions about this server", Schema: "uuid"},
				{Name: "outcome", Description: "Only allowed or blocked decisions", Enum: []string{mcp.OutcomeAllowed, mcp.OutcomeBlocked}},
				{Name: "stage", Description: "Only decisions at this stage", Enum: []string{aegis.StageList, aegis.StageCall, aegis.StageResult}},
				{Name: "tool", Description: "Only decisions about this tool"},
				{Name: "agent_id", Description: "Only decisions about this agent's calls", Schema: "uuid"},
				{Name: "session_id", Description: "Only decisions of this proxy session"},
				{Name: "from", Description: "Only decisions at or after this time", Schema: "date-time"},
				{Name: "to", Description: "Only decisions before this time", Schema: "date-time"}}},
		{Method: http.MethodPost, Path: p + "/mcp/proxy/:server_id", OperationID: "mcpProxy", Tag: "aegis",
			Summary: "The inline MCP firewall: a Streamable HTTP MCP endpoint (JSON-RPC; initialize answers Mcp-Session-Id) that any MCP " +
				"client uses as the server itself. Lists show approved tools only; a refused call answers a JSON-RPC error naming the rule " +
				"(-32001 denied, -32002 quarantined, -32003 upstream unavailable), never 'tool not found'. Sessions live in Postgres: any instance serves them",
			Permission: "aegis:read", Raw: true, Handler: a.mcpProxy, BodyLimit: 4 << 20, Errors: []int{404},
			Foreign: []platform.ForeignAnswer{{Status: http.StatusOK, ContentTypes: []string{"application/json"}, Description: "A JSON-RPC response"},
				{Status: http.StatusAccepted, ContentTypes: []string{"application/json"}, Description: "A notification accepted"}}},
		{Method: http.MethodDelete, Path: p + "/mcp/proxy/:server_id", OperationID: "endMcpProxySession", Tag: "aegis",
			Summary:    "End a proxy session (Mcp-Session-Id), as Streamable HTTP clients do",
			Permission: "aegis:read", Raw: true, Status: http.StatusNoContent, Handler: a.mcpProxy, Errors: []int{404}},
	}
}

func (a *API) mcpServers(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.McpServer], error) {
		return a.Queries.McpServers(c.Request().Context(), tenant(c), c.QueryParam("approval_state"), p)
	})
}

func (a *API) answerMcpServer(c echo.Context, status int, id string) error {
	s, err := a.Queries.McpServer(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, status, "mcp/servers/"+id, s.Version, s)
}

func (a *API) mcpServer(c echo.Context) error {
	id, err := mcpServerID(c)
	if err != nil {
		return err
	}
	return a.answerMcpServer(c, http.StatusOK, id)
}

func (a *API) checkURL(ctx context.Context, u string) error {
	if a.Guard == nil {
		return nil
	}
	check := a.Guard.CheckURL(ctx, u)
	// Plain http is accepted for servers inside the network (most internal
	// MCP servers): the host is checked the same way, and every connection
	// is checked again when it is dialled.
	if pu, err := url.Parse(u); err == nil && strings.EqualFold(pu.Scheme, "http") && pu.User == nil && pu.Host != "" {
		check = a.Guard.CheckHost(ctx, pu.Hostname())
	}
	if err := check; err != nil {
		return fmt.Errorf("%w: url: refused by the outbound guard (%v); private, loopback and metadata addresses need ASTRA_ALLOW_PRIVATE_URLS", mcp.ErrInvalidServer, err)
	}
	return nil
}

func (a *API) registerMcpServer(c echo.Context) error {
	var req McpServerRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if err := a.checkURL(c.Request().Context(), req.URL); err != nil {
		return err
	}
	id, evs, err := a.Commands.RegisterMcpServer(c.Request().Context(), writes.Metadata(c), cmd.RegisterMcpServer{Profile: aegis.McpServerProfile{
		Name: req.Name, Description: req.Description, Transport: req.Transport, URL: req.URL, TrustLevel: req.TrustLevel}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerMcpServer(c, http.StatusCreated, id) })
}

func (a *API) updateMcpServer(c echo.Context) error {
	id, expected, err := writes.Versioned(c, mcpServerID)
	if err != nil {
		return err
	}
	var req McpServerPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if req.URL != nil {
		if err := a.checkURL(ctx, *req.URL); err != nil {
			return err
		}
	}
	u := cmd.UpdateMcpServer{ID: id, Expected: expected, Name: req.Name, Description: req.Description, URL: req.URL, Trust: req.TrustLevel,
		Approval: req.ApprovalState, Reason: req.Reason, ApproveFlagged: req.ApproveFlagged, Now: time.Now().UTC()}
	if req.ApprovalState != nil {
		if !iam.Has(auth.PrincipalOf(c).Permissions, "aegis:admin") {
			return platform.Problem("AUTH-006", "Approval decisions on MCP servers need aegis:admin.")
		}
		if *req.ApprovalState == aegis.ApprovalApproved {
			s, err := a.Queries.McpServer(ctx, tenant(c), id)
			if err != nil {
				return err
			}
			url := s.URL
			if req.URL != nil {
				url = *req.URL
			}
			tools, _, err := a.Firewall.Upstreams.Tools(ctx, id, url, true)
			if err != nil {
				return err
			}
			u.Tools = tools
			if u.Tools == nil {
				u.Tools = []mcp.Tool{}
			}
		}
	}
	evs, err := a.Commands.UpdateMcpServer(ctx, writes.Metadata(c), u)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerMcpServer(c, http.StatusOK, id) })
}

func (a *API) removeMcpServer(c echo.Context) error {
	id, expected, err := writes.Versioned(c, mcpServerID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RemoveMcpServer(c.Request().Context(), writes.Metadata(c), cmd.RemoveMcpServer{ID: id, Expected: expected})
	if err == nil {
		a.Firewall.Upstreams.Forget(id)
	}
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) answerTools(c echo.Context, id string) error {
	tools, err := a.Queries.McpTools(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, McpToolsView{ServerID: id, ScannerVersion: mcp.ScannerVersion, Tools: tools})
}

func (a *API) mcpTools(c echo.Context) error {
	id, err := mcpServerID(c)
	if err != nil {
		return err
	}
	return a.answerTools(c, id)
}

func (a *API) scanMcpTools(c echo.Context) error {
	id, err := mcpServerID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	s, err := a.Queries.McpServer(ctx, tenant(c), id)
	if err != nil {
		return err
	}
	tools, _, err := a.Firewall.Upstreams.Tools(ctx, id, s.URL, true)
	if err != nil {
		return err
	}
	evs, err := a.Commands.PinMcpTools(ctx, writes.Metadata(c), cmd.PinMcpTools{ID: id, Tools: tools, Source: "scan"})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerTools(c, id) })
}

func (a *API) mcpRules(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.McpRule], error) {
		return a.Queries.McpRules(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) answerMcpRule(c echo.Context, status int, id string) error {
	r, err := a.Queries.McpRule(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, status, "mcp/rules/"+id, int64(r.Version), r)
}

func (a *API) mcpRule(c echo.Context) error {
	id, err := mcpRuleID(c)
	if err != nil {
		return err
	}
	return a.answerMcpRule(c, http.StatusOK, id)
}

func (a *API) createMcpRule(c echo.Context) error {
	var req McpRuleRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.CreateMcpRule(c.Request().Context(), writes.Metadata(c), cmd.CreateMcpRule{Spec: req.spec()})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerMcpRule(c, http.StatusCreated, id) })
}

func (a *API) updateMcpRule(c echo.Context) error {
	id, expected, err := writes.Versioned(c, mcpRuleID)
	if err != nil {
		return err
	}
	var req McpRulePatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateMcpRule(c.Request().Context(), writes.Metadata(c), cmd.UpdateMcpRule{ID: id, Expected: expected,
		Change: func(s mcp.RuleSpec) mcp.RuleSpec {
			patch(&s.Name, req.Name)
			patch(&s.Description, req.Description)
			patch(&s.Action, req.Action)
			patch(&s.Priority, req.Priority)
			patch(&s.Servers, req.Servers)
			patch(&s.Tools, req.Tools)
			patch(&s.Agents, req.Agents)
			patch(&s.Schema, req.Schema)
			patch(&s.Expression, req.Expression)
			patch(&s.Labels, req.Labels)
			patch(&s.MaxCalls, req.MaxCalls)
			patch(&s.WindowSeconds, req.WindowSeconds)
			patch(&s.Per, req.Per)
			patch(&s.Enabled, req.Enabled)
			return s
		}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerMcpRule(c, http.StatusOK, id) })
}

func (a *API) deleteMcpRule(c echo.Context) error {
	id, expected, err := writes.Versioned(c, mcpRuleID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteMcpRule(c.Request().Context(), writes.Metadata(c), cmd.DeleteMcpRule{ID: id, Expected: expected})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) backtest(c echo.Context) error {
	var req BacktestRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	draft := make([]mcp.Rule, len(req.Rules))
	for i, r := range req.Rules {
		sp := r.spec()
		if err := mcp.Validate(&sp); err != nil {
			return fmt.Errorf("rules[%d]: %w", i, err)
		}
		draft[i] = mcp.Rule{ID: fmt.Sprintf("draft-%d", i), Version: 1, Spec: sp}
	}
	limit := req.Limit
	if limit == 0 {
		limit = 100_000
	}
	ctx := c.Request().Context()
	ds, err := a.Queries.McpCallDecisions(ctx, tenant(c), rm.DecisionFilter{ServerID: req.ServerID, From: req.From, To: req.To}, limit)
	if err != nil {
		return err
	}
	recorded := make([]mcp.Recorded, len(ds))
	for i, d := range ds {
		recorded[i] = mcp.Recorded{DecisionID: d.ID, Call: mcp.Call{TenantID: tenant(c), ServerID: d.ServerID, SessionID: d.SessionID, AgentID: d.AgentID,
			Tool: d.Tool, Arguments: a.Commands.OpenArguments(ctx, d.SealedArguments()), Labels: d.Labels, At: d.At},
			Decision: mcp.Decision{Outcome: d.Outcome, RuleID: d.RuleID, RuleName: d.RuleName, Reason: d.Reason, Findings: d.Findings}}
	}
	return platform.Respond(c, http.StatusOK, mcp.Backtest(recorded, mcpfw.DraftRules(draft)))
}

func (a *API) inspect(c echo.Context) error {
	var req InspectRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if req.Stage == "" {
		req.Stage = aegis.StageCall
	}
	d, err := a.Firewall.Inspect(c.Request().Context(), mcpfw.Inspection{Caller: callerOf(c), ServerID: req.ServerID, SessionID: req.SessionID,
		AgentID: req.AgentID, Stage: req.Stage, Tool: req.Tool, Arguments: req.Arguments, Result: req.Result, Labels: req.Labels})
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, InspectResult{DecisionID: d.DecisionID, Stage: d.Stage, Decision: d.Decision, ToolHash: d.ToolHash, Labels: d.Labels})
}

func (a *API) mcpDecisions(c echo.Context) error {
	f := rm.DecisionFilter{ServerID: c.QueryParam("server_id"), Outcome: c.QueryParam("outcome"), Stage: c.QueryParam("stage"),
		Tool: c.QueryParam("tool"), AgentID: c.QueryParam("agent_id"), SessionID: c.QueryParam("session_id")}
	for _, t := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.QueryParam(t.name); v != "" {
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return platform.Problem("VAL-005", t.name+" must be an RFC 3339 time.")
			}
			*t.dst = &at
		}
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.McpDecision], error) {
		return a.Queries.McpDecisions(c.Request().Context(), tenant(c), f, p)
	})
}

func callerOf(c echo.Context) mcpfw.Caller {
	p := auth.PrincipalOf(c)
	out := mcpfw.Caller{TenantID: p.ActingTenant, Principal: p.Subject}
	if p.Kind == "api_key" {
		out.APIKeyID = p.Subject
	}
	return out
}

func (a *API) mcpProxy(c echo.Context) error {
	id := c.Param("server_id")
	if uuid.Validate(id) != nil {
		return mcp.ErrServerNotFound
	}
	a.Firewall.ServeHTTP(c.Response(), c.Request(), callerOf(c), id)
	return nil
}
