package admin

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

func checkout() Flag {
	return Flag{Key: "new-checkout", Type: FlagString, Enabled: true,
		Variants:       map[string]any{"classic": "classic", "fast": "fast", "beta": "beta"},
		DefaultVariant: "classic",
		Rules: []Rule{
			{Tenants: []string{"t-beta"}, Variant: "beta"},
			{Users: []string{"alice"}, Variant: "fast"},
			{Tenants: []string{"t-split"}, Rollout: []Split{{Variant: "fast", Weight: 50}, {Variant: "classic", Weight: 50}}},
		}}
}

func TestFlag_EvaluatesKillSwitchRulesRolloutThenDefault(t *testing.T) {
	f := checkout()
	if err := f.Normalize(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		ctx           EvalContext
		variant, why  string
		errorCode     string
		mutate        func(*Flag)
		wantValueNull bool
	}{
		{name: "a targeted tenant gets its variant", ctx: EvalContext{"t-beta", "bob"}, variant: "beta", why: ReasonTargetingMatch},
		{name: "the tenant rule wins over a later user rule", ctx: EvalContext{"t-beta", "alice"}, variant: "beta", why: ReasonTargetingMatch},
		{name: "a targeted user in any tenant", ctx: EvalContext{"t-other", "alice"}, variant: "fast", why: ReasonTargetingMatch},
		{name: "a user rule does not match without a targeting key", ctx: EvalContext{"t-other", ""}, variant: "classic", why: ReasonDefault},
		{name: "nobody targeted gets the default", ctx: EvalContext{"t-other", "carol"}, variant: "classic", why: ReasonDefault},
		{name: "a split rule needs a targeting key", ctx: EvalContext{"t-split", ""}, why: ReasonError, errorCode: ErrorTargetingKeyMissing, wantValueNull: true},
		{name: "the kill switch serves the off variant to everyone", ctx: EvalContext{"t-beta", "alice"}, variant: "classic", why: ReasonDisabled,
			mutate: func(f *Flag) { f.Enabled = false }},
		{name: "no rules: static", ctx: EvalContext{"t-beta", "alice"}, variant: "classic", why: ReasonStatic,
			mutate: func(f *Flag) { f.Rules = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := checkout()
			if tc.mutate != nil {
				tc.mutate(&g)
			}
			if err := g.Normalize(); err != nil {
				t.Fatal(err)
			}
			r := g.Evaluate(tc.ctx)
			if r.Variant != tc.variant || r.Reason != tc.why || r.ErrorCode != tc.errorCode {
				t.Fatalf("got %+v, want variant %q reason %s error %q", r, tc.variant, tc.why, tc.errorCode)
			}
			if tc.wantValueNull != (r.Value == nil) {
				t.Fatalf("value %v", r.Value)
			}
		})
	}
}

func TestFlag_RolloutIsStableAndProportional(t *testing.T) {
	f := Flag{Key: "ramp", Type: FlagBoolean, DefaultVariant: "off", Enabled: true,
		Rollout: []Split{{Variant: "on", Weight: 25}, {Variant: "off", Weight: 75}}}
	if err := f.Normalize(); err != nil {
		t.Fatal(err)
	}
	on := 0
	const n = 20000
	for i := range n {
		c := EvalContext{TenantID: "t1", TargetingKey: fmt.Sprintf("user-%d", i)}
		r := f.Evaluate(c)
		if r.Reason != ReasonSplit {
			t.Fatalf("reason %s", r.Reason)
		}
		if again := f.Evaluate(c); again.Variant != r.Variant {
			t.Fatal("the same user got two variants")
		}
		if r.Value == true {
			on++
		}
	}
	if share := float64(on) / n; math.Abs(share-0.25) > 0.02 {
		t.Fatalf("%.3f of users on, want 0.25", share)
	}
	// Growing the rollout only moves users into the growing variant.
	wider := f
	wider.Rollout = []Split{{Variant: "on", Weight: 40}, {Variant: "off", Weight: 60}}
	for i := range 2000 {
		c := EvalContext{TenantID: "t1", TargetingKey: fmt.Sprintf("user-%d", i)}
		if f.Evaluate(c).Value == true && wider.Evaluate(c).Value != true {
			t.Fatalf("user-%d left the rollout when it grew", i)
		}
	}
	// The bucket is FNV-1a of key NUL tenant NUL targeting key, mod 10,000.
	if b := Bucket("ramp", "t1", "user-1"); b < 0 || b >= 10000 || b != Bucket("ramp", "t1", "user-1") || b == Bucket("ramp", "t2", "user-1") && b == Bucket("other", "t1", "user-1") {
		t.Fatalf("bucket %d", b)
	}
}

func TestFlag_RefusesInvalidDefinitions(t *testing.T) {
	cases := map[string]Flag{
		"key":                  {Key: "has space", Type: FlagBoolean, DefaultVariant: "on"},
		"type":                 {Key: "k", Type: "date", Variants: map[string]any{"a": "x"}, DefaultVariant: "a"},
		"variants.big":         {Key: "k", Type: FlagNumber, Variants: map[string]any{"big": "not a number"}, DefaultVariant: "big"},
		"default_variant":      {Key: "k", Type: FlagBoolean, DefaultVariant: "maybe"},
		"rules[0]":             {Key: "k", Type: FlagBoolean, DefaultVariant: "on", Rules: []Rule{{Variant: "on"}}},
		"rules[0].variant":     {Key: "k", Type: FlagBoolean, DefaultVariant: "on", Rules: []Rule{{Tenants: []string{"t"}, Variant: "nope"}}},
		"rollout":              {Key: "k", Type: FlagBoolean, DefaultVariant: "on", Rollout: []Split{{Variant: "on", Weight: 60}, {Variant: "off", Weight: 30}}},
		"rules[0].rollout":     {Key: "k", Type: FlagBoolean, DefaultVariant: "on", Rules: []Rule{{Users: []string{"u"}, Rollout: []Split{{Variant: "on", Weight: 100.001}}}}},
		"variants.obj":         {Key: "k", Type: FlagObject, Variants: map[string]any{"obj": []any{1}}, DefaultVariant: "obj"},
		"off_variant":          {Key: "k", Type: FlagString, Variants: map[string]any{"a": "x"}, DefaultVariant: "a", OffVariant: "b"},
		"variants (name)":      {Key: "k", Type: FlagString, Variants: map[string]any{"bad name": "x"}, DefaultVariant: "bad name"},
		"rules[0] (both)":      {Key: "k", Type: FlagBoolean, DefaultVariant: "on", Rules: []Rule{{Users: []string{"u"}, Variant: "on", Rollout: []Split{{Variant: "on", Weight: 100}}}}},
		"rollout (duplicates)": {Key: "k", Type: FlagBoolean, DefaultVariant: "on", Rollout: []Split{{Variant: "on", Weight: 50}, {Variant: "on", Weight: 50}}},
	}
	for name, f := range cases {
		err := f.Normalize()
		var fe *FlagError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidFlag) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	ok := Flag{Key: "k", Type: FlagBoolean, DefaultVariant: "off", Enabled: true}
	if err := ok.Normalize(); err != nil || ok.OffVariant != "off" || ok.Variants["on"] != true {
		t.Fatalf("a minimal boolean flag: %v %+v", err, ok)
	}
}

func TestFlagSet_AppliesOnlyNewerVersionsOfEachFlag(t *testing.T) {
	s := NewFlagSet()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a1 := &Flag{Key: "a", Type: FlagBoolean, Variants: map[string]any{"on": true, "off": false}, DefaultVariant: "on", OffVariant: "off", Enabled: true}
	b1 := &Flag{Key: "b", Type: FlagBoolean, Variants: map[string]any{"on": true, "off": false}, DefaultVariant: "off", OffVariant: "off", Enabled: true}
	// The committing instance applies b's change before the log brings a's
	// (committed earlier by another instance): neither is lost.
	s.Apply(&FeatureFlagChangedV1{Key: "b", Change: FlagCreated, Version: 1, Flag: b1}, time.Time{}, at, "x")
	s.Apply(&FeatureFlagChangedV1{Key: "a", Change: FlagCreated, Version: 1, Flag: a1}, time.Time{}, at, "x")
	if changed := s.Apply(&FeatureFlagChangedV1{Key: "b", Change: FlagCreated, Version: 1, Flag: b1}, time.Time{}, at, "x"); changed {
		t.Fatal("a redelivered change applied twice")
	}
	if all, _ := s.All(); len(all) != 2 {
		t.Fatalf("%d flags", len(all))
	}
	s.Apply(&FeatureFlagChangedV1{Key: "a", Change: FlagDeleted, Version: 2}, time.Time{}, at.Add(time.Hour), "y")
	s.Apply(&FeatureFlagChangedV1{Key: "a", Change: FlagUpdated, Version: 1, Flag: a1}, time.Time{}, at, "x")
	if _, ok := s.Get("a"); ok {
		t.Fatal("an older change revived a deleted flag")
	}
	if !s.Enabled(FlagGatewayResponseCache, "t", "u") {
		t.Fatal("a product gate without a flag is not on by default")
	}
	if s.Enabled("b", "t", "u") {
		t.Fatal("flag b evaluates to off")
	}
}
