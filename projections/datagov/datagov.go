// Package datagov projects Data Governance: the data inventory and its
// classifications, data subject requests, the lineage graph of recorded
// OpenLineage runs, and retention policies; and answers the queries over
// them. Personal fields of requests stay sealed in the read model and are
// opened when read, so an erased subject reads as erased everywhere at once.
package datagov

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/datagov/openlineage"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "data_gov"

// Projection builds the Data Governance read models.
type Projection struct {
	projections.Tabled
}

// New builds the projection.
func New() *Projection {
	p := &Projection{Tabled: projections.NewTabled(Name, events.TopicFor(datagov.Module))}
	projections.On(p.Table, datagov.DatasetRegistered, projections.Exec(func(e *eventstore.Event, d *datagov.DatasetRegisteredV1) (string, []any) {
		return `INSERT INTO %[1]s.datasets (id, tenant_id, name, description, owner, system, location, columns, lawful_basis, retention_class,
			version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) ON CONFLICT (id) DO NOTHING`,
			[]any{d.DatasetID, e.TenantID, d.Name, d.Description, d.Owner, d.System, d.Location, d.Columns, d.LawfulBasis, d.RetentionClass, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.DatasetClassified, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *datagov.DatasetClassifiedV1) error {
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.classifications (dataset_id, tenant_id, sensitivity, classification, columns, version, classified_at, actor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dataset_id) DO UPDATE SET sensitivity = excluded.sensitivity,
			classification = excluded.classification, columns = excluded.columns, version = excluded.version, classified_at = excluded.classified_at,
			actor = excluded.actor WHERE classifications.version < excluded.version`,
			d.DatasetID, e.TenantID, d.Classification.Sensitivity, d.Classification, d.Columns, e.Version, e.Time, e.Actor); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE `+s+`.datasets SET sensitivity = $2, version = greatest(version, $3), updated_at = greatest(updated_at, $4) WHERE id = $1`,
			d.DatasetID, d.Classification.Sensitivity, e.Version, e.Time)
		return err
	})
	projections.On(p.Table, datagov.DsarReceived, projections.Exec(func(e *eventstore.Event, d *datagov.DsarReceivedV1) (string, []any) {
		return `INSERT INTO %[1]s.dsars (id, tenant_id, type, jurisdiction, subject_user_id, subject_email, subject_name, subject_key, notes, status,
			verification, verification_method, received_at, due_at, initial_due_at, extended, overdue, version, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', 'pending', '', $10, $11, $11, false, false, $12, $13) ON CONFLICT (id) DO NOTHING`,
			[]any{d.DsarID, e.TenantID, d.Type, d.Jurisdiction, d.SubjectUserID, d.SubjectEmail, d.SubjectName, d.SubjectKey, d.Notes, d.ReceivedAt, d.DueAt, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.DsarIdentityVerified, projections.Exec(func(e *eventstore.Event, d *datagov.DsarIdentityVerifiedV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET verification = $2, verification_method = $3, version = $4, updated_at = $5 WHERE id = $1`,
			[]any{d.DsarID, d.State, d.Method, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.DsarExtended, projections.Exec(func(e *eventstore.Event, d *datagov.DsarExtendedV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET extended = true, extension_reason = $2, due_at = $3, overdue = false, version = $4, updated_at = $5 WHERE id = $1`,
			[]any{d.DsarID, d.Reason, d.DueAt, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.DsarOverdue, projections.Exec(func(e *eventstore.Event, d *datagov.DsarOverdueV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET overdue = true, alerted_due_at = $2, version = $3, updated_at = $4 WHERE id = $1`,
			[]any{d.DsarID, d.DueAt, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.DsarRejected, projections.Exec(func(e *eventstore.Event, d *datagov.DsarRejectedV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET status = 'rejected', closing_reason = $2, closed_at = $3, version = $4, updated_at = $3 WHERE id = $1`,
			[]any{d.DsarID, d.Reason, e.Time, e.Version}
	}))
	projections.On(p.Table, datagov.DsarFulfilled, projections.Exec(func(e *eventstore.Event, d *datagov.DsarFulfilledV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET status = 'fulfilled', closing_reason = $2, archive = $3, closed_at = $4, version = $5, updated_at = $4 WHERE id = $1`,
			[]any{d.DsarID, d.Notes, d.Archive, e.Time, e.Version}
	}))
	projections.On(p.Table, datagov.SubjectErased, projections.Exec(func(e *eventstore.Event, d *datagov.SubjectErasedV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET erased_keys = $2, version = $3, updated_at = $4 WHERE id = $1`, []any{d.DsarID, len(d.Keys), e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.ErasureCertificateIssued, projections.Exec(func(e *eventstore.Event, d *datagov.ErasureCertificateIssuedV1) (string, []any) {
		return `UPDATE %[1]s.dsars SET certificate = $2, version = $3, updated_at = $4 WHERE id = $1`, []any{d.DsarID, d.Certificate, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.LineageRecorded, applyLineage)
	projections.On(p.Table, datagov.RetentionPolicyCreated, projections.Exec(func(e *eventstore.Event, d *datagov.RetentionPolicyCreatedV1) (string, []any) {
		return `INSERT INTO %[1]s.retention_policies (id, tenant_id, name, module, data_class, period_days, enabled, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING`,
			[]any{d.PolicyID, e.TenantID, d.Name, d.Module, d.DataClass, d.PeriodDays, d.Enabled, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.RetentionPolicyUpdated, projections.Exec(func(e *eventstore.Event, d *datagov.RetentionPolicyUpdatedV1) (string, []any) {
		return `UPDATE %[1]s.retention_policies SET name = coalesce($2, name), period_days = coalesce($3, period_days), enabled = coalesce($4, enabled),
			version = $5, updated_at = $6 WHERE id = $1`, []any{d.PolicyID, d.Name, d.PeriodDays, d.Enabled, e.Version, e.Time}
	}))
	projections.On(p.Table, datagov.RetentionEnforced, applyRetention)
	return p
}

var _ projections.Projection = (*Projection)(nil)

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.datasets (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, owner text NOT NULL, system text NOT NULL,
			location text NOT NULL, columns jsonb NOT NULL, lawful_basis text NOT NULL, retention_class text NOT NULL, sensitivity text,
			version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.datasets (tenant_id, id DESC);
		CREATE TABLE %[1]s.classifications (
			dataset_id text PRIMARY KEY, tenant_id text NOT NULL, sensitivity text NOT NULL, classification jsonb NOT NULL, columns jsonb NOT NULL,
			version bigint NOT NULL, classified_at timestamptz NOT NULL, actor text NOT NULL);
		CREATE TABLE %[1]s.dsars (
			id text PRIMARY KEY, tenant_id text NOT NULL, type text NOT NULL, jurisdiction text NOT NULL, subject_user_id text NOT NULL,
			subject_email text NOT NULL, subject_name text NOT NULL, subject_key text NOT NULL, notes text NOT NULL, status text NOT NULL,
			verification text NOT NULL, verification_method text NOT NULL, received_at timestamptz NOT NULL, due_at timestamptz NOT NULL,
			initial_due_at timestamptz NOT NULL, extended boolean NOT NULL, extension_reason text, overdue boolean NOT NULL, alerted_due_at timestamptz,
			closing_reason text, closed_at timestamptz, archive jsonb, erased_keys int, certificate jsonb, version bigint NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.dsars (tenant_id, id DESC);
		CREATE INDEX ON %[1]s.dsars (due_at) WHERE status = 'open';
		CREATE TABLE %[1]s.lineage_events (
			tenant_id text NOT NULL, position bigint NOT NULL, run_id text NOT NULL, event_type text NOT NULL, event_time timestamptz NOT NULL,
			job_namespace text NOT NULL, job_name text NOT NULL, run_event jsonb NOT NULL, PRIMARY KEY (tenant_id, position));
		CREATE INDEX ON %[1]s.lineage_events (tenant_id, run_id);
		CREATE INDEX ON %[1]s.lineage_events (tenant_id, event_time);
		CREATE TABLE %[1]s.lineage_edges (
			tenant_id text NOT NULL, job_namespace text NOT NULL, job_name text NOT NULL, dataset_namespace text NOT NULL, dataset_name text NOT NULL,
			direction text NOT NULL, last_seen timestamptz NOT NULL,
			PRIMARY KEY (tenant_id, job_namespace, job_name, dataset_namespace, dataset_name, direction));
		CREATE INDEX ON %[1]s.lineage_edges (tenant_id, dataset_namespace, dataset_name);
		CREATE TABLE %[1]s.lineage_datasets (
			tenant_id text NOT NULL, namespace text NOT NULL, name text NOT NULL, fields jsonb, column_lineage jsonb, last_seen timestamptz NOT NULL,
			PRIMARY KEY (tenant_id, namespace, name));
		CREATE TABLE %[1]s.retention_cutoffs (
			tenant_id text NOT NULL, data_class text NOT NULL, cutoff timestamptz NOT NULL, PRIMARY KEY (tenant_id, data_class));
		CREATE TABLE %[1]s.retention_policies (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, module text NOT NULL, data_class text NOT NULL, period_days int NOT NULL,
			enabled boolean NOT NULL, last_run jsonb, last_enforced_at timestamptz, version bigint NOT NULL, created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.retention_policies (tenant_id, id DESC);
	`, s)); err != nil {
		return err
	}
	return projections.Isolate(ctx, tx, s, "datasets", "classifications", "dsars", "lineage_events", "lineage_edges", "lineage_datasets",
		"retention_cutoffs", "retention_policies")
}

// applyLineage records a run event and folds its inputs and outputs into the
// graph. Each edge and dataset keeps its latest facts (the greatest event
// time wins, whatever order partitions deliver runs in); events older than
// an enforced lineage retention cutoff are not applied.
func applyLineage(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *datagov.LineageRecordedV1) error {
	var expired bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+s+`.retention_cutoffs WHERE tenant_id = $1 AND data_class = $2 AND cutoff > $3)`,
		e.TenantID, datagov.ClassLineageEvents, d.EventTime).Scan(&expired); err != nil || expired {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.lineage_events (tenant_id, position, run_id, event_type, event_time, job_namespace, job_name, run_event)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		e.TenantID, e.Position, d.RunID, d.EventType, d.EventTime, d.JobNamespace, d.JobName, d.RunEvent); err != nil {
		return err
	}
	var ev openlineage.RunEvent
	if err := json.Unmarshal(d.RunEvent, &ev); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for dir, list := range map[string][]openlineage.Dataset{"in": ev.Inputs, "out": ev.Outputs} {
		for _, ds := range list {
			b.Queue(`INSERT INTO `+s+`.lineage_edges (tenant_id, job_namespace, job_name, dataset_namespace, dataset_name, direction, last_seen)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, job_namespace, job_name, dataset_namespace, dataset_name, direction)
				DO UPDATE SET last_seen = greatest(lineage_edges.last_seen, excluded.last_seen)`,
				e.TenantID, d.JobNamespace, d.JobName, ds.Namespace, ds.Name, dir, d.EventTime)
			var fields, cols any
			if f := ds.Fields(); f != nil {
				fields = f
			}
			if c := ds.ColumnLineage(); c != nil {
				cols = c
			}
			// A facet replaces the one seen before it (OpenLineage: the latest facet of a name wins).
			b.Queue(`INSERT INTO `+s+`.lineage_datasets (tenant_id, namespace, name, fields, column_lineage, last_seen) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (tenant_id, namespace, name) DO UPDATE SET
				fields = CASE WHEN excluded.fields IS NOT NULL AND excluded.last_seen >= lineage_datasets.last_seen THEN excluded.fields
					WHEN lineage_datasets.fields IS NULL THEN excluded.fields ELSE lineage_datasets.fields END,
				column_lineage = CASE WHEN excluded.column_lineage IS NOT NULL AND excluded.last_seen >= lineage_datasets.last_seen THEN excluded.column_lineage
					WHEN lineage_datasets.column_lineage IS NULL THEN excluded.column_lineage ELSE lineage_datasets.column_lineage END,
				last_seen = greatest(lineage_datasets.last_seen, excluded.last_seen)`,
				e.TenantID, ds.Namespace, ds.Name, fields, cols, d.EventTime)
		}
	}
	return tx.SendBatch(ctx, b).Close()
}

// applyRetention records an enforcement on its policy and, for lineage,
// deletes what is older than the cutoff and keeps the cutoff so that older
// runs applied later (a replay) are not brought back.
func applyRetention(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *datagov.RetentionEnforcedV1) error {
	if _, err := tx.Exec(ctx, `UPDATE `+s+`.retention_policies SET last_run = $2, last_enforced_at = $3, version = $4 WHERE id = $1`,
		d.PolicyID, d.Plan, e.Time, e.Version); err != nil {
		return err
	}
	if d.DataClass != datagov.ClassLineageEvents {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.retention_cutoffs (tenant_id, data_class, cutoff) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, data_class) DO UPDATE SET cutoff = greatest(retention_cutoffs.cutoff, excluded.cutoff)`,
		e.TenantID, d.DataClass, d.Cutoff); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM ` + s + `.lineage_events WHERE tenant_id = $1 AND event_time < $2`,
		`DELETE FROM ` + s + `.lineage_edges WHERE tenant_id = $1 AND last_seen < $2`,
		`DELETE FROM ` + s + `.lineage_datasets WHERE tenant_id = $1 AND last_seen < $2`} {
		if _, err := tx.Exec(ctx, q, e.TenantID, d.Cutoff); err != nil {
			return err
		}
	}
	return nil
}
