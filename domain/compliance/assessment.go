package compliance

import (
	"fmt"
	"strings"
)

// Assessment is an assessment as its commands decide on it: the state folded
// from its stream (AssessmentStarted, RequirementAssessed, AssessmentCompleted).
type Assessment struct {
	TenantID, FrameworkID string
	Assessable            int
	Scale                 Scale
	Results               map[string]Result
	Completed             bool
}

// Start is the AssessmentStarted that opens an assessment of framework f,
// which has assessable requirements that an assessment records results for.
func Start(id, tenant string, f Framework, assessable int, name string) *AssessmentStartedV1 {
	return &AssessmentStartedV1{AssessmentID: id, TenantID: tenant, FrameworkID: f.ID, Name: strings.TrimSpace(name),
		Assessable: assessable, Scale: f.Scale}
}

// Started folds AssessmentStarted.
func (a *Assessment) Started(d *AssessmentStartedV1) {
	*a = Assessment{TenantID: d.TenantID, FrameworkID: d.FrameworkID, Assessable: d.Assessable, Scale: d.Scale, Results: map[string]Result{}}
}

// Assessed folds RequirementAssessed (a later result replaces an earlier one).
func (a *Assessment) Assessed(d *RequirementAssessedV1) { a.Results[d.RequirementID] = d.Result }

// open refuses an assessment that is not the tenant's (one that never started
// has no tenant) or that is completed and frozen.
func (a *Assessment) open(tenant string) error {
	switch {
	case a.TenantID == "" || a.TenantID != tenant:
		return ErrAssessmentNotFound
	case a.Completed:
		return ErrAssessmentCompleted
	}
	return nil
}

// Assess decides the RequirementAssessed of the tenant's open assessment id:
// requirement looks the requirement up in the assessment's framework (it is
// asked only once the assessment is known to be open), which must be
// assessable and not withdrawn. No evidence ids is an empty list.
func (a *Assessment) Assess(tenant, id, requirementID string, r Result, notes string, evidenceIDs []string,
	requirement func(frameworkID, id string) (Requirement, error)) (*RequirementAssessedV1, error) {
	if err := a.open(tenant); err != nil {
		return nil, err
	}
	req, err := requirement(a.FrameworkID, requirementID)
	if err != nil {
		return nil, err
	}
	if err := checkResult(a.FrameworkID, requirementID, req, true, r); err != nil {
		return nil, err
	}
	if evidenceIDs == nil {
		evidenceIDs = []string{}
	}
	return &RequirementAssessedV1{AssessmentID: id, RequirementID: requirementID, Result: r, Notes: notes, EvidenceIDs: evidenceIDs}, nil
}

// Counts tallies the assessment's results.
func (a *Assessment) Counts() Counts {
	n := Counts{Assessable: a.Assessable}
	for _, r := range a.Results {
		switch r {
		case ResultCompliant:
			n.Compliant++
		case ResultPartial:
			n.Partial++
		case ResultNonCompliant:
			n.NonCompliant++
		case ResultNotApplicable:
			n.NotApplicable++
		}
	}
	return n
}

// Complete decides the AssessmentCompleted of the tenant's open assessment
// id, with its score: requirements without a result count as not assessed
// and earn nothing. An assessment with nothing applicable to score is
// refused (its score would mean nothing).
func (a *Assessment) Complete(tenant, id string) (*AssessmentCompletedV1, error) {
	if err := a.open(tenant); err != nil {
		return nil, err
	}
	sc := ScoreOf(a.Counts(), a.Scale)
	if !sc.Scorable || len(a.Results) == 0 {
		return nil, ErrNothingToScore
	}
	return &AssessmentCompletedV1{AssessmentID: id, TenantID: tenant, FrameworkID: a.FrameworkID, Score: sc.Ratio * 100, Value: sc.Value,
		Scale: sc.Scale, Assessable: sc.Assessable, Compliant: sc.Compliant, Partial: sc.Partial, NonCompliant: sc.NonCompliant,
		NotApplicable: sc.NotApplicable, NotAssessed: sc.NotAssessed}, nil
}

// Check refuses a result that is not one of the four.
func (r Result) Check() error {
	if !r.Valid() {
		return fmt.Errorf("%w: %q (want compliant, partial, non_compliant or not_applicable)", ErrInvalidResult, r)
	}
	return nil
}

// Standing is where an assessment stands on its current results, as a read
// model reports it from its counts.
type Standing struct {
	// Assessed counts requirements with a result; NotAssessed the assessable ones without.
	Assessed, NotAssessed int
	// Progress is the share of assessable requirements with a result, 0..1.
	Progress float64
	// Score (0–100) and Value (on the scale) are nil while nothing applicable
	// has been assessed, and for a completed assessment, whose score is frozen
	// in its AssessmentCompleted rather than recomputed.
	Score, Value *float64
}

// StandingOf scores counts on scale as the assessment stands.
func StandingOf(c Counts, scale Scale, completed bool) Standing {
	sc := ScoreOf(c, scale)
	s := Standing{Assessed: c.Compliant + c.Partial + c.NonCompliant + c.NotApplicable, NotAssessed: sc.NotAssessed, Progress: sc.Progress}
	if !completed && sc.Scorable && s.Assessed > 0 {
		score, value := sc.Ratio*100, sc.Value
		s.Score, s.Value = &score, &value
	}
	return s
}
