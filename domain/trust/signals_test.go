package trust

import "testing"

func TestSignalFrom(t *testing.T) {
	type want struct {
		pillar string
		score  float64
		weight float64
	}
	cases := []struct {
		typ, data string
		want      *want // nil: no signal
	}{
		{"com.astra.gateway.RequestCompleted", `{"request_id":"r1","steps":[{"step":"x","score":0.9}],"usage":{"total_tokens":3}}`, &want{AIGovernance, 100, 1}},
		{"com.astra.gateway.RequestCompleted", `{"policy_violations":["prompt_injection"],"steps":[]}`, &want{AIGovernance, 40, 1}},
		{"com.astra.gateway.RequestBlocked", `{"blocked":true,"blocked_by":"injection_detection"}`, &want{Security, 55, 2}},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"response_scan"}`, &want{Security, 65, 1}},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"provider_call"}`, &want{Resilience, 45, 1}},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"allow_list"}`, &want{AIGovernance, 75, 1}},
		{"com.astra.gateway.KillSwitchActivated", `{"scope":{"kind":"global"}}`, &want{Security, 30, 5}},
		{"com.astra.gateway.PolicyRolledBack", `{}`, &want{AIGovernance, 90, 3}},
		{"com.astra.risk.RiskIdentified", `{"likelihood":4,"impact":5}`, &want{Risk, 24, 3}},
		{"com.astra.risk.SimulationCompleted", `{"results":{"mean_ale":1000000}}`, &want{Risk, 50, 2}},
		{"com.astra.risk.SimulationCompleted", `{"results":{}}`, &want{Risk, 95, 2}},
		{"com.astra.resilience.ChaosCompleted", `{"success_rate":0.93}`, &want{Resilience, 93, 1}},
		{"com.astra.compliance.AssessmentCompleted", `{"score":171.5}`, &want{Compliance, 100, 5}},
		{"com.astra.aegis.AlertRaised", `{"severity_level":3}`, &want{Security, 40, 1}},
		{"com.astra.iam.UserCreated", `{"email":"a@b"}`, nil},
		{"com.astra.gateway.RequestCompleted", `not json`, nil},
	}
	for _, c := range cases {
		s, ok := SignalFrom(c.typ, []byte(c.data))
		switch {
		case c.want == nil && ok:
			t.Errorf("%s %s: signal %+v, want none", c.typ, c.data, s)
		case c.want != nil && !ok:
			t.Errorf("%s %s: no signal", c.typ, c.data)
		case c.want != nil && (s.Pillar != c.want.pillar || s.Score != c.want.score || s.Weight != c.want.weight || s.Source != c.typ || s.Reason == ""):
			t.Errorf("%s %s: %+v, want %+v", c.typ, c.data, s, *c.want)
		}
	}
}
