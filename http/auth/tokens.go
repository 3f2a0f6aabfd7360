// Package auth issues and verifies the product's access tokens (JWT RS256 with
// a persisted, encrypted signing key and a JWKS), and holds the middleware that
// turns a bearer token into a principal, checks the tenant and the permission.
package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/projections/authstore"
)

// AccessTTL is the lifetime of an access token.
const AccessTTL = time.Hour

// MaxLifetimeSkew is how much longer than AccessTTL a token's exp may be
// after its iat before it is refused.
const MaxLifetimeSkew = time.Minute

// Principal is who makes a request.
type Principal struct {
	Subject     string   // user id (or API key id)
	TenantID    string   // the tenant the token was issued in
	Role        string   // role name
	Permissions []string // granted permissions
	SessionID   string
	Kind        string // "user" | "api_key"
	// ActingTenant is the tenant the request acts in: the token's, or the one a
	// platform admin named with X-Tenant-ID.
	ActingTenant string
	// RateLimitPerMinute is an API key's own budget (0: only the tenant's applies).
	RateLimitPerMinute int
	// Owner is the user whose current access bounds an API key (empty for tokens,
	// whose Subject is that user).
	Owner string
	// ExpiresAt is when the credential stops working (zero: never).
	ExpiresAt time.Time
}

// Claims are the JWT claims of an access token.
type Claims struct {
	TenantID    string   `json:"tid"`
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
	SessionID   string   `json:"sid,omitempty"`
	jwt.RegisteredClaims
}

// Errors of token verification.
var (
	ErrTokenExpired = errors.New("auth: token expired")
	ErrTokenInvalid = errors.New("auth: token invalid")
)

// Signer signs and verifies access tokens with the current RSA key and keeps
// the public keys of previous ones for verification and the JWKS.
type Signer struct {
	kid      string
	key      *rsa.PrivateKey
	public   map[string]*rsa.PublicKey
	Issuer   string
	Audience string
	now      func() time.Time

	// verified remembers the tokens that passed Verify, by their SHA-256,
	// until they expire: an RS256 check costs more than the rest of
	// authentication, and a client sends the same token with every request.
	mu       sync.Mutex
	verified map[[sha256.Size]byte]verifiedToken
}

type verifiedToken struct {
	p       Principal
	expires time.Time
}

// maxVerified bounds the verified-token cache (expired entries are swept
// when it is full, then everything if nothing expired).
const maxVerified = 100_000

// LoadSigner loads the signing key (sealed under kek) from the installation's
// store (projections/authstore on Postgres), making one on first start. Every
// instance of an installation signs with the same key.
func LoadSigner(ctx context.Context, db authstore.DB, kek []byte, issuer, audience string) (*Signer, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	blob, err := authstore.SigningKey(ctx, db, func() ([]byte, error) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		return aead.Seal(nonce, nonce, x509.MarshalPKCS1PrivateKey(key), []byte("jwt_signing_key")), nil
	})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	n := aead.NonceSize()
	if len(blob) < n {
		return nil, errors.New("auth: signing key blob too short")
	}
	der, err := aead.Open(nil, blob[:n], blob[n:], []byte("jwt_signing_key"))
	if err != nil {
		return nil, fmt.Errorf("auth: decrypt signing key (wrong ASTRA_MASTER_KEY?): %w", err)
	}
	key, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, err
	}
	return NewSigner(key, issuer, audience), nil
}

// NewSigner signs with key; its kid is a thumbprint of the public key.
func NewSigner(key *rsa.PrivateKey, issuer, audience string) *Signer {
	pub := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	sum := sha256.Sum256(pub)
	kid := hex.EncodeToString(sum[:8])
	return &Signer{kid: kid, key: key, public: map[string]*rsa.PublicKey{kid: &key.PublicKey},
		Issuer: issuer, Audience: audience, now: time.Now, verified: map[[sha256.Size]byte]verifiedToken{}}
}

// KeyID is the kid of the current signing key.
func (s *Signer) KeyID() string { return s.kid }

// Issue signs an access token for p.
func (s *Signer) Issue(p Principal) (string, time.Time, error) { return s.IssueAt(p, s.now()) }

// IssueAt signs an access token for p as if it were now (tests use it to make
// expired tokens with the real key).
func (s *Signer) IssueAt(p Principal, now time.Time) (string, time.Time, error) {
	now = now.UTC().Truncate(time.Second)
	exp := now.Add(AccessTTL)
	claims := Claims{TenantID: p.TenantID, Role: p.Role, Permissions: p.Permissions, SessionID: p.SessionID,
		RegisteredClaims: jwt.RegisteredClaims{Subject: p.Subject, Issuer: s.Issuer, Audience: jwt.ClaimStrings{s.Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
			ID: uuid.Must(uuid.NewV7()).String()}}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = s.kid
	signed, err := t.SignedString(s.key)
	return signed, exp, err
}

// Verify checks signature (RS256 only, known kid), issuer, audience, expiry,
// not-before and issued-at, and returns the principal. A token that passed
// is answered from memory until it expires (the caller still checks its
// session against the revocations on every request).
func (s *Signer) Verify(token string) (*Principal, error) {
	sum := sha256.Sum256([]byte(token))
	now := s.now()
	s.mu.Lock()
	v, ok := s.verified[sum]
	s.mu.Unlock()
	if ok && now.Before(v.expires) {
		p := v.p
		p.Permissions = slices.Clone(v.p.Permissions)
		return &p, nil
	}
	p, exp, err := s.verify(token)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.verified) >= maxVerified {
		for k, e := range s.verified {
			if !now.Before(e.expires) {
				delete(s.verified, k)
			}
		}
		if len(s.verified) >= maxVerified {
			clear(s.verified)
		}
	}
	if s.verified != nil {
		cached := *p
		cached.Permissions = slices.Clone(p.Permissions)
		s.verified[sum] = verifiedToken{p: cached, expires: exp}
	}
	s.mu.Unlock()
	return p, nil
}

// verify checks a token cryptographically and returns its principal and expiry.
func (s *Signer) verify(token string) (*Principal, time.Time, error) {
	var claims Claims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := s.public[kid]
		if !ok {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		return key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(s.Issuer), jwt.WithAudience(s.Audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(s.now), jwt.WithLeeway(5*time.Second))
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, time.Time{}, ErrTokenExpired
	}
	if err != nil {
		return nil, time.Time{}, ErrTokenInvalid
	}
	if claims.Subject == "" || claims.TenantID == "" || claims.ExpiresAt == nil {
		return nil, time.Time{}, ErrTokenInvalid
	}
	// A token lives AccessTTL: one that claims longer (a ten-year expiry
	// signed with a leaked or misused key) is refused, whatever its signature.
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > AccessTTL+MaxLifetimeSkew {
		return nil, time.Time{}, ErrTokenInvalid
	}
	return &Principal{Subject: claims.Subject, TenantID: claims.TenantID, Role: claims.Role, Permissions: claims.Permissions,
		SessionID: claims.SessionID, Kind: "user", ActingTenant: claims.TenantID, ExpiresAt: claims.ExpiresAt.Time}, claims.ExpiresAt.Time, nil
}

// JWK is one public key in a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS is the public key set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS lists the verification keys.
func (s *Signer) JWKS() JWKS {
	var out JWKS
	for kid, k := range s.public {
		out.Keys = append(out.Keys, JWK{Kty: "RSA", Use: "sig", Alg: "RS256", Kid: kid,
			N: base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
			E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())})
	}
	return out
}
