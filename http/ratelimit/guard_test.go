package ratelimit_test

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/ratelimit"
)

func TestPerWindow_ScalesThePerMinuteRateToTheWindow(t *testing.T) {
	for _, tc := range []struct {
		perMinute int
		window    time.Duration
		want      int
	}{
		{6000, time.Minute, 6000},
		{1200, 10 * time.Second, 200},
		{1200, 5 * time.Second, 100},
		{600, 2 * time.Minute, 1200},
		{100, time.Second, 2}, // 1.67 rounds to 2
		{5, time.Second, 1},   // never below one
		{0, time.Minute, 1},
	} {
		if got := ratelimit.PerWindow(tc.perMinute, tc.window); got != tc.want {
			t.Errorf("PerWindow(%d, %s) = %d, want %d", tc.perMinute, tc.window, got, tc.want)
		}
	}
}

func TestGuard_ComposesTheBudgetsOfAPrincipal(t *testing.T) {
	own := map[string]int{"t-own": 300}
	guard := func(window time.Duration) *ratelimit.Guard {
		return ratelimit.NewGuard(ratelimit.Config{
			Limiter:         ratelimit.NewMemory(window),
			TenantPerMinute: 6000,
			TenantLimit:     func(_ context.Context, id string) (int, error) { return own[id], nil },
		})
	}
	for _, tc := range []struct {
		name   string
		window time.Duration
		p      auth.Principal
		want   []ratelimit.Budget
	}{
		{"UserOfATenantWithoutSettingGetsTheDefault", time.Minute,
			auth.Principal{Kind: "user", Subject: "u1", TenantID: "t1", ActingTenant: "t1"},
			[]ratelimit.Budget{{Key: "tenant:{t1}", Limit: 6000}}},
		{"TheTenantsOwnSettingWins", time.Minute,
			auth.Principal{Kind: "user", Subject: "u1", TenantID: "t-own", ActingTenant: "t-own"},
			[]ratelimit.Budget{{Key: "tenant:{t-own}", Limit: 300}}},
		{"APlatformAdminDrawsFromTheTenantItActsIn", time.Minute,
			auth.Principal{Kind: "user", Subject: "root", TenantID: "t1", ActingTenant: "t-own"},
			[]ratelimit.Budget{{Key: "tenant:{t-own}", Limit: 300}}},
		{"AnAPIKeyWithItsOwnBudgetDrawsFromBoth", time.Minute,
			auth.Principal{Kind: "api_key", Subject: "k1", TenantID: "t1", ActingTenant: "t1", RateLimitPerMinute: 120},
			[]ratelimit.Budget{{Key: "tenant:{t1}", Limit: 6000}, {Key: "tenant:{t1}:apikey:k1", Limit: 120}}},
		{"AnAPIKeyWithoutItsOwnBudgetDrawsFromTheTenantOnly", time.Minute,
			auth.Principal{Kind: "api_key", Subject: "k2", TenantID: "t1", ActingTenant: "t1"},
			[]ratelimit.Budget{{Key: "tenant:{t1}", Limit: 6000}}},
		{"AUserHasNoKeyBudget", time.Minute,
			auth.Principal{Kind: "user", Subject: "u1", TenantID: "t1", ActingTenant: "t1", RateLimitPerMinute: 5},
			[]ratelimit.Budget{{Key: "tenant:{t1}", Limit: 6000}}},
		{"BudgetsScaleToAShorterWindow", 10 * time.Second,
			auth.Principal{Kind: "api_key", Subject: "k1", TenantID: "t-own", ActingTenant: "t-own", RateLimitPerMinute: 120},
			[]ratelimit.Budget{{Key: "tenant:{t-own}", Limit: 50}, {Key: "tenant:{t-own}:apikey:k1", Limit: 20}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := guard(tc.window).PrincipalBudgets(context.Background(), &tc.p)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("budgets %+v, want %+v", got, tc.want)
			}
		})
	}
	t.Run("AClientAddressHasTheAnonymousBudget", func(t *testing.T) {
		g := ratelimit.NewGuard(ratelimit.Config{Limiter: ratelimit.NewMemory(time.Minute), AnonPerMinute: 42})
		if got, want := g.ClientBudget("2001:db8::1"), (ratelimit.Budget{Key: "ip:2001:db8::1", Limit: 42}); got != want {
			t.Fatalf("budget %+v, want %+v", got, want)
		}
	})
}

func TestGuard_CachesTenantSettingsForTheirTTL(t *testing.T) {
	var reads atomic.Int64
	setting := atomic.Int64{}
	setting.Store(100)
	failing := atomic.Bool{}
	g := ratelimit.NewGuard(ratelimit.Config{
		Limiter:     ratelimit.NewMemory(time.Minute),
		SettingsTTL: 300 * time.Millisecond,
		TenantLimit: func(context.Context, string) (int, error) {
			reads.Add(1)
			if failing.Load() {
				return 0, errors.New("database unavailable")
			}
			return int(setting.Load()), nil
		},
	})
	p := &auth.Principal{Kind: "user", TenantID: "t", ActingTenant: "t"}
	limit := func() int { return g.PrincipalBudgets(context.Background(), p)[0].Limit }
	for i := 0; i < 50; i++ {
		if got := limit(); got != 100 {
			t.Fatalf("limit %d, want 100", got)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d settings reads for 50 requests within the TTL, want 1", n)
	}
	setting.Store(7)
	time.Sleep(350 * time.Millisecond)
	if got := limit(); got != 7 {
		t.Fatalf("after the TTL: limit %d, want the new setting 7", got)
	}
	failing.Store(true)
	time.Sleep(350 * time.Millisecond)
	if got := limit(); got != 7 {
		t.Fatalf("settings unreadable: limit %d, want the last known 7", got)
	}
}
