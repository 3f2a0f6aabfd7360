package admin

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// LicenseFormat names the licence file format; it is also the domain
// separator of the signed message (format, a line feed, then the payload),
// so that no other Ed25519 signature of the same key can pass for a licence.
const LicenseFormat = "astra-license/1"

// BuiltinLicenseKeys are the public keys (base64, standard encoding) of the
// licences the binary trusts unless ASTRA_LICENSE_PUBLIC_KEYS replaces them.
var BuiltinLicenseKeys = []string{"fE4liQ6GlLNGr1lG7S/rRAEI1SBoK5Yxy0TCZtLr+D0="}

// MaxLicenseFile bounds a licence file.
const MaxLicenseFile = 64 << 10

// DefaultGraceDays is the grace period `astra license sign` gives a licence
// unless told otherwise.
const DefaultGraceDays = 14

// License is what a licence grants: a plan for a licensee, a number of
// seats (active users across every tenant; 0: unlimited), the modules it
// covers, until when, and the quotas of each tenant.
type License struct {
	ID        string    `json:"id" doc:"The licence's id."`
	Licensee  string    `json:"licensee" doc:"Who the licence is for."`
	Plan      string    `json:"plan" doc:"The plan sold (enterprise, …)."`
	Seats     int       `json:"seats" doc:"Active users allowed across every tenant (0: unlimited); reported, not enforced."`
	Modules   []string  `json:"modules" doc:"The modules licensed (iam, sso, admin and platform are always on)."`
	IssuedAt  time.Time `json:"issued_at" doc:"When the licence was issued; it does not install before."`
	ExpiresAt time.Time `json:"expires_at" doc:"When the licence expires; its grace period follows."`
	// GraceDays is how long after ExpiresAt the licence still holds, with a
	// warning on every answer (0: none).
	GraceDays int    `json:"grace_days" doc:"Days after expires_at during which the licence still holds, with a warning on every answer."`
	Quotas    Quotas `json:"quotas" doc:"Each tenant's monthly quotas (0: none); the tenant_quota_* settings override them."`
}

// Quotas are a tenant's monthly allowances under a licence (0: none); the
// settings tenant_quota_* override them.
type Quotas struct {
	RequestsPerMonth int64 `json:"requests_per_month" doc:"Gateway requests per calendar month (0: none)."`
	TokensPerMonth   int64 `json:"tokens_per_month" doc:"Provider tokens per calendar month (0: none)."`
	StorageBytes     int64 `json:"storage_bytes" doc:"Bytes kept in the ledger and in files (0: none)."`
}

// LicenseFile is the signed file: the licence as base64 JSON, and the
// Ed25519 signature of LicenseFormat + "\n" + that JSON.
type LicenseFile struct {
	Format    string `json:"format" validate:"required" enum:"astra-license/1" doc:"The file format: astra-license/1."`
	KeyID     string `json:"key_id" doc:"The id of the signing key (the first 16 hex digits of the SHA-256 of its public key); informative."`
	Payload   string `json:"payload" validate:"required" doc:"The licence terms, JSON encoded in base64."`
	Signature string `json:"signature" validate:"required" doc:"The Ed25519 signature (base64) of \"astra-license/1\\n\" followed by the decoded payload."`
}

// Errors of a licence.
var (
	ErrLicenseMalformed   = errors.New("admin: not a licence file")
	ErrLicenseSignature   = errors.New("admin: the licence signature does not verify against a trusted key")
	ErrLicenseInvalid     = errors.New("admin: invalid licence terms")
	ErrLicenseExpired     = errors.New("admin: the licence expired and its grace period ended")
	ErrLicenseNotYetValid = errors.New("admin: the licence is not valid yet")
	ErrModuleNotLicensed  = errors.New("admin: module not licensed")
)

// CoreModules are never outside a licence: without them nobody could sign
// in, administer the platform or install a renewed licence.
var CoreModules = []string{"platform", "iam", "sso", "admin"}

var moduleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// ParsePublicKeys reads base64 Ed25519 public keys.
func ParsePublicKeys(encoded []string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, e := range encoded {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(e)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("admin: %q is not a base64 Ed25519 public key (32 bytes)", e)
		}
		out = append(out, ed25519.PublicKey(raw))
	}
	return out, nil
}

func signedMessage(payload []byte) []byte {
	return append([]byte(LicenseFormat+"\n"), payload...)
}

// SignLicense writes the signed licence file of l.
func SignLicense(l License, key ed25519.PrivateKey) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	f := LicenseFile{Format: LicenseFormat, KeyID: KeyID(key.Public().(ed25519.PublicKey)),
		Payload:   base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, signedMessage(payload)))}
	return json.MarshalIndent(f, "", "  ")
}

// VerifyLicense checks a licence file against the trusted keys and its
// terms at now: the signature, the terms, and that it is neither future nor
// past its grace period. It returns the licence and the id of the key that
// signed it.
func VerifyLicense(file []byte, keys []ed25519.PublicKey, now time.Time) (License, string, error) {
	var l License
	if len(file) > MaxLicenseFile {
		return l, "", fmt.Errorf("%w: larger than %d bytes", ErrLicenseMalformed, MaxLicenseFile)
	}
	var f LicenseFile
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || f.Format != LicenseFormat {
		return l, "", fmt.Errorf("%w: expected a JSON document of format %q", ErrLicenseMalformed, LicenseFormat)
	}
	payload, err := base64.StdEncoding.DecodeString(f.Payload)
	if err != nil {
		return l, "", fmt.Errorf("%w: the payload is not base64", ErrLicenseMalformed)
	}
	sig, err := base64.StdEncoding.DecodeString(f.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return l, "", fmt.Errorf("%w: the signature is not a base64 Ed25519 signature", ErrLicenseMalformed)
	}
	signer := ""
	for _, k := range keys {
		if ed25519.Verify(k, signedMessage(payload), sig) {
			signer = KeyID(k)
			break
		}
	}
	if signer == "" {
		return l, "", ErrLicenseSignature
	}
	pdec := json.NewDecoder(bytes.NewReader(payload))
	pdec.DisallowUnknownFields()
	if err := pdec.Decode(&l); err != nil {
		return l, "", fmt.Errorf("%w: the signed terms are not a licence", ErrLicenseMalformed)
	}
	if err := l.check(); err != nil {
		return l, "", err
	}
	if now.Add(5 * time.Minute).Before(l.IssuedAt) {
		return l, "", fmt.Errorf("%w: it is issued for %s", ErrLicenseNotYetValid, l.IssuedAt.UTC().Format(time.RFC3339))
	}
	if l.Status(now) == LicenseExpired {
		return l, "", fmt.Errorf("%w: it expired on %s", ErrLicenseExpired, l.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return l, signer, nil
}

func (l License) check() error {
	bad := func(msg string) error { return fmt.Errorf("%w: %s", ErrLicenseInvalid, msg) }
	switch {
	case strings.TrimSpace(l.ID) == "" || len(l.ID) > 200:
		return bad("id is required")
	case strings.TrimSpace(l.Plan) == "" || len(l.Plan) > 100:
		return bad("plan is required")
	case len(l.Licensee) > 300:
		return bad("licensee is too long")
	case l.Seats < 0:
		return bad("seats must not be negative")
	case l.IssuedAt.IsZero() || l.ExpiresAt.IsZero() || !l.ExpiresAt.After(l.IssuedAt):
		return bad("issued_at and expires_at are required, expires_at after issued_at")
	case l.GraceDays < 0 || l.GraceDays > 365:
		return bad("grace_days must be between 0 and 365")
	case l.Quotas.RequestsPerMonth < 0 || l.Quotas.TokensPerMonth < 0 || l.Quotas.StorageBytes < 0:
		return bad("quotas must not be negative")
	case len(l.Modules) == 0 || len(l.Modules) > 100:
		return bad("modules must name the modules licensed")
	}
	for _, m := range l.Modules {
		if !moduleName.MatchString(m) {
			return bad(fmt.Sprintf("module %q is not a module name", m))
		}
	}
	return nil
}

// Licence states.
const (
	// LicenseCommunity: no licence is installed; every module is on.
	LicenseCommunity = "community"
	// LicenseActive: before expires_at.
	LicenseActive = "active"
	// LicenseGrace: after expires_at, within the grace period: still
	// enforced as active, with a warning on every answer.
	LicenseGrace = "grace"
	// LicenseExpired: past the grace period: the product runs as the
	// community edition again.
	LicenseExpired = "expired"
)

// GraceEnds is when the grace period ends.
func (l License) GraceEnds() time.Time {
	return l.ExpiresAt.Add(time.Duration(l.GraceDays) * 24 * time.Hour)
}

// Status is the licence's state at now.
func (l License) Status(now time.Time) string {
	switch {
	case now.Before(l.ExpiresAt):
		return LicenseActive
	case now.Before(l.GraceEnds()):
		return LicenseGrace
	}
	return LicenseExpired
}

// Covers reports whether the licence covers a module (core modules always).
func (l License) Covers(module string) bool {
	return slices.Contains(CoreModules, module) || slices.Contains(l.Modules, module)
}
