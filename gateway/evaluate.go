package gateway

import (
	"context"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// Evaluation is what a policy would decide about one prompt.
type Evaluation struct {
	Security Security
	Blocked  *Blocked
	Trace    []gw.StepTrace
}

// Evaluate runs the input side of the pipeline with a given policy (a stored
// version or a draft) and records nothing: simulate and backtest use it.
// Tools (may be nil) are the request's tool definitions, scanned like a
// chat's.
func (rt *Runtime) Evaluate(ctx context.Context, caller Caller, policyID string, version int, p gw.Policy, provider, model string, msgs []providers.Message, tools []providers.Tool) Evaluation {
	call := &Call{Caller: caller, Endpoint: "simulate", Provider: provider, PolicyID: policyID,
		Req: providers.ChatRequest{Model: model, Messages: append([]providers.Message(nil), msgs...), Tools: tools}}
	r := rt.newRun(call)
	r.policy, r.fixed = cachedPolicy{id: policyID, version: version, policy: p, rules: &contentRules{}}, true
	b := r.run(ctx, flowInput)
	return Evaluation{Security: r.sec, Blocked: b, Trace: r.trace}
}
