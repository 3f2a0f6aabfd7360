// Package datagov holds Data Governance: the data inventory and its
// classification (with the gateway's PII engine), data subject requests with
// their legal due dates, erasure by crypto-shredding and the signed access
// export, OpenLineage run events and the lineage graph, and retention
// policies enforced by deleting content keys. Events, pure rules and
// sentinel errors only: no I/O, no clock.
package datagov

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Module is the module's name: its events' type prefix (com.astra.data_gov.…),
// topic (astra.data_gov) and permission prefix (data_gov:read|write|admin).
const Module = "data_gov"

// Event types of the Data Governance module.
var (
	DatasetRegistered        = events.Type{Module: Module, Name: "DatasetRegistered", New: func() any { return &DatasetRegisteredV1{} }}
	DatasetClassified        = events.Type{Module: Module, Name: "DatasetClassified", New: func() any { return &DatasetClassifiedV1{} }}
	DsarReceived             = events.Type{Module: Module, Name: "DsarReceived", New: func() any { return &DsarReceivedV1{} }}
	DsarIdentityVerified     = events.Type{Module: Module, Name: "DsarIdentityVerified", New: func() any { return &DsarIdentityVerifiedV1{} }}
	DsarExtended             = events.Type{Module: Module, Name: "DsarExtended", New: func() any { return &DsarExtendedV1{} }}
	DsarOverdue              = events.Type{Module: Module, Name: "DsarOverdue", New: func() any { return &DsarOverdueV1{} }}
	DsarRejected             = events.Type{Module: Module, Name: "DsarRejected", New: func() any { return &DsarRejectedV1{} }}
	DsarFulfilled            = events.Type{Module: Module, Name: "DsarFulfilled", New: func() any { return &DsarFulfilledV1{} }}
	SubjectErased            = events.Type{Module: Module, Name: "SubjectErased", New: func() any { return &SubjectErasedV1{} }}
	ErasureCertificateIssued = events.Type{Module: Module, Name: "ErasureCertificateIssued", New: func() any { return &ErasureCertificateIssuedV1{} }}
	LineageRecorded          = events.Type{Module: Module, Name: "LineageRecorded", New: func() any { return &LineageRecordedV1{} }}
	RetentionPolicyCreated   = events.Type{Module: Module, Name: "RetentionPolicyCreated", New: func() any { return &RetentionPolicyCreatedV1{} }}
	RetentionPolicyUpdated   = events.Type{Module: Module, Name: "RetentionPolicyUpdated", New: func() any { return &RetentionPolicyUpdatedV1{} }}
	RetentionEnforced        = events.Type{Module: Module, Name: "RetentionEnforced", New: func() any { return &RetentionEnforcedV1{} }}
)

func init() {
	events.Register(DatasetRegistered, DatasetClassified, DsarReceived, DsarIdentityVerified, DsarExtended, DsarOverdue, DsarRejected,
		DsarFulfilled, SubjectErased, ErasureCertificateIssued, LineageRecorded, RetentionPolicyCreated, RetentionPolicyUpdated, RetentionEnforced)
}

// Column is one column of a dataset in the inventory.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
}

// DatasetRegisteredV1 records a dataset of the data inventory.
type DatasetRegisteredV1 struct {
	DatasetID   string   `json:"dataset_id"`
	TenantID    string   `json:"tenant_id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Owner       string   `json:"owner"`
	System      string   `json:"system"`
	Location    string   `json:"location"`
	Columns     []Column `json:"columns"`
	LawfulBasis string   `json:"lawful_basis"`
	// RetentionClass names the retention rule the dataset falls under.
	RetentionClass string `json:"retention_class"`
}

// DatasetClassifiedV1 records a classification of a dataset's column samples.
// It holds what was found (types, counts, confidence), never the samples.
type DatasetClassifiedV1 struct {
	DatasetID      string           `json:"dataset_id"`
	TenantID       string           `json:"tenant_id"`
	Classification Classification   `json:"classification"`
	Columns        []ColumnFindings `json:"columns"`
}

// DsarReceivedV1 records a data subject request. SubjectEmail and SubjectName
// are sealed under the subject's data key (see SubjectKey), so that erasing
// the subject makes them unreadable in the request's own history too.
type DsarReceivedV1 struct {
	DsarID        string    `json:"dsar_id"`
	TenantID      string    `json:"tenant_id"`
	Type          string    `json:"type"`
	Jurisdiction  string    `json:"jurisdiction"`
	SubjectUserID string    `json:"subject_user_id,omitempty"`
	SubjectEmail  string    `json:"subject_email,omitempty"`
	SubjectName   string    `json:"subject_name,omitempty"`
	SubjectKey    string    `json:"subject_key"`
	Notes         string    `json:"notes,omitempty"`
	ReceivedAt    time.Time `json:"received_at"`
	DueAt         time.Time `json:"due_at"`
}

// DsarIdentityVerifiedV1 records the outcome of verifying the requester's identity.
type DsarIdentityVerifiedV1 struct {
	DsarID string `json:"dsar_id"`
	State  string `json:"state"`
	Method string `json:"method"`
	Note   string `json:"note,omitempty"`
}

// DsarExtendedV1 records the one extension the law allows, with its reason.
type DsarExtendedV1 struct {
	DsarID string    `json:"dsar_id"`
	Reason string    `json:"reason"`
	DueAt  time.Time `json:"due_at"`
}

// DsarOverdueV1 records that a request passed its due date unfulfilled (the
// alert the periodic scan raises, once per due date).
type DsarOverdueV1 struct {
	DsarID string    `json:"dsar_id"`
	DueAt  time.Time `json:"due_at"`
}

// DsarRejectedV1 records a request closed without fulfilment.
type DsarRejectedV1 struct {
	DsarID string `json:"dsar_id"`
	Reason string `json:"reason"`
}

// DsarFulfilledV1 records a fulfilled request. For access and portability it
// records the archive handed out (hash, size, signature), not its content.
type DsarFulfilledV1 struct {
	DsarID string `json:"dsar_id"`
	Type   string `json:"type"`
	Notes  string `json:"notes,omitempty"`
	// Archive describes the signed export of an access or portability request.
	Archive *ArchiveReceipt `json:"archive,omitempty"`
}

// ArchiveReceipt identifies a signed export without holding it.
type ArchiveReceipt struct {
	SHA256    string   `json:"sha256"`
	Size      int64    `json:"size"`
	KeyID     string   `json:"key_id"`
	Signature string   `json:"signature"`
	Modules   []string `json:"modules"`
	Items     int      `json:"items"`
}

// SubjectErasedV1 records that a subject's data keys were destroyed. Principals
// are the ids the subject acted under (the user and their API keys): read
// models redact what those principals left under shared keys.
type SubjectErasedV1 struct {
	DsarID        string   `json:"dsar_id"`
	TenantID      string   `json:"tenant_id"`
	SubjectUserID string   `json:"subject_user_id,omitempty"`
	Keys          []string `json:"keys"`
	Principals    []string `json:"principals"`
}

// ErasureCertificateIssuedV1 records the certificate of an erasure.
type ErasureCertificateIssuedV1 struct {
	DsarID      string      `json:"dsar_id"`
	Certificate Certificate `json:"certificate"`
}

// LineageRecordedV1 records one OpenLineage run event as it was sent (RunEvent
// holds the body, facets, _producer and _schemaURL included).
type LineageRecordedV1 struct {
	TenantID     string          `json:"tenant_id"`
	EventType    string          `json:"event_type"`
	EventTime    time.Time       `json:"event_time"`
	RunID        string          `json:"run_id"`
	JobNamespace string          `json:"job_namespace"`
	JobName      string          `json:"job_name"`
	RunEvent     json.RawMessage `json:"run_event"`
}

// RetentionPolicyCreatedV1 records a retention rule.
type RetentionPolicyCreatedV1 struct {
	PolicyID   string `json:"policy_id"`
	TenantID   string `json:"tenant_id"`
	Name       string `json:"name"`
	Module     string `json:"module"`
	DataClass  string `json:"data_class"`
	PeriodDays int    `json:"period_days"`
	Enabled    bool   `json:"enabled"`
}

// RetentionPolicyUpdatedV1 records changed fields of a rule (nil: unchanged).
type RetentionPolicyUpdatedV1 struct {
	PolicyID   string  `json:"policy_id"`
	Name       *string `json:"name,omitempty"`
	PeriodDays *int    `json:"period_days,omitempty"`
	Enabled    *bool   `json:"enabled,omitempty"`
}

// RetentionEnforcedV1 records an enforcement: what the rule removed.
type RetentionEnforcedV1 struct {
	PolicyID  string       `json:"policy_id"`
	TenantID  string       `json:"tenant_id"`
	Module    string       `json:"module"`
	DataClass string       `json:"data_class"`
	Cutoff    time.Time    `json:"cutoff"`
	Plan      RetentionRun `json:"plan"`
}

// Errors of the Data Governance commands, mapped to DG codes at the edge.
var (
	ErrDatasetNotFound     = errors.New("data_gov: no such dataset in this tenant")
	ErrInvalidDataset      = errors.New("data_gov: invalid dataset")
	ErrNotClassified       = errors.New("data_gov: the dataset has not been classified yet")
	ErrInvalidSamples      = errors.New("data_gov: invalid classification input")
	ErrDsarNotFound        = errors.New("data_gov: no such request in this tenant")
	ErrInvalidDsar         = errors.New("data_gov: invalid data subject request")
	ErrDsarClosed          = errors.New("data_gov: the request is closed")
	ErrIdentityNotVerified = errors.New("data_gov: the requester's identity failed verification")
	ErrExtended            = errors.New("data_gov: the request was extended already")
	ErrSubjectUnknown      = errors.New("data_gov: the subject is not a user of this tenant")
	ErrInvalidLineage      = errors.New("data_gov: not a valid OpenLineage run event")
	ErrLineageNodeNotFound = errors.New("data_gov: no such dataset or job in the lineage graph")
	ErrPolicyNotFound      = errors.New("data_gov: no such retention policy in this tenant")
	ErrInvalidPolicy       = errors.New("data_gov: invalid retention policy")
	ErrPolicyDisabled      = errors.New("data_gov: the retention policy is disabled")
)

// StreamOfDataset names a dataset's stream.
func StreamOfDataset(id string) string { return "data_gov.dataset-" + id }

// StreamOfDsar names a data subject request's stream.
func StreamOfDsar(id string) string { return "data_gov.dsar-" + id }

// StreamOfRun names the stream of one OpenLineage run of a tenant.
func StreamOfRun(tenantID, runID string) string { return "data_gov.run-" + tenantID + "-" + runID }

// StreamOfPolicy names a retention policy's stream.
func StreamOfPolicy(id string) string { return "data_gov.retention-" + id }
