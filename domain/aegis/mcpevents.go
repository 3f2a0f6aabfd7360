package aegis

import (
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/aegis/mcp"
	"github.com/astrabastion/astra/domain/events"
)

// Event types of the MCP firewall and Shadow AI discovery.
var (
	McpServerRegistered      = evt("McpServerRegistered", func() any { return &McpServerRegisteredV1{} })
	McpServerUpdated         = evt("McpServerUpdated", func() any { return &McpServerUpdatedV1{} })
	McpServerApprovalChanged = evt("McpServerApprovalChanged", func() any { return &McpServerApprovalChangedV1{} })
	McpServerRemoved         = evt("McpServerRemoved", func() any { return &McpServerRemovedV1{} })
	McpToolsPinned           = evt("McpToolsPinned", func() any { return &McpToolsPinnedV1{} })
	// McpToolDrift is on aegis.mcp.tool_drift: an approved tool changed (a rug pull).
	McpToolDrift        = evt("McpToolDrift", func() any { return &McpToolDriftV1{} }, "aegis.mcp.tool_drift")
	McpRuleCreated      = evt("McpRuleCreated", func() any { return &McpRuleVersionedV1{} })
	McpRuleUpdated      = evt("McpRuleUpdated", func() any { return &McpRuleVersionedV1{} })
	McpRuleDeleted      = evt("McpRuleDeleted", func() any { return &McpRuleDeletedV1{} })
	McpSessionStarted   = evt("McpSessionStarted", func() any { return &McpSessionStartedV1{} })
	McpSessionEnded     = evt("McpSessionEnded", func() any { return &McpSessionEndedV1{} })
	McpCallAllowed      = evt("McpCallAllowed", func() any { return &McpDecisionV1{} }).AsTraffic()
	McpCallBlocked      = evt("McpCallBlocked", func() any { return &McpDecisionV1{} }, "aegis.mcp.call_blocked").AsTraffic()
	ShadowAiDetected    = evt("ShadowAiDetected", func() any { return &ShadowAiDetectedV1{} }, "aegis.shadow_ai.detected")
	ShadowAiTriaged     = evt("ShadowAiTriaged", func() any { return &ShadowAiTriagedV1{} })
	ShadowAiLogIngested = evt("ShadowAiLogIngested", func() any { return &ShadowAiLogIngestedV1{} })
)

func init() {
	events.Register(McpServerRegistered, McpServerUpdated, McpServerApprovalChanged, McpServerRemoved, McpToolsPinned, McpToolDrift,
		McpRuleCreated, McpRuleUpdated, McpRuleDeleted, McpSessionStarted, McpSessionEnded, McpCallAllowed, McpCallBlocked,
		ShadowAiDetected, ShadowAiTriaged, ShadowAiLogIngested)
}

// Approval states of an MCP server.
const (
	ApprovalQuarantined = "quarantined"
	ApprovalApproved    = "approved"
	ApprovalRejected    = "rejected"
)

// ApprovalStates lists the approval states.
var ApprovalStates = []string{ApprovalQuarantined, ApprovalApproved, ApprovalRejected}

// Trust levels of an MCP server.
var TrustLevels = []string{"untrusted", "low", "medium", "high"}

// McpServerProfile is what the firewall knows of an MCP server.
type McpServerProfile struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Transport is streamable_http (stdio servers are out of scope: they run on the client's machine).
	Transport  string `json:"transport"`
	URL        string `json:"url"`
	TrustLevel string `json:"trust_level"`
}

// McpServerRegisteredV1 records a server, quarantined until approved.
type McpServerRegisteredV1 struct {
	ServerID string `json:"server_id"`
	TenantID string `json:"tenant_id"`
	McpServerProfile
	ApprovalState string `json:"approval_state"`
}

// McpServerUpdatedV1 records changed fields (nil: unchanged). A new URL
// puts the server back in quarantine (ApprovalState says where it is after).
type McpServerUpdatedV1 struct {
	ServerID      string  `json:"server_id"`
	Name          *string `json:"name,omitempty"`
	Description   *string `json:"description,omitempty"`
	URL           *string `json:"url,omitempty"`
	TrustLevel    *string `json:"trust_level,omitempty"`
	ApprovalState string  `json:"approval_state"`
}

// ToolApproval records that a person approved one tool definition (its
// pin) after the scan of ScannerVersion: every call recorded later names
// the pin it ran against, which proves it ran against an approved tool.
type ToolApproval struct {
	Tool           string    `json:"tool"`
	Hash           string    `json:"hash"`
	ScannerVersion string    `json:"scanner_version"`
	Findings       int       `json:"findings"`
	ApprovedBy     string    `json:"approved_by"`
	ApprovedAt     time.Time `json:"approved_at"`
}

// McpServerApprovalChangedV1 records an approval decision on a server
// and, on approval, the tools approved (their pins).
type McpServerApprovalChangedV1 struct {
	ServerID string         `json:"server_id"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Reason   string         `json:"reason,omitempty"`
	Approved []ToolApproval `json:"approved"`
	// Held are tools left pending: flagged by the scan at high or critical severity.
	Held []string `json:"held"`
}

// McpServerRemovedV1 records a server's removal (its history stays).
type McpServerRemovedV1 struct {
	ServerID string `json:"server_id"`
	Reason   string `json:"reason,omitempty"`
}

// McpToolsPinnedV1 records the server's tool inventory after a fetch of
// tools/list: each tool's pin, state and scan findings.
type McpToolsPinnedV1 struct {
	ServerID string       `json:"server_id"`
	Source   string       `json:"source"` // scan, approval or proxy
	Tools    []mcp.Pinned `json:"tools"`
	// ScannerVersion is the poisoning scan that judged them.
	ScannerVersion string `json:"scanner_version"`
}

// McpToolDriftV1 records an approved tool whose definition changed: the
// diff, and the scan's findings on the new definition.
type McpToolDriftV1 struct {
	ServerID string `json:"server_id"`
	mcp.Drift
	Findings []mcp.Finding `json:"findings"`
}

// McpRuleVersionedV1 records a firewall rule (created or updated), whole.
type McpRuleVersionedV1 struct {
	RuleID   string       `json:"rule_id"`
	TenantID string       `json:"tenant_id"`
	Version  int          `json:"version"`
	Rule     mcp.RuleSpec `json:"rule"`
}

// McpRuleDeletedV1 records a firewall rule's removal.
type McpRuleDeletedV1 struct {
	RuleID string `json:"rule_id"`
}

// McpSessionStartedV1 records a proxy session (an MCP client's initialize):
// it lives in the ledger and the read model, so that any instance serves
// its next request.
type McpSessionStartedV1 struct {
	SessionID       string `json:"session_id"`
	ServerID        string `json:"server_id"`
	Principal       string `json:"principal"`
	AgentID         string `json:"agent_id,omitempty"`
	ProtocolVersion string `json:"protocol_version"`
	ClientName      string `json:"client_name,omitempty"`
	ClientVersion   string `json:"client_version,omitempty"`
}

// McpSessionEndedV1 records a session closed by its client (DELETE).
type McpSessionEndedV1 struct {
	SessionID string `json:"session_id"`
}

// Stages of a decision.
const (
	StageList   = "list"
	StageCall   = "call"
	StageResult = "result"
)

// McpDecisionV1 records one firewall decision: a call allowed or blocked
// (and why), or a result inspected. Arguments are sealed under the
// tenant's monthly content key; ToolHash is the pin the call ran against.
type McpDecisionV1 struct {
	DecisionID string `json:"decision_id"`
	ServerID   string `json:"server_id"`
	SessionID  string `json:"session_id,omitempty"`
	AgentID    string `json:"agent_id,omitempty"`
	Principal  string `json:"principal,omitempty"`
	// Source is proxy (inline) or inspect (a gateway that only asked).
	Source string `json:"source"`
	Stage  string `json:"stage"`
	Tool   string `json:"tool,omitempty"`
	// ToolHash is the pin of the tool definition the call was judged against.
	ToolHash     string   `json:"tool_hash,omitempty"`
	Arguments    string   `json:"arguments,omitempty"`
	Labels       []string `json:"labels"`
	mcp.Decision `json:"decision"`
	At           time.Time `json:"at"`
	// LatencyMicros is what the firewall added to the call (µs).
	LatencyMicros int64 `json:"latency_us"`
}

// Lifecycle states of a Shadow AI finding.
const (
	ShadowDetected     = "detected"
	ShadowSanctioned   = "sanctioned"
	ShadowUnsanctioned = "unsanctioned"
	ShadowBlocked      = "blocked"
)

// ShadowStates lists the lifecycle states of a finding.
var ShadowStates = []string{ShadowDetected, ShadowSanctioned, ShadowUnsanctioned, ShadowBlocked}

// ShadowAiDetectedV1 records use of an AI service by a source, as seen in
// one ingested log: the finding's totals grow by these.
type ShadowAiDetectedV1 struct {
	FindingID   string `json:"finding_id"`
	TenantID    string `json:"tenant_id"`
	IngestID    string `json:"ingest_id"`
	Service     string `json:"service"`
	ServiceHost string `json:"service_host"`
	Category    string `json:"category"`
	Source      string `json:"source"`
	// Attribution: shadow, sanctioned (the gateway fronts this provider for the tenant) or agent (a registered agent's).
	Attribution string    `json:"attribution"`
	AgentID     string    `json:"agent_id,omitempty"`
	MatchedBy   string    `json:"matched_by"` // host, sni, dns or user_agent
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Requests    int64     `json:"requests"`
	Bytes       int64     `json:"bytes"`
	Severity    string    `json:"severity"`
}

// ShadowAiTriagedV1 records a finding's lifecycle change.
type ShadowAiTriagedV1 struct {
	FindingID string `json:"finding_id"`
	From      string `json:"from"`
	To        string `json:"to"`
	Note      string `json:"note,omitempty"`
}

// ShadowAiLogIngestedV1 records one ingested log: lines read, matched,
// malformed (with the first few reasons).
type ShadowAiLogIngestedV1 struct {
	IngestID  string   `json:"ingest_id"`
	Format    string   `json:"format"`
	Lines     int64    `json:"lines"`
	Matched   int64    `json:"matched"`
	Malformed int64    `json:"malformed"`
	Errors    []string `json:"errors"`
	Findings  int      `json:"findings"`
}

// Streams of the MCP firewall and Shadow AI.

// StreamOfMcpServer names an MCP server's stream (profile, approval, pins, drift).
func StreamOfMcpServer(id string) string { return "aegis.mcp-server-" + id }

// StreamOfMcpRule names a firewall rule's stream.
func StreamOfMcpRule(id string) string { return "aegis.mcp-rule-" + id }

// StreamOfMcpSession names a proxy session's stream.
func StreamOfMcpSession(id string) string { return "aegis.mcp-session-" + id }

// StreamOfMcpDecision names one decision's stream.
func StreamOfMcpDecision(id string) string { return "aegis.mcp-decision-" + id }

// StreamOfShadowFinding names a Shadow AI finding's stream.
func StreamOfShadowFinding(id string) string { return "aegis.shadow-finding-" + id }

// StreamOfShadowIngest names an ingested log's stream.
func StreamOfShadowIngest(id string) string { return "aegis.shadow-ingest-" + id }

// Errors of Shadow AI discovery.
var (
	// ErrShadowFindingNotFound: no finding of that id in the tenant.
	ErrShadowFindingNotFound = errors.New("aegis: shadow ai finding not found")
	// ErrInvalidShadow: an unreadable log or a lifecycle change not allowed (the detail says which).
	ErrInvalidShadow = errors.New("aegis: invalid shadow ai input")
)
