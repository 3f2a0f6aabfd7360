package auth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/testkit"
)

const password = testkit.UserPassword

func wantStatus(t *testing.T, what string, r *testkit.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.Status, r.Body, status)
	}
	if code != "" {
		if got := r.Problem(t).ErrorCode; got != code {
			t.Fatalf("%s: error_code %s, want %s", what, got, code)
		}
	}
}

// ssrfProvider is refused by validation (422) once the permission check (403) passed.
var ssrfProvider = map[string]any{"name": "probe", "kind": "openai_compatible", "base_url": "http://169.254.169.254/v1"}

// TestCredentials_NeverGrantMoreThanTheirUserHoldsNow: an API key's effective
// permissions are its scopes intersected with its owner's current ones, and a
// token's claims are narrowed the same way, on the very next request after
// the change (the instance that made it applies it before answering).
func TestCredentials_NeverGrantMoreThanTheirUserHoldsNow(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	sec := in.NewUser(t, admin, "sec@astra.test", "security_admin")
	token := in.Login(t, "sec@astra.test", password)
	key, _ := in.NewAPIKey(t, token, "app", "iam:read", "gateway:admin")

	wantStatus(t, "key lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", key, nil), http.StatusOK, "")
	wantStatus(t, "key registers providers", in.Do(t, http.MethodPost, "/api/v1/gateway/providers", key, ssrfProvider), http.StatusUnprocessableEntity, "")
	wantStatus(t, "token lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", token, nil), http.StatusOK, "")

	in.SetRole(t, admin, sec.ID, "viewer")

	t.Run("demoted owner's key keeps only what the owner still holds", func(t *testing.T) {
		wantStatus(t, "key lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", key, nil), http.StatusForbidden, "AUTH-006")
		wantStatus(t, "key registers providers", in.Do(t, http.MethodPost, "/api/v1/gateway/providers", key, ssrfProvider), http.StatusForbidden, "AUTH-006")
		// gateway:admin ∩ the viewer's gateway:read still reads the gateway.
		wantStatus(t, "key reads providers", in.Do(t, http.MethodGet, "/api/v1/gateway/providers", key, nil), http.StatusOK, "")
	})
	t.Run("demoted user's access token loses the permissions at once", func(t *testing.T) {
		wantStatus(t, "token lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", token, nil), http.StatusForbidden, "AUTH-006")
		wantStatus(t, "token registers providers", in.Do(t, http.MethodPost, "/api/v1/gateway/providers", token, ssrfProvider), http.StatusForbidden, "AUTH-006")
	})
	t.Run("promoted again, the key is back to its scopes", func(t *testing.T) {
		in.SetRole(t, admin, sec.ID, "security_admin")
		wantStatus(t, "key lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", key, nil), http.StatusOK, "")
	})
	t.Run("deactivated owner's key fails", func(t *testing.T) {
		u := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+sec.ID, admin, nil)
		var cur testkit.User
		u.Data(t, &cur)
		if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+sec.ID, admin, nil); r.Status >= 300 {
			t.Fatalf("deactivate: %d %s", r.Status, r.Body)
		}
		wantStatus(t, "key after deactivation", in.Do(t, http.MethodGet, "/api/v1/gateway/providers", key, nil), http.StatusUnauthorized, "AUTH-002")
		wantStatus(t, "token after deactivation", in.Do(t, http.MethodGet, "/api/v1/gateway/providers", token, nil), http.StatusUnauthorized, "AUTH-002")
	})
}

// TestCustomRole_NarrowedPermissionsApplyAtOnce: a custom role whose
// permissions shrink narrows every token and key of its holders on the next request.
func TestCustomRole_NarrowedPermissionsApplyAtOnce(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": "ops_reader", "description": "reads", "permissions": []string{"iam:read", "gateway:read"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create role: %d %s", r.Status, r.Body)
	}
	var role struct {
		ID string `json:"id"`
	}
	r.Data(t, &role)
	ops := in.NewUser(t, admin, "ops@astra.test", "viewer")
	if r := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+ops.ID+"/roles", admin, map[string]string{"role": "ops_reader"}); r.Status >= 300 {
		t.Fatalf("assign role: %d %s", r.Status, r.Body)
	}
	token := in.Login(t, "ops@astra.test", password)
	key, _ := in.NewAPIKey(t, token, "app", "iam:read")
	wantStatus(t, "key lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", key, nil), http.StatusOK, "")
	if r := in.Do(t, http.MethodPatch, "/api/v1/iam/roles/"+role.ID, admin, map[string]any{"permissions": []string{"gateway:read"}}); r.Status != http.StatusOK {
		t.Fatalf("narrow role: %d %s", r.Status, r.Body)
	}
	wantStatus(t, "key lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", key, nil), http.StatusForbidden, "AUTH-006")
	wantStatus(t, "token lists users", in.Do(t, http.MethodGet, "/api/v1/iam/users", token, nil), http.StatusForbidden, "AUTH-006")
}

// TestPostgresDown_AnswersServiceUnavailableNotACredentialError: with the
// database refusing connections, a valid API key and a login are answered
// 503 SYS-002 with Retry-After, never 401 or 500.
func TestPostgresDown_AnswersServiceUnavailableNotACredentialError(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	key, _ := in.NewAPIKey(t, admin, "app", "iam:read") // never used yet: not in any cache

	name := in.Cfg.DatabaseURL[strings.LastIndex(in.Cfg.DatabaseURL, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testkit.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS true`)
	})
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		what string
		do   func() *testkit.Response
	}{
		{"API key", func() *testkit.Response { return in.Do(t, http.MethodGet, "/api/v1/iam/users", key, nil) }},
		{"login", func() *testkit.Response {
			return in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": testkit.AdminEmail, "password": testkit.AdminPassword})
		}},
	} {
		r := c.do()
		if r.Status != http.StatusServiceUnavailable || r.Problem(t).ErrorCode != "SYS-002" {
			t.Errorf("%s with Postgres down: %d %s, want 503 SYS-002", c.what, r.Status, r.Body)
		}
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", c.what)
		}
	}
	// The live stream says the same: try again later, not "invalid token".
	w := in.DialWSRaw(t)
	w.Send(map[string]any{"type": "authenticate", "token": key})
	if m := w.Next(10 * time.Second); m["type"] != "error" || m["code"] != "SYS-002" {
		t.Errorf("live stream with Postgres down: %v", m)
	}
	if code := w.Closed(5 * time.Second); code != websocket.StatusTryAgainLater {
		t.Errorf("live stream with Postgres down closed with %d", code)
	}
}

// TestWriteAlone_DoesNotReadOthersRecords: a key that sends gateway traffic
// (gateway:write) does not read the request log of everybody else.
func TestWriteAlone_DoesNotReadOthersRecords(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	app, _ := in.NewAPIKey(t, admin, "app", "gateway:write")
	chat := map[string]any{"provider": "mock", "model": "mock-small", "messages": []map[string]string{{"role": "user", "content": "what is two plus two"}}}
	wantStatus(t, "app key sends traffic", in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", app, chat), http.StatusOK, "")
	wantStatus(t, "admin sends traffic", in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", admin, chat), http.StatusOK, "")
	for _, path := range []string{"/api/v1/gateway/requests", "/api/v1/gateway/requests/export", "/api/v1/gateway/requests/stats", "/api/v1/gateway/usage"} {
		wantStatus(t, "app key reads "+path, in.DoRaw(t, http.MethodGet, path, app, nil), http.StatusForbidden, "AUTH-006")
	}
	// Nor can it mint itself a reading key.
	wantStatus(t, "app key mints a reader", in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", app, map[string]any{"name": "r", "permissions": []string{"gateway:read"}}),
		http.StatusForbidden, "")
}
