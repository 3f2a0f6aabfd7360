// Package aegis is the domain of AEGIS, where a security team watches its
// AI agents: the agent inventory with its containment (quarantine, release,
// kill), agents' activity and the anomalies found in it, guardrails (their
// engine is the subpackage guardrail, shared with the gateway), alerts and
// the rules that raise them. No I/O and no clock: callers pass now.
package aegis

import (
	"time"

	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/domain/events"
)

// evt makes the module's event types.
var evt = events.Of("aegis")

// Event types of AEGIS.
var (
	AgentRegistered       = evt("AgentRegistered", func() any { return &AgentRegisteredV1{} })
	AgentUpdated          = evt("AgentUpdated", func() any { return &AgentUpdatedV1{} })
	AgentRetired          = evt("AgentRetired", func() any { return &AgentRetiredV1{} })
	AgentActivityRecorded = evt("AgentActivityRecorded", func() any { return &AgentActivityRecordedV1{} })
	// AgentAnomalyDetected is on the seed's channel, aegis.agent.anomaly.
	AgentAnomalyDetected = evt("AgentAnomalyDetected", func() any { return &AgentAnomalyDetectedV1{} }, "aegis.agent.anomaly")
	AgentQuarantined     = evt("AgentQuarantined", func() any { return &ContainmentV1{} })
	AgentReleased        = evt("AgentReleased", func() any { return &ContainmentV1{} })
	// KillSwitchActivated is on aegis.kill_switch.activated (derived).
	KillSwitchActivated = evt("KillSwitchActivated", func() any { return &ContainmentV1{} })
	// AgentDiscovered records gateway traffic under an API key no agent claims.
	AgentDiscovered = evt("AgentDiscovered", func() any { return &AgentDiscoveredV1{} })

	GuardrailCreated  = evt("GuardrailCreated", func() any { return &GuardrailVersionedV1{} })
	GuardrailUpdated  = evt("GuardrailUpdated", func() any { return &GuardrailVersionedV1{} })
	GuardrailEnabled  = evt("GuardrailEnabled", func() any { return &GuardrailToggledV1{} })
	GuardrailDisabled = evt("GuardrailDisabled", func() any { return &GuardrailToggledV1{} })
	GuardrailDeleted  = evt("GuardrailDeleted", func() any { return &GuardrailDeletedV1{} })

	AlertRaised       = evt("AlertRaised", func() any { return &AlertRaisedV1{} })
	AlertRepeated     = evt("AlertRepeated", func() any { return &AlertRepeatedV1{} })
	AlertAcknowledged = evt("AlertAcknowledged", func() any { return &AlertAcknowledgedV1{} })
	AlertAssigned     = evt("AlertAssigned", func() any { return &AlertAssignedV1{} })
	AlertResolved     = evt("AlertResolved", func() any { return &AlertResolvedV1{} })

	AlertRuleCreated = evt("AlertRuleCreated", func() any { return &AlertRuleVersionedV1{} })
	AlertRuleUpdated = evt("AlertRuleUpdated", func() any { return &AlertRuleVersionedV1{} })
	AlertRuleDeleted = evt("AlertRuleDeleted", func() any { return &AlertRuleDeletedV1{} })
)

func init() {
	events.Register(AgentRegistered, AgentUpdated, AgentRetired, AgentActivityRecorded, AgentAnomalyDetected,
		AgentQuarantined, AgentReleased, KillSwitchActivated, AgentDiscovered,
		GuardrailCreated, GuardrailUpdated, GuardrailEnabled, GuardrailDisabled, GuardrailDeleted,
		AlertRaised, AlertRepeated, AlertAcknowledged, AlertAssigned, AlertResolved,
		AlertRuleCreated, AlertRuleUpdated, AlertRuleDeleted)
}

// AgentRegisteredV1 records an agent in the inventory.
type AgentRegisteredV1 struct {
	AgentID  string `json:"agent_id"`
	TenantID string `json:"tenant_id"`
	Profile
}

// Profile is what the inventory knows of an agent.
type Profile struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Owner is who answers for the agent (a person or team, free text).
	Owner    string `json:"owner"`
	Model    string `json:"model"`
	Provider string `json:"provider,omitempty"`
	// Tools are the tools it is meant to use.
	Tools []string `json:"tools"`
	// Autonomy is how freely it acts: assistive, supervised or autonomous.
	Autonomy string `json:"autonomy_level"`
	// DataScopes are the data it may touch (e.g. "crm:read", "pii").
	DataScopes []string `json:"data_scopes"`
	// APIKeyIDs are the IAM API keys it uses at the gateway.
	APIKeyIDs []string `json:"api_key_ids"`
	// AutoQuarantine is the least anomaly severity that quarantines it
	// automatically ("" or "off": never).
	AutoQuarantine string `json:"auto_quarantine,omitempty"`
}

// AgentUpdatedV1 records changed fields of an agent (nil: unchanged). Keys
// carries its API keys after the change, whether or not they changed, so
// that the gateway's view of the agent follows from this event alone.
type AgentUpdatedV1 struct {
	AgentID        string    `json:"agent_id"`
	Name           *string   `json:"name,omitempty"`
	Description    *string   `json:"description,omitempty"`
	Owner          *string   `json:"owner,omitempty"`
	Model          *string   `json:"model,omitempty"`
	Provider       *string   `json:"provider,omitempty"`
	Tools          *[]string `json:"tools,omitempty"`
	Autonomy       *string   `json:"autonomy_level,omitempty"`
	DataScopes     *[]string `json:"data_scopes,omitempty"`
	APIKeyIDs      *[]string `json:"api_key_ids,omitempty"`
	AutoQuarantine *string   `json:"auto_quarantine,omitempty"`
	Keys           []string  `json:"keys"`
	// Status is the agent's containment status, unchanged by an update.
	Status string `json:"status"`
}

// AgentRetiredV1 records an agent's removal from the inventory.
type AgentRetiredV1 struct {
	AgentID string   `json:"agent_id"`
	Reason  string   `json:"reason,omitempty"`
	Keys    []string `json:"keys"`
}

// ContainmentV1 records a quarantine, a release or a kill. Keys are the
// agent's API keys at that moment, which the gateway refuses (or, on
// release, admits again).
type ContainmentV1 struct {
	AgentID string   `json:"agent_id"`
	Reason  string   `json:"reason"`
	Keys    []string `json:"keys"`
	// Automatic is set when an anomaly quarantined the agent (AnomalyID).
	Automatic bool   `json:"automatic,omitempty"`
	AnomalyID string `json:"anomaly_id,omitempty"`
	Severity  string `json:"severity,omitempty"`
}

// AgentDiscoveredV1 records the first gateway request under an API key that
// no agent claimed: an unregistered agent (or an application) to look at.
type AgentDiscoveredV1 struct {
	KeyID     string    `json:"key_id"`
	Endpoint  string    `json:"endpoint"`
	Provider  string    `json:"provider"`
	Model     string    `json:"model"`
	RequestID string    `json:"request_id"`
	FirstSeen time.Time `json:"first_seen"`
}

// StreamOfDiscovery names the stream of an API key's discovery in a tenant.
func StreamOfDiscovery(tenantID, keyID string) string {
	return "aegis.discovery-" + tenantID + "-" + keyID
}

// Sources of activity.
const (
	SourceAPI     = "api"     // our batch format
	SourceOTLP    = "otlp"    // OpenTelemetry GenAI spans
	SourceGateway = "gateway" // requests made with the agent's keys
)

// Kinds of actions.
const (
	ActionToolCall  = "tool_call"
	ActionLLMCall   = "llm_call"
	ActionHTTP      = "http_request"
	ActionData      = "data_access"
	ActionInvoke    = "agent_invoke"
	ActionOtherKind = "other"
)

// ActionKinds lists the kinds of actions.
var ActionKinds = []string{ActionToolCall, ActionLLMCall, ActionHTTP, ActionData, ActionInvoke, ActionOtherKind}

// Action is one thing an agent did.
type Action struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind" enum:"tool_call,llm_call,http_request,data_access,agent_invoke,other"`
	// Tool is the tool called (tool_call).
	Tool string `json:"tool,omitempty"`
	// Destination is the host reached (lower case, no port), when any; a
	// reported URL is kept as its host.
	Destination string `json:"destination,omitempty"`
	Model       string `json:"model,omitempty"`
	Tokens      int64  `json:"tokens,omitempty"`
	BytesOut    int64  `json:"bytes_out,omitempty"`
	BytesIn     int64  `json:"bytes_in,omitempty"`
	Error       bool   `json:"error,omitempty"`
	DataScope   string `json:"data_scope,omitempty"`
	DurationMs  int64  `json:"duration_ms,omitempty"`
}

// AgentActivityRecordedV1 records a batch of an agent's actions, in time order.
type AgentActivityRecordedV1 struct {
	AgentID string   `json:"agent_id"`
	BatchID string   `json:"batch_id"`
	Source  string   `json:"source"`
	Actions []Action `json:"actions"`
}

// Finding is one anomaly: what deviated and by how much.
type Finding struct {
	// Kind is new_tool, new_destination, burst or exfiltration.
	Kind     string `json:"kind" enum:"new_tool,new_destination,burst,exfiltration"`
	Severity string `json:"severity" enum:"low,medium,high,critical"`
	// Subject is the tool or host concerned ("" for the agent's rate).
	Subject string `json:"subject,omitempty"`
	// Metric is what was measured (calls per hour, bytes per hour to a host …).
	Metric   string  `json:"metric"`
	Observed float64 `json:"observed"`
	Expected float64 `json:"expected"`
	// Deviation is (observed − expected) / spread, the spread being the
	// baseline's mean absolute deviation scaled to a standard deviation (a
	// robust z-score).
	Deviation float64   `json:"deviation"`
	Detail    string    `json:"detail"`
	At        time.Time `json:"at"`
}

// AgentAnomalyDetectedV1 records activity outside an agent's baseline: what
// deviated and by how much.
type AgentAnomalyDetectedV1 struct {
	AnomalyID string `json:"anomaly_id"`
	AgentID   string `json:"agent_id"`
	BatchID   string `json:"batch_id"`
	Finding
}

// GuardrailVersionedV1 records a guardrail version: creation and every
// update carry the whole guardrail, so any version reads on its own.
type GuardrailVersionedV1 struct {
	GuardrailID string         `json:"guardrail_id"`
	TenantID    string         `json:"tenant_id"`
	Version     int            `json:"version"`
	Guardrail   guardrail.Spec `json:"guardrail"`
	// Enabled is the guardrail's state when this version was recorded.
	Enabled bool `json:"enabled"`
}

// GuardrailToggledV1 records a guardrail enabled or disabled.
type GuardrailToggledV1 struct {
	GuardrailID string `json:"guardrail_id"`
	Version     int    `json:"version"`
}

// GuardrailDeletedV1 records a guardrail's removal.
type GuardrailDeletedV1 struct {
	GuardrailID string `json:"guardrail_id"`
}

// AlertRaisedV1 records an alert (or its reopening, Occurrence > 1, when a
// resolved alert's dedup key fires again).
type AlertRaisedV1 struct {
	AlertID  string `json:"alert_id"`
	TenantID string `json:"tenant_id"`
	alerting.Firing
	Occurrence int `json:"occurrence"`
}

// AlertRepeatedV1 records another occurrence of an open alert (grouped into it).
type AlertRepeatedV1 struct {
	AlertID string `json:"alert_id"`
	CauseID string `json:"cause_id"`
	// Count is how many matching events the repeated firing stands for.
	Count int       `json:"count"`
	At    time.Time `json:"at"`
}

// AlertAcknowledgedV1 records that someone is on it.
type AlertAcknowledgedV1 struct {
	AlertID string `json:"alert_id"`
	Note    string `json:"note,omitempty"`
}

// AlertAssignedV1 records who owns an alert.
type AlertAssignedV1 struct {
	AlertID  string `json:"alert_id"`
	Assignee string `json:"assignee"`
	Note     string `json:"note,omitempty"`
}

// AlertResolvedV1 records an alert closed.
type AlertResolvedV1 struct {
	AlertID    string `json:"alert_id"`
	Resolution string `json:"resolution"`
	Note       string `json:"note,omitempty"`
}

// AlertRuleVersionedV1 records an alert rule (created or updated), whole.
type AlertRuleVersionedV1 struct {
	RuleID   string        `json:"rule_id"`
	TenantID string        `json:"tenant_id"`
	Version  int           `json:"version"`
	Rule     alerting.Rule `json:"rule"`
}

// AlertRuleDeletedV1 records an alert rule's removal.
type AlertRuleDeletedV1 struct {
	RuleID string `json:"rule_id"`
}

// Streams of AEGIS.

// StreamOfAgent names an agent's stream (profile and containment).
func StreamOfAgent(id string) string { return "aegis.agent-" + id }

// StreamOfActivity names an agent's activity stream (activity and anomalies),
// apart from its profile so that containment never loads its activity.
func StreamOfActivity(id string) string { return "aegis.activity-" + id }

// StreamOfGuardrail names a guardrail's stream.
func StreamOfGuardrail(id string) string { return "aegis.guardrail-" + id }

// StreamOfAlert names an alert's stream.
func StreamOfAlert(id string) string { return "aegis.alert-" + id }

// StreamOfAlertRule names an alert rule's stream.
func StreamOfAlertRule(id string) string { return "aegis.alert-rule-" + id }
