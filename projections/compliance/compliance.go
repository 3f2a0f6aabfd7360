// Package compliance projects frameworks (built in and imported), adoptions,
// tenant controls, assessments with their results, and evidence, and answers
// the queries over them.
package compliance

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/blobstore"
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/compliance/catalogue"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "compliance"

// Projection builds the compliance read models. Its Apply reads imported
// catalogs from Blobs by the hash their event records (and refuses a blob
// that no longer matches it); it reads no clock.
type Projection struct {
	projections.Tabled
	Blobs *blobstore.Store
}

// New builds the projection over the blob store of imported catalogs.
func New(blobs *blobstore.Store) *Projection {
	p := &Projection{Tabled: projections.NewTabled(Name, events.TopicFor("compliance")), Blobs: blobs}
	projections.On(p.Table, compliance.FrameworkImported, p.frameworkImported)
	projections.On(p.Table, compliance.FrameworkAdopted, projections.Exec(func(e *eventstore.Event, d *compliance.FrameworkAdoptedV1) (string, []any) {
		return `INSERT INTO %[1]s.adoptions (tenant_id, framework_id, adopted_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			[]any{e.TenantID, d.FrameworkID, e.Time}
	}))
	projections.On(p.Table, compliance.ControlCreated, projections.Exec(func(e *eventstore.Event, d *compliance.ControlCreatedV1) (string, []any) {
		return `INSERT INTO %[1]s.controls (id, tenant_id, name, description, owner, status, requirements, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ControlID, e.TenantID, d.Name, d.Description, d.Owner, d.Status, refs(d.Requirements), e.Version, e.Time}
	}))
	projections.On(p.Table, compliance.ControlUpdated, projections.Exec(func(e *eventstore.Event, d *compliance.ControlUpdatedV1) (string, []any) {
		var reqs any
		if d.Requirements != nil {
			reqs = refs(*d.Requirements)
		}
		return `UPDATE %[1]s.controls SET name = coalesce($2, name), description = coalesce($3, description), owner = coalesce($4, owner),
			status = coalesce($5, status), requirements = coalesce($6, requirements), version = $7, updated_at = $8 WHERE id = $1`,
			[]any{d.ControlID, d.Name, d.Description, d.Owner, d.Status, reqs, e.Version, e.Time}
	}))
	projections.On(p.Table, compliance.AssessmentStarted, projections.Exec(func(e *eventstore.Event, d *compliance.AssessmentStartedV1) (string, []any) {
		return `INSERT INTO %[1]s.assessments (id, tenant_id, framework_id, name, status, assessable, scale, version, started_at, updated_at)
			VALUES ($1, $2, $3, $4, 'in_progress', $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING`,
			[]any{d.AssessmentID, e.TenantID, d.FrameworkID, d.Name, d.Assessable, d.Scale, e.Version, e.Time}
	}))
	projections.On(p.Table, compliance.RequirementAssessed, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *compliance.RequirementAssessedV1) error {
		ids := d.EvidenceIDs
		if ids == nil {
			ids = []string{}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.results (tenant_id, assessment_id, requirement_id, result, notes, evidence_ids, assessed_at, actor)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (assessment_id, requirement_id) DO UPDATE
			SET result = excluded.result, notes = excluded.notes, evidence_ids = excluded.evidence_ids, assessed_at = excluded.assessed_at, actor = excluded.actor`,
			e.TenantID, d.AssessmentID, d.RequirementID, string(d.Result), d.Notes, ids, e.Time, e.Actor); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE `+s+`.assessments SET version = $2, updated_at = $3 WHERE id = $1`, d.AssessmentID, e.Version, e.Time)
		return err
	})
	projections.On(p.Table, compliance.AssessmentCompleted, projections.Exec(func(e *eventstore.Event, d *compliance.AssessmentCompletedV1) (string, []any) {
		return `UPDATE %[1]s.assessments SET status = 'completed', score = $2, value = $3, completed_at = $4, updated_at = $4, version = $5 WHERE id = $1`,
			[]any{d.AssessmentID, d.Score, d.Value, e.Time, e.Version}
	}))
	projections.On(p.Table, compliance.EvidenceAdded, projections.Exec(func(e *eventstore.Event, d *compliance.EvidenceAddedV1) (string, []any) {
		return `INSERT INTO %[1]s.evidence (id, tenant_id, kind, name, description, filename, media_type, sha256, size, url, effective_at, expires_at, expired,
			created_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, false, $13, $14) ON CONFLICT (id) DO NOTHING`,
			[]any{d.EvidenceID, e.TenantID, d.Kind, d.Name, d.Description, d.Filename, d.MediaType, d.SHA256, d.Size, d.URL, d.EffectiveAt, d.ExpiresAt, e.Time, e.Actor}
	}))
	// Which results are stale is decided when read (a result citing expired
	// evidence): results and expiries live on different streams, so a flag
	// set here would depend on the order partitions are interleaved.
	projections.On(p.Table, compliance.EvidenceExpired, projections.Exec(func(e *eventstore.Event, d *compliance.EvidenceExpiredV1) (string, []any) {
		return `UPDATE %[1]s.evidence SET expired = true, expired_at = $2 WHERE id = $1`, []any{d.EvidenceID, e.Time}
	}))
	return p
}

func refs(rs []compliance.Ref) []compliance.Ref {
	if rs == nil {
		return []compliance.Ref{}
	}
	return rs
}

var _ projections.Projection = (*Projection)(nil)

// Setup implements projections.Projection: the tables, and the built-in
// frameworks (rows with an empty tenant_id, which every tenant reads).
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.frameworks (
			tenant_id text NOT NULL, id text NOT NULL, kind text NOT NULL, name text NOT NULL, version text NOT NULL,
			publisher text NOT NULL, source text NOT NULL, scale jsonb NOT NULL, oscal_version text NOT NULL, document_uuid text NOT NULL,
			format text NOT NULL, requirements int NOT NULL, assessable int NOT NULL, withdrawn int NOT NULL, controls int NOT NULL,
			enhancements int NOT NULL, blob_sha256 text NOT NULL, imported_at timestamptz, PRIMARY KEY (tenant_id, id));
		CREATE TABLE %[1]s.requirements (
			tenant_id text NOT NULL, framework_id text NOT NULL, seq int NOT NULL, id text NOT NULL, parent_id text NOT NULL,
			class text NOT NULL, label text NOT NULL, title text NOT NULL, description text NOT NULL, assessable boolean NOT NULL,
			withdrawn boolean NOT NULL, tags text[] NOT NULL, params jsonb, parts jsonb, PRIMARY KEY (tenant_id, framework_id, id));
		CREATE INDEX ON %[1]s.requirements (tenant_id, framework_id, seq);
		CREATE TABLE %[1]s.adoptions (tenant_id text NOT NULL, framework_id text NOT NULL, adopted_at timestamptz NOT NULL,
			PRIMARY KEY (tenant_id, framework_id));
		CREATE TABLE %[1]s.controls (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL, owner text NOT NULL,
			status text NOT NULL, requirements jsonb NOT NULL, version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.controls (tenant_id, created_at DESC, id DESC);
		CREATE TABLE %[1]s.assessments (
			id text PRIMARY KEY, tenant_id text NOT NULL, framework_id text NOT NULL, name text NOT NULL, status text NOT NULL,
			assessable int NOT NULL, scale jsonb NOT NULL, score double precision, value double precision, version bigint NOT NULL,
			started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, completed_at timestamptz);
		CREATE INDEX ON %[1]s.assessments (tenant_id, framework_id, started_at DESC, id DESC);
		CREATE INDEX ON %[1]s.assessments (tenant_id, started_at DESC, id DESC);
		CREATE TABLE %[1]s.results (
			tenant_id text NOT NULL, assessment_id text NOT NULL, requirement_id text NOT NULL, result text NOT NULL, notes text NOT NULL,
			evidence_ids text[] NOT NULL, assessed_at timestamptz NOT NULL, actor text NOT NULL, PRIMARY KEY (assessment_id, requirement_id));
		CREATE INDEX ON %[1]s.results USING gin (evidence_ids);
		CREATE TABLE %[1]s.evidence (
			id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, name text NOT NULL, description text NOT NULL,
			filename text NOT NULL, media_type text NOT NULL, sha256 text NOT NULL, size bigint NOT NULL, url text NOT NULL,
			effective_at timestamptz NOT NULL, expires_at timestamptz, expired boolean NOT NULL, expired_at timestamptz, created_at timestamptz NOT NULL,
			added_by text NOT NULL);
		CREATE INDEX ON %[1]s.evidence (tenant_id, created_at DESC, id DESC);
		CREATE INDEX ON %[1]s.evidence (tenant_id, added_by);
		CREATE INDEX ON %[1]s.evidence (expires_at) WHERE NOT expired;
	`, s)); err != nil {
		return err
	}
	if err := projections.Isolate(ctx, tx, s, "adoptions", "controls", "assessments", "results", "evidence"); err != nil {
		return err
	}
	// Built-in frameworks are everybody's: rows of tenant '' are readable by all.
	if err := projections.IsolateShared(ctx, tx, s, "frameworks", "requirements"); err != nil {
		return err
	}
	for _, f := range catalogue.All() {
		if err := insertFramework(ctx, tx, s, "", f, nil, "", nil); err != nil {
			return err
		}
	}
	return nil
}

// frameworkImported projects an imported catalog from its blob.
func (p *Projection) frameworkImported(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *compliance.FrameworkImportedV1) error {
	raw, err := p.Blobs.Read(d.BlobSHA256)
	if err != nil {
		return err
	}
	var f compliance.Framework
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("catalog blob %s: %w", d.BlobSHA256, err)
	}
	f.ID = d.FrameworkID
	return insertFramework(ctx, tx, s, e.TenantID, f, d, d.BlobSHA256, &e.Time)
}

func insertFramework(ctx context.Context, tx pgx.Tx, s, tenant string, f compliance.Framework, d *compliance.FrameworkImportedV1, sum string, at any) error {
	rows := make([][]any, 0, len(f.Requirements))
	for i, r := range f.Requirements {
		tags := r.Tags
		if tags == nil {
			tags = []string{}
		}
		var params, parts any
		if len(r.Params) > 0 {
			params = r.Params
		}
		if len(r.Parts) > 0 {
			parts = r.Parts
		}
		rows = append(rows, []any{tenant, f.ID, i, r.ID, r.ParentID, string(r.Class), r.Label, r.Title, r.Description, r.Assessable, r.Withdrawn, tags, params, parts})
	}
	n := f.Census()
	format := ""
	if d != nil {
		format = d.Format
	}
	tag, err := tx.Exec(ctx, `INSERT INTO `+s+`.frameworks (tenant_id, id, kind, name, version, publisher, source, scale, oscal_version, document_uuid,
		format, requirements, assessable, withdrawn, controls, enhancements, blob_sha256, imported_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT DO NOTHING`,
		tenant, f.ID, string(f.Kind), f.Name, f.Version, f.Publisher, f.Source, f.Scale, f.OSCALVersion, f.DocumentUUID, format,
		n.Requirements, n.Assessable, n.Withdrawn, n.Controls, n.Enhancements, sum, at)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{s, "requirements"}, []string{"tenant_id", "framework_id", "seq", "id", "parent_id", "class", "label",
		"title", "description", "assessable", "withdrawn", "tags", "params", "parts"}, pgx.CopyFromRows(rows))
	return err
}
