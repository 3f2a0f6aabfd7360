package gateway

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway/providers"
)

// ChaosEvents are Resilience's experiment events: the runtime injects the
// faults of running experiments into its own provider calls, on every
// instance (the reactor of StateEvents), and stops at once when one ends.
var ChaosEvents = []events.Type{resilience.ChaosStarted, resilience.ChaosCompleted, resilience.ChaosAborted}

// chaosState is the experiments running on this instance.
type chaosState struct {
	mu      sync.RWMutex
	running map[string]resilience.ChaosStartedV1
	// ended remembers experiments that ended, so that a late start (a
	// backstop reload racing the end) does not bring one back.
	ended map[string]bool
}

func (c *chaosState) init() {
	if c.running == nil {
		c.running, c.ended = map[string]resilience.ChaosStartedV1{}, map[string]bool{}
	}
}

// reactChaos applies an experiment event; false for other events.
func (rt *Runtime) reactChaos(e *eventstore.Event) (bool, error) {
	switch e.Type {
	case resilience.ChaosStarted.CEType():
		var d resilience.ChaosStartedV1
		if err := e.Decode(&d); err != nil {
			return true, err
		}
		rt.StartChaos(d)
		return true, nil
	case resilience.ChaosCompleted.CEType(), resilience.ChaosAborted.CEType():
		var d resilience.ChaosEndedV1
		if err := e.Decode(&d); err != nil {
			return true, err
		}
		rt.EndChaos(d.ExperimentID)
		return true, nil
	}
	return false, nil
}

// StartChaos starts injecting an experiment's fault (idempotent).
func (rt *Runtime) StartChaos(d resilience.ChaosStartedV1) {
	c := &rt.chaos
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	if !c.ended[d.ExperimentID] {
		c.running[d.ExperimentID] = d
	}
}

// EndChaos stops injecting an experiment's fault.
func (rt *Runtime) EndChaos(id string) {
	c := &rt.chaos
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	delete(c.running, id)
	c.ended[id] = true
}

// SyncChaos brings the running set up to what the read model says (a
// backstop for events this instance's reactor has not seen yet): running
// experiments start, ended ones stop. An experiment the read model does not
// show yet is left as the reactor set it.
func (rt *Runtime) SyncChaos(running []resilience.ChaosStartedV1, ended []string) {
	c := &rt.chaos
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	for _, id := range ended {
		delete(c.running, id)
		c.ended[id] = true
	}
	for _, d := range running {
		if !c.ended[d.ExperimentID] {
			c.running[d.ExperimentID] = d
		}
	}
}

// chaosFor picks the running experiment that selects a call, if any: the
// tenant's (or a platform-wide one), the provider and model when scoped,
// inside its window, for its share of calls.
func (rt *Runtime) chaosFor(tenant, provider, providerID, model string, now time.Time) (resilience.ChaosStartedV1, bool) {
	c := &rt.chaos
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, d := range c.running {
		switch {
		case !d.Scope.Platform && d.TenantID != tenant:
		case d.Scope.Provider != "" && d.Scope.Provider != provider && d.Scope.Provider != providerID:
		case d.Scope.Model != "" && !sameModel(d.Scope.Model, model):
		case now.Before(d.StartsAt) || !now.Before(d.EndsAt):
		case rand.Float64() >= d.Scope.Share:
		default:
			return d, true
		}
	}
	return resilience.ChaosStartedV1{}, false
}

// ActionAbandoned marks, in a request record's actions, a call faulted by a
// chaos experiment whose caller went away before it was answered.
const ActionAbandoned = "abandoned"

// faulted reports whether a chaos experiment faulted the call.
func (r *run) faulted() bool {
	for _, a := range r.actions {
		if strings.HasPrefix(a, "chaos:") {
			return true
		}
	}
	return false
}

// inject applies a running experiment's fault to a provider call about to
// be made: it waits (latency, timeout) and fails (error, timeout, outage),
// and marks the request as faulted by the experiment (its record's actions
// name it, which is how the experiment measures its effect).
func (r *run) inject(ctx context.Context, prov *runtimeProvider, model string) error {
	d, ok := r.rt.chaosFor(r.call.TenantID, prov.name, prov.id, model, time.Now())
	if !ok {
		return nil
	}
	r.actions = append(r.actions, "chaos:"+d.ExperimentID)
	if wait := time.Duration(d.Fault.LatencyMs) * time.Millisecond; wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	switch d.Fault.Kind {
	case resilience.FaultError:
		return &providers.Error{Provider: prov.name, Status: 500, Message: "chaos experiment " + d.ExperimentID + ": injected error"}
	case resilience.FaultOutage:
		return &providers.Error{Provider: prov.name, Status: 503, Message: "chaos experiment " + d.ExperimentID + ": injected outage"}
	case resilience.FaultTimeout:
		return &providers.Error{Provider: prov.name, Message: "timeout", Err: context.DeadlineExceeded}
	}
	return nil
}

func sameModel(a, b string) bool {
	na, err1 := gw.NormaliseModel(a)
	nb, err2 := gw.NormaliseModel(b)
	return err1 == nil && err2 == nil && na == nb
}
