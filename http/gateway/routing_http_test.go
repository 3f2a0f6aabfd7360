package gateway_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/testkit"
)

// TestRouting_PolicyAliasesWeightsFallbacksAndHeaderRule: a policy's
// routing.aliases send a model name to weighted targets (split
// deterministically by request id: over 1,000 requests the split is the
// weights', and exactly what gateway.Pick says per id), then to its
// fallbacks in order; the X-Astra-Route header replaces the policy's routing
// unless the policy refuses it (403 GW-040, in OpenAI's shape on the
// drop-in); a bad alias is refused when the policy is saved, naming the field.
func TestRouting_PolicyAliasesWeightsFallbacksAndHeaderRule(t *testing.T) {
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	const path = "/api/v1/gateway/openai/v1/chat/completions"
	msgs := []map[string]string{{"role": "user", "content": "hello"}}

	t.Run("validation names the field", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "RouteValidation")
		for field, routing := range map[string]map[string]any{
			"routing.aliases.fast.targets[0].weight": {"aliases": map[string]any{"fast": map[string]any{"targets": []map[string]any{{"provider": "a", "model": "m1", "weight": 1001}}}}},
			"routing.aliases.fast.targets":           {"aliases": map[string]any{"fast": map[string]any{"targets": []any{}}}},
			"routing.aliases.fast.fallbacks[0].model": {"aliases": map[string]any{"fast": map[string]any{"targets": []map[string]any{{"provider": "a", "model": "m1"}},
				"fallbacks": []map[string]any{{"provider": "b", "model": strings.Repeat("m", 300)}}}}},
			"routing.aliases.fast.targets[0].provider": {"aliases": map[string]any{"fast": map[string]any{"targets": []map[string]any{{"provider": "not-allowed", "model": "m1"}}}}},
			"routing.route_header":                     {"route_header": "ignore"},
		} {
			body := map[string]any{"name": "bad", "allowed_providers": []string{"a", "b"}, "routing": routing}
			r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", ta, body)
			p := wantProblem(t, r, http.StatusBadRequest, "VAL-001")
			if !strings.Contains(p.Detail, field) && !strings.Contains(string(r.Body), field) {
				t.Fatalf("refusal does not name %s: %s", field, r.Body)
			}
		}
	})

	_, ta := in.NewTenant(t, admin, "Routing")
	a, b := newLoopback(t, "a", "m1"), newLoopback(t, "b", "m1")
	down1, down2, up := newLoopback(t, "down1", "m1"), newLoopback(t, "down2", "m1"), newLoopback(t, "up", "m1")
	down1.failWith.Store(500)
	down2.failWith.Store(503)
	for _, lb := range []*loopback{a, b, down1, down2, up} {
		registerLoopback(t, in, ta, lb, "", map[string]any{"max_retries": 0})
	}
	// The tenant's default policy (named "default") routes every request.
	pol := createPolicy(t, in, ta, map[string]any{"name": "default", "injection": map[string]any{"enabled": false}, "routing": map[string]any{
		"aliases": map[string]any{
			"fast":  map[string]any{"targets": []map[string]any{{"provider": "a", "model": "m1", "weight": 3}, {"provider": "b", "model": "m1", "weight": 1}}},
			"Chain": map[string]any{"targets": []map[string]any{{"provider": "down1", "model": "m1"}}, "fallbacks": []map[string]any{{"provider": "down2", "model": "m1"}, {"provider": "up", "model": "m1"}}},
		}}})
	routing, _ := pol.Policy["routing"].(map[string]any)
	if routing["route_header"] != "allow" || routing["aliases"].(map[string]any)["chain"] == nil {
		t.Fatalf("routing not stored normalised (alias names folded, route_header defaulted): %v", routing)
	}

	t.Run("an alias's weights split 1,000 requests as the request ids pick", func(t *testing.T) {
		const n = 1000
		got := make([]string, n)
		var wg sync.WaitGroup
		next := make(chan int)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "fast", "messages": msgs}, "X-Request-Id", fmt.Sprintf("split-%04d", i))
					if r.Status != http.StatusOK {
						t.Errorf("request %d: %d %s", i, r.Status, r.Body)
						continue
					}
					got[i] = r.Header.Get("X-Astra-Provider")
				}
			}()
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		countA := 0
		for i, p := range got {
			want := []string{"a", "b"}[gateway.Pick([]int{3, 1}, fmt.Sprintf("split-%04d", i))]
			if p != want {
				t.Fatalf("request split-%04d went to %q; its id picks %q", i, p, want)
			}
			if p == "a" {
				countA++
			}
		}
		// 3:1 → 750 expected; 4 standard deviations (√(1000·¾·¼) ≈ 13.7) either side.
		if math.Abs(float64(countA)-750) > 55 {
			t.Fatalf("a answered %d of %d, want about 750", countA, n)
		}
		if a.calls.Load()+b.calls.Load() != n {
			t.Fatalf("upstream calls a=%d b=%d, want %d in all", a.calls.Load(), b.calls.Load(), n)
		}
	})

	t.Run("an alias's fallbacks are tried in order", func(t *testing.T) {
		r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "CHAIN", "messages": msgs})
		wantStatus(t, r, http.StatusOK)
		if p := r.Header.Get("X-Astra-Provider"); p != "up" {
			t.Fatalf("answered by %q, want the last fallback up", p)
		}
		if down1.calls.Load() != 1 || down2.calls.Load() != 1 || up.calls.Load() != 1 {
			t.Fatalf("calls down1=%d down2=%d up=%d, want one each in order", down1.calls.Load(), down2.calls.Load(), up.calls.Load())
		}
		rec := awaitRequest(t, in, ta, r.Header.Get("X-Astra-Request-Id"))
		if strings.Join(rec.StreamActions, ",") != "fallback:up/m1" || rec.Provider != "up" {
			t.Fatalf("record provider %q actions %v", rec.Provider, rec.StreamActions)
		}
	})

	t.Run("the header replaces the policy's routing when the policy allows it", func(t *testing.T) {
		r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "fast", "messages": msgs}, gateway.RouteHeader, "b/m1")
		wantStatus(t, r, http.StatusOK)
		if p := r.Header.Get("X-Astra-Provider"); p != "b" {
			t.Fatalf("header route answered by %q, want b", p)
		}
	})

	t.Run("a policy that refuses the header answers it 403 GW-040", func(t *testing.T) {
		strict := createPolicy(t, in, ta, map[string]any{"name": "strict", "routing": map[string]any{"route_header": "refuse",
			"aliases": map[string]any{"fast": map[string]any{"targets": []map[string]any{{"provider": "b", "model": "m1"}}}}}})
		r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "fast", "messages": msgs}, gateway.RouteHeader, "a/m1", "X-Astra-Policy-Id", strict.ID)
		wantOpenAIError(t, r, http.StatusForbidden, "GW-040")
		if !strings.Contains(string(r.Body), "strict") {
			t.Fatalf("refusal does not name the policy: %s", r.Body)
		}
		// Without the header the strict policy's own alias routes it.
		r = in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "fast", "messages": msgs}, "X-Astra-Policy-Id", strict.ID)
		wantStatus(t, r, http.StatusOK)
		if p := r.Header.Get("X-Astra-Provider"); p != "b" {
			t.Fatalf("strict alias answered by %q, want b", p)
		}
	})
}

// TestPrices_UsageAndBudgetsUseTheConfiguredPrice: a model with no price is
// recorded with its cost unknown (null in the record and in /usage, never
// 0) and an enforced cost budget refuses it; once the tenant sets a price
// (an event), the record, /usage and the budget's spend use it, and a
// changed price is used from then on. Defaults are listed; a price that was
// never set cannot be removed (404 GW-042).
func TestPrices_UsageAndBudgetsUseTheConfiguredPrice(t *testing.T) {
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "Prices")
	lb := newLoopback(t, "lb", "house-model")
	registerLoopback(t, in, ta, lb, "", nil)
	const path = "/api/v1/gateway/openai/v1/chat/completions"
	sent := 0
	send := func() (*testkit.Response, requestOut) {
		sent++ // each prompt its own: a cache hit costs nothing and would prove nothing
		r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "house-model", "max_tokens": 50,
			"messages": []map[string]string{{"role": "user", "content": fmt.Sprintf("price me %d", sent)}}})
		if r.Status != http.StatusOK {
			return r, requestOut{}
		}
		return r, awaitRequest(t, in, ta, r.Header.Get("X-Astra-Request-Id"))
	}
	type usage struct {
		Totals struct {
			TotalTokens      int64    `json:"total_tokens"`
			CostUSD          *float64 `json:"cost_usd"`
			PricedCostUSD    float64  `json:"priced_cost_usd"`
			UnpricedRequests int64    `json:"unpriced_requests"`
		} `json:"totals"`
	}
	usageNow := func() usage {
		var u usage
		now := time.Now().UTC()
		in.Do(t, http.MethodGet, "/api/v1/gateway/usage?from="+now.Add(-time.Hour).Format(time.RFC3339)+"&to="+now.Add(time.Hour).Format(time.RFC3339), ta, nil).Data(t, &u)
		return u
	}

	// Defaults are listed with their source.
	var prices []struct {
		Model  string  `json:"model"`
		In     float64 `json:"input_per_million"`
		Out    float64 `json:"output_per_million"`
		Source string  `json:"source"`
	}
	in.Do(t, http.MethodGet, "/api/v1/gateway/prices?limit=200", ta, nil).Data(t, &prices)
	found := false
	for _, p := range prices {
		found = found || (p.Model == "gpt-4o" && p.In == 2.5 && p.Out == 10 && p.Source == "default")
	}
	if !found {
		t.Fatalf("gpt-4o's default price not listed: %+v", prices)
	}

	// No price: the cost is unknown, not 0.
	_, rec := send()
	var raw map[string]any
	in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+rec.ID, ta, nil).Data(t, &raw)
	if v, ok := raw["cost_usd"]; !ok || v != nil || rec.TotalTokens == 0 {
		t.Fatalf("unpriced request's cost_usd = %v (present %v), tokens %d; want null", v, ok, rec.TotalTokens)
	}
	if u := usageNow(); u.Totals.CostUSD != nil || u.Totals.UnpricedRequests != 1 || u.Totals.PricedCostUSD != 0 {
		t.Fatalf("usage of an unpriced request: %+v", u.Totals)
	}
	// An enforced cost budget cannot be held for it: refused, naming the price.
	createBudget(t, in, ta, map[string]any{"subject": "tenant", "period": "month", "max_cost_usd": 10})
	r, _ := send()
	wantOpenAIError(t, r, http.StatusTooManyRequests, "GW-004")
	if !strings.Contains(string(r.Body), "no price") {
		t.Fatalf("budget refusal does not say the model has no price: %s", r.Body)
	}

	// A price is set (an event): the record, usage and budget use it.
	wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/prices", ta, map[string]any{"model": "house-model", "input_per_million": -1, "output_per_million": 1}),
		http.StatusBadRequest, "VAL-001")
	r = in.Do(t, http.MethodPut, "/api/v1/gateway/prices", ta, map[string]any{"model": "House-Model", "input_per_million": 1000, "output_per_million": 2000})
	wantStatus(t, r, http.StatusOK)
	var set struct {
		Model  string `json:"model"`
		Source string `json:"source"`
	}
	r.Data(t, &set)
	if set.Model != "house-model" || set.Source != "tenant" {
		t.Fatalf("set price answered %+v", set)
	}
	if evs := events(t, in, ta, "ModelPriceSet"); len(evs) != 1 {
		t.Fatalf("%d ModelPriceSet events, want 1", len(evs))
	}
	_, first := send()
	if first.ID == "" {
		t.Fatal("a priced request under a budget with room was refused")
	}
	var firstCost float64
	var rec1 struct {
		PromptTokens     int      `json:"prompt_tokens"`
		CompletionTokens int      `json:"completion_tokens"`
		CostUSD          *float64 `json:"cost_usd"`
	}
	in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+first.ID, ta, nil).Data(t, &rec1)
	want := (float64(rec1.PromptTokens)*1000 + float64(rec1.CompletionTokens)*2000) / 1e6
	if rec1.CostUSD == nil || math.Abs(*rec1.CostUSD-want) > 1e-9 {
		t.Fatalf("cost %v, want %g at the set price", rec1.CostUSD, want)
	}
	firstCost = *rec1.CostUSD
	u := usageNow()
	if u.Totals.PricedCostUSD < firstCost-1e-9 || u.Totals.UnpricedRequests != 1 || u.Totals.CostUSD != nil {
		t.Fatalf("usage after a priced request: %+v (the earlier unpriced one keeps the total unknown)", u.Totals)
	}
	var budgets []budgetOut
	in.Do(t, http.MethodGet, "/api/v1/gateway/budgets", ta, nil).Data(t, &budgets)
	if len(budgets) != 1 || math.Abs(budgets[0].UsedCost-firstCost) > 1e-9 {
		t.Fatalf("budget spend %+v, want $%g", budgets, firstCost)
	}

	// A changed price is used from then on.
	wantStatus(t, in.Do(t, http.MethodPut, "/api/v1/gateway/prices", ta, map[string]any{"model": "house-model", "input_per_million": 3000, "output_per_million": 6000}), http.StatusOK)
	_, second := send()
	var rec2 struct {
		CostUSD *float64 `json:"cost_usd"`
	}
	in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+second.ID, ta, nil).Data(t, &rec2)
	if rec2.CostUSD == nil || math.Abs(*rec2.CostUSD-3*firstCost) > 1e-9 {
		t.Fatalf("cost after the price tripled: %v, want %g", rec2.CostUSD, 3*firstCost)
	}
	in.Do(t, http.MethodGet, "/api/v1/gateway/budgets", ta, nil).Data(t, &budgets)
	if math.Abs(budgets[0].UsedCost-4*firstCost) > 1e-9 {
		t.Fatalf("budget spend $%g, want $%g", budgets[0].UsedCost, 4*firstCost)
	}
	if u := usageNow(); math.Abs(u.Totals.PricedCostUSD-4*firstCost) > 1e-9 {
		t.Fatalf("usage priced cost $%g, want $%g", u.Totals.PricedCostUSD, 4*firstCost)
	}

	// Removing: a price never set is 404 GW-042; a set one goes (an event).
	wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/prices?model=never-priced", ta, nil), http.StatusNotFound, "GW-042")
	wantStatus(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/prices?model=house-model", ta, nil), http.StatusNoContent)
	if evs := events(t, in, ta, "ModelPriceRemoved"); len(evs) != 1 {
		t.Fatalf("%d ModelPriceRemoved events, want 1", len(evs))
	}
	r, _ = send()
	wantOpenAIError(t, r, http.StatusTooManyRequests, "GW-004")
}

// TestMockOff_NoProviderIsAClear404: a tenant with no provider is answered
// by the built-in mock until it turns the mock off (an event); then every
// request — an unknown model, mock/… by name, the envelope's provider
// "mock" — is 404 GW-041 saying no provider is configured, in the caller's
// dialect; turned on again, the mock answers again.
func TestMockOff_NoProviderIsAClear404(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "MockOff")
	const path = "/api/v1/gateway/openai/v1/chat/completions"
	msgs := []map[string]string{{"role": "user", "content": "hello"}}
	wantStatus(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "anything", "messages": msgs}), http.StatusOK)

	wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/mock", ta, map[string]any{}), http.StatusBadRequest, "VAL-001")
	r := in.Do(t, http.MethodPut, "/api/v1/gateway/mock", ta, map[string]any{"enabled": false})
	wantStatus(t, r, http.StatusOK)
	var m struct {
		Enabled bool `json:"enabled"`
	}
	r.Data(t, &m)
	if m.Enabled {
		t.Fatal("the mock still reads as on")
	}
	if evs := events(t, in, ta, "MockConfigured"); len(evs) != 1 {
		t.Fatalf("%d MockConfigured events, want 1", len(evs))
	}
	for _, model := range []string{"anything", "mock/mock-small"} {
		r := in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": model, "messages": msgs})
		wantOpenAIError(t, r, http.StatusNotFound, "no_provider_configured")
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(r.Body, &e)
		if !strings.Contains(e.Error.Message, "No provider is configured") {
			t.Fatalf("%s: message %q", model, e.Error.Message)
		}
	}
	wantOpenAIError(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "anything", "messages": msgs}, "X-Astra-Provider", "mock"),
		http.StatusNotFound, "no_provider_configured")
	wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", "hello", nil), http.StatusNotFound, "GW-041")

	wantStatus(t, in.Do(t, http.MethodPut, "/api/v1/gateway/mock", ta, map[string]any{"enabled": true}), http.StatusOK)
	wantStatus(t, in.DoRaw(t, http.MethodPost, path, ta, map[string]any{"model": "anything", "messages": msgs}), http.StatusOK)
	wantStatus(t, chatWith(t, in, ta, "mock", "mock-small", "hello", nil), http.StatusOK)
}

// TestPricesAndMock_DenialsAndTenantIsolation: reading prices and the mock
// setting needs gateway:read, changing them gateway:admin; a tenant's price
// and mock setting are its own; a long price list pages with total_count.
func TestPricesAndMock_DenialsAndTenantIsolation(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, a := in.NewTenant(t, admin, "PricesA")
	_, b := in.NewTenant(t, admin, "PricesB")
	_, viewer := in.SignIn(t, a, "viewer@pricesa.test", "viewer")

	price := map[string]any{"model": "house-model", "input_per_million": 1, "output_per_million": 2}
	wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/prices", "", nil), http.StatusUnauthorized, "AUTH-001")
	wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/prices", "", price), http.StatusUnauthorized, "AUTH-001")
	wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/mock", "", nil), http.StatusUnauthorized, "AUTH-001")
	wantStatus(t, in.Do(t, http.MethodGet, "/api/v1/gateway/prices", viewer, nil), http.StatusOK)
	wantStatus(t, in.Do(t, http.MethodGet, "/api/v1/gateway/mock", viewer, nil), http.StatusOK)
	wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/prices", viewer, price), http.StatusForbidden, "AUTH-006")
	wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/prices?model=gpt-4o", viewer, nil), http.StatusForbidden, "AUTH-006")
	wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/mock", viewer, map[string]any{"enabled": false}), http.StatusForbidden, "AUTH-006")

	// Tenant A prices a model and turns its mock off; tenant B sees neither.
	wantStatus(t, in.Do(t, http.MethodPut, "/api/v1/gateway/prices", a, price), http.StatusOK)
	wantStatus(t, in.Do(t, http.MethodPut, "/api/v1/gateway/mock", a, map[string]any{"enabled": false}), http.StatusOK)
	tenantPrices := func(token string) []string {
		var out []string
		items, _ := testkit.Walk[struct {
			Model  string `json:"model"`
			Source string `json:"source"`
		}](t, in, "/api/v1/gateway/prices?limit=10", token)
		for _, p := range items {
			if p.Source == "tenant" {
				out = append(out, p.Model)
			}
		}
		return out
	}
	if got := tenantPrices(a); len(got) != 1 || got[0] != "house-model" {
		t.Fatalf("tenant A's own prices: %v", got)
	}
	if got := tenantPrices(b); len(got) != 0 {
		t.Fatalf("tenant B sees another tenant's prices: %v", got)
	}
	wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/prices?model=house-model", b, nil), http.StatusNotFound, "GW-042")
	var mock struct {
		Enabled bool `json:"enabled"`
	}
	in.Do(t, http.MethodGet, "/api/v1/gateway/mock", b, nil).Data(t, &mock)
	if !mock.Enabled {
		t.Fatal("tenant A turning its mock off turned tenant B's off")
	}
	// The list pages (more than 10 prices with the defaults), with total_count.
	var page struct {
		Meta struct {
			Pagination struct {
				HasMore    bool   `json:"has_more"`
				TotalCount *int64 `json:"total_count"`
			} `json:"pagination"`
		} `json:"meta"`
	}
	in.Do(t, http.MethodGet, "/api/v1/gateway/prices?limit=10", a, nil).JSON(t, &page)
	if !page.Meta.Pagination.HasMore || page.Meta.Pagination.TotalCount == nil || *page.Meta.Pagination.TotalCount <= 10 {
		t.Fatalf("price list page: %+v", page.Meta.Pagination)
	}
}
