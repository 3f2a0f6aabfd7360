package iam

import (
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of the IAM module.
var (
	TenantCreated     = events.Type{Module: "iam", Name: "TenantCreated", New: func() any { return &TenantCreatedV1{} }}
	UserCreated       = events.Type{Module: "iam", Name: "UserCreated", New: func() any { return &UserCreatedV1{} }}
	UserUpdated       = events.Type{Module: "iam", Name: "UserUpdated", New: func() any { return &UserUpdatedV1{} }}
	UserDeactivated   = events.Type{Module: "iam", Name: "UserDeactivated", New: func() any { return &UserDeactivatedV1{} }}
	UserErased        = events.Type{Module: "iam", Name: "UserErased", New: func() any { return &UserErasedV1{} }}
	EmailClaimed      = events.Type{Module: "iam", Name: "EmailClaimed", New: func() any { return &EmailClaimedV1{} }}
	EmailReleased     = events.Type{Module: "iam", Name: "EmailReleased", New: func() any { return &EmailReleasedV1{} }}
	UserLoggedIn      = events.Type{Module: "iam", Name: "UserLoggedIn", New: func() any { return &UserLoggedInV1{} }}
	LoginFailed       = events.Type{Module: "iam", Name: "LoginFailed", New: func() any { return &LoginFailedV1{} }}
	SessionRefreshed  = events.Type{Module: "iam", Name: "SessionRefreshed", New: func() any { return &SessionRefreshedV1{} }}
	TenantNameClaimed = events.Type{Module: "iam", Name: "TenantNameClaimed", New: func() any { return &TenantNameClaimedV1{} }}
	PlatformBootstrap = events.Type{Module: "iam", Name: "PlatformBootstrapped", New: func() any { return &PlatformBootstrappedV1{} }}
)

func init() {
	events.Register(TenantCreated, UserCreated, UserUpdated, UserDeactivated, UserErased, EmailClaimed, EmailReleased,
		UserLoggedIn, LoginFailed, SessionRefreshed, TenantNameClaimed, PlatformBootstrap)
}

// TenantCreatedV1 records a new tenant.
type TenantCreatedV1 struct {
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
}

// UserCreatedV1 records a new user. Email, Name and PasswordHash are sealed
// personal fields (crypto-shredded on erasure); InvitationHash is the SHA-256
// of the invitation token when the user was invited without a password.
type UserCreatedV1 struct {
	UserID         string `json:"user_id"`
	TenantID       string `json:"tenant_id"`
	Email          string `json:"email"`
	Name           string `json:"name"`
	Role           string `json:"role"`
	PasswordHash   string `json:"password_hash,omitempty"`
	InvitationHash string `json:"invitation_hash,omitempty"`
	Status         string `json:"status"`
}

// UserUpdatedV1 records changed profile fields; nil fields did not change.
type UserUpdatedV1 struct {
	UserID string  `json:"user_id"`
	Name   *string `json:"name,omitempty"`
	Role   *string `json:"role,omitempty"`
}

// UserDeactivatedV1 records that a user can no longer sign in.
type UserDeactivatedV1 struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason,omitempty"`
}

// UserErasedV1 records that the user's personal data key was destroyed.
type UserErasedV1 struct {
	UserID string `json:"user_id"`
}

// EmailClaimedV1 reserves an e-mail address in a tenant (claims written before
// addresses became unique per tenant reserve it installation-wide). The stream id
// is a keyed hash of the address, so the claim holds no personal data.
type EmailClaimedV1 struct {
	UserID   string `json:"user_id"`
	TenantID string `json:"tenant_id"`
}

// EmailReleasedV1 frees an address for reuse.
type EmailReleasedV1 struct {
	UserID string `json:"user_id"`
}

// UserLoggedInV1 records a successful sign-in, which starts a session.
type UserLoggedInV1 struct {
	UserID    string    `json:"user_id"`
	SessionID string    `json:"session_id"`
	Method    string    `json:"method"`
	ExpiresAt time.Time `json:"expires_at"`
	// RefreshHash is the SHA-256 of the current refresh token.
	RefreshHash string `json:"refresh_hash"`
}

// LoginFailedV1 records a failed sign-in for a known user.
type LoginFailedV1 struct {
	UserID string `json:"user_id"`
	Reason string `json:"reason"`
}

// SessionRefreshedV1 records a refresh-token rotation.
type SessionRefreshedV1 struct {
	SessionID   string    `json:"session_id"`
	UserID      string    `json:"user_id"`
	RefreshHash string    `json:"refresh_hash"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// PlatformBootstrappedV1 marks the one-time creation of the first tenant and admin.
type PlatformBootstrappedV1 struct {
	TenantID string `json:"tenant_id"`
	UserID   string `json:"user_id"`
}

// TenantNameClaimedV1 reserves a tenant name installation-wide.
type TenantNameClaimedV1 struct {
	TenantID string `json:"tenant_id"`
}
