package resilience

import "github.com/astrabastion/astra/domain/trust"

// Resilience's trust signals: the resilience pillar.
func init() {
	trust.Declare(SimulationCompleted, func(d *SimulationCompletedV1) (trust.Signal, bool) {
		// Only a scenario with objectives at stake says something about them.
		if d.Results.WithObjectives == 0 {
			return trust.Signal{}, false
		}
		return trust.Signal{Pillar: trust.Resilience, Score: d.Results.Score, Reason: "resilience scenario simulated", Weight: 2}, true
	})
	trust.Declare(ChaosCompleted, func(d *ChaosEndedV1) (trust.Signal, bool) {
		if d.Result == nil || d.Result.Requests == 0 {
			return trust.Signal{}, false
		}
		// The share of requests served (by the provider or a fallback) during the fault.
		return trust.Signal{Pillar: trust.Resilience, Score: 100 * (1 - d.Result.ErrorRate), Reason: "chaos experiment", Weight: 1}, true
	})
}
