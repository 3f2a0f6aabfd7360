// Package compliance serves the Compliance module over HTTP: frameworks
// (built in and imported from OSCAL), adoption, tenant controls with their
// cross-framework coverage, assessments, evidence and the posture.
package compliance

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/compliance"
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/compliance"
)

// API serves the compliance routes.
type API struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Writes   *writes.Kit
}

// AssessmentRequest is the body of POST /compliance/assessments.
type AssessmentRequest struct {
	FrameworkID string `json:"framework_id" validate:"required,max=200"`
	Name        string `json:"name" validate:"required,max=300"`
}

// ResultRequest is the body of PUT /compliance/assessments/{id}/requirements/{rid}.
type ResultRequest struct {
	Result      compliance.Result `json:"result" validate:"required,oneof=compliant partial non_compliant not_applicable" enum:"compliant,partial,non_compliant,not_applicable"`
	Notes       string            `json:"notes" validate:"max=10000"`
	EvidenceIDs []string          `json:"evidence_ids" validate:"max=100,dive,uuid"`
}

// ControlRequest is the body of POST /compliance/controls.
type ControlRequest struct {
	Name        string `json:"name" validate:"required,max=300"`
	Description string `json:"description" validate:"max=10000"`
	Owner       string `json:"owner" validate:"max=200"`
	Status      string `json:"status" validate:"omitempty,oneof=not_implemented planned partially_implemented implemented not_applicable" enum:"not_implemented,planned,partially_implemented,implemented,not_applicable"`
	// Requirements are the requirements the control implements, in any framework the tenant sees.
	Requirements []compliance.Ref `json:"requirements" validate:"max=500"`
}

// ControlPatch is the body of PATCH /compliance/controls/{id} (absent fields stay).
type ControlPatch struct {
	Name         *string           `json:"name,omitempty" validate:"omitempty,max=300"`
	Description  *string           `json:"description,omitempty" validate:"omitempty,max=10000"`
	Owner        *string           `json:"owner,omitempty" validate:"omitempty,max=200"`
	Status       *string           `json:"status,omitempty" validate:"omitempty,oneof=not_implemented planned partially_implemented implemented not_applicable" enum:"not_implemented,planned,partially_implemented,implemented,not_applicable"`
	Requirements *[]compliance.Ref `json:"requirements,omitempty" validate:"omitempty,max=500"`
}

// EvidenceFields describe a piece of evidence: the form fields of a file
// upload (multipart/form-data, besides its `file` part), and with a url the
// JSON body of a link (LinkRequest).
type EvidenceFields struct {
	Name        string     `json:"name" validate:"max=300"`
	Description string     `json:"description" validate:"max=10000"`
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// LinkRequest is the JSON body of POST /compliance/evidence (a link); files
// are sent as multipart/form-data with a `file` part and the same fields.
type LinkRequest struct {
	URL string `json:"url" validate:"required,max=2000"`
	EvidenceFields
}

// Adoption is the answer of POST /compliance/frameworks/{id}/adopt.
type Adoption struct {
	FrameworkID string `json:"framework_id"`
	Adopted     bool   `json:"adopted"`
	// Changed is false when the framework was adopted already (nothing recorded).
	Changed bool `json:"changed"`
}

// ImportResult is the answer of POST /compliance/frameworks/import.
type ImportResult struct {
	Framework rm.Framework `json:"framework"`
	// DurationMs is the time the import took (parse, store, record, project).
	DurationMs float64 `json:"duration_ms"`
}

// Routes declares the compliance routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/compliance"
	r, w, adm := "compliance:read", "compliance:write", "compliance:admin"
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/frameworks", OperationID: "listFrameworks", Tag: "compliance", Summary: "Built-in frameworks and the tenant's imported ones, by id",
			Permission: r, Response: rm.Framework{}, List: true, Handler: a.frameworks},
		{Method: http.MethodGet, Path: p + "/frameworks/:id", OperationID: "getFramework", Tag: "compliance", Summary: "A framework with its requirement tree (parents first; withdrawn marked)",
			Permission: r, Response: rm.FrameworkDetail{}, Handler: a.framework, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/frameworks/import", OperationID: "importFramework", Tag: "compliance",
			Summary:    "Import an OSCAL 1.x catalog: the document is the body (application/json or application/xml), or the `file` part of multipart/form-data; at most 20 MB",
			Permission: adm, Response: ImportResult{}, Status: http.StatusCreated, Handler: a.importFramework, Errors: []int{409, 413, 415, 422},
			BodyLimit: cmd.ImportLimits.MaxBytes + 64<<10},
		{Method: http.MethodPost, Path: p + "/frameworks/:id/adopt", OperationID: "adoptFramework", Tag: "compliance",
			Summary:    "Adopt a framework for the tenant; adopting it again changes nothing (200, changed false)",
			Permission: w, Response: Adoption{}, Handler: a.adopt, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/controls", OperationID: "listControls", Tag: "compliance", Summary: "Tenant controls, newest first, with what each covers in the adopted frameworks",
			Permission: r, Response: rm.Control{}, List: true, Handler: a.controls},
		{Method: http.MethodPost, Path: p + "/controls", OperationID: "createControl", Tag: "compliance", Summary: "Create a control mapped to requirements",
			Permission: w, Request: ControlRequest{}, Response: rm.Control{}, Status: http.StatusCreated, Handler: a.createControl, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/controls/:id", OperationID: "getControl", Tag: "compliance", Summary: "A control with its coverage",
			Permission: r, Response: rm.Control{}, Handler: a.control, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/controls/:id", OperationID: "updateControl", Tag: "compliance", Summary: "Update a control",
			Permission: w, Request: ControlPatch{}, Response: rm.Control{}, Handler: a.updateControl, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodGet, Path: p + "/assessments", OperationID: "listAssessments", Tag: "compliance", Summary: "Assessments, newest first, with progress and score",
			Permission: r, Response: rm.Assessment{}, List: true, Handler: a.assessments, Query: []platform.Param{
				{Name: "framework_id", Description: "Only assessments of this framework"},
				{Name: "status", Description: "Only assessments in this status", Enum: []string{"in_progress", "completed"}}}},
		{Method: http.MethodPost, Path: p + "/assessments", OperationID: "startAssessment", Tag: "compliance", Summary: "Start an assessment of a framework",
			Permission: w, Request: AssessmentRequest{}, Response: rm.Assessment{}, Status: http.StatusCreated, Handler: a.startAssessment, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/assessments/:id", OperationID: "getAssessment", Tag: "compliance",
			Summary:    "An assessment with its results; ?format=csv answers the CSV export instead (see export.csv)",
			Permission: r, Response: rm.Assessment{}, AlsoAnswers: []string{"text/csv"}, Handler: a.assessment, Errors: []int{404}, Query: []platform.Param{
				{Name: "format", Description: "csv: the CSV export (text/csv) instead of JSON", Enum: []string{"json", "csv"}}}},
		{Method: http.MethodGet, Path: p + "/assessments/:id/export.csv", OperationID: "exportAssessment", Tag: "compliance",
			Summary:    "CSV export: one row per assessable requirement (requirement_id, title, result or not_assessed, stale, notes, evidence_ids, assessed_at)",
			Permission: r, Raw: true, ContentType: "text/csv", Handler: a.export, Errors: []int{404}},
		{Method: http.MethodPut, Path: p + "/assessments/:id/requirements/:rid", OperationID: "assessRequirement", Tag: "compliance",
			Summary:    "Record a requirement's result (rid URL-encoded); 409 once the assessment is completed",
			Permission: w, Request: ResultRequest{}, Response: rm.Assessment{}, Handler: a.assess, Errors: []int{404, 409, 422}},
		{Method: http.MethodPost, Path: p + "/assessments/:id/complete", OperationID: "completeAssessment", Tag: "compliance",
			Summary:    "Freeze and score an assessment (unassessed requirements earn nothing)",
			Permission: w, Response: rm.Assessment{}, Handler: a.complete, Errors: []int{404, 409, 422}},
		{Method: http.MethodGet, Path: p + "/evidence", OperationID: "listEvidence", Tag: "compliance", Summary: "Evidence files and links, newest first",
			Permission: r, Response: rm.Evidence{}, List: true, Handler: a.evidenceList, Query: []platform.Param{
				{Name: "kind", Description: "Only files or only links", Enum: []string{compliance.EvidenceFile, compliance.EvidenceLink}}}},
		{Method: http.MethodPost, Path: p + "/evidence", OperationID: "addEvidence", Tag: "compliance",
			Summary:    "Add evidence: multipart/form-data with a `file` part (streamed, at most 100 MB) and fields name, description, effective_at, expires_at; or JSON {url, …} for a link",
			Permission: w, Request: LinkRequest{}, Response: rm.Evidence{}, Status: http.StatusCreated, Handler: a.addEvidence, Errors: []int{413, 415, 422},
			BodyLimit: cmd.MaxEvidenceBytes + 1<<20},
		{Method: http.MethodGet, Path: p + "/evidence/:id", OperationID: "getEvidence", Tag: "compliance", Summary: "One piece of evidence",
			Permission: r, Response: rm.Evidence{}, Handler: a.evidence, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/evidence/:id/download", OperationID: "downloadEvidence", Tag: "compliance",
			Summary:    "The evidence file, after checking it still hashes to its recorded SHA-256 (500 CMP-013 otherwise; nothing is served)",
			Permission: r, Raw: true, ContentType: "application/octet-stream", Handler: a.download, Errors: []int{404, 409}},
		{Method: http.MethodGet, Path: p + "/posture", OperationID: "compliancePosture", Tag: "compliance",
			Summary:    "Score per adopted (or assessed) framework: latest completed assessment and current results; unknown when nothing assessed. A complete list, never paged",
			Permission: r, Response: compliance.Posture{}, List: true, Complete: true, Handler: a.posture},
	}
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

// Ids of controls, assessments and evidence are UUIDs; another id names nothing.
var (
	controlID    = platform.IDParam(compliance.ErrControlNotFound)
	assessmentID = platform.IDParam(compliance.ErrAssessmentNotFound)
	evidenceID   = platform.IDParam(compliance.ErrEvidenceNotFound)
)

// created sets the Location of a resource a write created.
func created(c echo.Context, status int, path string) {
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/compliance/"+path)
	}
}

func (a *API) frameworks(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Framework], error) {
		return a.Queries.Frameworks(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) framework(c echo.Context) error {
	f, err := a.Queries.Framework(c.Request().Context(), tenant(c), c.Param("id"))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, f)
}

// importFramework reads the document from the body or a multipart `file`
// part, within the route's body limit (catalogs exceed the API-wide one).
func (a *API) importFramework(c echo.Context) error {
	start := time.Now()
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, platform.BodyLimit(c))
	doc, err := document(req)
	if err != nil {
		return err
	}
	out, err := a.Commands.ImportFramework(req.Context(), writes.Metadata(c), cmd.ImportFramework{Document: doc})
	if err != nil {
		return err
	}
	return a.Writes.Then(c, out.Events, nil, rm.Name, func() error {
		f, err := a.Queries.Framework(req.Context(), tenant(c), out.FrameworkID)
		if err != nil {
			return err
		}
		created(c, http.StatusCreated, "frameworks/"+url.PathEscape(f.ID))
		return platform.Respond(c, http.StatusCreated, ImportResult{Framework: f.Framework, DurationMs: float64(time.Since(start).Microseconds()) / 1000})
	})
}

// document returns the OSCAL document of an import request.
func document(req *http.Request) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	switch {
	case mt == "multipart/form-data":
		mr, err := req.MultipartReader()
		if err != nil {
			return nil, platform.Problem("VAL-002", "The multipart body could not be read: "+err.Error())
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, platform.Problem("VAL-002", "The multipart body has no `file` part.")
			}
			if err != nil {
				return nil, platform.Problem("VAL-002", "The multipart body could not be read.")
			}
			if part.FormName() == "file" {
				return part, nil
			}
		}
	case mt == "application/json" || mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml"):
		return req.Body, nil
	}
	return nil, platform.Problem("VAL-003", "Send the OSCAL catalog as application/json, application/xml, or the `file` part of multipart/form-data.")
}

func (a *API) adopt(c echo.Context) error {
	id := c.Param("id")
	evs, err := a.Commands.AdoptFramework(c.Request().Context(), writes.Metadata(c), cmd.AdoptFramework{FrameworkID: id})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		return platform.Respond(c, http.StatusOK, Adoption{FrameworkID: id, Adopted: true, Changed: len(evs) > 0})
	})
}

func (a *API) controls(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Control], error) {
		return a.Queries.Controls(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) answerControl(c echo.Context, status int, id string) error {
	x, err := a.Queries.Control(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	writes.ETag(c, x.Version)
	created(c, status, "controls/"+id)
	return platform.Respond(c, status, x)
}

func (a *API) control(c echo.Context) error {
	id, err := controlID(c)
	if err != nil {
		return err
	}
	return a.answerControl(c, http.StatusOK, id)
}

func (a *API) createControl(c echo.Context) error {
	var req ControlRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.CreateControl(c.Request().Context(), writes.Metadata(c), cmd.CreateControl{Name: req.Name, Description: req.Description,
		Owner: req.Owner, Status: req.Status, Requirements: req.Requirements})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerControl(c, http.StatusCreated, id) })
}

func (a *API) updateControl(c echo.Context) error {
	id, expected, err := writes.Versioned(c, controlID)
	if err != nil {
		return err
	}
	var req ControlPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateControl(c.Request().Context(), writes.Metadata(c), cmd.UpdateControl{ID: id, Expected: expected,
		Change: compliance.ControlUpdatedV1{Name: req.Name, Description: req.Description, Owner: req.Owner, Status: req.Status, Requirements: req.Requirements}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerControl(c, http.StatusOK, id) })
}

func (a *API) assessments(c echo.Context) error {
	f := rm.AssessmentFilter{FrameworkID: c.QueryParam("framework_id"), Status: c.QueryParam("status")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Assessment], error) {
		return a.Queries.Assessments(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerAssessment(c echo.Context, status int, id string) error {
	x, err := a.Queries.Assessment(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	created(c, status, "assessments/"+id)
	return platform.Respond(c, status, x)
}

func (a *API) startAssessment(c echo.Context) error {
	var req AssessmentRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.StartAssessment(c.Request().Context(), writes.Metadata(c), cmd.StartAssessment{FrameworkID: req.FrameworkID, Name: req.Name})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAssessment(c, http.StatusCreated, id) })
}

func (a *API) assessment(c echo.Context) error {
	if c.QueryParam("format") == "csv" { // json or csv: the route checked it
		return a.export(c)
	}
	id, err := assessmentID(c)
	if err != nil {
		return err
	}
	return a.answerAssessment(c, http.StatusOK, id)
}

func (a *API) assess(c echo.Context) error {
	id, err := assessmentID(c)
	if err != nil {
		return err
	}
	rid, err := url.PathUnescape(c.Param("rid"))
	if err != nil {
		return platform.Problem("VAL-005", "The requirement id in the path is not valid URL encoding.")
	}
	var req ResultRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.AssessRequirement(c.Request().Context(), writes.Metadata(c), cmd.AssessRequirement{AssessmentID: id, RequirementID: rid,
		Result: req.Result, Notes: req.Notes, EvidenceIDs: req.EvidenceIDs})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAssessment(c, http.StatusOK, id) })
}

func (a *API) complete(c echo.Context) error {
	id, err := assessmentID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.CompleteAssessment(c.Request().Context(), writes.Metadata(c), cmd.CompleteAssessment{AssessmentID: id})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAssessment(c, http.StatusOK, id) })
}

func (a *API) export(c echo.Context) error {
	id, err := assessmentID(c)
	if err != nil {
		return err
	}
	x, rows, err := a.Queries.Export(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	platform.Attachment(c, "text/csv; charset=utf-8", "assessment-"+x.ID+".csv", -1)
	return compliance.WriteCSV(c.Response(), x.FrameworkID, x.ID, rows)
}

func (a *API) evidenceList(c echo.Context) error {
	kind := c.QueryParam("kind")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Evidence], error) {
		return a.Queries.EvidenceList(c.Request().Context(), tenant(c), kind, p)
	})
}

func (a *API) evidence(c echo.Context) error {
	id, err := evidenceID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Evidence(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

// addEvidence takes a link as JSON, or a file as multipart/form-data whose
// `file` part is streamed into the blob store (never held whole in memory).
func (a *API) addEvidence(c echo.Context) error {
	ctx := c.Request().Context()
	var in cmd.AddEvidence
	var f EvidenceFields
	if mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); mt == "multipart/form-data" {
		err := platform.Upload(c, "file", cmd.MaxEvidenceBytes, &f, func(file platform.UploadedFile) (err error) {
			in.Filename, in.MediaType = file.Name, file.MediaType
			in.SHA256, in.Size, err = a.Commands.KeepFile(ctx, file)
			return err
		})
		if err != nil {
			return err
		}
	} else {
		var link LinkRequest
		if err := platform.Bind(c, &link); err != nil {
			return err
		}
		in.URL, f = link.URL, link.EvidenceFields
	}
	in.Name, in.Description, in.EffectiveAt, in.ExpiresAt = f.Name, f.Description, f.EffectiveAt, f.ExpiresAt
	id, evs, err := a.Commands.AddEvidence(ctx, writes.Metadata(c), in)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		x, err := a.Queries.Evidence(ctx, tenant(c), id)
		if err != nil {
			return err
		}
		created(c, http.StatusCreated, "evidence/"+id)
		return platform.Respond(c, http.StatusCreated, x)
	})
}

func (a *API) download(c echo.Context) error {
	id, err := evidenceID(c)
	if err != nil {
		return err
	}
	x, f, size, err := a.Queries.EvidenceFile(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	defer f.Close()
	name := x.Filename
	if name == "" {
		name = "evidence-" + x.ID
	}
	// Always an attachment of an opaque type: uploaded bytes are never rendered by the browser.
	c.Response().Header().Set("X-Checksum-SHA256", x.SHA256)
	platform.Attachment(c, "application/octet-stream", name, size)
	_, err = io.Copy(c.Response(), f)
	return err
}

func (a *API) posture(c echo.Context) error {
	ps, err := a.Queries.Posture(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	return platform.RespondComplete(c, ps)
}
