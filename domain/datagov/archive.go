package datagov

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ArchiveFormat names the shape of an access or portability export.
const ArchiveFormat = "astra.dsar-export/v1"

// Archive is everything the platform holds about a subject, module by module.
type Archive struct {
	Format      string         `json:"format"`
	DsarID      string         `json:"dsar_id"`
	TenantID    string         `json:"tenant_id"`
	Type        string         `json:"type" enum:"access,portability"`
	GeneratedAt time.Time      `json:"generated_at"`
	Subject     ArchiveSubject `json:"subject"`
	Sections    []Section      `json:"sections"`
}

// ArchiveSubject is who the archive is about.
type ArchiveSubject struct {
	UserID     string   `json:"user_id,omitempty"`
	Email      string   `json:"email,omitempty"`
	Name       string   `json:"name,omitempty"`
	Principals []string `json:"principals"`
}

// Section is one kind of record a module holds about the subject.
type Section struct {
	Module string `json:"module"`
	Kind   string `json:"kind"`
	// Items are the records as the module renders them.
	Items []json.RawMessage `json:"items"`
}

// Items counts the records of every section.
func (a *Archive) Items() int {
	n := 0
	for _, s := range a.Sections {
		n += len(s.Items)
	}
	return n
}

// Modules lists the modules with records, in section order.
func (a *Archive) Modules() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range a.Sections {
		if len(s.Items) > 0 && !seen[s.Module] {
			seen[s.Module] = true
			out = append(out, s.Module)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// Signature signs an archive's exact bytes.
type Signature struct {
	Algorithm string `json:"algorithm" enum:"Ed25519"`
	KeyID     string `json:"key_id"`
	// PublicKey is the signing key, base64; SHA256 the hex digest of the archive bytes.
	PublicKey string `json:"public_key"`
	SHA256    string `json:"sha256"`
	Value     string `json:"value"`
}

// SignedArchive is an archive with its signature over the exact bytes of
// the archive member.
type SignedArchive struct {
	Archive   json.RawMessage `json:"archive"`
	Signature Signature       `json:"signature"`
}

// ArchiveSigner signs exports with an Ed25519 key (derived by the caller from
// the installation's master key, so that it is stable across restarts).
type ArchiveSigner struct {
	key   ed25519.PrivateKey
	keyID string
}

// NewArchiveSigner builds a signer from a 32-byte seed.
func NewArchiveSigner(seed []byte) *ArchiveSigner {
	k := ed25519.NewKeyFromSeed(seed)
	sum := sha256.Sum256(k.Public().(ed25519.PublicKey))
	return &ArchiveSigner{key: k, keyID: "dsar-" + hex.EncodeToString(sum[:8])}
}

// Sign signs the archive bytes.
func (s *ArchiveSigner) Sign(archive []byte) SignedArchive {
	sum := sha256.Sum256(archive)
	return SignedArchive{Archive: archive, Signature: Signature{Algorithm: "Ed25519", KeyID: s.keyID,
		PublicKey: base64.StdEncoding.EncodeToString(s.key.Public().(ed25519.PublicKey)), SHA256: hex.EncodeToString(sum[:]),
		Value: base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, archive))}}
}

// ErrBadSignature reports an archive that does not match its signature.
var ErrBadSignature = errors.New("data_gov: the archive does not match its signature")

// VerifyArchive checks an archive against the signature it carries and, when
// trusted is set, that it was signed with that public key.
func VerifyArchive(sa SignedArchive, trusted ed25519.PublicKey) error {
	pub, err := base64.StdEncoding.DecodeString(sa.Signature.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize || (trusted != nil && !bytes.Equal(pub, trusted)) {
		return ErrBadSignature
	}
	sig, err := base64.StdEncoding.DecodeString(sa.Signature.Value)
	sum := sha256.Sum256(sa.Archive)
	if err != nil || hex.EncodeToString(sum[:]) != sa.Signature.SHA256 || !ed25519.Verify(pub, sa.Archive, sig) {
		return ErrBadSignature
	}
	return nil
}

// Receipt describes a signed archive for the ledger.
func (sa SignedArchive) Receipt(a *Archive) *ArchiveReceipt {
	return &ArchiveReceipt{SHA256: sa.Signature.SHA256, Size: int64(len(sa.Archive)), KeyID: sa.Signature.KeyID,
		Signature: sa.Signature.Value, Modules: a.Modules(), Items: a.Items()}
}

// Person is a data subject as modules look them up: a user of the tenant
// (UserID set) or someone known by e-mail address only. Principals are the
// ids they act under (the user and their API keys).
type Person struct {
	UserID     string   `json:"user_id,omitempty"`
	Email      string   `json:"email,omitempty"`
	Name       string   `json:"name,omitempty"`
	Principals []string `json:"principals"`
}

// Holder is a module's answer to "what do you hold about this person?":
// the sections of an access export (records as the module renders them;
// sealed fields may stay sealed, the export opens them).
type Holder interface {
	Holdings(ctx context.Context, tenantID string, p Person) ([]Section, error)
}

// NewSection renders items as a section (nil when there are none).
func NewSection[T any](module, kind string, items []T) (*Section, error) {
	if len(items) == 0 {
		return nil, nil
	}
	s := &Section{Module: module, Kind: kind, Items: make([]json.RawMessage, len(items))}
	for i, x := range items {
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		s.Items[i] = b
	}
	return s, nil
}

// Names are the values a free-text owner field may name the person by (user
// id, address, name), lower-cased.
func (p Person) Names() []string {
	var out []string
	for _, v := range []string{p.UserID, p.Email, p.Name} {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			out = append(out, v)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}
