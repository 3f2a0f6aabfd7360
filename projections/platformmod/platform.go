// Package platformmod projects the Platform module: integrations, reports;
// and keeps the webhook delivery queue (deliveries.go), whose rows several
// instances claim without ever sending one event twice at once.
package platformmod

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/blobstore"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "platform"

// Projection builds the Platform read models.
type Projection struct {
	projections.Tabled
}

// New builds the projection.
func New() *Projection {
	p := &Projection{Tabled: projections.NewTabled(Name, events.TopicFor(platformmod.Module))}
	projections.On(p.Table, platformmod.IntegrationConfigured, projections.Exec(func(e *eventstore.Event, d *platformmod.IntegrationConfiguredV1) (string, []any) {
		return `INSERT INTO %[1]s.integrations (id, tenant_id, name, url, event_types, mode, state, secret, since_position, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $10) ON CONFLICT (id) DO NOTHING`,
			[]any{d.IntegrationID, e.TenantID, d.Name, d.URL, d.EventTypes, d.Mode, d.Secret, e.Position, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.IntegrationSecretRotated, projections.Exec(func(e *eventstore.Event, d *platformmod.IntegrationSecretRotatedV1) (string, []any) {
		return `UPDATE %[1]s.integrations SET secret = $2, previous_secret = $3, previous_until = $4, version = $5, updated_at = $6 WHERE id = $1`,
			[]any{d.IntegrationID, d.Secret, d.PreviousSecret, d.PreviousUntil, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.IntegrationDisabled, projections.Exec(func(e *eventstore.Event, d *platformmod.IntegrationDisabledV1) (string, []any) {
		return `UPDATE %[1]s.integrations SET state = 'disabled', disabled_reason = $2, version = $3, updated_at = $4 WHERE id = $1`,
			[]any{d.IntegrationID, d.Reason, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.IntegrationEnabled, projections.Exec(func(e *eventstore.Event, d *platformmod.IntegrationEnabledV1) (string, []any) {
		return `UPDATE %[1]s.integrations SET state = 'active', disabled_reason = NULL, version = $2, updated_at = $3 WHERE id = $1`,
			[]any{d.IntegrationID, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.IntegrationDeleted, projections.Exec(func(e *eventstore.Event, d *platformmod.IntegrationDeletedV1) (string, []any) {
		return `UPDATE %[1]s.integrations SET state = 'deleted', secret = '', previous_secret = NULL, version = $2, updated_at = $3 WHERE id = $1`,
			[]any{d.IntegrationID, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.IntegrationTested, projections.Exec(func(e *eventstore.Event, d *platformmod.IntegrationTestedV1) (string, []any) {
		return `UPDATE %[1]s.integrations SET last_test_event_id = $2, version = $3 WHERE id = $1`, []any{d.IntegrationID, e.ID.String(), e.Version}
	}))
	projections.On(p.Table, platformmod.DeliveriesReplayed, projections.Exec(func(e *eventstore.Event, d *platformmod.DeliveriesReplayedV1) (string, []any) {
		return `UPDATE %[1]s.integrations SET version = $2 WHERE id = $1`, []any{d.IntegrationID, e.Version}
	}))
	projections.On(p.Table, platformmod.ReportRequested, projections.Exec(func(e *eventstore.Event, d *platformmod.ReportRequestedV1) (string, []any) {
		return `INSERT INTO %[1]s.reports (id, tenant_id, kind, format, title, status, percent, stage, requested_by, assessment_id, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'queued', 0, 'queued', $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ReportID, e.TenantID, d.Kind, d.Format, d.Title, e.Actor, d.AssessmentID, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.ReportProgressed, projections.Exec(func(e *eventstore.Event, d *platformmod.ReportProgressedV1) (string, []any) {
		return `UPDATE %[1]s.reports SET status = 'running', percent = $2, stage = $3, version = $4, updated_at = $5 WHERE id = $1 AND version < $4`,
			[]any{d.ReportID, d.Percent, d.Stage, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.ReportGenerated, projections.Exec(func(e *eventstore.Event, d *platformmod.ReportGeneratedV1) (string, []any) {
		return `UPDATE %[1]s.reports SET status = 'done', percent = 100, stage = 'done', sha256 = $2, size = $3, content_type = $4, file_name = $5, rows = $6,
			version = $7, updated_at = $8, completed_at = $8 WHERE id = $1`,
			[]any{d.ReportID, d.SHA256, d.Size, d.ContentType, d.FileName, d.Rows, e.Version, e.Time}
	}))
	projections.On(p.Table, platformmod.ReportFailed, projections.Exec(func(e *eventstore.Event, d *platformmod.ReportFailedV1) (string, []any) {
		return `UPDATE %[1]s.reports SET status = 'failed', stage = 'failed', error = $2, version = $3, updated_at = $4, completed_at = $4 WHERE id = $1`,
			[]any{d.ReportID, d.Reason, e.Version, e.Time}
	}))
	notificationTables(p.Table)
	workflowTables(p.Table)
	return p
}

var _ projections.Projection = (*Projection)(nil)

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.integrations (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, url text NOT NULL, event_types jsonb NOT NULL, mode text NOT NULL,
			state text NOT NULL, disabled_reason text, secret text NOT NULL, previous_secret text, previous_until timestamptz, last_test_event_id text,
			since_position bigint NOT NULL,
			version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.integrations (tenant_id, id DESC);
		CREATE TABLE %[1]s.reports (
			id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, format text NOT NULL, title text NOT NULL, status text NOT NULL,
			percent int NOT NULL, stage text NOT NULL, requested_by text NOT NULL, assessment_id text NOT NULL, sha256 text, size bigint,
			content_type text, file_name text, rows int, error text, version bigint NOT NULL, created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL, completed_at timestamptz);
		CREATE INDEX ON %[1]s.reports (tenant_id, id DESC);
	`+notificationDDL+workflowDDL, s)); err != nil {
		return err
	}
	return projections.Isolate(ctx, tx, s, "integrations", "reports", "notification_channels", "notifications", "notification_reads", "notification_read_all",
		"workflows", "workflow_runs")
}

// Queries reads the Platform read models.
type Queries struct {
	Runner *projections.Runner
	// Blobs hold the reports' content.
	Blobs *blobstore.Store
}

// Integration is an outbound webhook as listed (never its secret).
type Integration struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	URL        string   `json:"url"`
	EventTypes []string `json:"event_types"`
	Mode       string   `json:"mode" enum:"binary,structured"`
	State      string   `json:"state" enum:"active,disabled"`
	// DisabledReason says why deliveries stopped.
	DisabledReason *string `json:"disabled_reason,omitempty"`
	// SecretRotating is set while a rotated-out secret still signs (until PreviousSecretUntil).
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
	LastTestEventID     *string    `json:"last_test_event_id,omitempty"`
	Version             int64      `json:"version"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

const integrationColumns = `id, name, url, event_types, mode, state, disabled_reason, previous_until, last_test_event_id, version, created_at, updated_at`

func scanIntegration(r pgx.CollectableRow) (Integration, error) {
	var i Integration
	err := r.Scan(&i.ID, &i.Name, &i.URL, &i.EventTypes, &i.Mode, &i.State, &i.DisabledReason, &i.PreviousSecretUntil, &i.LastTestEventID,
		&i.Version, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

// Integrations lists the tenant's integrations (deleted ones are not), newest first.
func (q *Queries) Integrations(ctx context.Context, tenant, state string, p projections.PageRequest) (projections.Page[Integration], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".integrations", integrationColumns).Where("tenant_id = ?", tenant).Where("state <> 'deleted'").
			WhereIf(state != "", "state = ?", state).OrderBy(true, projections.TextKey("id"))
	}, p, scanIntegration, func(i Integration) []any { return []any{i.ID} })
}

// Integration reads one integration; ErrIntegrationNotFound when the tenant has none of that id.
func (q *Queries) Integration(ctx context.Context, tenant, id string) (*Integration, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, platformmod.ErrIntegrationNotFound, scanIntegration, func(s string) string {
		return `SELECT ` + integrationColumns + ` FROM ` + s + `.integrations WHERE tenant_id = $1 AND id = $2 AND state <> 'deleted'`
	}, tenant, id)
}

// Target is what a delivery needs of an integration: where, how, and the
// sealed secrets that sign.
type Target struct {
	ID, TenantID, URL, Mode, State string
	EventTypes                     []string
	// Since is the ledger position of the configuration: only later events are sent.
	Since          int64
	Secret         string
	PreviousSecret *string
	PreviousUntil  *time.Time
}

// Targets reads the integrations of a tenant ("*": every tenant) that are
// active, or of the given ids whatever their state.
func (q *Queries) Targets(ctx context.Context, tenant string, ids []string) ([]Target, error) {
	var out []Target
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		sql := `SELECT id, tenant_id, url, mode, state, event_types, since_position, secret, previous_secret, previous_until FROM ` + s + `.integrations WHERE `
		args := []any{}
		if ids != nil {
			sql += `id = ANY($1)`
			args = append(args, ids)
		} else {
			sql += `state = 'active'`
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Target, error) {
			var t Target
			err := r.Scan(&t.ID, &t.TenantID, &t.URL, &t.Mode, &t.State, &t.EventTypes, &t.Since, &t.Secret, &t.PreviousSecret, &t.PreviousUntil)
			return t, err
		})
		return err
	})
	return out, err
}
