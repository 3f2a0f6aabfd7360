package iam

import (
	"strings"
	"testing"
)

// The production cost is OWASP's argon2id profile, and handlers with no cost
// set (every deployment: app.Config's PasswordCost is never read from the
// environment) hash at it; the lower test cost is a different profile that
// verifies the same way.
func TestPasswordCost_ProductionIsOWASPAndTheDefault(t *testing.T) {
	if ProductionPasswordCost != (PasswordCost{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}) {
		t.Fatalf("production cost %+v, want OWASP's 19 MiB / 2 passes / 1 lane", ProductionPasswordCost)
	}
	if TestPasswordCost == ProductionPasswordCost {
		t.Fatal("the test cost is the production cost")
	}
	cases := map[string]struct {
		cost   PasswordCost
		params string
	}{
		"zero is production": {PasswordCost{}, "$m=19456,t=2,p=1$"},
		"production":         {ProductionPasswordCost, "$m=19456,t=2,p=1$"},
		"test":               {TestPasswordCost, "$m=64,t=1,p=1$"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := &Handlers{PasswordCost: c.cost}
			encoded, err := h.hashPassword("correct horse battery staple")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(encoded, "$argon2id$v=19$") || !strings.Contains(encoded, c.params) {
				t.Fatalf("hash %q, want argon2id with %s", encoded, c.params)
			}
			if ok, err := VerifyPassword(encoded, "correct horse battery staple"); err != nil || !ok {
				t.Fatalf("the right password: %v %v", ok, err)
			}
			if ok, err := VerifyPassword(encoded, "correct horse battery stapler"); err != nil || ok {
				t.Fatalf("a wrong password: %v %v", ok, err)
			}
		})
	}
}

// The check against no account runs at the handlers' cost, so that an
// unknown address costs what a known one does.
func TestDummyVerify_AtTheHandlersCost(t *testing.T) {
	for _, cost := range []PasswordCost{{}, TestPasswordCost} {
		h := &Handlers{PasswordCost: cost}
		h.DummyVerify("anything")
		v, ok := dummyHashes.Load(cost.orProduction())
		if !ok {
			t.Fatalf("no dummy hash at %+v", cost)
		}
		want := "$m=19456,t=2,p=1$"
		if cost == TestPasswordCost {
			want = "$m=64,t=1,p=1$"
		}
		if enc := v.(*dummyHash).encoded; !strings.Contains(enc, want) {
			t.Fatalf("dummy hash %q at %+v, want %s", enc, cost, want)
		}
	}
}
