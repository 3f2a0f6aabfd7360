package aegis

import (
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/trust"
)

// AEGIS's trust signals, on the security pillar: every alert raised (worse
// the more severe), a quarantine, a kill switch, and an alert resolved.
func init() {
	trust.Declare(AlertRaised, func(d *AlertRaisedV1) (trust.Signal, bool) {
		score, weight := 70.0, 1.0
		switch alerting.SeverityRank(d.Severity) {
		case 1:
			score, weight = 85, 1
		case 3:
			score, weight = 45, 2
		case 4:
			score, weight = 25, 3
		}
		return trust.Signal{Pillar: trust.Security, Score: score, Reason: "alert raised: " + d.Title, Weight: weight}, true
	})
	trust.Declare(AgentQuarantined, func(d *ContainmentV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Security, Score: 50, Reason: "agent quarantined", Weight: 2}, true
	})
	trust.Declare(KillSwitchActivated, func(d *ContainmentV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Security, Score: 30, Reason: "agent killed", Weight: 3}, true
	})
	trust.Declare(AlertResolved, func(d *AlertResolvedV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Security, Score: 85, Reason: "alert resolved (" + d.Resolution + ")"}, true
	})
}
