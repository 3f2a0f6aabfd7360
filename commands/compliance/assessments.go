package compliance

import (
	"context"

	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/eventstore"
)

// StartAssessment starts an assessment of a framework the tenant sees.
type StartAssessment struct {
	FrameworkID, Name string
}

var assessments = func() *eventstore.Fold[compliance.Assessment] {
	f := eventstore.NewFold[compliance.Assessment]()
	eventstore.On(f, compliance.AssessmentStarted, func(s *compliance.Assessment, d *compliance.AssessmentStartedV1, _ *eventstore.Event) { s.Started(d) })
	eventstore.On(f, compliance.RequirementAssessed, func(s *compliance.Assessment, d *compliance.RequirementAssessedV1, _ *eventstore.Event) {
		s.Assessed(d)
	})
	eventstore.On(f, compliance.AssessmentCompleted, func(s *compliance.Assessment, _ *compliance.AssessmentCompletedV1, _ *eventstore.Event) {
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
	id := eventstore.NewID()
	evs, err := eventstore.Create(ctx, h.Store, meta, compliance.StreamOfAssessment(id), eventstore.Draft{Type: compliance.AssessmentStarted, Subject: id,
		Data: compliance.Start(id, meta.TenantID, f, assessable, c.Name)})
	return id, evs, err
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
	if err := c.Result.Check(); err != nil {
		return nil, err
	}
	if err := h.checkEvidence(ctx, meta.TenantID, c.EvidenceIDs); err != nil {
		return nil, err
	}
	return eventstore.Update(ctx, h.Store, meta, assessments, compliance.StreamOfAssessment(c.AssessmentID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[compliance.Assessment]) (eventstore.Decision, error) {
			d, err := a.State.Assess(meta.TenantID, c.AssessmentID, c.RequirementID, c.Result, c.Notes, c.EvidenceIDs,
				func(framework, id string) (compliance.Requirement, error) {
					return h.Catalogue.Requirement(ctx, meta.TenantID, framework, id)
				})
			return eventstore.One(compliance.RequirementAssessed, c.AssessmentID, d, err)
		})
}

// CompleteAssessment freezes an assessment and scores it.
type CompleteAssessment struct {
	AssessmentID string
}

// CompleteAssessment records AssessmentCompleted with the score the domain decides.
func (h *Handlers) CompleteAssessment(ctx context.Context, meta eventstore.Metadata, c CompleteAssessment) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, assessments, compliance.StreamOfAssessment(c.AssessmentID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[compliance.Assessment]) (eventstore.Decision, error) {
			d, err := a.State.Complete(meta.TenantID, c.AssessmentID)
			return eventstore.One(compliance.AssessmentCompleted, c.AssessmentID, d, err)
		})
}
