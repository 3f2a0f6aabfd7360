package admin_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type settingOut struct {
	Key      string `json:"key"`
	Variable string `json:"variable"`
	Value    string `json:"value"`
	Default  string `json:"default"`
	Source   string `json:"source"`
	Secret   bool   `json:"secret"`
	Runtime  bool   `json:"runtime"`
}

type configOut struct {
	Version  int64        `json:"version"`
	Settings []settingOut `json:"settings"`
}

func (c configOut) get(t testing.TB, key string) settingOut {
	t.Helper()
	for _, s := range c.Settings {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no setting %s", key)
	return settingOut{}
}

func readConfig(t testing.TB, in *testkit.Instance, token string) configOut {
	t.Helper()
	r := in.Do(t, http.MethodGet, "/api/v1/admin/config", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET config: %d %s", r.Status, r.Body)
	}
	var c configOut
	r.Data(t, &c)
	return c
}

// auditOf lists the tenant's events of a type, newest first.
func auditOf(t testing.TB, in *testkit.Instance, token, ceType string) []auditEvent {
	t.Helper()
	return audit(t, in, token, "type="+ceType, 200)
}

// rateLimit is the X-RateLimit-Limit an authenticated request of token gets.
func rateLimit(t testing.TB, in *testkit.Instance, token string) int {
	t.Helper()
	r := in.Do(t, http.MethodGet, "/api/v1/auth/me", token, nil)
	n, err := strconv.Atoi(r.Header.Get("X-RateLimit-Limit"))
	if err != nil {
		t.Fatalf("X-RateLimit-Limit %q", r.Header.Get("X-RateLimit-Limit"))
	}
	return n
}

// TestConfig_ShowsEffectiveSettingsAndChangesThemAtRunTime: every setting
// with its source, secrets masked; a run-time change is stored as an event,
// applied at once and audited; a setting read at start is refused naming it.
func TestConfig_ShowsEffectiveSettingsAndChangesThemAtRunTime(t *testing.T) {
	cfg := testkit.Config(t)
	// Postgres trusts local connections, so a password in the URL is only
	// there to be hidden.
	cfg.DatabaseURL = strings.Replace(cfg.DatabaseURL, "postgres@", "postgres:db-pass-4711@", 1)
	cfg.SMTPURL = "smtp://mailer:smtp-pass-4712@127.0.0.1:2525?from=astra@localhost"
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	_, tenantAdmin := in.NewTenant(t, admin, "ConfigB")

	t.Run("SourcesAndMaskedSecrets", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/admin/config", admin, nil)
		for _, secret := range []string{"db-pass-4711", "smtp-pass-4712", testkit.AdminPassword} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("the configuration shows a secret %q", secret)
			}
		}
		c := readConfig(t, in, admin)
		db := c.get(t, "database_url")
		if !db.Secret || !strings.Contains(db.Value, "postgres:****@") || db.Runtime || db.Source != "startup" {
			t.Fatalf("database_url %+v", db)
		}
		for key, want := range map[string]settingOut{
			"kafka_sasl_password":      {Secret: true, Value: "", Source: "default"},
			"smtp_url":                 {Secret: true, Value: "smtp://mailer:****@127.0.0.1:2525?from=astra@localhost", Source: "startup"},
			"bootstrap_admin_password": {Secret: true, Value: "****", Source: "startup"},
			"jwt_issuer":               {Value: "astra-bastion", Default: "astra-bastion", Source: "default"},
			"http_addr":                {Value: "127.0.0.1:0", Default: "127.0.0.1:8080", Source: "startup"},
			"rate_limit_per_minute":    {Value: "6000", Default: "6000", Source: "startup", Runtime: true},
			"read_your_writes_timeout": {Value: "10s", Default: "5s", Source: "startup", Runtime: true},
			"log_level":                {Value: "warn", Default: "info", Source: "startup", Runtime: true},
		} {
			got := c.get(t, key)
			want.Key, want.Variable = key, "ASTRA_"+strings.ToUpper(key)
			if want.Default == "" {
				want.Default = got.Default
			}
			if got != want {
				t.Fatalf("%s: %+v, want %+v", key, got, want)
			}
		}
	})

	t.Run("ARunTimeChangeIsStoredAppliedAndAudited", func(t *testing.T) {
		if n := rateLimit(t, in, admin); n != 6000 {
			t.Fatalf("limit %d before the change", n)
		}
		r := in.Do(t, http.MethodPatch, "/api/v1/admin/config", admin, map[string]any{"rate_limit_per_minute": 4321, "log_level": "ERROR",
			"ws_max_patterns": 7, "read_your_writes_timeout": "2s"})
		if r.Status != http.StatusOK || r.Header.Get("ETag") != `"1"` {
			t.Fatalf("PATCH: %d %s %q", r.Status, r.Body, r.Header.Get("ETag"))
		}
		var c configOut
		r.Data(t, &c)
		if s := c.get(t, "rate_limit_per_minute"); s.Value != "4321" || s.Source != "stored" || c.Version != 1 {
			t.Fatalf("after the change: %+v (version %d)", s, c.Version)
		}
		if s := c.get(t, "log_level"); s.Value != "error" || s.Source != "stored" {
			t.Fatalf("log_level %+v", s)
		}
		// Applied before the write answered: the very next request is limited by it.
		if n := rateLimit(t, in, admin); n != 4321 {
			t.Fatalf("limit %d after the change", n)
		}
		evs := auditOf(t, in, admin, "com.astra.admin.ConfigChanged")
		if len(evs) != 1 || evs[0].Actor != me.ID || !strings.Contains(string(evs[0].Data), `"rate_limit_per_minute":"4321"`) {
			t.Fatalf("audit: %+v", evs)
		}
		// A stale If-Match is refused; null returns to the value at start.
		assertProblem(t, in.Do(t, http.MethodPatch, "/api/v1/admin/config", admin, map[string]any{"log_level": "info"}, "If-Match", `"7"`),
			http.StatusPreconditionFailed, "CON-001")
		r = in.Do(t, http.MethodPatch, "/api/v1/admin/config", admin, map[string]any{"rate_limit_per_minute": nil}, "If-Match", `"1"`)
		r.Data(t, &c)
		if s := c.get(t, "rate_limit_per_minute"); r.Status != http.StatusOK || s.Value != "6000" || s.Source != "startup" || c.Version != 2 {
			t.Fatalf("reset: %d %+v", r.Status, s)
		}
		if n := rateLimit(t, in, admin); n != 6000 {
			t.Fatalf("limit %d after the reset", n)
		}
		// The same value again changes nothing and records nothing.
		in.Do(t, http.MethodPatch, "/api/v1/admin/config", admin, map[string]any{"ws_max_patterns": 7})
		if n := len(auditOf(t, in, admin, "com.astra.admin.ConfigChanged")); n != 2 {
			t.Fatalf("%d ConfigChanged events", n)
		}
	})

	t.Run("RefusalsNameTheSetting", func(t *testing.T) {
		for _, tc := range []struct {
			body         map[string]any
			status       int
			code, field  string
			detailSubstr string
		}{
			{map[string]any{"database_url": "postgres://elsewhere/db"}, 422, "ADM-003", "database_url", "restart"},
			{map[string]any{"http_addr": "0.0.0.0:80", "log_level": "debug"}, 422, "ADM-003", "http_addr", "ASTRA_HTTP_ADDR"},
			{map[string]any{"colour": "blue"}, 422, "ADM-004", "colour", "no setting"},
			{map[string]any{"rate_limit_per_minute": 0}, 422, "ADM-005", "rate_limit_per_minute", "between"},
			{map[string]any{"log_level": "loud"}, 422, "ADM-005", "log_level", "debug"},
			{map[string]any{"read_your_writes_timeout": 5}, 422, "ADM-005", "read_your_writes_timeout", "duration"},
			{map[string]any{}, 422, "ADM-005", "", "no setting"},
		} {
			r := in.Do(t, http.MethodPatch, "/api/v1/admin/config", admin, tc.body)
			assertProblem(t, r, tc.status, tc.code)
			p := r.Problem(t)
			if !strings.Contains(p.Detail, tc.detailSubstr) || (tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field)) {
				t.Fatalf("%v: %+v", tc.body, p)
			}
		}
		// Nothing of a refused change was applied.
		if s := readConfig(t, in, admin).get(t, "log_level"); s.Value != "error" {
			t.Fatalf("log_level %+v after a refused change", s)
		}
	})

	t.Run("OnlyPlatformAdministrators", func(t *testing.T) {
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/config", "", nil), http.StatusUnauthorized, "AUTH-001")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/config", "not-a-token", nil), http.StatusUnauthorized, "AUTH-002")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/config", tenantAdmin, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPatch, "/api/v1/admin/config", tenantAdmin, map[string]any{"log_level": "debug"}), http.StatusForbidden, "AUTH-006")
		_, auditor := in.SignIn(t, admin, "config-auditor@astra.test", "auditor")
		assertProblem(t, in.Do(t, http.MethodPatch, "/api/v1/admin/config", auditor, map[string]any{"log_level": "debug"}), http.StatusForbidden, "AUTH-006")
	})
}

// TestConfig_AChangeReachesEveryInstanceWithoutARestart: two instances on one
// database and broker; a limit stored on one limits the other's requests.
func TestConfig_AChangeReachesEveryInstanceWithoutARestart(t *testing.T) {
	a := testkit.Start(t, nil)
	b := a.Join(t)
	adminA, adminB := a.AdminToken(t), b.AdminToken(t)
	if n := rateLimit(t, b, adminB); n != 6000 {
		t.Fatalf("B's limit %d", n)
	}
	if r := a.Do(t, http.MethodPatch, "/api/v1/admin/config", adminA, map[string]any{"rate_limit_per_minute": 2345}); r.Status != http.StatusOK {
		t.Fatalf("PATCH on A: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 10*time.Second, "B to apply A's change", func() bool { return rateLimit(t, b, adminB) == 2345 })
	if s := readConfig(t, b, adminB).get(t, "rate_limit_per_minute"); s.Source != "stored" || s.Value != "2345" {
		t.Fatalf("B's view %+v", s)
	}
	// A third instance started afterwards loads the stored settings.
	c := a.Join(t)
	if n := rateLimit(t, c, c.AdminToken(t)); n != 2345 {
		t.Fatalf("a new instance's limit %d", n)
	}
}
