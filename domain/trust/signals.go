package trust

import (
	"math"
	"strings"
)

// SignalFrom maps a module event to a pillar signal. It is pure: the same
// event always gives the same signal, so replays rebuild the same scores.
// payload holds the event's decoded JSON (a few fields are read).
func SignalFrom(ceType string, payload map[string]any) (Signal, bool) {
	name := ceType[strings.LastIndexByte(ceType, '.')+1:]
	module := strings.TrimPrefix(ceType, "com.astra.")
	module, _, _ = strings.Cut(module, ".")
	s := Signal{Source: ceType, Weight: 1}
	str := func(k string) string { v, _ := payload[k].(string); return v }
	num := func(k string) float64 { v, _ := payload[k].(float64); return v }
	switch module + "." + name {
	case "gateway.RequestCompleted":
		s.Pillar = AIGovernance
		viol, _ := payload["policy_violations"].([]any)
		switch {
		case len(viol) == 0:
			s.Score, s.Reason = 100, "request within policy"
		default:
			s.Score, s.Reason = 40, "request allowed with policy violations (monitor)"
		}
	case "gateway.RequestBlocked":
		s.Pillar = Security
		switch str("blocked_by") {
		case "injection_detection":
			s.Score, s.Reason, s.Weight = 55, "prompt injection attempt blocked", 2
		case "pii_detection", "response_scan":
			s.Score, s.Reason = 65, "personal data withheld"
		case "kill_switch":
			s.Score, s.Reason = 40, "traffic stopped by a kill switch"
		case "provider_call":
			s.Pillar, s.Score, s.Reason = Resilience, 45, "provider failure"
		default:
			s.Pillar, s.Score, s.Reason = AIGovernance, 75, "request refused by policy"
		}
	case "gateway.KillSwitchActivated":
		s.Pillar, s.Score, s.Reason, s.Weight = Security, 30, "kill switch activated", 5
	case "gateway.KillSwitchDeactivated":
		s.Pillar, s.Score, s.Reason, s.Weight = Security, 80, "kill switch lifted", 2
	case "gateway.PolicyCreated", "gateway.PolicyUpdated", "gateway.PolicyRolledBack":
		s.Pillar, s.Score, s.Reason, s.Weight = AIGovernance, 90, "gateway policy maintained", 3
	case "gateway.BudgetExceeded":
		s.Pillar, s.Score, s.Reason, s.Weight = AIGovernance, 50, "budget exceeded", 2
	case "risk.RiskIdentified":
		s.Pillar = Risk
		l, i := num("likelihood"), num("impact")
		s.Score, s.Reason, s.Weight = 100-4*l*i+4, "risk identified", 3 // 1×1 → 100, 5×5 → 4
	case "risk.RiskClosed":
		s.Pillar, s.Score, s.Reason, s.Weight = Risk, 95, "risk closed", 3
	case "risk.SimulationCompleted":
		res, _ := payload["results"].(map[string]any)
		ale, _ := res["mean_ale"].(float64)
		s.Pillar, s.Reason, s.Weight = Risk, "loss simulation", 2
		// $1k or less → 95; each tenfold more loss costs 15 points.
		s.Score = clamp(95 - 15*math.Max(0, math.Log10(math.Max(ale, 1))-3))
	case "resilience.SimulationCompleted", "resilience.ChaosCompleted":
		s.Pillar, s.Score, s.Reason = Resilience, 100*num("success_rate"), "resilience test"
	case "compliance.AssessmentCompleted":
		s.Pillar, s.Score, s.Reason, s.Weight = Compliance, num("score"), "assessment completed", 5
	case "aegis.AlertRaised":
		s.Pillar, s.Score, s.Reason = Security, 100-20*math.Min(4, num("severity_level")), "alert raised"
	case "aegis.AgentQuarantined":
		s.Pillar, s.Score, s.Reason, s.Weight = Security, 45, "agent quarantined", 3
	default:
		return s, false
	}
	s.Score = clamp(s.Score)
	return s, true
}
