package admin_test

import (
	"net/http"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// TestFeatureFlags_GateTheGatewayResponseCache: the product's own
// gateway-response-cache flag turns the gateway's cache off for the tenants
// (and users) it targets, for everyone with its kill switch, and the cache
// is back once the flag is gone.
func TestFeatureFlags_GateTheGatewayResponseCache(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	tenantA, adminA := in.NewTenant(t, admin, "GateA")
	_, adminB := in.NewTenant(t, admin, "GateB")
	for _, tok := range []string{adminA, adminB} {
		if r := in.Do(t, http.MethodPut, "/api/v1/gateway/cache/config", tok, map[string]any{"enabled": true, "ttl_seconds": 300, "max_entries": 100}); r.Status != http.StatusOK {
			t.Fatalf("cache config: %d %s", r.Status, r.Body)
		}
	}
	// hits sends the same prompt twice and reports whether the second was
	// answered from the cache.
	hits := func(token, prompt string) bool {
		t.Helper()
		var out struct {
			Security struct {
				CacheHit bool `json:"cache_hit"`
			} `json:"security"`
		}
		for range 2 {
			r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", token,
				map[string]any{"provider": "mock", "model": "mock-small", "messages": []map[string]string{{"role": "user", "content": prompt}}})
			if r.Status != http.StatusOK {
				t.Fatalf("chat: %d %s", r.Status, r.Body)
			}
			r.Data(t, &out)
		}
		return out.Security.CacheHit
	}
	if !hits(adminA, "before any flag") || !hits(adminB, "before any flag") {
		t.Fatal("the cache is not on without a flag")
	}
	r := in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, map[string]any{"key": "gateway-response-cache", "type": "boolean",
		"default_variant": "on", "rules": []map[string]any{{"tenants": []string{tenantA}, "variant": "off"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("flag: %d %s", r.Status, r.Body)
	}
	if hits(adminA, "targeted off") {
		t.Fatal("tenant A's requests were cached with the flag off for A")
	}
	if !hits(adminB, "not targeted") {
		t.Fatal("tenant B lost its cache")
	}
	in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/gateway-response-cache", admin, map[string]any{"enabled": false})
	if hits(adminB, "killed for everyone") {
		t.Fatal("the kill switch left B's cache on")
	}
	in.Do(t, http.MethodDelete, "/api/v1/admin/feature-flags/gateway-response-cache", admin, nil)
	if !hits(adminA, "flag gone") {
		t.Fatal("the cache did not come back once the flag was deleted")
	}
}
