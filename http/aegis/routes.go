// Package aegis serves AEGIS over HTTP: the agent inventory with its
// telemetry, activity, learnt baseline, risk and containment (quarantine,
// release, kill); guardrails (evaluated by the gateway's own engine); alerts
// and alert rules.
package aegis

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/gateway/mcpfw"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// Guardrails is the one guardrail engine: the gateway runtime's, with its
// detectors and its cache of each tenant's compiled guardrails.
type Guardrails interface {
	// EvaluateGuardrails judges an input with the tenant's enabled guardrails, as the gateway does.
	EvaluateGuardrails(ctx context.Context, tenantID string, in *guardrail.Input) (guardrail.Verdict, error)
	// TestGuardrail judges an input with one guardrail, enabled or not.
	TestGuardrail(rule guardrail.Rule, in *guardrail.Input) (guardrail.Verdict, error)
}

// API serves the AEGIS routes.
type API struct {
	Commands   *cmd.Handlers
	Queries    *rm.Queries
	Writes     *writes.Kit
	Guardrails Guardrails
	// Firewall is this instance's inline MCP firewall; Guard checks MCP servers' URLs.
	Firewall *mcpfw.Firewall
	Guard    URLGuard
	// Shadow says what the tenant knows of traffic in ingested logs.
	Shadow ShadowDirectory
}

// Routes declares the AEGIS routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/aegis"
	r, w, adm := "aegis:read", "aegis:write", "aegis:admin"
	severities := []string{"low", "medium", "high", "critical"}
	return append([]platform.Route{
		{Method: http.MethodGet, Path: p + "/agents", OperationID: "listAgents", Tag: "aegis", Summary: "The agent inventory, newest first (retired agents only with status=retired)",
			Permission: r, Response: rm.Agent{}, List: true, Handler: a.agents, Query: []platform.Param{
				{Name: "status", Description: "Only agents in this status", Enum: aegis.Statuses},
				{Name: "owner", Description: "Only agents of this owner"}}},
		{Method: http.MethodPost, Path: p + "/agents", OperationID: "registerAgent", Tag: "aegis",
			Summary:    "Register an agent: owner, model, tools, autonomy level, data scopes and the API keys it uses at the gateway",
			Permission: w, Request: AgentRequest{}, Response: rm.Agent{}, Status: http.StatusCreated, Handler: a.registerAgent, Errors: []int{409, 422}},
		{Method: http.MethodGet, Path: p + "/agents/discovered", OperationID: "listDiscoveredAgents", Tag: "aegis",
			Summary:    "Unregistered agents: API keys seen at the gateway that no agent claims, most recently seen first",
			Permission: r, Response: rm.Discovered{}, List: true, Handler: a.discovered},
		{Method: http.MethodGet, Path: p + "/agents/:id", OperationID: "getAgent", Tag: "aegis", Summary: "One agent",
			Permission: r, Response: rm.Agent{}, Handler: a.agent, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/agents/:id", OperationID: "updateAgent", Tag: "aegis", Summary: "Change an agent's profile (absent fields stay)",
			Permission: w, Request: AgentPatch{}, Response: rm.Agent{}, Handler: a.updateAgent, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: p + "/agents/:id", OperationID: "retireAgent", Tag: "aegis",
			Summary:    "Retire an agent from the inventory (its history stays; its keys are no longer the agent's)",
			Permission: adm, Status: http.StatusNoContent, Handler: a.retireAgent, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},
		{Method: http.MethodPost, Path: p + "/agents/:id/telemetry", OperationID: "recordAgentTelemetry", Tag: "aegis",
			Summary: "Record a batch of the agent's actions: our JSON batch ({actions: […]}), or an OTLP/HTTP trace export of OpenTelemetry GenAI " +
				"spans (invoke_agent, execute_tool, chat … with gen_ai.* attributes) as JSON or application/x-protobuf, which is answered as " +
				"OTLP/HTTP expects (200, an empty ExportTraceServiceResponse)",
			Permission: w, Request: TelemetryRequest{}, Response: TelemetryResult{}, Status: http.StatusAccepted, Handler: a.telemetry,
			Errors: []int{404, 413, 415, 422}, BodyLimit: 8 << 20, Foreign: []platform.ForeignAnswer{{Status: http.StatusOK,
				ContentTypes: []string{"application/x-protobuf", "application/json"}, Description: "An OTLP/HTTP export recorded: an empty ExportTraceServiceResponse"}}},
		{Method: http.MethodGet, Path: p + "/agents/:id/activity", OperationID: "listAgentActivity", Tag: "aegis", Summary: "The agent's actions, newest first",
			Permission: r, Response: rm.Action{}, List: true, Handler: a.activity, Errors: []int{404}, Query: []platform.Param{
				{Name: "kind", Description: "Only actions of this kind", Enum: aegis.ActionKinds},
				{Name: "source", Description: "Only actions reported so", Enum: []string{aegis.SourceAPI, aegis.SourceOTLP, aegis.SourceGateway}},
				{Name: "tool", Description: "Only calls of this tool"},
				{Name: "destination", Description: "Only actions reaching this host"},
				{Name: "from", Description: "Only actions at or after this time", Schema: "date-time"},
				{Name: "to", Description: "Only actions before this time", Schema: "date-time"}}},
		{Method: http.MethodGet, Path: p + "/agents/:id/baseline", OperationID: "getAgentBaseline", Tag: "aegis",
			Summary:    "The behaviour baseline learnt from the agent's activity: hourly rates by hour of week and day, tools, hosts and data scopes",
			Permission: r, Response: BaselineView{}, Handler: a.baseline, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/agents/:id/risk", OperationID: "getAgentRisk", Tag: "aegis",
			Summary:    "The agent's risk score (0–100) with its reasons: containment, autonomy, data scopes, anomalies, open alerts",
			Permission: r, Response: RiskView{}, Handler: a.risk, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/agents/:id/anomalies", OperationID: "listAgentAnomalies", Tag: "aegis",
			Summary:    "Activity outside the agent's baseline, newest first: what deviated and by how much",
			Permission: r, Response: rm.Anomaly{}, List: true, Handler: a.anomalies, Errors: []int{404}, Query: []platform.Param{
				{Name: "kind", Description: "Only anomalies of this kind", Enum: []string{"new_tool", "new_destination", "burst", "exfiltration"}}}},
		{Method: http.MethodPost, Path: p + "/agents/:id/quarantine", OperationID: "quarantineAgent", Tag: "aegis",
			Summary:    "Quarantine an agent: the gateway refuses its API keys on every instance (403 AEG-013) until it is released",
			Permission: w, Request: ContainRequest{}, Response: rm.Agent{}, Handler: a.quarantine, Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/agents/:id/release", OperationID: "releaseAgent", Tag: "aegis",
			Summary:    "Lift an agent's quarantine (a killed agent cannot be released)",
			Permission: adm, Request: ContainRequest{}, Response: rm.Agent{}, Handler: a.release, Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/agents/:id/kill", OperationID: "killAgent", Tag: "aegis",
			Summary:    "Kill an agent: the gateway refuses it on every instance at once and its API keys are revoked through IAM",
			Permission: adm, Request: ContainRequest{}, Response: rm.Agent{}, Handler: a.kill, Errors: []int{404}},

		{Method: http.MethodGet, Path: p + "/guardrails", OperationID: "listGuardrails", Tag: "aegis", Summary: "Guardrails, in the order they are evaluated",
			Permission: r, Response: rm.Guardrail{}, List: true, Handler: a.guardrails, Query: []platform.Param{
				{Name: "type", Description: "Only guardrails of this type", Enum: guardrail.Types},
				{Name: "enabled", Description: "Only enabled (true) or disabled (false) guardrails", Schema: "boolean"}}},
		{Method: http.MethodPost, Path: p + "/guardrails", OperationID: "createGuardrail", Tag: "aegis",
			Summary: "Create a guardrail (version 1, enabled unless enabled is false). The gateway's content_rules step evaluates it on every " +
				"request in its scope; a block answers 422 GW-008 naming the guardrail",
			Permission: w, Request: GuardrailRequest{}, Response: rm.Guardrail{}, Status: http.StatusCreated, Handler: a.createGuardrail, Errors: []int{422}},
		{Method: http.MethodPost, Path: p + "/guardrails/evaluate", OperationID: "evaluateGuardrails", Tag: "aegis",
			Summary:    "Evaluate an input against every applicable enabled guardrail, with the gateway's engine; records nothing",
			Permission: r, Request: EvaluateRequest{}, Response: EvaluateResult{}, Handler: a.evaluate, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/guardrails/:id", OperationID: "getGuardrail", Tag: "aegis", Summary: "One guardrail",
			Permission: r, Response: rm.Guardrail{}, Handler: a.guardrail, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/guardrails/:id", OperationID: "updateGuardrail", Tag: "aegis", Summary: "Change a guardrail: a new version",
			Permission: w, Request: GuardrailPatch{}, Response: rm.Guardrail{}, Handler: a.updateGuardrail, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: p + "/guardrails/:id", OperationID: "deleteGuardrail", Tag: "aegis", Summary: "Delete a guardrail (its versions stay)",
			Permission: adm, Status: http.StatusNoContent, Handler: a.deleteGuardrail, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},
		{Method: http.MethodPost, Path: p + "/guardrails/:id/enable", OperationID: "enableGuardrail", Tag: "aegis", Summary: "Enable a guardrail (a new version)",
			Permission: w, Response: rm.Guardrail{}, Handler: a.enableGuardrail, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/guardrails/:id/disable", OperationID: "disableGuardrail", Tag: "aegis", Summary: "Disable a guardrail (a new version)",
			Permission: w, Response: rm.Guardrail{}, Handler: a.disableGuardrail, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/guardrails/:id/test", OperationID: "testGuardrail", Tag: "aegis",
			Summary:    "Test one guardrail (enabled or not) on a sample, ignoring its scope; records nothing",
			Permission: r, Request: EvaluateRequest{}, Response: EvaluateResult{}, Handler: a.testGuardrail, Errors: []int{404, 422}},
		{Method: http.MethodGet, Path: p + "/guardrails/:id/versions", OperationID: "listGuardrailVersions", Tag: "aegis",
			Summary:    "A guardrail's history: every version, newest first",
			Permission: r, Response: rm.GuardrailVersion{}, List: true, Handler: a.guardrailVersions, Errors: []int{404}},

		{Method: http.MethodGet, Path: p + "/alerts", OperationID: "listAlerts", Tag: "aegis", Summary: "Alerts from every detector and rule, most recently raised first",
			Permission: r, Response: rm.Alert{}, List: true, Handler: a.alerts, Query: []platform.Param{
				{Name: "status", Description: "Only alerts in this status", Enum: aegis.AlertStatuses},
				{Name: "severity", Description: "Only alerts of this severity", Enum: severities},
				{Name: "source", Description: "Only alerts raised by this module's events (aegis, gateway …)"},
				{Name: "assignee", Description: "Only alerts assigned to this user"},
				{Name: "agent_id", Description: "Only alerts about this agent"}}},
		{Method: http.MethodGet, Path: p + "/alerts/stats", OperationID: "alertStats", Tag: "aegis",
			Summary:    "Alert counts by status, severity and source, open ones by severity, raised in 24 h, mean time to acknowledge and resolve",
			Permission: r, Response: rm.AlertStats{}, Handler: a.alertStats},
		{Method: http.MethodGet, Path: p + "/alerts/:id", OperationID: "getAlert", Tag: "aegis", Summary: "One alert",
			Permission: r, Response: rm.Alert{}, Handler: a.alert, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/alerts/:id/acknowledge", OperationID: "acknowledgeAlert", Tag: "aegis", Summary: "Acknowledge an alert",
			Permission: w, Request: NoteRequest{}, Response: rm.Alert{}, Handler: a.acknowledge, Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/alerts/:id/assign", OperationID: "assignAlert", Tag: "aegis", Summary: "Assign an alert to someone",
			Permission: w, Request: AssignRequest{}, Response: rm.Alert{}, Handler: a.assign, Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/alerts/:id/resolve", OperationID: "resolveAlert", Tag: "aegis",
			Summary:    "Resolve an alert; the same dedup key firing again raises it anew",
			Permission: w, Request: ResolveRequest{}, Response: rm.Alert{}, Handler: a.resolve, Errors: []int{404}},

		{Method: http.MethodGet, Path: p + "/alert-rules", OperationID: "listAlertRules", Tag: "aegis",
			Summary:    "The tenant's alert rules, newest first (the built-in detectors are listed by GET /aegis/alert-rules/builtin)",
			Permission: r, Response: rm.AlertRule{}, List: true, Handler: a.alertRules},
		{Method: http.MethodGet, Path: p + "/alert-rules/builtin", OperationID: "listBuiltinAlertRules", Tag: "aegis",
			Summary:    "The built-in detectors every tenant has, and the event types a rule may watch. A complete list, never paged",
			Permission: r, Response: BuiltinRule{}, List: true, Complete: true, Handler: a.builtinRules},
		{Method: http.MethodPost, Path: p + "/alert-rules", OperationID: "createAlertRule", Tag: "aegis",
			Summary:    "Create an alert rule: event type and fields to match, threshold within a window, group-by, cooldown, severity, silences",
			Permission: w, Request: AlertRuleRequest{}, Response: rm.AlertRule{}, Status: http.StatusCreated, Handler: a.createAlertRule, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/alert-rules/:id", OperationID: "getAlertRule", Tag: "aegis", Summary: "One alert rule",
			Permission: r, Response: rm.AlertRule{}, Handler: a.alertRule, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/alert-rules/:id", OperationID: "updateAlertRule", Tag: "aegis", Summary: "Change an alert rule (absent fields stay)",
			Permission: w, Request: AlertRulePatch{}, Response: rm.AlertRule{}, Handler: a.updateAlertRule, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: p + "/alert-rules/:id", OperationID: "deleteAlertRule", Tag: "aegis", Summary: "Delete an alert rule",
			Permission: adm, Status: http.StatusNoContent, Handler: a.deleteAlertRule, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412}},
	}, append(a.mcpRoutes(p, r, w, adm), a.shadowRoutes(p, r, w)...)...)
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

// Ids of agents, guardrails, alerts and rules are UUIDs; another id names nothing.
var (
	agentID     = platform.IDParam(aegis.ErrAgentNotFound)
	guardrailID = platform.IDParam(aegis.ErrGuardrailNotFound)
	alertID     = platform.IDParam(aegis.ErrAlertNotFound)
	ruleID      = platform.IDParam(aegis.ErrRuleNotFound)
)

// answer sets the ETag (and, for a creation, the Location) of a versioned
// resource and answers it.
func answer(c echo.Context, status int, path string, version int64, x any) error {
	writes.ETag(c, version)
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/aegis/"+path)
	}
	return platform.Respond(c, status, x)
}
