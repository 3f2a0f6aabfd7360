package gateway

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/aegis/guardrail"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// Caller is who sends a request through the gateway.
type Caller struct {
	TenantID string
	Subject  string
	Kind     string // user | api_key
	APIKeyID string
}

// Call is one request through the pipeline.
type Call struct {
	Caller
	Endpoint    string // chat | openai_chat | openai_responses | anthropic_messages | embeddings | scan
	Provider    string
	PolicyID    string
	Req         providers.ChatRequest
	RequestID   string
	Correlation string
	Started     time.Time // when the HTTP request arrived (authenticate and tenant steps are measured from it)
	// Fallbacks, when not nil, replace the policy's fallbacks for this
	// request (an X-Astra-Route header's later targets).
	Fallbacks []gw.Target
}

// fallbacks are the targets tried after the first.
func (r *run) fallbacks() []gw.Target {
	if r.call.Fallbacks != nil {
		return r.call.Fallbacks
	}
	return r.policy.policy.Fallbacks
}

// Security is the verdict the answer carries.
type Security struct {
	InjectionScore    float64  `json:"injection_score"`
	PIIDetected       bool     `json:"pii_detected"`
	PolicyViolations  []string `json:"policy_violations"`
	PipelineLatencyMs float64  `json:"pipeline_latency_ms"`
	Patterns          []string `json:"patterns,omitempty"`
	PIITypes          []string `json:"pii_types,omitempty"`
	Redacted          bool     `json:"redacted"`
	CacheHit          bool     `json:"cache_hit"`
	PolicyID          string   `json:"policy_id,omitempty"`
	PolicyVersion     int      `json:"policy_version"`
	Provider          string   `json:"provider"`
	RequestID         string   `json:"request_id"`
}

// Blocked is a request the pipeline refused; Code is a GW-xxx error code.
type Blocked struct {
	Code    string
	Step    string
	Detail  string
	Headers map[string]string
}

func (b *Blocked) Error() string { return b.Code + ": " + b.Detail }

// Result is the outcome of a call.
type Result struct {
	Response *providers.ChatResponse
	Security Security
	Blocked  *Blocked
}

// run carries one request's state through the steps.
type run struct {
	rt        *Runtime
	call      *Call
	trace     []gw.StepTrace
	sec       Security
	policy    cachedPolicy
	prov      *runtimeProvider
	provName  string
	piiEnts   []PIIEntity
	started   time.Time
	providerD time.Duration
	usage     providers.Usage
	cost      *float64 // nil: the model has no price
	blocked   *Blocked
	cacheKey  string
	cacheOn   bool
	actions   []string
	resp      *providers.ChatResponse
	fixed     bool   // the policy was given (simulate, backtest), not resolved
	prompt    string // the user's words as sent, before any redaction (for the audit trail)
	// promptLog is prompt with every PII entity redacted, computed from the PII
	// step's own findings so that a redacted audit trail costs no second scan.
	promptLog *string
	// completionClean says the response scan already redacted the completion.
	completionClean bool
	// reservation is what the request holds against its budgets until finish settles it.
	reservation *Reservation
	// answeredBy is the model (as its provider spells it) that answered, a fallback's included.
	answeredBy string
	// attempts are the targets that failed, in order; failure is why none
	// answered (the request is recorded as RequestFailed).
	attempts []gw.ProviderAttempt
	failure  *gw.ProviderFailure

	flow      flow                    // which steps apply (see pipeline)
	policyErr error                   // why the policy could not be resolved (recorded by resolve_policy)
	policyD   time.Duration           // how long resolving it took
	badModel  bool                    // the model cannot be spelled canonically (VAL-001)
	answer    *providers.ChatResponse // the provider's (or the cache's) answer, before the response scan
	stream    *streamState            // a streamed call's state (flowStream)
	vectors   *providers.EmbeddingResponse
	result    *Result // what the audit step returns
	err       error
}

func (r *run) step(name string, start time.Time, verdict string, score float64, detail, detector string) {
	r.trace = append(r.trace, gw.StepTrace{Step: name, Verdict: verdict, Score: score, DurationUs: time.Since(start).Microseconds(),
		Detail: printable(detail), Detector: detector, FailMode: r.policy.policy.FailMode(name)})
}

func (r *run) block(step, code, detail string) *Blocked {
	r.blocked = &Blocked{Code: code, Step: step, Detail: detail}
	r.sec.PolicyViolations = append(r.sec.PolicyViolations, step)
	return r.blocked
}

// failed applies a step's fail mode to an internal error: open lets the
// request continue (verdict "error"), closed refuses it.
// A step that fails closed because Postgres or Redis is down answers 503
// SYS-002 with Retry-After: an outage, not a verdict on the request.
func (r *run) failed(step string, start time.Time, err error) *Blocked {
	mode := r.policy.policy.FailMode(step)
	if mode != gw.FailOpen && IsDependencyFailure(err) {
		return r.dependencyDown(step, start, err)
	}
	r.rt.Log.Warn("gateway: step failed", "step", step, "fail_mode", mode, "err", err, "request_id", r.call.RequestID)
	r.step(step, start, "error", 0, "fail "+mode, "")
	if mode == gw.FailOpen {
		return nil
	}
	return r.block(step, "GW-012", "The "+step+" step could not decide and fails closed.")
}

// dependencyDown ends a request because a dependency of the gateway itself
// (Postgres, Redis) is unavailable: 503 SYS-002 with Retry-After, so clients
// retry instead of treating it as a policy block.
func (r *run) dependencyDown(step string, start time.Time, err error) *Blocked {
	r.rt.Log.Warn("gateway: dependency unavailable", "step", step, "err", err, "request_id", r.call.RequestID)
	r.step(step, start, "error", 0, "dependency unavailable", "")
	r.blocked = &Blocked{Code: "SYS-002", Step: step, Detail: "A service the gateway depends on is unavailable; retry shortly.",
		Headers: map[string]string{"Retry-After": RetryAfterSeconds}}
	return r.blocked
}

// Chat runs a chat completion through the pipeline and records it.
func (rt *Runtime) Chat(ctx context.Context, call *Call) (*Result, error) {
	r := rt.newRun(call)
	r.run(ctx, flowChat)
	return r.result, r.err
}

func (rt *Runtime) newRun(call *Call) *run {
	if call.RequestID == "" {
		call.RequestID = uuid.Must(uuid.NewV7()).String()
	}
	now := time.Now()
	if call.Started.IsZero() {
		call.Started = now
	}
	r := &run{rt: rt, call: call, started: now, provName: call.Provider}
	var user []string
	for _, m := range call.Req.Messages {
		if m.Role == "user" {
			user = append(user, m.Content)
		}
	}
	r.prompt = strings.Join(user, "\n\n")
	r.sec.RequestID = call.RequestID
	r.sec.Provider = call.Provider
	r.sec.PolicyViolations = []string{}
	return r
}

// piiStep finds personal data in every text of the request and blocks,
// redacts or records it as the policy says.
func (r *run) piiStep(context.Context) {
	rt, call, p, t := r.rt, r.call, &r.policy.policy, time.Now()
	if p.PII.Enabled {
		found := map[string]bool{}
		logRedacted := p.LogContent == gw.LogRedacted
		var userLog []string
		for i := range call.Req.Messages {
			m := &call.Req.Messages[i]
			var userParts []string
			for _, text := range m.Texts() {
				raw := rt.PII.Find(*text, piiScope(p.PII))
				if logRedacted && m.Role == "user" {
					userParts = append(userParts, rt.PII.Redact(*text, raw))
				}
				ents := filterPII(append([]PIIEntity(nil), raw...), p.PII)
				if len(ents) == 0 {
					continue
				}
				r.piiEnts = append(r.piiEnts, ents...)
				for _, e := range ents {
					found[e.Type] = true
				}
				if p.PII.Action == gw.ActionRedact {
					*text = rt.PII.Redact(*text, ents)
					r.sec.Redacted = true
				}
			}
			m.Sync()
			// An assistant's earlier tool calls carry their arguments as a
			// JSON document: its string values are scanned and redacted in
			// place, so the document stays valid JSON for the provider.
			for j := range m.ToolCalls {
				fc := m.ToolCalls[j].Function
				if fc == nil || fc.Arguments == "" {
					continue
				}
				if args, changed := mapJSONStrings(fc.Arguments, func(text string) string {
					ents := filterPII(rt.PII.Find(text, piiScope(p.PII)), p.PII)
					if len(ents) == 0 {
						return text
					}
					r.piiEnts = append(r.piiEnts, ents...)
					for _, e := range ents {
						found[e.Type] = true
					}
					if p.PII.Action != gw.ActionRedact {
						return text
					}
					r.sec.Redacted = true
					return rt.PII.Redact(text, ents)
				}); changed {
					fc.Arguments = args
				}
			}
			if logRedacted && m.Role == "user" {
				userLog = append(userLog, strings.Join(userParts, "\n"))
			}
		}
		if logRedacted {
			joined := strings.Join(userLog, "\n\n")
			r.promptLog = &joined
		}
		r.sec.PIIDetected = len(found) > 0
		r.sec.PIITypes = sortedKeys(found)
		switch {
		case len(found) > 0 && p.PII.Action == gw.ActionBlock:
			r.step(gw.StepPII, t, "block", 0, strings.Join(r.sec.PIITypes, ","), rt.PII.Version())
			r.block(gw.StepPII, "GW-007", "The prompt contains personal data ("+strings.Join(r.sec.PIITypes, ", ")+") and the policy blocks it.")
		case len(found) > 0 && p.PII.Action == gw.ActionRedact:
			r.step(gw.StepPII, t, "redact", 0, strings.Join(r.sec.PIITypes, ","), rt.PII.Version())
		case len(found) > 0:
			r.step(gw.StepPII, t, "monitor", 0, strings.Join(r.sec.PIITypes, ","), rt.PII.Version())
		default:
			r.step(gw.StepPII, t, "pass", 0, "", rt.PII.Version())
		}
	} else {
		r.step(gw.StepPII, t, "skip", 0, "", "")
	}

}

// contentRules evaluates the policy's content rules and the tenant's AEGIS
// guardrails in scope with the one guardrail engine: the first blocking
// match blocks (GW-008 naming it), redacting ones rewrite the request, and
// alerting ones are recorded; the trace names each match with its id and
// version.
func (r *run) contentRules(ctx context.Context) {
	call, t := r.call, time.Now()
	policy := r.contentSet()
	tenant, err := r.rt.tenantGuardrails(ctx, call.TenantID)
	if err != nil {
		r.failed(gw.StepContentRules, t, err)
		return
	}
	if policy.Len() == 0 && tenant.Len() == 0 {
		r.step(gw.StepContentRules, t, "pass", 0, "", "")
		return
	}
	in := guardrail.Input{APIKeyID: call.APIKeyID, Model: call.Req.Model, Provider: call.Provider,
		Messages: make([]guardrail.Message, len(call.Req.Messages))}
	if a, ok := r.rt.agentOf(call.TenantID, call.APIKeyID); ok {
		in.AgentID = a.id
	}
	for i := range call.Req.Messages {
		m := &call.Req.Messages[i]
		in.Messages[i] = guardrail.Message{Role: m.Role, Texts: m.Texts()}
		for _, tc := range m.ToolCalls {
			if tc.Function != nil {
				in.Tools = append(in.Tools, tc.Function.Name)
			}
		}
	}
	for _, tool := range call.Req.Tools {
		if tool.Function != nil {
			in.Tools = append(in.Tools, tool.Function.Name)
		}
	}
	v := guardrail.Evaluate(&in, policy, tenant)
	if v.Outcome == guardrail.OutcomeRedact {
		for i := range call.Req.Messages {
			call.Req.Messages[i].Sync()
		}
	}
	verdict := map[string]string{guardrail.OutcomePass: "pass", guardrail.OutcomeAlert: "monitor", guardrail.OutcomeRedact: "redact",
		guardrail.OutcomeBlock: "block"}[v.Outcome]
	detail := ""
	if b := v.Blocked; b != nil {
		detail = b.Name
	}
	r.step(gw.StepContentRules, t, verdict, 0, detail, "")
	r.trace[len(r.trace)-1].Guardrails = v.Hits
	if b := v.Blocked; b != nil {
		if b.Origin == guardrail.OriginContentRule {
			r.block(gw.StepContentRules, "GW-008", "The prompt matches the content rule '"+b.Name+"'.")
			return
		}
		r.block(gw.StepContentRules, "GW-008", fmt.Sprintf("The request violates the guardrail '%s' (id %s, version %d): %s.", b.Name, b.GuardrailID, b.Version, b.Detail))
	}
}

// injectionDetail is the block answer's detail, naming the parts of the
// request that reached their threshold.
func injectionDetail(patterns, parts []string) string {
	in := strings.Join(parts, ", ")
	if len(patterns) == 0 {
		return "The input (" + in + ") scored above the injection threshold. Request blocked by gateway policy."
	}
	return fmt.Sprintf("The input (%s) matched %d injection pattern(s): %s. Request blocked by gateway policy.",
		in, len(patterns), strings.Join(patterns, ", "))
}

func filterPII(ents []PIIEntity, rule gw.PIIRule) []PIIEntity {
	out := ents[:0]
	for _, e := range ents {
		if e.Score < rule.MinScore {
			continue
		}
		if len(rule.Types) > 0 && !contains(rule.Types, e.Type) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// validate checks the request's shape beyond JSON binding.
func validate(req providers.ChatRequest) string {
	if req.Model == "" {
		return "model is required."
	}
	if len(req.Messages) == 0 {
		return "messages must not be empty."
	}
	if len(req.Messages) > 1000 {
		return "at most 1000 messages."
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return fmt.Sprintf("messages[%d].role must be system, developer, user, assistant or tool.", i)
		}
	}
	if req.MaxTokens != nil && (*req.MaxTokens < 1 || *req.MaxTokens > 1_000_000) {
		return "max_tokens must be between 1 and 1000000."
	}
	if req.MaxCompletionTokens != nil && (*req.MaxCompletionTokens < 1 || *req.MaxCompletionTokens > 1_000_000) {
		return "max_completion_tokens must be between 1 and 1000000."
	}
	if req.Stream && req.N != nil && *req.N > 1 {
		return "n greater than 1 cannot be streamed through the gateway (its stream scan follows one choice); stream with n=1 or do not stream."
	}
	if req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 2) {
		return "temperature must be between 0 and 2."
	}
	return ""
}

// Problem codes of the pipeline with their HTTP status.
var codeStatus = map[string]int{
	"VAL-001": 400, "SYS-002": 503, "GW-020": 404,
	"GW-001": 503, "GW-002": 403, "GW-003": 422, "GW-004": 429, "GW-005": 422, "GW-006": 404,
	"GW-007": 422, "GW-008": 422, "GW-009": 502, "GW-010": 404, "GW-011": 422, "GW-012": 503,
	"GW-030": 504, "GW-031": 503, "GW-032": 400, CodeRouteRefused: 403, CodeNoProvider: 404,
	CodeAgentQuarantined: 403, CodeAgentKilled: 403,
}

// Codes of routing: a policy that refuses the X-Astra-Route header, and a
// tenant with no provider that turned the built-in mock off.
const (
	CodeRouteRefused = "GW-040"
	CodeNoProvider   = "GW-041"
)

// StatusOf is the HTTP status of a pipeline code.
func StatusOf(code string) int {
	if s, ok := codeStatus[code]; ok {
		return s
	}
	return 500
}
