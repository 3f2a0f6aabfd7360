package admin_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/testkit"
)

type measureOut struct {
	Used     int64  `json:"used"`
	Quota    *int64 `json:"quota"`
	Source   string `json:"quota_source"`
	Exceeded bool   `json:"exceeded"`
}

type usageOut struct {
	TenantID string     `json:"tenant_id"`
	Month    string     `json:"month"`
	Requests measureOut `json:"requests"`
	Tokens   measureOut `json:"tokens"`
	Storage  struct {
		measureOut
		LedgerBytes   int64 `json:"ledger_bytes"`
		EvidenceBytes int64 `json:"evidence_bytes"`
	} `json:"storage"`
	Seats struct {
		ActiveUsers         int64 `json:"active_users"`
		PlatformActiveUsers int64 `json:"platform_active_users"`
		LicensedSeats       int   `json:"licensed_seats"`
	} `json:"seats"`
	Events         int64            `json:"events"`
	EventsByModule map[string]int64 `json:"events_by_module"`
}

// TestTenantUsage_AgainstQuotasWithTenantIsolation: a tenant's gateway
// requests, tokens, storage, seats and events per module against the quotas
// of the settings (which win) or the licence; its administrators read their
// own tenant's only, platform administrators any.
func TestTenantUsage_AgainstQuotasWithTenantIsolation(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	cfg := testkit.Config(t)
	cfg.LicensePublicKeys = []string{base64.StdEncoding.EncodeToString(pub)}
	in := testkit.Start(t, &cfg)
	platformAdmin := in.AdminToken(t)
	tenantB, adminB := in.NewTenant(t, platformAdmin, "UsageB")
	tenantC, adminC := in.NewTenant(t, platformAdmin, "UsageC")
	in.NewUser(t, adminB, "usage-dev@usageb.test", "developer")
	for _, prompt := range []string{"one", "two", "three"} {
		if r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", adminB,
			map[string]any{"provider": "mock", "model": "mock-small", "messages": []map[string]string{{"role": "user", "content": "usage " + prompt}}}); r.Status != http.StatusOK {
			t.Fatalf("chat: %d %s", r.Status, r.Body)
		}
	}
	content := []byte("an evidence file of forty-two bytes......\n")
	body, ct := testkit.Multipart(t, "file", "evidence.txt", content, map[string]string{"name": "Evidence"})
	if r := in.Do(t, http.MethodPost, "/api/v1/compliance/evidence", adminB, body.Bytes(), "Content-Type", ct); r.Status != http.StatusCreated {
		t.Fatalf("evidence: %d %s", r.Status, r.Body)
	}
	usage := func(token, tenant, query string) (*testkit.Response, usageOut) {
		t.Helper()
		r := in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenant+"/usage"+query, token, nil)
		var u usageOut
		if r.Status == http.StatusOK {
			r.Data(t, &u)
		}
		return r, u
	}

	t.Run("WhatTheTenantUsed", func(t *testing.T) {
		var u usageOut
		// The request log is a read model: wait for the three requests.
		testkit.Eventually(t, 10*time.Second, "three requests in the usage", func() bool {
			_, u = usage(adminB, tenantB, "")
			return u.Requests.Used == 3
		})
		if u.TenantID != tenantB || u.Month != time.Now().UTC().Format("2006-01") || u.Tokens.Used <= 0 ||
			u.Requests.Source != "none" || u.Requests.Quota != nil || u.Requests.Exceeded {
			t.Fatalf("usage %+v", u)
		}
		if u.Storage.EvidenceBytes != int64(len(content)) || u.Storage.LedgerBytes <= 0 || u.Storage.Used != u.Storage.LedgerBytes+u.Storage.EvidenceBytes {
			t.Fatalf("storage %+v", u.Storage)
		}
		if u.Seats.ActiveUsers != 2 || u.Seats.PlatformActiveUsers != 4 || u.Seats.LicensedSeats != 0 {
			t.Fatalf("seats %+v", u.Seats)
		}
		if u.EventsByModule["iam"] < 2 || u.EventsByModule["gateway"] < 3 || u.EventsByModule["compliance"] != 1 {
			t.Fatalf("events by module %v", u.EventsByModule)
		}
		var sum int64
		for _, n := range u.EventsByModule {
			sum += n
		}
		if sum != u.Events {
			t.Fatalf("events %d, by module %v", u.Events, u.EventsByModule)
		}
		// Another month holds none of it.
		if _, last := usage(platformAdmin, tenantB, "?month=2020-01"); last.Requests.Used != 0 || last.Month != "2020-01" || last.Events != u.Events {
			t.Fatalf("2020-01: %+v", last)
		}
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenantB+"/usage?month=January", adminB, nil), http.StatusBadRequest, "VAL-005")
	})

	t.Run("QuotasFromTheLicenceAndTheSettings", func(t *testing.T) {
		l := admin.License{ID: "lic-usage", Plan: "team", Seats: 3, Modules: []string{"gateway", "compliance"}, IssuedAt: time.Now().Add(-time.Hour),
			ExpiresAt: time.Now().Add(24 * time.Hour), Quotas: admin.Quotas{RequestsPerMonth: 100, TokensPerMonth: 1, StorageBytes: 1 << 40}}
		raw, _ := admin.SignLicense(l, priv)
		var file map[string]any
		_ = json.Unmarshal(raw, &file)
		if r := in.Do(t, http.MethodPut, "/api/v1/admin/license", platformAdmin, file); r.Status != http.StatusOK {
			t.Fatalf("licence: %d %s", r.Status, r.Body)
		}
		_, u := usage(adminB, tenantB, "")
		if u.Requests.Source != "license" || *u.Requests.Quota != 100 || u.Requests.Exceeded || !u.Tokens.Exceeded || u.Tokens.Source != "license" ||
			u.Storage.Exceeded || u.Seats.LicensedSeats != 3 {
			t.Fatalf("licence quotas %+v", u)
		}
		// A quota of the settings wins over the licence's.
		if r := in.Do(t, http.MethodPatch, "/api/v1/admin/config", platformAdmin, map[string]any{"tenant_quota_requests_per_month": 2}); r.Status != http.StatusOK {
			t.Fatalf("settings: %d %s", r.Status, r.Body)
		}
		_, u = usage(platformAdmin, tenantB, "")
		if u.Requests.Source != "settings" || *u.Requests.Quota != 2 || !u.Requests.Exceeded || u.Tokens.Source != "license" {
			t.Fatalf("settings quotas %+v", u.Requests)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		// B's administrator reads B's usage only, whatever it names.
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenantC+"/usage", adminB, nil), http.StatusForbidden, "AUTH-005")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenantB+"/usage", adminC, nil), http.StatusForbidden, "AUTH-005")
		if r := in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenantC+"/usage", adminB, nil, "X-Tenant-ID", tenantC); r.Status != http.StatusForbidden {
			t.Fatalf("B naming C in X-Tenant-ID: %d %s", r.Status, r.Body)
		}
		// C's own usage holds none of B's.
		if _, u := usage(adminC, tenantC, ""); u.Requests.Used != 0 || u.EventsByModule["gateway"] != 0 || u.Storage.EvidenceBytes != 0 {
			t.Fatalf("C's usage %+v", u)
		}
		// Platform administrators read any; a tenant that does not exist is not found.
		if r, u := usage(platformAdmin, tenantC, ""); r.Status != http.StatusOK || u.TenantID != tenantC {
			t.Fatalf("platform admin on C: %d %s", r.Status, r.Body)
		}
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/tenants/01900000-0000-7000-8000-000000000000/usage", platformAdmin, nil), http.StatusNotFound, "IAM-003")
		// Without admin:read, or without a credential, nothing.
		_, dev := in.SignIn(t, adminB, "usage-dev2@usageb.test", "developer")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenantB+"/usage", dev, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/tenants/"+tenantB+"/usage", "", nil), http.StatusUnauthorized, "AUTH-001")
	})

	t.Run("ARebuildIsRecorded", func(t *testing.T) {
		me := in.Me(t, platformAdmin)
		r := in.Do(t, http.MethodPost, "/api/v1/admin/projections/gateway/rebuild", platformAdmin, nil)
		var started struct {
			Generation int    `json:"generation"`
			Schema     string `json:"schema"`
		}
		r.Data(t, &started)
		if r.Status != http.StatusAccepted {
			t.Fatalf("rebuild: %d %s", r.Status, r.Body)
		}
		evs := auditOf(t, in, platformAdmin, "com.astra.admin.ProjectionRebuilt")
		var d struct {
			Projection string `json:"projection"`
			Generation int    `json:"generation"`
			Schema     string `json:"schema"`
		}
		if len(evs) != 1 || json.Unmarshal(evs[0].Data, &d) != nil || evs[0].Actor != me.ID || evs[0].Subject != "gateway" ||
			d.Projection != "gateway" || d.Generation != started.Generation || d.Schema != started.Schema {
			t.Fatalf("ProjectionRebuilt %+v %+v", evs, d)
		}
		// A refused rebuild records nothing.
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/admin/projections/nope/rebuild", platformAdmin, nil), http.StatusNotFound, "ADM-001")
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/admin/projections/gateway/rebuild", adminB, nil), http.StatusForbidden, "AUTH-006")
		if n := len(auditOf(t, in, platformAdmin, "com.astra.admin.ProjectionRebuilt")); n != 1 {
			t.Fatalf("%d ProjectionRebuilt events", n)
		}
		// The rebuilt generation goes live with the same usage.
		testkit.Eventually(t, 30*time.Second, "the rebuilt generation to go live", func() bool {
			var ps []struct {
				Name   string `json:"name"`
				Active int    `json:"active_generation"`
			}
			in.Do(t, http.MethodGet, "/api/v1/admin/projections", platformAdmin, nil).Data(t, &ps)
			for _, p := range ps {
				if p.Name == "gateway" && p.Active == started.Generation {
					return true
				}
			}
			return false
		})
		if _, u := usage(adminB, tenantB, ""); u.Requests.Used != 3 {
			t.Fatalf("usage after the rebuild %+v", u.Requests)
		}
	})
}
