package iam_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/testkit"
)

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func login(t *testing.T, in *testkit.Instance, email, password string, extra ...string) (*testkit.Response, tokens) {
	t.Helper()
	body := map[string]string{"email": email, "password": password}
	if len(extra) > 0 {
		body["mfa_code"] = extra[0]
	}
	r := in.Do(t, http.MethodPost, "/api/v1/auth/login", "", body)
	var tk tokens
	if r.Status == http.StatusOK {
		r.Data(t, &tk)
	}
	return r, tk
}

func TestAuthLifecycle(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	// The old behaviour — five failures locked the account for everyone — was
	// an anonymous denial of service; failures now throttle their source.
	t.Run("brute force throttles its source, even for the right password, until unlocked", func(t *testing.T) {
		id := in.NewUser(t, admin, "brute@x.test", "viewer").ID
		for i := 0; i < 5; i++ {
			if r, _ := login(t, in, "brute@x.test", "wrong-password-000"); r.Problem(t).ErrorCode != "AUTH-004" {
				t.Fatalf("attempt %d: %s", i, r.Body)
			}
		}
		r, _ := login(t, in, "brute@x.test", testkit.UserPassword)
		if r.Status != http.StatusTooManyRequests || r.Problem(t).ErrorCode != "RATE-004" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("throttled login: %d %s", r.Status, r.Body)
		}
		audit := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?type=com.astra.iam.LoginFailed&subject="+id, admin, nil)
		var evs []map[string]any
		audit.Data(t, &evs)
		if len(evs) < 5 {
			t.Fatalf("LoginFailed events: %d", len(evs))
		}
		if u := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+id+"/unlock", admin, nil); u.Status != http.StatusOK {
			t.Fatalf("unlock: %d %s", u.Status, u.Body)
		}
		if r, _ := login(t, in, "brute@x.test", testkit.UserPassword); r.Status != http.StatusOK {
			t.Fatalf("login after unlock: %d %s", r.Status, r.Body)
		}
	})

	t.Run("a reused refresh token revokes the whole session family", func(t *testing.T) {
		in.NewUser(t, admin, "refresh@x.test", "viewer")
		_, first := login(t, in, "refresh@x.test", testkit.UserPassword)
		r := in.Do(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
		if r.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		var second tokens
		r.Data(t, &second)
		reuse := in.Do(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken})
		if reuse.Status != http.StatusUnauthorized || reuse.Problem(t).ErrorCode != "AUTH-010" {
			t.Fatalf("reuse: %d %s", reuse.Status, reuse.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Fatalf("successor after reuse: %d", r.Status)
		}
		testkit.Eventually(t, 2*time.Second, "revoked access token refused", func() bool {
			return in.Do(t, http.MethodGet, "/api/v1/auth/me", second.AccessToken, nil).Status == http.StatusUnauthorized
		})
	})

	t.Run("logout revokes the session", func(t *testing.T) {
		in.NewUser(t, admin, "logout@x.test", "viewer")
		_, tk := login(t, in, "logout@x.test", testkit.UserPassword)
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/logout", tk.AccessToken, nil); r.Status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", tk.AccessToken, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("me after logout: %d", r.Status)
		}
	})

	t.Run("TOTP enrolment, login with code, replay refused, disable", func(t *testing.T) {
		in.NewUser(t, admin, "mfa@x.test", "viewer")
		_, tk := login(t, in, "mfa@x.test", testkit.UserPassword)
		r := in.Do(t, http.MethodPost, "/api/v1/auth/mfa/enroll", tk.AccessToken, nil)
		var enr struct {
			Secret string `json:"secret"`
		}
		r.Data(t, &enr)
		now := time.Now()
		prev, _ := totp.GenerateCode(enr.Secret, now.Add(-30*time.Second))
		code, _ := totp.GenerateCode(enr.Secret, now)
		next, _ := totp.GenerateCode(enr.Secret, now.Add(30*time.Second))
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/mfa/verify", tk.AccessToken, map[string]string{"code": prev}); r.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		if r, _ := login(t, in, "mfa@x.test", testkit.UserPassword); r.Problem(t).ErrorCode != "AUTH-008" {
			t.Fatalf("login without code: %s", r.Body)
		}
		if r, _ := login(t, in, "mfa@x.test", testkit.UserPassword, prev); r.Problem(t).ErrorCode != "AUTH-009" {
			t.Fatalf("replayed code: %s", r.Body)
		}
		r2, tk2 := login(t, in, "mfa@x.test", testkit.UserPassword, code)
		if r2.Status != http.StatusOK {
			t.Fatalf("login with a fresh code: %d %s", r2.Status, r2.Body)
		}
		// Codes are single-use across all uses: the one just used to sign in
		// does not disable MFA (step-up), a later one does.
		if r := in.Do(t, http.MethodDelete, "/api/v1/auth/mfa", tk2.AccessToken, map[string]string{"code": code}); r.Status == http.StatusOK || r.Problem(t).ErrorCode != "AUTH-009" {
			t.Fatalf("disable with the sign-in code: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodDelete, "/api/v1/auth/mfa", tk2.AccessToken, map[string]string{"code": next}); r.Status != http.StatusOK {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if r, _ := login(t, in, "mfa@x.test", testkit.UserPassword); r.Status != http.StatusOK {
			t.Fatalf("login after disable: %d %s", r.Status, r.Body)
		}
	})

	t.Run("password reset token is single use and revokes sessions", func(t *testing.T) {
		in.NewUser(t, admin, "reset@x.test", "viewer")
		_, tk := login(t, in, "reset@x.test", testkit.UserPassword)
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"email": "reset@x.test"}); r.Status != http.StatusAccepted {
			t.Fatalf("forgot: %d", r.Status)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"email": "nobody@x.test"}); r.Status != http.StatusAccepted {
			t.Fatalf("forgot unknown: %d", r.Status)
		}
		// The token is issued and sent in the background (the answer does
		// not wait for it, so that its timing tells nothing).
		var msg []byte
		testkit.Eventually(t, 10*time.Second, "the reset mail", func() bool {
			files, _ := filepath.Glob(httpiam.PasswordResetFile(in.Cfg.DataDir+"/outbox", "reset@x.test", "*"))
			if len(files) != 1 {
				return false
			}
			var err error
			msg, err = os.ReadFile(files[0])
			return err == nil && strings.Contains(string(msg), "prt_")
		})
		token := ""
		for _, l := range strings.Split(string(msg), "\r\n") {
			if strings.HasPrefix(l, "prt_") {
				token = l
			}
		}
		body := map[string]string{"token": token, "new_password": "a-brand-new-password"}
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/password/reset", "", body); r.Status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/password/reset", "", body); r.Problem(t).ErrorCode != "IAM-016" {
			t.Fatalf("second use: %s", r.Body)
		}
		if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", tk.AccessToken, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("old session after reset: %d", r.Status)
		}
		if r, _ := login(t, in, "reset@x.test", testkit.UserPassword); r.Status != http.StatusUnauthorized {
			t.Fatalf("old password: %d", r.Status)
		}
		if r, _ := login(t, in, "reset@x.test", "a-brand-new-password"); r.Status != http.StatusOK {
			t.Fatalf("new password: %d %s", r.Status, r.Body)
		}
	})

	t.Run("custom role grants exactly its permissions; built-ins are immutable", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": "iam_reader", "description": "reads users",
			"permissions": []string{"iam:read"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create role: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": "iam_reader", "permissions": []string{"iam:read"}}); r.Problem(t).ErrorCode != "IAM-008" {
			t.Fatalf("duplicate: %s", r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": "bogus", "permissions": []string{"nope:read"}}); r.Problem(t).ErrorCode != "IAM-010" {
			t.Fatalf("unknown permission: %s", r.Body)
		}
		if r := in.Do(t, http.MethodPatch, "/api/v1/iam/roles/auditor", admin, map[string]any{"description": "x"}); r.Problem(t).ErrorCode != "IAM-009" {
			t.Fatalf("builtin patch: %s", r.Body)
		}
		id := in.NewUser(t, admin, "custom@x.test", "viewer").ID
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+id+"/roles", admin, map[string]string{"role": "iam_reader"}); r.Status != http.StatusOK {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		_, tk := login(t, in, "custom@x.test", testkit.UserPassword)
		if r := in.Do(t, http.MethodGet, "/api/v1/iam/users", tk.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("list with custom role: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/users", tk.AccessToken, map[string]string{"email": "z@x.test", "name": "z", "role": "viewer"}); r.Status != http.StatusForbidden {
			t.Fatalf("write with read role: %d", r.Status)
		}
		if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+id+"/roles/viewer", admin, nil); r.Status != http.StatusOK {
			t.Fatalf("unassign: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+id+"/roles/iam_reader", admin, nil); r.Problem(t).ErrorCode != "IAM-011" {
			t.Fatalf("last role: %s", r.Body)
		}
	})

	t.Run("tenant settings are versioned", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/iam/tenants/current", admin, nil)
		etag := r.Header.Get("ETag")
		up := in.Do(t, http.MethodPatch, "/api/v1/iam/tenants/current", admin, map[string]any{"settings": map[string]any{"rate_limit_per_minute": 600}}, "If-Match", etag)
		if up.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", up.Status, up.Body)
		}
		if st := in.Do(t, http.MethodPatch, "/api/v1/iam/tenants/current", admin, map[string]any{"settings": map[string]any{"mfa_required": true}}, "If-Match", etag); st.Status != http.StatusPreconditionFailed {
			t.Fatalf("stale: %d", st.Status)
		}
	})
}
