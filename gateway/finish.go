package gateway

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/admin"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway/providers"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// budgetsOf lists the budgets that apply to a caller (cached per tenant): the
// tenant's, the user's — for an API key, the budgets of the user who owns it
// bind it too — and the API key's.
func (rt *Runtime) budgetsOf(ctx context.Context, c Caller) ([]rmgw.Budget, error) {
	rt.mu.RLock()
	all, ok := rt.budgetCache[c.TenantID]
	rt.mu.RUnlock()
	if !ok {
		loaded, err := rt.Queries.Budgets(ctx, c.TenantID)
		if err != nil {
			return nil, dependency("budgets", err)
		}
		all = make([]rmgw.Budget, len(loaded))
		for i, b := range loaded {
			b.Subject = canonicalSubject(b.Subject)
			all[i] = b
		}
		rt.mu.Lock()
		if rt.budgetCache == nil {
			rt.budgetCache = map[string][]rmgw.Budget{}
		}
		rt.budgetCache[c.TenantID] = all
		rt.mu.Unlock()
	}
	var out []rmgw.Budget
	user, userKnown := "", false
	for _, b := range all {
		switch {
		case b.Subject == "tenant":
			out = append(out, b)
		case strings.HasPrefix(b.Subject, "user:"):
			if !userKnown {
				var err error
				if user, err = rt.principalUser(ctx, c); err != nil {
					return nil, err
				}
				userKnown = true
			}
			if user != "" && b.Subject == "user:"+user {
				out = append(out, b)
			}
		case c.APIKeyID != "" && b.Subject == "api_key:"+strings.ToLower(c.APIKeyID):
			out = append(out, b)
		}
	}
	return out, nil
}

// canonicalSubject spells a budget subject's id as a canonical (lower-case)
// UUID, the way principals carry it.
func canonicalSubject(s string) string {
	kind, id, ok := strings.Cut(s, ":")
	if !ok {
		return s
	}
	if u, err := uuid.Parse(strings.TrimSpace(id)); err == nil {
		return kind + ":" + u.String()
	}
	return s
}

// principalUser is the user a caller acts for: the user, or the owner of the
// API key (resolved once per key and kept: a key's owner never changes).
func (rt *Runtime) principalUser(ctx context.Context, c Caller) (string, error) {
	if c.Kind != "api_key" {
		return strings.ToLower(c.Subject), nil
	}
	if c.APIKeyID == "" || rt.KeyOwner == nil {
		return "", nil
	}
	rt.mu.RLock()
	owner, ok := rt.keyOwners[c.APIKeyID]
	rt.mu.RUnlock()
	if ok {
		return owner, nil
	}
	owner, err := rt.KeyOwner(ctx, c.TenantID, c.APIKeyID)
	if err != nil {
		return "", dependency("api key owner", err)
	}
	owner = strings.ToLower(owner)
	rt.mu.Lock()
	if rt.keyOwners == nil || len(rt.keyOwners) > 100_000 {
		rt.keyOwners = map[string]string{}
	}
	rt.keyOwners[c.APIKeyID] = owner
	rt.mu.Unlock()
	return owner, nil
}

// DefaultCompletionEstimate is the completion a request that names no
// max_tokens (and whose policy sets no output limit) reserves against its
// budgets before the provider answers.
const DefaultCompletionEstimate = 256

// estimate is what a request reserves against its budgets: its prompt tokens
// and the completion it may produce (max_tokens, else the policy's output
// limit, else DefaultCompletionEstimate), priced at the tenant's price of
// the model (else the default); priced is false when the model has neither.
// A scan calls no provider and reserves nothing; embeddings have no completion.
func (r *run) estimate(ctx context.Context) (tokens int64, cost float64, priced bool) {
	call := r.call
	if call.Endpoint == "scan" {
		return 0, 0, true
	}
	u := providers.Usage{PromptTokens: providers.PromptTokens(call.Req.Messages)}
	switch {
	case call.Endpoint == "openai_embeddings" || call.Endpoint == "embeddings":
	case call.Req.OutputLimit() != nil:
		u.CompletionTokens = *call.Req.OutputLimit()
	case r.policy.policy.MaxOutputTokens > 0:
		u.CompletionTokens = r.policy.policy.MaxOutputTokens
	default:
		u.CompletionTokens = DefaultCompletionEstimate
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	c := r.rt.costOf(ctx, call.TenantID, call.Req.Model, u)
	if c == nil {
		return int64(u.TotalTokens), 0, false
	}
	return int64(u.TotalTokens), *c, true
}

// checkBudgets reserves the request's estimate against every budget that
// applies, atomically: an enforced budget without room for it refuses the
// request (GW-004); an alerting one is recorded as exceeded.
func (r *run) checkBudgets(ctx context.Context) (*Blocked, error) {
	if r.rt.Budgets == nil {
		return nil, nil
	}
	bs, err := r.rt.budgetsOf(ctx, r.call.Caller)
	if err != nil || len(bs) == 0 {
		return nil, err
	}
	now := r.rt.Now()
	limits := make([]BudgetLimit, len(bs))
	byID := make(map[string]rmgw.Budget, len(bs))
	for i, b := range bs {
		limits[i] = BudgetLimit{ID: b.ID, Period: b.Period, MaxTokens: b.MaxTokens, MaxCost: b.MaxCostUSD,
			Enforce: b.Action == gw.ActionBlock || b.Action == ""}
		byID[b.ID] = b
	}
	tokens, cost, priced := r.estimate(ctx)
	if !priced {
		// A cost budget cannot be held for a model of unknown price: an
		// enforced one refuses the request rather than count it as free.
		for _, l := range limits {
			if l.MaxCost > 0 && l.Enforce {
				b := byID[l.ID]
				r.sec.PolicyViolations = append(r.sec.PolicyViolations, "budget:"+b.ID)
				r.step(gw.StepRateBudget, time.Now(), "block", 0, "budget "+b.ID+": no price for "+r.call.Req.Model, "")
				return r.block(gw.StepRateBudget, "GW-004", "The "+periodly(b.Period)+" cost budget for "+b.Subject+" cannot be held: the model '"+
					r.call.Req.Model+"' has no price (set one with PUT /api/v1/gateway/prices)."), nil
			}
		}
	}
	res, refused, over, err := r.rt.Budgets.Reserve(ctx, limits, tokens, cost, now)
	if err != nil {
		return nil, dependency("budgets", err)
	}
	for _, l := range over {
		r.sec.PolicyViolations = append(r.sec.PolicyViolations, "budget:"+l.ID)
		r.rt.recordBudgetExceeded(ctx, r.call, byID[l.ID], now)
	}
	if refused != nil {
		b := byID[refused.ID]
		r.sec.PolicyViolations = append(r.sec.PolicyViolations, "budget:"+b.ID)
		r.rt.recordBudgetExceeded(ctx, r.call, b, now)
		r.step(gw.StepRateBudget, time.Now(), "block", 0, "budget "+b.ID, "")
		return r.block(gw.StepRateBudget, "GW-004", "The "+periodly(b.Period)+" budget for "+b.Subject+" has no room for this request."), nil
	}
	r.reservation = res
	return nil, nil
}

// settle releases the request's budget reservation and charges what it
// actually used (nothing when it was blocked, failed or answered from the
// cache). It runs even when the client has gone away.
func (r *run) settle(ctx context.Context, tokens int64, cost float64) {
	if r.reservation == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.rt.Budgets.Settle(ctx, r.reservation, tokens, cost); err != nil {
		r.rt.Log.Warn("gateway: budget settlement", "err", err, "request_id", r.call.RequestID)
	}
	r.reservation = nil
}

// periodly names a budget period as an adjective ("day" → "daily").
func periodly(period string) string {
	if period == "day" {
		return "daily"
	}
	return period + "ly"
}

// recordBudgetExceeded appends BudgetExceeded once per budget and window (the
// stream version check makes concurrent instances agree on one event; this
// instance remembers which it recorded, so refused requests cost no append).
func (rt *Runtime) recordBudgetExceeded(ctx context.Context, call *Call, b rmgw.Budget, now time.Time) {
	window, _ := Window(b.Period, now)
	seen := b.ID + "/" + window
	if _, dup := rt.exceeded.LoadOrStore(seen, true); dup {
		return
	}
	tokens, cost, _ := rt.Budgets.Usage(ctx, b.ID, b.Period, now)
	_, err := rt.Store.Append(ctx, eventstore.Metadata{TenantID: call.TenantID, Actor: call.Subject, CorrelationID: call.Correlation},
		eventstore.StreamAppend{StreamID: "gateway.budget-exceeded-" + b.ID + "-" + window, Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: gw.BudgetExceeded, Subject: b.ID, Data: &gw.BudgetExceededV1{BudgetID: b.ID,
				Subject: b.Subject, Period: b.Period, Window: window, Tokens: tokens, CostUSD: cost}}}})
	if err != nil && IsDependencyFailure(err) {
		rt.exceeded.Delete(seen) // not recorded: try again with the next request
	}
}

// chatCacheLookup looks the request up in the response cache (when the
// policy and the tenant turn it on, and the gateway-response-cache flag
// does not turn it off for the tenant and caller); a hit is the answer the
// provider step then skips calling for.
func (r *run) chatCacheLookup(ctx context.Context) {
	rt, call, p := r.rt, r.call, &r.policy.policy
	t := time.Now()
	r.cacheOn = false
	gated := rt.FeatureOn != nil && !rt.FeatureOn(admin.FlagGatewayResponseCache, call.TenantID, call.Subject)
	if p.Cache && rt.Cache != nil && !call.Req.Stream && !gated {
		cfg := rt.cacheConfig(ctx, call.TenantID)
		r.cacheOn = cfg.Enabled
		if r.cacheOn {
			r.cacheKey = CacheKey(call.TenantID, r.policy.id, r.policy.version, call.Provider, call.Req)
			if resp, ok := rt.Cache.Get(call.TenantID, r.cacheKey, rt.Now()); ok {
				r.step(gw.StepCache, t, "hit", 0, r.cacheKey[:12], "")
				r.sec.CacheHit = true
				r.answer = resp
				return
			}
			r.step(gw.StepCache, t, "miss", 0, "", "")
		}
	}
	if !r.cacheOn {
		r.step(gw.StepCache, t, "skip", 0, "", "")
	}
}

// chatCall calls the provider, then the policy's fallbacks in order, until
// one answers (a cache hit calls none).
func (r *run) chatCall(ctx context.Context) {
	rt, call, p := r.rt, r.call, &r.policy.policy
	if r.sec.CacheHit {
		r.trace = append(r.trace, gw.StepTrace{Step: gw.StepProvider, Verdict: "skip", Detail: "cache hit", FailMode: p.FailMode(gw.StepProvider)})
		r.usage = r.answer.Usage
		return
	}
	t := time.Now()
	targets := append([]gw.Target{{Provider: call.Provider, Model: call.Req.Model}}, r.fallbacks()...)
	var resp *providers.ChatResponse
	var lastErr error
	for i, tg := range targets {
		prov, model, err := r.target(ctx, i, tg)
		if errors.Is(err, errSkipped) {
			continue
		}
		if err != nil {
			lastErr = err
			if stopsCall(err) {
				break
			}
			continue
		}
		req := call.Req
		req.Model = model
		if lastErr = r.inject(ctx, prov, model); lastErr == nil {
			resp, lastErr = prov.p.Chat(ctx, req)
		}
		r.tried(prov, model, lastErr)
		if lastErr == nil {
			r.prov, r.provName, r.sec.Provider = prov, prov.name, prov.name
			r.answeredBy = model
			if i > 0 {
				r.actions = append(r.actions, "fallback:"+tg.Provider+"/"+tg.Model)
			}
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.providerD = time.Since(t)
	if resp == nil {
		r.providerFailed(t, lastErr)
		return
	}
	r.step(gw.StepProvider, t, "pass", 0, r.provName+"/"+resp.Model, "")
	r.usage = resp.Usage
	if r.cacheOn {
		cfg := rt.cacheConfig(ctx, call.TenantID)
		rt.Cache.Put(call.TenantID, r.cacheKey, resp, time.Duration(cfg.TTLSeconds)*time.Second, cfg.MaxEntries, rt.Now())
	}
	r.answer = resp
}

// modelNotOfferedError is a model the addressed provider does not offer.
type modelNotOfferedError struct{ provider, model string }

func (e *modelNotOfferedError) Error() string {
	return "provider " + e.provider + " does not offer model " + e.model
}

// stopsCall reports a primary target's error that no fallback may get
// around: a model the provider does not offer, and a dependency outage.
func stopsCall(err error) bool {
	var mno *modelNotOfferedError
	return errors.As(err, &mno) || IsDependencyFailure(err)
}

// target resolves target i of a call (0: the one addressed, then the
// policy's fallbacks): the provider, the model as the provider spells it, or
// why the target cannot be used. The model is matched normalised against the
// provider's declared list, and kill switches against the resolved provider
// (by name and id) and the normalised model.
func (r *run) target(ctx context.Context, i int, tg gw.Target) (*runtimeProvider, string, error) {
	rt, call, p := r.rt, r.call, &r.policy.policy
	model, err := gw.NormaliseModel(tg.Model)
	if err != nil {
		return nil, "", &modelNotOfferedError{provider: tg.Provider, model: tg.Model}
	}
	if i > 0 && (!gw.Allows(p.AllowedProviders, tg.Provider) || !gw.ModelIn(p.AllowedModels, model)) {
		return nil, "", errSkipped
	}
	prov, err := rt.provider(ctx, call.TenantID, tg.Provider)
	if err != nil {
		return nil, "", err
	}
	resolved, ok := prov.resolveModel(model)
	if !ok {
		if i > 0 {
			return nil, "", errSkipped
		}
		return nil, "", &modelNotOfferedError{provider: prov.name, model: model}
	}
	if k := rt.killedTarget(call, prov, model, r.policy.id); k != nil {
		return nil, "", &killedError{k}
	}
	return prov, resolved, nil
}

// errSkipped is a fallback the policy or the provider's model list rules out.
var errSkipped = errors.New("gateway: fallback not applicable")

// providerFailed ends a call none of whose targets answered: the kill switch
// that stopped it (GW-001), a model the provider does not offer (GW-020), an
// outage of the gateway's own dependencies (SYS-002), an unknown provider
// (GW-010) or the provider's failure (RequestFailed: see fail).
func (r *run) providerFailed(t time.Time, err error) {
	call := r.call
	if r.blockKilled(t, err) {
		return
	}
	var mno *modelNotOfferedError
	var ue *providers.UnsupportedError
	switch {
	case errors.As(err, &ue):
		r.step(gw.StepProvider, t, "block", 0, "unsupported field "+ue.Field, "")
		r.block(gw.StepProvider, "VAL-001", "The request cannot be sent as it is: "+ue.Error()+".")
		return
	case errors.As(err, &mno):
		r.step(gw.StepProvider, t, "block", 0, "model not offered", "")
		r.block(gw.StepProvider, "GW-020", "The provider '"+mno.provider+"' does not offer the model '"+mno.model+"'.")
		return
	case IsDependencyFailure(err):
		r.dependencyDown(gw.StepProvider, t, err)
		return
	}
	if errors.Is(err, ErrMockOff) {
		r.step(gw.StepProvider, t, "block", 0, "mock off", "")
		r.block(gw.StepProvider, CodeNoProvider, (&NoProviderError{Model: call.Req.Model}).Error())
		return
	}
	r.step(gw.StepProvider, t, "error", 0, providerDetail(err), "")
	if errors.Is(err, gw.ErrProviderNotFound) {
		r.block(gw.StepProvider, "GW-010", "No enabled provider named '"+call.Provider+"' in this tenant.")
		return
	}
	r.fail(err, "The provider failed: "+providerDetail(err))
}

// blockKilled ends a call whose every target a kill switch stops (the
// provider addressed by id, or only killed fallbacks left): GW-001.
func (r *run) blockKilled(t time.Time, err error) bool {
	var ke *killedError
	if !errors.As(err, &ke) {
		return false
	}
	r.step(gw.StepProvider, t, "block", 0, ke.k.Scope.Key(), "")
	r.block(gw.StepKillSwitch, "GW-001", "A kill switch ("+ke.k.Scope.Kind+") stops this traffic: "+ke.k.Reason)
	return true
}

func providerDetail(err error) string {
	var pe *providers.Error
	if errors.As(err, &pe) {
		if pe.Status > 0 {
			return pe.Provider + " answered " + strconv.Itoa(pe.Status) + " (" + pe.Message + ")"
		}
		return pe.Provider + ": " + pe.Message
	}
	if err == nil {
		return "no provider"
	}
	return "unavailable"
}

// scanResponse checks the completion for PII and canaries.
func (r *run) scanResponse(resp *providers.ChatResponse) {
	p := &r.policy.policy
	t := time.Now()
	if !p.ResponseScan.Enabled {
		r.step(gw.StepResponseScan, t, "skip", 0, "", "")
		r.setResponse(resp)
		return
	}
	verdict := "pass"
	for i := range resp.Choices {
		c := &resp.Choices[i].Message.Content
		for _, canary := range p.ResponseScan.Canaries {
			if canary != "" && strings.Contains(*c, canary) {
				r.step(gw.StepResponseScan, t, "block", 0, "canary", "")
				r.block(gw.StepResponseScan, "GW-011", "The completion contained a canary token and was withheld.")
				return
			}
		}
		if p.ResponseScan.PIIAction == gw.ActionAllow {
			continue
		}
		ents := filterPII(r.rt.PII.Find(*c, piiScope(p.PII)), gw.PIIRule{MinScore: p.PII.MinScore, Types: p.PII.Types})
		if len(ents) == 0 {
			continue
		}
		if p.ResponseScan.PIIAction == gw.ActionBlock {
			r.step(gw.StepResponseScan, t, "block", 0, "pii", r.rt.PII.Version())
			r.block(gw.StepResponseScan, "GW-011", "The completion contained personal data and was withheld.")
			return
		}
		*c = r.rt.PII.Redact(*c, ents)
		verdict = "redact"
		r.actions = append(r.actions, "response_redacted")
	}
	r.step(gw.StepResponseScan, t, verdict, 0, "", r.rt.PII.Version())
	// With every type redacted at the detector's own minimum, the completion
	// is already what a redacted audit trail would keep.
	r.completionClean = p.ResponseScan.PIIAction == gw.ActionRedact && len(p.PII.Types) == 0 && p.PII.MinScore <= 0.5
	r.setResponse(resp)
}

func (r *run) setResponse(resp *providers.ChatResponse) { r.resp = resp }

func (rt *Runtime) cacheConfig(ctx context.Context, tenantID string) rmgw.CacheConfig {
	rt.mu.RLock()
	c, ok := rt.cacheCfg[tenantID]
	rt.mu.RUnlock()
	if ok {
		return c
	}
	c, err := rt.Queries.CacheConfigOf(ctx, tenantID)
	if err != nil {
		return rmgw.CacheConfig{}
	}
	rt.mu.Lock()
	rt.cacheCfg[tenantID] = c
	rt.mu.Unlock()
	return c
}

// finish accounts usage and records the request (completed, blocked or failed).
func (r *run) finish(ctx context.Context) (*Result, error) {
	rt, call := r.rt, r.call
	if ctx.Err() != nil && r.faulted() {
		// A chaos probe whose caller gave up (no answer, a timeout, a dropped
		// connection) is still recorded, as abandoned: the experiment counts
		// it as failed instead of never hearing of it.
		r.actions = append(r.actions, ActionAbandoned)
		detached, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		ctx = detached
	}
	t := time.Now()
	zero := 0.0
	r.cost = &zero // no tokens used: nothing to pay
	if r.usage.TotalTokens > 0 {
		// Priced as the model that answered: a fallback to a dearer model
		// is charged at its own price; one with no price is unknown (nil).
		priced := call.Req.Model
		if r.answeredBy != "" {
			if m, err := gw.NormaliseModel(r.answeredBy); err == nil {
				priced = m
			}
		}
		r.cost = rt.costOf(ctx, call.TenantID, priced, r.usage)
	}
	if r.sec.CacheHit {
		r.settle(ctx, 0, 0) // a cached answer costs the provider nothing
	} else {
		spent := 0.0 // unknown: the budget counts the tokens (an enforced cost budget refused the request up front)
		if r.cost != nil {
			spent = *r.cost
		}
		r.settle(ctx, int64(r.usage.TotalTokens), spent)
	}
	r.sec.PipelineLatencyMs = round3(float64(time.Since(r.started)-r.providerD) / 1e6)
	rec := r.record()
	rec.Steps = append(rec.Steps, gw.StepTrace{Step: gw.StepAuditAndUsage, Verdict: "pass", DurationUs: time.Since(t).Microseconds(), FailMode: gw.FailClosed})
	completion := ""
	if r.resp != nil && len(r.resp.Choices) > 0 {
		completion = CompletionText(r.resp.Choices[0].Message)
	}
	if err := rt.seal(ctx, call.TenantID, &rec, r.policy.policy, r.prompt, r.promptLog, completion, r.completionClean); err != nil {
		return nil, dependency("audit", err)
	}
	typ := gw.RequestCompleted
	switch {
	case r.failure != nil:
		typ = gw.RequestFailed
	case r.blocked != nil:
		typ = gw.RequestBlocked
	}
	// The record is kept before the answer leaves (an answer that cannot be
	// recorded is not given): by default in the instance's journal, shipped
	// to the ledger right after (decision 0031); relaxed or synchronous in
	// the ledger itself as configured (decision 0007). See AuditMode.
	meta := eventstore.Metadata{TenantID: call.TenantID, Actor: call.Subject, CorrelationID: call.Correlation}
	var err error
	switch {
	case rt.AuditMode == AuditJournal && rt.Journal != nil:
		if err = rt.Journal.Write(ctx, meta, call.RequestID, typ, &rec); err != nil {
			// The journal's disk, or a ledger away past the grace: the
			// gateway's own dependency, answered 503.
			err = &DependencyError{Op: "audit", Err: err}
		}
	default:
		appendRecord := rt.Store.AppendRelaxed
		if rt.AuditMode == AuditSync {
			appendRecord = rt.Store.Append
		}
		_, err = appendRecord(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfRequest(call.RequestID), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: typ, Subject: call.RequestID, Data: &rec}}})
	}
	r.observe(ctx, &rec)
	if err != nil {
		// The audit step fails closed: an answer that cannot be recorded is not given.
		return nil, dependency("audit", err)
	}
	res := &Result{Security: r.sec, Blocked: r.blocked}
	if r.blocked == nil {
		res.Response = r.resp
	}
	return res, nil
}

// CompletionText is what the audit trail keeps of an answer: its text, then
// each tool call on a line of its own as "tool_call <id> <name>(<arguments>)".
func CompletionText(m providers.Message) string {
	if len(m.ToolCalls) == 0 {
		return m.Content
	}
	var b strings.Builder
	b.WriteString(m.Content)
	for _, tc := range m.ToolCalls {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		name, args := "", ""
		if tc.Function != nil {
			name, args = tc.Function.Name, tc.Function.Arguments
		}
		b.WriteString("tool_call " + tc.ID + " " + name + "(" + args + ")")
	}
	return b.String()
}

// printable is s with control characters and invalid UTF-8 replaced by
// U+FFFD: a provider or model name as the caller sent it is recorded, but a
// NUL byte (which Postgres text cannot hold) must not stop the read model.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			return strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return unicode.ReplacementChar
				}
				return r
			}, strings.ToValidUTF8(s, "\uFFFD"))
		}
	}
	return s
}

func (r *run) record() gw.RequestRecordedV1 {
	call := r.call
	rec := gw.RequestRecordedV1{RequestID: call.RequestID, TenantID: call.TenantID, Principal: call.Subject, PrincipalKind: call.Kind,
		Endpoint: call.Endpoint, Provider: printable(r.provName), Model: printable(call.Req.Model), PolicyID: r.policy.id, PolicyVersion: r.policy.version,
		Stream: call.Req.Stream, Status: 200, Injection: r.sec.InjectionScore, Patterns: r.sec.Patterns, PIITypes: r.sec.PIITypes,
		Violations: r.sec.PolicyViolations, Usage: gw.Usage{PromptTokens: r.usage.PromptTokens, CompletionTokens: r.usage.CompletionTokens, TotalTokens: r.usage.TotalTokens}, CostUSD: r.cost, CacheHit: r.sec.CacheHit,
		LatencyMs: round3(float64(time.Since(r.call.Started)) / 1e6), PipelineMs: r.sec.PipelineLatencyMs,
		ProviderMs: round3(float64(r.providerD) / 1e6), Steps: r.trace, StreamActions: r.actions}
	switch {
	case r.failure != nil:
		rec.ErrorCode, rec.Status, rec.Failure = r.blocked.Code, StatusOf(r.blocked.Code), r.failure
	case r.blocked != nil:
		rec.Blocked, rec.BlockedBy, rec.ErrorCode = true, r.blocked.Step, r.blocked.Code
		rec.Status = StatusOf(r.blocked.Code)
	}
	return rec
}

// seal keeps prompt and completion as the policy says, sealed under the
// tenant's monthly content key (so a retention rule can erase a month).
// promptLog and completionClean carry what the pipeline already redacted, so
// that a redacted audit trail does not scan the same text twice.
func (rt *Runtime) seal(ctx context.Context, tenantID string, rec *gw.RequestRecordedV1, p gw.Policy, prompt string, promptLog *string,
	completion string, completionClean bool) error {
	rec.ContentMode = p.LogContent
	if p.LogContent == gw.LogNone || p.LogContent == "" {
		rec.ContentMode = gw.LogNone
		return nil
	}
	if p.LogContent == gw.LogRedacted {
		if promptLog != nil {
			prompt = *promptLog
		} else {
			prompt = rt.PII.Redact(prompt, rt.PII.Find(prompt, piiScope(p.PII)))
		}
		if !completionClean {
			completion = rt.PII.Redact(completion, rt.PII.Find(completion, piiScope(p.PII)))
		}
	}
	subject := ContentSubject(tenantID, rt.Now())
	var err error
	if prompt != "" {
		if rec.Prompt, err = rt.Keys.Seal(ctx, tenantID, subject, prompt); err != nil {
			return err
		}
	}
	if completion != "" {
		if rec.Completion, err = rt.Keys.Seal(ctx, tenantID, subject, completion); err != nil {
			return err
		}
	}
	rec.ContentKey = subject
	return nil
}

// ContentSubject names a tenant's monthly content key (gw.ContentSubject).
func ContentSubject(tenantID string, now time.Time) string { return gw.ContentSubject(tenantID, now) }
