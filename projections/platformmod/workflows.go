package platformmod

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// workflowTables declares what workflow events do to the read model.
func workflowTables(t *projections.Table) {
	projections.On(t, platformmod.WorkflowCreated, projections.Exec(func(e *eventstore.Event, d *platformmod.WorkflowCreatedV1) (string, []any) {
		return `INSERT INTO %[1]s.workflows (id, tenant_id, name, trigger, conditions, min_ale, approvals, approver_role, timeout_seconds, escalation_role,
			escalation_timeout_seconds, since_position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
			[]any{d.WorkflowID, e.TenantID, d.Name, d.Trigger, d.Conditions, d.MinALE, d.Approvals, d.ApproverRole, d.TimeoutSeconds, d.EscalationRole,
				d.EscalationTimeoutSeconds, e.Position, e.Time}
	}))
	projections.On(t, platformmod.WorkflowStarted, projections.Exec(func(e *eventstore.Event, d *platformmod.WorkflowStartedV1) (string, []any) {
		return `INSERT INTO %[1]s.workflow_runs (id, tenant_id, workflow_id, trigger_event_id, trigger_type, subject, requester, summary, approvals,
			role, status, decisions, deadline, version, started_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', '[]', $11, $12, $13, $13) ON CONFLICT (id) DO NOTHING`,
			[]any{d.RunID, e.TenantID, d.WorkflowID, d.TriggerID, d.TriggerType, d.Subject, d.Requester, d.Summary, d.Approvals, d.ApproverRole,
				d.Deadline, e.Version, e.Time}
	}))
	decision := func(kind string) projections.Applier[platformmod.WorkflowDecisionV1] {
		return projections.Exec(func(e *eventstore.Event, d *platformmod.WorkflowDecisionV1) (string, []any) {
			status := "status"
			if kind == "rejected" {
				status = "'rejected'"
			}
			return `UPDATE %[1]s.workflow_runs SET status = ` + status + `, decisions = decisions || jsonb_build_array(jsonb_build_object('decision', $2::text,
				'by', $3::text, 'role', $4::text, 'comment', $5::text, 'at', $6::timestamptz)), version = $7, updated_at = $6 WHERE id = $1 AND version < $7`,
				[]any{d.RunID, kind, d.By, d.Role, d.Comment, e.Time, e.Version}
		})
	}
	projections.On(t, platformmod.WorkflowStepApproved, decision("approved"))
	projections.On(t, platformmod.WorkflowRejected, decision("rejected"))
	projections.On(t, platformmod.WorkflowApproved, projections.Exec(func(e *eventstore.Event, d *platformmod.WorkflowClosedV1) (string, []any) {
		return `UPDATE %[1]s.workflow_runs SET status = 'approved', closed_at = $2, version = $3, updated_at = $2 WHERE id = $1`,
			[]any{d.RunID, e.Time, e.Version}
	}))
	projections.On(t, platformmod.WorkflowEscalated, projections.Exec(func(e *eventstore.Event, d *platformmod.WorkflowEscalatedV1) (string, []any) {
		return `UPDATE %[1]s.workflow_runs SET role = $2, deadline = $3, escalated = true, version = $4, updated_at = $5 WHERE id = $1`,
			[]any{d.RunID, d.ToRole, d.Deadline, e.Version, e.Time}
	}))
	projections.On(t, platformmod.WorkflowTimedOut, projections.Exec(func(e *eventstore.Event, d *platformmod.WorkflowClosedV1) (string, []any) {
		return `UPDATE %[1]s.workflow_runs SET status = 'timed_out', closed_at = $2, version = $3, updated_at = $2 WHERE id = $1`,
			[]any{d.RunID, e.Time, e.Version}
	}))
}

const workflowDDL = `
	CREATE TABLE %[1]s.workflows (
		id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, trigger text NOT NULL, conditions jsonb NOT NULL, min_ale float8,
		approvals int NOT NULL, approver_role text NOT NULL, timeout_seconds int NOT NULL, escalation_role text NOT NULL, escalation_timeout_seconds int NOT NULL,
		since_position bigint NOT NULL,
		created_at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.workflows (tenant_id, id DESC);
	CREATE TABLE %[1]s.workflow_runs (
		id text PRIMARY KEY, tenant_id text NOT NULL, workflow_id text NOT NULL, trigger_event_id text NOT NULL, trigger_type text NOT NULL,
		subject text NOT NULL, requester text NOT NULL, summary text NOT NULL, approvals int NOT NULL, role text NOT NULL, status text NOT NULL,
		decisions jsonb NOT NULL, deadline timestamptz NOT NULL, escalated boolean NOT NULL DEFAULT false, version bigint NOT NULL,
		started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, closed_at timestamptz);
	CREATE INDEX ON %[1]s.workflow_runs (tenant_id, workflow_id, id DESC);
	CREATE INDEX ON %[1]s.workflow_runs (deadline) WHERE status = 'pending';
`

// Workflow is an approval workflow.
type Workflow struct {
	ID             string                  `json:"id"`
	Name           string                  `json:"name"`
	Trigger        string                  `json:"trigger"`
	Conditions     []platformmod.Condition `json:"conditions"`
	MinALE         *float64                `json:"min_ale,omitempty"`
	Approvals      int                     `json:"approvals"`
	ApproverRole   string                  `json:"approver_role"`
	TimeoutSeconds int                     `json:"timeout_seconds"`
	EscalationRole string                  `json:"escalation_role,omitempty"`
	// EscalationTimeoutSeconds is the escalated step's timeout.
	EscalationTimeoutSeconds int       `json:"escalation_timeout_seconds"`
	CreatedAt                time.Time `json:"created_at"`
	// Since is the ledger position of its creation: only later events start runs.
	Since int64 `json:"-"`
}

const workflowColumns = `id, name, trigger, conditions, min_ale, approvals, approver_role, timeout_seconds, escalation_role, escalation_timeout_seconds,
	created_at, since_position`

func scanWorkflow(r pgx.CollectableRow) (Workflow, error) {
	var w Workflow
	err := r.Scan(&w.ID, &w.Name, &w.Trigger, &w.Conditions, &w.MinALE, &w.Approvals, &w.ApproverRole, &w.TimeoutSeconds, &w.EscalationRole,
		&w.EscalationTimeoutSeconds, &w.CreatedAt, &w.Since)
	return w, err
}

// Workflows lists the tenant's workflows, newest first.
func (q *Queries) Workflows(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Workflow], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".workflows", workflowColumns).Where("tenant_id = ?", tenant).OrderBy(true, projections.TextKey("id"))
	}, p, scanWorkflow, func(w Workflow) []any { return []any{w.ID} })
}

// Workflow reads one workflow; ErrWorkflowNotFound when the tenant has none of that id.
func (q *Queries) Workflow(ctx context.Context, tenant, id string) (*Workflow, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, platformmod.ErrWorkflowNotFound, scanWorkflow, func(s string) string {
		return `SELECT ` + workflowColumns + ` FROM ` + s + `.workflows WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// TenantWorkflows reads every workflow of a tenant (the trigger reactor's view).
func (q *Queries) TenantWorkflows(ctx context.Context, tenant string) ([]Workflow, error) {
	var out []Workflow
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+workflowColumns+` FROM `+s+`.workflows WHERE tenant_id = $1`, tenant)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanWorkflow)
		return err
	})
	return out, err
}

// Decision is one approval or rejection of a run.
type Decision struct {
	Decision string    `json:"decision" enum:"approved,rejected"`
	By       string    `json:"by"`
	Role     string    `json:"role"`
	Comment  string    `json:"comment"`
	At       time.Time `json:"at"`
}

// Run is a workflow run.
type Run struct {
	ID             string     `json:"id"`
	WorkflowID     string     `json:"workflow_id"`
	TriggerEventID string     `json:"trigger_event_id"`
	TriggerType    string     `json:"trigger_type"`
	Subject        string     `json:"subject"`
	Requester      string     `json:"requester"`
	Summary        string     `json:"summary"`
	Approvals      int        `json:"approvals"`
	Role           string     `json:"role"`
	Status         string     `json:"status" enum:"pending,approved,rejected,timed_out"`
	Decisions      []Decision `json:"decisions"`
	Deadline       time.Time  `json:"deadline"`
	Escalated      bool       `json:"escalated"`
	Version        int64      `json:"version"`
	StartedAt      time.Time  `json:"started_at"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	TenantID       string     `json:"-"`
}

const runColumns = `id, workflow_id, trigger_event_id, trigger_type, subject, requester, summary, approvals, role, status, decisions, deadline, escalated,
	version, started_at, closed_at, tenant_id`

func scanRun(r pgx.CollectableRow) (Run, error) {
	var x Run
	err := r.Scan(&x.ID, &x.WorkflowID, &x.TriggerEventID, &x.TriggerType, &x.Subject, &x.Requester, &x.Summary, &x.Approvals, &x.Role, &x.Status,
		&x.Decisions, &x.Deadline, &x.Escalated, &x.Version, &x.StartedAt, &x.ClosedAt, &x.TenantID)
	return x, err
}

// Runs lists a workflow's runs, newest first.
func (q *Queries) Runs(ctx context.Context, tenant, workflowID, status string, p projections.PageRequest) (projections.Page[Run], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".workflow_runs", runColumns).Where("tenant_id = ?", tenant).Where("workflow_id = ?", workflowID).
			WhereIf(status != "", "status = ?", status).OrderBy(true, projections.TextKey("id"))
	}, p, scanRun, func(x Run) []any { return []any{x.ID} })
}

// Run reads one run; ErrRunNotFound when the tenant has none of that id.
func (q *Queries) Run(ctx context.Context, tenant, id string) (*Run, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, platformmod.ErrRunNotFound, scanRun, func(s string) string {
		return `SELECT ` + runColumns + ` FROM ` + s + `.workflow_runs WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// Overdue is a pending run past its deadline, with what its workflow says
// to do (Timeout: the escalated step's).
type Overdue struct {
	RunID, TenantID, EscalationRole string
	Timeout                         time.Duration
}

// OverdueRuns lists, across tenants, pending runs whose deadline passed.
func (q *Queries) OverdueRuns(ctx context.Context, now time.Time, limit int) ([]Overdue, error) {
	var out []Overdue
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT r.id, r.tenant_id, w.escalation_role, w.escalation_timeout_seconds FROM `+s+`.workflow_runs r JOIN `+s+
			`.workflows w ON w.id = r.workflow_id WHERE r.status = 'pending' AND r.deadline <= $1 ORDER BY r.deadline LIMIT $2`, now, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Overdue, error) {
			var o Overdue
			var secs int
			err := r.Scan(&o.RunID, &o.TenantID, &o.EscalationRole, &secs)
			o.Timeout = time.Duration(secs) * time.Second
			return o, err
		})
		return err
	})
	return out, err
}
