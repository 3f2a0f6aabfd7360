package platformmod

import (
	"net/http"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/platformmod"
)

// WorkflowRequest is the body of POST /platform/workflows.
type WorkflowRequest struct {
	Name string `json:"name" validate:"required,max=200"`
	// Trigger is the event type that starts a run, e.g. com.astra.risk.RiskUpdated
	// or com.astra.aegis.GuardrailDisabled.
	Trigger string `json:"trigger" validate:"required,max=200"`
	// Conditions compare top-level fields of the event's payload (all must hold),
	// e.g. {"field": "treatment", "equals": "accept"}.
	Conditions []platformmod.Condition `json:"conditions,omitempty" validate:"max=20"`
	// MinALE starts a run only for a risk whose simulated mean annual loss is at least this.
	MinALE *float64 `json:"min_ale,omitempty" validate:"omitempty,min=0"`
	// Approvals is how many distinct approvers a run needs (default 1); the
	// person whose change started the run never counts.
	Approvals      int    `json:"approvals,omitempty" validate:"omitempty,min=1,max=5"`
	ApproverRole   string `json:"approver_role" validate:"required,max=100"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty" validate:"omitempty,min=1,max=7776000"`
	// EscalationRole takes over a run nobody decided in time; without one it times out.
	EscalationRole string `json:"escalation_role,omitempty" validate:"max=100"`
	// EscalationTimeoutSeconds is the escalated step's timeout (default timeout_seconds).
	EscalationTimeoutSeconds int `json:"escalation_timeout_seconds,omitempty" validate:"omitempty,min=1,max=7776000"`
}

// DecisionRequest is the optional body of the approve and reject routes.
type DecisionRequest struct {
	Comment string `json:"comment,omitempty" validate:"max=2000"`
}

var (
	workflowID = platform.IDParam(platformmod.ErrWorkflowNotFound)
	runID      = platform.IDParam(platformmod.ErrRunNotFound)
)

func (a *API) workflowRoutes(p, r, w, adm string) []platform.Route {
	statuses := []string{platformmod.RunPending, platformmod.RunApproved, platformmod.RunRejected, platformmod.RunTimedOut}
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/workflows", OperationID: "listWorkflows", Tag: "platform-workflows", Summary: "Approval workflows, newest first",
			Permission: r, Response: rm.Workflow{}, List: true, Handler: a.workflows},
		{Method: http.MethodPost, Path: p + "/workflows", OperationID: "createWorkflow", Tag: "platform-workflows",
			Summary: "Define an approval workflow: the event type that starts a run, conditions on its payload (and a minimum simulated ALE for risks), " +
				"how many approvers of which role, the timeout and the role it escalates to. E.g. a risk accepted (com.astra.risk.RiskUpdated with " +
				"treatment=accept) above an ALE needs a second approver; a guardrail disabled (com.astra.aegis.GuardrailDisabled) needs approval (WorkflowCreated)",
			Permission: adm, Request: WorkflowRequest{}, Response: rm.Workflow{}, Status: http.StatusCreated, Handler: a.createWorkflow, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/workflows/:id", OperationID: "getWorkflow", Tag: "platform-workflows", Summary: "One approval workflow",
			Permission: r, Response: rm.Workflow{}, Handler: a.workflow, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/workflows/:id/runs", OperationID: "listWorkflowRuns", Tag: "platform-workflows",
			Summary: "The workflow's runs, newest first, with their decisions", Permission: r, Response: rm.Run{}, List: true, Handler: a.runs,
			Errors: []int{404}, Query: []platform.Param{{Name: "status", Description: "Only runs in this status", Enum: statuses}}},
		{Method: http.MethodGet, Path: p + "/workflow-runs/:id", OperationID: "getWorkflowRun", Tag: "platform-workflows", Summary: "One workflow run",
			Permission: r, Response: rm.Run{}, Handler: a.run, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/workflow-runs/:id/approve", OperationID: "approveWorkflowRun", Tag: "platform-workflows",
			Summary: "Approve the run's step: the caller needs the step's role (or platform_admin) and must not be the person whose change started it; " +
				"the last approval needed approves the run (WorkflowStepApproved, WorkflowApproved)", Permission: w, Request: DecisionRequest{},
			Response: rm.Run{}, Handler: a.approve, Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/workflow-runs/:id/reject", OperationID: "rejectWorkflowRun", Tag: "platform-workflows",
			Summary: "Reject the run (the step's role, or platform_admin) (WorkflowRejected)", Permission: w, Request: DecisionRequest{},
			Response: rm.Run{}, Handler: a.reject, Errors: []int{404, 409}},
	}
}

func (a *API) workflows(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Workflow], error) {
		return a.Queries.Workflows(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) workflow(c echo.Context) error {
	id, err := workflowID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Workflow(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

func (a *API) createWorkflow(c echo.Context) error {
	var req WorkflowRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.CreateWorkflow(c.Request().Context(), writes.Metadata(c), platformmod.WorkflowCreatedV1{Name: req.Name, Trigger: req.Trigger,
		Conditions: req.Conditions, MinALE: req.MinALE, Approvals: req.Approvals, ApproverRole: req.ApproverRole, TimeoutSeconds: req.TimeoutSeconds,
		EscalationRole: req.EscalationRole, EscalationTimeoutSeconds: req.EscalationTimeoutSeconds})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		x, err := a.Queries.Workflow(c.Request().Context(), tenant(c), id)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/platform/workflows/"+id)
		return platform.Respond(c, http.StatusCreated, x)
	})
}

func (a *API) runs(c echo.Context) error {
	id, err := workflowID(c)
	if err != nil {
		return err
	}
	if _, err := a.Queries.Workflow(c.Request().Context(), tenant(c), id); err != nil {
		return err
	}
	status := c.QueryParam("status")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Run], error) {
		return a.Queries.Runs(c.Request().Context(), tenant(c), id, status, p)
	})
}

func (a *API) answerRun(c echo.Context, id string) error {
	x, err := a.Queries.Run(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}

func (a *API) run(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	return a.answerRun(c, id)
}

func (a *API) decide(c echo.Context, approve bool) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	var req DecisionRequest
	if err := platform.BindOptional(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.DecideRun(c.Request().Context(), writes.Metadata(c), cmd.Decide{RunID: id, Role: auth.PrincipalOf(c).Role,
		Comment: req.Comment, Approve: approve})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerRun(c, id) })
}

func (a *API) approve(c echo.Context) error { return a.decide(c, true) }

func (a *API) reject(c echo.Context) error { return a.decide(c, false) }
