package app

import (
	"context"
	"net/http"

	cmdtrust "github.com/astrabastion/astra/commands/trust"
	"github.com/astrabastion/astra/http/platform"
	httptrust "github.com/astrabastion/astra/http/trust"
	"github.com/astrabastion/astra/projections"
	rmtrust "github.com/astrabastion/astra/projections/trust"
)

// The composite trust score: pillars fed by every module's signals, with
// exponential decay.
func init() {
	register(Module{
		Name:  "trust",
		Order: 40,
		Errors: platform.Codes{
			"TRU-001": platform.Entry(http.StatusNotFound, "Pillar not found", "No pillar with that name (security, compliance, risk, resilience, ai_governance)."),
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmtrust.Projection{}} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			queries := &rmtrust.Queries{Runner: rt.Stack.Runner}
			commands := &cmdtrust.Handlers{Store: rt.Stack.Store, Queries: queries, Log: rt.Log}
			p := &Parts{Routes: (&httptrust.API{Commands: commands, Queries: queries, Writes: rt.Writes}).Routes(), Service: commands}
			if rt.Cfg.TrustRecalcInterval > 0 {
				p.Workers = append(p.Workers, Worker{Name: "trust recalculation", Run: func(ctx context.Context) error {
					return commands.Run(ctx, rt.Cfg.TrustRecalcInterval)
				}})
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
