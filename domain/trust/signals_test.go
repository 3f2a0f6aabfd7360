package trust_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/events"
	_ "github.com/astrabastion/astra/domain/gateway" // declares the gateway's signals
	_ "github.com/astrabastion/astra/domain/risk"    // declares the register's signals
	"github.com/astrabastion/astra/domain/trust"
)

// signalOf maps a payload through the declaration of its event type.
func signalOf(t *testing.T, ceType, data string) (trust.Signal, bool, error) {
	t.Helper()
	d, ok := trust.Signals.Of(ceType)
	if !ok {
		return trust.Signal{}, false, nil
	}
	return d.Signal(func(v any) error { return json.Unmarshal([]byte(data), v) })
}

func TestTrustSignals_DeclaredEventsScoreTheirPillar(t *testing.T) {
	type want struct {
		pillar string
		score  float64
		weight float64
	}
	cases := []struct {
		typ, data string
		want      *want // nil: no signal
	}{
		{"com.astra.gateway.RequestCompleted", `{"request_id":"r1","steps":[{"step":"x","score":0.9}],"usage":{"total_tokens":3}}`, &want{trust.AIGovernance, 100, 1}},
		{"com.astra.gateway.RequestCompleted", `{"policy_violations":["prompt_injection"],"steps":[]}`, &want{trust.AIGovernance, 40, 1}},
		{"com.astra.gateway.RequestBlocked", `{"blocked":true,"blocked_by":"injection_detection"}`, &want{trust.Security, 55, 2}},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"response_scan"}`, &want{trust.Security, 65, 1}},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"kill_switch"}`, &want{trust.Security, 40, 1}},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"provider_call"}`, &want{trust.Resilience, 45, 1}}, // a record from before RequestFailed
		{"com.astra.gateway.RequestFailed", `{"status":502,"error_code":"GW-009","failure":{"cause":"upstream_5xx","upstream_status":500,"fault":"provider"}}`, &want{trust.Resilience, 45, 1}},
		{"com.astra.gateway.RequestFailed", `{"status":504,"error_code":"GW-030","failure":{"cause":"timeout","fault":"provider"}}`, &want{trust.Resilience, 45, 1}},
		{"com.astra.gateway.RequestFailed", `{"status":400,"error_code":"GW-032","failure":{"cause":"upstream_4xx","upstream_status":400,"fault":"caller"}}`, nil},
		{"com.astra.gateway.RequestBlocked", `{"blocked_by":"allow_list"}`, &want{trust.AIGovernance, 75, 1}},
		{"com.astra.gateway.KillSwitchActivated", `{"scope":{"kind":"global"}}`, &want{trust.Security, 30, 5}},
		{"com.astra.gateway.KillSwitchDeactivated", `{}`, &want{trust.Security, 80, 2}},
		{"com.astra.gateway.PolicyRolledBack", `{}`, &want{trust.AIGovernance, 90, 3}},
		{"com.astra.gateway.BudgetExceeded", `{}`, &want{trust.AIGovernance, 50, 2}},
		{"com.astra.risk.RiskIdentified", `{"likelihood":4,"impact":5}`, &want{trust.Risk, 24, 3}},
		{"com.astra.risk.RiskIdentified", `{"likelihood":1,"impact":1}`, &want{trust.Risk, 100, 3}},
		{"com.astra.risk.RiskClosed", `{}`, &want{trust.Risk, 95, 3}},
		{"com.astra.risk.SimulationCompleted", `{"results":{"mean_ale":1000000}}`, &want{trust.Risk, 50, 2}},
		{"com.astra.risk.SimulationCompleted", `{"results":{}}`, &want{trust.Risk, 95, 2}},
		{"com.astra.iam.UserCreated", `{"email":"a@b"}`, nil},
	}
	for _, c := range cases {
		s, ok, err := signalOf(t, c.typ, c.data)
		switch {
		case err != nil:
			t.Errorf("%s %s: %v", c.typ, c.data, err)
		case c.want == nil && ok:
			t.Errorf("%s %s: signal %+v, want none", c.typ, c.data, s)
		case c.want != nil && !ok:
			t.Errorf("%s %s: no signal", c.typ, c.data)
		case c.want != nil && (s.Pillar != c.want.pillar || s.Score != c.want.score || s.Weight != c.want.weight || s.Source != c.typ || s.Reason == ""):
			t.Errorf("%s %s: %+v, want %+v", c.typ, c.data, s, *c.want)
		}
	}
	// A payload that is not the declared type's is an error, not a silent "no signal".
	if _, _, err := signalOf(t, "com.astra.gateway.RequestCompleted", `not json`); err == nil {
		t.Error("an undecodable payload made no error")
	}
}

func TestTrustSignals_EveryDeclarationHasARegisteredProducer(t *testing.T) {
	if err := trust.Signals.Verify(); err != nil {
		t.Fatal(err)
	}
	if n := len(trust.Signals.All()); n < 11 {
		t.Fatalf("%d declarations, want the gateway's and the register's (11)", n)
	}
	for _, d := range trust.Signals.All() {
		if _, ok := events.Lookup(d.Type.CEType()); !ok {
			t.Errorf("%s declared without a registered producer", d.Type.CEType())
		}
	}
}

// orphanV1 is the payload of an event no module registers.
type orphanV1 struct {
	Score float64 `json:"score"`
}

func TestTrustSignals_ADeclarationWithoutARegisteredProducerFailsVerification(t *testing.T) {
	r := trust.NewRegistry()
	orphan := events.Type{Module: "nowhere", Name: "SomethingHappened", New: func() any { return &orphanV1{} }}
	trust.DeclareIn(r, orphan, func(d *orphanV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Compliance, Score: d.Score}, true
	})
	err := r.Verify()
	if err == nil || !strings.Contains(err.Error(), "com.astra.nowhere.SomethingHappened") {
		t.Fatalf("verify: %v", err)
	}
}

func TestTrustSignals_ADeclarationWithAnotherPayloadThanTheRegisteredOnePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("declared RequestBlocked with orphanV1 without a panic")
		}
	}()
	blocked, _ := events.Lookup("com.astra.gateway.RequestBlocked")
	trust.DeclareIn(trust.NewRegistry(), blocked, func(*orphanV1) (trust.Signal, bool) { return trust.Signal{}, false })
}
