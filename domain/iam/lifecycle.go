package iam

import (
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of the authentication lifecycle. They live on the user's auth
// stream ("iam.user-auth-<id>"), so that failed logins never bump the version
// a client uses in If-Match for profile changes.
var (
	UserLocked             = events.Type{Module: "iam", Name: "UserLocked", New: func() any { return &UserLockedV1{} }}
	UserUnlocked           = events.Type{Module: "iam", Name: "UserUnlocked", New: func() any { return &UserUnlockedV1{} }}
	LoginFailuresReset     = events.Type{Module: "iam", Name: "LoginFailuresReset", New: func() any { return &LoginFailuresResetV1{} }}
	SessionRevoked         = events.Type{Module: "iam", Name: "SessionRevoked", New: func() any { return &SessionRevokedV1{} }}
	MfaEnrollmentStarted   = events.Type{Module: "iam", Name: "MfaEnrollmentStarted", New: func() any { return &MfaEnrollmentStartedV1{} }}
	MfaEnrolled            = events.Type{Module: "iam", Name: "MfaEnrolled", New: func() any { return &MfaEnrolledV1{} }}
	MfaDisabled            = events.Type{Module: "iam", Name: "MfaDisabled", New: func() any { return &MfaDisabledV1{} }}
	MfaReset               = events.Type{Module: "iam", Name: "MfaReset", New: func() any { return &MfaDisabledV1{} }}
	MfaCodeUsed            = events.Type{Module: "iam", Name: "MfaCodeUsed", New: func() any { return &MfaCodeUsedV1{} }}
	PasswordChanged        = events.Type{Module: "iam", Name: "PasswordChanged", New: func() any { return &PasswordChangedV1{} }}
	PasswordResetRequested = events.Type{Module: "iam", Name: "PasswordResetRequested", New: func() any { return &PasswordResetRequestedV1{} }}
	PasswordReset          = events.Type{Module: "iam", Name: "PasswordReset", New: func() any { return &PasswordChangedV1{} }}
	RoleAssigned           = events.Type{Module: "iam", Name: "RoleAssigned", New: func() any { return &RoleAssignmentV1{} }}
	RoleUnassigned         = events.Type{Module: "iam", Name: "RoleUnassigned", New: func() any { return &RoleAssignmentV1{} }}
	TenantUpdated          = events.Type{Module: "iam", Name: "TenantUpdated", New: func() any { return &TenantUpdatedV1{} }}
)

func init() {
	events.Register(UserLocked, UserUnlocked, LoginFailuresReset, SessionRevoked, MfaEnrollmentStarted, MfaEnrolled,
		MfaDisabled, MfaReset, MfaCodeUsed, PasswordChanged, PasswordResetRequested, PasswordReset, RoleAssigned,
		RoleUnassigned, TenantUpdated)
}

// UserLockedV1 records a lockout (recorded after repeated failed logins until
// those became throttling; still honoured until it ends or is lifted).
type UserLockedV1 struct {
	UserID   string    `json:"user_id"`
	Until    time.Time `json:"until"`
	Failures int       `json:"failures"`
}

// UserUnlockedV1 records an administrator lifting a lockout.
type UserUnlockedV1 struct {
	UserID string `json:"user_id"`
}

// LoginFailuresResetV1 records a successful login after failures.
type LoginFailuresResetV1 struct {
	UserID string `json:"user_id"`
}

// SessionRevokedV1 records the end of a session (logout, admin revocation,
// refresh-token reuse, password change, deactivation).
type SessionRevokedV1 struct {
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
	Reason    string `json:"reason"`
}

// MfaEnrollmentStartedV1 records a TOTP secret issued but not yet confirmed.
// Secret is sealed under the user's data key.
type MfaEnrollmentStartedV1 struct {
	UserID string `json:"user_id"`
	Secret string `json:"secret"`
}

// MfaEnrolledV1 records a confirmed TOTP enrolment.
type MfaEnrolledV1 struct {
	UserID string `json:"user_id"`
}

// MfaDisabledV1 records the removal of TOTP (by the user, or reset by an admin).
type MfaDisabledV1 struct {
	UserID string `json:"user_id"`
}

// MfaCodeUsedV1 records the time step of an accepted code, so it cannot be replayed.
type MfaCodeUsedV1 struct {
	UserID string `json:"user_id"`
	Step   int64  `json:"step"`
}

// PasswordChangedV1 records a new password (hash sealed under the user's data key).
type PasswordChangedV1 struct {
	UserID       string `json:"user_id"`
	PasswordHash string `json:"password_hash"`
	// ResetID names the reset request this change consumed, if any.
	ResetID string `json:"reset_id,omitempty"`
}

// PasswordResetRequestedV1 records a reset token issued (only its hash is kept).
type PasswordResetRequestedV1 struct {
	UserID    string    `json:"user_id"`
	ResetID   string    `json:"reset_id"`
	TokenHash string    `json:"token_hash"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RoleAssignmentV1 records a role given to or taken from a user.
type RoleAssignmentV1 struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// TenantUpdatedV1 records changed tenant profile fields and settings.
type TenantUpdatedV1 struct {
	TenantID string          `json:"tenant_id"`
	Name     *string         `json:"name,omitempty"`
	Settings *TenantSettings `json:"settings,omitempty"`
}

// TenantSettings are the tenant's own policy knobs.
type TenantSettings struct {
	// RateLimitPerMinute is the tenant's API budget; 0 means the installation default.
	RateLimitPerMinute int `json:"rate_limit_per_minute"`
	// MfaRequired makes MFA enrolment mandatory for password logins.
	MfaRequired bool `json:"mfa_required"`
	// SessionTTLHours bounds refresh-token lifetime; 0 means the default (720).
	SessionTTLHours int `json:"session_ttl_hours"`
}

// Lockout and throttling policy. Failed sign-ins no longer lock an account
// (anyone could lock anyone out); they throttle the address they come from.
const (
	MaxFailedLogins = 5
	FailureWindow   = 15 * time.Minute
	LockDuration    = 15 * time.Minute
	ResetTokenTTL   = 30 * time.Minute
	// FreeFailures is how many failed sign-ins an address may make on one
	// account before it has to wait.
	FreeFailures = 5
	// MaxThrottle caps the wait between attempts of a throttled address.
	MaxThrottle = 15 * time.Minute
)

// ThrottleDelay is how long an address waits after its failures-th failed
// sign-in on one account: nothing for the first FreeFailures, then 1 s, 2 s,
// 4 s … up to MaxThrottle.
func ThrottleDelay(failures int) time.Duration {
	if failures < FreeFailures {
		return 0
	}
	n := failures - FreeFailures
	if n >= 20 {
		return MaxThrottle
	}
	return min(time.Second<<n, MaxThrottle)
}

// Lifecycle errors.
var (
	ErrLocked      = errors.New("iam: account locked")
	ErrMfaRequired = errors.New("iam: mfa code required")
	// ErrMfaEnrollmentRequired reports a password sign-in of a user without
	// TOTP in a tenant that requires it: no session until enrolled.
	ErrMfaEnrollmentRequired = errors.New("iam: the tenant requires mfa enrolment")
	ErrMfaInvalid            = errors.New("iam: invalid mfa code")
	ErrMfaNotEnrolled        = errors.New("iam: mfa not enrolled")
	ErrMfaAlready            = errors.New("iam: mfa already enrolled")
	ErrBadPassword           = errors.New("iam: current password is wrong")
	ErrWeakPassword          = errors.New("iam: password too weak")
	ErrResetInvalid          = errors.New("iam: reset token invalid or expired")
	ErrSessionNotFound       = errors.New("iam: session not found")
	ErrLastRole              = errors.New("iam: a user keeps at least one role")
	ErrRoleNotAssigned       = errors.New("iam: role not assigned")
)

// AuthState is the fold of a user's auth stream.
type AuthState struct {
	Failures     []time.Time // failed logins since the last reset
	LockedUntil  time.Time
	MfaSecret    string // sealed; set while enrolling or enrolled
	MfaEnrolled  bool
	LastMfaStep  int64
	Resets       map[string]PasswordResetRequestedV1
	UsedResets   map[string]bool
	PasswordHash string // sealed; the latest changed password (empty: the one from UserCreated)
	Version      int64
}

// Locked reports whether logins are refused at now.
func (s *AuthState) Locked(now time.Time) bool { return now.Before(s.LockedUntil) }

// RecentFailures counts failures within the window before now.
func (s *AuthState) RecentFailures(now time.Time) int {
	n := 0
	for _, f := range s.Failures {
		if now.Sub(f) <= FailureWindow {
			n++
		}
	}
	return n
}

// ValidatePassword applies the password policy.
func ValidatePassword(pw string) error {
	if len(pw) < 12 || len(pw) > 1024 {
		return ErrWeakPassword
	}
	return nil
}

// StreamOfAuth names a user's authentication stream.
func StreamOfAuth(userID string) string { return "iam.user-auth-" + userID }
