// Package trust reacts to trust signals: it recalculates the score of a
// tenant soon after a signal of it is projected, so that trust.ScoreUpdated
// follows the event that moved a pillar within a second instead of at the
// next periodic recalculation.
package trust

import (
	"context"
	"log/slog"
	"sync"
	"time"

	cmdtrust "github.com/astrabastion/astra/commands/trust"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
	rmtrust "github.com/astrabastion/astra/projections/trust"
	"github.com/astrabastion/astra/reactors"
)

// DefaultEvery is how often dirty tenants are recalculated: under gateway
// load thousands of signals a second fold into one recalculation per tenant
// per period.
const DefaultEvery = 500 * time.Millisecond

// Recalculator marks the tenants whose signals arrived (its reactor) and
// recalculates each of them at most once per Every (Flush, run every Period).
type Recalculator struct {
	Commands *cmdtrust.Handlers
	Runner   *projections.Runner
	Log      *slog.Logger
	// Every is the coalescing period (DefaultEvery when zero).
	Every time.Duration
	// Wait bounds how long a recalculation waits for the projection to apply
	// its tenant's signals (10 s when zero); past it the score is computed
	// from what is applied, and the next signal or tick catches up.
	Wait time.Duration

	mu sync.Mutex
	// pending are, per dirty tenant, the signals not yet recalculated
	// (without their payloads: waiting needs their stream and position).
	pending map[string][]eventstore.Event
}

// Reactor is the shared reactor that marks a signal's tenant dirty. It does
// not wait for the projection itself, so that it keeps up with the gateway;
// the Run loop waits, once per tenant and period.
func (r *Recalculator) Reactor() reactors.Reactor {
	var types []events.Type
	for _, d := range trust.Signals.All() {
		types = append(types, d.Type)
	}
	return reactors.Reactor{Name: "trust_recalculation", Module: "trust", Types: types, Scope: reactors.Shared,
		Handle: func(_ context.Context, e *eventstore.Event) error {
			r.mark(e)
			return nil
		}}
}

// Period is how often Flush should run.
func (r *Recalculator) Period() time.Duration {
	if r.Every <= 0 {
		return DefaultEvery
	}
	return r.Every
}

func (r *Recalculator) mark(e *eventstore.Event) {
	if e.TenantID == "" {
		return
	}
	light := *e
	light.Data = nil
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string][]eventstore.Event{}
	}
	r.pending[e.TenantID] = append(r.pending[e.TenantID], light)
}

// Flush recalculates every dirty tenant once, after the trust projection
// applied the signals that made it dirty. Recalculate records an event only
// when the score moved, so a redelivered signal changes nothing.
func (r *Recalculator) Flush(ctx context.Context) {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	wait := r.Wait
	if wait <= 0 {
		wait = 10 * time.Second
	}
	for tenant, evs := range batch {
		if err := r.Runner.WaitFor(ctx, wait, evs, rmtrust.Name); err != nil && ctx.Err() == nil {
			r.Log.Warn("trust: signals not projected in time; recalculating with what is", "tenant", tenant, "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if _, _, err := r.Commands.Recalculate(ctx, cmdtrust.Recalculate{TenantID: tenant}); err != nil && ctx.Err() == nil {
			r.Log.Warn("trust: recalculation after a signal failed", "tenant", tenant, "err", err)
		}
	}
}
