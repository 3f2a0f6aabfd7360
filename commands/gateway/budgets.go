package gateway

import (
	"context"

	"github.com/google/uuid"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// budgetState is a budget's stream folded.
type budgetState struct {
	tenant  string
	deleted bool
}

var budgetFold = func() *eventstore.Fold[budgetState] {
	f := eventstore.NewFold[budgetState]()
	eventstore.On(f, gw.BudgetSet, func(s *budgetState, _ *gw.BudgetSetV1, e *eventstore.Event) { s.tenant = e.TenantID })
	eventstore.On(f, gw.BudgetDeleted, func(s *budgetState, _ *gw.BudgetDeletedV1, _ *eventstore.Event) { s.deleted = true })
	return f
}()

// liveBudget refuses a budget that does not exist, is deleted or is another
// tenant's (not found), and an If-Match that is not its version.
func liveBudget(a *eventstore.Aggregate[budgetState], tenantID string, expected int64) error {
	if !a.Exists() || a.State.deleted || a.State.tenant != tenantID {
		return gw.ErrBudgetNotFound
	}
	if stale(expected, a.Version) {
		return eventstore.ErrVersionMismatch
	}
	return nil
}

// SetBudget creates a budget (BudgetID empty) or replaces one.
type SetBudget struct {
	BudgetID string
	// Expected is the budget's version (If-Match) when replacing, or
	// eventstore.AnyVersion.
	Expected int64
	Budget   gw.BudgetSetV1
}

// SetBudget handles SetBudget; it returns the budget's id.
func (h *Handlers) SetBudget(ctx context.Context, meta eventstore.Metadata, cmd SetBudget) (string, []eventstore.Event, error) {
	b := cmd.Budget
	b.TenantID = meta.TenantID
	if cmd.BudgetID == "" {
		b.BudgetID = uuid.Must(uuid.NewV7()).String()
		evs, err := eventstore.Create(ctx, h.Store, meta, gw.StreamOfBudget(b.BudgetID), one(gw.BudgetSet, b.BudgetID, &b)...)
		return b.BudgetID, evs, err
	}
	b.BudgetID = cmd.BudgetID
	evs, err := eventstore.Update(ctx, h.Store, meta, budgetFold, gw.StreamOfBudget(b.BudgetID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[budgetState]) (eventstore.Decision, error) {
			if err := liveBudget(a, meta.TenantID, cmd.Expected); err != nil {
				return nil, err
			}
			return one(gw.BudgetSet, b.BudgetID, &b), nil
		})
	return b.BudgetID, evs, err
}

// DeleteBudget removes a budget.
type DeleteBudget struct {
	BudgetID string
}

// DeleteBudget handles DeleteBudget.
func (h *Handlers) DeleteBudget(ctx context.Context, meta eventstore.Metadata, cmd DeleteBudget) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, budgetFold, gw.StreamOfBudget(cmd.BudgetID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[budgetState]) (eventstore.Decision, error) {
			if err := liveBudget(a, meta.TenantID, eventstore.AnyVersion); err != nil {
				return nil, err
			}
			return one(gw.BudgetDeleted, cmd.BudgetID, &gw.BudgetDeletedV1{BudgetID: cmd.BudgetID}), nil
		})
}
