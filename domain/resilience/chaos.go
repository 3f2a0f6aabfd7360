package resilience

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds of fault a chaos experiment injects into provider calls.
const (
	FaultLatency = "latency"
	FaultError   = "error"
	FaultTimeout = "timeout"
	FaultOutage  = "outage"
)

// FaultKinds lists the kinds of fault.
var FaultKinds = []string{FaultLatency, FaultError, FaultTimeout, FaultOutage}

// Bounds of an experiment.
const (
	MaxDuration = 15 * time.Minute
	MaxLatency  = 30 * time.Second
)

// Fault is what an experiment does to a provider call it selects.
type Fault struct {
	Kind string `json:"kind" enum:"latency,error,timeout,outage"`
	// LatencyMs is added before the call (latency) or waited before failing (timeout).
	LatencyMs int `json:"latency_ms,omitempty"`
}

// Scope is which provider calls an experiment selects.
type Scope struct {
	// Platform is every tenant's traffic (platform_admin only); else the experiment's tenant.
	Platform bool `json:"platform"`
	// Provider and Model narrow the calls (empty: any).
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	// Share is the fraction of matching calls faulted, in (0, 1].
	Share float64 `json:"share"`
}

// ChaosStartedV1 records an experiment started on every instance.
type ChaosStartedV1 struct {
	ExperimentID string    `json:"experiment_id"`
	TenantID     string    `json:"tenant_id"`
	Name         string    `json:"name"`
	Fault        Fault     `json:"fault"`
	Scope        Scope     `json:"scope"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	// MaxErrorRate aborts the experiment when the observed error rate passes it.
	MaxErrorRate float64 `json:"max_error_rate"`
}

// ChaosResult is what an experiment measured.
type ChaosResult struct {
	// Requests are the calls the experiment selected; Errors those that failed
	// for the client (no fallback saved them); ErrorRate their share.
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// Fallbacks are the faulted calls a fallback provider was tried for;
	// FallbackSuccessRate the share it served.
	Fallbacks           int     `json:"fallbacks"`
	FallbackSuccesses   int     `json:"fallback_successes"`
	FallbackSuccessRate float64 `json:"fallback_success_rate"`
	// Latency of the tenant's requests during and after the fault, in ms.
	P50DuringMs float64 `json:"p50_during_ms"`
	P99DuringMs float64 `json:"p99_during_ms"`
	P50AfterMs  float64 `json:"p50_after_ms"`
	P99AfterMs  float64 `json:"p99_after_ms"`
	// RecoveryMs is the time from the fault's end to the first successful
	// direct call of the provider (null: none seen).
	RecoveryMs *float64 `json:"recovery_ms"`
	// Probes counts the faulted calls (each one probe of the fault);
	// MissingProbes those whose caller never got an answer (it gave up, timed
	// out or lost its connection), each counted as an error and as a
	// fallback that failed.
	Probes        int `json:"probes"`
	MissingProbes int `json:"missing_probes"`
}

// ChaosEndedV1 records an experiment's end: completed, or aborted (by a
// person, or by the error-rate guard), with what it measured.
type ChaosEndedV1 struct {
	ExperimentID string       `json:"experiment_id"`
	TenantID     string       `json:"tenant_id"`
	Reason       string       `json:"reason"`
	Result       *ChaosResult `json:"result"`
	EndedAt      time.Time    `json:"ended_at"`
}

// CheckExperiment validates an experiment against the guard rails: a known
// fault with bounded latency, a share in (0, 1], a duration within bounds,
// no more concurrent share of the tenant's traffic than maxBlast, the
// platform scope only for a platform administrator.
func CheckExperiment(name string, f Fault, s Scope, duration time.Duration, maxErrorRate, runningShare, maxBlast float64, platformAdmin bool) error {
	switch {
	case strings.TrimSpace(name) == "" || len(name) > 300:
		return fmt.Errorf("%w: name needs 1 to 300 characters", ErrInvalidExperiment)
	case !slices.Contains(FaultKinds, f.Kind):
		return fmt.Errorf("%w: fault.kind must be one of %s", ErrInvalidExperiment, strings.Join(FaultKinds, ", "))
	case f.LatencyMs < 0 || time.Duration(f.LatencyMs)*time.Millisecond > MaxLatency:
		return fmt.Errorf("%w: fault.latency_ms must be 0 to %d", ErrInvalidExperiment, MaxLatency.Milliseconds())
	case (f.Kind == FaultLatency || f.Kind == FaultTimeout) && f.LatencyMs == 0:
		return fmt.Errorf("%w: a %s fault needs latency_ms", ErrInvalidExperiment, f.Kind)
	case !(s.Share > 0) || s.Share > 1:
		return fmt.Errorf("%w: scope.share must be in (0, 1]", ErrInvalidExperiment)
	case duration <= 0 || duration > MaxDuration:
		return fmt.Errorf("%w: duration_seconds must be 1 to %d", ErrInvalidExperiment, int(MaxDuration.Seconds()))
	case !(maxErrorRate > 0) || maxErrorRate > 1:
		return fmt.Errorf("%w: max_error_rate must be in (0, 1]", ErrInvalidExperiment)
	case s.Platform && !platformAdmin:
		return ErrPlatformScope
	case runningShare+s.Share > maxBlast+1e-9:
		return fmt.Errorf("%w: running experiments fault %.0f%% of the tenant's calls; this one would bring it past %.0f%%", ErrBlastRadius,
			100*runningShare, 100*maxBlast)
	}
	return nil
}

// Call is one gateway request as an experiment measures it (from the
// gateway's request log, whichever instance served it).
type Call struct {
	Time      time.Time
	LatencyMs float64
	Provider  string
	Model     string
	Completed bool
	// Faulted names the experiments whose fault the call got.
	Faulted []string
	// FallbackTried and FallbackServed say whether a fallback target was
	// tried for the call, and answered it.
	FallbackTried, FallbackServed bool
	// Abandoned is a call whose caller went away before it was answered.
	Abandoned bool
}

// MinCallsForAbort is how many faulted calls the error-rate guard waits for.
const MinCallsForAbort = 10

// Measure is what an experiment did, from the calls of its window and of
// the time after it ended: the faulted calls' error rate and fallback
// success, latency during and after, and the time from the end to the first
// call served directly by the scoped provider again.
func Measure(d ChaosStartedV1, ended time.Time, calls []Call) ChaosResult {
	var res ChaosResult
	var during, after []float64
	for _, c := range calls {
		if c.Time.Before(d.StartsAt) {
			continue
		}
		faulted := slices.Contains(c.Faulted, d.ExperimentID)
		if c.Time.Before(ended) {
			during = append(during, c.LatencyMs)
		} else {
			after = append(after, c.LatencyMs)
			direct := c.Completed && !c.FallbackServed && len(c.Faulted) == 0 &&
				(d.Scope.Provider == "" || c.Provider == d.Scope.Provider) && (d.Scope.Model == "" || strings.EqualFold(c.Model, d.Scope.Model))
			if direct {
				done := c.Time.Add(time.Duration(c.LatencyMs * float64(time.Millisecond))).Sub(ended)
				ms := float64(max(done, 0).Microseconds()) / 1000
				if res.RecoveryMs == nil || ms < *res.RecoveryMs {
					res.RecoveryMs = &ms
				}
			}
		}
		if !faulted {
			continue
		}
		res.Requests++
		if c.Abandoned {
			// A lost probe failed, whatever the provider did after the
			// caller left: no fallback saved it.
			res.MissingProbes++
			res.Errors++
			res.Fallbacks++
			continue
		}
		if !c.Completed {
			res.Errors++
		}
		if c.FallbackTried {
			res.Fallbacks++
			if c.FallbackServed {
				res.FallbackSuccesses++
			}
		}
	}
	res.Probes = res.Requests
	if res.Requests > 0 {
		res.ErrorRate = float64(res.Errors) / float64(res.Requests)
	}
	if res.Fallbacks > 0 {
		res.FallbackSuccessRate = float64(res.FallbackSuccesses) / float64(res.Fallbacks)
	}
	res.P50DuringMs, res.P99DuringMs = percentiles(during)
	res.P50AfterMs, res.P99AfterMs = percentiles(after)
	return res
}

func percentiles(x []float64) (p50, p99 float64) {
	if len(x) == 0 {
		return 0, 0
	}
	slices.Sort(x)
	return x[len(x)/2], x[min(len(x)-1, len(x)*99/100)]
}
