package gateway

import (
	"context"
	"time"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// StateEvents are the events that change what the runtime holds: the
// administration's writes, and AEGIS's agents and guardrails. Its reactor
// (React) runs on every instance.
var StateEvents = append([]events.Type{
	gw.ProviderRegistered, gw.ProviderUpdated, gw.ProviderRemoved, gw.ProviderCredentialsRotated,
	gw.PolicyCreated, gw.PolicyUpdated, gw.PolicyRolledBack, gw.PolicyDeleted,
	gw.KillSwitchActivated, gw.KillSwitchDeactivated,
	gw.CachePurged, gw.CacheConfigured, gw.BudgetSet, gw.BudgetDeleted, gw.DetectorTuned,
	gw.ModelPriceSet, gw.ModelPriceRemoved, gw.MockConfigured,
	// An erased data subject's answers may be cached: the tenant's cache is dropped.
	datagov.SubjectErased,
}, append(AegisEvents, ChaosEvents...)...)

// invalidates names, per event type, the cached state an event makes stale
// (Invalidate's kinds). A detector's tenant default changes the built-in
// policy, which is cached with the policies.
var invalidates = map[string][]string{
	gw.ProviderRegistered.CEType(): {"provider"}, gw.ProviderUpdated.CEType(): {"provider"},
	gw.ProviderRemoved.CEType(): {"provider"}, gw.ProviderCredentialsRotated.CEType(): {"provider"},
	gw.PolicyCreated.CEType(): {"policy"}, gw.PolicyUpdated.CEType(): {"policy"},
	gw.PolicyRolledBack.CEType(): {"policy"}, gw.PolicyDeleted.CEType(): {"policy"},
	gw.CacheConfigured.CEType(): {"cache"}, gw.BudgetSet.CEType(): {"budget"}, gw.BudgetDeleted.CEType(): {"budget"},
	gw.DetectorTuned.CEType(): {"detector", "policy"},
	gw.ModelPriceSet.CEType(): {"price"}, gw.ModelPriceRemoved.CEType(): {"price"},
	// The mock setting is held with the tenant's providers and routes.
	gw.MockConfigured.CEType(): {"provider"},
}

// React brings the runtime up to one of StateEvents. It runs on the
// instance that commits the event before the write answers, and on every
// instance from the log; a second delivery changes nothing.
//
// Kill switches and purges take effect from the event itself: a switch must
// stop traffic before the write that made it answers, when the read model may
// not show it yet. Other state is dropped, to be loaded again from the read
// model; as a request may load it before the read model applied the event, it
// is dropped once more when it has (AwaitReadModel).
func (rt *Runtime) React(ctx context.Context, e *eventstore.Event) error {
	if ok, err := rt.reactAegis(ctx, e); ok {
		return err
	}
	if ok, err := rt.reactChaos(e); ok {
		return err
	}
	switch e.Type {
	case gw.KillSwitchActivated.CEType(), gw.KillSwitchDeactivated.CEType():
		var d gw.KillSwitchV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		rt.applySwitch(e, &d, e.Type == gw.KillSwitchActivated.CEType())
		return nil
	case gw.CachePurged.CEType():
		var d gw.CachePurgedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		if rt.Cache != nil {
			rt.Cache.PurgeBefore(e.TenantID, d.Key, e.Time)
		}
		return nil
	}
	if (e.Type == gw.MockConfigured.CEType() || e.Type == datagov.SubjectErased.CEType()) && rt.Cache != nil {
		// Answers the mock gave stay cached under its name; with the mock
		// off none may be served, so the tenant's cache is dropped. So is it
		// when a data subject is erased: their prompts' answers may be in it.
		rt.Cache.PurgeBefore(e.TenantID, "", e.Time)
	}
	kinds, ok := invalidates[e.Type]
	if !ok {
		return nil
	}
	for _, k := range kinds {
		rt.Invalidate(ctx, invalidation(k, e))
	}
	rt.afterReadModel(e, kinds)
	return nil
}

// afterReadModel drops the kinds of cached state of the event's tenant
// again once the read model applied the event: a request may have loaded
// them from the read model before it did.
func (rt *Runtime) afterReadModel(e *eventstore.Event, kinds []string) {
	if rt.AwaitReadModel == nil {
		return
	}
	ev := *e
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rt.AwaitReadModel(ctx, &ev); err != nil && rt.Log != nil {
			rt.Log.Warn("gateway: read model did not apply a change in time; state reloads on the next change", "event", ev.Type, "err", err)
		}
		for _, k := range kinds {
			rt.Invalidate(ctx, invalidation(k, &ev))
		}
	}()
}

// invalidation is what an event of kind k drops: a provider's own events
// (their subject is its id) drop that provider only; the mock setting and
// every other kind, the tenant's whole state of that kind.
func invalidation(k string, e *eventstore.Event) string {
	if k == "provider" && e.Type != gw.MockConfigured.CEType() && e.Subject != "" {
		return k + ":" + e.TenantID + ":" + e.Subject
	}
	return k + ":" + e.TenantID
}

// switchChange is a kill switch's state as the last event about it left it.
type switchChange struct {
	k      rmgw.KillSwitch
	active bool
	seen   time.Time
}

// switchChangeTTL is how long a deactivation learnt from an event overrides
// the read model (which may still list the switch as active until it
// applies the deactivation); far longer than the read model ever lags.
const switchChangeTTL = 10 * time.Minute

// applySwitch records a switch turned on or off and updates the active set at once.
func (rt *Runtime) applySwitch(e *eventstore.Event, d *gw.KillSwitchV1, active bool) {
	k := rmgw.KillSwitch{ID: d.SwitchID, TenantID: e.TenantID, Scope: gw.CanonicalScope(d.Scope), Reason: d.Reason,
		Active: active, ActivatedBy: e.Actor, ActivatedAt: e.Time}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.switchChanges == nil {
		rt.switchChanges = map[string]switchChange{}
	}
	if old, ok := rt.switchChanges[d.SwitchID]; ok && !old.active && active {
		return // a redelivered activation of a switch already turned off
	}
	rt.switchChanges[d.SwitchID] = switchChange{k: k, active: active, seen: rt.now()}
	// A new slice: requests read the old one under the read lock only.
	next := make([]rmgw.KillSwitch, 0, len(rt.switches)+1)
	for _, s := range rt.switches {
		if s.ID != d.SwitchID {
			next = append(next, s)
		}
	}
	if active {
		next = append(next, k)
	}
	rt.switches = next
}

// withChanges is the active set ks as the read model has it, with the
// changes learnt from events applied; the activations it shows by now are
// forgotten. The caller holds rt.mu.
func (rt *Runtime) withChanges(ks []rmgw.KillSwitch, now time.Time) []rmgw.KillSwitch {
	if len(rt.switchChanges) == 0 {
		return ks
	}
	out := make([]rmgw.KillSwitch, 0, len(ks)+len(rt.switchChanges))
	listed := map[string]bool{}
	for _, k := range ks {
		if ch, ok := rt.switchChanges[k.ID]; ok && !ch.active {
			continue
		}
		listed[k.ID] = true
		out = append(out, k)
	}
	for id, ch := range rt.switchChanges {
		switch {
		case ch.active && listed[id]:
			delete(rt.switchChanges, id)
		case ch.active:
			out = append(out, ch.k)
		case now.Sub(ch.seen) > switchChangeTTL:
			delete(rt.switchChanges, id)
		}
	}
	return out
}

// now is the runtime's clock (before Init too).
func (rt *Runtime) now() time.Time {
	if rt.Now == nil {
		return time.Now()
	}
	return rt.Now()
}
