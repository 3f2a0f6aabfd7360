package compliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/blobstore"
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/compliance/catalogue"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the compliance read models.
type Queries struct {
	Runner *projections.Runner
	// Files keeps the evidence files.
	Files *blobstore.Store
}

// Framework is a framework as listed: built in, or imported by the tenant.
type Framework struct {
	ID           string           `json:"id"`
	Kind         compliance.Kind  `json:"kind" enum:"builtin,imported"`
	Name         string           `json:"name"`
	Version      string           `json:"version"`
	Publisher    string           `json:"publisher"`
	Source       string           `json:"source"`
	Scale        compliance.Scale `json:"scale"`
	OSCALVersion string           `json:"oscal_version,omitempty"`
	// Requirements counts every node of the tree; Assessable those an assessment records a result for.
	Requirements int  `json:"requirements"`
	Assessable   int  `json:"assessable"`
	Withdrawn    int  `json:"withdrawn"`
	Controls     int  `json:"controls"`
	Enhancements int  `json:"enhancements"`
	Adopted      bool `json:"adopted"`
	// BlobSHA256 is the hash of an imported catalog's stored tree.
	BlobSHA256 string     `json:"blob_sha256,omitempty"`
	ImportedAt *time.Time `json:"imported_at,omitempty"`
}

// Requirement is one node of a framework's tree.
type Requirement struct {
	ID          string           `json:"id"`
	ParentID    string           `json:"parent_id,omitempty"`
	Children    []string         `json:"children"`
	Class       compliance.Class `json:"class"`
	Label       string           `json:"label,omitempty"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Assessable  bool             `json:"assessable"`
	Withdrawn   bool             `json:"withdrawn"`
	Tags        []string         `json:"tags"`
	// Params and Parts are an OSCAL control's parameters and parts as imported.
	Params json.RawMessage `json:"params,omitempty"`
	Parts  json.RawMessage `json:"parts,omitempty"`
}

// FrameworkDetail is a framework with its requirement tree, parents first.
type FrameworkDetail struct {
	Framework
	Tree []Requirement `json:"requirements_tree"`
}

const frameworkColumns = `f.id, f.kind, f.name, f.version, f.publisher, f.source, f.scale, f.oscal_version, f.requirements, f.assessable,
	f.withdrawn, f.controls, f.enhancements, EXISTS (SELECT 1 FROM %[1]s.adoptions a WHERE a.framework_id = f.id AND a.tenant_id = $1),
	f.blob_sha256, f.imported_at`

func scanFramework(r pgx.CollectableRow) (Framework, error) {
	var f Framework
	err := r.Scan(&f.ID, &f.Kind, &f.Name, &f.Version, &f.Publisher, &f.Source, &f.Scale, &f.OSCALVersion, &f.Requirements, &f.Assessable,
		&f.Withdrawn, &f.Controls, &f.Enhancements, &f.Adopted, &f.BlobSHA256, &f.ImportedAt)
	return f, err
}

// Frameworks lists the built-in frameworks and the tenant's imports, by id.
func (q *Queries) Frameworks(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Framework], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		// The tenant is $1 of the adoption test; the filter repeats it so the
		// placeholder numbering holds.
		return projections.NewList(s+".frameworks f", fmt.Sprintf(frameworkColumns, s)).
			Where("f.tenant_id IN ('', ?)", tenant).OrderBy(false, projections.TextKey("f.id"))
	}, p, scanFramework, func(f Framework) []any { return []any{f.ID} })
}

// Framework reads a framework with its tree; ErrFrameworkNotFound when the
// tenant has none of that id.
func (q *Queries) Framework(ctx context.Context, tenant, id string) (*FrameworkDetail, error) {
	var out FrameworkDetail
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+fmt.Sprintf(frameworkColumns, s)+` FROM `+s+`.frameworks f WHERE f.tenant_id IN ('', $1) AND f.id = $2`, tenant, id)
		f, err := pgx.CollectExactlyOneRow(rows, scanFramework)
		if errors.Is(err, pgx.ErrNoRows) {
			return compliance.ErrFrameworkNotFound
		}
		if err != nil {
			return err
		}
		out.Framework = f
		rows, _ = tx.Query(ctx, `SELECT id, parent_id, class, label, title, description, assessable, withdrawn, tags, params, parts
			FROM `+s+`.requirements WHERE tenant_id IN ('', $1) AND framework_id = $2 ORDER BY seq`, tenant, id)
		out.Tree, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Requirement, error) {
			x := Requirement{Children: []string{}}
			err := r.Scan(&x.ID, &x.ParentID, &x.Class, &x.Label, &x.Title, &x.Description, &x.Assessable, &x.Withdrawn, &x.Tags, &x.Params, &x.Parts)
			return x, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(out.Tree))
	for i, r := range out.Tree {
		at[r.ID] = i
		if p, ok := at[r.ParentID]; ok && r.ParentID != "" {
			out.Tree[p].Children = append(out.Tree[p].Children, r.ID)
		}
	}
	return &out, nil
}

// FrameworkHeader returns a framework without its tree, and how many of its
// requirements are assessable (commands: starting an assessment).
func (q *Queries) FrameworkHeader(ctx context.Context, tenant, id string) (compliance.Framework, int, error) {
	var f compliance.Framework
	var assessable int
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT id, kind, name, version, scale, assessable FROM `+s+`.frameworks WHERE tenant_id IN ('', $1) AND id = $2`,
			tenant, id).Scan(&f.ID, &f.Kind, &f.Name, &f.Version, &f.Scale, &assessable)
		if errors.Is(err, pgx.ErrNoRows) {
			return compliance.ErrFrameworkNotFound
		}
		return err
	})
	return f, assessable, err
}

// Requirement reads one requirement of a framework the tenant sees;
// compliance.ErrUnknownRequirement when there is none.
func (q *Queries) Requirement(ctx context.Context, tenant, frameworkID, id string) (compliance.Requirement, error) {
	var r compliance.Requirement
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT id, parent_id, class, title, assessable, withdrawn FROM `+s+`.requirements
			WHERE tenant_id IN ('', $1) AND framework_id = $2 AND id = $3`, tenant, frameworkID, id).
			Scan(&r.ID, &r.ParentID, &r.Class, &r.Title, &r.Assessable, &r.Withdrawn)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %q in %s", compliance.ErrUnknownRequirement, id, frameworkID)
		}
		return err
	})
	return r, err
}

// Control is a tenant control with what it covers in the adopted frameworks.
type Control struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Description  string           `json:"description"`
	Owner        string           `json:"owner"`
	Status       string           `json:"status" enum:"not_implemented,planned,partially_implemented,implemented,not_applicable"`
	Requirements []compliance.Ref `json:"requirements"`
	// Coverage is what the control covers in every adopted framework: its
	// own references, and through the cross-framework mappings, in both
	// directions, with their strength.
	Coverage  []compliance.Coverage `json:"coverage"`
	Version   int64                 `json:"version"`
	CreatedAt time.Time             `json:"created_at"`
	UpdatedAt time.Time             `json:"updated_at"`
}

const controlColumns = `id, name, description, owner, status, requirements, version, created_at, updated_at`

func scanControl(r pgx.CollectableRow) (Control, error) {
	var c Control
	err := r.Scan(&c.ID, &c.Name, &c.Description, &c.Owner, &c.Status, &c.Requirements, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// Controls lists the tenant's controls, newest first, with their coverage.
func (q *Queries) Controls(ctx context.Context, tenant string, pr projections.PageRequest) (projections.Page[Control], error) {
	p, err := projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".controls", controlColumns).Where("tenant_id = ?", tenant).OrderBy(true, projections.TextKey("id"))
	}, pr, scanControl, func(c Control) []any { return []any{c.ID} })
	if err != nil {
		return p, err
	}
	adopted, err := q.adopted(ctx, tenant)
	for i := range p.Items {
		p.Items[i].Coverage = coverage(p.Items[i].Requirements, adopted)
	}
	return p, err
}

// Control reads one control with its coverage.
func (q *Queries) Control(ctx context.Context, tenant, id string) (*Control, error) {
	var c Control
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+controlColumns+` FROM `+s+`.controls WHERE tenant_id = $1 AND id = $2`, tenant, id)
		var err error
		c, err = pgx.CollectExactlyOneRow(rows, scanControl)
		if errors.Is(err, pgx.ErrNoRows) {
			return compliance.ErrControlNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	adopted, err := q.adopted(ctx, tenant)
	c.Coverage = coverage(c.Requirements, adopted)
	return &c, err
}

func (q *Queries) adopted(ctx context.Context, tenant string) (map[string]bool, error) {
	out := map[string]bool{}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT framework_id FROM `+s+`.adoptions WHERE tenant_id = $1`, tenant)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range ids {
			out[id] = true
		}
		return err
	})
	return out, err
}

var mappings = catalogue.Mappings()

// coverage is what a control's references cover in the adopted frameworks,
// through the built-in mappings (compliance.CoverageOf).
func coverage(refs []compliance.Ref, adopted map[string]bool) []compliance.Coverage {
	return compliance.CoverageOf(refs, adopted, mappings)
}

// Assessment is an assessment with its progress and score.
type Assessment struct {
	ID          string           `json:"id"`
	FrameworkID string           `json:"framework_id"`
	Name        string           `json:"name"`
	Status      string           `json:"status" enum:"in_progress,completed"`
	Scale       compliance.Scale `json:"scale"`
	// Assessed counts requirements with a result; Assessable the framework's
	// assessable ones. Unassessed requirements earn nothing.
	Assessed      int     `json:"assessed"`
	Assessable    int     `json:"assessable"`
	Progress      float64 `json:"progress"`
	Compliant     int     `json:"compliant"`
	Partial       int     `json:"partial"`
	NonCompliant  int     `json:"non_compliant"`
	NotApplicable int     `json:"not_applicable"`
	NotAssessed   int     `json:"not_assessed"`
	// Stale counts results citing evidence that has expired.
	Stale int `json:"stale"`
	// Score is 0–100; Value the same on the framework's scale. Null when nothing
	// applicable was assessed. A completed assessment reports its frozen score.
	Score       *float64   `json:"score"`
	Value       *float64   `json:"value"`
	Version     int64      `json:"version"`
	StartedAt   time.Time  `json:"started_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	// Results are the recorded results (GET of one assessment only).
	Results []Result `json:"results,omitempty"`
}

// Result is the recorded result of one requirement.
type Result struct {
	RequirementID string            `json:"requirement_id"`
	Result        compliance.Result `json:"result" enum:"compliant,partial,non_compliant,not_applicable"`
	Notes         string            `json:"notes"`
	EvidenceIDs   []string          `json:"evidence_ids"`
	Stale         bool              `json:"stale"`
	AssessedAt    time.Time         `json:"assessed_at"`
	AssessedBy    string            `json:"assessed_by"`
}

// assessmentFrom tallies results per assessment in one pass (indexed by the results' primary key).
const assessmentFrom = `%[1]s.assessments a LEFT JOIN LATERAL (SELECT
	count(*) FILTER (WHERE r.result = 'compliant') AS compliant, count(*) FILTER (WHERE r.result = 'partial') AS partial,
	count(*) FILTER (WHERE r.result = 'non_compliant') AS non_compliant, count(*) FILTER (WHERE r.result = 'not_applicable') AS not_applicable,
	count(*) FILTER (WHERE r.evidence_ids <> '{}' AND EXISTS (SELECT 1 FROM %[1]s.evidence v WHERE v.id = ANY (r.evidence_ids) AND v.expired)) AS stale
	FROM %[1]s.results r WHERE r.assessment_id = a.id) c ON true`

const assessmentColumns = `a.id, a.framework_id, a.name, a.status, a.scale, a.assessable, c.compliant, c.partial, c.non_compliant, c.not_applicable,
	c.stale, a.score, a.value, a.version, a.started_at, a.updated_at, a.completed_at`

func scanAssessment(r pgx.CollectableRow) (Assessment, error) {
	var a Assessment
	err := r.Scan(&a.ID, &a.FrameworkID, &a.Name, &a.Status, &a.Scale, &a.Assessable, &a.Compliant, &a.Partial, &a.NonCompliant,
		&a.NotApplicable, &a.Stale, &a.Score, &a.Value, &a.Version, &a.StartedAt, &a.UpdatedAt, &a.CompletedAt)
	if err != nil {
		return a, err
	}
	st := compliance.StandingOf(compliance.Counts{Assessable: a.Assessable, Compliant: a.Compliant, Partial: a.Partial,
		NonCompliant: a.NonCompliant, NotApplicable: a.NotApplicable}, a.Scale, a.Status == "completed")
	a.Assessed, a.NotAssessed, a.Progress = st.Assessed, st.NotAssessed, st.Progress
	if st.Score != nil {
		a.Score, a.Value = st.Score, st.Value
	}
	return a, nil
}

// AssessmentFilter narrows Assessments.
type AssessmentFilter struct {
	FrameworkID, Status string
}

// Assessments lists the tenant's assessments, newest first.
func (q *Queries) Assessments(ctx context.Context, tenant string, f AssessmentFilter, p projections.PageRequest) (projections.Page[Assessment], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(fmt.Sprintf(assessmentFrom, s), assessmentColumns).Where("a.tenant_id = ?", tenant).
			WhereIf(f.FrameworkID != "", "a.framework_id = ?", f.FrameworkID).WhereIf(f.Status != "", "a.status = ?", f.Status).
			OrderBy(true, projections.TextKey("a.id"))
	}, p, scanAssessment, func(a Assessment) []any { return []any{a.ID} })
}

// Assessment reads one assessment with its results.
func (q *Queries) Assessment(ctx context.Context, tenant, id string) (*Assessment, error) {
	var a Assessment
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+assessmentColumns+` FROM `+fmt.Sprintf(assessmentFrom, s)+` WHERE a.tenant_id = $1 AND a.id = $2`, tenant, id)
		var err error
		a, err = pgx.CollectExactlyOneRow(rows, scanAssessment)
		if errors.Is(err, pgx.ErrNoRows) {
			return compliance.ErrAssessmentNotFound
		}
		if err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `SELECT r.requirement_id, r.result, r.notes, r.evidence_ids,
			EXISTS (SELECT 1 FROM `+s+`.evidence v WHERE v.id = ANY (r.evidence_ids) AND v.expired), r.assessed_at, r.actor
			FROM `+s+`.results r LEFT JOIN `+s+`.requirements q ON q.framework_id = $2 AND q.id = r.requirement_id AND q.tenant_id IN ('', $3)
			WHERE r.assessment_id = $1 ORDER BY q.seq, r.requirement_id`, id, a.FrameworkID, tenant)
		a.Results, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Result, error) {
			var x Result
			err := r.Scan(&x.RequirementID, &x.Result, &x.Notes, &x.EvidenceIDs, &x.Stale, &x.AssessedAt, &x.AssessedBy)
			return x, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Export reads the rows of an assessment's CSV export, in the framework's order.
func (q *Queries) Export(ctx context.Context, tenant, id string) (*Assessment, []compliance.ExportRow, error) {
	a, err := q.Assessment(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	var out []compliance.ExportRow
	err = q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT q.id, q.title, coalesce(r.result, 'not_assessed'), coalesce(r.notes, ''), coalesce(r.evidence_ids, '{}'),
			coalesce(EXISTS (SELECT 1 FROM `+s+`.evidence v WHERE v.id = ANY (r.evidence_ids) AND v.expired), false), r.assessed_at
			FROM `+s+`.requirements q LEFT JOIN `+s+`.results r ON r.assessment_id = $3 AND r.requirement_id = q.id
			WHERE q.tenant_id IN ('', $1) AND q.framework_id = $2 AND q.assessable AND NOT q.withdrawn ORDER BY q.seq`, tenant, a.FrameworkID, id)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (compliance.ExportRow, error) {
			var x compliance.ExportRow
			err := r.Scan(&x.RequirementID, &x.Title, &x.Result, &x.Notes, &x.EvidenceIDs, &x.Stale, &x.AssessedAt)
			return x, err
		})
		return err
	})
	return a, out, err
}

// Evidence is a piece of evidence: a stored file or a link.
type Evidence struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind" enum:"file,link"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Filename    string     `json:"filename,omitempty"`
	MediaType   string     `json:"media_type,omitempty"`
	SHA256      string     `json:"sha256,omitempty"`
	Size        int64      `json:"size"`
	URL         string     `json:"url,omitempty"`
	EffectiveAt time.Time  `json:"effective_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Expired     bool       `json:"expired"`
	CreatedAt   time.Time  `json:"created_at"`
}

const evidenceColumns = `id, kind, name, description, filename, media_type, sha256, size, url, effective_at, expires_at, expired, created_at`

func scanEvidence(r pgx.CollectableRow) (Evidence, error) {
	var e Evidence
	err := r.Scan(&e.ID, &e.Kind, &e.Name, &e.Description, &e.Filename, &e.MediaType, &e.SHA256, &e.Size, &e.URL, &e.EffectiveAt,
		&e.ExpiresAt, &e.Expired, &e.CreatedAt)
	return e, err
}

// EvidenceList lists the tenant's evidence, newest first.
func (q *Queries) EvidenceList(ctx context.Context, tenant, kind string, p projections.PageRequest) (projections.Page[Evidence], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".evidence", evidenceColumns).Where("tenant_id = ?", tenant).
			WhereIf(kind != "", "kind = ?", kind).OrderBy(true, projections.TextKey("id"))
	}, p, scanEvidence, func(e Evidence) []any { return []any{e.ID} })
}

// Evidence reads one piece of evidence.
func (q *Queries) Evidence(ctx context.Context, tenant, id string) (*Evidence, error) {
	var e Evidence
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT `+evidenceColumns+` FROM `+s+`.evidence WHERE tenant_id = $1 AND id = $2`, tenant, id)
		var err error
		e, err = pgx.CollectExactlyOneRow(rows, scanEvidence)
		if errors.Is(err, pgx.ErrNoRows) {
			return compliance.ErrEvidenceNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// EvidenceFile opens the file of a piece of evidence, checked against the
// SHA-256 recorded when it was added: ErrEvidenceIsLink for a link,
// ErrEvidenceTampered when the stored bytes changed, ErrBlobMissing when they
// are gone. The caller closes the file.
func (q *Queries) EvidenceFile(ctx context.Context, tenant, id string) (*Evidence, io.ReadCloser, int64, error) {
	x, err := q.Evidence(ctx, tenant, id)
	if err != nil {
		return nil, nil, 0, err
	}
	if x.Kind != compliance.EvidenceFile {
		return nil, nil, 0, compliance.ErrEvidenceIsLink
	}
	f, size, err := q.Files.Open(x.SHA256)
	switch {
	case errors.Is(err, blobstore.ErrChanged):
		return nil, nil, 0, fmt.Errorf("%w: %w", compliance.ErrEvidenceTampered, err)
	case errors.Is(err, blobstore.ErrMissing):
		return nil, nil, 0, fmt.Errorf("%w: %w", compliance.ErrBlobMissing, err)
	case err != nil:
		return nil, nil, 0, err
	}
	return x, f, size, nil
}

// Due is evidence past its expiry that no event has expired yet.
type Due struct {
	ID, TenantID string
}

// DueEvidence lists, across tenants, evidence whose expiry is at or before now
// and that is not marked expired, oldest expiry first.
func (q *Queries) DueEvidence(ctx context.Context, now time.Time, limit int) ([]Due, error) {
	var out []Due
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT id, tenant_id FROM `+s+`.evidence WHERE NOT expired AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2`, now, limit)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Due])
		return err
	})
	return out, err
}

// Citing lists the results that cite a piece of evidence, in a stable order.
func (q *Queries) Citing(ctx context.Context, tenant, evidenceID string) ([]compliance.StaleRef, error) {
	var out []compliance.StaleRef
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `SELECT assessment_id, requirement_id FROM `+s+`.results WHERE tenant_id = $1 AND evidence_ids @> ARRAY[$2]
			ORDER BY assessment_id, requirement_id`, tenant, evidenceID)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[compliance.StaleRef])
		return err
	})
	return out, err
}

// Posture scores every framework the tenant adopted or assessed, by id: the
// latest completed assessment (frozen score) and the newest assessment on
// its current results. Two indexed reads per framework, whatever the number
// of results, summed in the database.
func (q *Queries) Posture(ctx context.Context, tenant string) ([]compliance.Posture, error) {
	out := []compliance.Posture{}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, _ := tx.Query(ctx, `
			WITH fw AS (
				SELECT f.id, f.name, f.scale, EXISTS (SELECT 1 FROM `+s+`.adoptions d WHERE d.tenant_id = $1 AND d.framework_id = f.id) AS adopted
				FROM `+s+`.frameworks f WHERE f.tenant_id IN ('', $1) AND (
					EXISTS (SELECT 1 FROM `+s+`.adoptions d WHERE d.tenant_id = $1 AND d.framework_id = f.id) OR
					EXISTS (SELECT 1 FROM `+s+`.assessments x WHERE x.tenant_id = $1 AND x.framework_id = f.id)))
			SELECT fw.id, fw.name, fw.scale, fw.adopted, l.id, cur.id
			FROM fw
			LEFT JOIN LATERAL (SELECT a.id FROM `+s+`.assessments a WHERE a.tenant_id = $1 AND a.framework_id = fw.id AND a.status = 'completed'
				ORDER BY a.completed_at DESC, a.id DESC LIMIT 1) l ON true
			LEFT JOIN LATERAL (SELECT a.id FROM `+s+`.assessments a WHERE a.tenant_id = $1 AND a.framework_id = fw.id
				ORDER BY a.started_at DESC, a.id DESC LIMIT 1) cur ON true
			ORDER BY fw.id`, tenant)
		type head struct {
			p             compliance.Posture
			latest, curID *string
		}
		heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (head, error) {
			var h head
			err := r.Scan(&h.p.FrameworkID, &h.p.Name, &h.p.Scale, &h.p.Adopted, &h.latest, &h.curID)
			return h, err
		})
		if err != nil {
			return err
		}
		var ids []string
		for _, h := range heads {
			for _, id := range []*string{h.latest, h.curID} {
				if id != nil {
					ids = append(ids, *id)
				}
			}
		}
		rows, _ = tx.Query(ctx, `SELECT `+assessmentColumns+` FROM `+fmt.Sprintf(assessmentFrom, s)+` WHERE a.tenant_id = $1 AND a.id = ANY ($2)`, tenant, ids)
		as, err := pgx.CollectRows(rows, scanAssessment)
		if err != nil {
			return err
		}
		byID := map[string]Assessment{}
		for _, a := range as {
			byID[a.ID] = a
		}
		for _, h := range heads {
			p := h.p
			if h.latest != nil {
				p.LatestCompleted = postureScore(byID[*h.latest])
			}
			if h.curID != nil {
				p.Current = postureScore(byID[*h.curID])
			}
			p.Settle()
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func postureScore(a Assessment) *compliance.PostureScore {
	p := &compliance.PostureScore{AssessmentID: a.ID, Name: a.Name, Status: a.Status, Progress: a.Progress, Assessed: a.Assessed,
		Assessable: a.Assessable, Stale: a.Stale, Score: a.Score, Value: a.Value, At: &a.UpdatedAt}
	if a.CompletedAt != nil {
		p.At = a.CompletedAt
	}
	return p
}

// EvidenceBytes is what a tenant's evidence files weigh (links weigh nothing).
func (q *Queries) EvidenceBytes(ctx context.Context, tenant string) (int64, error) {
	var n int64
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		return tx.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM `+s+`.evidence WHERE tenant_id = $1`, tenant).Scan(&n)
	})
	return n, err
}
