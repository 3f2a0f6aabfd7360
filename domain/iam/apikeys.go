package iam

import (
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of API keys.
var (
	ApiKeyCreated = events.Type{Module: "iam", Name: "ApiKeyCreated", New: func() any { return &ApiKeyCreatedV1{} }}
	ApiKeyRevoked = events.Type{Module: "iam", Name: "ApiKeyRevoked", New: func() any { return &ApiKeyRevokedV1{} }}
	ApiKeyRotated = events.Type{Module: "iam", Name: "ApiKeyRotated", New: func() any { return &ApiKeyRotatedV1{} }}
)

func init() { events.Register(ApiKeyCreated, ApiKeyRevoked, ApiKeyRotated) }

// ApiKeyCreatedV1 records a new API key. Only the SHA-256 of its secret is kept.
type ApiKeyCreatedV1 struct {
	KeyID              string     `json:"key_id"`
	TenantID           string     `json:"tenant_id"`
	Name               string     `json:"name"`
	Prefix             string     `json:"prefix"`
	SecretID           string     `json:"secret_id"`
	SecretHash         string     `json:"secret_hash"`
	Permissions        []string   `json:"permissions"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	RateLimitPerMinute int        `json:"rate_limit_per_minute"`
	OwnerID            string     `json:"owner_id"`
}

// ApiKeyRevokedV1 records that a key no longer works.
type ApiKeyRevokedV1 struct {
	KeyID  string `json:"key_id"`
	Reason string `json:"reason"`
}

// ApiKeyRotatedV1 records a new secret for a key; the previous one stops working.
type ApiKeyRotatedV1 struct {
	KeyID           string `json:"key_id"`
	Prefix          string `json:"prefix"`
	SecretID        string `json:"secret_id"`
	SecretHash      string `json:"secret_hash"`
	RevokedSecretID string `json:"revoked_secret_id"`
}

// API key errors.
var (
	ErrApiKeyNotFound = errors.New("iam: api key not found")
	ErrApiKeyRevoked  = errors.New("iam: api key revoked")
	ErrApiKeyExpiry   = errors.New("iam: api key expiry must be in the future")
)

// StreamOfApiKey names an API key's stream.
func StreamOfApiKey(id string) string { return "iam.apikey-" + id }

// ApiKeyState is an API key folded from its stream.
type ApiKeyState struct {
	ID, TenantID, OwnerID, SecretID string
	Revoked                         bool
	Version                         int64
}
