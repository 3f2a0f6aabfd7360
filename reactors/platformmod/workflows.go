package platformmod

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	rm "github.com/astrabastion/astra/projections/platformmod"
	rmrisk "github.com/astrabastion/astra/projections/risk"
	"github.com/astrabastion/astra/reactors"
)

// Workflows is the approval workflows' process manager: events matching a
// workflow's trigger and conditions start a run; runs past their deadline
// escalate or time out (Expire); every step notifies (Notifier).
type Workflows struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Risk     *rmrisk.Queries

	mu     sync.Mutex
	byTent map[string]tenantWorkflows
}

type tenantWorkflows struct {
	read time.Time
	list []rm.Workflow
}

// tenantWorkflows reads the tenant's workflows as they stood after the
// event was committed (the same rule as the webhook outbox's targets).
func (w *Workflows) tenantWorkflows(ctx context.Context, e *eventstore.Event) ([]rm.Workflow, error) {
	w.mu.Lock()
	if w.byTent == nil {
		w.byTent = map[string]tenantWorkflows{}
	}
	t, ok := w.byTent[e.TenantID]
	w.mu.Unlock()
	if ok && t.read.After(e.Time) {
		return t.list, nil
	}
	read := time.Now()
	list, err := w.Queries.TenantWorkflows(ctx, e.TenantID)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.byTent[e.TenantID] = tenantWorkflows{read: read, list: list}
	w.mu.Unlock()
	return list, nil
}

// Triggers starts a run of every workflow whose trigger is the event's
// type and whose conditions hold (once per workflow and event).
func (w *Workflows) Triggers() reactors.Reactor {
	var types []events.Type
	for _, t := range events.All() {
		if t.Module != platformmod.Module {
			types = append(types, t)
		}
	}
	return reactors.Reactor{Name: "platform_workflow_triggers", Module: platformmod.Module, Scope: reactors.Shared, Types: types,
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			list, err := w.tenantWorkflows(ctx, e)
			if err != nil {
				return err
			}
			for i := range list {
				wf := &list[i]
				if wf.Trigger != e.Type || e.Position <= wf.Since {
					continue
				}
				def := &platformmod.WorkflowCreatedV1{WorkflowID: wf.ID, Name: wf.Name, Trigger: wf.Trigger, Conditions: wf.Conditions, MinALE: wf.MinALE,
					Approvals: wf.Approvals, ApproverRole: wf.ApproverRole, TimeoutSeconds: wf.TimeoutSeconds, EscalationRole: wf.EscalationRole,
					EscalationTimeoutSeconds: wf.EscalationTimeoutSeconds}
				if !def.Holds(e.Data) {
					continue
				}
				summary := fmt.Sprintf("%s: %s on %s needs approval by %s", wf.Name, e.Type, e.Subject, wf.ApproverRole)
				if wf.MinALE != nil {
					ale, err := w.ale(ctx, e)
					if err != nil {
						return err
					}
					if ale == nil || *ale < *wf.MinALE {
						continue
					}
					summary += " (mean ALE $" + strconv.FormatFloat(*ale, 'f', 0, 64) + ")"
				}
				if _, err := w.Commands.StartRun(ctx, metaOf(e), def, e, summary); err != nil {
					return err
				}
			}
			return nil
		}}
}

// ale is the simulated mean annual loss expectancy of the risk an event is about.
func (w *Workflows) ale(ctx context.Context, e *eventstore.Event) (*float64, error) {
	r, err := w.Risk.Get(ctx, e.TenantID, e.Subject)
	if err != nil || r == nil {
		return nil, err // nil, nil: not a risk, or gone (no ALE)
	}
	return r.LastMeanALE, nil
}

// Expire escalates or times out pending runs past their deadline.
func (w *Workflows) Expire(ctx context.Context, now time.Time) error {
	due, err := w.Queries.OverdueRuns(ctx, now, 200)
	if err != nil {
		return err
	}
	for _, d := range due {
		meta := eventstore.Metadata{TenantID: d.TenantID, Actor: "system:platform-workflows"}
		if _, err := w.Commands.ExpireRun(ctx, meta, d.RunID, d.EscalationRole, d.Timeout); err != nil {
			return err
		}
	}
	return nil
}

// WorkflowSteps notifies the tenant of each step of a run: started,
// escalated, approved, rejected, timed out.
func (n *Notifications) WorkflowSteps() reactors.Reactor {
	return reactors.Reactor{Name: "platform_workflow_notifications", Module: platformmod.Module, Scope: reactors.Shared,
		Types: []events.Type{platformmod.WorkflowStarted, platformmod.WorkflowEscalated, platformmod.WorkflowApproved, platformmod.WorkflowRejected,
			platformmod.WorkflowTimedOut},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var run struct {
				RunID   string `json:"run_id"`
				Summary string `json:"summary"`
				ToRole  string `json:"to_role"`
				By      string `json:"by"`
			}
			if err := e.Decode(&run); err != nil {
				return err
			}
			title, severity := "", "medium"
			switch e.Type {
			case platformmod.WorkflowStarted.CEType():
				title = "Approval needed: " + run.Summary
			case platformmod.WorkflowEscalated.CEType():
				title, severity = "Approval escalated to "+run.ToRole, "high"
			case platformmod.WorkflowApproved.CEType():
				title, severity = "Approved", "info"
			case platformmod.WorkflowRejected.CEType():
				title, severity = "Rejected by "+run.By, "info"
			default:
				title, severity = "Approval timed out", "high"
			}
			_, err := n.Commands.RaiseNotification(ctx, metaOf(e), platformmod.NotificationRaisedV1{NotificationID: e.ID.String(), Title: title,
				Body: "Workflow run " + run.RunID, Severity: severity, SourceType: e.Type, SourceID: run.RunID,
				Link: "/api/v1/platform/workflow-runs/" + run.RunID})
			return err
		}}
}
