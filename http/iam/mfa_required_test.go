package iam_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/astrabastion/astra/testkit"
)

// TestMfaRequired_NoSessionWithoutTOTP: once a tenant sets mfa_required, a
// user without TOTP gets no session (login and refresh answer AUTH-011) and
// so cannot reach /iam/users; enrolling with e-mail and password, then signing
// in with a code, gives a normal session. API keys are not affected.
func TestMfaRequired_NoSessionWithoutTOTP(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	tenant, tenantAdmin := in.NewTenant(t, admin, "Strict")
	in.NewUser(t, tenantAdmin, "auditor@strict.test", "auditor")
	r, before := login(t, in, "auditor@strict.test", password)
	if r.Status != http.StatusOK {
		t.Fatalf("login before mfa_required: %d %s", r.Status, r.Body)
	}
	key := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", tenantAdmin, map[string]any{"name": "ci", "permissions": []string{"iam:read"}})
	var issued struct {
		Key string `json:"key"`
	}
	key.Data(t, &issued)

	cur := in.Do(t, http.MethodGet, "/api/v1/iam/tenants/current", tenantAdmin, nil)
	if up := in.Do(t, http.MethodPatch, "/api/v1/iam/tenants/current", tenantAdmin, map[string]any{"settings": map[string]any{"mfa_required": true}},
		"If-Match", cur.Header.Get("ETag")); up.Status != http.StatusOK {
		t.Fatalf("set mfa_required: %d %s", up.Status, up.Body)
	}

	t.Run("no session without TOTP", func(t *testing.T) {
		r, tk := login(t, in, "auditor@strict.test", password)
		assertProblem(t, r, http.StatusForbidden, "AUTH-011")
		if tk.AccessToken != "" || in.Do(t, http.MethodGet, "/api/v1/iam/users", tk.AccessToken, nil).Status != http.StatusUnauthorized {
			t.Fatal("a token without MFA")
		}
		refresh := in.Do(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": before.RefreshToken})
		assertProblem(t, refresh, http.StatusForbidden, "AUTH-011")
	})
	t.Run("a wrong password does not enrol", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/auth/mfa/enrollment", "", map[string]string{"email": "auditor@strict.test", "password": "wrong-password-000"})
		assertProblem(t, r, http.StatusUnauthorized, "AUTH-004")
	})
	t.Run("API keys are not affected", func(t *testing.T) {
		if r := in.Do(t, http.MethodGet, "/api/v1/iam/users", issued.Key, nil, "X-Tenant-ID", tenant); r.Status != http.StatusOK {
			t.Fatalf("API key: %d %s", r.Status, r.Body)
		}
	})
	t.Run("enrol, then sign in with a code", func(t *testing.T) {
		creds := map[string]string{"email": "auditor@strict.test", "password": password}
		r := in.Do(t, http.MethodPost, "/api/v1/auth/mfa/enrollment", "", creds)
		if r.Status != http.StatusOK {
			t.Fatalf("enrol: %d %s", r.Status, r.Body)
		}
		var enr struct {
			Secret string `json:"secret"`
		}
		r.Data(t, &enr)
		now := time.Now()
		code, _ := totp.GenerateCode(enr.Secret, now)
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/mfa/enrollment/verify", "", map[string]string{"email": creds["email"],
			"password": password, "code": code}); r.Status != http.StatusOK {
			t.Fatalf("verify: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/mfa/enrollment", "", creds); r.Status != http.StatusConflict {
			t.Fatalf("enrolling twice: %d %s", r.Status, r.Body)
		}
		if r, _ := login(t, in, "auditor@strict.test", password); r.Problem(t).ErrorCode != "AUTH-008" {
			t.Fatalf("login without code after enrolment: %s", r.Body)
		}
		next, _ := totp.GenerateCode(enr.Secret, now.Add(30*time.Second))
		r, tk := login(t, in, "auditor@strict.test", password, next)
		if r.Status != http.StatusOK {
			t.Fatalf("login with code: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodGet, "/api/v1/iam/users", tk.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("/iam/users with MFA: %d %s", r.Status, r.Body)
		}
	})
}
