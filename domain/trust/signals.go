package trust

import (
	"encoding/json"
	"math"
	"strings"
)

// SignalFields are the fields of an event's payload that its signal depends on.
type SignalFields struct {
	Violations []json.RawMessage `json:"policy_violations"`
	BlockedBy  string            `json:"blocked_by"`
	Likelihood float64           `json:"likelihood"`
	Impact     float64           `json:"impact"`
	Results    struct {
		MeanALE float64 `json:"mean_ale"`
	} `json:"results"`
	SuccessRate   float64 `json:"success_rate"`
	Score         float64 `json:"score"`
	SeverityLevel float64 `json:"severity_level"`
}

// signalTypes are the event types (module.Name) that make a signal.
var signalTypes = map[string]bool{
	"gateway.RequestCompleted": true, "gateway.RequestBlocked": true, "gateway.KillSwitchActivated": true,
	"gateway.KillSwitchDeactivated": true, "gateway.PolicyCreated": true, "gateway.PolicyUpdated": true,
	"gateway.PolicyRolledBack": true, "gateway.BudgetExceeded": true, "risk.RiskIdentified": true, "risk.RiskClosed": true,
	"risk.SimulationCompleted": true, "resilience.SimulationCompleted": true, "resilience.ChaosCompleted": true,
	"compliance.AssessmentCompleted": true, "aegis.AlertRaised": true, "aegis.AgentQuarantined": true,
}

// SignalFrom maps a module event (its type and JSON payload) to a pillar
// signal. It is pure: the same event always gives the same signal, so
// replays rebuild the same scores. Only the fields in SignalFields are
// decoded, and only for the types that make a signal.
func SignalFrom(ceType string, data []byte) (Signal, bool) {
	name := ceType[strings.LastIndexByte(ceType, '.')+1:]
	module := strings.TrimPrefix(ceType, "com.astra.")
	module, _, _ = strings.Cut(module, ".")
	if !signalTypes[module+"."+name] {
		return Signal{}, false
	}
	var f SignalFields
	if json.Unmarshal(data, &f) != nil {
		return Signal{}, false
	}
	s := Signal{Source: ceType, Weight: 1}
	switch module + "." + name {
	case "gateway.RequestCompleted":
		s.Pillar = AIGovernance
		switch {
		case len(f.Violations) == 0:
			s.Score, s.Reason = 100, "request within policy"
		default:
			s.Score, s.Reason = 40, "request allowed with policy violations (monitor)"
		}
	case "gateway.RequestBlocked":
		s.Pillar = Security
		switch f.BlockedBy {
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
		l, i := f.Likelihood, f.Impact
		s.Score, s.Reason, s.Weight = 100-4*l*i+4, "risk identified", 3 // 1×1 → 100, 5×5 → 4
	case "risk.RiskClosed":
		s.Pillar, s.Score, s.Reason, s.Weight = Risk, 95, "risk closed", 3
	case "risk.SimulationCompleted":
		ale := f.Results.MeanALE
		s.Pillar, s.Reason, s.Weight = Risk, "loss simulation", 2
		// $1k or less → 95; each tenfold more loss costs 15 points.
		s.Score = clamp(95 - 15*math.Max(0, math.Log10(math.Max(ale, 1))-3))
	case "resilience.SimulationCompleted", "resilience.ChaosCompleted":
		s.Pillar, s.Score, s.Reason = Resilience, 100*f.SuccessRate, "resilience test"
	case "compliance.AssessmentCompleted":
		s.Pillar, s.Score, s.Reason, s.Weight = Compliance, f.Score, "assessment completed", 5
	case "aegis.AlertRaised":
		s.Pillar, s.Score, s.Reason = Security, 100-20*math.Min(4, f.SeverityLevel), "alert raised"
	case "aegis.AgentQuarantined":
		s.Pillar, s.Score, s.Reason, s.Weight = Security, 45, "agent quarantined", 3
	default:
		return s, false
	}
	s.Score = clamp(s.Score)
	return s, true
}
