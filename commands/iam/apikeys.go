package iam

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "ab_live_"

// CreateAPIKey issues an API key to its owner, with at most the owner's permissions.
type CreateAPIKey struct {
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
func (h *Handlers) CreateAPIKey(ctx context.Context, meta eventstore.Metadata, in CreateAPIKey, now time.Time) (*IssuedAPIKey, error) {
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, iam.ErrApiKeyExpiry
	}
	if err := iam.ValidPermissions(in.Permissions); err != nil {
		return nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	key, secretID, hash := mintKey(id)
	evs, err := eventstore.Create(ctx, h.Store, meta, iam.StreamOfApiKey(id),
		eventstore.Draft{Type: iam.ApiKeyCreated, Subject: id, Data: &iam.ApiKeyCreatedV1{KeyID: id, TenantID: meta.TenantID,
			Name: in.Name, Prefix: key[:len(APIKeyPrefix)+8], SecretID: secretID, SecretHash: hash, Permissions: in.Permissions,
			ExpiresAt: in.ExpiresAt, RateLimitPerMinute: in.RateLimitPerMinute, OwnerID: in.OwnerID}})
	if err != nil {
		return nil, err
	}
	return &IssuedAPIKey{KeyID: id, Key: key, Events: evs}, nil
}

// LoadAPIKey folds an API key's stream.
func (h *Handlers) LoadAPIKey(ctx context.Context, id string) (iam.ApiKeyState, error) {
	a, err := eventstore.Load(ctx, h.Store, apiKeyFold, iam.StreamOfApiKey(id))
	if err != nil {
		return iam.ApiKeyState{}, err
	}
	k := a.State
	k.Version = a.Version
	return k, nil
}

// ownedKey is the state of an API key of the acting tenant; another
// tenant's key is not found.
func ownedKey(meta eventstore.Metadata, a *eventstore.Aggregate[iam.ApiKeyState]) (iam.ApiKeyState, error) {
	if !a.Exists() || a.State.TenantID != meta.TenantID {
		return a.State, iam.ErrApiKeyNotFound
	}
	return a.State, nil
}

// RevokeAPIKey ends an API key of the acting tenant.
type RevokeAPIKey struct {
	ID string
	// Reason is recorded: revoked, owner_deactivated.
	Reason string
}

// RevokeAPIKey ends a key; the revocation reactor applies it on every
// instance, here before the append returns. Revoking a revoked key records
// nothing.
func (h *Handlers) RevokeAPIKey(ctx context.Context, meta eventstore.Metadata, cmd RevokeAPIKey) ([]eventstore.Event, error) {
	id, reason := cmd.ID, cmd.Reason
	return eventstore.Update(ctx, h.Store, meta, apiKeyFold, iam.StreamOfApiKey(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[iam.ApiKeyState]) (eventstore.Decision, error) {
			k, err := ownedKey(meta, a)
			if err != nil || k.Revoked {
				return nil, err
			}
			return eventstore.Decision{{Type: iam.ApiKeyRevoked, Subject: id, Data: &iam.ApiKeyRevokedV1{KeyID: id, Reason: reason}}}, nil
		})
}

// RotateAPIKey issues a new secret for an API key of the acting tenant.
type RotateAPIKey struct{ ID string }

// RotateAPIKey issues a new secret for a key; the previous secret stops
// working (the revocation reactor revokes it by its secret id).
func (h *Handlers) RotateAPIKey(ctx context.Context, meta eventstore.Metadata, cmd RotateAPIKey) (*IssuedAPIKey, error) {
	id := cmd.ID
	var key string
	evs, err := eventstore.Update(ctx, h.Store, meta, apiKeyFold, iam.StreamOfApiKey(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[iam.ApiKeyState]) (eventstore.Decision, error) {
			k, err := ownedKey(meta, a)
			if err != nil {
				return nil, err
			}
			if k.Revoked {
				return nil, iam.ErrApiKeyRevoked
			}
			var secretID, hash string
			key, secretID, hash = mintKey(id)
			return eventstore.Decision{{Type: iam.ApiKeyRotated, Subject: id, Data: &iam.ApiKeyRotatedV1{KeyID: id,
				Prefix: key[:len(APIKeyPrefix)+8], SecretID: secretID, SecretHash: hash, RevokedSecretID: k.SecretID}}}, nil
		})
	if err != nil {
		return nil, err
	}
	return &IssuedAPIKey{KeyID: id, Key: key, Events: evs}, nil
}
