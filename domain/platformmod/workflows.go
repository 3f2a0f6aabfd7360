package platformmod

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event types of approval workflows.
var (
	WorkflowCreated      = evt("WorkflowCreated", func() any { return &WorkflowCreatedV1{} })
	WorkflowStarted      = evt("WorkflowStarted", func() any { return &WorkflowStartedV1{} })
	WorkflowStepApproved = evt("WorkflowStepApproved", func() any { return &WorkflowDecisionV1{} })
	WorkflowApproved     = evt("WorkflowApproved", func() any { return &WorkflowClosedV1{} })
	WorkflowRejected     = evt("WorkflowRejected", func() any { return &WorkflowDecisionV1{} })
	WorkflowEscalated    = evt("WorkflowEscalated", func() any { return &WorkflowEscalatedV1{} })
	WorkflowTimedOut     = evt("WorkflowTimedOut", func() any { return &WorkflowClosedV1{} })
)

func init() {
	registerTypes(WorkflowCreated, WorkflowStarted, WorkflowStepApproved, WorkflowApproved, WorkflowRejected, WorkflowEscalated, WorkflowTimedOut)
}

// Errors of workflows.
var (
	ErrWorkflowNotFound = errors.New("platform: workflow not found")
	ErrInvalidWorkflow  = errors.New("platform: invalid workflow")
	ErrRunNotFound      = errors.New("platform: workflow run not found")
	ErrRunClosed        = errors.New("platform: workflow run closed")
	ErrNotApprover      = errors.New("platform: not an approver of this step")
)

// Run statuses.
const (
	RunPending  = "pending"
	RunApproved = "approved"
	RunRejected = "rejected"
	RunTimedOut = "timed_out"
)

// Condition compares a top-level field of the triggering event's payload
// with a value (its JSON text, strings unquoted).
type Condition struct {
	Field  string `json:"field"`
	Equals string `json:"equals"`
}

// WorkflowCreatedV1 records an approval workflow: which events start a run,
// under which conditions, who approves, and what happens when nobody does.
type WorkflowCreatedV1 struct {
	WorkflowID string      `json:"workflow_id"`
	TenantID   string      `json:"tenant_id"`
	Name       string      `json:"name"`
	Trigger    string      `json:"trigger"`
	Conditions []Condition `json:"conditions"`
	// MinALE starts a run only when the risk the event is about has a
	// simulated mean annual loss expectancy at or above it.
	MinALE *float64 `json:"min_ale,omitempty"`
	// Approvals is how many distinct approvers a run needs (never the
	// actor of the triggering event: four eyes).
	Approvals      int    `json:"approvals"`
	ApproverRole   string `json:"approver_role"`
	TimeoutSeconds int    `json:"timeout_seconds"`
	// EscalationRole takes over once the timeout passes; without one the run times out.
	EscalationRole string `json:"escalation_role,omitempty"`
	// EscalationTimeoutSeconds is the escalated step's own timeout (default TimeoutSeconds).
	EscalationTimeoutSeconds int `json:"escalation_timeout_seconds,omitempty"`
}

// WorkflowStartedV1 records a run of a workflow for one triggering event.
type WorkflowStartedV1 struct {
	RunID        string    `json:"run_id"`
	WorkflowID   string    `json:"workflow_id"`
	TenantID     string    `json:"tenant_id"`
	TriggerID    string    `json:"trigger_event_id"`
	TriggerType  string    `json:"trigger_type"`
	Subject      string    `json:"subject"`
	Requester    string    `json:"requester"`
	Summary      string    `json:"summary"`
	Approvals    int       `json:"approvals"`
	ApproverRole string    `json:"approver_role"`
	Deadline     time.Time `json:"deadline"`
}

// WorkflowDecisionV1 records an approval or a rejection.
type WorkflowDecisionV1 struct {
	RunID   string `json:"run_id"`
	By      string `json:"by"`
	Role    string `json:"role"`
	Comment string `json:"comment,omitempty"`
}

// WorkflowClosedV1 records that a run ended (approved or timed out).
type WorkflowClosedV1 struct {
	RunID string `json:"run_id"`
}

// WorkflowEscalatedV1 records that a run passed its timeout and went to another role.
type WorkflowEscalatedV1 struct {
	RunID    string    `json:"run_id"`
	ToRole   string    `json:"to_role"`
	Deadline time.Time `json:"deadline"`
}

// NewWorkflow validates a workflow.
func NewWorkflow(d WorkflowCreatedV1) (*WorkflowCreatedV1, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || len(d.Name) > 200 {
		return nil, fmt.Errorf("%w: a name of 1 to 200 characters is required", ErrInvalidWorkflow)
	}
	if !strings.HasPrefix(d.Trigger, "com.astra.") || strings.Contains(d.Trigger, "*") {
		return nil, fmt.Errorf("%w: trigger must be one com.astra event type", ErrInvalidWorkflow)
	}
	if d.Approvals == 0 {
		d.Approvals = 1
	}
	if d.Approvals < 1 || d.Approvals > 5 {
		return nil, fmt.Errorf("%w: approvals must be 1 to 5", ErrInvalidWorkflow)
	}
	if !roleName(d.ApproverRole) || (d.EscalationRole != "" && !roleName(d.EscalationRole)) {
		return nil, fmt.Errorf("%w: approver_role (and escalation_role) must name a role", ErrInvalidWorkflow)
	}
	if d.TimeoutSeconds == 0 {
		d.TimeoutSeconds = 86400
	}
	if d.EscalationTimeoutSeconds == 0 {
		d.EscalationTimeoutSeconds = d.TimeoutSeconds
	}
	if d.TimeoutSeconds < 1 || d.TimeoutSeconds > 90*86400 || d.EscalationTimeoutSeconds < 1 || d.EscalationTimeoutSeconds > 90*86400 {
		return nil, fmt.Errorf("%w: timeout_seconds and escalation_timeout_seconds must be 1 to 7,776,000", ErrInvalidWorkflow)
	}
	for _, c := range d.Conditions {
		if c.Field == "" {
			return nil, fmt.Errorf("%w: a condition needs a field", ErrInvalidWorkflow)
		}
	}
	if d.Conditions == nil {
		d.Conditions = []Condition{}
	}
	return &d, nil
}

// Holds reports whether the event payload meets every condition.
func (w *WorkflowCreatedV1) Holds(data []byte) bool {
	if len(w.Conditions) == 0 {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	for _, c := range w.Conditions {
		raw, ok := m[c.Field]
		if !ok {
			return false
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		if s != c.Equals {
			return false
		}
	}
	return true
}

// Run is a workflow run folded from its stream.
type Run struct {
	WorkflowStartedV1
	Status    string
	Role      string
	Approvers []string
}

// Started folds WorkflowStarted.
func (r *Run) Started(d *WorkflowStartedV1) {
	r.WorkflowStartedV1, r.Status, r.Role = *d, RunPending, d.ApproverRole
}

// Approve decides an approval by user with role: a pending run, the
// step's role (or platform_admin), never the requester, never twice by one
// person. It answers the decision, and whether the run is now approved.
func (r *Run) Approve(tenant, user, role, comment string) (*WorkflowDecisionV1, bool, error) {
	if err := r.decidable(tenant, user, role); err != nil {
		return nil, false, err
	}
	if contains(r.Approvers, user) {
		return nil, false, fmt.Errorf("%w: you approved this run already", ErrNotApprover)
	}
	return &WorkflowDecisionV1{RunID: r.RunID, By: user, Role: role, Comment: comment}, len(r.Approvers)+1 >= r.Approvals, nil
}

// Reject decides a rejection.
func (r *Run) Reject(tenant, user, role, comment string) (*WorkflowDecisionV1, error) {
	if err := r.decidable(tenant, user, role); err != nil {
		return nil, err
	}
	return &WorkflowDecisionV1{RunID: r.RunID, By: user, Role: role, Comment: comment}, nil
}

func (r *Run) decidable(tenant, user, role string) error {
	if r.RunID == "" || r.TenantID != tenant {
		return ErrRunNotFound
	}
	if r.Status != RunPending {
		return ErrRunClosed
	}
	if role != r.Role && role != "platform_admin" {
		return fmt.Errorf("%w: the step needs the role %s", ErrNotApprover, r.Role)
	}
	if user == r.Requester {
		return fmt.Errorf("%w: the requester cannot approve their own change (four eyes)", ErrNotApprover)
	}
	return nil
}

// StreamOfWorkflow is a workflow's stream.
func StreamOfWorkflow(id string) string { return "platform-workflow-" + id }

// StreamOfRun is a run's stream.
func StreamOfRun(id string) string { return "platform-workflow-run-" + id }

// roleName accepts a role's name: lower case letters, digits and underscores.
func roleName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
