package app

import (
	"context"
	"net/http"
	"time"

	cmdtrust "github.com/astrabastion/astra/commands/trust"
	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/http/platform"
	httptrust "github.com/astrabastion/astra/http/trust"
	"github.com/astrabastion/astra/projections"
	rmtrust "github.com/astrabastion/astra/projections/trust"
	rxtrust "github.com/astrabastion/astra/reactors/trust"
)

// The composite trust score: pillars fed by every module's signals, with
// exponential decay.
func init() {
	register(Module{
		Name: "trust",
		Tags: map[string]string{
			"trust": "The composite trust score: five pillars with exponential decay, history, signals and explanations.",
		},
		Order: 40,
		Errors: platform.Codes{
			"TRU-001": platform.Entry(http.StatusNotFound, "Pillar not found", "No pillar with that name (security, compliance, risk, resilience, ai_governance)."),
		},
		DomainErrors: []platform.DomainError{
			{Err: trust.ErrPillarNotFound, Code: "TRU-001", Detail: "No such pillar; pillars are security, compliance, risk, resilience, ai_governance."},
			{Err: trust.ErrDecay, Code: "VAL-001", Detail: "Give the model (exponential or none) and, for each of the five pillars, half_life_hours ≥ 0.02 and a floor in [0, 100]."},
			{Err: trust.ErrWeights, Code: "VAL-001", Detail: "Weights must cover security, compliance, risk, resilience and ai_governance, each in [0, 1], summing to 1."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmtrust.Projection{}} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			// A signal declared for an event no module registers would never
			// score: refuse to start rather than run with a dead pillar input.
			if err := trust.Signals.Verify(); err != nil {
				return nil, err
			}
			queries := &rmtrust.Queries{Runner: rt.Stack.Runner}
			commands := &cmdtrust.Handlers{Store: rt.Stack.Store, Queries: queries, Log: rt.Log}
			p := &Parts{Routes: (&httptrust.API{Commands: commands, Queries: queries, Writes: rt.Writes}).Routes(), Service: commands}
			// Recalculation runs on its own unless the interval is 0 (tests
			// drive it by hand): periodically, so that decay alone is recorded,
			// and soon after each signal, so that a pillar's move is not a
			// period late.
			if rt.Cfg.TrustRecalcInterval > 0 {
				recalc := &rxtrust.Recalculator{Commands: commands, Runner: rt.Stack.Runner, Log: rt.Log}
				p.Reactors = append(p.Reactors, recalc.Reactor())
				p.Workers = append(p.Workers,
					Every("trust recalculation", rt.Cfg.TrustRecalcInterval, rt.Log, func(ctx context.Context, _ time.Time) error {
						_, err := commands.Tick(ctx)
						return err
					}),
					Every("trust recalculation after signals", recalc.Period(), rt.Log, func(ctx context.Context, _ time.Time) error {
						recalc.Flush(ctx)
						return nil
					}))
			}
			return p, nil
		},
		Replay: map[string]map[string]string{rmtrust.Name: {
			"config": "tenant_id, decay, weights",
			"pillar_state": "tenant_id, pillar, (state->>'count')::int AS count, round((state->>'weight_sum')::numeric, 6) AS w, " +
				"round((state->>'plain')::numeric, 4) AS plain",
		}},
	})
}
