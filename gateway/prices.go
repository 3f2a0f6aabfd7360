package gateway

import (
	"context"
	"errors"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// pricesOf is a tenant's own model prices (cached until a price changes).
func (rt *Runtime) pricesOf(ctx context.Context, tenantID string) ([]gw.Price, error) {
	rt.mu.RLock()
	ps, ok := rt.priceCache[tenantID]
	rt.mu.RUnlock()
	if ok {
		return ps, nil
	}
	mps, err := rt.Queries.Prices(ctx, tenantID)
	if err != nil {
		return nil, dependency("prices", err)
	}
	ps = make([]gw.Price, len(mps))
	for i, p := range mps {
		ps[i] = p.Price
	}
	rt.mu.Lock()
	if rt.priceCache == nil {
		rt.priceCache = map[string][]gw.Price{}
	}
	rt.priceCache[tenantID] = ps
	rt.mu.Unlock()
	return ps, nil
}

// PriceOf is the price of a model for a tenant: its own, else the default
// (gw.PriceOf); ok is false when the model has neither.
func (rt *Runtime) PriceOf(ctx context.Context, tenantID, model string) (p gw.Price, fromTenant, ok bool, err error) {
	ps, err := rt.pricesOf(ctx, tenantID)
	if err != nil {
		return p, false, false, err
	}
	if m, err := gw.NormaliseModel(model); err == nil {
		model = m
	}
	p, fromTenant, ok = gw.PriceOf(model, ps)
	return p, fromTenant, ok, nil
}

// costOf is what usage of a model cost a tenant, nil when the model has no
// price (or the prices cannot be read: unknown, never a silent 0).
func (rt *Runtime) costOf(ctx context.Context, tenantID, model string, u providers.Usage) *float64 {
	p, _, ok, err := rt.PriceOf(ctx, tenantID, model)
	if err != nil {
		rt.Log.Warn("gateway: prices unavailable; cost recorded as unknown", "err", err)
	}
	if !ok {
		return nil
	}
	c := p.Cost(u.PromptTokens, u.CompletionTokens)
	return &c
}

// ErrMockOff reports a request for the built-in mock provider in a tenant
// that turned it off.
var ErrMockOff = errors.New("gateway: the built-in mock provider is turned off for this tenant")

// NoProviderError is a request that no provider can answer because the
// tenant has none and turned the built-in mock off (or named the mock while
// it is off): 404 GW-041.
type NoProviderError struct{ Model string }

func (e *NoProviderError) Error() string {
	return "No provider is configured for this tenant (the built-in mock is turned off): register a provider to serve the model '" +
		e.Model + "', or turn the mock on (PUT /api/v1/gateway/mock)."
}

// Is lets errors.Is match ErrMockOff.
func (e *NoProviderError) Is(target error) bool { return target == ErrMockOff }

// mockOn reports whether the built-in mock answers for a tenant.
func (rt *Runtime) mockOn(ctx context.Context, tenantID string) (bool, error) {
	tr, err := rt.routesOf(ctx, tenantID)
	return !tr.mockOff, err
}
