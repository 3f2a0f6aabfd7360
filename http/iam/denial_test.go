package iam_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/testkit"
)

// TestDenials walks the ways a request is refused: missing or forged
// credentials, missing permissions and malformed bodies. Every refusal is a
// problem+json with an error_code, changes nothing and leaks no internals.
func TestDenials(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	in.NewUser(t, admin, "viewer@astra.test", "viewer")
	viewer := in.Login(t, "viewer@astra.test", password)
	in.NewUser(t, admin, "secadmin@astra.test", "security_admin")
	secAdmin := in.Login(t, "secadmin@astra.test", password)
	target := in.NewUser(t, admin, "target@astra.test", "developer")

	// claims are those of a genuine platform-admin token, so that only the
	// forgery itself can make the server refuse it.
	now := time.Now()
	claims := auth.Claims{TenantID: me.TenantID, Role: iam.RolePlatformAdmin, Permissions: iam.PermissionsOf(iam.RolePlatformAdmin),
		RegisteredClaims: jwt.RegisteredClaims{Subject: me.ID, Issuer: in.Cfg.JWTIssuer, Audience: jwt.ClaimStrings{in.Cfg.JWTAudience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
			ID: uuid.NewString()}}
	kid := in.Running.Signer.KeyID()
	sign := func(method jwt.SigningMethod, key any, header map[string]any) string {
		tok := jwt.NewWithClaims(method, claims)
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustPKIX(t, jwksKey(t, in, kid))})
	principal := auth.Principal{Subject: me.ID, TenantID: me.TenantID, Role: iam.RolePlatformAdmin,
		Permissions: iam.PermissionsOf(iam.RolePlatformAdmin)}
	expired, _, err := in.Running.Signer.IssueAt(principal, now.Add(-2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	notYetValid, _, err := in.Running.Signer.IssueAt(principal, now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// The instance's own key, with another issuer or audience.
	otherIssuer, err := auth.LoadSigner(context.Background(), in.Running.Stack.Pool, in.Running.Stack.KEK, "someone-else", in.Running.Signer.Audience)
	if err != nil {
		t.Fatal(err)
	}
	otherAudience, err := auth.LoadSigner(context.Background(), in.Running.Stack.Pool, in.Running.Stack.KEK, in.Running.Signer.Issuer, "another-api")
	if err != nil {
		t.Fatal(err)
	}
	wrongIss, _, _ := otherIssuer.Issue(principal)
	wrongAud, _, _ := otherAudience.Issue(principal)
	parts := strings.Split(viewer, ".")
	escalated := parts[0] + "." + base64.RawURLEncoding.EncodeToString(mustJSONClaims(t, claims)) + "." + parts[2]

	users := "/api/v1/iam/users"
	_, totalBefore := listUsers(t, in, admin)
	eventsBefore := len(auditEvents(t, in, admin, ""))

	t.Run("MissingOrForgedTokensAreUnauthorized", func(t *testing.T) {
		for _, tc := range []struct {
			name, authorization, code string
		}{
			{"no token", "", "AUTH-001"},
			{"garbage token", "Bearer not-a-jwt", "AUTH-002"},
			{"basic scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:pw")), "AUTH-002"},
			{"bearer without token", "Bearer ", "AUTH-002"},
			{"other RSA key with the real kid", "Bearer " + sign(jwt.SigningMethodRS256, otherKey, map[string]any{"kid": kid}), "AUTH-002"},
			{"unknown kid", "Bearer " + sign(jwt.SigningMethodRS256, otherKey, map[string]any{"kid": "not-a-key"}), "AUTH-002"},
			{"alg none", "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": kid}), "AUTH-002"},
			{"HS256 keyed with the public key", "Bearer " + sign(jwt.SigningMethodHS256, publicPEM, map[string]any{"kid": kid}), "AUTH-002"},
			{"RS512 with another key", "Bearer " + sign(jwt.SigningMethodRS512, otherKey, map[string]any{"kid": kid}), "AUTH-002"},
			{"payload swapped under a real signature", "Bearer " + escalated, "AUTH-002"},
			{"expired", "Bearer " + expired, "AUTH-003"},
			{"issued in the future", "Bearer " + notYetValid, "AUTH-002"},
			{"wrong issuer", "Bearer " + wrongIss, "AUTH-002"},
			{"wrong audience", "Bearer " + wrongAud, "AUTH-002"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := []string{}
				if tc.authorization != "" {
					h = append(h, "Authorization", tc.authorization)
				}
				body := map[string]string{"email": "forged@astra.test", "name": "F", "role": "platform_admin", "password": password}
				r := in.Do(t, http.MethodPost, users, "", body, h...)
				assertProblem(t, r, http.StatusUnauthorized, tc.code)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
				assertProblem(t, in.Do(t, http.MethodGet, users, "", nil, h...), http.StatusUnauthorized, tc.code)
			})
		}
		// The real key still works, so the refusals above are about the forgeries.
		if r := in.Do(t, http.MethodGet, users, admin, nil); r.Status != http.StatusOK {
			t.Fatalf("genuine token: %d", r.Status)
		}
	})

	t.Run("MissingPermissionsAreForbidden", func(t *testing.T) {
		if iam.Has(iam.PermissionsOf(iam.RoleViewer), "iam:read") || iam.Has(iam.PermissionsOf(iam.RoleViewer), "iam:write") {
			t.Fatal("the viewer role grants iam permissions; this test assumes it does not")
		}
		assertProblem(t, in.Do(t, http.MethodPost, users, viewer,
			map[string]string{"email": "by-viewer@astra.test", "name": "V", "role": "viewer", "password": password}), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodGet, users, viewer, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPatch, users+"/"+target.ID, viewer, map[string]string{"name": "V"}), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodDelete, users+"/"+target.ID, viewer, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/audit/events", viewer, nil), http.StatusForbidden, "AUTH-006")
		// A security admin manages users but cannot mint platform admins.
		assertProblem(t, in.Do(t, http.MethodPost, users, secAdmin,
			map[string]string{"email": "escalate@astra.test", "name": "E", "role": "platform_admin", "password": password}), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPatch, users+"/"+target.ID, secAdmin, map[string]string{"role": "platform_admin"}),
			http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/iam/tenants", secAdmin, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/iam/tenants", secAdmin,
			map[string]any{"name": "Rogue", "admin": map[string]string{"email": "rogue@astra.test", "password": password}}),
			http.StatusForbidden, "AUTH-006")
		// ... nor act on the platform admin's account.
		assertProblem(t, in.Do(t, http.MethodPatch, users+"/"+me.ID, secAdmin, map[string]string{"role": "viewer"}), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodDelete, users+"/"+me.ID, secAdmin, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPatch, users+"/"+me.ID, secAdmin, map[string]string{"name": "Demoted"}), http.StatusForbidden, "AUTH-006")
		// ... also not by giving it a second role and then taking platform_admin away.
		assertProblem(t, in.Do(t, http.MethodPost, users+"/"+me.ID+"/roles", secAdmin, map[string]string{"role": "viewer"}),
			http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodDelete, users+"/"+me.ID+"/roles/platform_admin", secAdmin, nil), http.StatusForbidden, "AUTH-006")
		if got := getUser(t, in, admin, target.ID); got.Role != "developer" || got.Version != 1 {
			t.Fatalf("target changed: %+v", got)
		}
		if got := getUser(t, in, admin, me.ID); got.Role != iam.RolePlatformAdmin || got.Status != "active" {
			t.Fatalf("platform admin changed: %+v", got)
		}
		// What a security admin may do, it can.
		if r := in.Do(t, http.MethodPatch, users+"/"+target.ID, secAdmin, map[string]string{"role": "auditor"}, "If-Match", `"1"`); r.Status != http.StatusOK {
			t.Fatalf("security admin changing a developer's role: %d %s", r.Status, r.Body)
		}
	})

	t.Run("MalformedBodiesAreRejected", func(t *testing.T) {
		valid := `{"email":"body@astra.test","name":"B","role":"viewer","password":"` + password + `"}`
		huge := `{"email":"huge@astra.test","name":"B","role":"viewer","password":"` + password + `","x":"` + strings.Repeat("a", 1<<20) + `"}`
		for _, tc := range []struct {
			name        string
			body        string
			contentType string
			status      int
			code        string
		}{
			{"unknown field", `{"email":"unknown@astra.test","name":"U","role":"viewer","password":"` + password + `","is_admin":true}`, "application/json", 400, "VAL-001"},
			{"malformed JSON", `{"email":"malformed@astra.test",`, "application/json", 400, "VAL-002"},
			{"trailing data", valid + `{}`, "application/json", 400, "VAL-002"},
			{"wrong type", `{"email":["a"],"name":"W","role":"viewer"}`, "application/json", 400, "VAL-001"},
			{"invalid e-mail", `{"email":"not-an-address","name":"W","role":"viewer"}`, "application/json", 400, "VAL-001"},
			{"short password", `{"email":"short@astra.test","name":"W","role":"viewer","password":"short"}`, "application/json", 400, "VAL-001"},
			{"unknown role", `{"email":"role@astra.test","name":"W","role":"root"}`, "application/json", 422, "IAM-005"},
			{"empty body", ``, "application/json", 400, "VAL-002"},
			{"wrong content type", valid, "text/plain", 415, "VAL-003"},
			{"form content type", "email=a@b.c", "application/x-www-form-urlencoded", 415, "VAL-003"},
			{"body over 1 MiB", huge, "application/json", 413, "VAL-004"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := in.Do(t, http.MethodPost, users, admin, tc.body, "Content-Type", tc.contentType)
				assertProblem(t, r, tc.status, tc.code)
			})
		}
		huge = `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
		assertProblem(t, in.Do(t, http.MethodPatch, users+"/"+target.ID, admin, huge), http.StatusRequestEntityTooLarge, "VAL-004")
		assertProblem(t, in.Do(t, http.MethodPatch, users+"/"+target.ID, admin, `{"name":"x","version":9}`), http.StatusBadRequest, "VAL-001")
	})

	t.Run("HostileQueryAndPathInputsAreRejectedCleanly", func(t *testing.T) {
		for _, tc := range []struct {
			path   string
			status int
		}{
			{users + "/' OR 1=1--", http.StatusNotFound},
			{users + "/" + uuid.NewString(), http.StatusNotFound},
			{users + "?cursor=garbage", http.StatusBadRequest},
			{users + "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"a":"'; DROP TABLE users;--","x":1}`)), http.StatusBadRequest},
			{users + "?limit=0", http.StatusBadRequest},
			{users + "?limit=100000", http.StatusBadRequest},
			{users + "?role=" + strings.Repeat("r", 400), http.StatusBadRequest},
			{"/api/v1/admin/audit/events?from=yesterday", http.StatusBadRequest},
			{"/api/v1/admin/audit/events?cursor=%00%01", http.StatusBadRequest},
			{"/api/v1/iam/tenants/not-a-uuid", http.StatusNotFound},
		} {
			r := in.DoRaw(t, http.MethodGet, strings.ReplaceAll(tc.path, " ", "%20"), admin, nil)
			assertProblem(t, r, tc.status, "")
		}
		r := in.DoRaw(t, http.MethodGet, users+"?role="+strings.ReplaceAll("' OR '1'='1", " ", "%20"), admin, nil)
		var none []testkit.User
		r.Data(t, &none)
		if r.Status != http.StatusOK || len(none) != 0 {
			t.Fatalf("role filter injection: %d %d users", r.Status, len(none))
		}
	})

	t.Run("NothingWasCreatedOrRecorded", func(t *testing.T) {
		_, total := listUsers(t, in, admin)
		if total != totalBefore {
			t.Fatalf("users: %d before the refused requests, %d after", totalBefore, total)
		}
		// The only event since is the security admin's allowed role change.
		extra := auditEvents(t, in, admin, "")[eventsBefore:]
		if len(extra) != 1 || extra[0].Type != "com.astra.iam.UserUpdated" || extra[0].Subject != target.ID {
			t.Fatalf("events recorded by refused requests: %+v", extra)
		}
	})
}

// jwksKey reads the instance's public signing key from its JWKS.
func jwksKey(t *testing.T, in *testkit.Instance, kid string) *rsa.PublicKey {
	t.Helper()
	var set auth.JWKS
	in.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil).JSON(t, &set)
	for _, k := range set.Keys {
		if k.Kid != kid {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("jwks key: %v %v", err1, err2)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	t.Fatalf("kid %s not in the JWKS", kid)
	return nil
}

func mustPKIX(t *testing.T, k *rsa.PublicKey) []byte {
	t.Helper()
	b, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSONClaims(t *testing.T, c auth.Claims) []byte {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodNone, c)
	s, err := tok.SigningString()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return payload
}
