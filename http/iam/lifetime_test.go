package iam_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/testkit"
)

// realSigningKey reads the instance's own RSA signing key the way the server
// loads it (sealed in platform_secrets under the KEK): tokens signed with it
// are genuine, so only their claims can make the server refuse them.
func realSigningKey(t *testing.T, in *testkit.Instance) *rsa.PrivateKey {
	t.Helper()
	var blob []byte
	if err := in.Running.Stack.Pool.QueryRow(context.Background(), `SELECT value FROM platform_secrets WHERE name = 'jwt_signing_key'`).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(in.Running.Stack.KEK)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	n := aead.NonceSize()
	der, err := aead.Open(nil, blob[:n], blob[n:], []byte("jwt_signing_key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestTokens_LongerThanTheAccessTTLAreRefused: a token signed with the real
// key whose exp lies further after its iat than the access-token lifetime
// (plus a minute) is refused, as is one without iat.
func TestTokens_LongerThanTheAccessTTLAreRefused(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	key := realSigningKey(t, in)
	now := time.Now()
	sign := func(iat *jwt.NumericDate, exp time.Time) string {
		claims := auth.Claims{TenantID: me.TenantID, Role: iam.RolePlatformAdmin, Permissions: iam.PermissionsOf(iam.RolePlatformAdmin),
			RegisteredClaims: jwt.RegisteredClaims{Subject: me.ID, Issuer: in.Cfg.JWTIssuer, Audience: jwt.ClaimStrings{in.Cfg.JWTAudience},
				IssuedAt: iat, NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp), ID: uuid.NewString()}}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = in.Running.Signer.KeyID()
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		token  string
		status int
	}{
		{"the access TTL", sign(jwt.NewNumericDate(now), now.Add(auth.AccessTTL)), http.StatusOK},
		{"ten years", sign(jwt.NewNumericDate(now), now.Add(10*365*24*time.Hour)), http.StatusUnauthorized},
		{"two hours", sign(jwt.NewNumericDate(now), now.Add(2*time.Hour)), http.StatusUnauthorized},
		{"no iat", sign(nil, now.Add(30*time.Minute)), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := in.Do(t, http.MethodGet, "/api/v1/iam/users", tc.token, nil)
			if tc.status == http.StatusOK {
				if r.Status != http.StatusOK {
					t.Fatalf("genuine token: %d %s", r.Status, r.Body)
				}
				return
			}
			assertProblem(t, r, http.StatusUnauthorized, "AUTH-002")
		})
	}
}
