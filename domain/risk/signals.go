package risk

import (
	"math"

	"github.com/astrabastion/astra/domain/trust"
)

// The register's trust signals: the risk pillar.
func init() {
	trust.Declare(RiskIdentified, func(d *RiskIdentifiedV1) (trust.Signal, bool) {
		// 1×1 → 100, 5×5 → 4.
		return trust.Signal{Pillar: trust.Risk, Score: float64(100 - 4*d.Likelihood*d.Impact + 4), Reason: "risk identified", Weight: 3}, true
	})
	trust.Declare(RiskClosed, func(*RiskClosedV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Risk, Score: 95, Reason: "risk closed", Weight: 3}, true
	})
	trust.Declare(SimulationCompleted, func(d *SimulationCompletedV1) (trust.Signal, bool) {
		// $1k or less → 95; each tenfold more loss costs 15 points.
		ale := d.Results.MeanALE
		return trust.Signal{Pillar: trust.Risk, Score: 95 - 15*math.Max(0, math.Log10(math.Max(ale, 1))-3), Reason: "loss simulation", Weight: 2}, true
	})
}
