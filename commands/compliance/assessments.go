package compliance

import (
	"context"
	"fmt"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/eventstore"
)

// StartAssessment starts an assessment of a framework the tenant sees.
type StartAssessment struct {
	FrameworkID, Name string
}

// assessment is an assessment folded from its stream.
type assessment struct {
	TenantID, FrameworkID string
	Assessable            int
	Scale                 compliance.Scale
	Results               map[string]compliance.Result
	Completed             bool
}

var assessments = func() *eventstore.Fold[assessment] {
	f := eventstore.NewFold[assessment]()
	eventstore.On(f, compliance.AssessmentStarted, func(s *assessment, d *compliance.AssessmentStartedV1, _ *eventstore.Event) {
		*s = assessment{TenantID: d.TenantID, FrameworkID: d.FrameworkID, Assessable: d.Assessable, Scale: d.Scale, Results: map[string]compliance.Result{}}
	})
	eventstore.On(f, compliance.RequirementAssessed, func(s *assessment, d *compliance.RequirementAssessedV1, _ *eventstore.Event) {
		s.Results[d.RequirementID] = d.Result
	})
	eventstore.On(f, compliance.AssessmentCompleted, func(s *assessment, _ *compliance.AssessmentCompletedV1, _ *eventstore.Event) {
		s.Completed = true
	})
	return f
}()

// StartAssessment records AssessmentStarted.
func (h *Handlers) StartAssessment(ctx context.Context, meta eventstore.Metadata, c StartAssessment) (string, []eventstore.Event, error) {
	f, assessable, err := h.Catalogue.FrameworkHeader(ctx, meta.TenantID, c.FrameworkID)
	if err != nil {
		return "", nil, err
	}
	id := newID()
	evs, err := eventstore.Create(ctx, h.Store, meta, compliance.StreamOfAssessment(id), eventstore.Draft{Type: compliance.AssessmentStarted, Subject: id,
		Data: &compliance.AssessmentStartedV1{AssessmentID: id, TenantID: meta.TenantID, FrameworkID: f.ID, Name: strings.TrimSpace(c.Name),
			Assessable: assessable, Scale: f.Scale}})
	return id, evs, err
}

// open checks that an assessment is the tenant's and still open.
func open(a *eventstore.Aggregate[assessment], tenant string) error {
	switch {
	case !a.Exists() || a.State.TenantID != tenant:
		return compliance.ErrAssessmentNotFound
	case a.State.Completed:
		return compliance.ErrAssessmentCompleted
	}
	return nil
}

// AssessRequirement records the result of one requirement.
type AssessRequirement struct {
	AssessmentID, RequirementID string
	Result                      compliance.Result
	Notes                       string
	EvidenceIDs                 []string
}

// AssessRequirement records RequirementAssessed: the requirement must be an
// assessable one of the framework and the evidence the tenant's, unexpired.
func (h *Handlers) AssessRequirement(ctx context.Context, meta eventstore.Metadata, c AssessRequirement) ([]eventstore.Event, error) {
	if !c.Result.Valid() {
		return nil, fmt.Errorf("%w: %q (want compliant, partial, non_compliant or not_applicable)", compliance.ErrInvalidResult, c.Result)
	}
	if err := h.checkEvidence(ctx, meta.TenantID, c.EvidenceIDs); err != nil {
		return nil, err
	}
	return eventstore.Update(ctx, h.Store, meta, assessments, compliance.StreamOfAssessment(c.AssessmentID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[assessment]) (eventstore.Decision, error) {
			if err := open(a, meta.TenantID); err != nil {
				return nil, err
			}
			req, err := h.Catalogue.Requirement(ctx, meta.TenantID, a.State.FrameworkID, c.RequirementID)
			if err != nil {
				return nil, err
			}
			f := compliance.Framework{ID: a.State.FrameworkID, Requirements: []compliance.Requirement{req}}
			if err := compliance.CheckResult(f, c.RequirementID, c.Result); err != nil {
				return nil, err
			}
			ids := c.EvidenceIDs
			if ids == nil {
				ids = []string{}
			}
			return eventstore.Decision{{Type: compliance.RequirementAssessed, Subject: c.AssessmentID,
				Data: &compliance.RequirementAssessedV1{AssessmentID: c.AssessmentID, RequirementID: c.RequirementID, Result: c.Result,
					Notes: c.Notes, EvidenceIDs: ids}}}, nil
		})
}

// CompleteAssessment freezes an assessment and scores it.
type CompleteAssessment struct {
	AssessmentID string
}

// CompleteAssessment records AssessmentCompleted with the score: requirements
// without a result count as not assessed and earn nothing. An assessment with
// nothing applicable to score is refused (its score would mean nothing).
func (h *Handlers) CompleteAssessment(ctx context.Context, meta eventstore.Metadata, c CompleteAssessment) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, assessments, compliance.StreamOfAssessment(c.AssessmentID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[assessment]) (eventstore.Decision, error) {
			if err := open(a, meta.TenantID); err != nil {
				return nil, err
			}
			n := compliance.Counts{Assessable: a.State.Assessable}
			for _, r := range a.State.Results {
				switch r {
				case compliance.ResultCompliant:
					n.Compliant++
				case compliance.ResultPartial:
					n.Partial++
				case compliance.ResultNonCompliant:
					n.NonCompliant++
				case compliance.ResultNotApplicable:
					n.NotApplicable++
				}
			}
			sc := compliance.ScoreOf(n, a.State.Scale)
			if !sc.Scorable || len(a.State.Results) == 0 {
				return nil, compliance.ErrNothingToScore
			}
			return eventstore.Decision{{Type: compliance.AssessmentCompleted, Subject: c.AssessmentID,
				Data: &compliance.AssessmentCompletedV1{AssessmentID: c.AssessmentID, TenantID: meta.TenantID, FrameworkID: a.State.FrameworkID,
					Score: sc.Ratio * 100, Value: sc.Value, Scale: sc.Scale, Assessable: sc.Assessable, Compliant: sc.Compliant, Partial: sc.Partial,
					NonCompliant: sc.NonCompliant, NotApplicable: sc.NotApplicable, NotAssessed: sc.NotAssessed}}}, nil
		})
}
