package datagov

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the Data Governance read models.
type Queries struct {
	Runner *projections.Runner
	// Keys opens the sealed personal fields of requests when they are read.
	Keys *eventstore.Keyring
}

// Dataset is a dataset of the inventory.
type Dataset struct {
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	Description    string           `json:"description"`
	Owner          string           `json:"owner"`
	System         string           `json:"system"`
	Location       string           `json:"location"`
	Columns        []datagov.Column `json:"columns"`
	LawfulBasis    string           `json:"lawful_basis" enum:"consent,contract,legal_obligation,vital_interests,public_task,legitimate_interests,not_applicable"`
	RetentionClass string           `json:"retention_class"`
	// Sensitivity is the latest classification's level; null until classified.
	Sensitivity *string   `json:"sensitivity" enum:"public,internal,confidential,restricted"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

const datasetColumns = `id, name, description, owner, system, location, columns, lawful_basis, retention_class, sensitivity, version, created_at, updated_at`

func scanDataset(r pgx.CollectableRow) (Dataset, error) {
	var d Dataset
	err := r.Scan(&d.ID, &d.Name, &d.Description, &d.Owner, &d.System, &d.Location, &d.Columns, &d.LawfulBasis, &d.RetentionClass, &d.Sensitivity,
		&d.Version, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// DatasetFilter narrows Datasets.
type DatasetFilter struct {
	Sensitivity, System, LawfulBasis string
}

// Datasets lists the tenant's inventory, newest first.
func (q *Queries) Datasets(ctx context.Context, tenant string, f DatasetFilter, p projections.PageRequest) (projections.Page[Dataset], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".datasets", datasetColumns).Where("tenant_id = ?", tenant).
			WhereIf(f.Sensitivity != "", "sensitivity = ?", f.Sensitivity).WhereIf(f.System != "", "system = ?", f.System).
			WhereIf(f.LawfulBasis != "", "lawful_basis = ?", f.LawfulBasis).OrderBy(true, projections.TextKey("id"))
	}, p, scanDataset, func(d Dataset) []any { return []any{d.ID} })
}

// Dataset reads one dataset; ErrDatasetNotFound when the tenant has none of that id.
func (q *Queries) Dataset(ctx context.Context, tenant, id string) (*Dataset, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, datagov.ErrDatasetNotFound, scanDataset, func(s string) string {
		return `SELECT ` + datasetColumns + ` FROM ` + s + `.datasets WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// DatasetClassification is a dataset's latest classification.
type DatasetClassification struct {
	DatasetID      string                   `json:"dataset_id"`
	Classification datagov.Classification   `json:"classification"`
	Columns        []datagov.ColumnFindings `json:"columns"`
	ClassifiedAt   time.Time                `json:"classified_at"`
	ClassifiedBy   string                   `json:"classified_by"`
}

// Classification reads a dataset's latest classification; ErrDatasetNotFound
// for an unknown dataset, ErrNotClassified before the first one.
func (q *Queries) Classification(ctx context.Context, tenant, id string) (*DatasetClassification, error) {
	if _, err := q.Dataset(ctx, tenant, id); err != nil {
		return nil, err
	}
	return projections.OneOr(ctx, q.Runner, Name, tenant, datagov.ErrNotClassified, func(r pgx.CollectableRow) (DatasetClassification, error) {
		var c DatasetClassification
		err := r.Scan(&c.DatasetID, &c.Classification, &c.Columns, &c.ClassifiedAt, &c.ClassifiedBy)
		return c, err
	}, func(s string) string {
		return `SELECT dataset_id, classification, columns, classified_at, actor FROM ` + s + `.classifications WHERE tenant_id = $1 AND dataset_id = $2`
	}, tenant, id)
}

// Dsar is a data subject request as listed.
type Dsar struct {
	ID            string `json:"id"`
	Type          string `json:"type" enum:"access,erasure,rectification,portability"`
	Jurisdiction  string `json:"jurisdiction" enum:"gdpr,ccpa"`
	SubjectUserID string `json:"subject_user_id,omitempty"`
	// SubjectEmail and SubjectName read "[erased]" once the subject is erased.
	SubjectEmail string `json:"subject_email,omitempty"`
	SubjectName  string `json:"subject_name,omitempty"`
	Notes        string `json:"notes,omitempty"`
	Status       string `json:"status" enum:"open,fulfilled,rejected"`
	// Verification is the identity check's state; VerificationMethod how it was done.
	Verification       string    `json:"verification" enum:"pending,verified,failed"`
	VerificationMethod string    `json:"verification_method,omitempty"`
	ReceivedAt         time.Time `json:"received_at"`
	// DueAt is the legal due date (after an extension, the extended one);
	// InitialDueAt the one before any extension.
	DueAt           time.Time `json:"due_at"`
	InitialDueAt    time.Time `json:"initial_due_at"`
	Extended        bool      `json:"extended"`
	ExtensionReason string    `json:"extension_reason,omitempty"`
	// Overdue is set when the deadline scan raised the overdue alert.
	Overdue       bool                    `json:"overdue"`
	ClosingReason string                  `json:"closing_reason,omitempty"`
	ClosedAt      *time.Time              `json:"closed_at,omitempty"`
	Archive       *datagov.ArchiveReceipt `json:"archive,omitempty"`
	Certificate   *datagov.Certificate    `json:"certificate,omitempty"`
	Version       int64                   `json:"version"`
	UpdatedAt     time.Time               `json:"updated_at"`
}

const dsarColumns = `id, type, jurisdiction, subject_user_id, subject_email, subject_name, notes, status, verification, verification_method,
	received_at, due_at, initial_due_at, extended, coalesce(extension_reason, ''), overdue, coalesce(closing_reason, ''), closed_at, archive,
	certificate, version, updated_at`

func scanDsar(r pgx.CollectableRow) (Dsar, error) {
	var d Dsar
	err := r.Scan(&d.ID, &d.Type, &d.Jurisdiction, &d.SubjectUserID, &d.SubjectEmail, &d.SubjectName, &d.Notes, &d.Status, &d.Verification,
		&d.VerificationMethod, &d.ReceivedAt, &d.DueAt, &d.InitialDueAt, &d.Extended, &d.ExtensionReason, &d.Overdue, &d.ClosingReason,
		&d.ClosedAt, &d.Archive, &d.Certificate, &d.Version, &d.UpdatedAt)
	return d, err
}

// open opens a request's sealed fields.
func (q *Queries) open(ctx context.Context, d *Dsar) {
	for _, f := range []*string{&d.SubjectEmail, &d.SubjectName} {
		if *f != "" {
			*f = q.Keys.MustOpen(ctx, *f)
		}
	}
}

// DsarFilter narrows Dsars.
type DsarFilter struct {
	Type, Status, Verification string
	Overdue                    *bool
}

// Dsars lists the tenant's requests, newest first.
func (q *Queries) Dsars(ctx context.Context, tenant string, f DsarFilter, p projections.PageRequest) (projections.Page[Dsar], error) {
	page, err := projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".dsars", dsarColumns).Where("tenant_id = ?", tenant).
			WhereIf(f.Type != "", "type = ?", f.Type).WhereIf(f.Status != "", "status = ?", f.Status).
			WhereIf(f.Verification != "", "verification = ?", f.Verification).WhereIf(f.Overdue != nil, "overdue = ?", f.Overdue).
			OrderBy(true, projections.TextKey("id"))
	}, p, scanDsar, func(d Dsar) []any { return []any{d.ID} })
	for i := range page.Items {
		q.open(ctx, &page.Items[i])
	}
	return page, err
}

// Dsar reads one request; ErrDsarNotFound when the tenant has none of that id.
func (q *Queries) Dsar(ctx context.Context, tenant, id string) (*Dsar, error) {
	d, err := projections.OneOr(ctx, q.Runner, Name, tenant, datagov.ErrDsarNotFound, scanDsar, func(s string) string {
		return `SELECT ` + dsarColumns + ` FROM ` + s + `.dsars WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
	if d != nil {
		q.open(ctx, d)
	}
	return d, err
}

// DueDsar is an open request past its due date and not alerted for it.
type DueDsar struct {
	ID, TenantID string
}

// OverdueDsars lists, across tenants, open requests due at now that the
// deadline scan has not alerted for their current due date (at most limit).
func (q *Queries) OverdueDsars(ctx context.Context, now time.Time, limit int) ([]DueDsar, error) {
	var out []DueDsar
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT id, tenant_id FROM `+s+`.dsars WHERE status = 'open' AND due_at <= $1
			AND alerted_due_at IS DISTINCT FROM due_at ORDER BY due_at LIMIT $2`, now, limit)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[DueDsar])
		return err
	})
	return out, err
}

// RetentionPolicy is a retention rule with its last run.
type RetentionPolicy struct {
	ID             string                `json:"id"`
	Name           string                `json:"name"`
	Module         string                `json:"module" enum:"gateway,data_gov,bastion_ai"`
	DataClass      string                `json:"data_class" enum:"prompt_content,lineage_events,assistant_documents"`
	PeriodDays     int                   `json:"period_days"`
	Enabled        bool                  `json:"enabled"`
	LastRun        *datagov.RetentionRun `json:"last_run,omitempty"`
	LastEnforcedAt *time.Time            `json:"last_enforced_at,omitempty"`
	Version        int64                 `json:"version"`
	CreatedAt      time.Time             `json:"created_at"`
	UpdatedAt      time.Time             `json:"updated_at"`
}

const policyColumns = `id, name, module, data_class, period_days, enabled, last_run, last_enforced_at, version, created_at, updated_at`

func scanPolicy(r pgx.CollectableRow) (RetentionPolicy, error) {
	var p RetentionPolicy
	err := r.Scan(&p.ID, &p.Name, &p.Module, &p.DataClass, &p.PeriodDays, &p.Enabled, &p.LastRun, &p.LastEnforcedAt, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// RetentionPolicies lists the tenant's rules, newest first.
func (q *Queries) RetentionPolicies(ctx context.Context, tenant, module string, p projections.PageRequest) (projections.Page[RetentionPolicy], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".retention_policies", policyColumns).Where("tenant_id = ?", tenant).
			WhereIf(module != "", "module = ?", module).OrderBy(true, projections.TextKey("id"))
	}, p, scanPolicy, func(x RetentionPolicy) []any { return []any{x.ID} })
}

// RetentionPolicy reads one rule; ErrPolicyNotFound when the tenant has none of that id.
func (q *Queries) RetentionPolicy(ctx context.Context, tenant, id string) (*RetentionPolicy, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, datagov.ErrPolicyNotFound, scanPolicy, func(s string) string {
		return `SELECT ` + policyColumns + ` FROM ` + s + `.retention_policies WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// RunsBefore counts the tenant's recorded run events older than cutoff
// (commands: a lineage retention run).
func (q *Queries) RunsBefore(ctx context.Context, tenant string, cutoff time.Time) (int, *time.Time, *time.Time, error) {
	var n int
	var from, to *time.Time
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		return tx.QueryRow(ctx, `SELECT count(*), min(event_time), max(event_time) FROM `+s+`.lineage_events WHERE tenant_id = $1 AND event_time < $2`,
			tenant, cutoff).Scan(&n, &from, &to)
	})
	return n, from, to, err
}

// Holdings implements datagov.Holder: the requests the subject made (their
// sealed fields are opened by the export).
func (q *Queries) Holdings(ctx context.Context, tenant string, p datagov.Person) ([]datagov.Section, error) {
	if p.UserID == "" {
		return nil, nil
	}
	var items []json.RawMessage
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT to_jsonb(d) - 'subject_key' FROM `+s+`.dsars d WHERE tenant_id = $1 AND subject_user_id = $2 ORDER BY id`, tenant, p.UserID)
		var err error
		items, err = pgx.CollectRows(rows, pgx.RowTo[json.RawMessage])
		return err
	})
	if err != nil || len(items) == 0 {
		return nil, err
	}
	return []datagov.Section{{Module: datagov.Module, Kind: "subject_requests", Items: items}}, nil
}
