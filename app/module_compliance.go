package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/astrabastion/astra/blobstore"
	cmdcmp "github.com/astrabastion/astra/commands/compliance"
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/compliance/oscal"
	httpcmp "github.com/astrabastion/astra/http/compliance"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/netguard"
	"github.com/astrabastion/astra/projections"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
)

// EvidenceExpiryScan is how often the compliance module looks for evidence
// past its expiry (one indexed query when there is none).
var EvidenceExpiryScan = 5 * time.Second

// complianceBlobs are where evidence files and imported catalogs are kept
// (content-addressed, outside the ledger, under the data directory).
func complianceBlobs(cfg Config) (evidence, catalogs *blobstore.Store) {
	return &blobstore.Store{Dir: filepath.Join(cfg.DataDir, "evidence")}, &blobstore.Store{Dir: filepath.Join(cfg.DataDir, "compliance", "catalogs")}
}

// Frameworks, OSCAL import, controls, assessments, evidence and posture.
func init() {
	register(Module{
		Name: "compliance",
		Tags: map[string]string{
			"compliance": "Compliance: built-in and OSCAL-imported frameworks, adoption, controls with cross-framework coverage, assessments, evidence and posture.",
		},
		Order: 60,
		Errors: platform.Codes{
			"CMP-001": platform.Entry(http.StatusNotFound, "Framework not found", "No built-in framework, nor one imported by the tenant, has that id."),
			"CMP-002": platform.Entry(http.StatusConflict, "Framework exists", "The tenant imported this catalog already, or its id is a built-in framework's."),
			"CMP-003": platform.Entry(http.StatusNotFound, "Control not found", "No control with that id exists in the tenant."),
			"CMP-004": platform.Entry(http.StatusUnprocessableEntity, "Invalid control", "A control needs a name, a known status, and references to assessable requirements of frameworks the tenant sees."),
			"CMP-005": platform.Entry(http.StatusNotFound, "Assessment not found", "No assessment with that id exists in the tenant."),
			"CMP-006": platform.Entry(http.StatusConflict, "Assessment completed", "The assessment is completed and frozen; start a new one."),
			"CMP-007": platform.Entry(http.StatusUnprocessableEntity, "Requirement not assessable", "The requirement is not in the framework, or is a heading or withdrawn, or the result is not one of compliant, partial, non_compliant, not_applicable."),
			"CMP-008": platform.Entry(http.StatusUnprocessableEntity, "Nothing to score", "Record at least one result other than not_applicable before completing."),
			"CMP-009": platform.Entry(http.StatusNotFound, "Evidence not found", "No evidence with that id exists in the tenant."),
			"CMP-010": platform.Entry(http.StatusUnprocessableEntity, "Evidence expired", "Expired evidence cannot support a result."),
			"CMP-011": platform.Entry(http.StatusUnprocessableEntity, "Invalid evidence", "Evidence is a file or an https link, with an expiry after its effective date."),
			"CMP-012": platform.Entry(http.StatusUnprocessableEntity, "Evidence link refused", "The link is not https, carries credentials, or resolves to a private, loopback, link-local or metadata address."),
			"CMP-013": platform.Entry(http.StatusInternalServerError, "Evidence integrity failure", "The stored file no longer hashes to the SHA-256 recorded when it was added; it is not served."),
			"CMP-014": platform.Entry(http.StatusConflict, "Evidence is a link", "Link evidence has no file to download; follow its url."),
			"CMP-015": platform.Entry(http.StatusRequestEntityTooLarge, "OSCAL document too large", "The catalog exceeds 20 MB."),
			"CMP-016": platform.Entry(http.StatusUnprocessableEntity, "OSCAL document refused", "Nested too deeply, too many elements, or an XML document type declaration (entities are never expanded)."),
			"CMP-017": platform.Entry(http.StatusUnprocessableEntity, "Malformed OSCAL document", "Not well-formed JSON or XML; the detail gives the position."),
			"CMP-018": platform.Entry(http.StatusUnprocessableEntity, "Not an OSCAL 1.x catalog", "Well-formed, but another OSCAL model, another schema, another version, or a catalog that breaks OSCAL's rules."),
			"CMP-019": platform.Entry(http.StatusInternalServerError, "Stored content missing", "Content the ledger refers to is missing from the data directory."),
		},
		DomainErrors: []platform.DomainError{
			{Err: compliance.ErrFrameworkNotFound, Code: "CMP-001"},
			{Err: compliance.ErrFrameworkExists, Code: "CMP-002"},
			{Err: compliance.ErrControlNotFound, Code: "CMP-003"},
			{Err: compliance.ErrInvalidControl, Code: "CMP-004"},
			{Err: compliance.ErrAssessmentNotFound, Code: "CMP-005"},
			{Err: compliance.ErrAssessmentCompleted, Code: "CMP-006"},
			{Err: compliance.ErrInvalidResult, Code: "CMP-007"},
			{Err: compliance.ErrUnknownRequirement, Code: "CMP-007"},
			{Err: compliance.ErrNotAssessable, Code: "CMP-007"},
			{Err: compliance.ErrNothingToScore, Code: "CMP-008"},
			{Err: compliance.ErrEvidenceNotFound, Code: "CMP-009"},
			{Err: compliance.ErrEvidenceExpiredUse, Code: "CMP-010"},
			{Err: compliance.ErrInvalidEvidence, Code: "CMP-011"},
			{Err: compliance.ErrLinkRefused, Code: "CMP-012"},
			{Err: compliance.ErrEvidenceTampered, Code: "CMP-013", Detail: "The stored evidence file does not match its recorded SHA-256; it is not served."},
			{Err: compliance.ErrEvidenceIsLink, Code: "CMP-014"},
			{Err: oscal.ErrTooLarge, Code: "CMP-015"},
			{Err: oscal.ErrTooDeep, Code: "CMP-016"},
			{Err: oscal.ErrTooComplex, Code: "CMP-016"},
			{Err: oscal.ErrEntityDeclaration, Code: "CMP-016"},
			{Err: oscal.ErrDTD, Code: "CMP-016"},
			{Err: oscal.ErrMalformed, Code: "CMP-017"},
			{Err: oscal.ErrNotOSCALCatalog, Code: "CMP-018"},
			{Err: oscal.ErrUnsupportedVersion, Code: "CMP-018"},
			{Err: oscal.ErrInvalidCatalog, Code: "CMP-018"},
			{Err: compliance.ErrBlobMissing, Code: "CMP-019", Detail: "Content the ledger refers to is missing from the data directory."},
		},
		Projections: func(b *Base) []projections.Projection {
			_, catalogs := complianceBlobs(b.Cfg)
			return []projections.Projection{rmcmp.New(catalogs)}
		},
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			guard, err := netguard.New(rt.Cfg.AllowPrivateURLs)
			if err != nil {
				return nil, fmt.Errorf("ASTRA_ALLOW_PRIVATE_URLS: %w", err)
			}
			evidence, catalogs := complianceBlobs(rt.Cfg)
			queries := &rmcmp.Queries{Runner: rt.Stack.Runner, Files: evidence}
			commands := &cmdcmp.Handlers{Store: rt.Stack.Store, Catalogue: queries, Catalogs: catalogs, Evidence: evidence, Guard: guard}
			api := &httpcmp.API{Commands: commands, Queries: queries, Writes: rt.Writes}
			expiry := Every("compliance evidence expiry", EvidenceExpiryScan, rt.Log,
				func(ctx context.Context, now time.Time) error { return expireEvidence(ctx, queries, commands, now) })
			return &Parts{Routes: api.Routes(), Workers: []Worker{expiry}, Holder: queries}, nil
		},
	})
}

// expireEvidence records EvidenceExpired for every piece of evidence due at
// now, naming the results that cited it. The command decides on the
// evidence's own stream, so a repeated or concurrent scan records nothing twice.
func expireEvidence(ctx context.Context, q *rmcmp.Queries, c *cmdcmp.Handlers, now time.Time) error {
	due, err := q.DueEvidence(ctx, now, 500)
	if err != nil {
		return err
	}
	for _, d := range due {
		stale, err := q.Citing(ctx, d.TenantID, d.ID)
		if err != nil {
			return err
		}
		if _, err := c.ExpireEvidence(ctx, cmdcmp.ExpireEvidence{EvidenceID: d.ID, TenantID: d.TenantID, Now: now, Stale: stale}); err != nil {
			return err
		}
	}
	return nil
}
