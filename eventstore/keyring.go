package eventstore

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Erased is what a personal field reads as once its subject key is erased.
const Erased = "[erased]"

// KeyNotifyChannel announces erased subject keys to every instance.
const KeyNotifyChannel = "astra_keys"

const sealedPrefix = "enc:v1:"

// Keyring seals personal fields with a data key per subject (AES-256-GCM) and
// opens them again. Data keys are stored wrapped by the key-encryption key.
// Erasing a subject's key is crypto-shredding: its fields become unreadable in
// the ledger, on Kafka and in every replay, while the hash chain (computed over
// the ciphertext) still verifies.
type Keyring struct {
	pool *pgxpool.Pool
	kek  cipher.AEAD

	mu    sync.RWMutex
	cache map[string]cipher.AEAD // nil value = erased
	// withdrawn caches whether a principal was withdrawn (see WithdrawPrincipals).
	withdrawn map[string]bool

	// Shared reports keys that seal several people's fields at once (a
	// tenant's monthly gateway content): fields under them cannot be shredded
	// for one person, so outward renderings read those a withdrawn principal
	// left as erased (OpenEvent). Nil: no key is shared.
	Shared func(subject string) bool
}

// NewKeyring uses kek (32 bytes) to wrap data keys.
func NewKeyring(pool *pgxpool.Pool, kek []byte) (*Keyring, error) {
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, fmt.Errorf("keyring: key-encryption key: %w", err)
	}
	return &Keyring{pool: pool, kek: aead, cache: map[string]cipher.AEAD{}, withdrawn: map[string]bool{}}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// IsSealed reports whether a value is a sealed personal field.
func IsSealed(v string) bool { return strings.HasPrefix(v, sealedPrefix) }

// Seal encrypts plaintext under the subject's data key, creating the key on first use.
// Sealing for an erased subject fails: erased subjects stay erased.
func (k *Keyring) Seal(ctx context.Context, tenantID, subjectID, plaintext string) (string, error) {
	aead, err := k.key(ctx, tenantID, subjectID, true)
	if err != nil {
		return "", err
	}
	if aead == nil {
		return "", fmt.Errorf("keyring: subject %s is erased", subjectID)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := aead.Seal(nonce, nonce, []byte(plaintext), []byte(subjectID))
	return sealedPrefix + subjectID + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a sealed field; an erased subject reads as Erased, and a value
// that is not sealed is returned as it is.
func (k *Keyring) Open(ctx context.Context, v string) (string, error) {
	if !IsSealed(v) {
		return v, nil
	}
	// The ciphertext is base64 (no ':'), so the subject is everything before
	// the last ':' (subjects may contain ':' themselves).
	rest := strings.TrimPrefix(v, sealedPrefix)
	i := strings.LastIndexByte(rest, ':')
	ok := i > 0
	subjectID, b64 := "", ""
	if ok {
		subjectID, b64 = rest[:i], rest[i+1:]
	}
	if !ok {
		return "", errors.New("keyring: malformed sealed value")
	}
	aead, err := k.key(ctx, "", subjectID, false)
	if err != nil {
		return "", err
	}
	if aead == nil {
		return Erased, nil
	}
	ct, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(ct) < aead.NonceSize() {
		return "", errors.New("keyring: malformed sealed value")
	}
	pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(subjectID))
	if err != nil {
		return "", fmt.Errorf("keyring: open field of %s: %w", subjectID, err)
	}
	return string(pt), nil
}

// MustOpen is Open for read paths that prefer a marker to an error.
func (k *Keyring) MustOpen(ctx context.Context, v string) string {
	pt, err := k.Open(ctx, v)
	if err != nil {
		return Erased
	}
	return pt
}

// Preload fetches the keys of many subjects at once (replays open thousands).
func (k *Keyring) Preload(ctx context.Context, subjectIDs []string) error {
	var missing []string
	k.mu.RLock()
	for _, s := range subjectIDs {
		if _, ok := k.cache[s]; !ok {
			missing = append(missing, s)
		}
	}
	k.mu.RUnlock()
	if len(missing) == 0 {
		return nil
	}
	rows, err := k.pool.Query(ctx, `SELECT subject_id, wrapped_key FROM subject_keys WHERE subject_id = ANY($1)`, missing)
	if err != nil {
		return fmt.Errorf("keyring: preload: %w", err)
	}
	defer rows.Close()
	loaded := map[string]cipher.AEAD{}
	for rows.Next() {
		var id string
		var wrapped []byte
		if err := rows.Scan(&id, &wrapped); err != nil {
			return err
		}
		aead, err := k.unwrap(id, wrapped)
		if err != nil {
			return err
		}
		loaded[id] = aead
	}
	if err := rows.Err(); err != nil {
		return err
	}
	k.mu.Lock()
	for id, a := range loaded {
		k.cache[id] = a
	}
	k.mu.Unlock()
	return nil
}

// Erase destroys the subject's data key. It cannot be undone.
func (k *Keyring) Erase(ctx context.Context, tenantID, subjectID string) error {
	tx, err := k.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `INSERT INTO subject_keys (subject_id, tenant_id, wrapped_key, erased_at)
		VALUES ($1, $2, NULL, now())
		ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, erased_at = coalesce(subject_keys.erased_at, now())`,
		subjectID, tenantID); err != nil {
		return fmt.Errorf("keyring: erase %s: %w", subjectID, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, KeyNotifyChannel, subjectID); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	k.Forget(subjectID)
	return nil
}

// SubjectKey is one data key as the keyring keeps it (never its material).
type SubjectKey struct {
	Subject   string
	CreatedAt time.Time
	// ErasedAt is when the key was destroyed (nil: it still opens its fields).
	ErasedAt *time.Time
}

// Keys lists a tenant's data keys whose subject starts with prefix, by subject.
func (k *Keyring) Keys(ctx context.Context, tenantID, prefix string) ([]SubjectKey, error) {
	rows, err := k.pool.Query(ctx, `SELECT subject_id, created_at, erased_at FROM subject_keys
		WHERE tenant_id = $1 AND starts_with(subject_id, $2) ORDER BY subject_id`, tenantID, prefix)
	if err != nil {
		return nil, fmt.Errorf("keyring: list keys: %w", err)
	}
	defer rows.Close()
	var out []SubjectKey
	for rows.Next() {
		var sk SubjectKey
		if err := rows.Scan(&sk.Subject, &sk.CreatedAt, &sk.ErasedAt); err != nil {
			return nil, err
		}
		out = append(out, sk)
	}
	return out, rows.Err()
}

// Forget drops a subject from the cache (called on an erasure notification).
func (k *Keyring) Forget(subjectID string) {
	k.mu.Lock()
	delete(k.cache, subjectID)
	delete(k.withdrawn, strings.TrimPrefix(subjectID, principalPrefix))
	k.mu.Unlock()
}

// principalPrefix names the tombstone of a withdrawn principal among the
// subject keys (a key that never had material and is erased).
const principalPrefix = "principal/"

// WithdrawPrincipals records that the principals (a data subject's user id
// and API key ids) were erased with their subject. Fields they left under
// shared keys, which could not be shredded, read as erased in outward
// renderings from then on (OpenEvent), on every instance. It cannot be undone.
func (k *Keyring) WithdrawPrincipals(ctx context.Context, tenantID string, principals []string) error {
	for _, p := range principals {
		if err := k.Erase(ctx, tenantID, principalPrefix+p); err != nil {
			return err
		}
	}
	return nil
}

// Withdrawn reports whether a principal was withdrawn by an erasure.
func (k *Keyring) Withdrawn(ctx context.Context, principal string) (bool, error) {
	k.mu.RLock()
	w, ok := k.withdrawn[principal]
	k.mu.RUnlock()
	if ok {
		return w, nil
	}
	err := k.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM subject_keys WHERE subject_id = $1 AND erased_at IS NOT NULL)`,
		principalPrefix+principal).Scan(&w)
	if err != nil {
		return false, fmt.Errorf("keyring: withdrawn principal: %w", err)
	}
	k.mu.Lock()
	k.withdrawn[principal] = w
	k.mu.Unlock()
	return w, nil
}

func (k *Keyring) key(ctx context.Context, tenantID, subjectID string, create bool) (cipher.AEAD, error) {
	k.mu.RLock()
	aead, ok := k.cache[subjectID]
	k.mu.RUnlock()
	if ok {
		return aead, nil
	}
	var wrapped []byte
	err := k.pool.QueryRow(ctx, `SELECT wrapped_key FROM subject_keys WHERE subject_id = $1`, subjectID).Scan(&wrapped)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && create:
		dk := make([]byte, 32)
		if _, err := rand.Read(dk); err != nil {
			return nil, err
		}
		nonce := make([]byte, k.kek.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		w := k.kek.Seal(nonce, nonce, dk, []byte(subjectID))
		if _, err := k.pool.Exec(ctx, `INSERT INTO subject_keys (subject_id, tenant_id, wrapped_key) VALUES ($1, $2, $3)
			ON CONFLICT (subject_id) DO NOTHING`, subjectID, tenantID, w); err != nil {
			return nil, fmt.Errorf("keyring: create key: %w", err)
		}
		// Another instance may have won the insert: read back whichever key is stored.
		return k.key(ctx, tenantID, subjectID, false)
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil // never had a key: nothing sealed for it can be read
	case err != nil:
		return nil, fmt.Errorf("keyring: load key: %w", err)
	}
	aead, err = k.unwrap(subjectID, wrapped)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.cache[subjectID] = aead
	k.mu.Unlock()
	return aead, nil
}

func (k *Keyring) unwrap(subjectID string, wrapped []byte) (cipher.AEAD, error) {
	if wrapped == nil {
		return nil, nil
	}
	n := k.kek.NonceSize()
	if len(wrapped) < n {
		return nil, errors.New("keyring: wrapped key too short")
	}
	dk, err := k.kek.Open(nil, wrapped[:n], wrapped[n:], []byte(subjectID))
	if err != nil {
		return nil, fmt.Errorf("keyring: unwrap key of %s: %w", subjectID, err)
	}
	return newAEAD(dk)
}

// redactedFields are secrets that outward renderings (audit export, the live
// stream) never show, sealed or not.
var redactedFields = map[string]bool{"password_hash": true, "refresh_hash": true, "invitation_hash": true, "client_secret": true,
	"api_key": true, "secret": true, "token_hash": true, "secret_hash": true}

// Redacted is what a secret field reads as in outward renderings.
const Redacted = "[redacted]"

// OpenJSON renders an event payload for people: sealed personal fields are
// opened (or read as Erased) and secrets are redacted.
func (k *Keyring) OpenJSON(ctx context.Context, data []byte) []byte {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return data
	}
	v = k.openValue(ctx, "", v)
	out, err := json.Marshal(v)
	if err != nil {
		return data
	}
	return out
}

// OpenEvent renders an event's payload for people as OpenJSON does; when
// its actor was withdrawn by an erasure, fields sealed under shared keys
// read as erased too.
func (k *Keyring) OpenEvent(ctx context.Context, e *Event) []byte {
	if k.Shared == nil || e.Actor == "" || !bytes.Contains(e.Data, []byte(sealedPrefix)) {
		return k.OpenJSON(ctx, e.Data)
	}
	if w, err := k.Withdrawn(ctx, e.Actor); err != nil || w {
		// Unknown (the store failed): erased rather than shown.
		var v any
		if json.Unmarshal(e.Data, &v) != nil {
			return e.Data
		}
		out, err := json.Marshal(k.openShared(ctx, "", v, true))
		if err != nil {
			return e.Data
		}
		return out
	}
	return k.OpenJSON(ctx, e.Data)
}

func (k *Keyring) openValue(ctx context.Context, key string, v any) any {
	return k.openShared(ctx, key, v, false)
}

// openShared opens sealed fields and redacts secrets; with withdrawn, fields
// sealed under shared keys read as erased.
func (k *Keyring) openShared(ctx context.Context, key string, v any, withdrawn bool) any {
	switch x := v.(type) {
	case map[string]any:
		for kk, vv := range x {
			x[kk] = k.openShared(ctx, kk, vv, withdrawn)
		}
		return x
	case []any:
		for i, vv := range x {
			x[i] = k.openShared(ctx, key, vv, withdrawn)
		}
		return x
	case string:
		if redactedFields[key] && x != "" {
			return Redacted
		}
		if IsSealed(x) {
			if withdrawn && k.Shared(sealedSubject(x)) {
				return Erased
			}
			return k.MustOpen(ctx, x)
		}
		return x
	}
	return v
}

// sealedSubject is the subject whose key sealed a value ("" when malformed).
func sealedSubject(v string) string {
	rest := strings.TrimPrefix(v, sealedPrefix)
	if i := strings.LastIndexByte(rest, ':'); i > 0 {
		return rest[:i]
	}
	return ""
}

// Listen drops erased keys from this instance's cache as soon as any instance
// erases them, until ctx ends.
func (k *Keyring) Listen(ctx context.Context) {
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, k.pool.Config().ConnConfig.Copy())
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		if _, err := conn.Exec(ctx, "LISTEN "+KeyNotifyChannel); err == nil {
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					break
				}
				k.Forget(n.Payload)
			}
		}
		conn.Close(context.Background())
	}
}
