// Package aegis projects AEGIS: the agent inventory, agents' activity with
// the baseline learnt from it and the anomalies found in it, guardrails and
// their versions, alerts and alert rules; and answers the queries over them.
package aegis

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/behaviour"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "aegis"

// Projection builds the AEGIS read models. The baseline of an agent is
// folded here from its activity stream (one stream, so in order), and what
// each batch showed outside the baseline as it stood before the batch is
// kept as the batch's findings, which a reactor records as anomalies: a
// replay folds the same baselines and finds the same findings.
type Projection struct {
	// Table applies the events (Apply) and lists their types (Types).
	*projections.Table
}

// New builds the projection.
func New() *Projection {
	p := &Projection{Table: projections.NewTable()}
	projections.On(p.Table, aegis.AgentRegistered, projections.Exec(func(e *eventstore.Event, d *aegis.AgentRegisteredV1) (string, []any) {
		return `INSERT INTO %[1]s.agents (id, tenant_id, name, description, owner, model, provider, tools, autonomy, data_scopes, api_key_ids,
			auto_quarantine, status, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, $14, $14)
			ON CONFLICT (id) DO NOTHING`,
			[]any{d.AgentID, e.TenantID, d.Name, d.Description, d.Owner, d.Model, d.Provider, list(d.Tools), d.Autonomy, list(d.DataScopes),
				list(d.APIKeyIDs), d.AutoQuarantine, e.Version, e.Time}
	}))
	projections.On(p.Table, aegis.AgentUpdated, projections.Exec(func(e *eventstore.Event, d *aegis.AgentUpdatedV1) (string, []any) {
		return `UPDATE %[1]s.agents SET name = coalesce($2, name), description = coalesce($3, description), owner = coalesce($4, owner),
			model = coalesce($5, model), provider = coalesce($6, provider), tools = coalesce($7, tools), autonomy = coalesce($8, autonomy),
			data_scopes = coalesce($9, data_scopes), api_key_ids = $10, auto_quarantine = coalesce($11, auto_quarantine),
			version = $12, updated_at = $13 WHERE id = $1`,
			[]any{d.AgentID, d.Name, d.Description, d.Owner, d.Model, d.Provider, d.Tools, d.Autonomy, d.DataScopes, list(d.Keys),
				d.AutoQuarantine, e.Version, e.Time}
	}))
	contained := func(status string) projections.Applier[aegis.ContainmentV1] {
		return projections.Exec(func(e *eventstore.Event, d *aegis.ContainmentV1) (string, []any) {
			return `UPDATE %[1]s.agents SET status = $2, status_reason = $3, status_at = $4, status_by = $5, version = $6, updated_at = $4 WHERE id = $1`,
				[]any{d.AgentID, status, d.Reason, e.Time, e.Actor, e.Version}
		})
	}
	projections.On(p.Table, aegis.AgentQuarantined, contained(aegis.StatusQuarantined))
	projections.On(p.Table, aegis.AgentReleased, contained(aegis.StatusActive))
	projections.On(p.Table, aegis.KillSwitchActivated, contained(aegis.StatusKilled))
	projections.On(p.Table, aegis.AgentRetired, projections.Exec(func(e *eventstore.Event, d *aegis.AgentRetiredV1) (string, []any) {
		return `UPDATE %[1]s.agents SET status = 'retired', status_reason = $2, status_at = $3, status_by = $4, version = $5, updated_at = $3 WHERE id = $1`,
			[]any{d.AgentID, d.Reason, e.Time, e.Actor, e.Version}
	}))
	projections.On(p.Table, aegis.AgentDiscovered, projections.Exec(func(e *eventstore.Event, d *aegis.AgentDiscoveredV1) (string, []any) {
		return `INSERT INTO %[1]s.discovered (tenant_id, key_id, endpoint, provider, model, request_id, first_seen)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`, []any{e.TenantID, d.KeyID, d.Endpoint, d.Provider, d.Model, d.RequestID, d.FirstSeen}
	}))
	projections.On(p.Table, aegis.AgentActivityRecorded, activityRecorded)
	projections.On(p.Table, aegis.AgentAnomalyDetected, projections.Exec(func(e *eventstore.Event, d *aegis.AgentAnomalyDetectedV1) (string, []any) {
		return `INSERT INTO %[1]s.anomalies (id, tenant_id, agent_id, batch_id, kind, severity, subject, metric, observed, expected, deviation,
			detail, at, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING`,
			[]any{d.AnomalyID, e.TenantID, d.AgentID, d.BatchID, d.Kind, d.Severity, d.Subject, d.Metric, d.Observed, d.Expected, d.Deviation,
				d.Detail, d.At, e.Time}
	}))
	guardrailVersioned := func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *aegis.GuardrailVersionedV1) error {
		g := d.Guardrail
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.guardrails (id, tenant_id, name, description, type, config, action, severity, scope, enabled,
			version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, type = excluded.type, config = excluded.config,
			action = excluded.action, severity = excluded.severity, scope = excluded.scope, enabled = excluded.enabled, version = excluded.version,
			updated_at = excluded.updated_at`,
			d.GuardrailID, e.TenantID, g.Name, g.Description, g.Type, g.Config, g.Action, g.Severity, g.Scope, d.Enabled, d.Version, e.Time); err != nil {
			return err
		}
		return guardrailVersion(ctx, tx, s, e, d.GuardrailID, d.Version, "")
	}
	projections.On(p.Table, aegis.GuardrailCreated, guardrailVersioned)
	projections.On(p.Table, aegis.GuardrailUpdated, guardrailVersioned)
	toggled := func(on bool) projections.Applier[aegis.GuardrailToggledV1] {
		return func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *aegis.GuardrailToggledV1) error {
			if _, err := tx.Exec(ctx, `UPDATE `+s+`.guardrails SET enabled = $2, version = $3, updated_at = $4 WHERE id = $1`,
				d.GuardrailID, on, d.Version, e.Time); err != nil {
				return err
			}
			return guardrailVersion(ctx, tx, s, e, d.GuardrailID, d.Version, map[bool]string{true: "enabled", false: "disabled"}[on])
		}
	}
	projections.On(p.Table, aegis.GuardrailEnabled, toggled(true))
	projections.On(p.Table, aegis.GuardrailDisabled, toggled(false))
	projections.On(p.Table, aegis.GuardrailDeleted, projections.Exec(func(_ *eventstore.Event, d *aegis.GuardrailDeletedV1) (string, []any) {
		return `DELETE FROM %[1]s.guardrails WHERE id = $1`, []any{d.GuardrailID}
	}))
	projections.On(p.Table, aegis.AlertRaised, projections.Exec(func(e *eventstore.Event, d *aegis.AlertRaisedV1) (string, []any) {
		return `INSERT INTO %[1]s.alerts (id, tenant_id, dedup_key, rule_id, rule_name, severity, title, source, event_type, subject, labels,
			cause_id, status, occurrence, count, first_seen, last_seen, raised_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $14, $15, $15, $15, $16)
			ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, title = excluded.title, cause_id = excluded.cause_id, status = 'open',
			occurrence = excluded.occurrence, count = excluded.count, last_seen = excluded.last_seen, raised_at = excluded.raised_at,
			acknowledged_at = NULL, acknowledged_by = '', resolved_at = NULL, resolution = '', version = excluded.version`,
			[]any{d.AlertID, e.TenantID, d.DedupKey, d.RuleID, d.RuleName, d.Severity, d.Title, d.Source, d.EventType, d.Subject, labels(d.Labels),
				d.CauseID, d.Occurrence, d.Count, e.Time, e.Version}
	}))
	projections.On(p.Table, aegis.AlertRepeated, projections.Exec(func(e *eventstore.Event, d *aegis.AlertRepeatedV1) (string, []any) {
		return `UPDATE %[1]s.alerts SET count = count + $4, last_seen = $2, version = $3 WHERE id = $1`, []any{d.AlertID, e.Time, e.Version, max(d.Count, 1)}
	}))
	projections.On(p.Table, aegis.AlertAcknowledged, projections.Exec(func(e *eventstore.Event, d *aegis.AlertAcknowledgedV1) (string, []any) {
		return `UPDATE %[1]s.alerts SET status = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3, note = CASE WHEN $4 = '' THEN note ELSE $4 END,
			version = $5 WHERE id = $1`, []any{d.AlertID, e.Time, e.Actor, d.Note, e.Version}
	}))
	projections.On(p.Table, aegis.AlertAssigned, projections.Exec(func(e *eventstore.Event, d *aegis.AlertAssignedV1) (string, []any) {
		return `UPDATE %[1]s.alerts SET assignee = $2, note = CASE WHEN $3 = '' THEN note ELSE $3 END, version = $4 WHERE id = $1`,
			[]any{d.AlertID, d.Assignee, d.Note, e.Version}
	}))
	projections.On(p.Table, aegis.AlertResolved, projections.Exec(func(e *eventstore.Event, d *aegis.AlertResolvedV1) (string, []any) {
		return `UPDATE %[1]s.alerts SET status = 'resolved', resolved_at = $2, resolved_by = $3, resolution = $4,
			note = CASE WHEN $5 = '' THEN note ELSE $5 END, version = $6 WHERE id = $1`, []any{d.AlertID, e.Time, e.Actor, d.Resolution, d.Note, e.Version}
	}))
	ruleVersioned := projections.Exec(func(e *eventstore.Event, d *aegis.AlertRuleVersionedV1) (string, []any) {
		return `INSERT INTO %[1]s.alert_rules (id, tenant_id, name, event_type, enabled, rule, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO UPDATE SET name = excluded.name, event_type = excluded.event_type,
			enabled = excluded.enabled, rule = excluded.rule, version = excluded.version, updated_at = excluded.updated_at`,
			[]any{d.RuleID, e.TenantID, d.Rule.Name, d.Rule.EventType, d.Rule.Enabled, d.Rule, d.Version, e.Time}
	})
	projections.On(p.Table, aegis.AlertRuleCreated, ruleVersioned)
	projections.On(p.Table, aegis.AlertRuleUpdated, ruleVersioned)
	projections.On(p.Table, aegis.AlertRuleDeleted, projections.Exec(func(_ *eventstore.Event, d *aegis.AlertRuleDeletedV1) (string, []any) {
		return `DELETE FROM %[1]s.alert_rules WHERE id = $1`, []any{d.RuleID}
	}))
	mcpApply(p.Table)
	shadowApply(p.Table)
	return p
}

func list(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func labels(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// guardrailVersion records one version of a guardrail as it stands after
// the event (change: what a toggle did, "" for a new spec).
func guardrailVersion(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, id string, version int, change string) error {
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.guardrail_versions (tenant_id, guardrail_id, version, name, description, type, config, action,
		severity, scope, enabled, change, recorded_at, actor)
		SELECT tenant_id, id, $2, name, description, type, config, action, severity, scope, enabled, CASE WHEN $3 = '' THEN CASE WHEN $2 = 1 THEN 'created' ELSE 'updated' END ELSE $3 END, $4, $5
		FROM `+s+`.guardrails WHERE id = $1 ON CONFLICT DO NOTHING`, id, version, change, e.Time, e.Actor)
	return err
}

// activityRecorded folds a batch into the agent's baseline, keeps the
// batch's findings and its actions.
func activityRecorded(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *aegis.AgentActivityRecordedV1) error {
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT state FROM `+s+`.baselines WHERE agent_id = $1 FOR UPDATE`, d.AgentID).Scan(&raw)
	b := behaviour.New()
	switch {
	case err == pgx.ErrNoRows:
	case err != nil:
		return err
	default:
		b = &behaviour.Baseline{}
		if err := json.Unmarshal(raw, b); err != nil {
			return fmt.Errorf("baseline of %s: %w", d.AgentID, err)
		}
		b.Fill()
	}
	findings := b.Observe(d.Actions)
	state, err := json.Marshal(b)
	if err != nil {
		return err
	}
	var last any
	if n := len(d.Actions); n > 0 {
		last = d.Actions[n-1].At
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.baselines (agent_id, tenant_id, state, actions, batches, last_activity_at, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, actions = baselines.actions + excluded.actions,
		batches = baselines.batches + 1, last_activity_at = greatest(baselines.last_activity_at, excluded.last_activity_at), updated_at = excluded.updated_at`,
		d.AgentID, e.TenantID, state, len(d.Actions), last, e.Time); err != nil {
		return err
	}
	if len(findings) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.findings (batch_id, tenant_id, agent_id, findings, recorded_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT DO NOTHING`, d.BatchID, e.TenantID, d.AgentID, findings, e.Time); err != nil {
			return err
		}
	}
	rows := make([][]any, len(d.Actions))
	for i, a := range d.Actions {
		rows[i] = []any{e.TenantID, d.AgentID, d.BatchID, i, d.Source, a.At, a.Kind, a.Tool, a.Destination, a.Model, a.Tokens, a.BytesOut,
			a.BytesIn, a.Error, a.DataScope, a.DurationMs}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{s, "activity"}, []string{"tenant_id", "agent_id", "batch_id", "seq", "source", "at", "kind", "tool",
		"destination", "model", "tokens", "bytes_out", "bytes_in", "error", "data_scope", "duration_ms"}, pgx.CopyFromRows(rows))
	return err
}

var _ projections.Projection = (*Projection)(nil)

// Name implements projections.Projection.
func (*Projection) Name() string { return Name }

// Topics implements projections.Projection.
func (*Projection) Topics() []string {
	return []string{events.TopicFor("aegis"), events.TrafficTopicFor("aegis")}
}

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.agents (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, owner text NOT NULL, model text NOT NULL,
			provider text NOT NULL, tools text[] NOT NULL, autonomy text NOT NULL, data_scopes text[] NOT NULL, api_key_ids text[] NOT NULL,
			auto_quarantine text NOT NULL, status text NOT NULL, status_reason text NOT NULL DEFAULT '', status_at timestamptz,
			status_by text NOT NULL DEFAULT '', version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.agents (tenant_id, created_at DESC, id DESC);
		CREATE INDEX ON %[1]s.agents USING gin (api_key_ids);
		CREATE TABLE %[1]s.discovered (
			tenant_id text NOT NULL, key_id text NOT NULL, endpoint text NOT NULL, provider text NOT NULL, model text NOT NULL,
			request_id text NOT NULL, first_seen timestamptz NOT NULL, PRIMARY KEY (tenant_id, key_id));
		CREATE TABLE %[1]s.baselines (
			agent_id text PRIMARY KEY, tenant_id text NOT NULL, state jsonb NOT NULL, actions bigint NOT NULL, batches bigint NOT NULL,
			last_activity_at timestamptz, updated_at timestamptz NOT NULL);
		CREATE TABLE %[1]s.activity (
			tenant_id text NOT NULL, agent_id text NOT NULL, batch_id text NOT NULL, seq int NOT NULL, source text NOT NULL, at timestamptz NOT NULL,
			kind text NOT NULL, tool text NOT NULL, destination text NOT NULL, model text NOT NULL, tokens bigint NOT NULL, bytes_out bigint NOT NULL,
			bytes_in bigint NOT NULL, error boolean NOT NULL, data_scope text NOT NULL, duration_ms bigint NOT NULL, PRIMARY KEY (agent_id, batch_id, seq));
		CREATE INDEX ON %[1]s.activity (agent_id, at DESC, batch_id DESC, seq DESC);
		CREATE TABLE %[1]s.findings (
			batch_id text PRIMARY KEY, tenant_id text NOT NULL, agent_id text NOT NULL, findings jsonb NOT NULL, recorded_at timestamptz NOT NULL);
		CREATE TABLE %[1]s.anomalies (
			id text PRIMARY KEY, tenant_id text NOT NULL, agent_id text NOT NULL, batch_id text NOT NULL, kind text NOT NULL, severity text NOT NULL,
			subject text NOT NULL, metric text NOT NULL, observed double precision NOT NULL, expected double precision NOT NULL,
			deviation double precision NOT NULL, detail text NOT NULL, at timestamptz NOT NULL, recorded_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.anomalies (agent_id, at DESC, id DESC);
		CREATE TABLE %[1]s.guardrails (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, type text NOT NULL, config jsonb NOT NULL,
			action text NOT NULL, severity text NOT NULL, scope jsonb NOT NULL, enabled boolean NOT NULL, version int NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.guardrails (tenant_id, created_at, id);
		CREATE TABLE %[1]s.guardrail_versions (
			tenant_id text NOT NULL, guardrail_id text NOT NULL, version int NOT NULL, name text NOT NULL, description text NOT NULL,
			type text NOT NULL, config jsonb NOT NULL, action text NOT NULL, severity text NOT NULL, scope jsonb NOT NULL, enabled boolean NOT NULL,
			change text NOT NULL, recorded_at timestamptz NOT NULL, actor text NOT NULL, PRIMARY KEY (guardrail_id, version));
		CREATE TABLE %[1]s.alerts (
			id text PRIMARY KEY, tenant_id text NOT NULL, dedup_key text NOT NULL, rule_id text NOT NULL, rule_name text NOT NULL,
			severity text NOT NULL, title text NOT NULL, source text NOT NULL, event_type text NOT NULL, subject text NOT NULL, labels jsonb NOT NULL,
			cause_id text NOT NULL, status text NOT NULL, occurrence int NOT NULL, count int NOT NULL, first_seen timestamptz NOT NULL,
			last_seen timestamptz NOT NULL, raised_at timestamptz NOT NULL, acknowledged_at timestamptz, acknowledged_by text NOT NULL DEFAULT '',
			assignee text NOT NULL DEFAULT '', resolved_at timestamptz, resolved_by text NOT NULL DEFAULT '', resolution text NOT NULL DEFAULT '',
			note text NOT NULL DEFAULT '', version bigint NOT NULL);
		CREATE INDEX ON %[1]s.alerts (tenant_id, raised_at DESC, id DESC);
		CREATE INDEX ON %[1]s.alerts (tenant_id, status);
		CREATE TABLE %[1]s.alert_rules (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, event_type text NOT NULL, enabled boolean NOT NULL, rule jsonb NOT NULL,
			version int NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.alert_rules (tenant_id, created_at DESC, id DESC);
	`+mcpSetup+shadowSetup, s)); err != nil {
		return err
	}
	return projections.Isolate(ctx, tx, s, append([]string{"agents", "discovered", "baselines", "activity", "findings", "anomalies", "guardrails",
		"guardrail_versions", "alerts", "alert_rules"}, append(mcpTables, shadowTables...)...)...)
}
