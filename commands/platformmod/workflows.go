package platformmod

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
)

// CreateWorkflow records WorkflowCreated.
func (h *Handlers) CreateWorkflow(ctx context.Context, meta eventstore.Metadata, w platformmod.WorkflowCreatedV1) (string, []eventstore.Event, error) {
	w.WorkflowID, w.TenantID = eventstore.NewID(), meta.TenantID
	d, err := platformmod.NewWorkflow(w)
	if err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, platformmod.StreamOfWorkflow(d.WorkflowID),
		eventstore.Draft{Type: platformmod.WorkflowCreated, Subject: d.WorkflowID, Data: d})
	return d.WorkflowID, evs, err
}

// runNamespace derives run ids: one run per workflow and triggering event,
// so that a redelivered trigger starts nothing new.
var runNamespace = uuid.MustParse("6f0a3c0e-58f5-4c11-9a51-6a1f2d0b7c11")

// RunIDOf is the id of the run a workflow starts for an event.
func RunIDOf(workflowID, eventID string) string {
	return uuid.NewSHA1(runNamespace, []byte(workflowID+"/"+eventID)).String()
}

// StartRun records WorkflowStarted once per workflow and triggering event.
func (h *Handlers) StartRun(ctx context.Context, meta eventstore.Metadata, w *platformmod.WorkflowCreatedV1, trigger *eventstore.Event, summary string) ([]eventstore.Event, error) {
	id := RunIDOf(w.WorkflowID, trigger.ID.String())
	d := &platformmod.WorkflowStartedV1{RunID: id, WorkflowID: w.WorkflowID, TenantID: trigger.TenantID, TriggerID: trigger.ID.String(),
		TriggerType: trigger.Type, Subject: trigger.Subject, Requester: trigger.Actor, Summary: summary, Approvals: w.Approvals,
		ApproverRole: w.ApproverRole, Deadline: h.Now.Read().Add(time.Duration(w.TimeoutSeconds) * time.Second)}
	evs, err := eventstore.Create(ctx, h.Store, meta, platformmod.StreamOfRun(id), eventstore.Draft{Type: platformmod.WorkflowStarted, Subject: id, Data: d})
	if errors.Is(err, eventstore.ErrVersionMismatch) {
		return nil, nil
	}
	return evs, err
}

var runs = func() *eventstore.Fold[platformmod.Run] {
	f := eventstore.NewFold[platformmod.Run]()
	eventstore.On(f, platformmod.WorkflowStarted, func(s *platformmod.Run, d *platformmod.WorkflowStartedV1, _ *eventstore.Event) { s.Started(d) })
	eventstore.On(f, platformmod.WorkflowStepApproved, func(s *platformmod.Run, d *platformmod.WorkflowDecisionV1, _ *eventstore.Event) {
		s.Approvers = append(s.Approvers, d.By)
	})
	eventstore.On(f, platformmod.WorkflowApproved, func(s *platformmod.Run, _ *platformmod.WorkflowClosedV1, _ *eventstore.Event) {
		s.Status = platformmod.RunApproved
	})
	eventstore.On(f, platformmod.WorkflowRejected, func(s *platformmod.Run, _ *platformmod.WorkflowDecisionV1, _ *eventstore.Event) {
		s.Status = platformmod.RunRejected
	})
	eventstore.On(f, platformmod.WorkflowEscalated, func(s *platformmod.Run, d *platformmod.WorkflowEscalatedV1, _ *eventstore.Event) {
		s.Role, s.Deadline = d.ToRole, d.Deadline
	})
	eventstore.On(f, platformmod.WorkflowTimedOut, func(s *platformmod.Run, _ *platformmod.WorkflowClosedV1, _ *eventstore.Event) {
		s.Status = platformmod.RunTimedOut
	})
	return f
}()

// Decide is an approval or a rejection by the caller with their role.
type Decide struct {
	RunID, Role, Comment string
	Approve              bool
}

// DecideRun records WorkflowStepApproved (and WorkflowApproved with the
// last approval needed) or WorkflowRejected.
func (h *Handlers) DecideRun(ctx context.Context, meta eventstore.Metadata, c Decide) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, runs, platformmod.StreamOfRun(c.RunID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[platformmod.Run]) (eventstore.Decision, error) {
			if !c.Approve {
				d, err := a.State.Reject(meta.TenantID, meta.Actor, c.Role, c.Comment)
				return eventstore.One(platformmod.WorkflowRejected, c.RunID, d, err)
			}
			d, done, err := a.State.Approve(meta.TenantID, meta.Actor, c.Role, c.Comment)
			if err != nil {
				return nil, err
			}
			out := eventstore.Decision{{Type: platformmod.WorkflowStepApproved, Subject: c.RunID, Data: d}}
			if done {
				out = append(out, eventstore.Draft{Type: platformmod.WorkflowApproved, Subject: c.RunID, Data: &platformmod.WorkflowClosedV1{RunID: c.RunID}})
			}
			return out, nil
		})
}

// ExpireRun escalates a pending run past its deadline to the workflow's
// escalation role (once), or times it out. A run decided or escalated since
// records nothing.
func (h *Handlers) ExpireRun(ctx context.Context, meta eventstore.Metadata, runID, escalationRole string, timeout time.Duration) ([]eventstore.Event, error) {
	now := h.Now.Read()
	return eventstore.Update(ctx, h.Store, meta, runs, platformmod.StreamOfRun(runID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[platformmod.Run]) (eventstore.Decision, error) {
			r := a.State
			if r.Status != platformmod.RunPending || now.Before(r.Deadline) {
				return nil, nil
			}
			if escalationRole != "" && r.Role != escalationRole {
				return eventstore.One(platformmod.WorkflowEscalated, runID, &platformmod.WorkflowEscalatedV1{RunID: runID, ToRole: escalationRole,
					Deadline: now.Add(timeout)}, nil)
			}
			return eventstore.One(platformmod.WorkflowTimedOut, runID, &platformmod.WorkflowClosedV1{RunID: runID}, nil)
		})
}
