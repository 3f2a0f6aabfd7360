package resilience

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/eventstore"
)

// CallLog reads the gateway's request log as an experiment measures it.
type CallLog interface {
	// Calls are the tenant's gateway requests (every tenant's for "*") recorded from from to to.
	Calls(ctx context.Context, tenant string, from, to time.Time) ([]resilience.Call, error)
}

// RunningExperiments reads the experiments running now.
type RunningExperiments interface {
	// Running lists the tenant's running experiments ("*": every tenant's).
	Running(ctx context.Context, tenant string) ([]resilience.ChaosStartedV1, error)
}

// Chaos is what chaos experiments need besides the store.
type Chaos struct {
	Calls   CallLog
	Running RunningExperiments
	// MaxBlast is the largest share of a tenant's provider calls its running
	// experiments may fault together.
	MaxBlast float64
	// Settle is how long after its end an experiment is measured (latency
	// after the fault, time to recover) before it is recorded as completed.
	Settle time.Duration
}

// experiment is an experiment folded from its stream.
type experiment struct {
	Started *resilience.ChaosStartedV1
	Ended   bool
}

var experiments = func() *eventstore.Fold[experiment] {
	f := eventstore.NewFold[experiment]()
	eventstore.On(f, resilience.ChaosStarted, func(s *experiment, d *resilience.ChaosStartedV1, _ *eventstore.Event) { s.Started = d })
	end := func(s *experiment, _ *resilience.ChaosEndedV1, _ *eventstore.Event) { s.Ended = true }
	eventstore.On(f, resilience.ChaosCompleted, end)
	eventstore.On(f, resilience.ChaosAborted, end)
	return f
}()

// StartExperiment asks for a chaos experiment.
type StartExperiment struct {
	Name          string
	Fault         resilience.Fault
	Scope         resilience.Scope
	Duration      time.Duration
	MaxErrorRate  float64
	PlatformAdmin bool
}

// StartExperiment checks the guard rails and records ChaosStarted: every
// instance's gateway injects the fault from then until its end.
func (h *Handlers) StartExperiment(ctx context.Context, meta eventstore.Metadata, c StartExperiment) (string, []eventstore.Event, error) {
	if h.Chaos == nil {
		return "", nil, fmt.Errorf("%w: chaos experiments are not available on this instance", resilience.ErrInvalidExperiment)
	}
	tenant := meta.TenantID
	if c.Scope.Platform {
		tenant = "*"
	}
	running, err := h.Chaos.Running.Running(ctx, tenant)
	if err != nil {
		return "", nil, err
	}
	share := 0.0
	for _, r := range running {
		if c.Scope.Platform || r.Scope.Platform || r.TenantID == meta.TenantID {
			share += r.Scope.Share
		}
	}
	if err := resilience.CheckExperiment(c.Name, c.Fault, c.Scope, c.Duration, c.MaxErrorRate, share, h.Chaos.MaxBlast, c.PlatformAdmin); err != nil {
		return "", nil, err
	}
	now := h.Now.Read().UTC()
	id := eventstore.NewID()
	evs, err := eventstore.Create(ctx, h.Store, meta, resilience.StreamOfExperiment(id), eventstore.Draft{Type: resilience.ChaosStarted, Subject: id,
		Data: &resilience.ChaosStartedV1{ExperimentID: id, TenantID: meta.TenantID, Name: c.Name, Fault: c.Fault, Scope: c.Scope,
			StartsAt: now, EndsAt: now.Add(c.Duration), MaxErrorRate: c.MaxErrorRate}})
	return id, evs, err
}

// end measures an experiment and records its end (ChaosAborted when abort,
// else ChaosCompleted); an experiment that ended already is ErrExperimentEnded.
func (h *Handlers) end(ctx context.Context, meta eventstore.Metadata, id string, abort bool, reason string, check func(*resilience.ChaosStartedV1) error) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, experiments, resilience.StreamOfExperiment(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[experiment]) (eventstore.Decision, error) {
			s := a.State.Started
			if s == nil || (meta.TenantID != "" && s.TenantID != meta.TenantID) {
				return nil, resilience.ErrExperimentNotFound
			}
			if a.State.Ended {
				return nil, resilience.ErrExperimentEnded
			}
			if check != nil {
				if err := check(s); err != nil {
					return nil, err
				}
			}
			now := h.Now.Read().UTC()
			ended := now
			if !abort && s.EndsAt.Before(now) {
				ended = s.EndsAt
			}
			scope := s.TenantID
			if s.Scope.Platform {
				scope = "*"
			}
			calls, err := h.Chaos.Calls.Calls(ctx, scope, s.StartsAt, now)
			if err != nil {
				return nil, err
			}
			res := resilience.Measure(*s, ended, calls)
			t := resilience.ChaosCompleted
			if abort {
				t = resilience.ChaosAborted
			}
			return eventstore.Decision{{Type: t, Subject: id, Data: &resilience.ChaosEndedV1{ExperimentID: id, TenantID: s.TenantID, Reason: reason,
				Result: &res, EndedAt: ended}}}, nil
		})
}

// AbortExperiment stops an experiment at once (every instance's gateway
// stops injecting its fault) and records what it measured so far.
func (h *Handlers) AbortExperiment(ctx context.Context, meta eventstore.Metadata, id, reason string) ([]eventstore.Event, error) {
	if reason == "" {
		reason = "aborted"
	}
	return h.end(ctx, meta, id, true, reason, nil)
}

// errNotYet is an experiment whose time to complete has not come.
var errNotYet = errors.New("resilience: experiment still running")

// Supervise completes the experiments whose window and settling time have
// passed, and aborts those whose faulted calls fail more often than their
// bound; it runs on every instance (the first to decide wins, the others
// find the experiment ended).
func (h *Handlers) Supervise(ctx context.Context, meta func(tenant string) eventstore.Metadata) error {
	running, err := h.Chaos.Running.Running(ctx, "*")
	if err != nil {
		return err
	}
	now := h.Now.Read()
	for _, r := range running {
		var err error
		switch {
		case !now.Before(r.EndsAt.Add(h.Chaos.Settle)):
			_, err = h.end(ctx, meta(r.TenantID), r.ExperimentID, false, "completed", nil)
		case now.Before(r.EndsAt):
			_, err = h.end(ctx, meta(r.TenantID), r.ExperimentID, true, "the error rate passed max_error_rate", func(s *resilience.ChaosStartedV1) error {
				scope := s.TenantID
				if s.Scope.Platform {
					scope = "*"
				}
				calls, err := h.Chaos.Calls.Calls(ctx, scope, s.StartsAt, now)
				if err != nil {
					return err
				}
				m := resilience.Measure(*s, now, calls)
				if m.Requests < resilience.MinCallsForAbort || m.ErrorRate <= s.MaxErrorRate {
					return errNotYet
				}
				return nil
			})
		}
		if errors.Is(err, errNotYet) || errors.Is(err, resilience.ErrExperimentEnded) {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}
