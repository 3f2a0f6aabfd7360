package platformmod

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/platformmod"
)

// ReportRequest is the body of POST /platform/reports.
type ReportRequest struct {
	Kind   string `json:"kind" validate:"required,oneof=trust_summary assessment risk_register audit_trail"`
	Format string `json:"format" validate:"required,oneof=pdf csv json"`
	Title  string `json:"title,omitempty" validate:"max=200"`
	// AssessmentID names the assessment of an assessment report.
	AssessmentID string `json:"assessment_id,omitempty" validate:"omitempty,max=100"`
	// From and To bound an audit trail extract.
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
}

var reportID = platform.IDParam(platformmod.ErrReportNotFound)

func (a *API) reportRoutes(p string, r, w string) []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/reports", OperationID: "listReports", Tag: "platform-reports", Summary: "Report jobs, newest first, with progress",
			Permission: r, Response: rm.Report{}, List: true, Handler: a.reports, Query: []platform.Param{
				{Name: "kind", Description: "Only reports of this kind", Enum: platformmod.ReportKinds},
				{Name: "status", Description: "Only reports in this status", Enum: []string{platformmod.ReportQueued, platformmod.ReportRunning, platformmod.ReportDone,
					platformmod.ReportFailedS}}}},
		{Method: http.MethodPost, Path: p + "/reports", OperationID: "requestReport", Tag: "platform-reports",
			Summary: "Start a report job: trust summary, compliance assessment (assessment_id), risk register (with each modelled risk's loss exceedance curve " +
				"charted in the PDF) or audit trail extract (from, to); as PDF, CSV or JSON. Answers 202 with the job; progress goes to the live stream " +
				"(channel platform.report.progress); the finished report's SHA-256 is in ReportGenerated (ReportRequested)",
			Permission: w, Request: ReportRequest{}, Response: rm.Report{}, Status: http.StatusAccepted, Handler: a.requestReport, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/reports/:id", OperationID: "getReport", Tag: "platform-reports", Summary: "One report job",
			Permission: r, Response: rm.Report{}, Handler: a.report, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/reports/:id/download", OperationID: "downloadReport", Tag: "platform-reports",
			Summary:    "The finished report, after checking it still hashes to the SHA-256 its ReportGenerated recorded (X-Checksum-SHA256); 409 before it is done",
			Permission: r, Raw: true, ContentType: "application/octet-stream", Handler: a.download, Errors: []int{404, 409}},
	}
}

func (a *API) reports(c echo.Context) error {
	kind, status := c.QueryParam("kind"), c.QueryParam("status")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Report], error) {
		return a.Queries.Reports(c.Request().Context(), tenant(c), kind, status, p)
	})
}

func (a *API) report(c echo.Context) error {
	id, err := reportID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Report(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

func (a *API) requestReport(c echo.Context) error {
	var req ReportRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.RequestReport(c.Request().Context(), writes.Metadata(c), cmd.RequestReport{Kind: req.Kind, Format: req.Format,
		Title: req.Title, AssessmentID: req.AssessmentID, From: req.From, To: req.To})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		x, err := a.Queries.Report(c.Request().Context(), tenant(c), id)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/platform/reports/"+id)
		return platform.Respond(c, http.StatusAccepted, x)
	})
}

func (a *API) download(c echo.Context) error {
	id, err := reportID(c)
	if err != nil {
		return err
	}
	x, f, size, err := a.Queries.ReportFile(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	defer f.Close()
	c.Response().Header().Set("X-Checksum-SHA256", *x.SHA256)
	c.Response().Header().Set("X-Report-Rows", strconv.Itoa(derefInt(x.Rows)))
	platform.Attachment(c, "application/octet-stream", *x.FileName, size)
	_, err = io.Copy(c.Response(), f)
	return err
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
