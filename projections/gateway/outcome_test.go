package gateway

import (
	"encoding/json"
	"testing"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// TestOutcomeOf reads each record's outcome, and an old provider_call block
// as a failure whose cause comes from its provider step.
func TestOutcomeOf(t *testing.T) {
	rec := func(blockedBy, code, detail string) *recordedRequest {
		steps, _ := json.Marshal([]gw.StepTrace{{Step: gw.StepProvider, Verdict: "error", Detail: detail}})
		return &recordedRequest{RequestRecordedV1: gw.RequestRecordedV1{BlockedBy: blockedBy, ErrorCode: code}, Steps: steps}
	}
	cases := []struct {
		typ     string
		d       *recordedRequest
		outcome string
		cause   string
		status  int
	}{
		{requestCompleted, rec("", "", ""), OutcomeCompleted, "", 0},
		{requestBlocked, rec("injection_detection", "GW-003", ""), OutcomeBlocked, "", 0},
		{requestBlocked, rec("provider_call", "GW-020", "model not offered"), OutcomeBlocked, "", 0},
		{requestBlocked, rec("provider_call", "GW-009", "openai answered 500 (boom (really))"), OutcomeFailed, gw.CauseUpstream5xx, 500},
		{requestBlocked, rec("provider_call", "GW-009", "openai answered 429 (slow down)"), OutcomeFailed, gw.CauseUpstream4xx, 429},
		{requestBlocked, rec("provider_call", "GW-009", "openai answered 503 (circuit open)"), OutcomeFailed, gw.CauseCircuitOpen, 0},
		{requestBlocked, rec("provider_call", "GW-009", "openai: timeout"), OutcomeFailed, gw.CauseTimeout, 0},
		{requestBlocked, rec("provider_call", "GW-009", "openai: connection failed"), OutcomeFailed, gw.CauseConnection, 0},
		{requestBlocked, rec("provider_call", "GW-009", "unavailable"), OutcomeFailed, gw.CauseUnknown, 0},
		{requestFailed, &recordedRequest{RequestRecordedV1: gw.RequestRecordedV1{Failure: &gw.ProviderFailure{Cause: gw.CauseDNS}}}, OutcomeFailed, gw.CauseDNS, 0},
	}
	for _, c := range cases {
		outcome, f := outcomeOf(c.typ, c.d)
		cause, status := "", 0
		if f != nil {
			cause, status = f.Cause, f.UpstreamStatus
		}
		if outcome != c.outcome || cause != c.cause || status != c.status {
			t.Errorf("%s %+v: %s %s %d, want %s %s %d", c.typ, c.d.RequestRecordedV1, outcome, cause, status, c.outcome, c.cause, c.status)
		}
	}
}
