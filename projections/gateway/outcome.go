package gateway

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// Outcomes of a request in the log.
const (
	OutcomeCompleted = "completed"
	OutcomeBlocked   = "blocked"
	OutcomeFailed    = "failed"
)

// Outcomes lists the outcomes a request can have (the log's outcome filter).
var Outcomes = []string{OutcomeCompleted, OutcomeBlocked, OutcomeFailed}

// outcomeOf is a request record's outcome, and its provider failure if it
// failed. A RequestBlocked record blocked_by provider_call with GW-009 is a
// provider failure recorded before RequestFailed existed: it reads as a
// failure (not a block), its cause recovered from the provider step's detail.
func outcomeOf(typ string, d *recordedRequest) (string, *gw.ProviderFailure) {
	switch {
	case typ == requestFailed:
		f := d.Failure
		if f == nil {
			f = &gw.ProviderFailure{Cause: gw.CauseUnknown, Fault: gw.FaultProvider}
		}
		return OutcomeFailed, f
	case typ == requestBlocked && d.BlockedBy == gw.StepProvider && d.ErrorCode == "GW-009":
		return OutcomeFailed, legacyFailure(d.Steps)
	case typ == requestBlocked:
		return OutcomeBlocked, nil
	}
	return OutcomeCompleted, nil
}

var answered = regexp.MustCompile(` answered (\d{3}) \((.*)\)$`)

// legacyFailure reads an old provider failure's cause from its provider
// step's detail ("<provider> answered 503 (…)", "<provider>: timeout", …).
func legacyFailure(steps json.RawMessage) *gw.ProviderFailure {
	f := &gw.ProviderFailure{Cause: gw.CauseUnknown, Fault: gw.FaultProvider, Legacy: true}
	var trace []gw.StepTrace
	_ = json.Unmarshal(steps, &trace)
	detail := ""
	for _, s := range trace {
		if s.Step == gw.StepProvider {
			detail = s.Detail
		}
	}
	if m := answered.FindStringSubmatch(detail); m != nil {
		status, _ := strconv.Atoi(m[1])
		switch {
		case m[2] == "circuit open":
			f.Cause = gw.CauseCircuitOpen
		case status >= 500:
			f.Cause, f.UpstreamStatus = gw.CauseUpstream5xx, status
		case status >= 400:
			f.Cause, f.UpstreamStatus = gw.CauseUpstream4xx, status
		default:
			f.Cause, f.UpstreamStatus = gw.CauseMalformed, status
		}
		return f
	}
	switch {
	case strings.HasSuffix(detail, ": timeout"):
		f.Cause = gw.CauseTimeout
	case strings.Contains(detail, ": connection failed"), strings.Contains(detail, ": stream interrupted"):
		f.Cause = gw.CauseConnection
	}
	return f
}
