package sso_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestSsoProviders covers the configuration of a tenant's identity
// providers: CRUD with its events, the secret kept sealed and never
// answered, validation, the SSRF guard on issuers, and tenant isolation.
func TestSsoProviders(t *testing.T) {
	e := start(t)
	tenantB, adminB := e.in.NewTenant(t, e.admin, "Bravo")

	t.Run("LifecycleWithEventsAndNoSecretInAnyAnswer", func(t *testing.T) {
		p := e.configure(t, e.admin, map[string]any{"name": "Corporate", "default_role": "viewer", "scopes": []string{"email"}})
		if !p.ClientSecretSet || !p.Enabled || p.Version != 1 || p.DefaultRole != "viewer" || p.ClientID != e.idp.ClientID {
			t.Fatalf("created provider: %+v", p)
		}
		if strings.Join(p.Scopes, " ") != "openid email" {
			t.Fatalf("scopes %v, want openid added first", p.Scopes)
		}
		if p.LoginURL != "/api/v1/auth/sso/"+p.TenantID+"/login?provider="+p.ID {
			t.Fatalf("login_url %q", p.LoginURL)
		}
		secret := []byte(e.idp.ClientSecret)
		get := e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers/"+p.ID, e.admin, nil)
		if get.Status != http.StatusOK || get.Header.Get("ETag") != `"1"` {
			t.Fatalf("get: %d etag %q %s", get.Status, get.Header.Get("ETag"), get.Body)
		}
		list := e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers", e.admin, nil)
		var ps []provider
		list.Data(t, &ps)
		if len(ps) != 1 || ps[0].ID != p.ID {
			t.Fatalf("list: %s", list.Body)
		}

		// Stale If-Match: 412, nothing changes.
		assertProblem(t, e.in.Do(t, http.MethodPatch, "/api/v1/iam/sso/providers/"+p.ID, e.admin,
			map[string]any{"name": "Stale"}, "If-Match", `"7"`), http.StatusPreconditionFailed, "CON-001")
		rotated := "rotated-secret-value-0123456789"
		up := e.in.Do(t, http.MethodPatch, "/api/v1/iam/sso/providers/"+p.ID, e.admin,
			map[string]any{"name": "Corporate SSO", "client_secret": rotated, "enabled": false}, "If-Match", `"1"`)
		if up.Status != http.StatusOK {
			t.Fatalf("update: %d %s", up.Status, up.Body)
		}
		var after provider
		up.Data(t, &after)
		if after.Name != "Corporate SSO" || after.Enabled || !after.ClientSecretSet || after.Version != 2 || up.Header.Get("ETag") != `"2"` {
			t.Fatalf("after update: %+v", after)
		}

		for _, r := range [][]byte{get.Body, list.Body, up.Body} {
			if bytes.Contains(r, secret) || bytes.Contains(r, []byte(rotated)) || bytes.Contains(r, []byte("enc:v1:")) {
				t.Fatalf("an answer contains the client secret: %s", r)
			}
		}

		// The ledger holds the secret sealed; the read model too; the audit trail redacts it.
		pool := e.in.Running.Stack.Pool
		var data []byte
		if err := pool.QueryRow(context.Background(), `SELECT data FROM events WHERE stream_id = $1 AND version = 1`,
			"iam.sso-provider-"+p.ID).Scan(&data); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, secret) || !bytes.Contains(data, []byte(`"client_secret":"enc:v1:`+p.ID+`:`)) {
			t.Fatalf("ledger payload does not hold the secret sealed: %s", data)
		}
		var sealed string
		schema := e.in.Running.Stack.Runner.Schema("sso")
		if err := pool.QueryRow(context.Background(), `SELECT client_secret_sealed FROM `+schema+`.providers WHERE id = $1`, p.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "enc:v1:"+p.ID+":") || strings.Contains(sealed, rotated) {
			t.Fatalf("read model holds %q, want the sealed secret", sealed)
		}
		configured := e.events(t, e.admin, "com.astra.iam.SsoProviderConfigured")
		updated := e.events(t, e.admin, "com.astra.iam.SsoProviderUpdated")
		if len(configured) != 1 || len(updated) != 1 || configured[0].Subject != p.ID {
			t.Fatalf("events: %d configured, %d updated", len(configured), len(updated))
		}
		if configured[0].Data["client_secret"] != "[redacted]" || updated[0].Data["client_secret"] != "[redacted]" {
			t.Fatalf("audit trail shows the secret: %v / %v", configured[0].Data, updated[0].Data)
		}
		if configured[0].Data["issuer_url"] != e.idp.Issuer() || configured[0].Data["default_role"] != "viewer" {
			t.Fatalf("configured event: %v", configured[0].Data)
		}

		del := e.in.Do(t, http.MethodDelete, "/api/v1/iam/sso/providers/"+p.ID, e.admin, nil, "If-Match", `"2"`)
		if del.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", del.Status, del.Body)
		}
		assertProblem(t, e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers/"+p.ID, e.admin, nil), http.StatusNotFound, "SSO-001")
		assertProblem(t, e.in.Do(t, http.MethodDelete, "/api/v1/iam/sso/providers/"+p.ID, e.admin, nil), http.StatusNotFound, "SSO-001")
		if removed := e.events(t, e.admin, "com.astra.iam.SsoProviderRemoved"); len(removed) != 1 {
			t.Fatalf("%d SsoProviderRemoved events", len(removed))
		}
		// Removal shreds the secret: its data key is gone.
		var erased bool
		if err := pool.QueryRow(context.Background(), `SELECT wrapped_key IS NULL FROM subject_keys WHERE subject_id = $1`, p.ID).Scan(&erased); err != nil || !erased {
			t.Fatalf("the provider's data key survives its removal (%v)", err)
		}
	})

	t.Run("ValidationErrors", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			body   map[string]any
			status int
			code   string
		}{
			{"PlainHTTPIssuer", map[string]any{"issuer_url": "http://127.0.0.1:1/oidc"}, 422, "SSO-002"},
			{"IssuerWithQuery", map[string]any{"issuer_url": e.idp.Issuer() + "?x=1"}, 422, "SSO-002"},
			{"BlankName", map[string]any{"name": "   "}, 422, "SSO-002"},
			{"ScopeWithSpace", map[string]any{"scopes": []string{"openid email"}}, 422, "SSO-002"},
			{"NotADomain", map[string]any{"allowed_domains": []string{"exa mple.com"}}, 422, "SSO-002"},
			{"UnknownRole", map[string]any{"default_role": "wizard"}, 422, "SSO-002"},
			{"PlatformAdminByProvisioning", map[string]any{"default_role": "platform_admin"}, 422, "SSO-002"},
			{"ProvisioningWithoutDomains", map[string]any{"default_role": "viewer", "allowed_domains": []string{}}, 422, "SSO-002"},
			{"MissingClientID", map[string]any{"client_id": ""}, 400, "VAL-001"},
			{"UnknownField", map[string]any{"client_secret_set": true}, 400, "VAL-001"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := map[string]any{"name": "Bad", "issuer_url": e.idp.Issuer(), "client_id": "c", "client_secret": "s"}
				for k, v := range tc.body {
					body[k] = v
				}
				r := e.in.Do(t, http.MethodPost, "/api/v1/iam/sso/providers", e.admin, body)
				assertProblem(t, r, tc.status, tc.code)
				if tc.code == "SSO-002" {
					// The setting at fault is named in errors[].
					var p struct {
						Errors []struct {
							Field string `json:"field"`
						} `json:"errors"`
					}
					r.JSON(t, &p)
					if len(p.Errors) != 1 || p.Errors[0].Field == "" {
						t.Fatalf("errors[] does not name the setting: %s", r.Body)
					}
				}
			})
		}
		if evs := e.events(t, e.admin, "com.astra.iam.SsoProviderConfigured"); len(evs) != 1 { // the lifecycle's only
			t.Fatalf("invalid requests recorded providers: %d events", len(evs))
		}
	})

	t.Run("PrivateIssuersAreRefused", func(t *testing.T) {
		for _, issuer := range []string{
			"https://10.0.0.5/oidc",
			"https://192.168.1.10/",
			"https://169.254.169.254/latest/meta-data",
			"https://[fd00:ec2::254]/",
			"https://100.100.100.200/",
			"https://[::ffff:10.1.2.3]/",
			"https://0.0.0.0/",
		} {
			r := e.in.Do(t, http.MethodPost, "/api/v1/iam/sso/providers", e.admin,
				map[string]any{"name": "SSRF", "issuer_url": issuer, "client_id": "c", "client_secret": "s"})
			assertProblem(t, r, http.StatusUnprocessableEntity, "SSO-003")
		}
		p := e.configure(t, e.admin, map[string]any{"name": "Legit"})
		assertProblem(t, e.in.Do(t, http.MethodPatch, "/api/v1/iam/sso/providers/"+p.ID, e.admin,
			map[string]any{"issuer_url": "https://172.16.0.1/"}), http.StatusUnprocessableEntity, "SSO-003")
		got := e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers/"+p.ID, e.admin, nil)
		var after provider
		got.Data(t, &after)
		if after.IssuerURL != e.idp.Issuer() || after.Version != 1 {
			t.Fatalf("a refused issuer changed the provider: %+v", after)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		own := e.configure(t, e.admin, map[string]any{"name": "A's IdP"})
		path := "/api/v1/iam/sso/providers/" + own.ID
		assertProblem(t, e.in.Do(t, http.MethodGet, path, adminB, nil), http.StatusNotFound, "SSO-001")
		assertProblem(t, e.in.Do(t, http.MethodPatch, path, adminB, map[string]any{"enabled": false}), http.StatusNotFound, "SSO-001")
		// A right version must not turn the 404 into a 412 or a change.
		assertProblem(t, e.in.Do(t, http.MethodPatch, path, adminB, map[string]any{"enabled": false}, "If-Match", `"1"`), http.StatusNotFound, "SSO-001")
		assertProblem(t, e.in.Do(t, http.MethodPatch, path, adminB, map[string]any{"enabled": false}, "If-Match", `"9"`), http.StatusNotFound, "SSO-001")
		assertProblem(t, e.in.Do(t, http.MethodDelete, path, adminB, nil), http.StatusNotFound, "SSO-001")
		me := e.in.Me(t, e.admin)
		assertProblem(t, e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers", adminB, nil, "X-Tenant-ID", me.TenantID), http.StatusForbidden, "AUTH-005")

		list := e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers", adminB, nil)
		var ps []provider
		list.Data(t, &ps)
		if len(ps) != 0 {
			t.Fatalf("B lists A's providers: %s", list.Body)
		}
		b := e.configure(t, adminB, map[string]any{"name": "B's IdP"})
		if b.TenantID != tenantB {
			t.Fatalf("B's provider in tenant %s", b.TenantID)
		}
		got := e.in.Do(t, http.MethodGet, path, e.admin, nil)
		var after provider
		got.Data(t, &after)
		if after.Version != 1 || !after.Enabled || after.Name != "A's IdP" {
			t.Fatalf("A's provider changed through B: %+v", after)
		}
		// B's tenant cannot start a sign-in with A's provider.
		assertProblem(t, e.get(t, e.in.URL+"/api/v1/auth/sso/Bravo/login?provider="+own.ID).Response, http.StatusNotFound, "SSO-004")
	})

	t.Run("RebuildGivesTheSameReadModel", func(t *testing.T) {
		snapshot := func() string {
			var out []string
			for _, tok := range []string{e.admin, adminB} {
				r := e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers?limit=200", tok, nil)
				var page struct {
					Data json.RawMessage `json:"data"`
				}
				r.JSON(t, &page)
				out = append(out, string(page.Data))
			}
			return strings.Join(out, "\n")
		}
		before := snapshot()
		r := e.in.Do(t, http.MethodPost, "/api/v1/admin/projections/sso/rebuild", e.admin, nil)
		if r.Status != http.StatusAccepted {
			t.Fatalf("rebuild: %d %s", r.Status, r.Body)
		}
		var started struct {
			Generation int `json:"generation"`
		}
		r.Data(t, &started)
		testkit.Eventually(t, 60*time.Second, "the rebuilt sso generation to go live", func() bool {
			var ps []struct {
				Name   string `json:"name"`
				Active int    `json:"active_generation"`
			}
			e.in.Do(t, http.MethodGet, "/api/v1/admin/projections", e.admin, nil).Data(t, &ps)
			for _, p := range ps {
				if p.Name == "sso" {
					return p.Active >= started.Generation
				}
			}
			return false
		})
		if after := snapshot(); after != before {
			t.Fatalf("the rebuilt read model differs:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("PermissionsAreChecked", func(t *testing.T) {
		_, dev := e.in.SignIn(t, adminB, "developer@bravo.test", "developer")
		_, auditor := e.in.SignIn(t, adminB, "auditor@bravo.test", "auditor")
		assertProblem(t, e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers", dev, nil), http.StatusForbidden, "AUTH-006")
		if r := e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers", auditor, nil); r.Status != http.StatusOK {
			t.Fatalf("auditor cannot read the providers: %d %s", r.Status, r.Body)
		}
		assertProblem(t, e.in.Do(t, http.MethodPost, "/api/v1/iam/sso/providers", auditor,
			map[string]any{"name": "x", "issuer_url": e.idp.Issuer(), "client_id": "c"}), http.StatusForbidden, "AUTH-006")
		assertProblem(t, e.in.Do(t, http.MethodGet, "/api/v1/iam/sso/providers", "", nil), http.StatusUnauthorized, "AUTH-001")
	})
}
