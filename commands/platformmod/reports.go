package platformmod

import (
	"context"
	"time"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
)

// RequestReport is a report job.
type RequestReport struct {
	Kind, Format, Title, AssessmentID string
	From, To                          *time.Time
}

// RequestReport records ReportRequested; the report reactor produces it.
func (h *Handlers) RequestReport(ctx context.Context, meta eventstore.Metadata, c RequestReport) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := platformmod.NewReport(platformmod.ReportRequestedV1{ReportID: id, TenantID: meta.TenantID, Kind: c.Kind, Format: c.Format,
		Title: c.Title, AssessmentID: c.AssessmentID, From: c.From, To: c.To})
	if err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, platformmod.StreamOfReport(id), eventstore.Draft{Type: platformmod.ReportRequested, Subject: id, Data: d})
	return id, evs, err
}

var reports = func() *eventstore.Fold[platformmod.Report] {
	f := eventstore.NewFold[platformmod.Report]()
	eventstore.On(f, platformmod.ReportRequested, func(s *platformmod.Report, d *platformmod.ReportRequestedV1, _ *eventstore.Event) {
		s.ReportRequestedV1, s.Status = *d, platformmod.ReportQueued
	})
	eventstore.On(f, platformmod.ReportProgressed, func(s *platformmod.Report, _ *platformmod.ReportProgressedV1, _ *eventstore.Event) {
		s.Status = platformmod.ReportRunning
	})
	eventstore.On(f, platformmod.ReportGenerated, func(s *platformmod.Report, _ *platformmod.ReportGeneratedV1, _ *eventstore.Event) {
		s.Status = platformmod.ReportDone
	})
	eventstore.On(f, platformmod.ReportFailed, func(s *platformmod.Report, _ *platformmod.ReportFailedV1, _ *eventstore.Event) {
		s.Status = platformmod.ReportFailedS
	})
	return f
}()

// LoadReport reads a report job (nil when there is none).
func (h *Handlers) LoadReport(ctx context.Context, id string) (*platformmod.Report, error) {
	a, err := eventstore.Load(ctx, h.Store, reports, platformmod.StreamOfReport(id))
	if err != nil || !a.Exists() {
		return nil, err
	}
	return &a.State, nil
}

// reportStep appends one event to a running report; a finished one takes none.
func (h *Handlers) reportStep(ctx context.Context, meta eventstore.Metadata, id string, t events.Type, d any) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, reports, platformmod.StreamOfReport(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[platformmod.Report]) (eventstore.Decision, error) {
			if !a.Exists() || a.State.Status == platformmod.ReportDone || a.State.Status == platformmod.ReportFailedS {
				return nil, nil
			}
			return eventstore.Decision{{Type: t, Subject: id, Data: d}}, nil
		})
}

// ReportProgress records a step of a running report.
func (h *Handlers) ReportProgress(ctx context.Context, meta eventstore.Metadata, id string, percent int, stage string) ([]eventstore.Event, error) {
	return h.reportStep(ctx, meta, id, platformmod.ReportProgressed, &platformmod.ReportProgressedV1{ReportID: id, Percent: percent, Stage: stage})
}

// CompleteReport records the stored report and its hash.
func (h *Handlers) CompleteReport(ctx context.Context, meta eventstore.Metadata, d platformmod.ReportGeneratedV1) ([]eventstore.Event, error) {
	return h.reportStep(ctx, meta, d.ReportID, platformmod.ReportGenerated, &d)
}

// FailReport records why a report could not be produced.
func (h *Handlers) FailReport(ctx context.Context, meta eventstore.Metadata, id, reason string) ([]eventstore.Event, error) {
	return h.reportStep(ctx, meta, id, platformmod.ReportFailed, &platformmod.ReportFailedV1{ReportID: id, Reason: reason})
}
