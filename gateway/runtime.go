// Package gateway is the AI gateway's runtime: the 14-step security pipeline
// that every chat completion, embedding and scan goes through, with the live
// state it needs (policies, providers, kill switches, cache, budgets) cached
// per instance and brought up to date on every instance by its reactor
// (React), which the gateway's events reach on the instance that commits
// them before the write answers, and on every other one from the log.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/gateway/telemetry"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// Runtime executes the pipeline.
type Runtime struct {
	Store     *eventstore.Store
	Keys      *eventstore.Keyring
	Queries   *rmgw.Queries
	Injection InjectionDetector
	PII       PIIDetector
	Log       *slog.Logger
	// Outbound is the HTTP client providers use (SSRF-guarded by the caller).
	Outbound *http.Client
	// Budgets counts usage against budgets (shared across instances when Redis is configured).
	Budgets *Budgets
	// Cache is the exact-match response cache.
	Cache *Cache
	// DefaultMockLatency is the built-in mock provider's latency.
	DefaultMockLatency time.Duration
	// AuditMode is how a request record is kept before the answer leaves.
	AuditMode AuditMode
	// Journal keeps request records in AuditJournal mode.
	Journal *Journal
	// Now is the clock (tests inject one).
	Now func() time.Time
	// Families and PIITypes name what the detectors find (for the catalogue).
	Families []string
	PIITypes []string
	// KeyOwner finds the user who owns an API key of a tenant ("" when none),
	// so that a user's budgets bind the keys they own.
	KeyOwner func(ctx context.Context, tenantID, keyID string) (string, error)
	// AwaitReadModel waits until the gateway's read model applied an event
	// (bounded); React then drops what a request may have loaded from the
	// read model before it did. Nil: no second invalidation.
	AwaitReadModel func(ctx context.Context, e *eventstore.Event) error
	// Tracing exports requests as OpenTelemetry traces; nil: tracing off.
	Tracing *telemetry.Tracing
	// FeatureOn gates the product's optional features by feature flag (key,
	// tenant, caller; see admin.ProductFlags); nil: every feature on.
	FeatureOn func(key, tenantID, targetingKey string) bool
	// Aegis reads AEGIS's agents and guardrails; nil: the gateway knows
	// no agents and evaluates the policies' content rules only.
	Aegis *rmaegis.Queries

	// aegis holds the agents' containment and the tenants' compiled guardrails.
	aegis aegisState
	// chaos holds the running chaos experiments (Resilience) whose faults
	// the provider calls get.
	chaos chaosState

	mu        sync.RWMutex
	policies  map[string]cachedPolicy     // tenant/id
	providers map[string]*runtimeProvider // tenant/name-or-id
	switches  []rmgw.KillSwitch           // active ones, every tenant
	// switchChanges are the kill switch changes learnt from events, which
	// the read model may not show yet (see RefreshSwitches).
	switchChanges map[string]switchChange
	detectors     map[string]rmgw.DetectorSetting // tenant/detector
	detLoaded     map[string]bool
	cacheCfg      map[string]rmgw.CacheConfig
	// budgetCache holds each tenant's budgets.
	budgetCache map[string][]rmgw.Budget
	// modelCache holds each tenant's model list (ModelsFor).
	modelCache map[string][]Model
	// routeCache holds each tenant's providers and models as Resolve routes by them.
	routeCache map[string]tenantRoutes
	// priceCache holds each tenant's own model prices.
	priceCache map[string][]gw.Price
	// keyOwners holds the owner of each API key seen.
	keyOwners map[string]string
	// exceeded remembers the budget windows whose BudgetExceeded this instance recorded.
	exceeded sync.Map
}

type cachedPolicy struct {
	id      string
	version int
	policy  gw.Policy
	// rules are its content rules compiled into the guardrail engine (on first use).
	rules *contentRules
}

type runtimeProvider struct {
	id, name, kind string
	models         []string
	allowAny       bool // the provider takes any model, not only its declared list
	p              *providers.Resilient
}

// resolveModel is the provider's own spelling of a normalised model id: the
// declared model it names (declared ids are matched normalised too), or the
// id itself when the provider takes any model; ok is false when the provider
// does not offer it.
func (p *runtimeProvider) resolveModel(model string) (string, bool) {
	if p.allowAny {
		return model, true
	}
	for _, m := range p.models {
		if m == "*" {
			return model, true
		}
		if strings.HasSuffix(m, "*") {
			if gw.ModelIn([]string{m}, model) {
				return model, true
			}
			continue
		}
		if n, err := gw.NormaliseModel(m); err == nil && n == model {
			return m, true
		}
	}
	return "", false
}

// Init loads the kill switches and AEGIS's agents; policies, providers and
// guardrails load on first use.
func (rt *Runtime) Init(ctx context.Context) error {
	rt.mu.Lock()
	rt.policies = map[string]cachedPolicy{}
	rt.providers = map[string]*runtimeProvider{}
	rt.detectors = map[string]rmgw.DetectorSetting{}
	rt.detLoaded = map[string]bool{}
	rt.cacheCfg = map[string]rmgw.CacheConfig{}
	rt.switchChanges = map[string]switchChange{}
	rt.mu.Unlock()
	if rt.Now == nil {
		rt.Now = time.Now
	}
	if err := rt.InitAegis(ctx); err != nil {
		return err
	}
	return rt.RefreshSwitches(ctx)
}

// RefreshSwitches reloads the kill switches from the read model.
func (rt *Runtime) RefreshSwitches(ctx context.Context) error {
	ks, err := rt.Queries.KillSwitches(ctx, "*", true)
	if err != nil {
		return err
	}
	for i := range ks {
		// Requests are matched on canonical ids (normalised models, lower-case
		// UUIDs), so the switches are held in the same spelling.
		ks[i].Scope = gw.CanonicalScope(ks[i].Scope)
	}
	rt.mu.Lock()
	rt.switches = rt.withChanges(ks, rt.Now())
	rt.mu.Unlock()
	return nil
}

// Invalidate drops cached state: "<kind>:<tenant>", kind one of policy,
// provider (the mock setting included), detector, cache, budget, price or
// guardrail ("killswitch": reload the switches). "provider:<tenant>:<id>"
// drops that one provider only, so that another provider's change keeps
// its circuit breaker and health: a provider registered next to a failing
// one must not close the failing one's open circuit.
func (rt *Runtime) Invalidate(ctx context.Context, what string) {
	kind, tenant, _ := strings.Cut(what, ":")
	tenant, only, _ := strings.Cut(tenant, ":")
	switch kind {
	case "killswitch":
		_ = rt.RefreshSwitches(ctx)
		return
	case "guardrail":
		rt.dropGuardrails(tenant)
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	prefix := tenant + "/"
	switch kind {
	case "policy":
		for k := range rt.policies {
			if strings.HasPrefix(k, prefix) {
				delete(rt.policies, k)
			}
		}
	case "provider":
		for k, rp := range rt.providers {
			// The built-in mock goes too: a provider registered or renamed
			// "mock" takes its name.
			if strings.HasPrefix(k, prefix) && (only == "" || rp.id == only || rp.id == providers.KindMock) {
				delete(rt.providers, k)
			}
		}
		delete(rt.modelCache, tenant)
		delete(rt.routeCache, tenant)
	case "detector":
		delete(rt.detLoaded, tenant)
	case "cache":
		delete(rt.cacheCfg, tenant)
	case "budget":
		delete(rt.budgetCache, tenant)
	case "price":
		delete(rt.priceCache, tenant)
	}
}

// PurgeCache drops a tenant's cached answers (one key when key is set) on
// this instance at once and returns how many it held; the CachePurged event
// the caller records drops them on every instance (React).
func (rt *Runtime) PurgeCache(tenantID, key string) int {
	return rt.Cache.PurgeBefore(tenantID, key, rt.Now())
}

// RecordedContent opens a prompt or completion as the request log keeps it
// (sealed); "" when none was kept or its key is erased.
func (rt *Runtime) RecordedContent(ctx context.Context, sealed string) string {
	if sealed == "" {
		return ""
	}
	if text := rt.Keys.MustOpen(ctx, sealed); text != eventstore.Erased {
		return text
	}
	return ""
}

// policyFor resolves the policy of a request: the named one, else the tenant's
// default (a policy named "default"), else the built-in default.
func (rt *Runtime) policyFor(ctx context.Context, tenantID, policyID string) (cachedPolicy, error) {
	key := tenantID + "/" + policyID
	rt.mu.RLock()
	cp, ok := rt.policies[key]
	rt.mu.RUnlock()
	if ok {
		return cp, nil
	}
	if policyID != "" {
		p, err := rt.Queries.PolicyByRef(ctx, tenantID, policyID)
		if err != nil {
			return cp, err
		}
		if p == nil {
			return cp, gw.ErrPolicyNotFound
		}
		cp = cachedPolicy{id: p.ID, version: p.Version, policy: p.Policy, rules: &contentRules{}}
	} else {
		ps, err := rt.Queries.Policies(ctx, tenantID)
		if err != nil {
			return cp, err
		}
		cp = cachedPolicy{policy: rt.builtinPolicy(ctx, tenantID), rules: &contentRules{}}
		for _, p := range ps {
			if p.Name == "default" {
				cp = cachedPolicy{id: p.ID, version: p.Version, policy: p.Policy, rules: &contentRules{}}
			}
		}
	}
	rt.mu.Lock()
	rt.policies[key] = cp
	rt.mu.Unlock()
	return cp, nil
}

// builtinPolicy is the default policy with the tenant's detector settings applied.
func (rt *Runtime) builtinPolicy(ctx context.Context, tenantID string) gw.Policy {
	p := gw.DefaultPolicy(rt.Injection.DefaultThreshold())
	ds := rt.detectorSettings(ctx, tenantID)
	if d, ok := ds["injection"]; ok {
		p.Injection.Enabled, p.Injection.Threshold = d.Enabled, d.Threshold
	}
	if d, ok := ds["pii"]; ok {
		p.PII.Enabled, p.PII.MinScore = d.Enabled, d.Threshold
	}
	return p
}

func (rt *Runtime) detectorSettings(ctx context.Context, tenantID string) map[string]rmgw.DetectorSetting {
	rt.mu.RLock()
	loaded := rt.detLoaded[tenantID]
	out := map[string]rmgw.DetectorSetting{}
	for k, v := range rt.detectors {
		if t, d, ok := strings.Cut(k, "/"); ok && t == tenantID {
			out[d] = v
		}
	}
	rt.mu.RUnlock()
	if loaded {
		return out
	}
	ds, err := rt.Queries.DetectorSettings(ctx, tenantID)
	if err != nil {
		return out
	}
	rt.mu.Lock()
	for d, v := range ds {
		rt.detectors[tenantID+"/"+d] = v
	}
	rt.detLoaded[tenantID] = true
	rt.mu.Unlock()
	return ds
}

// provider resolves a provider by id or name; "mock" is always available.
func (rt *Runtime) provider(ctx context.Context, tenantID, name string) (*runtimeProvider, error) {
	key := tenantID + "/" + name
	rt.mu.RLock()
	rp, ok := rt.providers[key]
	rt.mu.RUnlock()
	if ok {
		return rp, nil
	}
	p, err := rt.Queries.Provider(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	switch {
	case p != nil:
		if !p.Settings.Enabled {
			return nil, gw.ErrProviderNotFound
		}
		apiKey := ""
		if p.SealedKey != "" {
			if apiKey, err = rt.Keys.Open(ctx, gw.SealedCredential(p.SealedKey)); err != nil {
				return nil, fmt.Errorf("gateway: provider credentials: %w", err)
			}
		}
		impl, err := providers.Build(providers.Config{Name: p.Name, Kind: p.Kind, BaseURL: p.BaseURL, APIKey: apiKey, Headers: p.Headers,
			APIVersion: p.Settings.APIVersion, Deployment: p.Settings.Deployment, MockLatency: time.Duration(p.Settings.MockLatencyMs) * time.Millisecond},
			rt.Outbound)
		if err != nil {
			return nil, err
		}
		rp = &runtimeProvider{id: p.ID, name: p.Name, kind: p.Kind, models: p.Models,
			// A registered mock declaring no models is the built-in mock under
			// another name: it takes any model, as the built-in one does.
			allowAny: p.Settings.AllowAnyModel || (p.Kind == providers.KindMock && len(p.Models) == 0),
			p: providers.NewResilient(p.Name, impl, time.Duration(p.Settings.TimeoutMs)*time.Millisecond, p.Settings.MaxRetries,
				p.Settings.BreakerFailures, time.Duration(p.Settings.BreakerCooldownS)*time.Second)}
	case name == providers.KindMock:
		on, err := rt.mockOn(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if !on {
			return nil, ErrMockOff
		}
		rp = &runtimeProvider{id: "mock", name: "mock", kind: providers.KindMock, models: []string{"*"}, allowAny: true,
			p: providers.NewResilient("mock", &providers.Mock{Name: "mock", Latency: rt.DefaultMockLatency}, 30*time.Second, 0, 5, 30*time.Second)}
	default:
		return nil, gw.ErrProviderNotFound
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if p != nil {
		// One provider, one breaker and one health record, whether it is
		// addressed by id (the admin API) or by name (traffic).
		if known, ok := rt.providers[tenantID+"/"+p.ID]; ok {
			rp = known
		}
		rt.providers[tenantID+"/"+p.ID] = rp
		rt.providers[tenantID+"/"+p.Name] = rp
	}
	rt.providers[key] = rp
	return rp, nil
}

// ProviderHealth reports a tenant's provider's breaker and error rate.
func (rt *Runtime) ProviderHealth(ctx context.Context, tenantID, name string) (*providers.Health, error) {
	rp, err := rt.provider(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	h := rp.p.Health()
	return &h, nil
}

// TestProvider makes a live call to a provider (models, else a tiny chat).
func (rt *Runtime) TestProvider(ctx context.Context, tenantID, name string) (time.Duration, error) {
	rp, err := rt.provider(ctx, tenantID, name)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	_, err = rp.p.Models(ctx)
	return time.Since(start), err
}

// killedBy returns the active switch that stops a request, if any.
func (rt *Runtime) killedBy(f gw.RequestFacts) *rmgw.KillSwitch {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	for i := range rt.switches {
		k := &rt.switches[i]
		if k.Scope.Matches(k.TenantID, f) {
			return k
		}
	}
	return nil
}

// killedTarget returns the active switch that stops a call from reaching a
// resolved provider and model: the provider is matched by name and by id, so
// neither addressing it by id nor a fallback gets around a switch.
func (rt *Runtime) killedTarget(call *Call, prov *runtimeProvider, model, policyID string) *rmgw.KillSwitch {
	if n, err := gw.NormaliseModel(model); err == nil {
		model = n // the provider's own spelling of a model is matched as any other
	}
	f := gw.RequestFacts{TenantID: call.TenantID, Provider: prov.name, Model: model, PolicyID: policyID, APIKeyID: call.APIKeyID}
	if k := rt.killedBy(f); k != nil {
		return k
	}
	if prov.id != prov.name {
		f.Provider = prov.id
		return rt.killedBy(f)
	}
	return nil
}

// killedError is a target a kill switch stops.
type killedError struct{ k *rmgw.KillSwitch }

func (e *killedError) Error() string { return "kill switch " + e.k.Scope.Key() }

// KillSwitchActive reports whether a request with these facts would be stopped (for tests and /scan).
func (rt *Runtime) KillSwitchActive(f gw.RequestFacts) bool { return rt.killedBy(f) != nil }
