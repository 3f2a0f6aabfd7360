package gateway

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

func switchEvent(t *testing.T, typ string, id string, scope gw.Scope, at time.Time) *eventstore.Event {
	t.Helper()
	data, err := json.Marshal(gw.KillSwitchV1{SwitchID: id, TenantID: "t1", Scope: scope, Reason: "test", At: at})
	if err != nil {
		t.Fatal(err)
	}
	return &eventstore.Event{Type: typ, TenantID: "t1", Actor: "admin", Time: at, Data: data}
}

// TestReact_KillSwitchTakesEffectFromTheEventAndOutlivesAStaleReadModel: a
// switch stops traffic as soon as its event reaches the runtime, a refresh
// from a read model that does not show it yet keeps it, its deactivation
// resumes traffic even while the read model still lists it, and a
// redelivered activation does not revive it.
func TestReact_KillSwitchTakesEffectFromTheEventAndOutlivesAStaleReadModel(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	rt := &Runtime{Now: func() time.Time { return now }}
	facts := gw.RequestFacts{TenantID: "t1", Provider: "openai", Model: "gpt-4o"}
	scope := gw.Scope{Kind: gw.ScopeTenant}
	on := switchEvent(t, gw.KillSwitchActivated.CEType(), "s1", scope, now)
	off := switchEvent(t, gw.KillSwitchDeactivated.CEType(), "s1", scope, now)
	refresh := func(readModel ...rmgw.KillSwitch) {
		rt.mu.Lock()
		rt.switches = rt.withChanges(readModel, now)
		rt.mu.Unlock()
	}
	listed := rmgw.KillSwitch{ID: "s1", TenantID: "t1", Scope: scope, Active: true}

	if err := rt.React(context.Background(), on); err != nil {
		t.Fatal(err)
	}
	if !rt.KillSwitchActive(facts) {
		t.Fatal("the activation did not stop traffic at once")
	}
	refresh() // the read model has not applied it yet
	if !rt.KillSwitchActive(facts) {
		t.Fatal("a stale read model undid the activation")
	}
	if rt.KillSwitchActive(gw.RequestFacts{TenantID: "t2"}) {
		t.Fatal("another tenant's traffic stopped")
	}
	refresh(listed) // the read model caught up: the change is forgotten
	if len(rt.switchChanges) != 0 || !rt.KillSwitchActive(facts) {
		t.Fatalf("after the read model caught up: %d changes held, active %v", len(rt.switchChanges), rt.KillSwitchActive(facts))
	}

	if err := rt.React(context.Background(), off); err != nil {
		t.Fatal(err)
	}
	if rt.KillSwitchActive(facts) {
		t.Fatal("the deactivation did not resume traffic at once")
	}
	refresh(listed) // the read model still lists it active
	if rt.KillSwitchActive(facts) {
		t.Fatal("a stale read model revived the switch")
	}
	if err := rt.React(context.Background(), on); err != nil { // at least once: the activation again
		t.Fatal(err)
	}
	if rt.KillSwitchActive(facts) {
		t.Fatal("a redelivered activation revived a switch turned off")
	}
	now = now.Add(switchChangeTTL + time.Minute)
	refresh()
	if len(rt.switchChanges) != 0 || rt.KillSwitchActive(facts) {
		t.Fatalf("past the TTL: %d changes held, active %v", len(rt.switchChanges), rt.KillSwitchActive(facts))
	}
}

// TestReact_AdministrationEventsDropTheCachedStateTheyChange: each event
// type drops what it makes stale, and only that, in its tenant only.
func TestReact_AdministrationEventsDropTheCachedStateTheyChange(t *testing.T) {
	for _, c := range []struct {
		typ          string
		policy, prov bool
	}{
		{gw.PolicyUpdated.CEType(), true, false},
		{gw.ProviderUpdated.CEType(), false, true},
		{gw.DetectorTuned.CEType(), true, false},
		{gw.BudgetSet.CEType(), false, false},
	} {
		rt := &Runtime{detLoaded: map[string]bool{}, cacheCfg: map[string]rmgw.CacheConfig{}}
		rt.policies = map[string]cachedPolicy{"t1/": {}, "t2/": {}}
		rt.providers = map[string]*runtimeProvider{"t1/mock": {}, "t2/mock": {}}
		rt.budgetCache = map[string][]rmgw.Budget{"t1": nil}
		if err := rt.React(context.Background(), &eventstore.Event{Type: c.typ, TenantID: "t1"}); err != nil {
			t.Fatal(err)
		}
		_, policyKept := rt.policies["t1/"]
		_, provKept := rt.providers["t1/mock"]
		_, budgetKept := rt.budgetCache["t1"]
		if policyKept == c.policy || provKept == c.prov || budgetKept == (c.typ == gw.BudgetSet.CEType()) {
			t.Errorf("%s: policy kept %v, provider kept %v, budgets kept %v", c.typ, policyKept, provKept, budgetKept)
		}
		if _, ok := rt.policies["t2/"]; !ok {
			t.Errorf("%s dropped another tenant's policy", c.typ)
		}
		if _, ok := rt.providers["t2/mock"]; !ok {
			t.Errorf("%s dropped another tenant's provider", c.typ)
		}
	}
}

// TestReact_AProviderEventDropsThatProviderOnly: registering or changing one
// provider keeps every other provider of the tenant, with its circuit
// breaker and health; the mock setting drops them all.
func TestReact_AProviderEventDropsThatProviderOnly(t *testing.T) {
	a, b := &runtimeProvider{id: "p-a", name: "a"}, &runtimeProvider{id: "p-b", name: "b"}
	rt := &Runtime{}
	builtin := &runtimeProvider{id: "mock", name: "mock"}
	rt.providers = map[string]*runtimeProvider{"t1/p-a": a, "t1/a": a, "t1/p-b": b, "t1/b": b, "t1/mock": builtin}
	if err := rt.React(context.Background(), &eventstore.Event{Type: gw.ProviderRegistered.CEType(), TenantID: "t1", Subject: "p-b"}); err != nil {
		t.Fatal(err)
	}
	if rt.providers["t1/p-a"] != a || rt.providers["t1/a"] != a || len(rt.providers) != 2 {
		t.Fatalf("after provider b's event (which may have taken the name mock): %v", rt.providers)
	}
	if err := rt.React(context.Background(), &eventstore.Event{Type: gw.MockConfigured.CEType(), TenantID: "t1", Subject: "t1"}); err != nil {
		t.Fatal(err)
	}
	if len(rt.providers) != 0 {
		t.Fatalf("the mock setting kept %v", rt.providers)
	}
}
