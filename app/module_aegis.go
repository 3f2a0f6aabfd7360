package app

import (
	"context"
	"net/http"
	"time"

	cmdaegis "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
	httpaegis "github.com/astrabastion/astra/http/aegis"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
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
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmaegis.New()} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			queries := &rmaegis.Queries{Runner: rt.Stack.Runner}
			commands := &cmdaegis.Handlers{Store: rt.Stack.Store, Directory: directory{keys: &rmiam.Queries{Runner: rt.Stack.Runner}, agents: queries}}
			runtime := rt.Service("gateway").(*gateway.Runtime)
			api := &httpaegis.API{Commands: commands, Queries: queries, Writes: rt.Writes, Guardrails: runtime}
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
				},
				Workers: []Worker{Every("aegis gateway activity", GatewayActivityFlush, rt.Log, func(ctx context.Context, _ time.Time) error {
					traffic.Flush(ctx)
					return nil
				})},
				Service: commands,
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
