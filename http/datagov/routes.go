// Package datagov serves Data Governance over HTTP: the data inventory and
// classification with the gateway's PII engine, data subject requests
// (access and portability exports, erasure by crypto-shredding), OpenLineage
// run events and the lineage graph, and retention policies.
package datagov

import (
	"net/http"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/datagov"
	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/datagov/openlineage"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rm "github.com/astrabastion/astra/projections/datagov"
)

// API serves the Data Governance routes.
type API struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Writes   *writes.Kit
	// Awaits are the read models a DSAR fulfilment changes besides this
	// module's (an erasure: identity's users, the gateway's request log).
	Awaits []string
}

// DatasetRequest is the body of POST /data-gov/datasets.
type DatasetRequest struct {
	Name        string           `json:"name" validate:"required,max=300"`
	Description string           `json:"description" validate:"max=10000"`
	Owner       string           `json:"owner" validate:"max=200"`
	System      string           `json:"system" validate:"max=200"`
	Location    string           `json:"location" validate:"max=2000"`
	Columns     []datagov.Column `json:"columns" validate:"max=2000"`
	LawfulBasis string           `json:"lawful_basis" validate:"omitempty,oneof=consent contract legal_obligation vital_interests public_task legitimate_interests not_applicable"`
	// RetentionClass names the retention rule the dataset falls under.
	RetentionClass string `json:"retention_class" validate:"max=100"`
}

// ClassifyRequest is the body of POST /data-gov/classify: a text, or column
// samples by column name; with dataset_id (column samples) the result is
// recorded as the dataset's classification.
type ClassifyRequest struct {
	Text      string              `json:"text,omitempty" validate:"max=8000000"`
	Columns   map[string][]string `json:"columns,omitempty" validate:"max=500"`
	DatasetID string              `json:"dataset_id,omitempty" validate:"omitempty,uuid"`
}

// ClassifyResult is the answer of POST /data-gov/classify.
type ClassifyResult struct {
	Classification datagov.Classification   `json:"classification"`
	Columns        []datagov.ColumnFindings `json:"columns"`
	// Entities are the spans found in a text (their values are not repeated).
	Entities  []datagov.Entity `json:"entities"`
	DatasetID string           `json:"dataset_id,omitempty"`
	// Recorded is true when the result was recorded for the dataset.
	Recorded bool `json:"recorded"`
}

// DsarRequest is the body of POST /data-gov/dsar.
type DsarRequest struct {
	Type          string `json:"type" validate:"required,oneof=access erasure rectification portability"`
	SubjectEmail  string `json:"subject_email,omitempty" validate:"omitempty,max=320"`
	SubjectUserID string `json:"subject_user_id,omitempty" validate:"omitempty,max=100"`
	SubjectName   string `json:"subject_name,omitempty" validate:"omitempty,max=300"`
	Jurisdiction  string `json:"jurisdiction,omitempty" validate:"omitempty,oneof=gdpr ccpa"`
	Notes         string `json:"notes,omitempty" validate:"max=10000"`
}

// VerifyRequest is the body of POST /data-gov/dsar/{id}/verify.
type VerifyRequest struct {
	State  string `json:"state" validate:"required,oneof=verified failed"`
	Method string `json:"method" validate:"required,max=200"`
	Note   string `json:"note,omitempty" validate:"max=2000"`
}

// ReasonRequest is the body of the extend and reject routes of a request.
type ReasonRequest struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

// FulfilRequest is the optional body of POST /data-gov/dsar/{id}/fulfill.
type FulfilRequest struct {
	Notes string `json:"notes,omitempty" validate:"max=10000"`
}

// Fulfilment is the answer of POST /data-gov/dsar/{id}/fulfill.
type Fulfilment struct {
	Dsar rm.Dsar `json:"dsar"`
	// Export is the signed archive of an access or portability request: it
	// is handed out here once and not kept (the ledger keeps its hash).
	Export *datagov.SignedArchive `json:"export,omitempty"`
	// Certificate is the certificate of an erasure.
	Certificate *datagov.Certificate `json:"certificate,omitempty"`
}

// LineageReceipt is the answer of POST /data-gov/lineage/events.
type LineageReceipt struct {
	RunID        string `json:"run_id"`
	EventType    string `json:"event_type"`
	JobNamespace string `json:"job_namespace"`
	JobName      string `json:"job_name"`
	Inputs       int    `json:"inputs"`
	Outputs      int    `json:"outputs"`
}

// PolicyRequest is the body of POST /data-gov/retention-policies.
type PolicyRequest struct {
	Name       string `json:"name" validate:"required,max=300"`
	Module     string `json:"module" validate:"required,oneof=gateway data_gov bastion_ai"`
	DataClass  string `json:"data_class" validate:"required,oneof=prompt_content lineage_events assistant_documents"`
	PeriodDays int    `json:"period_days" validate:"required,min=1,max=36500"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
}

// PolicyPatch is the body of PATCH /data-gov/retention-policies/{id}.
type PolicyPatch struct {
	Name       *string `json:"name,omitempty" validate:"omitempty,max=300"`
	PeriodDays *int    `json:"period_days,omitempty" validate:"omitempty,min=1,max=36500"`
	Enabled    *bool   `json:"enabled,omitempty"`
}

// EnforceRequest is the optional body of POST /data-gov/retention-policies/{id}/enforce.
type EnforceRequest struct {
	DryRun bool `json:"dry_run"`
}

// Enforcement is the answer of POST /data-gov/retention-policies/{id}/enforce.
type Enforcement struct {
	PolicyID string               `json:"policy_id"`
	Run      datagov.RetentionRun `json:"run"`
}

// Routes declares the Data Governance routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/data-gov"
	r, w, adm := "data_gov:read", "data_gov:write", "data_gov:admin"
	sensitivity := []string{datagov.Public, datagov.Internal, datagov.Confidential, datagov.Restricted}
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/datasets", OperationID: "listDatasets", Tag: "data-gov", Summary: "The data inventory, newest first",
			Permission: r, Response: rm.Dataset{}, List: true, Handler: a.datasets, Query: []platform.Param{
				{Name: "sensitivity", Description: "Only datasets whose latest classification has this level", Enum: sensitivity},
				{Name: "system", Description: "Only datasets of this system"},
				{Name: "lawful_basis", Description: "Only datasets processed on this basis", Enum: datagov.LawfulBases}}},
		{Method: http.MethodPost, Path: p + "/datasets", OperationID: "registerDataset", Tag: "data-gov",
			Summary:    "Register a dataset: owner, system, location, columns, lawful basis (GDPR Art. 6) and retention class",
			Permission: w, Request: DatasetRequest{}, Response: rm.Dataset{}, Status: http.StatusCreated, Handler: a.registerDataset, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/datasets/:id", OperationID: "getDataset", Tag: "data-gov", Summary: "One dataset of the inventory",
			Permission: r, Response: rm.Dataset{}, Handler: a.dataset, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/datasets/:id/classification", OperationID: "getDatasetClassification", Tag: "data-gov",
			Summary:    "The dataset's latest classification: sensitivity, PII types, per-column findings with confidence (409 DG-003 before the first)",
			Permission: r, Response: rm.DatasetClassification{}, Handler: a.classification, Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/classify", OperationID: "classify", Tag: "data-gov",
			Summary: "Classify {text} or {columns: {name: [samples]}} with the gateway's PII engine (type names as the gateway reports them: EMAIL_ADDRESS, CREDIT_CARD …); " +
				"with dataset_id the column result is recorded as the dataset's classification (DatasetClassified). Samples are never stored",
			Permission: w, Request: ClassifyRequest{}, Response: ClassifyResult{}, Handler: a.classify, Errors: []int{404, 413, 422}, BodyLimit: 8 << 20},
		{Method: http.MethodGet, Path: p + "/dsar", OperationID: "listDsars", Tag: "data-gov", Summary: "Data subject requests, newest first, with due dates",
			Permission: r, Response: rm.Dsar{}, List: true, Handler: a.dsars, Query: []platform.Param{
				{Name: "type", Description: "Only requests of this type", Enum: datagov.DsarTypes},
				{Name: "status", Description: "Only requests in this status", Enum: []string{datagov.StatusOpen, datagov.StatusFulfilled, datagov.StatusRejected}},
				{Name: "verification", Description: "Only requests whose identity check is in this state",
					Enum: []string{datagov.VerificationPending, datagov.Verified, datagov.VerificationFailed}},
				{Name: "overdue", Description: "Only requests past (true) or within (false) their due date alert", Schema: "boolean"}}},
		{Method: http.MethodPost, Path: p + "/dsar", OperationID: "receiveDsar", Tag: "data-gov",
			Summary: "Record a data subject request (access, erasure, rectification, portability) with its legal due date: GDPR 30 days (extendable by two months), " +
				"CCPA 45 days (extendable by 45); the subject by user id or e-mail address (sealed under the subject's data key)",
			Permission: w, Request: DsarRequest{}, Response: rm.Dsar{}, Status: http.StatusCreated, Handler: a.receiveDsar, Errors: []int{404, 422}},
		{Method: http.MethodGet, Path: p + "/dsar/:id", OperationID: "getDsar", Tag: "data-gov", Summary: "One data subject request, with its certificate once erased",
			Permission: r, Response: rm.Dsar{}, Handler: a.dsar, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/dsar/:id/verify", OperationID: "verifyDsarIdentity", Tag: "data-gov",
			Summary:    "Record the requester's identity check: verified or failed, and how it was done",
			Permission: w, Request: VerifyRequest{}, Response: rm.Dsar{}, Handler: a.verify, Errors: []int{404, 409, 422}},
		{Method: http.MethodPost, Path: p + "/dsar/:id/extend", OperationID: "extendDsar", Tag: "data-gov",
			Summary:    "Extend the due date once, with a reason (GDPR two months, CCPA 45 days)",
			Permission: w, Request: ReasonRequest{}, Response: rm.Dsar{}, Handler: a.extend, Errors: []int{404, 409, 422}},
		{Method: http.MethodPost, Path: p + "/dsar/:id/reject", OperationID: "rejectDsar", Tag: "data-gov", Summary: "Close the request without fulfilment, with a reason",
			Permission: w, Request: ReasonRequest{}, Response: rm.Dsar{}, Handler: a.reject, Errors: []int{404, 409, 422}},
		{Method: http.MethodPost, Path: p + "/dsar/:id/fulfill", OperationID: "fulfilDsar", Tag: "data-gov",
			Summary: "Fulfil the request. Access and portability answer a signed (Ed25519) JSON archive of everything every module holds about the subject; " +
				"erasure crypto-shreds the subject's data keys (IAM's erasure and the requests' own keys), redacts their gateway content, " +
				"and answers the certificate (DsarFulfilled, SubjectErased, ErasureCertificateIssued). A pending identity check is attested by the caller; a failed one refuses (409)",
			Permission: adm, Request: FulfilRequest{}, Response: Fulfilment{}, Handler: a.fulfil, Errors: []int{404, 409, 422}},
		{Method: http.MethodGet, Path: p + "/lineage", OperationID: "getLineage", Tag: "data-gov",
			Summary:    "The lineage graph around a dataset (or a job), upstream and downstream, depth-capped, in Marquez's shape, with schema and column lineage when the facets were sent",
			Permission: r, Response: rm.Graph{}, Handler: a.lineage, Errors: []int{404}, Query: []platform.Param{
				{Name: "namespace", Description: "The node's namespace", Required: true},
				{Name: "name", Description: "The node's name", Required: true},
				{Name: "type", Description: "What the node is (default dataset)", Enum: []string{"dataset", "job"}},
				{Name: "depth", Description: "How many edges away to walk (default 5, at most 20)", Schema: "integer"},
				{Name: "direction", Description: "Which way to walk (default both)", Enum: []string{rm.Upstream, rm.Downstream, rm.Both}}}},
		{Method: http.MethodPost, Path: p + "/lineage/events", OperationID: "recordLineageEvent", Tag: "data-gov",
			Summary: "Record an OpenLineage RunEvent, the body as an OpenLineage client sends it to Marquez's POST /api/v1/lineage, validated against the published " +
				"OpenLineage 2-0-2 JSON schema (and the schema and columnLineage facet schemas); kept whole (_producer and _schemaURL included)",
			Permission: w, Request: openlineage.RunEvent{}, Response: LineageReceipt{}, Status: http.StatusCreated, Handler: a.recordLineage, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/retention-policies", OperationID: "listRetentionPolicies", Tag: "data-gov", Summary: "Retention rules, newest first, with their last run",
			Permission: r, Response: rm.RetentionPolicy{}, List: true, Handler: a.policies, Query: []platform.Param{
				{Name: "module", Description: "Only rules of this module", Enum: []string{"gateway", datagov.Module, "bastion_ai"}}}},
		{Method: http.MethodPost, Path: p + "/retention-policies", OperationID: "createRetentionPolicy", Tag: "data-gov",
			Summary:    "Create a retention rule: gateway prompt_content (erased by deleting tenant-month content keys) data_gov lineage_events (read-model rows deleted) or bastion_ai assistant_documents (indexed documents removed, their keys destroyed)",
			Permission: adm, Request: PolicyRequest{}, Response: rm.RetentionPolicy{}, Status: http.StatusCreated, Handler: a.createPolicy, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/retention-policies/:id", OperationID: "getRetentionPolicy", Tag: "data-gov", Summary: "One retention rule",
			Permission: r, Response: rm.RetentionPolicy{}, Handler: a.policy, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/retention-policies/:id", OperationID: "updateRetentionPolicy", Tag: "data-gov", Summary: "Change a retention rule's name, period or state",
			Permission: adm, Request: PolicyPatch{}, Response: rm.RetentionPolicy{}, Handler: a.updatePolicy, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodPost, Path: p + "/retention-policies/:id/enforce", OperationID: "enforceRetentionPolicy", Tag: "data-gov",
			Summary: "Enforce a rule, or with {dry_run: true} only report what it would remove (counts, months, date range). Nothing in the ledger is rewritten: " +
				"content is erased by deleting its keys, and `astra verify` still passes (RetentionEnforced)",
			Permission: adm, Request: EnforceRequest{}, Response: Enforcement{}, Handler: a.enforce, Errors: []int{404, 409}},
	}
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

// Ids of datasets, requests and policies are UUIDs; another id names nothing.
var (
	datasetID = platform.IDParam(datagov.ErrDatasetNotFound)
	dsarID    = platform.IDParam(datagov.ErrDsarNotFound)
	policyID  = platform.IDParam(datagov.ErrPolicyNotFound)
)

// created sets the Location of a resource a write created.
func created(c echo.Context, path string) {
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/data-gov/"+path)
}
