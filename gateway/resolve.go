package gateway

import (
	"context"
	"slices"
	"strings"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// Routed is where a request goes: the provider and model tried first and
// the request's own fallbacks (nil: the policy's).
type Routed struct {
	Provider, Model string
	Fallbacks       []gw.Target
}

// ModelNotFoundError is a model no provider of the tenant offers (and the
// mock is not asked for): 404 model_not_found, never a made-up answer.
type ModelNotFoundError struct{ Model string }

func (e *ModelNotFoundError) Error() string {
	return "The model '" + e.Model + "' does not exist or you do not have access to it."
}

// InvalidModelError is a model id that cannot name a model (control
// characters, other scripts' homoglyphs…): 400.
type InvalidModelError struct{ Reason string }

func (e *InvalidModelError) Error() string { return "model: " + e.Reason }

// RouteError is an X-Astra-Route header that does not parse.
type RouteError struct{ Reason string }

func (e *RouteError) Error() string { return RouteHeader + ": " + e.Reason }

type tenantRoutes struct {
	names   map[string]bool // enabled providers by name
	models  []Model         // declared models of enabled providers
	any     bool            // the tenant has an enabled provider
	mockOff bool            // the tenant turned the built-in mock off
}

// RouteRefusedError is an X-Astra-Route header under a policy whose
// routing.route_header is "refuse": 403 GW-040.
type RouteRefusedError struct{ Policy string }

func (e *RouteRefusedError) Error() string {
	return "The policy '" + e.Policy + "' does not allow per-request routing (routing.route_header is refuse); send the request without " + RouteHeader + "."
}

func (rt *Runtime) routesOf(ctx context.Context, tenantID string) (tenantRoutes, error) {
	rt.mu.RLock()
	tr, ok := rt.routeCache[tenantID]
	rt.mu.RUnlock()
	if ok {
		return tr, nil
	}
	ps, err := rt.Queries.Providers(ctx, tenantID)
	if err != nil {
		return tr, dependency("providers", err)
	}
	mock, err := rt.Queries.MockSettingOf(ctx, tenantID)
	if err != nil {
		return tr, dependency("mock setting", err)
	}
	tr.mockOff = !mock.Enabled
	tr.names = map[string]bool{}
	for _, p := range ps {
		if !p.Settings.Enabled {
			continue
		}
		tr.names[p.Name] = true
		if p.Kind != providers.KindMock {
			tr.any = true
		}
		for _, m := range p.Models {
			tr.models = append(tr.models, Model{ID: m, Provider: p.Name})
		}
	}
	rt.mu.Lock()
	if rt.routeCache == nil {
		rt.routeCache = map[string]tenantRoutes{}
	}
	rt.routeCache[tenantID] = tr
	rt.mu.Unlock()
	return tr, nil
}

// RouteQuery is what routes a request that names a model the OpenAI way
// (the drop-in dialects).
type RouteQuery struct {
	TenantID string
	// PolicyID is the policy the request runs under ("" the tenant's default).
	PolicyID string
	Model    string
	// Provider and Route are the X-Astra-Provider and X-Astra-Route headers.
	Provider, Route string
	// RequestID seeds the weighted pick, so that one request always goes to
	// the same target ("" picks at random).
	RequestID string
}

// Resolve routes a request under the tenant's default policy (see
// ResolveRoute), picking weighted targets at random.
func (rt *Runtime) Resolve(ctx context.Context, tenantID, model, providerHeader, routeHeader string) (Routed, error) {
	return rt.ResolveRoute(ctx, RouteQuery{TenantID: tenantID, Model: model, Provider: providerHeader, Route: routeHeader})
}

// ResolveRoute routes a request; the first rule that applies decides:
//   - an X-Astra-Route header (see RouteHeader) replaces the policy's
//     routing for the request, unless the policy refuses it
//     (routing.route_header: refuse → RouteRefusedError, never ignored);
//   - else an X-Astra-Provider header names the provider;
//   - else a model that is one of the policy's routing aliases goes where
//     the alias says (its weighted targets, its fallbacks, then the
//     policy's fallbacks);
//   - else a "<provider>/<model>" whose prefix is one of the tenant's
//     providers (or "mock") names it;
//   - else the first enabled provider that declares the model (matched
//     normalised) takes it;
//   - else the built-in mock answers only when the tenant has no provider at
//     all and has not turned it off; otherwise the model is not found (or,
//     with the mock off and no provider, NoProviderError).
//
// Header and aliases go through one resolver: ParseRoute or the alias's
// groups, then OrderFor seeded with the request id.
func (rt *Runtime) ResolveRoute(ctx context.Context, q RouteQuery) (Routed, error) {
	// The policy is the pipeline's own (cached); one that cannot be resolved
	// routes as if it had no routing, and the pipeline then refuses the
	// request for what it is (GW-006, SYS-002).
	var routing *gw.Routing
	var policyName string
	if pol, err := rt.policyFor(ctx, q.TenantID, q.PolicyID); err == nil {
		routing, policyName = &pol.policy.Routing, pol.policy.Name
	}
	if q.Route != "" {
		if routing != nil && !routing.AllowsRouteHeader() {
			return Routed{}, &RouteRefusedError{Policy: policyName}
		}
		groups, err := ParseRoute(q.Route)
		if err != nil {
			return Routed{}, &RouteError{Reason: err.Error()}
		}
		order := OrderFor(groups, q.RequestID)
		return Routed{Provider: order[0].Provider, Model: order[0].Model, Fallbacks: order[1:]}, nil
	}
	if q.Provider != "" {
		return Routed{Provider: q.Provider, Model: q.Model}, nil
	}
	model := q.Model
	if routing != nil && len(routing.Aliases) > 0 {
		if n, err := gw.NormaliseModel(model); err == nil {
			if alias, ok := routing.Alias(n); ok {
				return aliasRoute(alias, q.RequestID, rt.policyFallbacks(ctx, q)), nil
			}
		}
	}
	tr, err := rt.routesOf(ctx, q.TenantID)
	if err != nil {
		return Routed{}, err
	}
	if p, rest, ok := strings.Cut(model, "/"); ok && rest != "" && (tr.names[p] || p == providers.KindMock) {
		if p == providers.KindMock && !tr.names[p] && tr.mockOff {
			return Routed{}, &NoProviderError{Model: model}
		}
		return Routed{Provider: p, Model: rest}, nil
	}
	want, err := gw.NormaliseModel(model)
	if err != nil {
		return Routed{}, &InvalidModelError{Reason: err.Error()}
	}
	for _, x := range tr.models {
		if gw.ModelIn([]string{x.ID}, want) {
			return Routed{Provider: x.Provider, Model: model}, nil
		}
	}
	if !tr.any {
		if tr.mockOff {
			return Routed{}, &NoProviderError{Model: model}
		}
		return Routed{Provider: providers.KindMock, Model: model}, nil
	}
	return Routed{}, &ModelNotFoundError{Model: model}
}

// policyFallbacks are the fallbacks of the request's policy.
func (rt *Runtime) policyFallbacks(ctx context.Context, q RouteQuery) []gw.Target {
	pol, err := rt.policyFor(ctx, q.TenantID, q.PolicyID)
	if err != nil {
		return nil
	}
	return pol.policy.Fallbacks
}

// aliasRoute orders an alias's route for one request: its targets are the
// weighted first group, each fallback a group of its own, then the policy's
// fallbacks (the ones the alias did not name already).
func aliasRoute(a gw.Route, seed string, policyFallbacks []gw.Target) Routed {
	groups := make([][]WeightedTarget, 0, 1+len(a.Fallbacks))
	first := make([]WeightedTarget, len(a.Targets))
	for i, t := range a.Targets {
		first[i] = WeightedTarget{Target: gw.Target{Provider: t.Provider, Model: t.Model}, Weight: max(t.Weight, 1)}
	}
	groups = append(groups, first)
	for _, f := range a.Fallbacks {
		groups = append(groups, []WeightedTarget{{Target: f, Weight: 1}})
	}
	order := OrderFor(groups, seed)
	for _, f := range policyFallbacks {
		if !slices.Contains(order, f) {
			order = append(order, f)
		}
	}
	return Routed{Provider: order[0].Provider, Model: order[0].Model, Fallbacks: order[1:]}
}
