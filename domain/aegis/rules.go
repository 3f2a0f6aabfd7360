package aegis

import (
	"slices"

	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	gw "github.com/astrabastion/astra/domain/gateway"
)

// Guardrail is a guardrail's state, folded from its stream.
type Guardrail struct {
	ID, TenantID string
	Version      int
	Spec         guardrail.Spec
	Enabled      bool
	Deleted      bool
}

// Versioned applies GuardrailCreated or GuardrailUpdated.
func (g *Guardrail) Versioned(d *GuardrailVersionedV1) {
	g.ID, g.TenantID, g.Version, g.Spec, g.Enabled = d.GuardrailID, d.TenantID, d.Version, d.Guardrail, d.Enabled
}

// Live reports whether the guardrail exists in the tenant.
func (g *Guardrail) Live(tenant string) bool { return g.ID != "" && g.TenantID == tenant && !g.Deleted }

// Revise decides a new version of the guardrail (the whole spec after a
// change); nothing when the spec did not change.
func (g *Guardrail) Revise(tenant string, spec guardrail.Spec) (*GuardrailVersionedV1, error) {
	if !g.Live(tenant) {
		return nil, ErrGuardrailNotFound
	}
	if err := guardrail.Validate(&spec); err != nil {
		return nil, err
	}
	return &GuardrailVersionedV1{GuardrailID: g.ID, TenantID: g.TenantID, Version: g.Version + 1, Guardrail: spec, Enabled: g.Enabled}, nil
}

// Toggle decides enabling (on) or disabling a guardrail; nothing when it
// is so already.
func (g *Guardrail) Toggle(tenant string, on bool) (*GuardrailToggledV1, error) {
	if !g.Live(tenant) {
		return nil, ErrGuardrailNotFound
	}
	if g.Enabled == on {
		return nil, nil
	}
	return &GuardrailToggledV1{GuardrailID: g.ID, Version: g.Version}, nil
}

// Alert statuses.
const (
	AlertStatusOpen         = "open"
	AlertStatusAcknowledged = "acknowledged"
	AlertStatusResolved     = "resolved"
)

// AlertStatuses lists the alert statuses.
var AlertStatuses = []string{AlertStatusOpen, AlertStatusAcknowledged, AlertStatusResolved}

// Resolutions of an alert.
var Resolutions = []string{"fixed", "false_positive", "accepted_risk", "duplicate", "other"}

// causesKept bounds the causes an alert remembers (to ignore a redelivery).
const causesKept = 64

// Alert is an alert's state, folded from its stream.
type Alert struct {
	ID, TenantID string
	Status       string
	Occurrence   int
	Causes       []string
}

// Raised applies AlertRaised.
func (a *Alert) Raised(d *AlertRaisedV1) {
	a.ID, a.TenantID, a.Status, a.Occurrence = d.AlertID, d.TenantID, AlertStatusOpen, d.Occurrence
	a.cause(d.CauseID)
}

// Repeated applies AlertRepeated.
func (a *Alert) Repeated(d *AlertRepeatedV1) { a.cause(d.CauseID) }

func (a *Alert) cause(id string) {
	a.Causes = append(a.Causes, id)
	if len(a.Causes) > causesKept {
		a.Causes = a.Causes[len(a.Causes)-causesKept:]
	}
}

// Fire decides what a firing does to the alert of its dedup key: raise it
// (anew, or again once resolved), group it into the open alert, or nothing
// when the firing's cause was counted already (a redelivered event).
func (a *Alert) Fire(id, tenant string, f alerting.Firing) (raised *AlertRaisedV1, repeated *AlertRepeatedV1) {
	if slices.Contains(a.Causes, f.CauseID) {
		return nil, nil
	}
	if a.ID != "" && a.Status != AlertStatusResolved {
		return nil, &AlertRepeatedV1{AlertID: id, CauseID: f.CauseID, Count: max(f.Count, 1), At: f.At}
	}
	return &AlertRaisedV1{AlertID: id, TenantID: tenant, Firing: f, Occurrence: a.Occurrence + 1}, nil
}

// Acknowledge decides acknowledging an alert; nothing when it is already.
func (a *Alert) Acknowledge(tenant, note string) (*AlertAcknowledgedV1, error) {
	if err := a.open(tenant); err != nil || a.Status == AlertStatusAcknowledged {
		return nil, err
	}
	return &AlertAcknowledgedV1{AlertID: a.ID, Note: note}, nil
}

// Assign decides who owns an alert.
func (a *Alert) Assign(tenant, assignee, note string) (*AlertAssignedV1, error) {
	if err := a.open(tenant); err != nil {
		return nil, err
	}
	return &AlertAssignedV1{AlertID: a.ID, Assignee: assignee, Note: note}, nil
}

// Resolve decides closing an alert; nothing when it is resolved already.
func (a *Alert) Resolve(tenant, resolution, note string) (*AlertResolvedV1, error) {
	if a.ID == "" || a.TenantID != tenant {
		return nil, ErrAlertNotFound
	}
	if a.Status == AlertStatusResolved {
		return nil, nil
	}
	if resolution == "" {
		resolution = "fixed"
	}
	return &AlertResolvedV1{AlertID: a.ID, Resolution: resolution, Note: note}, nil
}

func (a *Alert) open(tenant string) error {
	if a.ID == "" || a.TenantID != tenant {
		return ErrAlertNotFound
	}
	if a.Status == AlertStatusResolved {
		return ErrAlertResolved
	}
	return nil
}

// AlertRule is an alert rule's state, folded from its stream.
type AlertRule struct {
	ID, TenantID string
	Version      int
	Rule         alerting.Rule
	Deleted      bool
}

// Versioned applies AlertRuleCreated or AlertRuleUpdated.
func (r *AlertRule) Versioned(d *AlertRuleVersionedV1) {
	r.ID, r.TenantID, r.Version, r.Rule = d.RuleID, d.TenantID, d.Version, d.Rule
}

// Live reports whether the rule exists in the tenant.
func (r *AlertRule) Live(tenant string) bool { return r.ID != "" && r.TenantID == tenant && !r.Deleted }

// Revise decides a new version of a rule.
func (r *AlertRule) Revise(tenant string, rule alerting.Rule) (*AlertRuleVersionedV1, error) {
	if !r.Live(tenant) {
		return nil, ErrRuleNotFound
	}
	if err := alerting.Check(&rule, AlertableTypes()); err != nil {
		return nil, err
	}
	return &AlertRuleVersionedV1{RuleID: r.ID, TenantID: tenant, Version: r.Version + 1, Rule: rule}, nil
}

// Alertable are the event types alert rules may watch (those the alerting
// reactor consumes), by CloudEvents type.
var alertable []string

// Alertable declares event types that rules may watch; modules call it at init.
func Alertable(ceTypes ...string) { alertable = append(alertable, ceTypes...) }

// AlertableTypes lists the event types rules may watch.
func AlertableTypes() []string { return slices.Clone(alertable) }

func init() {
	Alertable(AgentAnomalyDetected.CEType(), AgentQuarantined.CEType(), KillSwitchActivated.CEType(), AgentRetired.CEType(),
		gw.RequestBlocked.CEType(), gw.KillSwitchActivated.CEType(), gw.BudgetExceeded.CEType(),
		ShadowAiDetected.CEType(), McpToolDrift.CEType(), McpCallBlocked.CEType())
}

// BuiltinRules are the detectors every tenant has, besides its own rules:
// anomalies, containment, kill switches and gateway blocks above a rate.
func BuiltinRules() []alerting.Ref {
	day := 86400
	return []alerting.Ref{
		{ID: "builtin.agent_anomaly", Rule: alerting.Rule{Name: "Agent anomaly", EventType: AgentAnomalyDetected.CEType(), Threshold: 1,
			WindowSeconds: 3600, GroupBy: []string{"agent_id", "kind", "subject"}, Severity: alerting.SeverityInherit,
			Title: "Agent {agent_id}: {kind} {subject}", Enabled: true}},
		{ID: "builtin.agent_quarantined", Rule: alerting.Rule{Name: "Agent quarantined", EventType: AgentQuarantined.CEType(), Threshold: 1,
			WindowSeconds: 60, GroupBy: []string{"agent_id"}, Severity: "high", Title: "Agent {agent_id} quarantined: {reason}", Enabled: true}},
		{ID: "builtin.agent_killed", Rule: alerting.Rule{Name: "Agent kill switch", EventType: KillSwitchActivated.CEType(), Threshold: 1,
			WindowSeconds: 60, GroupBy: []string{"agent_id"}, Severity: "critical", Title: "Agent {agent_id} killed: {reason}", Enabled: true}},
		{ID: "builtin.gateway_kill_switch", Rule: alerting.Rule{Name: "Gateway kill switch", EventType: gw.KillSwitchActivated.CEType(),
			Threshold: 1, WindowSeconds: 60, GroupBy: []string{"switch_id"}, Severity: "high", Title: "Gateway kill switch ({scope.kind}): {reason}", Enabled: true}},
		{ID: "builtin.gateway_blocks", Rule: alerting.Rule{Name: "Gateway blocks above rate", EventType: gw.RequestBlocked.CEType(),
			Threshold: 20, WindowSeconds: 300, CooldownSeconds: 900, Severity: "medium", Title: "20 or more gateway requests blocked within 5 minutes", Enabled: true}},
		{ID: "builtin.gateway_injection", Rule: alerting.Rule{Name: "Prompt injection attempts", EventType: gw.RequestBlocked.CEType(),
			Match: map[string]string{"blocked_by": "injection_detection"}, Threshold: 3, WindowSeconds: 600, GroupBy: []string{"principal"},
			CooldownSeconds: 3600, Severity: "high", Title: "Repeated prompt injection attempts by {principal}", Enabled: true}},
		{ID: "builtin.gateway_budget", Rule: alerting.Rule{Name: "Budget exceeded", EventType: gw.BudgetExceeded.CEType(), Threshold: 1,
			WindowSeconds: day, GroupBy: []string{"budget_id", "window"}, Severity: "medium", Title: "Budget {subject} exceeded ({window})", Enabled: true}},
		{ID: "builtin.shadow_ai", Rule: alerting.Rule{Name: "Shadow AI detected", EventType: ShadowAiDetected.CEType(), Match: map[string]string{"attribution": "shadow"},
			Threshold: 1, WindowSeconds: day, GroupBy: []string{"service_host", "source"}, Severity: alerting.SeverityInherit,
			Title: "Shadow AI: {source} uses {service} ({service_host})", Enabled: true}},
		{ID: "builtin.mcp_tool_drift", Rule: alerting.Rule{Name: "MCP tool drift", EventType: McpToolDrift.CEType(), Threshold: 1,
			WindowSeconds: 3600, GroupBy: []string{"server_id", "tool"}, Severity: "high", Title: "MCP tool {tool} changed after approval (server {server_id})", Enabled: true}},
	}
}
