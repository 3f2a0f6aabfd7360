// Package security is the security suite: every way a request can be forged,
// replayed, escalated or malformed gets its documented 4xx problem+json, changes
// nothing, and leaks no stack trace, SQL or secret.
package security

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/testkit"
)

// leaks are strings no answer may contain.
var leaks = []string{"SELECT ", "INSERT ", "pgx", "pq:", "SQLSTATE", "goroutine ", "panic", ".go:", "$argon2id", "BEGIN RSA", "enc:v1:"}

func checkNoLeak(t *testing.T, r *testkit.Response) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(string(r.Body), l) {
			t.Fatalf("answer leaks %q: %s", l, r.Body)
		}
	}
}

func head(t *testing.T, in *testkit.Instance) int64 {
	t.Helper()
	var h int64
	if err := in.Running.Stack.Pool.QueryRow(context.Background(), `SELECT position FROM ledger_head`).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

func signWith(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSecuritySuite(t *testing.T) {
	in := testkit.Start(t, nil)
	ctx := context.Background()
	admin := in.AdminToken(t)
	tenantB, adminB := in.NewTenant(t, admin, "Beta")
	_ = tenantB

	// A viewer in the default tenant.
	r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": "viewer@sec.test", "name": "V", "role": "viewer", "password": "viewer-password-1"})
	var viewer struct {
		ID       string `json:"id"`
		TenantID string `json:"tenant_id"`
	}
	r.Data(t, &viewer)
	viewerToken := in.Login(t, "viewer@sec.test", "viewer-password-1")

	signer := in.Running.Signer
	valid, _, _ := signer.Issue(auth.Principal{Subject: viewer.ID, TenantID: viewer.TenantID, Role: "viewer", Permissions: []string{"trust:read"}})
	claims := func() jwt.MapClaims {
		now := time.Now()
		return jwt.MapClaims{"sub": viewer.ID, "tid": viewer.TenantID, "role": "platform_admin", "permissions": []string{"iam:admin"},
			"iss": signer.Issuer, "aud": []string{signer.Audience}, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	sameKeyOtherIssuer, err := auth.LoadSigner(ctx, in.Running.Stack.Pool, in.Running.Stack.KEK, "evil-issuer", signer.Audience)
	if err != nil {
		t.Fatal(err)
	}
	sameKeyOtherAudience, _ := auth.LoadSigner(ctx, in.Running.Stack.Pool, in.Running.Stack.KEK, signer.Issuer, "other-api")
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	// The classic confusion attack: HMAC-sign with the server's public key, as published.
	jwks := in.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	var set auth.JWKS
	jwks.JSON(t, &set)
	realPub := set.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(realPub.N)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	realPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	expired, _, _ := signer.IssueAt(auth.Principal{Subject: viewer.ID, TenantID: viewer.TenantID, Role: "viewer"}, time.Now().Add(-2*time.Hour))
	future, _, _ := signer.IssueAt(auth.Principal{Subject: viewer.ID, TenantID: viewer.TenantID, Role: "viewer"}, time.Now().Add(2*time.Hour))
	wrongIss, _, _ := sameKeyOtherIssuer.Issue(auth.Principal{Subject: viewer.ID, TenantID: viewer.TenantID, Role: "viewer", Permissions: []string{"iam:admin"}})
	wrongAud, _, _ := sameKeyOtherAudience.Issue(auth.Principal{Subject: viewer.ID, TenantID: viewer.TenantID, Role: "viewer", Permissions: []string{"iam:admin"}})
	parts := strings.Split(valid, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var pl map[string]any
	_ = json.Unmarshal(payload, &pl)
	pl["permissions"] = []string{"iam:admin", "admin:admin"}
	tp, _ := json.Marshal(pl)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(tp) + "." + parts[2]
	noneTok := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(tp) + "."

	// Revoked session, revoked API key, reused refresh token.
	loginResp := in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "viewer@sec.test", "password": "viewer-password-1"})
	var lt struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	loginResp.Data(t, &lt)
	in.Do(t, http.MethodPost, "/api/v1/auth/logout", lt.AccessToken, nil)
	keyResp := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", admin, map[string]any{"name": "k", "permissions": []string{"iam:read"}})
	var key struct {
		Key    string `json:"key"`
		APIKey struct {
			ID string `json:"id"`
		} `json:"api_key"`
	}
	keyResp.Data(t, &key)
	in.Do(t, http.MethodDelete, "/api/v1/iam/api-keys/"+key.APIKey.ID, admin, nil)
	l2 := in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "viewer@sec.test", "password": "viewer-password-1"})
	var rt struct {
		RefreshToken string `json:"refresh_token"`
	}
	l2.Data(t, &rt)
	in.Do(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": rt.RefreshToken})

	big := `{"email":"a@b.test","name":"` + strings.Repeat("x", 2<<20) + `","role":"viewer"}`
	users := "/api/v1/iam/users"

	cases := []struct {
		name, method, path, token string
		body                      any
		headers                   []string
		status                    int
		code                      string
		writes                    bool // the attempt itself is recorded (failed logins)
	}{
		{"alg none", http.MethodGet, users, noneTok, nil, nil, 401, "AUTH-002", false},
		{"HS256 signed with the public key", http.MethodGet, users, signWith(t, jwt.SigningMethodHS256, realPEM, realPub.Kid, claims()), nil, nil, 401, "AUTH-002", false},
		{"expired", http.MethodGet, "/api/v1/auth/me", expired, nil, nil, 401, "AUTH-003", false},
		{"not yet valid", http.MethodGet, "/api/v1/auth/me", future, nil, nil, 401, "AUTH-002", false},
		{"wrong issuer", http.MethodGet, users, wrongIss, nil, nil, 401, "AUTH-002", false},
		{"wrong audience", http.MethodGet, users, wrongAud, nil, nil, 401, "AUTH-002", false},
		{"unknown kid", http.MethodGet, users, signWith(t, jwt.SigningMethodRS256, otherKey, "not-a-kid", claims()), nil, nil, 401, "AUTH-002", false},
		{"known kid, other key", http.MethodGet, users, signWith(t, jwt.SigningMethodRS256, otherKey, realPub.Kid, claims()), nil, nil, 401, "AUTH-002", false},
		{"tampered payload", http.MethodGet, users, tampered, nil, nil, 401, "AUTH-002", false},
		{"no token", http.MethodGet, users, "", nil, nil, 401, "AUTH-001", false},
		{"tenant A token, X-Tenant-ID of B", http.MethodGet, users, viewerToken, nil, []string{"X-Tenant-ID", tenantB}, 403, "AUTH-005", false},
		{"tenant B admin writes into A", http.MethodPatch, users + "/" + viewer.ID, adminB, map[string]string{"name": "pwned"}, nil, 404, "IAM-001", false},
		{"missing permission", http.MethodPost, users, viewerToken, map[string]string{"email": "x@sec.test", "name": "x", "role": "viewer"}, nil, 403, "AUTH-006", false},
		{"escalate to platform admin", http.MethodPost, users, adminB, map[string]string{"email": "y@sec.test", "name": "y", "role": "platform_admin"}, nil, 403, "AUTH-006", false},
		{"revoked session", http.MethodGet, "/api/v1/auth/me", lt.AccessToken, nil, nil, 401, "AUTH-002", false},
		{"revoked API key", http.MethodGet, users, key.Key, nil, nil, 401, "AUTH-002", false},
		{"reused refresh token", http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": rt.RefreshToken}, nil, 401, "AUTH-010", true},
		{"oversized body", http.MethodPost, users, admin, big, nil, 413, "VAL-004", false},
		{"malformed JSON", http.MethodPost, users, admin, `{"email": "a@b.test",`, nil, 400, "VAL-002", false},
		{"unknown field", http.MethodPost, users, admin, map[string]string{"email": "u@sec.test", "name": "u", "role": "viewer", "is_admin": "true"}, nil, 400, "VAL-001", false},
		{"wrong type", http.MethodPost, users, admin, `{"email": 5, "name": "u", "role": "viewer"}`, nil, 400, "VAL-001", false},
		// A member sent twice: a proxy that reads the first and the decoder that keeps the last would disagree.
		{"member sent twice", http.MethodPost, users, adminB, `{"email": "d@sec.test", "name": "d", "role": "viewer", "role": "security_admin"}`, nil, 400, "VAL-001", false},
		{"member sent twice, other case", http.MethodPost, users, adminB, `{"email": "d@sec.test", "name": "d", "role": "viewer", "ROLE": "security_admin"}`, nil, 400, "VAL-001", false},
		{"member sent twice, escaped", http.MethodPost, users, adminB, `{"email": "d@sec.test", "name": "d", "role": "viewer", "r\u006fle": "security_admin"}`, nil, 400, "VAL-001", false},
		{"NUL in a field", http.MethodPost, users, admin, `{"email": "n@sec.test", "name": "a\u0000b", "role": "viewer"}`, nil, 400, "VAL-007", false},
		{"wrong content type", http.MethodPost, users, admin, "email=a", []string{"Content-Type", "text/plain"}, 415, "VAL-003", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := head(t, in)
			r := in.DoRaw(t, c.method, c.path, c.token, c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if p := r.Problem(t); p.ErrorCode != c.code || p.RequestID == "" {
				t.Fatalf("problem %+v, want %s", p, c.code)
			}
			checkNoLeak(t, r)
			if after := head(t, in); !c.writes && after != before {
				t.Fatalf("ledger moved from %d to %d", before, after)
			}
		})
	}

	// Brute force used to lock the account for everyone (an anonymous denial
	// of service); it now throttles the address it comes from.
	t.Run("brute force throttles its source", func(t *testing.T) {
		in.Do(t, http.MethodPost, users, admin, map[string]string{"email": "bf@sec.test", "name": "b", "role": "viewer", "password": "bf-password-12345"})
		for i := 0; i < 5; i++ {
			in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "bf@sec.test", "password": "guess-" + string(rune('a'+i))})
		}
		r := in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "bf@sec.test", "password": "bf-password-12345"})
		if r.Status != http.StatusTooManyRequests || r.Problem(t).ErrorCode != "RATE-004" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("after 5 failures: %d %s", r.Status, r.Body)
		}
		checkNoLeak(t, r)
	})

	t.Run("SQL metacharacters in every filter", func(t *testing.T) {
		payloads := []string{`' OR '1'='1`, `"; DROP TABLE events; --`, `\x00`, `%' AND 1=1 --`, `$1`, `) UNION SELECT * FROM platform_secrets --`, "😀'\\"}
		filters := []string{
			"/api/v1/iam/users?role=%s", "/api/v1/iam/users?status=%s", "/api/v1/iam/users?email=%s", "/api/v1/iam/users?cursor=%s",
			"/api/v1/iam/users?limit=%s", "/api/v1/iam/sessions?user_id=%s", "/api/v1/iam/api-keys?cursor=%s",
			"/api/v1/admin/audit/events?type=%s", "/api/v1/admin/audit/events?subject=%s", "/api/v1/admin/audit/events?actor=%s",
			"/api/v1/admin/audit/events?stream_id=%s", "/api/v1/admin/audit/events?from=%s", "/api/v1/admin/audit/events?to=%s",
			"/api/v1/admin/audit/events?cursor=%s", "/api/v1/iam/tenants?cursor=%s",
		}
		before := head(t, in)
		for _, f := range filters {
			for _, p := range payloads {
				path := strings.Replace(f, "%s", url.QueryEscape(p), 1)
				r := in.DoRaw(t, http.MethodGet, path, admin, nil)
				if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
					t.Fatalf("%s → %d: %s", path, r.Status, r.Body)
				}
				if r.Status == http.StatusOK {
					var env struct {
						Data []json.RawMessage `json:"data"`
					}
					r.JSON(t, &env)
					if len(env.Data) > 0 && !strings.Contains(f, "cursor") && !strings.Contains(f, "limit") {
						t.Fatalf("%s matched %d rows", path, len(env.Data))
					}
				}
				checkNoLeak(t, r)
			}
		}
		if after := head(t, in); after != before {
			t.Fatalf("ledger moved from %d to %d", before, after)
		}
	})
}
