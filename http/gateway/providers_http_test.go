package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	cmdgw "github.com/astrabastion/astra/commands/gateway"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// testProviders: provider CRUD, credentials never returned and rotated,
// SSRF refusals, tenant isolation and role permissions.
func testProviders(t *testing.T, in *testkit.Instance, admin string) {
	tenantID, ta := in.NewTenant(t, admin, "Providers")
	_, other := in.NewTenant(t, admin, "ProvidersOther")
	_, viewer := in.SignIn(t, ta, "viewer@providers.test", "viewer")
	_, dev := in.SignIn(t, ta, "dev@providers.test", "developer")
	lb := newLoopback(t, "loop", "loop-chat", "loop-embed")
	const secret1, secret2 = "sk-first-secret-0001", "sk-second-secret-0002"

	r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", ta, map[string]any{"name": "loop", "kind": "openai_compatible",
		"base_url": lb.BaseURL(), "models": []string{"loop-chat", "loop-embed"}, "api_key": secret1,
		"settings": map[string]any{"timeout_ms": 5000, "max_retries": 0}})
	wantStatus(t, r, http.StatusCreated)
	var p providerOut
	r.Data(t, &p)
	if r.Header.Get("Location") != "/api/v1/gateway/providers/"+p.ID || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("location %q etag %q", r.Header.Get("Location"), r.Header.Get("ETag"))
	}
	if !p.CredentialsSet || p.Kind != "openai_compatible" || p.BaseURL != lb.BaseURL() || p.Version != 1 {
		t.Fatalf("registered %+v", p)
	}
	if strings.Contains(string(r.Body), secret1) || strings.Contains(string(r.Body), "api_key") {
		t.Fatalf("credentials returned: %s", r.Body)
	}

	t.Run("read and list never show the key", func(t *testing.T) {
		for _, path := range []string{"/api/v1/gateway/providers", "/api/v1/gateway/providers/" + p.ID} {
			r := in.Do(t, http.MethodGet, path, viewer, nil)
			wantStatus(t, r, http.StatusOK)
			if strings.Contains(string(r.Body), secret1) || !strings.Contains(string(r.Body), `"credentials_set":true`) {
				t.Fatalf("%s: %s", path, r.Body)
			}
		}
		// Not in the ledger either: sealed under the tenant's credentials key.
		var n int
		if err := in.Running.Stack.Pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE position(convert_to($1, 'UTF8') in data) > 0`, secret1).Scan(&n); err != nil || n != 0 {
			t.Fatalf("plaintext key in the ledger: %d %v", n, err)
		}
	})

	t.Run("the stored key reaches the provider; a rotated one replaces it", func(t *testing.T) {
		out := okChat(t, in, ta, "loop", "loop-chat", "first call", nil)
		if out.Choices[0].Message.Content != "loopback(loop-chat): first call" || lb.lastAuth() != "Bearer "+secret1 {
			t.Fatalf("content %q, auth %q", out.Choices[0].Message.Content, lb.lastAuth())
		}
		ws := in.DialWS(t, ta)
		ws.Subscribe("", "gateway.*")
		r := in.Do(t, http.MethodPut, "/api/v1/gateway/providers/"+p.ID+"/credentials", ta, map[string]string{"api_key": secret2})
		wantStatus(t, r, http.StatusNoContent)
		live := ws.Events(5*time.Second, func(e []map[string]any) bool {
			return strings.Contains(toJSON(e), "ProviderCredentialsRotated")
		})
		if !strings.Contains(toJSON(live), "ProviderCredentialsRotated") || strings.Contains(toJSON(live), secret2) {
			t.Fatalf("live stream of the rotation (must not carry the key): %v", live)
		}
		okChat(t, in, ta, "loop", "loop-chat", "second call", nil)
		if lb.lastAuth() != "Bearer "+secret2 {
			t.Fatalf("after rotation the provider saw %q", lb.lastAuth())
		}
		g := in.Do(t, http.MethodGet, "/api/v1/gateway/providers/"+p.ID, ta, nil)
		if strings.Contains(string(g.Body), secret2) || !strings.Contains(string(g.Body), "credentials_rotated_at") {
			t.Fatalf("after rotation: %s", g.Body)
		}
		if evs := events(t, in, ta, "ProviderCredentialsRotated"); len(evs) != 1 || strings.Contains(toJSON(evs), secret2) {
			t.Fatalf("rotation events: %v", evs)
		}
		wantProblem(t, in.Do(t, http.MethodPut, "/api/v1/gateway/providers/"+p.ID+"/credentials", ta, map[string]string{}), http.StatusBadRequest, "VAL-001")
	})

	t.Run("private, metadata and non-http base URLs are refused with GW-016", func(t *testing.T) {
		for _, u := range []string{"http://169.254.169.254/latest/meta-data", "http://10.1.2.3/v1", "http://192.168.0.10:11434/v1",
			"http://[fd00::1]/v1", "ftp://127.0.0.1/v1"} {
			r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", ta, map[string]any{"name": "evil", "kind": "openai_compatible", "base_url": u})
			wantProblem(t, r, http.StatusUnprocessableEntity, "GW-016")
		}
		r := in.Do(t, http.MethodPatch, "/api/v1/gateway/providers/"+p.ID, ta, map[string]any{"base_url": "http://169.254.169.254/v1"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "GW-016")
		// A kind that has no default endpoint needs a base URL.
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/providers", ta, map[string]any{"name": "nourl", "kind": "openai_compatible"}),
			http.StatusBadRequest, "VAL-001")
		wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/providers", ta, map[string]any{"name": "x", "kind": "skynet", "base_url": lb.BaseURL()}),
			http.StatusBadRequest, "VAL-001")
	})

	t.Run("names are unique per tenant", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", ta, map[string]any{"name": "loop", "kind": "mock"})
		wantProblem(t, r, http.StatusConflict, "GW-017")
		// The same name in another tenant is fine.
		r = in.Do(t, http.MethodPost, "/api/v1/gateway/providers", other, map[string]any{"name": "loop", "kind": "mock"})
		wantStatus(t, r, http.StatusCreated)
		// Renaming onto a taken name is refused as well.
		var spare providerOut
		in.Do(t, http.MethodPost, "/api/v1/gateway/providers", ta, map[string]any{"name": "spare", "kind": "mock"}).Data(t, &spare)
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/providers/"+spare.ID, ta, map[string]any{"name": " loop "}), http.StatusConflict, "GW-017")
		wantProblem(t, in.Do(t, http.MethodPatch, "/api/v1/gateway/providers/"+spare.ID, ta, map[string]any{"name": "  "}), http.StatusBadRequest, "VAL-001")
		// Two renames racing past that check must not stop the read model:
		// the loser keeps its name, and later writes are read back at once.
		h := &cmdgw.Handlers{Store: in.Running.Stack.Store, Keys: in.Running.Stack.Keys}
		taken := "loop"
		if _, err := h.UpdateProvider(t.Context(), eventstore.Metadata{TenantID: tenantID, Actor: "race"}, cmdgw.UpdateProvider{ProviderID: spare.ID, Expected: -1, Changes: gw.ProviderUpdatedV1{Name: &taken}}); err != nil {
			t.Fatal(err)
		}
		r = in.Do(t, http.MethodPatch, "/api/v1/gateway/providers/"+spare.ID, ta, map[string]any{"models": []string{"after-the-race"}})
		wantStatus(t, r, http.StatusOK)
		var after providerOut
		r.Data(t, &after)
		if after.Name != "spare" || len(after.Models) != 1 || r.Header.Get("X-Astra-Consistency") != "strong" {
			t.Fatalf("after a racing rename: %+v (consistency %q)", after, r.Header.Get("X-Astra-Consistency"))
		}
		wantStatus(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/providers/"+spare.ID, ta, nil), http.StatusNoContent)
	})

	t.Run("update is versioned", func(t *testing.T) {
		g := in.Do(t, http.MethodGet, "/api/v1/gateway/providers/"+p.ID, ta, nil)
		var cur providerOut
		g.Data(t, &cur)
		if g.Header.Get("ETag") != `"2"` || cur.Version != 2 { // registered, then rotated
			t.Fatalf("etag %q version %d", g.Header.Get("ETag"), cur.Version)
		}
		r := in.Do(t, http.MethodPatch, "/api/v1/gateway/providers/"+p.ID, ta, map[string]any{"models": []string{"loop-chat", "loop-embed", "loop-big"},
			"settings": map[string]any{"breaker_failures": 3}}, "If-Match", `"2"`)
		wantStatus(t, r, http.StatusOK)
		var up providerOut
		r.Data(t, &up)
		if up.Version != 3 || r.Header.Get("ETag") != `"3"` || len(up.Models) != 3 || up.Settings["breaker_failures"] != float64(3) ||
			up.Settings["max_retries"] != float64(0) || !up.CredentialsSet {
			t.Fatalf("updated %+v etag %s", up, r.Header.Get("ETag"))
		}
		stale := in.Do(t, http.MethodPatch, "/api/v1/gateway/providers/"+p.ID, ta, map[string]any{"models": []string{"x"}}, "If-Match", `"2"`)
		wantProblem(t, stale, http.StatusPreconditionFailed, "CON-001")
		// The model list of the update is what /models shows.
		m := in.Do(t, http.MethodGet, "/api/v1/gateway/models", ta, nil)
		if !strings.Contains(string(m.Body), `"id":"loop-big","provider":"loop"`) {
			t.Fatalf("models after update: %s", m.Body)
		}
	})

	t.Run("another tenant cannot see or touch it", func(t *testing.T) {
		base := "/api/v1/gateway/providers/" + p.ID
		wantProblem(t, in.Do(t, http.MethodGet, base, other, nil), http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodPatch, base, other, map[string]any{"models": []string{"x"}}), http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodPut, base+"/credentials", other, map[string]string{"api_key": "stolen"}), http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodPost, base+"/test", other, nil), http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodGet, base+"/health", other, nil), http.StatusNotFound, "GW-010")
		wantProblem(t, in.Do(t, http.MethodDelete, base, other, nil), http.StatusNotFound, "GW-010")
		if l := in.Do(t, http.MethodGet, "/api/v1/gateway/providers", other, nil); strings.Contains(string(l.Body), p.ID) {
			t.Fatalf("other tenant lists it: %s", l.Body)
		}
		// Nor route traffic to it by name: "loop" in the other tenant is its own mock.
		out := okChat(t, in, other, "loop", "loop-chat", "MOCK_ECHO: mine", nil)
		if out.Choices[0].Message.Content != "mine" {
			t.Fatalf("other tenant's 'loop' answered %q", out.Choices[0].Message.Content)
		}
	})

	t.Run("viewers read, developers test, only admins change", func(t *testing.T) {
		base := "/api/v1/gateway/providers/" + p.ID
		for _, tok := range []string{viewer, dev} {
			wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/providers", tok, map[string]any{"name": "m2", "kind": "mock"}), http.StatusForbidden, "AUTH-006")
			wantProblem(t, in.Do(t, http.MethodPatch, base, tok, map[string]any{"models": []string{"x"}}), http.StatusForbidden, "AUTH-006")
			wantProblem(t, in.Do(t, http.MethodPut, base+"/credentials", tok, map[string]string{"api_key": "k"}), http.StatusForbidden, "AUTH-006")
			wantProblem(t, in.Do(t, http.MethodDelete, base, tok, nil), http.StatusForbidden, "AUTH-006")
			wantStatus(t, in.Do(t, http.MethodGet, base+"/health", tok, nil), http.StatusOK)
		}
		wantProblem(t, in.Do(t, http.MethodPost, base+"/test", viewer, nil), http.StatusForbidden, "AUTH-006")
		wantStatus(t, in.Do(t, http.MethodPost, base+"/test", dev, nil), http.StatusOK)
		wantProblem(t, chatWith(t, in, viewer, "mock", "mock-small", "hello", nil), http.StatusForbidden, "AUTH-006")
		wantStatus(t, chatWith(t, in, dev, "loop", "loop-chat", "hello", nil), http.StatusOK)
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/providers", "", nil), http.StatusUnauthorized, "AUTH-001")
	})

	t.Run("removal", func(t *testing.T) {
		g := in.Do(t, http.MethodGet, "/api/v1/gateway/providers/"+p.ID, ta, nil)
		etag := g.Header.Get("ETag")
		wantProblem(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/providers/"+p.ID, ta, nil, "If-Match", `"99"`), http.StatusPreconditionFailed, "CON-001")
		wantStatus(t, in.Do(t, http.MethodDelete, "/api/v1/gateway/providers/"+p.ID, ta, nil, "If-Match", etag), http.StatusNoContent)
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/providers/"+p.ID, ta, nil), http.StatusNotFound, "GW-010")
		testkit.Eventually(t, time.Second, "traffic to a removed provider refused", func() bool {
			r := chatWith(t, in, ta, "loop", "loop-chat", "after removal", nil)
			return r.Status == http.StatusNotFound && r.Problem(t).ErrorCode == "GW-010"
		})
		wantProblem(t, in.Do(t, http.MethodGet, "/api/v1/gateway/providers/not-a-uuid", ta, nil), http.StatusNotFound, "GW-010")
		for typ, want := range map[string]int{"ProviderRegistered": 2, "ProviderUpdated": 3, "ProviderCredentialsRotated": 1, "ProviderRemoved": 2} {
			if n := len(events(t, in, ta, typ)); n != want {
				t.Errorf("%s events: %d, want %d", typ, n, want)
			}
		}
		// The registration's payload, as the audit API shows it, carries no usable key.
		if reg := toJSON(events(t, in, ta, "ProviderRegistered")); strings.Contains(reg, secret1) {
			t.Fatalf("registration event shows the key: %s", reg)
		}
	})
}
