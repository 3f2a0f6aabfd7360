package app

import (
	"context"
	"net/http"
	"strings"
	"time"

	cmdres "github.com/astrabastion/astra/commands/resilience"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/http/platform"
	httpres "github.com/astrabastion/astra/http/resilience"
	"github.com/astrabastion/astra/projections"
	rmct "github.com/astrabastion/astra/projections/cybertwins"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	rmres "github.com/astrabastion/astra/projections/resilience"
)

// ChaosTick is how often every instance supervises running chaos
// experiments; ChaosSettle how long an experiment is measured after its end.
var (
	ChaosTick   = 250 * time.Millisecond
	ChaosSettle = 5 * time.Second
)

// ResilienceNow is Resilience's clock.
var ResilienceNow = time.Now

// callLog reads the gateway's request log as chaos experiments measure it.
type callLog struct{ q *rmgw.Queries }

func (l callLog) Calls(ctx context.Context, tenant string, from, to time.Time) ([]resilience.Call, error) {
	var out []resilience.Call
	f := rmgw.RequestFilter{From: &from, To: &to, Limit: 1000}
	for {
		page, more, err := l.q.Requests(ctx, tenant, f)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			c := resilience.Call{Time: r.Time, LatencyMs: r.LatencyMs, Provider: r.Provider, Model: r.Model, Completed: r.Outcome == "completed"}
			for _, a := range r.StreamActions {
				switch {
				case strings.HasPrefix(a, "chaos:"):
					c.Faulted = append(c.Faulted, strings.TrimPrefix(a, "chaos:"))
				case strings.HasPrefix(a, "fallback:"):
					c.FallbackTried, c.FallbackServed = true, c.Completed
				case a == gateway.ActionAbandoned:
					c.Abandoned = true
				}
			}
			if r.Failure != nil && len(r.Failure.Tried) > 1 {
				c.FallbackTried = true
			}
			out = append(out, c)
		}
		if !more || len(page) == 0 {
			return out, nil
		}
		f.AfterPosition = page[len(page)-1].Position
	}
}

// Resilience: objectives, scenarios simulated over the CyberTwins graph,
// chaos experiments in the gateway.
func init() {
	register(Module{
		Name:  resilience.Module,
		Title: "Resilience",
		Tags: map[string]string{
			"resilience": "Resilience: recovery objectives (RTO, RPO) per service, disruption scenarios over the CyberTwins asset graph and their Monte Carlo simulation (downtime against RTO, data loss against RPO), and bounded chaos experiments in the platform's own gateway.",
		},
		// After CyberTwins, whose index it reads.
		Order: 90,
		Errors: platform.Codes{
			"RES-001": platform.Entry(http.StatusNotFound, "Scenario not found", "No scenario with that id exists in the tenant."),
			"RES-002": platform.Entry(http.StatusUnprocessableEntity, "Invalid scenario", "A scenario has a name and 1 to 50 distinct assets of the twin, each with a known kind and a valid recovery distribution (pert: 0 <= min <= mode <= max, max > min; lognormal: 0 < low < high)."),
			"RES-003": platform.Entry(http.StatusNotFound, "Simulation not found", "No simulation with that id exists in the tenant."),
			"RES-004": platform.Entry(http.StatusUnprocessableEntity, "Invalid objective", "RTO and RPO are seconds, not negative."),
			"RES-005": platform.Entry(http.StatusNotFound, "Service not found", "The service is not an asset of the tenant's CyberTwins graph (or has no objective)."),
			"RES-006": platform.Entry(http.StatusNotFound, "Experiment not found", "No chaos experiment with that id exists in the tenant."),
			"RES-007": platform.Entry(http.StatusUnprocessableEntity, "Invalid experiment", "An experiment has a name, a known fault (latency and timeout with latency_ms up to 30,000), a share in (0, 1], a duration of 1 to 900 seconds and a max_error_rate in (0, 1]."),
			"RES-008": platform.Entry(http.StatusConflict, "Blast radius exceeded", "The tenant's running experiments would fault more than the allowed share of its provider calls."),
			"RES-009": platform.Entry(http.StatusForbidden, "Platform scope refused", "Only a platform_admin runs an experiment over every tenant's traffic."),
			"RES-010": platform.Entry(http.StatusConflict, "Experiment ended", "The experiment completed or was aborted already."),
		},
		DomainErrors: []platform.DomainError{
			{Err: resilience.ErrScenarioNotFound, Code: "RES-001", Detail: "No such scenario in this tenant."},
			{Err: resilience.ErrInvalidScenario, Code: "RES-002"},
			{Err: resilience.ErrSimulationNotFound, Code: "RES-003", Detail: "No such simulation in this tenant."},
			{Err: resilience.ErrInvalidObjective, Code: "RES-004"},
			{Err: resilience.ErrServiceNotFound, Code: "RES-005", Detail: "No such service in this tenant's twin."},
			{Err: resilience.ErrExperimentNotFound, Code: "RES-006", Detail: "No such experiment in this tenant."},
			{Err: resilience.ErrInvalidExperiment, Code: "RES-007"},
			{Err: resilience.ErrBlastRadius, Code: "RES-008"},
			{Err: resilience.ErrPlatformScope, Code: "RES-009", Detail: "The platform scope needs platform_admin."},
			{Err: resilience.ErrExperimentEnded, Code: "RES-010", Detail: "The experiment has ended."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmres.New()} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			queries := &rmres.Queries{Runner: rt.Stack.Runner}
			runtime := rt.Service("gateway").(*gateway.Runtime)
			maxBlast := rt.Cfg.ChaosMaxBlast
			if maxBlast <= 0 {
				maxBlast = 0.5
			}
			commands := &cmdres.Handlers{Store: rt.Stack.Store, Graphs: rt.Service("cybertwins").(*rmct.Index), Objectives: queries, Now: ResilienceNow,
				Chaos: &cmdres.Chaos{Calls: callLog{&rmgw.Queries{Runner: rt.Stack.Runner}}, Running: queries, MaxBlast: maxBlast, Settle: ChaosSettle}}
			api := &httpres.API{Commands: commands, Queries: queries, Writes: rt.Writes}
			// Every instance keeps its gateway's faults in step with the
			// read model (a backstop for the reactor) and supervises the
			// running experiments: completion after their window, the
			// error-rate guard (the first instance to decide wins).
			supervise := Every("resilience chaos", ChaosTick, rt.Log, func(ctx context.Context, now time.Time) error {
				running, err := queries.Running(ctx, "*")
				if err != nil {
					return err
				}
				ended, err := queries.RecentlyEnded(ctx, now.Add(-5*time.Minute))
				if err != nil {
					return err
				}
				runtime.SyncChaos(running, ended)
				if len(running) == 0 {
					return nil
				}
				return commands.Supervise(ctx, func(tenant string) eventstore.Metadata {
					return eventstore.Metadata{TenantID: tenant, Actor: "system:resilience-chaos"}
				})
			})
			return &Parts{Routes: api.Routes(), Workers: []Worker{supervise}}, nil
		},
	})
}
