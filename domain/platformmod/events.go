// Package platformmod holds the Platform module's domain: outbound
// integrations (Standard Webhooks signing, CloudEvents delivery schedule,
// event type filters), in-app notifications and their channels, asynchronous
// reports, and approval workflows. Events, pure rules and sentinel errors
// only: no I/O, no clock. (The package is not named platform: http/platform
// is the HTTP kit every module serves through.)
package platformmod

import (
	"errors"
	"fmt"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Module is the module's name: its events' type prefix (com.astra.platform.…),
// topic (astra.platform) and permission prefix (platform:read|write|admin).
const Module = "platform"

var evt = events.Of(Module)

// Event types of the Platform module.
var (
	IntegrationConfigured    = evt("IntegrationConfigured", func() any { return &IntegrationConfiguredV1{} })
	IntegrationSecretRotated = evt("IntegrationSecretRotated", func() any { return &IntegrationSecretRotatedV1{} })
	IntegrationDisabled      = evt("IntegrationDisabled", func() any { return &IntegrationDisabledV1{} })
	IntegrationEnabled       = evt("IntegrationEnabled", func() any { return &IntegrationEnabledV1{} })
	IntegrationDeleted       = evt("IntegrationDeleted", func() any { return &IntegrationDeletedV1{} })
	IntegrationTested        = evt("IntegrationTested", func() any { return &IntegrationTestedV1{} })
	DeliveriesReplayed       = evt("DeliveriesReplayed", func() any { return &DeliveriesReplayedV1{} })

	ReportRequested  = evt("ReportRequested", func() any { return &ReportRequestedV1{} })
	ReportProgressed = evt("ReportProgressed", func() any { return &ReportProgressedV1{} }, "platform.report.progress")
	ReportGenerated  = evt("ReportGenerated", func() any { return &ReportGeneratedV1{} })
	ReportFailed     = evt("ReportFailed", func() any { return &ReportFailedV1{} })
)

// registerTypes adds the module's event types to the registry.
func registerTypes(ts ...events.Type) { events.Register(ts...) }

func init() {
	events.Register(IntegrationConfigured, IntegrationSecretRotated, IntegrationDisabled, IntegrationEnabled, IntegrationDeleted,
		IntegrationTested, DeliveriesReplayed, ReportRequested, ReportProgressed, ReportGenerated, ReportFailed)
}

// Errors of the module.
var (
	ErrIntegrationNotFound = errors.New("platform: integration not found")
	ErrInvalidIntegration  = errors.New("platform: invalid integration")
	ErrIntegrationDisabled = errors.New("platform: integration disabled")
	ErrEventNotFound       = errors.New("platform: event not found")
	ErrReportNotFound      = errors.New("platform: report not found")
	ErrReportNotReady      = errors.New("platform: report not ready")
	ErrInvalidReport       = errors.New("platform: invalid report")
	ErrReportTampered      = errors.New("platform: report content changed or missing")
)

// Delivery modes of the CloudEvents HTTP binding.
const (
	ModeBinary     = "binary"
	ModeStructured = "structured"
)

// Integration states.
const (
	StateActive   = "active"
	StateDisabled = "disabled"
	StateDeleted  = "deleted"
)

// IntegrationConfiguredV1 records an outbound webhook. Secret is the
// Standard Webhooks signing secret (whsec_…), sealed under the integration's
// data key, so that deleting the integration shreds it.
type IntegrationConfiguredV1 struct {
	IntegrationID string   `json:"integration_id"`
	TenantID      string   `json:"tenant_id"`
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	EventTypes    []string `json:"event_types"`
	Mode          string   `json:"mode"`
	Secret        string   `json:"secret"`
}

// IntegrationSecretRotatedV1 records a new signing secret; the previous one
// keeps signing (a second signature) until PreviousUntil, so that receivers
// can switch without losing an event.
type IntegrationSecretRotatedV1 struct {
	IntegrationID  string    `json:"integration_id"`
	Secret         string    `json:"secret"`
	PreviousSecret string    `json:"previous_secret"`
	PreviousUntil  time.Time `json:"previous_until"`
}

// IntegrationDisabledV1 records that deliveries stopped: the endpoint failed
// every attempt of a delivery's whole retry schedule (or an admin said so).
type IntegrationDisabledV1 struct {
	IntegrationID string `json:"integration_id"`
	Reason        string `json:"reason"`
	// EventID is the event whose delivery exhausted the schedule, when that is why.
	EventID string `json:"event_id,omitempty"`
}

// IntegrationEnabledV1 records that deliveries resumed.
type IntegrationEnabledV1 struct {
	IntegrationID string `json:"integration_id"`
}

// IntegrationDeletedV1 records that an integration was removed (its secret's key is erased).
type IntegrationDeletedV1 struct {
	IntegrationID string `json:"integration_id"`
}

// IntegrationTestedV1 is the test event itself: delivered, signed, to the
// one integration it names, whatever its filters.
type IntegrationTestedV1 struct {
	IntegrationID string `json:"integration_id"`
	Message       string `json:"message"`
}

// DeliveriesReplayedV1 records a replay: the events after AfterEventID that
// match the integration's filters were queued again.
type DeliveriesReplayedV1 struct {
	IntegrationID string `json:"integration_id"`
	AfterEventID  string `json:"after_event_id"`
	Events        int    `json:"events"`
}

// Report kinds and formats.
const (
	KindTrustSummary = "trust_summary"
	KindAssessment   = "assessment"
	KindRiskRegister = "risk_register"
	KindAuditTrail   = "audit_trail"

	FormatPDF  = "pdf"
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ReportKinds and ReportFormats are the accepted values.
var (
	ReportKinds   = []string{KindTrustSummary, KindAssessment, KindRiskRegister, KindAuditTrail}
	ReportFormats = []string{FormatPDF, FormatCSV, FormatJSON}
)

// ReportRequestedV1 records a report job.
type ReportRequestedV1 struct {
	ReportID string `json:"report_id"`
	TenantID string `json:"tenant_id"`
	Kind     string `json:"kind"`
	Format   string `json:"format"`
	Title    string `json:"title"`
	// AssessmentID names the assessment of an assessment report.
	AssessmentID string `json:"assessment_id,omitempty"`
	// From and To bound an audit trail extract.
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
}

// ReportProgressedV1 records a step of a running report (the live stream's
// platform.report.progress channel).
type ReportProgressedV1 struct {
	ReportID string `json:"report_id"`
	Percent  int    `json:"percent"`
	Stage    string `json:"stage"`
}

// ReportGeneratedV1 records a finished report: its content is in the blob
// store under SHA256, and a download is checked against it.
type ReportGeneratedV1 struct {
	ReportID    string `json:"report_id"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	FileName    string `json:"file_name"`
	Rows        int    `json:"rows"`
}

// ReportFailedV1 records a report that could not be produced.
type ReportFailedV1 struct {
	ReportID string `json:"report_id"`
	Reason   string `json:"reason"`
}

// Report statuses.
const (
	ReportQueued  = "queued"
	ReportRunning = "running"
	ReportDone    = "done"
	ReportFailedS = "failed"
)

// Report is a report job folded from its stream.
type Report struct {
	ReportRequestedV1
	Status string
}

// NewReport validates a report request: a known kind and format, an
// assessment for an assessment report, a range in order.
func NewReport(d ReportRequestedV1) (*ReportRequestedV1, error) {
	if !contains(ReportKinds, d.Kind) || !contains(ReportFormats, d.Format) {
		return nil, ErrInvalidReport
	}
	if d.Kind == KindAssessment && d.AssessmentID == "" {
		return nil, fmt.Errorf("%w: an assessment report needs assessment_id", ErrInvalidReport)
	}
	if d.From != nil && d.To != nil && d.To.Before(*d.From) {
		return nil, fmt.Errorf("%w: to is before from", ErrInvalidReport)
	}
	if d.Title == "" {
		d.Title = map[string]string{KindTrustSummary: "Trust summary", KindAssessment: "Assessment", KindRiskRegister: "Risk register",
			KindAuditTrail: "Audit trail extract"}[d.Kind]
	}
	return &d, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
