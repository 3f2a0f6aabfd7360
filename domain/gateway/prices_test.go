package gateway

import "testing"

func TestPriceOf_LongestEntryWinsTenantBeforeDefault(t *testing.T) {
	tenant := []Price{{Model: "gpt-4o", InputPerMillion: 1, OutputPerMillion: 2}, {Model: "house", InputPerMillion: 7, OutputPerMillion: 8}}
	for model, want := range map[string]struct {
		in         float64
		fromTenant bool
	}{
		"gpt-4o":                     {1, true},     // the tenant's replaces the default
		"gpt-4o-2024-08-06":          {1, true},     // a snapshot of it
		"gpt-4o-mini":                {0.15, false}, // a longer default entry wins over the tenant's shorter one
		"gpt-4.1-nano-2025-04-14":    {0.10, false},
		"claude-3-5-sonnet-20241022": {3, false},
		"claude-opus-4-5-20251101":   {5, false},
		"claude-opus-4-20250514":     {15, false},
		"house:v2":                   {7, true},
		"mock-small":                 {0, false},
	} {
		p, fromTenant, ok := PriceOf(model, tenant)
		if !ok || p.InputPerMillion != want.in || fromTenant != want.fromTenant {
			t.Errorf("%s: %+v tenant=%v ok=%v, want input %g tenant=%v", model, p, fromTenant, ok, want.in, want.fromTenant)
		}
	}
	for _, model := range []string{"gpt-4ox", "o3x", "my-azure-deployment", "housekeeping"} {
		if p, _, ok := PriceOf(model, tenant); ok {
			t.Errorf("%s priced as %+v; want no price (a prefix must end at '-', '@' or ':')", model, p)
		}
	}
	if c := (Price{InputPerMillion: 2.5, OutputPerMillion: 10}).Cost(1000, 500); c != 0.0075 {
		t.Errorf("cost %g", c)
	}
}

func TestRouting_NormalizeNamesTheField(t *testing.T) {
	p := Policy{Name: "p", AllowedModels: []string{"gpt-*"}, Routing: Routing{Aliases: map[string]Route{
		"Fast": {Targets: []RouteTarget{{Provider: "openai", Model: "GPT-4o-mini"}}}}}}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	if r, ok := p.Routing.Alias("fast"); !ok || r.Targets[0].Model != "gpt-4o-mini" || r.Targets[0].Weight != 1 || p.Routing.RouteHeader != RouteHeaderAllow {
		t.Fatalf("normalised routing %+v", p.Routing)
	}
	p.Routing.Aliases["other"] = Route{Targets: []RouteTarget{{Provider: "openai", Model: "claude-3"}}}
	err := p.Normalize()
	var ipe *InvalidPolicyError
	if !asInvalid(err, &ipe) || ipe.Field != "routing.aliases.other.targets[0].model" {
		t.Fatalf("err %v, want the target's model named", err)
	}
}

func asInvalid(err error, out **InvalidPolicyError) bool {
	e, ok := err.(*InvalidPolicyError)
	*out = e
	return ok
}
