package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// flow is the kind of request a step applies to. Chat Completions (envelope
// and OpenAI drop-in), the Responses API and Anthropic Messages are all
// flowChat (or flowStream when streamed): their dialects translate to the
// one chat request before the pipeline.
type flow uint8

const (
	flowInput  flow = 1 << iota // scan and simulate/backtest: the input side only
	flowChat                    // a chat answered whole
	flowStream                  // a chat streamed, scanned chunk by chunk
	flowEmbed                   // embeddings

	flowCalls = flowChat | flowStream | flowEmbed
	flowAll   = flowInput | flowCalls
)

// Step is one stage of the gateway pipeline.
type Step struct {
	// Name is the step's name in the trace (gw.Step*).
	Name string
	// FailMode is the step's declared fail mode: gw.FailClosed when fixed,
	// "" when the policy's fail_modes decide (closed unless opened).
	FailMode string
	// On are the flows the step applies to.
	On flow
	// Always runs the step after a block too (the audit record).
	Always bool
	// Run does the step's work and appends its trace entry; it blocks the
	// request through r.block (or r.failed, r.dependencyDown, r.fail).
	Run func(r *run, ctx context.Context)
}

// pipeline is the gateway's ordered list of steps: one runner (run.run)
// runs it for every endpoint and stops at the first block. A new step is
// one line here (AEGIS's guardrails are evaluated by content_rules, with
// the policy's own content rules, by the one guardrail engine).
var pipeline = []Step{
	{Name: gw.StepAuthenticate, FailMode: gw.FailClosed, On: flowAll, Run: (*run).authenticate},
	{Name: gw.StepTenant, FailMode: gw.FailClosed, On: flowAll, Run: (*run).tenant},
	{Name: gw.StepKillSwitch, On: flowAll, Run: (*run).killSwitch},
	{Name: gw.StepRateBudget, On: flowAll, Run: (*run).rateBudget},
	{Name: gw.StepValidate, On: flowAll, Run: (*run).validate},
	{Name: gw.StepPolicy, FailMode: gw.FailClosed, On: flowAll, Run: (*run).resolvePolicy},
	{Name: gw.StepAllowList, On: flowAll, Run: (*run).allowList},
	{Name: gw.StepInjection, On: flowAll, Run: func(r *run, _ context.Context) { r.injection(time.Now()) }},
	{Name: gw.StepPII, On: flowAll, Run: (*run).piiStep},
	{Name: gw.StepContentRules, On: flowAll, Run: (*run).contentRules},
	{Name: gw.StepCache, On: flowCalls, Run: (*run).cacheLookup},
	{Name: gw.StepProvider, On: flowCalls, Run: (*run).providerCall},
	{Name: gw.StepResponseScan, On: flowCalls, Run: (*run).responseScan},
	{Name: gw.StepAuditAndUsage, FailMode: gw.FailClosed, On: flowCalls, Always: true, Run: (*run).audit},
}

// Pipeline lists the steps' names in order.
func Pipeline() []string {
	out := make([]string, len(pipeline))
	for i, s := range pipeline {
		out[i] = s.Name
	}
	return out
}

// run runs the pipeline's steps that apply to f, in order, until the first
// block; the steps marked Always (the audit record) run after a block too.
// The policy is resolved before the first step, since its fail modes govern
// all of them; the resolve_policy step records it in pipeline order. It
// returns the block, if any.
func (r *run) run(ctx context.Context, f flow) *Blocked {
	r.flow = f
	r.prepare(ctx)
	for i := range pipeline {
		s := &pipeline[i]
		if s.On&f == 0 || (r.blocked != nil && !s.Always) {
			continue
		}
		s.Run(r, ctx)
	}
	return r.blocked
}

// prepare resolves the policy (unless given) and spells the model in its
// canonical form, which every later step (kill switches, budgets' prices,
// allow-lists, the provider's model list) sees. A model that cannot be
// spelled so blocks at validate before any step runs but the first two.
func (r *run) prepare(ctx context.Context) {
	call := r.call
	t := time.Now()
	if !r.fixed {
		r.policy, r.policyErr = r.rt.policyFor(ctx, call.TenantID, call.PolicyID)
	}
	r.policyD = time.Since(t)
	r.sec.PolicyID, r.sec.PolicyVersion = r.policy.id, r.policy.version
	if call.Req.Model != "" {
		m, err := gw.NormaliseModel(call.Req.Model)
		if err != nil {
			r.badModel = true
			return
		}
		call.Req.Model = m
	}
}

func (r *run) authenticate(context.Context) {
	r.trace = append(r.trace, gw.StepTrace{Step: gw.StepAuthenticate, Verdict: "pass", DurationUs: r.started.Sub(r.call.Started).Microseconds(),
		Detail: printable(r.call.Kind), FailMode: gw.FailClosed})
}

func (r *run) tenant(context.Context) {
	r.trace = append(r.trace, gw.StepTrace{Step: gw.StepTenant, Verdict: "pass", Detail: r.call.TenantID, FailMode: gw.FailClosed})
	if r.badModel {
		r.step(gw.StepValidate, time.Now(), "block", 0, "model", "")
		r.block(gw.StepValidate, "VAL-001", "model must be a model id: printable characters, at most 200 of them.")
	}
}

// killSwitch: simulate and backtest judge the policy, not today's
// operational state, so kill switches and budgets are neither consulted nor
// charged (an exceeded budget would otherwise append BudgetExceeded).
func (r *run) killSwitch(context.Context) {
	call, t := r.call, time.Now()
	if r.fixed {
		r.step(gw.StepKillSwitch, t, "skip", 0, "evaluation", "")
		return
	}
	if k := r.rt.killedBy(gw.RequestFacts{TenantID: call.TenantID, Provider: call.Provider, Model: call.Req.Model, PolicyID: r.policy.id, APIKeyID: call.APIKeyID}); k != nil {
		r.step(gw.StepKillSwitch, t, "block", 0, k.Scope.Key(), "")
		r.block(gw.StepKillSwitch, "GW-001", "A kill switch ("+k.Scope.Kind+") stops this traffic: "+k.Reason)
		return
	}
	if r.contained(t) {
		return
	}
	r.step(gw.StepKillSwitch, t, "pass", 0, "", "")
}

func (r *run) rateBudget(ctx context.Context) {
	t := time.Now()
	if r.fixed {
		r.step(gw.StepRateBudget, t, "skip", 0, "evaluation", "")
		return
	}
	b, err := r.checkBudgets(ctx)
	switch {
	case err != nil:
		r.failed(gw.StepRateBudget, t, err)
	case b == nil:
		r.step(gw.StepRateBudget, t, "pass", 0, "", "")
	}
}

func (r *run) validate(context.Context) {
	t := time.Now()
	if msg := validate(r.call.Req); msg != "" {
		r.step(gw.StepValidate, t, "block", 0, msg, "")
		r.block(gw.StepValidate, "GW-005", msg)
		return
	}
	r.step(gw.StepValidate, t, "pass", 0, "", "")
}

func (r *run) resolvePolicy(context.Context) {
	perr := r.policyErr
	r.trace = append(r.trace, gw.StepTrace{Step: gw.StepPolicy, Verdict: "pass", DurationUs: r.policyD.Microseconds(), Detail: r.policy.policy.Name, FailMode: gw.FailClosed})
	if perr == nil {
		return
	}
	r.trace[len(r.trace)-1].Verdict = "block"
	switch {
	case errors.Is(perr, gw.ErrPolicyNotFound):
		r.block(gw.StepPolicy, "GW-006", "No such policy in this tenant.")
	case IsDependencyFailure(perr):
		r.trace = r.trace[:len(r.trace)-1]
		r.dependencyDown(gw.StepPolicy, time.Now().Add(-r.policyD), perr)
	default:
		r.block(gw.StepPolicy, "GW-012", "The policy could not be resolved.")
	}
}

func (r *run) allowList(context.Context) {
	call, p, t := r.call, &r.policy.policy, time.Now()
	if !gw.Allows(p.AllowedProviders, call.Provider) || !gw.ModelIn(p.AllowedModels, call.Req.Model) {
		r.step(gw.StepAllowList, t, "block", 0, call.Provider+"/"+call.Req.Model, "")
		r.block(gw.StepAllowList, "GW-002", "The policy does not allow provider '"+call.Provider+"' with model '"+call.Req.Model+"'.")
		return
	}
	if out := call.Req.OutputLimit(); p.MaxOutputTokens > 0 && out != nil && *out > p.MaxOutputTokens {
		r.step(gw.StepAllowList, t, "block", 0, "max_tokens", "")
		r.block(gw.StepAllowList, "GW-005", fmt.Sprintf("max_tokens exceeds the policy's limit of %d.", p.MaxOutputTokens))
		return
	}
	if p.MaxInputTokens > 0 && providers.PromptTokens(call.Req.Messages) > p.MaxInputTokens {
		r.step(gw.StepAllowList, t, "block", 0, "input_tokens", "")
		r.block(gw.StepAllowList, "GW-005", fmt.Sprintf("The prompt exceeds the policy's limit of %d input tokens.", p.MaxInputTokens))
		return
	}
	r.step(gw.StepAllowList, t, "pass", 0, "", "")
}

// cacheLookup: a streamed answer and embeddings are never cached.
func (r *run) cacheLookup(ctx context.Context) {
	switch r.flow {
	case flowStream:
		r.trace = append(r.trace, gw.StepTrace{Step: gw.StepCache, Verdict: "skip", Detail: "stream", FailMode: r.policy.policy.FailMode(gw.StepCache)})
	case flowEmbed:
		r.trace = append(r.trace, gw.StepTrace{Step: gw.StepCache, Verdict: "skip", FailMode: r.policy.policy.FailMode(gw.StepCache)})
	default:
		r.chatCacheLookup(ctx)
	}
}

func (r *run) providerCall(ctx context.Context) {
	switch r.flow {
	case flowStream:
		r.streamCall(ctx)
	case flowEmbed:
		r.embedCall(ctx)
	default:
		r.chatCall(ctx)
	}
}

// responseScan: a stream's chunks were scanned as they passed (see
// streamCall); vectors hold no text to scan.
func (r *run) responseScan(context.Context) {
	switch r.flow {
	case flowStream:
		r.streamVerdict()
	case flowEmbed:
		r.trace = append(r.trace, gw.StepTrace{Step: gw.StepResponseScan, Verdict: "skip", Detail: "vectors", FailMode: gw.FailClosed})
	default:
		r.scanResponse(r.answer)
	}
}

func (r *run) audit(ctx context.Context) { r.result, r.err = r.finish(ctx) }
