package gateway

import (
	"context"
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
	names  map[string]bool // enabled providers by name
	models []Model         // declared models of enabled providers
	any    bool            // the tenant has an enabled provider
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

// Resolve routes a request that names a model the OpenAI way (the drop-in
// dialects):
//   - an X-Astra-Route header (see RouteHeader) decides alone;
//   - else an X-Astra-Provider header names the provider;
//   - else a "<provider>/<model>" whose prefix is one of the tenant's
//     providers (or "mock") names it;
//   - else the first enabled provider that declares the model (matched
//     normalised) takes it;
//   - else the built-in mock answers only when the tenant has no provider at
//     all; otherwise the model is not found.
func (rt *Runtime) Resolve(ctx context.Context, tenantID, model, providerHeader, routeHeader string) (Routed, error) {
	if routeHeader != "" {
		groups, err := ParseRoute(routeHeader)
		if err != nil {
			return Routed{}, &RouteError{Reason: err.Error()}
		}
		order := Order(groups)
		return Routed{Provider: order[0].Provider, Model: order[0].Model, Fallbacks: order[1:]}, nil
	}
	if providerHeader != "" {
		return Routed{Provider: providerHeader, Model: model}, nil
	}
	tr, err := rt.routesOf(ctx, tenantID)
	if err != nil {
		return Routed{}, err
	}
	if p, rest, ok := strings.Cut(model, "/"); ok && rest != "" && (tr.names[p] || p == providers.KindMock) {
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
		return Routed{Provider: providers.KindMock, Model: model}, nil
	}
	return Routed{}, &ModelNotFoundError{Model: model}
}
