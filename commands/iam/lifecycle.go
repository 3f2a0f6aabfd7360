package iam

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// ErrInvalidCredentials reports a wrong e-mail, password or inactive account.
var ErrInvalidCredentials = errors.New("iam: invalid credentials")

// LoadAuth folds a user's authentication stream.
func (h *Handlers) LoadAuth(ctx context.Context, userID string) (iam.AuthState, error) {
	a, err := eventstore.Load(ctx, h.Store, authFold, iam.StreamOfAuth(userID))
	if err != nil {
		return iam.AuthState{}, err
	}
	s := a.State
	s.Version = a.Version
	return s, nil
}

// LoginInput is what Login needs from the read model and the request.
type LoginInput struct {
	UserID       string
	TenantID     string
	Status       string
	PasswordHash string // from the users read model (opened)
	Password     string
	MfaCode      string
	Method       string
	Now          time.Time
	Correlation  string
	SessionTTL   time.Duration
	// MfaRequired is the tenant's mfa_required: a user without TOTP gets no
	// session (iam.ErrMfaEnrollmentRequired) until enrolled.
	MfaRequired bool
}

// CheckPassword checks a lock set earlier and the password of in, recording a
// failure (iam.LoginFailed), and returns the user's auth state.
func (h *Handlers) CheckPassword(ctx context.Context, in LoginInput) (iam.AuthState, error) {
	meta := eventstore.Metadata{TenantID: in.TenantID, Actor: in.UserID, CorrelationID: in.Correlation}
	auth, err := h.LoadAuth(ctx, in.UserID)
	if err != nil {
		return auth, err
	}
	if auth.Locked(in.Now) {
		_ = h.fail(ctx, meta, in.UserID, "locked")
		return auth, iam.ErrLocked
	}
	hash := in.PasswordHash
	if auth.PasswordHash != "" {
		hash = h.Keys.MustOpen(ctx, auth.PasswordHash)
	}
	if in.Status != iam.StatusActive || hash == "" || hash == eventstore.Erased {
		h.DummyVerify(in.Password) // same cost as a real check
		_ = h.fail(ctx, meta, in.UserID, "inactive")
		return auth, ErrInvalidCredentials
	}
	ok, err := VerifyPassword(hash, in.Password)
	if err != nil {
		return auth, err
	}
	if !ok {
		if err := h.fail(ctx, meta, in.UserID, "bad_password"); err != nil {
			return auth, err
		}
		return auth, ErrInvalidCredentials
	}
	return auth, nil
}

// PasswordMatches reports whether password is the user's current password
// and records nothing: sign-in uses it to choose among the users that hold one
// address in several tenants (a password meant for one of them is no failed
// sign-in of the others). An inactive user matches nothing, at the same cost.
func (h *Handlers) PasswordMatches(ctx context.Context, in LoginInput) (bool, error) {
	auth, err := h.LoadAuth(ctx, in.UserID)
	if err != nil {
		return false, err
	}
	hash := in.PasswordHash
	if auth.PasswordHash != "" {
		hash = h.Keys.MustOpen(ctx, auth.PasswordHash)
	}
	if in.Status != iam.StatusActive || hash == "" || hash == eventstore.Erased {
		h.DummyVerify(in.Password)
		return false, nil
	}
	return VerifyPassword(hash, in.Password)
}

// Login checks a lock set earlier, the password and (when enrolled) the TOTP
// code, records the outcome, and starts a session on success. Failures are
// recorded (iam.LoginFailed) but never lock the account: the caller throttles
// the client address instead (NoteLoginFailure), so that nobody can lock
// someone else out.
func (h *Handlers) Login(ctx context.Context, in LoginInput) (*Session, error) {
	meta := eventstore.Metadata{TenantID: in.TenantID, Actor: in.UserID, CorrelationID: in.Correlation}
	auth, err := h.CheckPassword(ctx, in)
	if err != nil {
		return nil, err
	}
	if !auth.MfaEnrolled && in.MfaRequired {
		return nil, iam.ErrMfaEnrollmentRequired
	}
	var extra []eventstore.Draft
	if auth.MfaEnrolled {
		if in.MfaCode == "" {
			return nil, iam.ErrMfaRequired
		}
		step, valid := h.useTOTP(ctx, auth, in.MfaCode, in.Now)
		if !valid {
			if err := h.fail(ctx, meta, in.UserID, "bad_mfa_code"); err != nil {
				return nil, err
			}
			return nil, iam.ErrMfaInvalid
		}
		extra = append(extra, eventstore.Draft{Type: iam.MfaCodeUsed, Subject: in.UserID, Data: &iam.MfaCodeUsedV1{UserID: in.UserID, Step: step}})
	}
	if len(auth.Failures) > 0 {
		extra = append(extra, eventstore.Draft{Type: iam.LoginFailuresReset, Subject: in.UserID, Data: &iam.LoginFailuresResetV1{UserID: in.UserID}})
	}
	var also []eventstore.StreamAppend
	if len(extra) > 0 {
		also = append(also, eventstore.StreamAppend{StreamID: iam.StreamOfAuth(in.UserID), Expected: auth.Version, Events: extra})
	}
	method := in.Method
	if method == "" {
		method = "password"
	}
	sess, err := h.startSession(ctx, meta, in.UserID, method, in.Now, in.SessionTTL, also...)
	if isConflict(err) {
		return nil, ErrInvalidCredentials // a concurrent login changed the auth stream; the client retries
	}
	return sess, err
}

// fail records a failed login (the history; throttling is the caller's).
func (h *Handlers) fail(ctx context.Context, meta eventstore.Metadata, userID, reason string) error {
	drafts := []eventstore.Draft{{Type: iam.LoginFailed, Subject: userID, Data: &iam.LoginFailedV1{UserID: userID, Reason: reason}}}
	_, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfAuth(userID), Expected: eventstore.AnyVersion, Events: drafts})
	return err
}

// checkTOTP validates a code against the enrolled secret, allowing one step of
// clock skew. It returns the code's time step; callers that sign in refuse a
// step already used (replay).
func (h *Handlers) checkTOTP(ctx context.Context, auth iam.AuthState, code string, now time.Time) (int64, bool) {
	secret := h.Keys.MustOpen(ctx, auth.MfaSecret)
	if secret == "" || secret == eventstore.Erased {
		return 0, false
	}
	for _, skew := range []int64{0, -1, 1} {
		step := now.Unix()/30 + skew
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && hmac.Equal([]byte(want), []byte(code)) {
			return step, true
		}
	}
	return 0, false
}

// useTOTP is checkTOTP for a use of the code: a code whose time step was
// already used — to sign in, confirm an enrolment or disable MFA — is refused,
// so that every code works once whatever it is used for.
func (h *Handlers) useTOTP(ctx context.Context, auth iam.AuthState, code string, now time.Time) (int64, bool) {
	step, ok := h.checkTOTP(ctx, auth, code, now)
	if !ok || step <= auth.LastMfaStep {
		return 0, false
	}
	return step, true
}

// MfaEnrollment is a started TOTP enrolment.
type MfaEnrollment struct {
	Secret string
	URL    string
}

// updateAuth is load → decide → append on a user's authentication stream:
// a concurrent change (another use of the same TOTP code) loses with
// eventstore.ErrVersionMismatch.
func (h *Handlers) updateAuth(ctx context.Context, meta eventstore.Metadata, userID string,
	decide func(iam.AuthState) (eventstore.Decision, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, authFold, iam.StreamOfAuth(userID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[iam.AuthState]) (eventstore.Decision, error) {
			s := a.State
			s.Version = a.Version
			return decide(s)
		})
}

// StartMfaEnrollment issues a TOTP secret to confirm with VerifyMfa.
func (h *Handlers) StartMfaEnrollment(ctx context.Context, meta eventstore.Metadata, userID, accountName string) (*MfaEnrollment, error) {
	var key *otp.Key
	_, err := h.updateAuth(ctx, meta, userID, func(auth iam.AuthState) (eventstore.Decision, error) {
		if auth.MfaEnrolled {
			return nil, iam.ErrMfaAlready
		}
		var err error
		if key, err = totp.Generate(totp.GenerateOpts{Issuer: "ASTRA BASTION", AccountName: accountName, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}); err != nil {
			return nil, err
		}
		sealed, err := h.Keys.Seal(ctx, meta.TenantID, userID, key.Secret())
		if err != nil {
			return nil, err
		}
		return eventstore.Decision{{Type: iam.MfaEnrollmentStarted, Subject: userID, Data: &iam.MfaEnrollmentStartedV1{UserID: userID, Secret: sealed}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return &MfaEnrollment{Secret: key.Secret(), URL: key.URL()}, nil
}

// VerifyMfa confirms an enrolment with a current code (used up by it).
func (h *Handlers) VerifyMfa(ctx context.Context, meta eventstore.Metadata, userID, code string, now time.Time) ([]eventstore.Event, error) {
	return h.updateAuth(ctx, meta, userID, func(auth iam.AuthState) (eventstore.Decision, error) {
		if auth.MfaSecret == "" {
			return nil, iam.ErrMfaNotEnrolled
		}
		if auth.MfaEnrolled {
			return nil, iam.ErrMfaAlready
		}
		step, ok := h.useTOTP(ctx, auth, code, now)
		if !ok {
			return nil, iam.ErrMfaInvalid
		}
		return eventstore.Decision{
			{Type: iam.MfaEnrolled, Subject: userID, Data: &iam.MfaEnrolledV1{UserID: userID}},
			{Type: iam.MfaCodeUsed, Subject: userID, Data: &iam.MfaCodeUsedV1{UserID: userID, Step: step}},
		}, nil
	})
}

// DisableMfa removes TOTP after checking a current code (used up by it).
func (h *Handlers) DisableMfa(ctx context.Context, meta eventstore.Metadata, userID, code string, now time.Time) ([]eventstore.Event, error) {
	return h.updateAuth(ctx, meta, userID, func(auth iam.AuthState) (eventstore.Decision, error) {
		if !auth.MfaEnrolled {
			return nil, iam.ErrMfaNotEnrolled
		}
		step, ok := h.useTOTP(ctx, auth, code, now)
		if !ok {
			return nil, iam.ErrMfaInvalid
		}
		return eventstore.Decision{
			{Type: iam.MfaCodeUsed, Subject: userID, Data: &iam.MfaCodeUsedV1{UserID: userID, Step: step}},
			{Type: iam.MfaDisabled, Subject: userID, Data: &iam.MfaDisabledV1{UserID: userID}},
		}, nil
	})
}

// ResetMfa removes a user's TOTP on an administrator's authority.
func (h *Handlers) ResetMfa(ctx context.Context, meta eventstore.Metadata, userID string) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfAuth(userID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: iam.MfaReset, Subject: userID, Data: &iam.MfaDisabledV1{UserID: userID}}}})
}

// Unlock lifts a lockout.
func (h *Handlers) Unlock(ctx context.Context, meta eventstore.Metadata, userID string) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfAuth(userID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: iam.UserUnlocked, Subject: userID, Data: &iam.UserUnlockedV1{UserID: userID}}}})
}

// ChangePassword replaces the password after checking the current one, and
// revokes the user's other sessions.
func (h *Handlers) ChangePassword(ctx context.Context, meta eventstore.Metadata, userID, currentHash, current, next string, otherSessions []string) ([]eventstore.Event, error) {
	if err := iam.ValidatePassword(next); err != nil {
		return nil, err
	}
	auth, err := h.LoadAuth(ctx, userID)
	if err != nil {
		return nil, err
	}
	hash := currentHash
	if auth.PasswordHash != "" {
		hash = h.Keys.MustOpen(ctx, auth.PasswordHash)
	}
	ok, err := VerifyPassword(hash, current)
	if err != nil || !ok {
		return nil, iam.ErrBadPassword
	}
	return h.setPassword(ctx, meta, userID, next, "", auth.Version, otherSessions, "password_changed")
}

func (h *Handlers) setPassword(ctx context.Context, meta eventstore.Metadata, userID, password, resetID string, expected int64, revoke []string, reason string) ([]eventstore.Event, error) {
	encoded, err := h.hashPassword(password)
	if err != nil {
		return nil, err
	}
	sealed, err := h.Keys.Seal(ctx, meta.TenantID, userID, encoded)
	if err != nil {
		return nil, err
	}
	typ := iam.PasswordChanged
	if resetID != "" {
		typ = iam.PasswordReset
	}
	appends := []eventstore.StreamAppend{{StreamID: iam.StreamOfAuth(userID), Expected: expected,
		Events: []eventstore.Draft{{Type: typ, Subject: userID, Data: &iam.PasswordChangedV1{UserID: userID, PasswordHash: sealed, ResetID: resetID}}}}}
	appends = append(appends, revocations(userID, revoke, reason)...)
	return h.Store.Append(ctx, meta, appends...)
}

func revocations(userID string, sessions []string, reason string) []eventstore.StreamAppend {
	var out []eventstore.StreamAppend
	for _, sid := range sessions {
		out = append(out, eventstore.StreamAppend{StreamID: iam.StreamOfSession(sid), Expected: eventstore.AnyVersion,
			Events: []eventstore.Draft{{Type: iam.SessionRevoked, Subject: userID, Data: &iam.SessionRevokedV1{SessionID: sid, UserID: userID, Reason: reason}}}})
	}
	return out
}

// RequestPasswordReset issues a single-use reset token valid for 30 minutes.
// The token goes to the user out of band; only its hash is recorded.
func (h *Handlers) RequestPasswordReset(ctx context.Context, meta eventstore.Metadata, userID string, now time.Time) (string, error) {
	resetID := uuid.Must(uuid.NewV7()).String()
	token := "prt_" + userID + "." + resetID + "." + randomToken("")
	_, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfAuth(userID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: iam.PasswordResetRequested, Subject: userID, Data: &iam.PasswordResetRequestedV1{
			UserID: userID, ResetID: resetID, TokenHash: sha256Hex(token), ExpiresAt: now.Add(iam.ResetTokenTTL).UTC().Truncate(time.Second)}}}})
	if err != nil {
		return "", err
	}
	return token, nil
}

// ParseResetToken extracts the user id of a reset token.
func ParseResetToken(token string) (userID string, ok bool) {
	rest, ok := strings.CutPrefix(token, "prt_")
	if !ok {
		return "", false
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 || uuid.Validate(parts[0]) != nil || uuid.Validate(parts[1]) != nil {
		return "", false
	}
	return parts[0], true
}

// ResetPassword consumes a reset token: it must be the recorded one, unexpired
// and unused; every session of the user is revoked.
func (h *Handlers) ResetPassword(ctx context.Context, meta eventstore.Metadata, token, next string, sessions []string, now time.Time) ([]eventstore.Event, error) {
	if err := iam.ValidatePassword(next); err != nil {
		return nil, err
	}
	userID, ok := ParseResetToken(token)
	if !ok {
		return nil, iam.ErrResetInvalid
	}
	resetID := strings.SplitN(strings.TrimPrefix(token, "prt_"), ".", 3)[1]
	auth, err := h.LoadAuth(ctx, userID)
	if err != nil {
		return nil, err
	}
	req, found := auth.Resets[resetID]
	if !found || auth.UsedResets[resetID] || now.After(req.ExpiresAt) || !hmac.Equal([]byte(req.TokenHash), []byte(sha256Hex(token))) {
		return nil, iam.ErrResetInvalid
	}
	evs, err := h.setPassword(ctx, meta, userID, next, resetID, auth.Version, sessions, "password_reset")
	if isConflict(err) {
		return nil, iam.ErrResetInvalid // raced with another use of the token
	}
	return evs, err
}

// RevokeSessions ends sessions of a user.
type RevokeSessions struct {
	UserID   string
	Sessions []string
	// Reason is recorded: logout, admin_revoked, user_deactivated, ...
	Reason string
}

// RevokeSessions ends sessions (logout, admin revocation); the revocation
// reactor applies it on every instance, here before the append returns.
func (h *Handlers) RevokeSessions(ctx context.Context, meta eventstore.Metadata, cmd RevokeSessions) ([]eventstore.Event, error) {
	userID, sessions, reason := cmd.UserID, cmd.Sessions, cmd.Reason
	if len(sessions) == 0 {
		return nil, nil
	}
	evs, err := h.Store.Append(ctx, meta, revocations(userID, sessions, reason)...)
	if err != nil {
		return nil, fmt.Errorf("iam.revokesessions: %w", err)
	}
	return evs, nil
}

// AssignRole gives a user one more role.
type AssignRole struct {
	UserID, Role string
	// Valid reports whether the role may be assigned in the tenant (built-in
	// or one of its custom roles; the caller knows them); nil: any.
	Valid func(string) bool
}

// AssignRole gives a user one more role; a role already held records nothing.
func (h *Handlers) AssignRole(ctx context.Context, meta eventstore.Metadata, cmd AssignRole) ([]eventstore.Event, error) {
	userID, role, valid := cmd.UserID, cmd.Role, cmd.Valid
	if valid == nil {
		valid = func(string) bool { return true }
	}
	return eventstore.Update(ctx, h.Store, meta, userFold, iam.StreamOfUser(userID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[iam.User]) (eventstore.Decision, error) {
			u, err := h.ownedUser(ctx, meta, a, eventstore.AnyVersion)
			if err != nil {
				return nil, err
			}
			if !valid(role) {
				return nil, iam.ErrInvalidRole
			}
			if u.Holds(role) {
				return nil, nil
			}
			return eventstore.Decision{{Type: iam.RoleAssigned, Subject: userID, Data: &iam.RoleAssignmentV1{UserID: userID, Role: role}}}, nil
		})
}

// UnassignRole takes a role from a user.
type UnassignRole struct{ UserID, Role string }

// UnassignRole takes a role from a user; the last role cannot be removed.
func (h *Handlers) UnassignRole(ctx context.Context, meta eventstore.Metadata, cmd UnassignRole) ([]eventstore.Event, error) {
	userID, role := cmd.UserID, cmd.Role
	return eventstore.Update(ctx, h.Store, meta, userFold, iam.StreamOfUser(userID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[iam.User]) (eventstore.Decision, error) {
			u, err := h.ownedUser(ctx, meta, a, eventstore.AnyVersion)
			if err != nil {
				return nil, err
			}
			if !u.Holds(role) {
				return nil, iam.ErrRoleNotAssigned
			}
			if len(u.Roles()) == 1 {
				return nil, iam.ErrLastRole
			}
			return eventstore.Decision{{Type: iam.RoleUnassigned, Subject: userID, Data: &iam.RoleAssignmentV1{UserID: userID, Role: role}}}, nil
		})
}

// isConflict reports an append that lost to another writer of one of its
// streams (a multi-stream append names the stream in the error).
func isConflict(err error) bool {
	var ce *eventstore.ConcurrencyError
	return errors.As(err, &ce) || errors.Is(err, eventstore.ErrVersionMismatch)
}
