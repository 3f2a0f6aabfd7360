package trust

import (
	"encoding/json"
	"testing"

	"github.com/astrabastion/astra/domain/trust"
)

// The projection decodes only the fields SignalFrom reads; every signal must
// come out as it does from the whole payload.
func TestSignalFieldsGiveTheSameSignals(t *testing.T) {
	cases := []struct{ typ, data string }{
		{"com.astra.gateway.RequestCompleted", `{"request_id":"r1","steps":[{"step":"x","verdict":"pass"}],"usage":{"total_tokens":3}}`},
		{"com.astra.gateway.RequestCompleted", `{"request_id":"r2","policy_violations":["prompt_injection"],"steps":[]}`},
		{"com.astra.gateway.RequestBlocked", `{"blocked":true,"blocked_by":"injection_detection","score":0.9}`},
		{"com.astra.gateway.RequestBlocked", `{"blocked":true,"blocked_by":"provider_call"}`},
		{"com.astra.gateway.RequestBlocked", `{"blocked":true,"blocked_by":"allow_list"}`},
		{"com.astra.gateway.KillSwitchActivated", `{"scope":{"kind":"global"}}`},
		{"com.astra.risk.RiskIdentified", `{"likelihood":4,"impact":5,"title":"t"}`},
		{"com.astra.risk.SimulationCompleted", `{"results":{"mean_ale":250000,"p95":1}}`},
		{"com.astra.risk.SimulationCompleted", `{"results":{}}`},
		{"com.astra.resilience.ChaosCompleted", `{"success_rate":0.93}`},
		{"com.astra.compliance.AssessmentCompleted", `{"score":71.5}`},
		{"com.astra.aegis.AlertRaised", `{"severity_level":3}`},
		{"com.astra.aegis.AlertRaised", `{}`},
		{"com.astra.iam.UserCreated", `{"email":"a@b"}`},
	}
	for _, c := range cases {
		var full map[string]any
		if err := json.Unmarshal([]byte(c.data), &full); err != nil {
			t.Fatal(err)
		}
		var f signalFields
		if err := json.Unmarshal([]byte(c.data), &f); err != nil {
			t.Fatal(err)
		}
		want, wantOK := trust.SignalFrom(c.typ, full)
		got, gotOK := trust.SignalFrom(c.typ, f.payload())
		if want != got || wantOK != gotOK {
			t.Errorf("%s %s: got %+v %v, want %+v %v", c.typ, c.data, got, gotOK, want, wantOK)
		}
	}
}
