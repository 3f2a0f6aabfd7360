package datagov

import (
	"context"
	"time"

	"github.com/astrabastion/astra/domain/datagov"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// CreateRetentionPolicy records a retention rule for a module's data class.
type CreateRetentionPolicy struct {
	Name, Module, DataClass string
	PeriodDays              int
	Enabled                 bool
}

// CreateRetentionPolicy records RetentionPolicyCreated.
func (h *Handlers) CreateRetentionPolicy(ctx context.Context, meta eventstore.Metadata, c CreateRetentionPolicy) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := datagov.NewRetentionPolicy(datagov.RetentionPolicyCreatedV1{PolicyID: id, TenantID: meta.TenantID, Name: c.Name, Module: c.Module,
		DataClass: c.DataClass, PeriodDays: c.PeriodDays, Enabled: c.Enabled})
	if err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, datagov.StreamOfPolicy(id), eventstore.Draft{Type: datagov.RetentionPolicyCreated, Subject: id, Data: d})
	return id, evs, err
}

var policies = func() *eventstore.Fold[datagov.RetentionPolicy] {
	f := eventstore.NewFold[datagov.RetentionPolicy]()
	eventstore.On(f, datagov.RetentionPolicyCreated, func(s *datagov.RetentionPolicy, d *datagov.RetentionPolicyCreatedV1, _ *eventstore.Event) {
		s.Created(d)
	})
	eventstore.On(f, datagov.RetentionPolicyUpdated, func(s *datagov.RetentionPolicy, d *datagov.RetentionPolicyUpdatedV1, _ *eventstore.Event) {
		s.Updated(d)
	})
	return f
}()

// UpdateRetentionPolicy changes a rule (nil fields stay).
type UpdateRetentionPolicy struct {
	ID       string
	Expected int64
	Change   datagov.RetentionPolicyUpdatedV1
}

// UpdateRetentionPolicy records RetentionPolicyUpdated.
func (h *Handlers) UpdateRetentionPolicy(ctx context.Context, meta eventstore.Metadata, c UpdateRetentionPolicy) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, policies, datagov.StreamOfPolicy(c.ID), c.Expected,
		func(a *eventstore.Aggregate[datagov.RetentionPolicy]) (eventstore.Decision, error) {
			ch := c.Change
			ch.PolicyID = c.ID
			d, err := a.State.Update(meta.TenantID, ch)
			return eventstore.One(datagov.RetentionPolicyUpdated, c.ID, d, err)
		})
}

// EnforceRetention runs a rule: dry, it reports what it would remove;
// otherwise it removes it and records RetentionEnforced.
type EnforceRetention struct {
	ID     string
	DryRun bool
}

// EnforceRetention plans the run at now and, unless dry, carries it out:
// gateway content by deleting the tenant-month content keys of months wholly
// past the cutoff (the ledger is not rewritten: the sealed text stays and can
// no longer be opened), lineage runs by deleting their read-model rows.
func (h *Handlers) EnforceRetention(ctx context.Context, meta eventstore.Metadata, c EnforceRetention) (*datagov.RetentionRun, []eventstore.Event, error) {
	a, err := eventstore.Load(ctx, h.Store, policies, datagov.StreamOfPolicy(c.ID))
	if err != nil {
		return nil, nil, err
	}
	p := a.State
	if err := p.Enforceable(meta.TenantID, c.DryRun); err != nil {
		return nil, nil, err
	}
	run := &datagov.RetentionRun{DryRun: c.DryRun, Cutoff: p.Cutoff(h.Now.Read()), Months: []datagov.MonthContent{}}
	switch p.DataClass {
	case datagov.ClassPromptContent:
		if err := h.planContent(ctx, meta.TenantID, run); err != nil {
			return nil, nil, err
		}
	case datagov.ClassLineageEvents:
		if run.Rows, run.From, run.To, err = h.Lineage.RunsBefore(ctx, meta.TenantID, run.Cutoff); err != nil {
			return nil, nil, err
		}
		run.Items = run.Rows
	case datagov.ClassAssistantDocuments:
		if h.Documents != nil {
			if run.Rows, run.From, run.To, err = h.Documents.DocumentsBefore(ctx, meta.TenantID, run.Cutoff); err != nil {
				return nil, nil, err
			}
		}
		run.Items = run.Rows
	}
	if c.DryRun {
		return run, nil, nil
	}
	for _, m := range run.Months {
		if err := h.Keys.Erase(ctx, meta.TenantID, m.Key); err != nil {
			return nil, nil, err
		}
	}
	d := &datagov.RetentionEnforcedV1{PolicyID: c.ID, TenantID: meta.TenantID, Module: p.Module, DataClass: p.DataClass, Cutoff: run.Cutoff, Plan: *run}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: datagov.StreamOfPolicy(c.ID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: datagov.RetentionEnforced, Subject: c.ID, Data: d}}})
	return run, evs, err
}

// planContent lists the tenant's live content keys of months wholly before
// the run's cutoff, with what the request log holds under each.
func (h *Handlers) planContent(ctx context.Context, tenant string, run *datagov.RetentionRun) error {
	keys, err := h.Keys.Keys(ctx, tenant, gw.ContentPrefix(tenant))
	if err != nil {
		return err
	}
	census, err := h.Content.ContentMonths(ctx, tenant, nil)
	if err != nil {
		return err
	}
	byKey := map[string]datagov.MonthContent{}
	for _, m := range census {
		byKey[m.Key] = m
	}
	for _, k := range keys {
		month, ok := gw.ContentMonth(tenant, k.Subject)
		if !ok || k.ErasedAt != nil || !datagov.ExpiredMonth(month, run.Cutoff) {
			continue
		}
		m := byKey[k.Subject]
		m.Key, m.Month = k.Subject, month.Format(gw.ContentMonthLayout)
		run.Months = append(run.Months, m)
		run.Items += m.Requests
		run.From, run.To = earliest(run.From, m.From), latest(run.To, m.To)
	}
	return nil
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

func latest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}
