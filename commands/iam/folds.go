package iam

import (
	"time"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// The fold tables of the IAM aggregates: each event type is declared once
// with its payload type, and the state changes are the domain's.

// userFold folds a user's stream (iam.user-<id>).
var userFold = func() *eventstore.Fold[iam.User] {
	f := eventstore.NewFold[iam.User]()
	eventstore.On(f, iam.UserCreated, func(u *iam.User, d *iam.UserCreatedV1, _ *eventstore.Event) { u.Created(d) })
	eventstore.On(f, iam.UserUpdated, func(u *iam.User, d *iam.UserUpdatedV1, _ *eventstore.Event) {
		if d.Role != nil {
			u.Role = *d.Role
		}
	})
	eventstore.On(f, iam.UserDeactivated, func(u *iam.User, _ *iam.UserDeactivatedV1, _ *eventstore.Event) {
		u.Status = iam.StatusDeactivated
	})
	eventstore.On(f, iam.UserErased, func(u *iam.User, _ *iam.UserErasedV1, _ *eventstore.Event) { u.Erased = true })
	eventstore.On(f, iam.RoleAssigned, func(u *iam.User, d *iam.RoleAssignmentV1, _ *eventstore.Event) { u.ToggleRole(d.Role) })
	eventstore.On(f, iam.RoleUnassigned, func(u *iam.User, d *iam.RoleAssignmentV1, _ *eventstore.Event) { u.ToggleRole(d.Role) })
	return f
}()

// authFold folds a user's authentication stream (iam.user-auth-<id>).
// Failures recorded during a lock do not extend it.
var authFold = func() *eventstore.Fold[iam.AuthState] {
	f := eventstore.NewFold[iam.AuthState]()
	eventstore.On(f, iam.LoginFailed, func(s *iam.AuthState, d *iam.LoginFailedV1, e *eventstore.Event) {
		if d.Reason != "locked" {
			s.Failures = append(s.Failures, e.Time)
		}
	})
	eventstore.On(f, iam.UserLocked, func(s *iam.AuthState, d *iam.UserLockedV1, _ *eventstore.Event) {
		s.LockedUntil, s.Failures = d.Until, nil
	})
	eventstore.On(f, iam.UserUnlocked, func(s *iam.AuthState, _ *iam.UserUnlockedV1, _ *eventstore.Event) {
		s.LockedUntil, s.Failures = time.Time{}, nil
	})
	eventstore.On(f, iam.LoginFailuresReset, func(s *iam.AuthState, _ *iam.LoginFailuresResetV1, _ *eventstore.Event) { s.Failures = nil })
	eventstore.On(f, iam.MfaEnrollmentStarted, func(s *iam.AuthState, d *iam.MfaEnrollmentStartedV1, _ *eventstore.Event) {
		s.MfaSecret, s.MfaEnrolled = d.Secret, false
	})
	eventstore.On(f, iam.MfaEnrolled, func(s *iam.AuthState, _ *iam.MfaEnrolledV1, _ *eventstore.Event) { s.MfaEnrolled = true })
	disabled := func(s *iam.AuthState, _ *iam.MfaDisabledV1, _ *eventstore.Event) {
		s.MfaSecret, s.MfaEnrolled = "", false
	}
	eventstore.On(f, iam.MfaDisabled, disabled)
	eventstore.On(f, iam.MfaReset, disabled)
	eventstore.On(f, iam.MfaCodeUsed, func(s *iam.AuthState, d *iam.MfaCodeUsedV1, _ *eventstore.Event) {
		s.LastMfaStep = max(s.LastMfaStep, d.Step)
	})
	eventstore.On(f, iam.PasswordResetRequested, func(s *iam.AuthState, d *iam.PasswordResetRequestedV1, _ *eventstore.Event) {
		if s.Resets == nil {
			s.Resets = map[string]iam.PasswordResetRequestedV1{}
		}
		s.Resets[d.ResetID] = *d
	})
	changed := func(s *iam.AuthState, d *iam.PasswordChangedV1, _ *eventstore.Event) {
		s.PasswordHash = d.PasswordHash
		if d.ResetID != "" {
			if s.UsedResets == nil {
				s.UsedResets = map[string]bool{}
			}
			s.UsedResets[d.ResetID] = true
		}
	}
	eventstore.On(f, iam.PasswordChanged, changed)
	eventstore.On(f, iam.PasswordReset, changed)
	return f
}()

// apiKeyFold folds an API key's stream.
var apiKeyFold = func() *eventstore.Fold[iam.ApiKeyState] {
	f := eventstore.NewFold[iam.ApiKeyState]()
	eventstore.On(f, iam.ApiKeyCreated, func(k *iam.ApiKeyState, d *iam.ApiKeyCreatedV1, _ *eventstore.Event) {
		k.ID, k.TenantID, k.OwnerID, k.SecretID = d.KeyID, d.TenantID, d.OwnerID, d.SecretID
	})
	eventstore.On(f, iam.ApiKeyRotated, func(k *iam.ApiKeyState, d *iam.ApiKeyRotatedV1, _ *eventstore.Event) { k.SecretID = d.SecretID })
	eventstore.On(f, iam.ApiKeyRevoked, func(k *iam.ApiKeyState, _ *iam.ApiKeyRevokedV1, _ *eventstore.Event) { k.Revoked = true })
	return f
}()

// roleState is a custom role folded from its stream.
type roleState struct {
	ID, TenantID, Name string
	Permissions        []string
	Deleted            bool
}

// roleFold folds a custom role's stream.
var roleFold = func() *eventstore.Fold[roleState] {
	f := eventstore.NewFold[roleState]()
	eventstore.On(f, iam.RoleCreated, func(r *roleState, d *iam.RoleCreatedV1, _ *eventstore.Event) {
		r.ID, r.TenantID, r.Name, r.Permissions = d.RoleID, d.TenantID, d.Name, d.Permissions
	})
	eventstore.On(f, iam.RoleUpdated, func(r *roleState, d *iam.RoleUpdatedV1, _ *eventstore.Event) {
		if d.Permissions != nil {
			r.Permissions = *d.Permissions
		}
	})
	eventstore.On(f, iam.RoleDeleted, func(r *roleState, _ *iam.RoleDeletedV1, _ *eventstore.Event) {
		r.Deleted, r.Permissions = true, nil
	})
	return f
}()

// tenantState is a tenant folded from its stream (the commands need only
// whether it exists and its version).
type tenantState struct{ ID string }

// tenantFold folds a tenant's stream.
var tenantFold = func() *eventstore.Fold[tenantState] {
	f := eventstore.NewFold[tenantState]()
	eventstore.On(f, iam.TenantCreated, func(t *tenantState, d *iam.TenantCreatedV1, _ *eventstore.Event) { t.ID = d.TenantID })
	return f
}()

// sessionState is a session folded from its stream: its current refresh
// token (a hash), the ones it replaced, and whether it ended.
type sessionState struct {
	UserID, TenantID, Current string
	Expires                   time.Time
	Previous                  map[string]bool
	Revoked                   bool
}

// sessionFold folds a session's stream.
var sessionFold = func() *eventstore.Fold[sessionState] {
	f := eventstore.NewFold[sessionState]()
	eventstore.On(f, iam.UserLoggedIn, func(s *sessionState, d *iam.UserLoggedInV1, e *eventstore.Event) {
		s.UserID, s.TenantID, s.Current, s.Expires = d.UserID, e.TenantID, d.RefreshHash, d.ExpiresAt
	})
	eventstore.On(f, iam.SessionRefreshed, func(s *sessionState, d *iam.SessionRefreshedV1, _ *eventstore.Event) {
		if s.Previous == nil {
			s.Previous = map[string]bool{}
		}
		s.Previous[s.Current] = true
		s.Current, s.Expires = d.RefreshHash, d.ExpiresAt
	})
	eventstore.On(f, iam.SessionRevoked, func(s *sessionState, _ *iam.SessionRevokedV1, _ *eventstore.Event) { s.Revoked = true })
	return f
}()

// claimState is a reservation stream (an address, a role name): who holds it
// now; empty when nobody (never claimed, or released).
type claimState struct {
	Holder   string
	TenantID string
}

// emailClaimFold folds an address's claim stream.
var emailClaimFold = func() *eventstore.Fold[claimState] {
	f := eventstore.NewFold[claimState]()
	eventstore.On(f, iam.EmailClaimed, func(c *claimState, d *iam.EmailClaimedV1, _ *eventstore.Event) {
		c.Holder, c.TenantID = d.UserID, d.TenantID
	})
	eventstore.On(f, iam.EmailReleased, func(c *claimState, _ *iam.EmailReleasedV1, _ *eventstore.Event) { *c = claimState{} })
	return f
}()

// nameClaimFold folds a custom role name's reservation stream.
var nameClaimFold = func() *eventstore.Fold[claimState] {
	f := eventstore.NewFold[claimState]()
	eventstore.On(f, iam.NameClaimed, func(c *claimState, d *iam.NameClaimV1, _ *eventstore.Event) {
		c.Holder, c.TenantID = d.OwnerID, d.TenantID
	})
	eventstore.On(f, iam.NameReleased, func(c *claimState, _ *iam.NameClaimV1, _ *eventstore.Event) { *c = claimState{} })
	return f
}()
