package aegis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/mcp"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// mcpTables are the MCP firewall's read models.
var mcpTables = []string{"mcp_servers", "mcp_tools", "mcp_approvals", "mcp_drifts", "mcp_rules", "mcp_sessions", "mcp_decisions"}

const mcpSetup = `
	CREATE TABLE %[1]s.mcp_servers (
		id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, transport text NOT NULL, url text NOT NULL,
		trust_level text NOT NULL, approval_state text NOT NULL, removed boolean NOT NULL DEFAULT false, version bigint NOT NULL,
		created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.mcp_servers (tenant_id, created_at DESC, id DESC);
	CREATE TABLE %[1]s.mcp_tools (
		server_id text NOT NULL, tenant_id text NOT NULL, name text NOT NULL, tool jsonb NOT NULL, hash text NOT NULL, approved_hash text NOT NULL,
		state text NOT NULL, findings jsonb NOT NULL, severity text NOT NULL, scanner_version text NOT NULL, updated_at timestamptz NOT NULL,
		PRIMARY KEY (server_id, name));
	CREATE TABLE %[1]s.mcp_approvals (
		tenant_id text NOT NULL, server_id text NOT NULL, version bigint NOT NULL, from_state text NOT NULL, to_state text NOT NULL,
		reason text NOT NULL, actor text NOT NULL, at timestamptz NOT NULL, approved jsonb NOT NULL, held text[] NOT NULL,
		PRIMARY KEY (server_id, version));
	CREATE TABLE %[1]s.mcp_drifts (
		event_id text PRIMARY KEY, tenant_id text NOT NULL, server_id text NOT NULL, tool text NOT NULL, approved_hash text NOT NULL,
		previous_hash text NOT NULL, new_hash text NOT NULL, changes jsonb NOT NULL, findings jsonb NOT NULL, at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.mcp_drifts (server_id, at DESC);
	CREATE TABLE %[1]s.mcp_rules (
		id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, kind text NOT NULL, enabled boolean NOT NULL, priority int NOT NULL,
		spec jsonb NOT NULL, version int NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.mcp_rules (tenant_id, priority, created_at, id);
	CREATE TABLE %[1]s.mcp_sessions (
		id text PRIMARY KEY, tenant_id text NOT NULL, server_id text NOT NULL, principal text NOT NULL, agent_id text NOT NULL,
		protocol_version text NOT NULL, client_name text NOT NULL, client_version text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz);
	CREATE TABLE %[1]s.mcp_decisions (
		id text PRIMARY KEY, tenant_id text NOT NULL, server_id text NOT NULL, session_id text NOT NULL, agent_id text NOT NULL, principal text NOT NULL,
		source text NOT NULL, stage text NOT NULL, tool text NOT NULL, tool_hash text NOT NULL, outcome text NOT NULL, rule_id text NOT NULL,
		rule_name text NOT NULL, reason text NOT NULL, findings jsonb NOT NULL, labels text[] NOT NULL, arguments text NOT NULL,
		at timestamptz NOT NULL, latency_us bigint NOT NULL);
	CREATE INDEX ON %[1]s.mcp_decisions (tenant_id, at DESC, id DESC);
`

func strs(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// mcpApply registers the MCP firewall's appliers.
func mcpApply(t *projections.Table) {
	projections.On(t, aegis.McpServerRegistered, projections.Exec(func(e *eventstore.Event, d *aegis.McpServerRegisteredV1) (string, []any) {
		return `INSERT INTO %[1]s.mcp_servers (id, tenant_id, name, description, transport, url, trust_level, approval_state, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ServerID, e.TenantID, d.Name, d.Description, d.Transport, d.URL, d.TrustLevel, d.ApprovalState, e.Version, e.Time}
	}))
	projections.On(t, aegis.McpServerUpdated, projections.Exec(func(e *eventstore.Event, d *aegis.McpServerUpdatedV1) (string, []any) {
		return `UPDATE %[1]s.mcp_servers SET name = coalesce($2, name), description = coalesce($3, description), url = coalesce($4, url),
			trust_level = coalesce($5, trust_level), approval_state = $6, version = $7, updated_at = $8 WHERE id = $1`,
			[]any{d.ServerID, d.Name, d.Description, d.URL, d.TrustLevel, d.ApprovalState, e.Version, e.Time}
	}))
	projections.On(t, aegis.McpServerApprovalChanged, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *aegis.McpServerApprovalChangedV1) error {
		if _, err := tx.Exec(ctx, `UPDATE `+s+`.mcp_servers SET approval_state = $2, version = $3, updated_at = $4 WHERE id = $1`,
			d.ServerID, d.To, e.Version, e.Time); err != nil {
			return err
		}
		for _, a := range d.Approved {
			if _, err := tx.Exec(ctx, `UPDATE `+s+`.mcp_tools SET approved_hash = $3, state = CASE WHEN hash = $3 THEN 'approved' ELSE state END,
				updated_at = $4 WHERE server_id = $1 AND name = $2`, d.ServerID, a.Tool, a.Hash, e.Time); err != nil {
				return err
			}
		}
		approved := d.Approved
		if approved == nil {
			approved = []aegis.ToolApproval{}
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.mcp_approvals (tenant_id, server_id, version, from_state, to_state, reason, actor, at, approved, held)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			e.TenantID, d.ServerID, e.Version, d.From, d.To, d.Reason, e.Actor, e.Time, approved, strs(d.Held))
		return err
	})
	projections.On(t, aegis.McpToolsPinned, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *aegis.McpToolsPinnedV1) error {
		if _, err := tx.Exec(ctx, `DELETE FROM `+s+`.mcp_tools WHERE server_id = $1`, d.ServerID); err != nil {
			return err
		}
		for _, p := range d.Tools {
			findings := p.Findings
			if findings == nil {
				findings = []mcp.Finding{}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.mcp_tools (server_id, tenant_id, name, tool, hash, approved_hash, state, findings, severity,
				scanner_version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				d.ServerID, e.TenantID, p.Tool.Name, p.Tool, p.Hash, p.ApprovedHash, p.State, findings, mcp.Worst(findings), d.ScannerVersion, e.Time); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE `+s+`.mcp_servers SET version = $2, updated_at = $3 WHERE id = $1`, d.ServerID, e.Version, e.Time)
		return err
	})
	projections.On(t, aegis.McpToolDrift, projections.Exec(func(e *eventstore.Event, d *aegis.McpToolDriftV1) (string, []any) {
		changes, findings := d.Changes, d.Findings
		if changes == nil {
			changes = []mcp.Change{}
		}
		if findings == nil {
			findings = []mcp.Finding{}
		}
		return `INSERT INTO %[1]s.mcp_drifts (event_id, tenant_id, server_id, tool, approved_hash, previous_hash, new_hash, changes, findings, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			[]any{e.ID.String(), e.TenantID, d.ServerID, d.Tool, d.ApprovedHash, d.PreviousHash, d.NewHash, changes, findings, e.Time}
	}))
	projections.On(t, aegis.McpServerRemoved, projections.Exec(func(e *eventstore.Event, d *aegis.McpServerRemovedV1) (string, []any) {
		return `UPDATE %[1]s.mcp_servers SET removed = true, version = $2, updated_at = $3 WHERE id = $1`, []any{d.ServerID, e.Version, e.Time}
	}))
	ruleVersioned := projections.Exec(func(e *eventstore.Event, d *aegis.McpRuleVersionedV1) (string, []any) {
		return `INSERT INTO %[1]s.mcp_rules (id, tenant_id, name, kind, enabled, priority, spec, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
			enabled = excluded.enabled, priority = excluded.priority, spec = excluded.spec, version = excluded.version, updated_at = excluded.updated_at`,
			[]any{d.RuleID, e.TenantID, d.Rule.Name, d.Rule.Kind, d.Rule.Enabled, d.Rule.Priority, d.Rule, d.Version, e.Time}
	})
	projections.On(t, aegis.McpRuleCreated, ruleVersioned)
	projections.On(t, aegis.McpRuleUpdated, ruleVersioned)
	projections.On(t, aegis.McpRuleDeleted, projections.Exec(func(_ *eventstore.Event, d *aegis.McpRuleDeletedV1) (string, []any) {
		return `DELETE FROM %[1]s.mcp_rules WHERE id = $1`, []any{d.RuleID}
	}))
	projections.On(t, aegis.McpSessionStarted, projections.Exec(func(e *eventstore.Event, d *aegis.McpSessionStartedV1) (string, []any) {
		return `INSERT INTO %[1]s.mcp_sessions (id, tenant_id, server_id, principal, agent_id, protocol_version, client_name, client_version, started_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			[]any{d.SessionID, e.TenantID, d.ServerID, d.Principal, d.AgentID, d.ProtocolVersion, d.ClientName, d.ClientVersion, e.Time}
	}))
	projections.On(t, aegis.McpSessionEnded, projections.Exec(func(e *eventstore.Event, d *aegis.McpSessionEndedV1) (string, []any) {
		return `UPDATE %[1]s.mcp_sessions SET ended_at = $2 WHERE id = $1`, []any{d.SessionID, e.Time}
	}))
	decided := projections.Exec(func(e *eventstore.Event, d *aegis.McpDecisionV1) (string, []any) {
		findings := d.Findings
		if findings == nil {
			findings = []mcp.Finding{}
		}
		return `INSERT INTO %[1]s.mcp_decisions (id, tenant_id, server_id, session_id, agent_id, principal, source, stage, tool, tool_hash, outcome,
			rule_id, rule_name, reason, findings, labels, arguments, at, latency_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) ON CONFLICT DO NOTHING`,
			[]any{d.DecisionID, e.TenantID, d.ServerID, d.SessionID, d.AgentID, d.Principal, d.Source, d.Stage, d.Tool, d.ToolHash, d.Outcome,
				d.RuleID, d.RuleName, d.Reason, findings, strs(d.Labels), d.Arguments, d.At, d.LatencyMicros}
	})
	projections.On(t, aegis.McpCallAllowed, decided)
	projections.On(t, aegis.McpCallBlocked, decided)
}

// McpServer is an MCP server as the firewall lists it.
type McpServer struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	Transport     string `json:"transport" enum:"streamable_http"`
	URL           string `json:"url"`
	TrustLevel    string `json:"trust_level" enum:"untrusted,low,medium,high"`
	ApprovalState string `json:"approval_state" enum:"quarantined,approved,rejected"`
	// Tools counts its tools by pin state; Flagged those with scan findings.
	Tools     map[string]int `json:"tools"`
	Flagged   int            `json:"flagged"`
	Removed   bool           `json:"removed"`
	Version   int64          `json:"version"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// Approvals is the approval history, oldest first (one server only).
	Approvals []McpApproval `json:"approvals,omitempty"`
}

// McpApproval is one approval decision on a server.
type McpApproval struct {
	From     string               `json:"from"`
	To       string               `json:"to"`
	Reason   string               `json:"reason"`
	Actor    string               `json:"actor"`
	At       time.Time            `json:"at"`
	Approved []aegis.ToolApproval `json:"approved"`
	Held     []string             `json:"held"`
}

const mcpServerColumns = `s.id, s.name, s.description, s.transport, s.url, s.trust_level, s.approval_state, s.removed, s.version, s.created_at, s.updated_at,
	coalesce((SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) n FROM %[1]s.mcp_tools t WHERE t.server_id = s.id GROUP BY state) c), '{}'),
	(SELECT count(*) FROM %[1]s.mcp_tools t WHERE t.server_id = s.id AND jsonb_array_length(t.findings) > 0)`

func scanMcpServer(r pgx.CollectableRow) (McpServer, error) {
	var s McpServer
	err := r.Scan(&s.ID, &s.Name, &s.Description, &s.Transport, &s.URL, &s.TrustLevel, &s.ApprovalState, &s.Removed, &s.Version, &s.CreatedAt,
		&s.UpdatedAt, &s.Tools, &s.Flagged)
	return s, err
}

// McpServers lists the tenant's MCP servers, newest first (removed ones left out).
func (q *Queries) McpServers(ctx context.Context, tenant, approval string, p projections.PageRequest) (projections.Page[McpServer], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".mcp_servers s", fmt.Sprintf(mcpServerColumns, s)).Where("s.tenant_id = ?", tenant).Where("NOT s.removed").
			WhereIf(approval != "", "s.approval_state = ?", approval).
			OrderBy(true, projections.TimeKey("s.created_at"), projections.TextKey("s.id"))
	}, p, scanMcpServer, func(s McpServer) []any { return []any{s.CreatedAt, s.ID} })
}

// McpServer reads one server with its approval history.
func (q *Queries) McpServer(ctx context.Context, tenant, id string) (*McpServer, error) {
	s, err := projections.OneOr(ctx, q.Runner, Name, tenant, mcp.ErrServerNotFound, scanMcpServer, func(s string) string {
		return `SELECT ` + fmt.Sprintf(mcpServerColumns, s) + ` FROM ` + s + `.mcp_servers s WHERE s.tenant_id = $1 AND s.id = $2`
	}, tenant, id)
	if err != nil {
		return nil, err
	}
	err = q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, sc string) error {
		rows, _ := tx.Query(ctx, `SELECT from_state, to_state, reason, actor, at, approved, held FROM `+sc+`.mcp_approvals
			WHERE server_id = $1 ORDER BY version`, id)
		s.Approvals, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (McpApproval, error) {
			var a McpApproval
			err := r.Scan(&a.From, &a.To, &a.Reason, &a.Actor, &a.At, &a.Approved, &a.Held)
			return a, err
		})
		return err
	})
	if s.Approvals == nil {
		s.Approvals = []McpApproval{}
	}
	return s, err
}

// McpTool is one tool of a server with its pin and scan findings.
type McpTool struct {
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Tool         mcp.Tool      `json:"definition"`
	Hash         string        `json:"hash"`
	ApprovedHash string        `json:"approved_hash"`
	State        string        `json:"state" enum:"approved,pending,changed,removed"`
	Findings     []mcp.Finding `json:"findings"`
	// Severity is the worst finding's ("" none).
	Severity       string    `json:"severity"`
	ScannerVersion string    `json:"scanner_version"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Drifts lists the tool's recorded drifts, newest first.
	Drifts []McpDrift `json:"drifts"`
}

// McpDrift is one recorded drift of a tool.
type McpDrift struct {
	ApprovedHash string       `json:"approved_hash"`
	PreviousHash string       `json:"previous_hash"`
	NewHash      string       `json:"new_hash"`
	Changes      []mcp.Change `json:"changes"`
	At           time.Time    `json:"at"`
}

// McpTools lists a server's tools by name (a complete list).
func (q *Queries) McpTools(ctx context.Context, tenant, serverID string) ([]McpTool, error) {
	if _, err := q.McpServer(ctx, tenant, serverID); err != nil {
		return nil, err
	}
	var out []McpTool
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT t.name, t.tool, t.hash, t.approved_hash, t.state, t.findings, t.severity, t.scanner_version, t.updated_at,
			coalesce((SELECT jsonb_agg(jsonb_build_object('approved_hash', d.approved_hash, 'previous_hash', d.previous_hash, 'new_hash', d.new_hash,
				'changes', d.changes, 'at', d.at) ORDER BY d.at DESC) FROM `+s+`.mcp_drifts d WHERE d.server_id = t.server_id AND d.tool = t.name), '[]')
			FROM `+s+`.mcp_tools t WHERE t.tenant_id = $1 AND t.server_id = $2 ORDER BY t.name`, tenant, serverID)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (McpTool, error) {
			var t McpTool
			err := r.Scan(&t.Name, &t.Tool, &t.Hash, &t.ApprovedHash, &t.State, &t.Findings, &t.Severity, &t.ScannerVersion, &t.UpdatedAt, &t.Drifts)
			t.Description = t.Tool.Description
			return t, err
		})
		return err
	})
	if out == nil {
		out = []McpTool{}
	}
	return out, err
}

// McpRule is a firewall rule as listed.
type McpRule struct {
	ID string `json:"id"`
	mcp.RuleSpec
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func scanMcpRule(r pgx.CollectableRow) (McpRule, error) {
	var m McpRule
	err := r.Scan(&m.ID, &m.RuleSpec, &m.Version, &m.CreatedAt, &m.UpdatedAt)
	return m, err
}

// McpRules lists the tenant's firewall rules in evaluation order.
func (q *Queries) McpRules(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[McpRule], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".mcp_rules", `id, spec, version, created_at, updated_at`).Where("tenant_id = ?", tenant).
			OrderBy(false, projections.IntKey("priority"), projections.TimeKey("created_at"), projections.TextKey("id"))
	}, p, scanMcpRule, func(m McpRule) []any { return []any{m.Priority, m.CreatedAt, m.ID} })
}

// McpRule reads one rule.
func (q *Queries) McpRule(ctx context.Context, tenant, id string) (*McpRule, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, mcp.ErrRuleNotFound, scanMcpRule, func(s string) string {
		return `SELECT id, spec, version, created_at, updated_at FROM ` + s + `.mcp_rules WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// McpFirewall is what the proxy holds of a tenant: its live servers with
// their tools, and its rules.
type McpFirewall struct {
	Servers map[string]McpServerState
	Rules   []mcp.Rule
}

// McpServerState is a server as the proxy judges calls to it.
type McpServerState struct {
	ID, URL, ApprovalState string
	Tools                  map[string]mcp.Pinned
}

// McpFirewallOf reads a tenant's firewall state.
func (q *Queries) McpFirewallOf(ctx context.Context, tenant string) (*McpFirewall, error) {
	fw := &McpFirewall{Servers: map[string]McpServerState{}}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT id, url, approval_state FROM `+s+`.mcp_servers WHERE tenant_id = $1 AND NOT removed`, tenant)
		servers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (McpServerState, error) {
			var m McpServerState
			err := r.Scan(&m.ID, &m.URL, &m.ApprovalState)
			m.Tools = map[string]mcp.Pinned{}
			return m, err
		})
		if err != nil {
			return err
		}
		for _, m := range servers {
			fw.Servers[m.ID] = m
		}
		rows, _ = tx.Query(ctx, `SELECT server_id, tool, hash, approved_hash, state, findings FROM `+s+`.mcp_tools WHERE tenant_id = $1`, tenant)
		var sid string
		var p mcp.Pinned
		if _, err := pgx.ForEachRow(rows, []any{&sid, &p.Tool, &p.Hash, &p.ApprovedHash, &p.State, &p.Findings}, func() error {
			if m, ok := fw.Servers[sid]; ok {
				m.Tools[p.Tool.Name] = p
			}
			p = mcp.Pinned{}
			return nil
		}); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT id, version, spec FROM `+s+`.mcp_rules WHERE tenant_id = $1`, tenant)
		fw.Rules, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (mcp.Rule, error) {
			var m mcp.Rule
			err := r.Scan(&m.ID, &m.Version, &m.Spec)
			return m, err
		})
		return err
	})
	return fw, err
}

// McpSession is a proxy session.
type McpSession struct {
	ID, TenantID, ServerID, Principal, AgentID, ProtocolVersion string
	Ended                                                       bool
}

// McpSession reads a session of the tenant (nil when none).
func (q *Queries) McpSession(ctx context.Context, tenant, id string) (*McpSession, error) {
	return projections.One(ctx, q.Runner, Name, tenant, func(r pgx.CollectableRow) (McpSession, error) {
		var m McpSession
		err := r.Scan(&m.ID, &m.TenantID, &m.ServerID, &m.Principal, &m.AgentID, &m.ProtocolVersion, &m.Ended)
		return m, err
	}, func(s string) string {
		return `SELECT id, tenant_id, server_id, principal, agent_id, protocol_version, ended_at IS NOT NULL FROM ` + s + `.mcp_sessions WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// McpDecision is one recorded firewall decision.
type McpDecision struct {
	ID        string        `json:"id"`
	ServerID  string        `json:"server_id"`
	SessionID string        `json:"session_id"`
	AgentID   string        `json:"agent_id"`
	Principal string        `json:"principal"`
	Source    string        `json:"source" enum:"proxy,inspect"`
	Stage     string        `json:"stage" enum:"list,call,result"`
	Tool      string        `json:"tool"`
	ToolHash  string        `json:"tool_hash"`
	Outcome   string        `json:"outcome" enum:"allowed,blocked"`
	RuleID    string        `json:"rule_id"`
	RuleName  string        `json:"rule_name"`
	Reason    string        `json:"reason"`
	Findings  []mcp.Finding `json:"findings"`
	Labels    []string      `json:"labels"`
	At        time.Time     `json:"at"`
	// LatencyMicros is what the firewall added (µs).
	LatencyMicros int64 `json:"latency_us"`
	// sealed arguments, for the backtest only
	arguments string
}

// SealedArguments are the decision's sealed arguments (for a backtest).
func (d McpDecision) SealedArguments() string { return d.arguments }

// DecisionFilter narrows the decision log.
type DecisionFilter struct {
	ServerID, Outcome, Tool, Stage, AgentID, SessionID string
	From, To                                           *time.Time
}

const decisionColumns = `id, server_id, session_id, agent_id, principal, source, stage, tool, tool_hash, outcome, rule_id, rule_name, reason, findings,
	labels, at, latency_us, arguments`

func scanDecision(r pgx.CollectableRow) (McpDecision, error) {
	var d McpDecision
	err := r.Scan(&d.ID, &d.ServerID, &d.SessionID, &d.AgentID, &d.Principal, &d.Source, &d.Stage, &d.Tool, &d.ToolHash, &d.Outcome, &d.RuleID,
		&d.RuleName, &d.Reason, &d.Findings, &d.Labels, &d.At, &d.LatencyMicros, &d.arguments)
	return d, err
}

func decisionList(s, tenant string, f DecisionFilter) *projections.List {
	return projections.NewList(s+".mcp_decisions", decisionColumns).Where("tenant_id = ?", tenant).
		WhereIf(f.ServerID != "", "server_id = ?", f.ServerID).WhereIf(f.Outcome != "", "outcome = ?", f.Outcome).
		WhereIf(f.Tool != "", "tool = ?", f.Tool).WhereIf(f.Stage != "", "stage = ?", f.Stage).WhereIf(f.AgentID != "", "agent_id = ?", f.AgentID).
		WhereIf(f.SessionID != "", "session_id = ?", f.SessionID).
		WhereIf(f.From != nil, "at >= ?", f.From).WhereIf(f.To != nil, "at < ?", f.To)
}

// McpDecisions lists the decision log, newest first.
func (q *Queries) McpDecisions(ctx context.Context, tenant string, f DecisionFilter, p projections.PageRequest) (projections.Page[McpDecision], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return decisionList(s, tenant, f).OrderBy(true, projections.TimeKey("at"), projections.TextKey("id"))
	}, p, scanDecision, func(d McpDecision) []any { return []any{d.At, d.ID} })
}

// McpCallDecisions reads every call decision of a period, oldest first, at
// most limit (a backtest's input).
func (q *Queries) McpCallDecisions(ctx context.Context, tenant string, f DecisionFilter, limit int) ([]McpDecision, error) {
	var out []McpDecision
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		args := []any{tenant}
		where := "tenant_id = $1 AND stage = 'call'"
		add := func(cond string, v any) {
			args = append(args, v)
			where += fmt.Sprintf(" AND "+cond, len(args))
		}
		if f.ServerID != "" {
			add("server_id = $%d", f.ServerID)
		}
		if f.From != nil {
			add("at >= $%d", *f.From)
		}
		if f.To != nil {
			add("at < $%d", *f.To)
		}
		args = append(args, limit)
		rows, _ := tx.Query(ctx, `SELECT `+decisionColumns+` FROM `+s+`.mcp_decisions WHERE `+where+fmt.Sprintf(` ORDER BY at, id LIMIT $%d`, len(args)), args...)
		var err error
		out, err = pgx.CollectRows(rows, scanDecision)
		return err
	})
	return out, err
}

// McpSessionLabels are the labels a session's results carried so far.
func (q *Queries) McpSessionLabels(ctx context.Context, tenant, id string) ([]string, error) {
	var out []string
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT DISTINCT l FROM `+s+`.mcp_decisions, unnest(labels) l WHERE tenant_id = $1 AND session_id = $2 ORDER BY l`, tenant, id)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}
