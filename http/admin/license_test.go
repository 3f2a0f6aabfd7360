package admin_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/testkit"
)

type licenseOut struct {
	Edition string `json:"edition"`
	Status  string `json:"status"`
	License *struct {
		ID    string `json:"id"`
		Plan  string `json:"plan"`
		Seats int    `json:"seats"`
	} `json:"license"`
	InstalledBy string `json:"installed_by"`
	Warning     string `json:"warning"`
	Seats       struct {
		Licensed int   `json:"licensed"`
		Used     int64 `json:"used"`
		Over     bool  `json:"over"`
	} `json:"seats"`
	Modules []struct {
		Module   string `json:"module"`
		Licensed bool   `json:"licensed"`
	} `json:"modules"`
}

func (l licenseOut) licensed(module string) bool {
	for _, m := range l.Modules {
		if m.Module == module {
			return m.Licensed
		}
	}
	return false
}

// signed is a licence file signed with key, as the JSON body of PUT /admin/license.
func signed(t testing.TB, l admin.License, key ed25519.PrivateKey) map[string]any {
	t.Helper()
	raw, err := admin.SignLicense(l, key)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return body
}

// TestLicense_SignedEntitlementsGraceAndExpiry: without a licence every
// module serves; a verified licence is installed on PUT (forged, foreign,
// malformed, expired and future ones are refused), a module outside it
// answers 403 LIC-001 on its routes while core modules keep serving; within
// the grace period it is still enforced with a warning on every answer; past
// it the product is the community edition again.
func TestLicense_SignedEntitlementsGraceAndExpiry(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, foreign, _ := ed25519.GenerateKey(rand.Reader)
	cfg := testkit.Config(t)
	cfg.LicensePublicKeys = []string{base64.StdEncoding.EncodeToString(pub)}
	in := testkit.Start(t, &cfg)
	platformAdmin := in.AdminToken(t)
	me := in.Me(t, platformAdmin)
	_, tenantAdmin := in.NewTenant(t, platformAdmin, "Licensee")
	_, viewer := in.SignIn(t, platformAdmin, "license-viewer@astra.test", "viewer")
	now := time.Now().UTC()
	terms := func(id string, modules ...string) admin.License {
		return admin.License{ID: id, Licensee: "Example Corp", Plan: "enterprise", Seats: 1, Modules: modules,
			IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(365 * 24 * time.Hour), GraceDays: 14}
	}
	read := func(token string) licenseOut {
		t.Helper()
		r := in.Do(t, http.MethodGet, "/api/v1/admin/license", token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET license: %d %s", r.Status, r.Body)
		}
		var l licenseOut
		r.Data(t, &l)
		return l
	}
	compliance := func() *testkit.Response {
		return in.Do(t, http.MethodGet, "/api/v1/compliance/frameworks", tenantAdmin, nil)
	}

	t.Run("CommunityEditionHasEveryModule", func(t *testing.T) {
		l := read(platformAdmin)
		if l.Edition != "community" || l.Status != "community" || l.License != nil || !l.licensed("compliance") || !l.licensed("gateway") || l.Seats.Used < 2 {
			t.Fatalf("community: %+v", l)
		}
		if r := compliance(); r.Status != http.StatusOK {
			t.Fatalf("compliance without a licence: %d %s", r.Status, r.Body)
		}
	})

	t.Run("ForgedForeignMalformedAndOutOfDateLicencesAreRefused", func(t *testing.T) {
		forged := signed(t, terms("lic-forged", "gateway"), priv)
		more := terms("lic-forged", "gateway", "compliance")
		more.Seats = 100000
		payload, _ := json.Marshal(more)
		forged["payload"] = base64.StdEncoding.EncodeToString(payload)
		expired := terms("lic-old", "gateway")
		expired.IssuedAt, expired.ExpiresAt = now.Add(-400*24*time.Hour), now.Add(-30*24*time.Hour)
		future := terms("lic-future", "gateway")
		future.IssuedAt = now.Add(24 * time.Hour)
		for _, tc := range []struct {
			name string
			body any
			code string
		}{
			{"forged terms", forged, "LIC-002"},
			{"another key", signed(t, terms("lic-foreign", "gateway"), foreign), "LIC-002"},
			{"another format", map[string]any{"format": "pem", "payload": "e30=", "signature": "AAAA"}, "LIC-003"},
			{"expired past grace", signed(t, expired, priv), "LIC-005"},
			{"not yet valid", signed(t, future, priv), "LIC-006"},
		} {
			r := in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, tc.body)
			assertProblem(t, r, http.StatusUnprocessableEntity, tc.code)
		}
		assertProblem(t, in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, map[string]any{"format": "astra-license/1"}),
			http.StatusBadRequest, "VAL-001")
		// Only platform administrators install; anyone with admin:read reads.
		assertProblem(t, in.Do(t, http.MethodPut, "/api/v1/admin/license", tenantAdmin, signed(t, terms("lic-x", "gateway"), priv)), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPut, "/api/v1/admin/license", "", signed(t, terms("lic-x", "gateway"), priv)), http.StatusUnauthorized, "AUTH-001")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/license", viewer, nil), http.StatusForbidden, "AUTH-006")
		if l := read(tenantAdmin); l.Status != "community" {
			t.Fatalf("a refused licence was installed: %+v", l)
		}
		if n := len(auditOf(t, in, platformAdmin, "com.astra.admin.LicenseInstalled")); n != 0 {
			t.Fatalf("%d LicenseInstalled events after refusals", n)
		}
	})

	t.Run("AModuleOutsideTheLicenceAnswers403", func(t *testing.T) {
		file := signed(t, terms("lic-1", "gateway", "trust", "risk"), priv)
		r := in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, file)
		var l licenseOut
		r.Data(t, &l)
		if r.Status != http.StatusOK || l.Edition != "commercial" || l.Status != "active" || l.License.ID != "lic-1" || l.InstalledBy != me.ID ||
			l.licensed("compliance") || !l.licensed("gateway") || !l.licensed("iam") || !l.licensed("admin") {
			t.Fatalf("install: %d %s", r.Status, r.Body)
		}
		// One seat, two active users at least: reported, not enforced.
		if !l.Seats.Over || l.Seats.Licensed != 1 {
			t.Fatalf("seats %+v", l.Seats)
		}
		r = compliance()
		assertProblem(t, r, http.StatusForbidden, "LIC-001")
		if !strings.Contains(r.Problem(t).Detail, `"compliance"`) {
			t.Fatalf("detail %s", r.Body)
		}
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/compliance/controls", tenantAdmin, map[string]any{"name": "x"}), http.StatusForbidden, "LIC-001")
		// Licensed and core modules serve.
		for _, path := range []string{"/api/v1/gateway/policies", "/api/v1/iam/users", "/api/v1/admin/audit/events", "/api/v1/trust/scores/current"} {
			if r := in.Do(t, http.MethodGet, path, tenantAdmin, nil); r.Status == http.StatusForbidden {
				t.Fatalf("%s: %d %s", path, r.Status, r.Body)
			}
		}
		// An anonymous caller learns nothing of the licence.
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/compliance/frameworks", "", nil), http.StatusUnauthorized, "AUTH-001")
		// Installing the same file again records nothing.
		in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, file)
		evs := auditOf(t, in, platformAdmin, "com.astra.admin.LicenseInstalled")
		if len(evs) != 1 || evs[0].Actor != me.ID || evs[0].Subject != "lic-1" {
			t.Fatalf("audit %+v", evs)
		}
	})

	t.Run("TheGracePeriodEnforcesWithAWarning", func(t *testing.T) {
		grace := terms("lic-grace", "gateway", "trust", "risk")
		grace.IssuedAt, grace.ExpiresAt = now.Add(-365*24*time.Hour), now.Add(-time.Hour)
		r := in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, signed(t, grace, priv))
		var l licenseOut
		r.Data(t, &l)
		if r.Status != http.StatusOK || l.Status != "grace" || l.Edition != "commercial" || !strings.Contains(l.Warning, "grace period ends") {
			t.Fatalf("grace: %d %s", r.Status, r.Body)
		}
		r = in.Do(t, http.MethodGet, "/api/v1/gateway/policies", tenantAdmin, nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("X-Astra-License-Warning"), "expired") {
			t.Fatalf("gateway in grace: %d %q", r.Status, r.Header.Get("X-Astra-License-Warning"))
		}
		r = compliance()
		assertProblem(t, r, http.StatusForbidden, "LIC-001")
		if r.Header.Get("X-Astra-License-Warning") == "" {
			t.Fatal("no warning on a refusal in the grace period")
		}
	})

	t.Run("PastTheGracePeriodTheCommunityEditionIsBack", func(t *testing.T) {
		short := terms("lic-short", "gateway")
		short.ExpiresAt, short.GraceDays = time.Now().UTC().Add(3*time.Second), 0
		if r := in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, signed(t, short, priv)); r.Status != http.StatusOK {
			t.Fatalf("install: %d %s", r.Status, r.Body)
		}
		assertProblem(t, compliance(), http.StatusForbidden, "LIC-001")
		testkit.Eventually(t, 15*time.Second, "the licence to expire", func() bool { return compliance().Status == http.StatusOK })
		l := read(platformAdmin)
		if l.Status != "expired" || l.Edition != "community" || !l.licensed("compliance") || l.Seats.Licensed != 0 || l.License.ID != "lic-short" {
			t.Fatalf("expired: %+v", l)
		}
	})
}
