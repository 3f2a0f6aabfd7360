package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	cmdaegis "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/domain/aegis/mcp"
	"github.com/astrabastion/astra/domain/aegis/shadow"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/mcpfw"
	httpaegis "github.com/astrabastion/astra/http/aegis"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/netguard"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rmgateway "github.com/astrabastion/astra/projections/gateway"
	rmiam "github.com/astrabastion/astra/projections/iam"
	"github.com/astrabastion/astra/reactors"
	rxaegis "github.com/astrabastion/astra/reactors/aegis"
)

// GatewayActivityFlush is how often gateway requests made with agents'
// keys are recorded as their activity (one batch per agent).
var GatewayActivityFlush = time.Second

// AEGIS: the agent inventory with learnt baselines and containment,
// guardrails (the gateway's one engine), alerts and alert rules.
func init() {
	register(Module{
		Name: "aegis",
		Tags: map[string]string{
			"aegis": "AEGIS: the AI agent inventory with learned behaviour baselines, risk and containment (quarantine, kill), guardrails evaluated by the gateway, alerts and alert rules.",
		},
		Title: "AEGIS (agents, guardrails, alerts)",
		Order: 50,
		Errors: platform.Codes{
			"AEG-001": platform.Entry(http.StatusNotFound, "Agent not found", "No agent with that id exists in the tenant; a retired agent is read, never changed."),
			"AEG-002": platform.Entry(http.StatusUnprocessableEntity, "Invalid agent", "An agent needs a name; its autonomy level, auto-quarantine severity and lists must be valid."),
			"AEG-003": platform.Entry(http.StatusUnprocessableEntity, "API key unknown", "An API key of the agent is not an unrevoked key of the tenant."),
			"AEG-004": platform.Entry(http.StatusConflict, "API key claimed", "An API key of the agent belongs to another agent."),
			"AEG-005": platform.Entry(http.StatusConflict, "Agent killed", "The agent was killed: its keys are revoked and it cannot be quarantined or released; register a new agent."),
			"AEG-006": platform.Entry(http.StatusUnprocessableEntity, "Invalid telemetry", "The batch is not our format or an OTLP trace export with GenAI, tool, HTTP client or database spans, or breaks its limits."),
			"AEG-007": platform.Entry(http.StatusNotFound, "Guardrail not found", "No guardrail with that id exists in the tenant."),
			"AEG-008": platform.Entry(http.StatusUnprocessableEntity, "Invalid guardrail", "The guardrail does not compile: the detail names the field (type, config, action, severity, scope)."),
			"AEG-009": platform.Entry(http.StatusNotFound, "Alert not found", "No alert with that id exists in the tenant."),
			"AEG-010": platform.Entry(http.StatusConflict, "Alert resolved", "The alert is resolved; it is raised anew when its dedup key fires again."),
			"AEG-011": platform.Entry(http.StatusNotFound, "Alert rule not found", "No alert rule with that id exists in the tenant."),
			"AEG-012": platform.Entry(http.StatusUnprocessableEntity, "Invalid alert rule", "The rule does not hold: the detail names the field (event_type, match, threshold, window, severity …)."),
			"AEG-013": platform.Entry(http.StatusForbidden, "Agent quarantined", "The gateway refuses requests made with the API keys of an agent that AEGIS quarantined, on every instance, until it is released."),
			"AEG-014": platform.Entry(http.StatusForbidden, "Agent killed", "The gateway refuses requests made with the API keys of an agent that AEGIS killed (its keys are being revoked)."),
			"AEG-015": platform.Entry(http.StatusNotFound, "MCP server not found", "No MCP server with that id exists in the tenant; a removed server is read, never changed."),
			"AEG-016": platform.Entry(http.StatusUnprocessableEntity, "Invalid MCP server", "The server does not hold: the detail names the field (name, transport streamable_http, url refused by the outbound guard, trust_level, approval_state)."),
			"AEG-017": platform.Entry(http.StatusBadGateway, "MCP server unreachable", "The MCP server's tools/list could not be fetched (connection refused, an error answer, or its circuit open after repeated failures: retry after the backoff)."),
			"AEG-018": platform.Entry(http.StatusNotFound, "MCP rule not found", "No MCP firewall rule with that id exists in the tenant."),
			"AEG-019": platform.Entry(http.StatusUnprocessableEntity, "Invalid MCP rule", "The rule does not compile: the detail names the field (kind, action, tools, schema, expression, labels, max_calls …)."),
			"AEG-020": platform.Entry(http.StatusNotFound, "Shadow AI finding not found", "No Shadow AI finding with that id exists in the tenant."),
			"AEG-021": platform.Entry(http.StatusUnprocessableEntity, "Invalid Shadow AI log or triage", "The log's format is not one we read (NDJSON, CSV with a header, Squid, Zeek dns.log/http.log), or the lifecycle change is not allowed."),
		},
		DomainErrors: []platform.DomainError{
			{Err: aegis.ErrAgentNotFound, Code: "AEG-001", Detail: "No such agent in this tenant."},
			{Err: aegis.ErrInvalidAgent, Code: "AEG-002"},
			{Err: aegis.ErrUnknownKey, Code: "AEG-003"},
			{Err: aegis.ErrKeyClaimed, Code: "AEG-004"},
			{Err: aegis.ErrAgentKilled, Code: "AEG-005"},
			{Err: aegis.ErrInvalidTelemetry, Code: "AEG-006"},
			{Err: aegis.ErrGuardrailNotFound, Code: "AEG-007", Detail: "No such guardrail in this tenant."},
			{Err: guardrail.ErrInvalid, Code: "AEG-008"},
			{Err: aegis.ErrAlertNotFound, Code: "AEG-009", Detail: "No such alert in this tenant."},
			{Err: aegis.ErrAlertResolved, Code: "AEG-010"},
			{Err: aegis.ErrRuleNotFound, Code: "AEG-011", Detail: "No such alert rule in this tenant."},
			{Err: alerting.ErrInvalidRule, Code: "AEG-012"},
			{Err: mcp.ErrServerNotFound, Code: "AEG-015", Detail: "No such MCP server in this tenant."},
			{Err: mcp.ErrInvalidServer, Code: "AEG-016"},
			{Err: mcp.ErrUpstream, Code: "AEG-017"},
			{Err: mcp.ErrRuleNotFound, Code: "AEG-018", Detail: "No such MCP rule in this tenant."},
			{Err: mcp.ErrInvalidRule, Code: "AEG-019"},
			{Err: aegis.ErrShadowFindingNotFound, Code: "AEG-020", Detail: "No such Shadow AI finding in this tenant."},
			{Err: aegis.ErrInvalidShadow, Code: "AEG-021"},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmaegis.New()} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			queries := &rmaegis.Queries{Runner: rt.Stack.Runner}
			commands := &cmdaegis.Handlers{Store: rt.Stack.Store, Directory: directory{keys: &rmiam.Queries{Runner: rt.Stack.Runner}, agents: queries},
				Keys: rt.Stack.Keys}
			runtime := rt.Service("gateway").(*gateway.Runtime)
			guard, err := netguard.New(rt.Cfg.AllowPrivateURLs)
			if err != nil {
				return nil, err
			}
			// Upstream MCP sessions are long-lived (a standalone SSE stream
			// each): no whole-request timeout; calls carry their contexts.
			upstreams := &mcpfw.Upstreams{HTTP: guard.Client(netguard.ClientOptions{Timeout: 24 * 365 * time.Hour, MaxResponseBytes: 1 << 40,
				IdleConnsPerHost: 64})}
			firewall := &mcpfw.Firewall{State: queries, Writer: mcpWriter{commands: commands, runner: rt.Stack.Runner}, Upstreams: upstreams,
				Agent: runtime.AgentStatus, Log: rt.Log}
			api := &httpaegis.API{Commands: commands, Queries: queries, Writes: rt.Writes, Guardrails: runtime, Firewall: firewall, Guard: guard,
				Shadow: shadowDirectory{providers: &rmgateway.Queries{Runner: rt.Stack.Runner}, agents: queries}}
			traffic := &rxaegis.Traffic{Commands: commands, Agents: runtime, Log: rt.Log}
			alerts := &rxaegis.Alerting{Commands: commands, Rules: queries}
			await := func(ctx context.Context, e *eventstore.Event) error {
				return rt.Stack.Runner.WaitFor(ctx, 10*time.Second, []eventstore.Event{*e}, rmaegis.Name)
			}
			return &Parts{
				Routes: api.Routes(),
				Reactors: []reactors.Reactor{
					rxaegis.Revocations(rt.IAM),
					rxaegis.Anomalies(commands, queries, rt.Stack.Runner),
					traffic.Reactor(),
					alerts.Reactor(),
					alerts.Invalidation(await),
					rxaegis.McpInvalidation(firewall.Invalidate, await),
				},
				Workers: []Worker{Every("aegis gateway activity", GatewayActivityFlush, rt.Log, func(ctx context.Context, _ time.Time) error {
					traffic.Flush(ctx)
					return nil
				})},
				Service: commands,
				Close:   firewall.Close,
			}, nil
		},
		// Baselines hold floats folded in their activity stream's order, which
		// a replay keeps: they are compared whole, as are the findings and
		// anomalies judged from them.
		Replay: map[string]map[string]string{rmaegis.Name: {
			"baselines": "agent_id, tenant_id, actions, batches, last_activity_at, state",
			"findings":  "batch_id, tenant_id, agent_id, findings, recorded_at",
		}},
	})
}

// directory answers what AEGIS's commands ask of API keys (IAM's read
// model) and agents (AEGIS's).
type directory struct {
	keys   *rmiam.Queries
	agents *rmaegis.Queries
}

func (d directory) APIKeyLive(ctx context.Context, tenant, keyID string) (bool, error) {
	k, err := d.keys.APIKeyByID(ctx, tenant, keyID)
	return err == nil && k != nil && !k.Revoked, err
}

func (d directory) AgentOfKey(ctx context.Context, tenant, keyID string) (string, error) {
	return d.agents.AgentOfKey(ctx, tenant, keyID)
}

// mcpWriter records what the MCP firewall decides through AEGIS's commands,
// waiting for the read model where another instance must read it next
// (sessions, pins).
type mcpWriter struct {
	commands *cmdaegis.Handlers
	runner   *projections.Runner
}

func mcpMeta(c mcpfw.Caller) eventstore.Metadata {
	return eventstore.Metadata{TenantID: c.TenantID, Actor: c.Principal}
}

func (w mcpWriter) wait(ctx context.Context, evs []eventstore.Event, err error) error {
	if err != nil || len(evs) == 0 {
		return err
	}
	return w.runner.WaitFor(ctx, 10*time.Second, evs, rmaegis.Name)
}

func (w mcpWriter) StartSession(ctx context.Context, c mcpfw.Caller, s aegis.McpSessionStartedV1) error {
	evs, err := w.commands.StartMcpSession(ctx, mcpMeta(c), cmdaegis.StartMcpSession{Session: s})
	return w.wait(ctx, evs, err)
}

func (w mcpWriter) EndSession(ctx context.Context, c mcpfw.Caller, id string) error {
	evs, err := w.commands.EndMcpSession(ctx, mcpMeta(c), id)
	return w.wait(ctx, evs, err)
}

func (w mcpWriter) Pin(ctx context.Context, c mcpfw.Caller, serverID string, tools []mcp.Tool) error {
	evs, err := w.commands.PinMcpTools(ctx, mcpMeta(c), cmdaegis.PinMcpTools{ID: serverID, Tools: tools, Source: "proxy"})
	return w.wait(ctx, evs, err)
}

func (w mcpWriter) Record(ctx context.Context, tenant string, ds []aegis.McpDecisionV1, args []map[string]any) error {
	actor := "aegis-mcp-firewall"
	if len(ds) > 0 && ds[0].Principal != "" {
		actor = ds[0].Principal
	}
	_, err := w.commands.RecordMcpDecisions(ctx, eventstore.Metadata{TenantID: tenant, Actor: actor}, ds, args)
	return err
}

// shadowDirectory answers what Shadow AI discovery asks: the hosts the
// gateway fronts for a tenant (its providers' base URLs and their kinds'
// API hosts) and the registered agents a log's source may name.
type shadowDirectory struct {
	providers *rmgateway.Queries
	agents    *rmaegis.Queries
}

func (d shadowDirectory) SanctionedHosts(ctx context.Context, tenant string) (map[string]bool, error) {
	ps, err := d.providers.Providers(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range ps {
		if h := shadow.Normalize(p.BaseURL); h != "" {
			out[h] = true
			if s, ok := shadow.Default.MatchHost(h); ok {
				out[s.Host] = true
			}
		}
		for _, s := range shadow.Default.Services() {
			if s.Category == shadow.CategoryProviderAPI && s.Provider != "" && strings.EqualFold(s.Provider, p.Kind) {
				out[s.Host] = true
			}
		}
	}
	return out, nil
}

func (d shadowDirectory) AgentSources(ctx context.Context, tenant string) (map[string]string, error) {
	out := map[string]string{}
	p := projections.PageRequest{Limit: 200}
	for range 100 {
		page, err := d.agents.Agents(ctx, tenant, rmaegis.AgentFilter{}, p)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Items {
			out[a.ID], out[a.Name] = a.ID, a.ID
			for _, k := range a.APIKeyIDs {
				out[k] = a.ID
			}
		}
		if !page.HasMore {
			break
		}
		p.After = page.Next
	}
	return out, nil
}
