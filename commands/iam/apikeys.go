package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "ab_live_"

// NewAPIKey is the input of CreateAPIKey.
type NewAPIKey struct {
	Name               string
	Permissions        []string
	ExpiresAt          *time.Time
	RateLimitPerMinute int
	OwnerID            string
}

// IssuedAPIKey carries a key's secret, shown once.
type IssuedAPIKey struct {
	KeyID  string
	Key    string
	Events []eventstore.Event
}

// mintKey makes "ab_live_<key id hex>_<secret>" with its secret id and hash.
func mintKey(keyID string) (key, secretID, hash string) {
	secret := randomToken("")
	key = APIKeyPrefix + strings.ReplaceAll(keyID, "-", "") + "_" + secret
	return key, uuid.Must(uuid.NewV7()).String(), sha256Hex(key)
}

// ParseAPIKey returns the key id of an API key.
func ParseAPIKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, APIKeyPrefix)
	if !ok {
		return "", false
	}
	hexID, _, ok := strings.Cut(rest, "_")
	if !ok || len(hexID) != 32 {
		return "", false
	}
	id, err := uuid.Parse(hexID)
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// APIKeyHash is the stored form of a key.
func APIKeyHash(key string) string { return sha256Hex(key) }

// CreateAPIKey records a key; the caller has checked the permissions are its own.
func (h *Handlers) CreateAPIKey(ctx context.Context, meta eventstore.Metadata, in NewAPIKey, now time.Time) (*IssuedAPIKey, error) {
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, iam.ErrApiKeyExpiry
	}
	if err := iam.ValidPermissions(in.Permissions); err != nil {
		return nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	key, secretID, hash := mintKey(id)
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfApiKey(id), Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: iam.ApiKeyCreated, Subject: id, Data: &iam.ApiKeyCreatedV1{KeyID: id, TenantID: meta.TenantID,
			Name: in.Name, Prefix: key[:len(APIKeyPrefix)+8], SecretID: secretID, SecretHash: hash, Permissions: in.Permissions,
			ExpiresAt: in.ExpiresAt, RateLimitPerMinute: in.RateLimitPerMinute, OwnerID: in.OwnerID}}}})
	if err != nil {
		return nil, err
	}
	return &IssuedAPIKey{KeyID: id, Key: key, Events: evs}, nil
}

// LoadAPIKey folds a key's stream.
func (h *Handlers) LoadAPIKey(ctx context.Context, id string) (iam.ApiKeyState, error) {
	var k iam.ApiKeyState
	evs, err := h.Store.ReadStream(ctx, iam.StreamOfApiKey(id))
	if err != nil {
		return k, err
	}
	for i := range evs {
		switch evs[i].Name() {
		case iam.ApiKeyCreated.Name:
			var d iam.ApiKeyCreatedV1
			if err := evs[i].Decode(&d); err != nil {
				return k, err
			}
			k.ID, k.TenantID, k.OwnerID, k.SecretID = d.KeyID, d.TenantID, d.OwnerID, d.SecretID
		case iam.ApiKeyRotated.Name:
			var d iam.ApiKeyRotatedV1
			if err := evs[i].Decode(&d); err != nil {
				return k, err
			}
			k.SecretID = d.SecretID
		case iam.ApiKeyRevoked.Name:
			k.Revoked = true
		}
		k.Version = evs[i].Version
	}
	return k, nil
}

// RevokeAPIKey stops a key on every instance at once.
func (h *Handlers) RevokeAPIKey(ctx context.Context, meta eventstore.Metadata, id, reason string) ([]eventstore.Event, error) {
	k, err := h.LoadAPIKey(ctx, id)
	if err != nil {
		return nil, err
	}
	if k.Version == 0 || k.TenantID != meta.TenantID {
		return nil, iam.ErrApiKeyNotFound
	}
	if k.Revoked {
		return nil, nil
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfApiKey(id), Expected: k.Version,
		Events: []eventstore.Draft{{Type: iam.ApiKeyRevoked, Subject: id, Data: &iam.ApiKeyRevokedV1{KeyID: id, Reason: reason}}}})
	if err != nil {
		return nil, err
	}
	h.announceRevoked(ctx, "apikey", id)
	return evs, nil
}

// RotateAPIKey issues a new secret; the old one stops working on every instance at once.
func (h *Handlers) RotateAPIKey(ctx context.Context, meta eventstore.Metadata, id string) (*IssuedAPIKey, error) {
	k, err := h.LoadAPIKey(ctx, id)
	if err != nil {
		return nil, err
	}
	if k.Version == 0 || k.TenantID != meta.TenantID {
		return nil, iam.ErrApiKeyNotFound
	}
	if k.Revoked {
		return nil, iam.ErrApiKeyRevoked
	}
	key, secretID, hash := mintKey(id)
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfApiKey(id), Expected: k.Version,
		Events: []eventstore.Draft{{Type: iam.ApiKeyRotated, Subject: id, Data: &iam.ApiKeyRotatedV1{KeyID: id,
			Prefix: key[:len(APIKeyPrefix)+8], SecretID: secretID, SecretHash: hash, RevokedSecretID: k.SecretID}}}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, ErrVersionMismatch
	}
	if err != nil {
		return nil, err
	}
	h.announceRevoked(ctx, "apikeysecret", k.SecretID)
	return &IssuedAPIKey{KeyID: id, Key: key, Events: evs}, nil
}
