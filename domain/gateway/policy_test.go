package gateway

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPolicy_NormalizeFillsDefaultsAndRejectsNonsense(t *testing.T) {
	p := Policy{Name: " strict "}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	if p.Name != "strict" || p.Injection.Action != ActionBlock || p.PII.Action != ActionRedact || p.LogContent != LogRedacted ||
		!Allows(p.AllowedProviders, "anything") || p.FailMode(StepInjection) != FailClosed {
		t.Fatalf("defaults: %+v", p)
	}
	bad := []Policy{
		{Name: ""},
		{Name: "x", Injection: DetectorRule{Threshold: 1.5}},
		{Name: "x", Injection: DetectorRule{Action: "shrug"}},
		{Name: "x", PII: PIIRule{Action: "maybe"}},
		{Name: "x", ContentRules: []ContentRule{{Name: "r", Pattern: "(unclosed"}}},
		{Name: "x", FailModes: map[string]string{"no_such_step": FailOpen}},
		{Name: "x", FailModes: map[string]string{StepPII: "sometimes"}},
		{Name: "x", LogContent: "everything"},
		{Name: "x", MaxInputTokens: -1},
	}
	for i, b := range bad {
		if err := b.Normalize(); !errors.Is(err, ErrPolicyInvalid) {
			t.Errorf("case %d accepted: %v", i, err)
		}
	}
}

func TestPolicy_PIITypesAreTheCatalogueAndNamedWhenUnknown(t *testing.T) {
	p := Policy{Name: "x", PII: PIIRule{Types: []string{" url", "DATE_TIME", "URL", "EMAIL_ADDRESS"}, PhoneRegion: "au"}}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.PII.Types, []string{"URL", "DATE_TIME", "EMAIL_ADDRESS"}) || p.PII.PhoneRegion != "AU" {
		t.Fatalf("normalised %+v", p.PII)
	}
	for _, c := range []struct {
		rule  PIIRule
		field string
		names string
	}{
		{PIIRule{Types: []string{"EMAIL_ADDRESS", "PASSPORT"}}, "pii.types[1]", `"PASSPORT"`},
		{PIIRule{PhoneRegion: "XX"}, "pii.phone_region", `"XX"`},
		{PIIRule{PhoneRegion: "USA"}, "pii.phone_region", `"USA"`},
	} {
		p := Policy{Name: "x", PII: c.rule}
		err := p.Normalize()
		var ie *InvalidPolicyError
		if !errors.As(err, &ie) || ie.Field != c.field || !strings.Contains(err.Error(), c.names) {
			t.Errorf("%+v: %v", c.rule, err)
		}
	}
	// The OpenAPI enum of pii.types is the catalogue.
	f, _ := reflect.TypeFor[PIIRule]().FieldByName("Types")
	if got := strings.Split(f.Tag.Get("enum"), ","); !slices.Equal(got, PIIEntityTypes()) {
		t.Errorf("enum tag %v, catalogue %v", got, PIIEntityTypes())
	}
}

func TestAllows_WildcardsAndPrefixes(t *testing.T) {
	for _, c := range []struct {
		list []string
		v    string
		want bool
	}{{[]string{"*"}, "gpt-4o", true}, {[]string{"gpt-4o*"}, "gpt-4o-mini", true}, {[]string{"gpt-4o*"}, "gpt-3.5", false},
		{[]string{"mock"}, "mock", true}, {[]string{"mock"}, "openai", false}, {nil, "x", false}} {
		if got := Allows(c.list, c.v); got != c.want {
			t.Errorf("Allows(%v, %q) = %v", c.list, c.v, got)
		}
	}
}

func TestScope_MatchesOnlyItsTenantExceptGlobal(t *testing.T) {
	req := RequestFacts{TenantID: "t1", Provider: "openai", Model: "gpt-4o", PolicyID: "p1", APIKeyID: "k1"}
	cases := []struct {
		s      Scope
		tenant string
		want   bool
	}{
		{Scope{Kind: ScopeGlobal}, "t2", true}, {Scope{Kind: ScopeTenant}, "t1", true}, {Scope{Kind: ScopeTenant}, "t2", false},
		{Scope{Kind: ScopeProvider, Value: "openai"}, "t1", true}, {Scope{Kind: ScopeProvider, Value: "openai"}, "t2", false},
		{Scope{Kind: ScopeModel, Value: "gpt-4o"}, "t1", true}, {Scope{Kind: ScopePolicy, Value: "p2"}, "t1", false},
		{Scope{Kind: ScopeAPIKey, Value: "k1"}, "t1", true},
	}
	for _, c := range cases {
		if got := c.s.Matches(c.tenant, req); got != c.want {
			t.Errorf("%+v in %s: %v", c.s, c.tenant, got)
		}
	}
	if (Scope{Kind: ScopeProvider}).Validate() == nil || (Scope{Kind: ScopeGlobal, Value: "x"}).Validate() == nil || (Scope{Kind: "moon"}).Validate() == nil {
		t.Fatal("invalid scopes accepted")
	}
}
