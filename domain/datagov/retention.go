package datagov

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Data classes a retention policy applies to, per module.
const (
	// ClassPromptContent is the gateway's prompt and completion text, erased
	// by deleting its tenant-month content keys.
	ClassPromptContent = "prompt_content"
	// ClassLineageEvents are recorded OpenLineage runs, deleted from the lineage read model.
	ClassLineageEvents = "lineage_events"
	// ClassAssistantDocuments are the documents indexed for BASTION AI's
	// retrieval, removed from the index with their keys destroyed (its reactor).
	ClassAssistantDocuments = "assistant_documents"
)

// RetentionClasses lists the data classes each module's retention enforces.
var RetentionClasses = map[string][]string{"gateway": {ClassPromptContent}, Module: {ClassLineageEvents}, "bastion_ai": {ClassAssistantDocuments}}

// MaxRetentionDays bounds a retention period (a hundred years).
const MaxRetentionDays = 36500

// NewRetentionPolicy decides the RetentionPolicyCreated of d.
func NewRetentionPolicy(d RetentionPolicyCreatedV1) (*RetentionPolicyCreatedV1, error) {
	if d.Name = strings.TrimSpace(d.Name); d.Name == "" {
		return nil, fmt.Errorf("%w: a policy needs a name", ErrInvalidPolicy)
	}
	classes, ok := RetentionClasses[d.Module]
	if !ok || !slices.Contains(classes, d.DataClass) {
		return nil, fmt.Errorf("%w: module and data_class must be gateway/%s, %s/%s or bastion_ai/%s", ErrInvalidPolicy, ClassPromptContent, Module,
			ClassLineageEvents, ClassAssistantDocuments)
	}
	if err := checkPeriod(d.PeriodDays); err != nil {
		return nil, err
	}
	return &d, nil
}

func checkPeriod(days int) error {
	if days < 1 || days > MaxRetentionDays {
		return fmt.Errorf("%w: period_days is 1 to %d", ErrInvalidPolicy, MaxRetentionDays)
	}
	return nil
}

// RetentionPolicy is a policy as commands decide on it.
type RetentionPolicy struct {
	TenantID   string
	Module     string
	DataClass  string
	PeriodDays int
	Enabled    bool
}

// Created folds RetentionPolicyCreated.
func (p *RetentionPolicy) Created(d *RetentionPolicyCreatedV1) {
	*p = RetentionPolicy{TenantID: d.TenantID, Module: d.Module, DataClass: d.DataClass, PeriodDays: d.PeriodDays, Enabled: d.Enabled}
}

// Updated folds RetentionPolicyUpdated.
func (p *RetentionPolicy) Updated(d *RetentionPolicyUpdatedV1) {
	if d.PeriodDays != nil {
		p.PeriodDays = *d.PeriodDays
	}
	if d.Enabled != nil {
		p.Enabled = *d.Enabled
	}
}

// Update decides a change of policy id of the tenant.
func (p *RetentionPolicy) Update(tenant string, ch RetentionPolicyUpdatedV1) (*RetentionPolicyUpdatedV1, error) {
	if p.TenantID == "" || p.TenantID != tenant {
		return nil, ErrPolicyNotFound
	}
	if ch.Name != nil {
		if *ch.Name = strings.TrimSpace(*ch.Name); *ch.Name == "" {
			return nil, fmt.Errorf("%w: a policy needs a name", ErrInvalidPolicy)
		}
	}
	if ch.PeriodDays != nil {
		if err := checkPeriod(*ch.PeriodDays); err != nil {
			return nil, err
		}
	}
	return &ch, nil
}

// Cutoff is the instant before which the policy's data has expired at now.
func (p *RetentionPolicy) Cutoff(now time.Time) time.Time {
	return now.UTC().AddDate(0, 0, -p.PeriodDays)
}

// Enforceable refuses to enforce a policy that is not the tenant's or is
// disabled (a dry run of a disabled policy is allowed).
func (p *RetentionPolicy) Enforceable(tenant string, dryRun bool) error {
	switch {
	case p.TenantID == "" || p.TenantID != tenant:
		return ErrPolicyNotFound
	case !p.Enabled && !dryRun:
		return ErrPolicyDisabled
	}
	return nil
}

// MonthContent is one month of gateway content a run covers.
type MonthContent struct {
	// Month is "2006-01"; Key the content key that seals it.
	Month string `json:"month"`
	Key   string `json:"key"`
	// Requests counts the request records with content sealed under the key;
	// From and To are the first and last of them.
	Requests int        `json:"requests"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
}

// RetentionRun is what an enforcement removes (or, dry, would remove).
type RetentionRun struct {
	DryRun bool      `json:"dry_run"`
	Cutoff time.Time `json:"cutoff"`
	// Months are the gateway content months whose keys are (to be) deleted:
	// those wholly before the cutoff (a key seals a whole month, so a month
	// that straddles the cutoff waits until it has passed).
	Months []MonthContent `json:"months"`
	// Rows counts read-model rows (to be) deleted, for classes removed by row.
	Rows int `json:"rows"`
	// Items totals what the run covers; From and To bound it in time.
	Items int        `json:"items"`
	From  *time.Time `json:"from,omitempty"`
	To    *time.Time `json:"to,omitempty"`
}

// ExpiredMonth reports whether the content of month (its first instant) is
// wholly older than cutoff.
func ExpiredMonth(month, cutoff time.Time) bool { return !month.AddDate(0, 1, 0).After(cutoff) }
