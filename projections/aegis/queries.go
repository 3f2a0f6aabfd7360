package aegis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/aegis/behaviour"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the AEGIS read models.
type Queries struct {
	Runner *projections.Runner
}

// Agent is an agent as the inventory lists it.
type Agent struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	Model       string   `json:"model"`
	Provider    string   `json:"provider"`
	Tools       []string `json:"tools"`
	Autonomy    string   `json:"autonomy_level" enum:"assistive,supervised,autonomous"`
	DataScopes  []string `json:"data_scopes"`
	APIKeyIDs   []string `json:"api_key_ids"`
	// AutoQuarantine is the least anomaly severity that quarantines the agent ("" never).
	AutoQuarantine string     `json:"auto_quarantine"`
	Status         string     `json:"status" enum:"active,quarantined,killed,retired"`
	StatusReason   string     `json:"status_reason,omitempty"`
	StatusAt       *time.Time `json:"status_at,omitempty"`
	StatusBy       string     `json:"status_by,omitempty"`
	// Actions counts the actions recorded; LastActivityAt is the latest one's time.
	Actions        int64      `json:"actions"`
	LastActivityAt *time.Time `json:"last_activity_at,omitempty"`
	// Anomalies7d counts its anomalies of the last seven days.
	Anomalies7d int       `json:"anomalies_7d"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

const agentColumns = `a.id, a.name, a.description, a.owner, a.model, a.provider, a.tools, a.autonomy, a.data_scopes, a.api_key_ids, a.auto_quarantine,
	a.status, a.status_reason, a.status_at, a.status_by, coalesce(b.actions, 0), b.last_activity_at,
	(SELECT count(*) FROM %[1]s.anomalies n WHERE n.agent_id = a.id AND n.at > now() - interval '7 days'), a.version, a.created_at, a.updated_at`

const agentFrom = `%[1]s.agents a LEFT JOIN %[1]s.baselines b ON b.agent_id = a.id`

func scanAgent(r pgx.CollectableRow) (Agent, error) {
	var a Agent
	err := r.Scan(&a.ID, &a.Name, &a.Description, &a.Owner, &a.Model, &a.Provider, &a.Tools, &a.Autonomy, &a.DataScopes, &a.APIKeyIDs,
		&a.AutoQuarantine, &a.Status, &a.StatusReason, &a.StatusAt, &a.StatusBy, &a.Actions, &a.LastActivityAt, &a.Anomalies7d, &a.Version,
		&a.CreatedAt, &a.UpdatedAt)
	return a, err
}

// AgentFilter narrows the agent list.
type AgentFilter struct {
	Status, Owner string
}

// Agents lists the tenant's agents, newest first (retired ones only when asked for).
func (q *Queries) Agents(ctx context.Context, tenant string, f AgentFilter, p projections.PageRequest) (projections.Page[Agent], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(fmt.Sprintf(agentFrom, s), fmt.Sprintf(agentColumns, s)).Where("a.tenant_id = ?", tenant).
			WhereIf(f.Status != "", "a.status = ?", f.Status).WhereIf(f.Status == "", "a.status <> 'retired'").
			WhereIf(f.Owner != "", "a.owner = ?", f.Owner).
			OrderBy(true, projections.TimeKey("a.created_at"), projections.TextKey("a.id"))
	}, p, scanAgent, func(a Agent) []any { return []any{a.CreatedAt, a.ID} })
}

// Agent reads one agent (ErrAgentNotFound when the tenant has none of that id).
func (q *Queries) Agent(ctx context.Context, tenant, id string) (*Agent, error) {
	return projections.Found[Agent](aegis.ErrAgentNotFound)(projections.One(ctx, q.Runner, Name, tenant, scanAgent, func(s string) string {
		return `SELECT ` + fmt.Sprintf(agentColumns, s) + ` FROM ` + fmt.Sprintf(agentFrom, s) + ` WHERE a.tenant_id = $1 AND a.id = $2`
	}, tenant, id))
}

// AgentOfKey is the live agent of the tenant that claims an API key ("" when none).
func (q *Queries) AgentOfKey(ctx context.Context, tenant, keyID string) (string, error) {
	id, err := projections.One(ctx, q.Runner, Name, tenant, pgx.RowTo[string], func(s string) string {
		return `SELECT id FROM ` + s + `.agents WHERE tenant_id = $1 AND $2 = ANY (api_key_ids) AND status <> 'retired' LIMIT 1`
	}, tenant, keyID)
	if err != nil || id == nil {
		return "", err
	}
	return *id, nil
}

// AgentKeys is an agent's API keys and status, as the gateway holds them.
type AgentKeys struct {
	ID, TenantID string
	Keys         []string
	Status       string
	Version      int64
}

// AllAgentKeys lists every live agent of every tenant with its keys (the
// gateway runtime's starting state).
func (q *Queries) AllAgentKeys(ctx context.Context) ([]AgentKeys, error) {
	var out []AgentKeys
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT id, tenant_id, api_key_ids, status, version FROM `+s+`.agents WHERE status <> 'retired'`)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AgentKeys, error) {
			var k AgentKeys
			err := r.Scan(&k.ID, &k.TenantID, &k.Keys, &k.Status, &k.Version)
			return k, err
		})
		return err
	})
	return out, err
}

// Discovered is an API key seen at the gateway that no agent claims.
type Discovered struct {
	KeyID string `json:"key_id"`
	// Endpoint, Provider and Model are those of its first request.
	Endpoint  string    `json:"endpoint"`
	Provider  string    `json:"provider"`
	Model     string    `json:"model"`
	RequestID string    `json:"first_request_id"`
	FirstSeen time.Time `json:"first_seen"`
}

// Discovered lists the tenant's unregistered agents (keys no live agent
// claims), most recently discovered first.
func (q *Queries) Discovered(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Discovered], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".discovered d", `d.key_id, d.endpoint, d.provider, d.model, d.request_id, d.first_seen`).
			Where("d.tenant_id = ?", tenant).
			Where("NOT EXISTS (SELECT 1 FROM "+s+".agents a WHERE a.tenant_id = d.tenant_id AND d.key_id = ANY (a.api_key_ids) AND a.status <> 'retired')").
			OrderBy(true, projections.TimeKey("d.first_seen"), projections.TextKey("d.key_id"))
	}, p, func(r pgx.CollectableRow) (Discovered, error) {
		var d Discovered
		err := r.Scan(&d.KeyID, &d.Endpoint, &d.Provider, &d.Model, &d.RequestID, &d.FirstSeen)
		return d, err
	}, func(d Discovered) []any { return []any{d.FirstSeen, d.KeyID} })
}

// Action is one recorded action of an agent.
type Action struct {
	BatchID string `json:"batch_id"`
	Seq     int    `json:"seq"`
	Source  string `json:"source" enum:"api,otlp,gateway"`
	aegis.Action
}

// ActivityFilter narrows an agent's activity.
type ActivityFilter struct {
	Kind, Source, Tool, Destination string
	From, To                        *time.Time
}

// Activity lists an agent's actions, newest first.
func (q *Queries) Activity(ctx context.Context, tenant, agentID string, f ActivityFilter, p projections.PageRequest) (projections.Page[Action], error) {
	if _, err := q.Agent(ctx, tenant, agentID); err != nil {
		return projections.Page[Action]{}, err
	}
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".activity", `batch_id, seq, source, at, kind, tool, destination, model, tokens, bytes_out, bytes_in, error,
			data_scope, duration_ms`).Where("agent_id = ?", agentID).
			WhereIf(f.Kind != "", "kind = ?", f.Kind).WhereIf(f.Source != "", "source = ?", f.Source).WhereIf(f.Tool != "", "tool = ?", f.Tool).
			WhereIf(f.Destination != "", "destination = ?", f.Destination).
			WhereIf(f.From != nil, "at >= ?", f.From).WhereIf(f.To != nil, "at < ?", f.To).
			OrderBy(true, projections.TimeKey("at"), projections.TextKey("batch_id"), projections.IntKey("seq"))
	}, p, func(r pgx.CollectableRow) (Action, error) {
		var a Action
		err := r.Scan(&a.BatchID, &a.Seq, &a.Source, &a.At, &a.Kind, &a.Tool, &a.Destination, &a.Model, &a.Tokens, &a.BytesOut, &a.BytesIn,
			&a.Error, &a.DataScope, &a.DurationMs)
		return a, err
	}, func(a Action) []any { return []any{a.At, a.BatchID, a.Seq} })
}

// Baseline reads an agent's learnt baseline (nil before any activity).
func (q *Queries) Baseline(ctx context.Context, tenant, agentID string) (*behaviour.Baseline, error) {
	raw, err := projections.One(ctx, q.Runner, Name, tenant, pgx.RowTo[[]byte], func(s string) string {
		return `SELECT state FROM ` + s + `.baselines WHERE tenant_id = $1 AND agent_id = $2`
	}, tenant, agentID)
	if err != nil || raw == nil {
		return nil, err
	}
	b := &behaviour.Baseline{}
	if err := json.Unmarshal(*raw, b); err != nil {
		return nil, err
	}
	return b.Fill(), nil
}

// Findings are what a batch showed outside its agent's baseline (any tenant).
func (q *Queries) Findings(ctx context.Context, batchID string) ([]aegis.Finding, error) {
	raw, err := projections.One(ctx, q.Runner, Name, "*", pgx.RowTo[[]byte], func(s string) string {
		return `SELECT findings FROM ` + s + `.findings WHERE batch_id = $1`
	}, batchID)
	if err != nil || raw == nil {
		return nil, err
	}
	var out []aegis.Finding
	return out, json.Unmarshal(*raw, &out)
}

// Anomaly is one recorded anomaly of an agent.
type Anomaly struct {
	ID      string `json:"id"`
	AgentID string `json:"agent_id"`
	BatchID string `json:"batch_id"`
	aegis.Finding
	RecordedAt time.Time `json:"recorded_at"`
}

const anomalyColumns = `id, agent_id, batch_id, kind, severity, subject, metric, observed, expected, deviation, detail, at, recorded_at`

func scanAnomaly(r pgx.CollectableRow) (Anomaly, error) {
	var a Anomaly
	err := r.Scan(&a.ID, &a.AgentID, &a.BatchID, &a.Kind, &a.Severity, &a.Subject, &a.Metric, &a.Observed, &a.Expected, &a.Deviation,
		&a.Detail, &a.At, &a.RecordedAt)
	return a, err
}

// Anomalies lists an agent's anomalies, newest first.
func (q *Queries) Anomalies(ctx context.Context, tenant, agentID, kind string, p projections.PageRequest) (projections.Page[Anomaly], error) {
	if _, err := q.Agent(ctx, tenant, agentID); err != nil {
		return projections.Page[Anomaly]{}, err
	}
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".anomalies", anomalyColumns).Where("agent_id = ?", agentID).WhereIf(kind != "", "kind = ?", kind).
			OrderBy(true, projections.TimeKey("at"), projections.TextKey("id"))
	}, p, scanAnomaly, func(a Anomaly) []any { return []any{a.At, a.ID} })
}

// RiskInputs reads what an agent's risk is computed from: the agent, its
// baseline, its anomalies since since, and its open alerts by severity.
func (q *Queries) RiskInputs(ctx context.Context, tenant, agentID string, since time.Time) (behaviour.RiskInput, error) {
	var in behaviour.RiskInput
	a, err := q.Agent(ctx, tenant, agentID)
	if err != nil {
		return in, err
	}
	in.Agent = aegis.Agent{ID: a.ID, TenantID: tenant, Status: a.Status, Profile: aegis.Profile{Name: a.Name, Owner: a.Owner, Model: a.Model,
		Tools: a.Tools, Autonomy: a.Autonomy, DataScopes: a.DataScopes, APIKeyIDs: a.APIKeyIDs, AutoQuarantine: a.AutoQuarantine}}
	if in.Baseline, err = q.Baseline(ctx, tenant, agentID); err != nil {
		return in, err
	}
	in.OpenAlerts = map[string]int{}
	err = q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+anomalyColumns+` FROM `+s+`.anomalies WHERE agent_id = $1 AND at >= $2 ORDER BY at DESC LIMIT 500`, agentID, since)
		as, err := pgx.CollectRows(rows, scanAnomaly)
		if err != nil {
			return err
		}
		for _, x := range as {
			in.Anomalies = append(in.Anomalies, x.Finding)
		}
		rows, _ = tx.Query(ctx, `SELECT severity, count(*)::int FROM `+s+`.alerts WHERE tenant_id = $1 AND status <> 'resolved'
			AND (subject = $2 OR labels->>'agent_id' = $2) GROUP BY severity`, tenant, agentID)
		for rows.Next() {
			var sev string
			var n int
			if err := rows.Scan(&sev, &n); err != nil {
				return err
			}
			in.OpenAlerts[sev] = n
		}
		return rows.Err()
	})
	return in, err
}

// Guardrail is a guardrail as listed.
type Guardrail struct {
	ID string `json:"id"`
	guardrail.Spec
	Enabled bool `json:"enabled"`
	// Version counts every change (a new spec, enabling, disabling); verdicts name it.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const guardrailColumns = `id, name, description, type, config, action, severity, scope, enabled, version, created_at, updated_at`

func scanGuardrail(r pgx.CollectableRow) (Guardrail, error) {
	var g Guardrail
	err := r.Scan(&g.ID, &g.Name, &g.Description, &g.Type, &g.Config, &g.Action, &g.Severity, &g.Scope, &g.Enabled, &g.Version, &g.CreatedAt, &g.UpdatedAt)
	return g, err
}

// GuardrailFilter narrows the guardrail list.
type GuardrailFilter struct {
	Type    string
	Enabled *bool
}

// Guardrails lists the tenant's guardrails in the order they are evaluated (oldest first).
func (q *Queries) Guardrails(ctx context.Context, tenant string, f GuardrailFilter, p projections.PageRequest) (projections.Page[Guardrail], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".guardrails", guardrailColumns).Where("tenant_id = ?", tenant).
			WhereIf(f.Type != "", "type = ?", f.Type).WhereIf(f.Enabled != nil, "enabled = ?", f.Enabled).
			OrderBy(false, projections.TimeKey("created_at"), projections.TextKey("id"))
	}, p, scanGuardrail, func(g Guardrail) []any { return []any{g.CreatedAt, g.ID} })
}

// Guardrail reads one guardrail.
func (q *Queries) Guardrail(ctx context.Context, tenant, id string) (*Guardrail, error) {
	return projections.Found[Guardrail](aegis.ErrGuardrailNotFound)(projections.One(ctx, q.Runner, Name, tenant, scanGuardrail, func(s string) string {
		return `SELECT ` + guardrailColumns + ` FROM ` + s + `.guardrails WHERE tenant_id = $1 AND id = $2`
	}, tenant, id))
}

// EnabledGuardrails are the tenant's enabled guardrails as the engine
// evaluates them, in evaluation order.
func (q *Queries) EnabledGuardrails(ctx context.Context, tenant string) ([]guardrail.Rule, error) {
	var out []guardrail.Rule
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+guardrailColumns+` FROM `+s+`.guardrails WHERE tenant_id = $1 AND enabled ORDER BY created_at, id`, tenant)
		gs, err := pgx.CollectRows(rows, scanGuardrail)
		for _, g := range gs {
			out = append(out, g.Rule())
		}
		return err
	})
	return out, err
}

// Rule is the guardrail as the engine evaluates it.
func (g Guardrail) Rule() guardrail.Rule {
	return guardrail.Rule{ID: g.ID, Version: int(g.Version), Origin: guardrail.OriginGuardrail, Spec: g.Spec}
}

// GuardrailVersion is one version of a guardrail.
type GuardrailVersion struct {
	Version int    `json:"version"`
	Change  string `json:"change" enum:"created,updated,enabled,disabled"`
	guardrail.Spec
	Enabled    bool      `json:"enabled"`
	RecordedAt time.Time `json:"recorded_at"`
	Actor      string    `json:"actor"`
}

// GuardrailVersions lists a guardrail's versions, newest first (those of a
// deleted guardrail too).
func (q *Queries) GuardrailVersions(ctx context.Context, tenant, id string, p projections.PageRequest) (projections.Page[GuardrailVersion], error) {
	page, err := projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".guardrail_versions", `version, change, name, description, type, config, action, severity, scope, enabled,
			recorded_at, actor`).Where("tenant_id = ? AND guardrail_id = ?", tenant, id).OrderBy(true, projections.IntKey("version"))
	}, p, func(r pgx.CollectableRow) (GuardrailVersion, error) {
		var v GuardrailVersion
		err := r.Scan(&v.Version, &v.Change, &v.Name, &v.Description, &v.Type, &v.Config, &v.Action, &v.Severity, &v.Scope, &v.Enabled,
			&v.RecordedAt, &v.Actor)
		return v, err
	}, func(v GuardrailVersion) []any { return []any{v.Version} })
	if err == nil && page.Total == 0 {
		return page, aegis.ErrGuardrailNotFound
	}
	return page, err
}

// Alert is an alert as listed.
type Alert struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity" enum:"low,medium,high,critical"`
	Status   string `json:"status" enum:"open,acknowledged,resolved"`
	// Source is the module whose event raised it; EventType that event's type.
	Source    string            `json:"source"`
	EventType string            `json:"event_type"`
	Subject   string            `json:"subject"`
	RuleID    string            `json:"rule_id"`
	RuleName  string            `json:"rule_name"`
	DedupKey  string            `json:"dedup_key"`
	Labels    map[string]string `json:"labels"`
	// Count is how many matching events are grouped into it since it was raised;
	// Occurrence how many times it was raised (again after a resolution).
	Count          int        `json:"count"`
	Occurrence     int        `json:"occurrence"`
	CauseID        string     `json:"cause_id"`
	FirstSeen      time.Time  `json:"first_seen"`
	LastSeen       time.Time  `json:"last_seen"`
	RaisedAt       time.Time  `json:"raised_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	Assignee       string     `json:"assignee,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	Resolution     string     `json:"resolution,omitempty"`
	Note           string     `json:"note,omitempty"`
	Version        int64      `json:"version"`
}

const alertColumns = `id, title, severity, status, source, event_type, subject, rule_id, rule_name, dedup_key, labels, count, occurrence, cause_id,
	first_seen, last_seen, raised_at, acknowledged_at, acknowledged_by, assignee, resolved_at, resolved_by, resolution, note, version`

func scanAlert(r pgx.CollectableRow) (Alert, error) {
	var a Alert
	err := r.Scan(&a.ID, &a.Title, &a.Severity, &a.Status, &a.Source, &a.EventType, &a.Subject, &a.RuleID, &a.RuleName, &a.DedupKey, &a.Labels,
		&a.Count, &a.Occurrence, &a.CauseID, &a.FirstSeen, &a.LastSeen, &a.RaisedAt, &a.AcknowledgedAt, &a.AcknowledgedBy, &a.Assignee,
		&a.ResolvedAt, &a.ResolvedBy, &a.Resolution, &a.Note, &a.Version)
	return a, err
}

// AlertFilter narrows the alert list.
type AlertFilter struct {
	Status, Severity, Source, Assignee, AgentID string
}

// Alerts lists the tenant's alerts, most recently raised first.
func (q *Queries) Alerts(ctx context.Context, tenant string, f AlertFilter, p projections.PageRequest) (projections.Page[Alert], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".alerts", alertColumns).Where("tenant_id = ?", tenant).
			WhereIf(f.Status != "", "status = ?", f.Status).WhereIf(f.Severity != "", "severity = ?", f.Severity).
			WhereIf(f.Source != "", "source = ?", f.Source).WhereIf(f.Assignee != "", "assignee = ?", f.Assignee).
			WhereIf(f.AgentID != "", "(subject = ? OR labels->>'agent_id' = ?)", f.AgentID, f.AgentID).
			OrderBy(true, projections.TimeKey("raised_at"), projections.TextKey("id"))
	}, p, scanAlert, func(a Alert) []any { return []any{a.RaisedAt, a.ID} })
}

// Alert reads one alert.
func (q *Queries) Alert(ctx context.Context, tenant, id string) (*Alert, error) {
	return projections.Found[Alert](aegis.ErrAlertNotFound)(projections.One(ctx, q.Runner, Name, tenant, scanAlert, func(s string) string {
		return `SELECT ` + alertColumns + ` FROM ` + s + `.alerts WHERE tenant_id = $1 AND id = $2`
	}, tenant, id))
}

// AlertStats summarises the tenant's alerts.
type AlertStats struct {
	Total      int            `json:"total"`
	ByStatus   map[string]int `json:"by_status"`
	BySeverity map[string]int `json:"by_severity"`
	BySource   map[string]int `json:"by_source"`
	// OpenBySeverity counts the unresolved alerts by severity.
	OpenBySeverity map[string]int `json:"open_by_severity"`
	Raised24h      int            `json:"raised_24h"`
	// MeanSecondsToAcknowledge and MeanSecondsToResolve are over the alerts
	// that were (null when none was).
	MeanSecondsToAcknowledge *float64 `json:"mean_seconds_to_acknowledge"`
	MeanSecondsToResolve     *float64 `json:"mean_seconds_to_resolve"`
}

// AlertStats computes the tenant's alert statistics at now.
func (q *Queries) AlertStats(ctx context.Context, tenant string, now time.Time) (*AlertStats, error) {
	st := &AlertStats{ByStatus: map[string]int{}, BySeverity: map[string]int{}, BySource: map[string]int{}, OpenBySeverity: map[string]int{}}
	for _, s := range aegis.AlertStatuses {
		st.ByStatus[s] = 0
	}
	for _, s := range alerting.Severities {
		st.BySeverity[s], st.OpenBySeverity[s] = 0, 0
	}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT status, severity, source, count(*)::int, count(*) FILTER (WHERE raised_at > $2)::int
			FROM `+s+`.alerts WHERE tenant_id = $1 GROUP BY status, severity, source`, tenant, now.Add(-24*time.Hour))
		for rows.Next() {
			var status, sev, src string
			var n, recent int
			if err := rows.Scan(&status, &sev, &src, &n, &recent); err != nil {
				return err
			}
			st.Total += n
			st.Raised24h += recent
			st.ByStatus[status] += n
			st.BySeverity[sev] += n
			st.BySource[src] += n
			if status != aegis.AlertStatusResolved {
				st.OpenBySeverity[sev] += n
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT avg(extract(epoch FROM acknowledged_at - raised_at)) FILTER (WHERE acknowledged_at IS NOT NULL),
			avg(extract(epoch FROM resolved_at - raised_at)) FILTER (WHERE resolved_at IS NOT NULL) FROM `+s+`.alerts WHERE tenant_id = $1`, tenant).
			Scan(&st.MeanSecondsToAcknowledge, &st.MeanSecondsToResolve)
	})
	return st, err
}

// AlertRule is an alert rule as listed.
type AlertRule struct {
	ID string `json:"id"`
	alerting.Rule
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func scanRule(r pgx.CollectableRow) (AlertRule, error) {
	var x AlertRule
	err := r.Scan(&x.ID, &x.Rule, &x.Version, &x.CreatedAt, &x.UpdatedAt)
	return x, err
}

// AlertRules lists the tenant's alert rules, newest first.
func (q *Queries) AlertRules(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[AlertRule], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".alert_rules", `id, rule, version, created_at, updated_at`).Where("tenant_id = ?", tenant).
			OrderBy(true, projections.TimeKey("created_at"), projections.TextKey("id"))
	}, p, scanRule, func(r AlertRule) []any { return []any{r.CreatedAt, r.ID} })
}

// AlertRule reads one alert rule.
func (q *Queries) AlertRule(ctx context.Context, tenant, id string) (*AlertRule, error) {
	return projections.Found[AlertRule](aegis.ErrRuleNotFound)(projections.One(ctx, q.Runner, Name, tenant, scanRule, func(s string) string {
		return `SELECT id, rule, version, created_at, updated_at FROM ` + s + `.alert_rules WHERE tenant_id = $1 AND id = $2`
	}, tenant, id))
}

// EnabledRules are the tenant's enabled alert rules.
func (q *Queries) EnabledRules(ctx context.Context, tenant string) ([]alerting.Ref, error) {
	var out []alerting.Ref
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT id, rule, version, created_at, updated_at FROM `+s+`.alert_rules WHERE tenant_id = $1 AND enabled`, tenant)
		rs, err := pgx.CollectRows(rows, scanRule)
		for _, r := range rs {
			out = append(out, alerting.Ref{ID: r.ID, Rule: r.Rule})
		}
		return err
	})
	return out, err
}
