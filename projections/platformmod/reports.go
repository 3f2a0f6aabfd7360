package platformmod

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/blobstore"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/projections"
)

// Report is a report job as listed.
type Report struct {
	ID     string `json:"id"`
	Kind   string `json:"kind" enum:"trust_summary,assessment,risk_register,audit_trail"`
	Format string `json:"format" enum:"pdf,csv,json"`
	Title  string `json:"title"`
	Status string `json:"status" enum:"queued,running,done,failed"`
	// Percent and Stage are the job's progress (also on the live stream, channel platform.report.progress).
	Percent      int    `json:"percent"`
	Stage        string `json:"stage"`
	RequestedBy  string `json:"requested_by"`
	AssessmentID string `json:"assessment_id,omitempty"`
	// SHA256 is the hash of the content a download serves (and is checked against).
	SHA256      *string    `json:"sha256,omitempty"`
	Size        *int64     `json:"size,omitempty"`
	ContentType *string    `json:"content_type,omitempty"`
	FileName    *string    `json:"file_name,omitempty"`
	Rows        *int       `json:"rows,omitempty"`
	Error       *string    `json:"error,omitempty"`
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

const reportColumns = `id, kind, format, title, status, percent, stage, requested_by, assessment_id, sha256, size, content_type, file_name, rows, error,
	version, created_at, updated_at, completed_at`

func scanReport(r pgx.CollectableRow) (Report, error) {
	var x Report
	err := r.Scan(&x.ID, &x.Kind, &x.Format, &x.Title, &x.Status, &x.Percent, &x.Stage, &x.RequestedBy, &x.AssessmentID, &x.SHA256, &x.Size,
		&x.ContentType, &x.FileName, &x.Rows, &x.Error, &x.Version, &x.CreatedAt, &x.UpdatedAt, &x.CompletedAt)
	return x, err
}

// Reports lists the tenant's report jobs, newest first.
func (q *Queries) Reports(ctx context.Context, tenant, kind, status string, p projections.PageRequest) (projections.Page[Report], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".reports", reportColumns).Where("tenant_id = ?", tenant).WhereIf(kind != "", "kind = ?", kind).
			WhereIf(status != "", "status = ?", status).OrderBy(true, projections.TextKey("id"))
	}, p, scanReport, func(x Report) []any { return []any{x.ID} })
}

// Report reads one report job; ErrReportNotFound when the tenant has none of that id.
func (q *Queries) Report(ctx context.Context, tenant, id string) (*Report, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, platformmod.ErrReportNotFound, scanReport, func(s string) string {
		return `SELECT ` + reportColumns + ` FROM ` + s + `.reports WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// ReportFile opens a finished report's content, checked against the SHA-256
// its ReportGenerated recorded; ErrReportNotReady before it is done. The
// caller closes the file.
func (q *Queries) ReportFile(ctx context.Context, tenant, id string) (*Report, io.ReadCloser, int64, error) {
	x, err := q.Report(ctx, tenant, id)
	if err != nil {
		return nil, nil, 0, err
	}
	if x.Status != platformmod.ReportDone || x.SHA256 == nil {
		return nil, nil, 0, platformmod.ErrReportNotReady
	}
	f, size, err := q.Blobs.Open(*x.SHA256)
	if errors.Is(err, blobstore.ErrChanged) || errors.Is(err, blobstore.ErrMissing) {
		return nil, nil, 0, fmt.Errorf("%w: %w", platformmod.ErrReportTampered, err)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	return x, f, size, nil
}
