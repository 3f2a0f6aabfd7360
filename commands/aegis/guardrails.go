package aegis

import (
	"context"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/eventstore"
)

// guardrails folds a guardrail's stream; every event is a version.
var guardrails = func() *eventstore.Fold[aegis.Guardrail] {
	f := eventstore.NewFold[aegis.Guardrail]()
	versioned := func(s *aegis.Guardrail, d *aegis.GuardrailVersionedV1, _ *eventstore.Event) { s.Versioned(d) }
	eventstore.On(f, aegis.GuardrailCreated, versioned)
	eventstore.On(f, aegis.GuardrailUpdated, versioned)
	eventstore.On(f, aegis.GuardrailEnabled, func(s *aegis.Guardrail, d *aegis.GuardrailToggledV1, _ *eventstore.Event) {
		s.Enabled, s.Version = true, d.Version
	})
	eventstore.On(f, aegis.GuardrailDisabled, func(s *aegis.Guardrail, d *aegis.GuardrailToggledV1, _ *eventstore.Event) {
		s.Enabled, s.Version = false, d.Version
	})
	eventstore.On(f, aegis.GuardrailDeleted, func(s *aegis.Guardrail, _ *aegis.GuardrailDeletedV1, _ *eventstore.Event) { s.Deleted = true })
	return f
}()

// CreateGuardrail records version 1 of a guardrail, enabled unless Disabled.
type CreateGuardrail struct {
	Spec     guardrail.Spec
	Disabled bool
}

// CreateGuardrail records GuardrailCreated; it returns the new guardrail's id.
func (h *Handlers) CreateGuardrail(ctx context.Context, meta eventstore.Metadata, c CreateGuardrail) (string, []eventstore.Event, error) {
	sp := c.Spec
	if err := guardrail.Validate(&sp); err != nil {
		return "", nil, err
	}
	id := newID()
	evs, err := eventstore.Create(ctx, h.Store, meta, aegis.StreamOfGuardrail(id), eventstore.Draft{Type: aegis.GuardrailCreated, Subject: id,
		Data: &aegis.GuardrailVersionedV1{GuardrailID: id, TenantID: meta.TenantID, Version: 1, Guardrail: sp, Enabled: !c.Disabled}})
	return id, evs, err
}

// UpdateGuardrail records the next version of a guardrail: Change gets the
// current spec and returns the new one.
type UpdateGuardrail struct {
	ID       string
	Expected int64
	Change   func(guardrail.Spec) guardrail.Spec
}

// UpdateGuardrail records GuardrailUpdated.
func (h *Handlers) UpdateGuardrail(ctx context.Context, meta eventstore.Metadata, c UpdateGuardrail) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, guardrails, aegis.StreamOfGuardrail(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.Guardrail]) (eventstore.Decision, error) {
			d, err := a.State.Revise(meta.TenantID, c.Change(a.State.Spec))
			if d != nil {
				d.Version = int(a.Version) + 1
			}
			return eventstore.One(aegis.GuardrailUpdated, c.ID, d, err)
		})
}

// ToggleGuardrail enables or disables a guardrail.
type ToggleGuardrail struct {
	ID string
	On bool
}

// ToggleGuardrail records GuardrailEnabled or GuardrailDisabled (nothing
// when it is so already).
func (h *Handlers) ToggleGuardrail(ctx context.Context, meta eventstore.Metadata, c ToggleGuardrail) ([]eventstore.Event, error) {
	t := aegis.GuardrailDisabled
	if c.On {
		t = aegis.GuardrailEnabled
	}
	return eventstore.Update(ctx, h.Store, meta, guardrails, aegis.StreamOfGuardrail(c.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[aegis.Guardrail]) (eventstore.Decision, error) {
			d, err := a.State.Toggle(meta.TenantID, c.On)
			if d != nil {
				d.Version = int(a.Version) + 1
			}
			return eventstore.One(t, c.ID, d, err)
		})
}

// DeleteGuardrail removes a guardrail.
type DeleteGuardrail struct {
	ID       string
	Expected int64
}

// DeleteGuardrail records GuardrailDeleted.
func (h *Handlers) DeleteGuardrail(ctx context.Context, meta eventstore.Metadata, c DeleteGuardrail) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, guardrails, aegis.StreamOfGuardrail(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.Guardrail]) (eventstore.Decision, error) {
			if !a.State.Live(meta.TenantID) {
				return nil, aegis.ErrGuardrailNotFound
			}
			return eventstore.Decision{{Type: aegis.GuardrailDeleted, Subject: c.ID, Data: &aegis.GuardrailDeletedV1{GuardrailID: c.ID}}}, nil
		})
}

// alerts folds an alert's stream.
var alerts = func() *eventstore.Fold[aegis.Alert] {
	f := eventstore.NewFold[aegis.Alert]()
	eventstore.On(f, aegis.AlertRaised, func(s *aegis.Alert, d *aegis.AlertRaisedV1, _ *eventstore.Event) { s.Raised(d) })
	eventstore.On(f, aegis.AlertRepeated, func(s *aegis.Alert, d *aegis.AlertRepeatedV1, _ *eventstore.Event) { s.Repeated(d) })
	eventstore.On(f, aegis.AlertAcknowledged, func(s *aegis.Alert, _ *aegis.AlertAcknowledgedV1, _ *eventstore.Event) {
		s.Status = aegis.AlertStatusAcknowledged
	})
	eventstore.On(f, aegis.AlertAssigned, func(*aegis.Alert, *aegis.AlertAssignedV1, *eventstore.Event) {})
	eventstore.On(f, aegis.AlertResolved, func(s *aegis.Alert, _ *aegis.AlertResolvedV1, _ *eventstore.Event) {
		s.Status = aegis.AlertStatusResolved
	})
	return f
}()

// AlertID is the id of the alert of a tenant's dedup key: one alert per
// key, raised again once resolved.
func AlertID(tenant, dedupKey string) string {
	return uuid.NewSHA1(namespace, []byte("alert|"+tenant+"|"+dedupKey)).String()
}

// RaiseAlert records a rule's firing on the alert of its dedup key.
type RaiseAlert struct {
	Firing alerting.Firing
}

// RaiseAlert records AlertRaised (a new or reopened alert) or AlertRepeated
// (grouped into the open one); nothing for a cause counted already.
func (h *Handlers) RaiseAlert(ctx context.Context, meta eventstore.Metadata, c RaiseAlert) ([]eventstore.Event, error) {
	id := AlertID(meta.TenantID, c.Firing.DedupKey)
	return eventstore.Update(ctx, h.Store, meta, alerts, aegis.StreamOfAlert(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[aegis.Alert]) (eventstore.Decision, error) {
			raised, repeated := a.State.Fire(id, meta.TenantID, c.Firing)
			if raised != nil {
				return eventstore.Decision{{Type: aegis.AlertRaised, Subject: id, Data: raised}}, nil
			}
			return eventstore.One(aegis.AlertRepeated, id, repeated, nil)
		})
}

// AlertChange acknowledges, assigns or resolves an alert.
type AlertChange struct {
	ID                         string
	Note, Assignee, Resolution string
}

// AcknowledgeAlert records AlertAcknowledged.
func (h *Handlers) AcknowledgeAlert(ctx context.Context, meta eventstore.Metadata, c AlertChange) ([]eventstore.Event, error) {
	return h.changeAlert(ctx, meta, c.ID, func(a *aegis.Alert) (eventstore.Decision, error) {
		d, err := a.Acknowledge(meta.TenantID, c.Note)
		return eventstore.One(aegis.AlertAcknowledged, c.ID, d, err)
	})
}

// AssignAlert records AlertAssigned.
func (h *Handlers) AssignAlert(ctx context.Context, meta eventstore.Metadata, c AlertChange) ([]eventstore.Event, error) {
	return h.changeAlert(ctx, meta, c.ID, func(a *aegis.Alert) (eventstore.Decision, error) {
		d, err := a.Assign(meta.TenantID, c.Assignee, c.Note)
		return eventstore.One(aegis.AlertAssigned, c.ID, d, err)
	})
}

// ResolveAlert records AlertResolved.
func (h *Handlers) ResolveAlert(ctx context.Context, meta eventstore.Metadata, c AlertChange) ([]eventstore.Event, error) {
	return h.changeAlert(ctx, meta, c.ID, func(a *aegis.Alert) (eventstore.Decision, error) {
		d, err := a.Resolve(meta.TenantID, c.Resolution, c.Note)
		return eventstore.One(aegis.AlertResolved, c.ID, d, err)
	})
}

func (h *Handlers) changeAlert(ctx context.Context, meta eventstore.Metadata, id string, decide func(*aegis.Alert) (eventstore.Decision, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, alerts, aegis.StreamOfAlert(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[aegis.Alert]) (eventstore.Decision, error) { return decide(&a.State) })
}

// alertRules folds an alert rule's stream.
var alertRules = func() *eventstore.Fold[aegis.AlertRule] {
	f := eventstore.NewFold[aegis.AlertRule]()
	versioned := func(s *aegis.AlertRule, d *aegis.AlertRuleVersionedV1, _ *eventstore.Event) { s.Versioned(d) }
	eventstore.On(f, aegis.AlertRuleCreated, versioned)
	eventstore.On(f, aegis.AlertRuleUpdated, versioned)
	eventstore.On(f, aegis.AlertRuleDeleted, func(s *aegis.AlertRule, _ *aegis.AlertRuleDeletedV1, _ *eventstore.Event) { s.Deleted = true })
	return f
}()

// CreateAlertRule records an alert rule.
type CreateAlertRule struct {
	Rule alerting.Rule
}

// CreateAlertRule records AlertRuleCreated; it returns the new rule's id.
func (h *Handlers) CreateAlertRule(ctx context.Context, meta eventstore.Metadata, c CreateAlertRule) (string, []eventstore.Event, error) {
	r := c.Rule
	if err := alerting.Check(&r, aegis.AlertableTypes()); err != nil {
		return "", nil, err
	}
	id := newID()
	evs, err := eventstore.Create(ctx, h.Store, meta, aegis.StreamOfAlertRule(id), eventstore.Draft{Type: aegis.AlertRuleCreated, Subject: id,
		Data: &aegis.AlertRuleVersionedV1{RuleID: id, TenantID: meta.TenantID, Version: 1, Rule: r}})
	return id, evs, err
}

// UpdateAlertRule records a rule's next version: Change gets the current
// rule and returns the new one.
type UpdateAlertRule struct {
	ID       string
	Expected int64
	Change   func(alerting.Rule) alerting.Rule
}

// UpdateAlertRule records AlertRuleUpdated.
func (h *Handlers) UpdateAlertRule(ctx context.Context, meta eventstore.Metadata, c UpdateAlertRule) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, alertRules, aegis.StreamOfAlertRule(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.AlertRule]) (eventstore.Decision, error) {
			d, err := a.State.Revise(meta.TenantID, c.Change(a.State.Rule))
			return eventstore.One(aegis.AlertRuleUpdated, c.ID, d, err)
		})
}

// DeleteAlertRule removes an alert rule.
type DeleteAlertRule struct {
	ID       string
	Expected int64
}

// DeleteAlertRule records AlertRuleDeleted.
func (h *Handlers) DeleteAlertRule(ctx context.Context, meta eventstore.Metadata, c DeleteAlertRule) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, alertRules, aegis.StreamOfAlertRule(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.AlertRule]) (eventstore.Decision, error) {
			if !a.State.Live(meta.TenantID) {
				return nil, aegis.ErrRuleNotFound
			}
			return eventstore.Decision{{Type: aegis.AlertRuleDeleted, Subject: c.ID, Data: &aegis.AlertRuleDeletedV1{RuleID: c.ID}}}, nil
		})
}
