package gateway

import (
	"fmt"
	"sort"
	"strings"
)

// Routing is a policy's model routing: aliases that name a route, and
// whether a request may replace the routing with an X-Astra-Route header.
//
// A request whose model is an alias goes where the alias says: one of its
// targets picked by weight (deterministically from the request id), the
// alias's other targets by descending weight, its fallbacks in order, then
// the policy's own fallbacks. An alias's targets pass the policy's
// allow-lists and kill switches like any other request; aliases do not
// chain (a target's model is sent to its provider as it is).
type Routing struct {
	// Aliases maps a model name a caller sends (matched normalised, e.g.
	// "fast") to its route. A real model's name may be an alias too, which
	// load-balances it ("gpt-4o" → openai and azure).
	Aliases map[string]Route `json:"aliases,omitempty"`
	// RouteHeader says what a request's X-Astra-Route header does: "allow"
	// (the default) lets it replace the policy's routing for that request;
	// "refuse" answers it 403 GW-040 (never ignored silently).
	RouteHeader string `json:"route_header,omitempty"`
}

// Route is where an alias sends a request: one of Targets (weighted), the
// rest of them, then Fallbacks in order.
type Route struct {
	Targets   []RouteTarget `json:"targets"`
	Fallbacks []Target      `json:"fallbacks,omitempty"`
}

// RouteTarget is a provider and model with a load-balancing weight (1 to
// 1000; 0 or absent means 1).
type RouteTarget struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	Weight   int    `json:"weight,omitempty"`
}

// Route header modes.
const (
	RouteHeaderAllow  = "allow"
	RouteHeaderRefuse = "refuse"
)

// MaxRouteTargets bounds the targets of a route (an alias's, or an
// X-Astra-Route header's).
const MaxRouteTargets = 8

// AllowsRouteHeader reports whether a request's X-Astra-Route header may
// replace the policy's routing.
func (r *Routing) AllowsRouteHeader() bool { return r.RouteHeader != RouteHeaderRefuse }

// Alias is the route of a normalised model name, if it is an alias.
func (r *Routing) Alias(model string) (Route, bool) {
	rt, ok := r.Aliases[model]
	return rt, ok
}

// normalize validates the routing against the policy's allow-lists (which
// Normalize has already defaulted) and spells alias names and models in
// their canonical form.
func (r *Routing) normalize(p *Policy) error {
	bad := func(f, m string) error { return &InvalidPolicyError{f, m} }
	switch r.RouteHeader {
	case "":
		r.RouteHeader = RouteHeaderAllow
	case RouteHeaderAllow, RouteHeaderRefuse:
	default:
		return bad("routing.route_header", "allow or refuse")
	}
	if len(r.Aliases) > 100 {
		return bad("routing.aliases", "at most 100 aliases")
	}
	names := make([]string, 0, len(r.Aliases))
	for name := range r.Aliases {
		names = append(names, name)
	}
	sort.Strings(names) // errors name the same alias every time
	out := make(map[string]Route, len(r.Aliases))
	for _, name := range names {
		rt := r.Aliases[name]
		f := "routing.aliases." + name
		n, err := NormaliseModel(name)
		if err != nil || strings.Contains(n, "/") {
			return bad("routing.aliases", fmt.Sprintf("keyed by model names (printable, at most 200 characters, no '/'); %q is not one", name))
		}
		if _, dup := out[n]; dup {
			return bad(f, "unique once normalised (another alias is spelt "+n+")")
		}
		if len(rt.Targets) == 0 {
			return bad(f+".targets", "at least one target")
		}
		if len(rt.Targets)+len(rt.Fallbacks) > MaxRouteTargets {
			return bad(f, fmt.Sprintf("at most %d targets and fallbacks together", MaxRouteTargets))
		}
		targets := make([]RouteTarget, len(rt.Targets))
		for i, t := range rt.Targets {
			tf := fmt.Sprintf("%s.targets[%d]", f, i)
			if t.Weight == 0 {
				t.Weight = 1
			}
			if t.Weight < 1 || t.Weight > 1000 {
				return bad(tf+".weight", "a whole number from 1 to 1000")
			}
			m, err := checkTarget(p, tf, t.Provider, t.Model)
			if err != nil {
				return err
			}
			targets[i] = RouteTarget{Provider: strings.TrimSpace(t.Provider), Model: m, Weight: t.Weight}
		}
		var fallbacks []Target
		for i, t := range rt.Fallbacks {
			m, err := checkTarget(p, fmt.Sprintf("%s.fallbacks[%d]", f, i), t.Provider, t.Model)
			if err != nil {
				return err
			}
			fallbacks = append(fallbacks, Target{Provider: strings.TrimSpace(t.Provider), Model: m})
		}
		out[n] = Route{Targets: targets, Fallbacks: fallbacks}
	}
	r.Aliases = out
	if len(out) == 0 {
		r.Aliases = nil
	}
	return nil
}

// checkTarget validates one target of a route (field f) and returns its
// normalised model: a provider name, a model id, both admitted by the
// policy's own allow-lists (a route the policy would refuse is a mistake
// better named when the policy is saved than on every request).
func checkTarget(p *Policy, f, provider, model string) (string, error) {
	provider = strings.TrimSpace(provider)
	if provider == "" || len(provider) > 100 || strings.Contains(provider, "/") {
		return "", &InvalidPolicyError{f + ".provider", "a provider name (1 to 100 characters, no '/')"}
	}
	m, err := NormaliseModel(model)
	if err != nil {
		return "", &InvalidPolicyError{f + ".model", "a model id (printable characters, at most 200 of them)"}
	}
	if !Allows(p.AllowedProviders, provider) {
		return "", &InvalidPolicyError{f + ".provider", "admitted by allowed_providers (" + provider + " is not)"}
	}
	if !ModelIn(p.AllowedModels, m) {
		return "", &InvalidPolicyError{f + ".model", "admitted by allowed_models (" + m + " is not)"}
	}
	return m, nil
}
