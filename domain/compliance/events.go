package compliance

import (
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of the compliance module.
var (
	FrameworkImported   = events.Type{Module: "compliance", Name: "FrameworkImported", New: func() any { return &FrameworkImportedV1{} }}
	FrameworkAdopted    = events.Type{Module: "compliance", Name: "FrameworkAdopted", New: func() any { return &FrameworkAdoptedV1{} }}
	ControlCreated      = events.Type{Module: "compliance", Name: "ControlCreated", New: func() any { return &ControlCreatedV1{} }}
	ControlUpdated      = events.Type{Module: "compliance", Name: "ControlUpdated", New: func() any { return &ControlUpdatedV1{} }}
	AssessmentStarted   = events.Type{Module: "compliance", Name: "AssessmentStarted", New: func() any { return &AssessmentStartedV1{} }}
	RequirementAssessed = events.Type{Module: "compliance", Name: "RequirementAssessed", New: func() any { return &RequirementAssessedV1{} }}
	AssessmentCompleted = events.Type{Module: "compliance", Name: "AssessmentCompleted", New: func() any { return &AssessmentCompletedV1{} }}
	EvidenceAdded       = events.Type{Module: "compliance", Name: "EvidenceAdded", New: func() any { return &EvidenceAddedV1{} }}
	EvidenceExpired     = events.Type{Module: "compliance", Name: "EvidenceExpired", New: func() any { return &EvidenceExpiredV1{} }}
)

func init() {
	events.Register(FrameworkImported, FrameworkAdopted, ControlCreated, ControlUpdated, AssessmentStarted,
		RequirementAssessed, AssessmentCompleted, EvidenceAdded, EvidenceExpired)
}

// FrameworkImportedV1 records an OSCAL catalog imported by a tenant. The
// requirement tree itself is not in the event: a whole catalog (NIST SP 800-53
// is about 10 MB) would exceed what one ledger record may carry through the
// broker (4 MB) and would be pushed to every live-stream subscriber. It is
// kept as a content-addressed blob (the framework as JSON) whose SHA-256 and
// size the event records, so that a replay rebuilds the same tree and a blob
// that changed is detected instead of projected.
type FrameworkImportedV1 struct {
	FrameworkID  string `json:"framework_id"`
	TenantID     string `json:"tenant_id"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Publisher    string `json:"publisher"`
	Source       string `json:"source"`
	OSCALVersion string `json:"oscal_version"`
	DocumentUUID string `json:"document_uuid"`
	// Format is the document's format: "json" or "xml".
	Format string `json:"format"`
	// Requirements counts the nodes of the tree (groups, controls, enhancements).
	Requirements int `json:"requirements"`
	Controls     int `json:"controls"`
	Enhancements int `json:"enhancements"`
	Withdrawn    int `json:"withdrawn"`
	Assessable   int `json:"assessable"`
	// BlobSHA256 is the hex SHA-256 of the framework JSON blob; BlobSize its length.
	BlobSHA256 string `json:"blob_sha256"`
	BlobSize   int64  `json:"blob_size"`
}

// FrameworkAdoptedV1 records that a tenant adopted a framework (built in or imported).
type FrameworkAdoptedV1 struct {
	FrameworkID string `json:"framework_id"`
	TenantID    string `json:"tenant_id"`
}

// Control statuses.
const (
	ControlNotImplemented       = "not_implemented"
	ControlPlanned              = "planned"
	ControlPartiallyImplemented = "partially_implemented"
	ControlImplemented          = "implemented"
	ControlNotApplicable        = "not_applicable"
)

// ControlStatuses lists the statuses of a tenant control.
var ControlStatuses = []string{ControlNotImplemented, ControlPlanned, ControlPartiallyImplemented, ControlImplemented, ControlNotApplicable}

// ValidControlStatus reports whether s is a control status.
func ValidControlStatus(s string) bool {
	for _, x := range ControlStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// ControlCreatedV1 records a tenant control and the requirements it implements.
type ControlCreatedV1 struct {
	ControlID    string `json:"control_id"`
	TenantID     string `json:"tenant_id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Owner        string `json:"owner"`
	Status       string `json:"status"`
	Requirements []Ref  `json:"requirements"`
}

// ControlUpdatedV1 records changed fields of a control (nil: unchanged).
type ControlUpdatedV1 struct {
	ControlID    string  `json:"control_id"`
	Name         *string `json:"name,omitempty"`
	Description  *string `json:"description,omitempty"`
	Owner        *string `json:"owner,omitempty"`
	Status       *string `json:"status,omitempty"`
	Requirements *[]Ref  `json:"requirements,omitempty"`
}

// AssessmentStartedV1 records an assessment of one framework. Assessable and
// Scale are copied from the framework so that scores are computed from the
// read model without loading the tree.
type AssessmentStartedV1 struct {
	AssessmentID string `json:"assessment_id"`
	TenantID     string `json:"tenant_id"`
	FrameworkID  string `json:"framework_id"`
	Name         string `json:"name"`
	Assessable   int    `json:"assessable"`
	Scale        Scale  `json:"scale"`
}

// RequirementAssessedV1 records the result of one requirement (a later one replaces it).
type RequirementAssessedV1 struct {
	AssessmentID  string   `json:"assessment_id"`
	RequirementID string   `json:"requirement_id"`
	Result        Result   `json:"result"`
	Notes         string   `json:"notes"`
	EvidenceIDs   []string `json:"evidence_ids"`
}

// AssessmentCompletedV1 freezes an assessment with its score. Score is the
// result normalised to 0–100 (what the trust score's compliance pillar reads);
// Value is the same result on the framework's own scale.
type AssessmentCompletedV1 struct {
	AssessmentID  string  `json:"assessment_id"`
	TenantID      string  `json:"tenant_id"`
	FrameworkID   string  `json:"framework_id"`
	Score         float64 `json:"score"`
	Value         float64 `json:"value"`
	Scale         Scale   `json:"scale"`
	Assessable    int     `json:"assessable"`
	Compliant     int     `json:"compliant"`
	Partial       int     `json:"partial"`
	NonCompliant  int     `json:"non_compliant"`
	NotApplicable int     `json:"not_applicable"`
	NotAssessed   int     `json:"not_assessed"`
}

// Kinds of evidence.
const (
	EvidenceFile = "file"
	EvidenceLink = "link"
)

// EvidenceAddedV1 records a piece of evidence: a file kept outside the ledger,
// content-addressed by SHA256, or a link.
type EvidenceAddedV1 struct {
	EvidenceID  string     `json:"evidence_id"`
	TenantID    string     `json:"tenant_id"`
	Kind        string     `json:"kind"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Filename    string     `json:"filename,omitempty"`
	MediaType   string     `json:"media_type,omitempty"`
	SHA256      string     `json:"sha256,omitempty"`
	Size        int64      `json:"size,omitempty"`
	URL         string     `json:"url,omitempty"`
	EffectiveAt time.Time  `json:"effective_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// StaleRef names a requirement result that relied on expired evidence.
type StaleRef struct {
	AssessmentID  string `json:"assessment_id"`
	RequirementID string `json:"requirement_id"`
}

// EvidenceExpiredV1 records that evidence passed its expiry: the results that
// cited it (listed as they stood when the expiry was noticed) are stale.
type EvidenceExpiredV1 struct {
	EvidenceID string     `json:"evidence_id"`
	ExpiresAt  time.Time  `json:"expires_at"`
	Stale      []StaleRef `json:"stale"`
}

// Errors of the compliance commands, mapped to CMP codes at the edge.
var (
	ErrFrameworkNotFound   = errors.New("compliance: no such framework in this tenant")
	ErrFrameworkExists     = errors.New("compliance: this framework is already imported (or its id is a built-in framework's)")
	ErrControlNotFound     = errors.New("compliance: no such control in this tenant")
	ErrInvalidControl      = errors.New("compliance: invalid control")
	ErrAssessmentNotFound  = errors.New("compliance: no such assessment in this tenant")
	ErrAssessmentCompleted = errors.New("compliance: the assessment is completed and frozen")
	ErrNothingToScore      = errors.New("compliance: nothing applicable to score: record at least one result other than not_applicable")
	ErrEvidenceNotFound    = errors.New("compliance: no such evidence in this tenant")
	ErrEvidenceExpiredUse  = errors.New("compliance: the evidence has expired and cannot support a result")
	ErrInvalidEvidence     = errors.New("compliance: invalid evidence")
	ErrLinkRefused         = errors.New("compliance: evidence link refused")
	ErrEvidenceIsLink      = errors.New("compliance: this evidence is a link, not a file")
	ErrEvidenceTampered    = errors.New("compliance: stored evidence does not match its recorded SHA-256")
	ErrBlobMissing         = errors.New("compliance: stored content is missing")
)

// StreamOfImport names the stream of a tenant's imported framework.
func StreamOfImport(tenantID, frameworkID string) string {
	return "compliance.framework-" + tenantID + "-" + frameworkID
}

// StreamOfAdoption names the stream of a tenant's adoption of a framework.
func StreamOfAdoption(tenantID, frameworkID string) string {
	return "compliance.adoption-" + tenantID + "-" + frameworkID
}

// StreamOfControl names a control's stream.
func StreamOfControl(id string) string { return "compliance.control-" + id }

// StreamOfAssessment names an assessment's stream.
func StreamOfAssessment(id string) string { return "compliance.assessment-" + id }

// StreamOfEvidence names an evidence's stream.
func StreamOfEvidence(id string) string { return "compliance.evidence-" + id }

// Counts tallies the results of an assessment, for ScoreOf.
type Counts struct {
	Assessable, Compliant, Partial, NonCompliant, NotApplicable int
}

// ScoreOf scores counts on scale exactly as Assess does (a requirement without
// result counts as not assessed and earns nothing), for read models that keep
// counts rather than the tree.
func ScoreOf(c Counts, scale Scale) Score {
	t := tally{assessable: c.Assessable, compliant: c.Compliant, partial: c.Partial, nonCompliant: c.NonCompliant, notApplicable: c.NotApplicable}
	t.notAssessed = c.Assessable - c.Compliant - c.Partial - c.NonCompliant - c.NotApplicable
	if t.notAssessed < 0 {
		t.notAssessed = 0
	}
	t.credit = float64(c.Compliant) + 0.5*float64(c.Partial)
	return t.score(scale)
}
