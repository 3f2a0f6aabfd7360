package gateway_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/testkit"
)

type cacheView struct {
	Config struct {
		Enabled    bool `json:"enabled"`
		TTLSeconds int  `json:"ttl_seconds"`
		MaxEntries int  `json:"max_entries"`
	} `json:"config"`
	Stats struct {
		Entries int   `json:"entries"`
		Hits    int64 `json:"hits"`
		Misses  int64 `json:"misses"`
	} `json:"stats"`
	Entries []struct {
		Key  string `json:"key"`
		Hits int64  `json:"hits"`
	} `json:"entries"`
}

var hexKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

// testCache: hits, purge of all and of one key, TTL from the config, no
// crossing of tenants, and a policy update that makes the next request a miss.
func testCache(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Cache")
	_, other := in.NewTenant(t, admin, "CacheOther")
	_, dev := in.SignIn(t, ta, "dev@cache.test", "developer")
	hit := func(t *testing.T, tok, content string, extra map[string]any) bool {
		t.Helper()
		return okChat(t, in, tok, "mock", "mock-small", content, extra).Security.CacheHit
	}

	var key string
	t.Run("an identical request is answered from the cache", func(t *testing.T) {
		if hit(t, ta, "what is the capital of France?", nil) || !hit(t, ta, "what is the capital of France?", nil) {
			t.Fatal("want miss then hit")
		}
		out := okChat(t, in, ta, "mock", "mock-small", "what is the capital of France?", nil)
		rec := awaitRequest(t, in, ta, out.Security.RequestID)
		if !rec.CacheHit || rec.step("cache_lookup").Verdict != "hit" || rec.step("provider_call").Verdict != "skip" {
			t.Fatalf("trace of a hit %+v", rec.Steps)
		}
		// A different sampling parameter is a different request.
		if hit(t, ta, "what is the capital of France?", map[string]any{"temperature": 0.2}) {
			t.Fatal("temperature ignored by the cache key")
		}
		var v cacheView
		in.Do(t, http.MethodGet, "/api/v1/gateway/cache", dev, nil).Data(t, &v)
		if !v.Config.Enabled || v.Stats.Entries != 2 || v.Stats.Hits < 2 || len(v.Entries) != 2 || !hexKey.MatchString(v.Entries[0].Key) {
			t.Fatalf("cache view %+v", v)
		}
		for _, e := range v.Entries {
			if e.Hits >= 2 {
				key = e.Key
			}
		}
		if key == "" {
			t.Fatalf("no entry with hits: %+v", v.Entries)
		}
	})

	t.Run("a cached answer never crosses tenants", func(t *testing.T) {
		if hit(t, other, "what is the capital of France?", nil) {
			t.Fatal("another tenant got our cached answer")
		}
		var v cacheView
		in.Do(t, http.MethodGet, "/api/v1/gateway/cache", other, nil).Data(t, &v)
		if v.Stats.Entries != 1 || v.Entries[0].Key == key {
			t.Fatalf("other tenant's cache %+v", v)
		}
		// Nor can it purge ours: the key is looked up in its own cache only.
		var n struct {
			Entries int `json:"entries"`
		}
		in.Do(t, http.MethodDelete, "/api/v1/gateway/cache/"+key, other, nil).Data(t, &n)
		if n.Entries != 0 {
			t.Fatalf("other tenant purged %d of ours", n.Entries)
		}
	})

	t.Run("purge one key", func(t *testing.T) {
		var n struct {
			Entries int `json:"entries"`
		}
		in.Do(t, http.MethodDelete, "/api/v1/gateway/cache/"+key, ta, nil).Data(t, &n)
		if n.Entries != 1 {
			t.Fatalf("purged %d", n.Entries)
		}
		if hit(t, ta, "what is the capital of France?", nil) || !hit(t, ta, "what is the capital of France?", nil) {
			t.Fatal("want miss after the purge, then hit")
		}
		in.Do(t, http.MethodDelete, "/api/v1/gateway/cache/"+strings.Repeat("0", 64), ta, nil).Data(t, &n)
		if n.Entries != 0 {
			t.Fatalf("purged an unknown key: %d", n.Entries)
		}
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/cache/short", ta, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/cache/"+key, dev, nil), http.StatusForbidden, "AUTH-006")
	})

	t.Run("purge all", func(t *testing.T) {
		var n struct {
			Entries int `json:"entries"`
		}
		in.Do(t, http.MethodDelete, "/api/v1/gateway/cache", ta, nil).Data(t, &n)
		if n.Entries != 2 {
			t.Fatalf("purged %d, want 2", n.Entries)
		}
		if hit(t, ta, "what is the capital of France?", nil) {
			t.Fatal("hit after purging everything")
		}
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/cache", dev, nil), http.StatusForbidden, "AUTH-006")
		evs := events(t, in, ta, "CachePurged")
		if len(evs) != 3 || !strings.Contains(toJSON(evs), key) {
			t.Fatalf("CachePurged events: %v", evs)
		}
		var v cacheView
		in.Do(t, http.MethodGet, "/api/v1/gateway/cache", other, nil).Data(t, &v)
		if v.Stats.Entries != 1 {
			t.Fatalf("our purge emptied another tenant's cache: %+v", v.Stats)
		}
	})

	t.Run("a policy update makes the next identical request a miss", func(t *testing.T) {
		pol := createPolicy(t, in, ta, map[string]any{"name": "cached", "cache": true})
		with := map[string]any{"policy_id": pol.ID}
		if hit(t, ta, "cache me under a policy", with) || !hit(t, ta, "cache me under a policy", with) {
			t.Fatal("want miss then hit under the policy")
		}
		wantStatus(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/policies/"+pol.ID, ta, map[string]any{"name": "cached", "cache": true, "description": "v2"}),
			http.StatusOK)
		out := okChat(t, in, ta, "mock", "mock-small", "cache me under a policy", with)
		if out.Security.CacheHit || out.Security.PolicyVersion != 2 {
			t.Fatalf("after the update: %+v", out.Security)
		}
		if !hit(t, ta, "cache me under a policy", with) {
			t.Fatal("version 2's answer is not cached")
		}
		wantStatus(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+pol.ID+"/rollback", ta, map[string]int{"version": 1}), http.StatusOK)
		if hit(t, ta, "cache me under a policy", with) {
			t.Fatal("a rollback (version 3) reused version 2's answer")
		}
		// A policy without cache: true never caches.
		nc := createPolicy(t, in, ta, map[string]any{"name": "uncached"})
		if hit(t, ta, "never cached", map[string]any{"policy_id": nc.ID}) || hit(t, ta, "never cached", map[string]any{"policy_id": nc.ID}) {
			t.Fatal("a policy without cache was cached")
		}
	})

	t.Run("config: TTL and switching the cache off", func(t *testing.T) {
		r := in.Do(t, http.MethodPut, "/api/v1/gateway/cache/config", ta, map[string]any{"enabled": true, "ttl_seconds": 1, "max_entries": 100})
		wantStatus(t, r, http.StatusOK)
		var cfg struct {
			Enabled    bool `json:"enabled"`
			TTLSeconds int  `json:"ttl_seconds"`
			MaxEntries int  `json:"max_entries"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/cache/config", dev, nil).Data(t, &cfg)
		if !cfg.Enabled || cfg.TTLSeconds != 1 || cfg.MaxEntries != 100 {
			t.Fatalf("config %+v", cfg)
		}
		if hit(t, ta, "short-lived answer", nil) || !hit(t, ta, "short-lived answer", nil) {
			t.Fatal("want miss then hit with a 1 s TTL")
		}
		time.Sleep(1100 * time.Millisecond)
		if hit(t, ta, "short-lived answer", nil) {
			t.Fatal("hit after the TTL")
		}
		wantStatus(t, in.Do(t, http.MethodPut, "/api/v1/gateway/cache/config", ta, map[string]any{"enabled": false, "ttl_seconds": 60, "max_entries": 100}), http.StatusOK)
		if hit(t, ta, "uncached while off", nil) || hit(t, ta, "uncached while off", nil) {
			t.Fatal("cache used while switched off")
		}
		out := okChat(t, in, ta, "mock", "mock-small", "uncached while off", nil)
		if rec := awaitRequest(t, in, ta, out.Security.RequestID); rec.step("cache_lookup").Verdict != "skip" {
			t.Fatalf("cache step while off: %+v", rec.step("cache_lookup"))
		}
		wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/cache/config", ta, map[string]any{"enabled": true, "ttl_seconds": 0, "max_entries": 100}),
			http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/cache/config", dev, map[string]any{"enabled": true, "ttl_seconds": 10, "max_entries": 100}),
			http.StatusForbidden, "AUTH-006")
		if evs := events(t, in, ta, "CacheConfigured"); len(evs) != 2 {
			t.Fatalf("CacheConfigured events: %d", len(evs))
		}
	})
}

type budgetOut struct {
	ID         string  `json:"id"`
	Subject    string  `json:"subject"`
	Period     string  `json:"period"`
	MaxTokens  int64   `json:"max_tokens"`
	Action     string  `json:"action"`
	Version    int64   `json:"version"`
	Window     string  `json:"window"`
	UsedTokens int64   `json:"used_tokens"`
	UsedCost   float64 `json:"used_cost_usd"`
	Exceeded   bool    `json:"exceeded"`
}

// testBudgets: a tiny token budget refuses the next request with GW-004 and
// records gateway.BudgetExceeded once; budgets are versioned; usage reports
// tokens and cost per day.
func testBudgets(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Budget")
	_, dev := in.SignIn(t, ta, "dev@budget.test", "developer")
	key, keyID := in.NewAPIKey(t, ta, "budget-key", "gateway:write")
	// Traffic is priced (gpt-4o-mini's list price) by a loopback provider.
	lb := newLoopback(t, "priced", "gpt-4o-mini")
	registerLoopback(t, in, ta, lb, "", nil)

	var b budgetOut
	t.Run("a tiny tenant budget stops traffic with GW-004", func(t *testing.T) {
		// Room for exactly one request's estimate (its prompt and max_tokens 1):
		// it is reserved before the provider call, so the request passes; the
		// provider then answers at length, and what it used is charged.
		spend := "LOOPBACK_SAY: spend " + strings.Repeat("a ", 40)
		limit := providers.PromptTokens([]providers.Message{{Role: "user", Content: spend}}) + 1
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/budgets", ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": limit})
		wantStatus(t, r, http.StatusCreated)
		r.Data(t, &b)
		if b.UsedTokens != 0 || b.Exceeded || b.Action != "block" || b.Window != time.Now().UTC().Format("2006-01-02") || r.Header.Get("ETag") != `"1"` {
			t.Fatalf("budget %+v etag %s", b, r.Header.Get("ETag"))
		}
		okChat(t, in, ta, "priced", "gpt-4o-mini", spend, map[string]any{"max_tokens": 1})
		p := wantProblem(t, chatWith(t, in, ta, "priced", "gpt-4o-mini", "one more", nil), http.StatusTooManyRequests, "GW-004")
		if !strings.Contains(p.Detail, "daily budget") {
			t.Fatalf("detail %q", p.Detail)
		}
		wantProblem(t, chatWith(t, in, key, "mock", "mock-small", "the key too", nil), http.StatusTooManyRequests, "GW-004")
		evs := events(t, in, ta, "BudgetExceeded")
		if len(evs) != 1 || !strings.Contains(toJSON(evs), b.ID) {
			t.Fatalf("BudgetExceeded events (once per window): %v", evs)
		}
		var list []budgetOut
		in.Do(t, http.MethodGet, "/api/v1/gateway/budgets", dev, nil).Data(t, &list)
		if len(list) != 1 || !list[0].Exceeded || list[0].UsedTokens < 5 || list[0].UsedCost <= 0 {
			t.Fatalf("budgets %+v", list)
		}
	})

	t.Run("raising it lets traffic through; versions are checked", func(t *testing.T) {
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/budgets/"+b.ID, ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": 1000000},
			"If-Match", `"7"`), http.StatusPreconditionFailed, "CON-001")
		r := in.Do(t, http.MethodPatch, "/api/v1/gateway/budgets/"+b.ID, ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": 1000000},
			"If-Match", `"1"`)
		wantStatus(t, r, http.StatusOK)
		var up budgetOut
		r.Data(t, &up)
		if up.MaxTokens != 1000000 || up.Exceeded || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("updated %+v", up)
		}
		okChat(t, in, ta, "priced", "gpt-4o-mini", "budget raised", nil)
	})

	t.Run("an alerting API-key budget records but does not block", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/budgets", ta, map[string]any{"subject": "api_key:" + keyID, "period": "month", "max_tokens": 1, "action": "alert"})
		wantStatus(t, r, http.StatusCreated)
		var kb budgetOut
		r.Data(t, &kb)
		okChat(t, in, key, "mock", "mock-small", "first key call", nil)
		out := okChat(t, in, key, "mock", "mock-small", "second key call", nil)
		if !contains(out.Security.PolicyViolations, "budget:"+kb.ID) {
			t.Fatalf("violations %v", out.Security.PolicyViolations)
		}
		if !strings.Contains(toJSON(events(t, in, ta, "BudgetExceeded")), kb.ID) {
			t.Fatal("no BudgetExceeded for the key's budget")
		}
		// The user is not the key: not held to the key's budget.
		if out := okChat(t, in, ta, "mock", "mock-small", "user call", nil); contains(out.Security.PolicyViolations, "budget:"+kb.ID) {
			t.Fatal("the key's budget applied to a user")
		}
	})

	t.Run("denials", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"subject": "everyone", "period": "day", "max_tokens": 5},
			{"subject": "user:not-a-uuid", "period": "day", "max_tokens": 5},
			{"subject": "tenant", "period": "week", "max_tokens": 5},
			{"subject": "tenant", "period": "day"},
			{"subject": "tenant", "period": "day", "max_tokens": 5, "action": "explode"},
		} {
			wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/budgets", ta, body), http.StatusBadRequest, "VAL-001")
		}
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/budgets", dev, map[string]any{"subject": "tenant", "period": "day", "max_tokens": 5}),
			http.StatusForbidden, "AUTH-006")
		_, other := in.NewTenant(t, admin, "BudgetOther")
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/budgets/"+b.ID, other, map[string]any{"subject": "tenant", "period": "day", "max_tokens": 1}),
			http.StatusNotFound, "GW-015")
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/budgets/"+b.ID, other, nil), http.StatusNotFound, "GW-015")
		var theirs []budgetOut
		in.Do(t, http.MethodGet, "/api/v1/gateway/budgets", other, nil).Data(t, &theirs)
		if len(theirs) != 0 {
			t.Fatalf("another tenant sees %+v", theirs)
		}
	})

	t.Run("usage: tokens and cost per day by provider, model and principal", func(t *testing.T) {
		okChat(t, in, ta, "mock", "mock-small", "a cached one", nil)
		okChat(t, in, ta, "mock", "mock-small", "a cached one", nil) // a hit: a request, but no tokens
		type usage struct {
			Totals struct {
				Requests    int64   `json:"requests"`
				CacheHits   int64   `json:"cache_hits"`
				Blocked     int64   `json:"blocked"`
				TotalTokens int64   `json:"total_tokens"`
				CostUSD     float64 `json:"cost_usd"`
			} `json:"totals"`
			Days []struct {
				Day         string  `json:"day"`
				Provider    string  `json:"provider"`
				Model       string  `json:"model"`
				Principal   string  `json:"principal"`
				Requests    int64   `json:"requests"`
				CacheHits   int64   `json:"cache_hits"`
				TotalTokens int64   `json:"total_tokens"`
				CostUSD     float64 `json:"cost_usd"`
			} `json:"days"`
		}
		var u usage
		// 2 priced + 2 blocked + 2 key calls + 1 user call + 2 cached = 9 requests.
		testkit.Eventually(t, 10*time.Second, "usage of every request", func() bool {
			in.Do(t, http.MethodGet, "/api/v1/gateway/usage", dev, nil).Data(t, &u)
			return u.Totals.Requests == 9
		})
		today := time.Now().UTC().Format("2006-01-02")
		var sumTokens int64
		var priced, keyRows bool
		for _, d := range u.Days {
			if d.Day != today {
				t.Fatalf("row of another day: %+v", d)
			}
			sumTokens += d.TotalTokens
			if d.Provider == "priced" && d.Model == "gpt-4o-mini" {
				priced = d.CostUSD > 0 && d.TotalTokens > 0
			}
			if d.Principal == keyID {
				keyRows = true
			}
			if d.Provider == "mock" && d.CacheHits > 0 && d.Requests == d.CacheHits && d.TotalTokens != 0 {
				t.Fatalf("a cache hit counted tokens: %+v", d)
			}
		}
		if !priced || !keyRows || sumTokens != u.Totals.TotalTokens || u.Totals.CacheHits != 1 || u.Totals.Blocked != 2 || u.Totals.CostUSD <= 0 {
			t.Fatalf("usage %+v", u)
		}
		var only usage
		in.Do(t, http.MethodGet, "/api/v1/gateway/usage?principal="+keyID, dev, nil).Data(t, &only)
		if only.Totals.Requests != 3 || len(only.Days) != 1 || only.Days[0].Principal != keyID {
			t.Fatalf("usage of the key %+v", only)
		}
		var none usage
		in.Do(t, http.MethodGet, "/api/v1/gateway/usage?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z", dev, nil).Data(t, &none)
		if none.Totals.Requests != 0 || len(none.Days) != 0 {
			t.Fatalf("usage of 2020 %+v", none)
		}
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", dev, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/usage?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", dev, nil), http.StatusBadRequest, "VAL-005")
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/usage?from=yesterday", dev, nil), http.StatusBadRequest, "VAL-005")
	})

	t.Run("delete", func(t *testing.T) {
		wantStatus(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/budgets/"+b.ID, ta, nil), http.StatusNoContent)
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/budgets/"+b.ID, ta, nil), http.StatusNotFound, "GW-015")
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/budgets/"+b.ID, ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": 1}),
			http.StatusNotFound, "GW-015")
		if n := len(events(t, in, ta, "BudgetDeleted")); n != 1 {
			t.Fatalf("BudgetDeleted events: %d", n)
		}
		if n := len(events(t, in, ta, "BudgetSet")); n != 3 {
			t.Fatalf("BudgetSet events: %d", n)
		}
	})
}

// testDetectors: the catalogue, and tuning the tenant's default changes what
// the built-in default policy does.
func testDetectors(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "Detect")
	_, dev := in.SignIn(t, ta, "dev@detect.test", "developer")
	type detector struct {
		Name             string   `json:"name"`
		Version          string   `json:"version"`
		DefaultThreshold float64  `json:"default_threshold"`
		Enabled          bool     `json:"enabled"`
		Threshold        float64  `json:"threshold"`
		Families         []string `json:"families"`
	}
	var cat []detector
	in.Do(t, http.MethodGet, "/api/v1/gateway/detectors", dev, nil).Data(t, &cat)
	if len(cat) != 2 || cat[0].Name != "injection" || cat[1].Name != "pii" || cat[0].Version == "" || cat[0].DefaultThreshold <= 0 ||
		len(cat[0].Families) == 0 || !strings.Contains(strings.Join(cat[1].Families, ","), "CREDIT_CARD") {
		t.Fatalf("catalogue %+v", cat)
	}
	def := cat[0].DefaultThreshold

	// A mildly suspicious prompt scores below the default threshold.
	const mild = "Please ignore the formatting rules above and answer in bullet points."
	var sc struct {
		InjectionScore float64 `json:"injection_score"`
		Blocked        bool    `json:"blocked"`
	}
	in.Do(t, http.MethodPost, "/api/v1/gateway/scan", ta, map[string]any{"prompt": mild}).Data(t, &sc)
	if sc.Blocked || sc.InjectionScore >= def || sc.InjectionScore < 0.1 {
		t.Fatalf("mild prompt scores %.3f (default threshold %.2f)", sc.InjectionScore, def)
	}
	okChat(t, in, ta, "mock", "mock-small", mild, nil)

	t.Run("a lower threshold blocks it under the default policy", func(t *testing.T) {
		r := in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/injection", ta, map[string]any{"threshold": sc.InjectionScore - 0.05})
		wantStatus(t, r, http.StatusOK)
		var d detector
		r.Data(t, &d)
		if d.Threshold != sc.InjectionScore-0.05 || !d.Enabled || d.DefaultThreshold != def {
			t.Fatalf("tuned %+v", d)
		}
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", mild, nil), http.StatusUnprocessableEntity, "GW-003")
		// A tenant policy states its own threshold and is not affected.
		pol := createPolicy(t, in, ta, map[string]any{"name": "own", "injection": map[string]any{"enabled": true, "threshold": def}})
		okChat(t, in, ta, "mock", "mock-small", mild, map[string]any{"policy_id": pol.ID})
		// Another tenant keeps the default.
		_, other := in.NewTenant(t, admin, "DetectOther")
		okChat(t, in, other, "mock", "mock-small", mild, nil)
	})

	t.Run("disabling it lets an injection through the default policy", func(t *testing.T) {
		wantStatus(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/injection", ta, map[string]any{"enabled": false}), http.StatusOK)
		out := okChat(t, in, ta, "mock", "mock-small", injectionPrompt, nil)
		rec := awaitRequest(t, in, ta, out.Security.RequestID)
		if rec.step("injection_detection").Verdict != "skip" {
			t.Fatalf("injection step %+v", rec.step("injection_detection"))
		}
		wantStatus(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/injection", ta, map[string]any{"enabled": true, "threshold": def}), http.StatusOK)
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", injectionPrompt, nil), http.StatusUnprocessableEntity, "GW-003")
		okChat(t, in, ta, "mock", "mock-small", mild, nil)
	})

	t.Run("the PII detector's threshold", func(t *testing.T) {
		wantStatus(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/pii", ta, map[string]any{"enabled": false}), http.StatusOK)
		out := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: write to jane.doe@example.com", nil)
		rec := awaitRequest(t, in, ta, out.Security.RequestID)
		if out.Security.PIIDetected || rec.step("pii_detection").Verdict != "skip" {
			t.Fatalf("PII detection off: %+v %+v", out.Security, rec.step("pii_detection"))
		}
		wantStatus(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/pii", ta, map[string]any{"enabled": true}), http.StatusOK)
		out = okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: write to jane.doe@example.com", nil)
		if strings.Contains(out.Choices[0].Message.Content, "jane.doe@example.com") || !out.Security.PIIDetected {
			t.Fatalf("PII detection on: %+v", out)
		}
	})

	t.Run("denials and events", func(t *testing.T) {
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/telepathy", ta, map[string]any{"threshold": 0.5}), http.StatusNotFound, "GW-018")
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/injection", ta, map[string]any{"threshold": 1.5}), http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/detectors/injection", dev, map[string]any{"threshold": 0.5}), http.StatusForbidden, "AUTH-006")
		if n := len(events(t, in, ta, "DetectorTuned")); n != 5 {
			t.Fatalf("DetectorTuned events: %d", n)
		}
	})
}
