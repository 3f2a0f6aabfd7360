// Package iam holds the command handlers of identity and access: load the
// stream, decide with the domain rules, append with the expected version.
package iam

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// ErrProtectedUser reports a change to a platform administrator's account by
// someone who is not one: whoever may not create platform admins may not
// demote, rename, deactivate or re-role them either.
var ErrProtectedUser = errors.New("iam: only platform administrators may change a platform administrator")

// mayChange returns ErrProtectedUser unless the actor of meta may change u:
// a platform administrator's account is changed only by a platform
// administrator (the actor's current roles, read from its stream, decide).
func (h *Handlers) mayChange(ctx context.Context, meta eventstore.Metadata, u iam.User) error {
	if !u.Holds(iam.RolePlatformAdmin) || meta.Actor == "" {
		return nil
	}
	if meta.Actor == u.ID {
		return nil
	}
	actor, err := h.LoadUser(ctx, meta.Actor)
	if err != nil {
		return err
	}
	if actor.Version == 0 || !actor.Holds(iam.RolePlatformAdmin) {
		return ErrProtectedUser
	}
	return nil
}

// Metadata is the metadata of a command that the caller runs on its own
// behalf (sign-in, password reset): tenant, acting user, correlation id.
func Metadata(tenantID, actor, correlationID string) eventstore.Metadata {
	return eventstore.Metadata{TenantID: tenantID, Actor: actor, CorrelationID: correlationID}
}

// Handlers executes IAM commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
	// ClaimKey keys the hash that turns an e-mail address into its claim stream.
	ClaimKey []byte
	// Throttle keeps the sign-in throttle (projections/authstore.Throttle).
	Throttle ThrottleStore
	// PasswordCost is the argon2id cost of new password hashes; zero is
	// ProductionPasswordCost, the only cost a deployment uses.
	PasswordCost PasswordCost
}

// NewHandlers derives the claim key from the key-encryption key.
func NewHandlers(store *eventstore.Store, keys *eventstore.Keyring, kek []byte) *Handlers {
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("astra/iam/email-claim"))
	return &Handlers{Store: store, Keys: keys, ClaimKey: m.Sum(nil)}
}

// emailStream is the claim stream of an address in a tenant: addresses are
// unique per tenant, so the same address may hold one user in each tenant.
func (h *Handlers) emailStream(tenantID, email string) string {
	m := hmac.New(sha256.New, h.ClaimKey)
	m.Write([]byte(tenantID + "\x00" + email))
	return "iam.email-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// legacyEmailStream is the installation-wide claim stream of an address that
// installations wrote before addresses became unique per tenant. Its claim
// events name the holder's tenant: a legacy claim still counts, but only in
// that tenant.
func (h *Handlers) legacyEmailStream(email string) string {
	m := hmac.New(sha256.New, h.ClaimKey)
	m.Write([]byte(email))
	return "iam.email-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// CreateUser records (or, without a password, invites) a user of a tenant.
type CreateUser struct {
	TenantID string
	Email    string
	Name     string
	Role     string
	Password string // empty: invite
}

// CreatedUser is the result of CreateUser.
type CreatedUser struct {
	UserID          string
	InvitationToken string // only when invited
	Events          []eventstore.Event
}

// CreateUser records a user and claims the e-mail address atomically: two
// concurrent creations with one address cannot both succeed.
func (h *Handlers) CreateUser(ctx context.Context, meta eventstore.Metadata, in CreateUser) (*CreatedUser, error) {
	email, err := iam.NormalizeEmail(in.Email)
	if err != nil {
		return nil, err
	}
	if !iam.ValidRole(in.Role) {
		return nil, iam.ErrInvalidRole
	}
	userID := uuid.Must(uuid.NewV7()).String()
	created := &iam.UserCreatedV1{UserID: userID, TenantID: in.TenantID, Role: in.Role, Status: iam.StatusActive}
	out := &CreatedUser{UserID: userID}
	if in.Password != "" {
		hash, err := h.hashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		if created.PasswordHash, err = h.Keys.Seal(ctx, in.TenantID, userID, hash); err != nil {
			return nil, err
		}
	} else {
		token := randomToken("inv_")
		out.InvitationToken = token
		created.InvitationHash = sha256Hex(token)
		created.Status = iam.StatusInvited
	}
	if created.Email, err = h.Keys.Seal(ctx, in.TenantID, userID, email); err != nil {
		return nil, err
	}
	if created.Name, err = h.Keys.Seal(ctx, in.TenantID, userID, in.Name); err != nil {
		return nil, err
	}
	claim, expected, err := h.claimable(ctx, in.TenantID, email)
	if err != nil {
		return nil, err
	}
	evs, err := h.Store.Append(ctx, meta,
		eventstore.StreamAppend{StreamID: iam.StreamOfUser(userID), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: iam.UserCreated, Subject: userID, Data: created}}},
		eventstore.StreamAppend{StreamID: claim, Expected: expected,
			Events: []eventstore.Draft{{Type: iam.EmailClaimed, Subject: userID, Data: &iam.EmailClaimedV1{UserID: userID, TenantID: in.TenantID}}}},
	)
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) && ce.StreamID == claim {
		return nil, iam.ErrEmailTaken
	}
	if err != nil {
		return nil, fmt.Errorf("iam.createuser: %w", err)
	}
	out.Events = evs
	return out, nil
}

// claimable returns the claim stream of an address in a tenant and the
// version to append at, or ErrEmailTaken when a user of that tenant holds the
// address: by its per-tenant claim, or by a legacy installation-wide claim.
// A legacy claim held by another tenant's user does not count.
func (h *Handlers) claimable(ctx context.Context, tenantID, email string) (string, int64, error) {
	stream := h.emailStream(tenantID, email)
	c, err := eventstore.Load(ctx, h.Store, emailClaimFold, stream)
	if err != nil {
		return "", 0, err
	}
	if c.State.Holder != "" {
		return "", 0, iam.ErrEmailTaken
	}
	holder, err := h.legacyHolder(ctx, email)
	if err != nil {
		return "", 0, err
	}
	if holder != nil && holder.TenantID == tenantID {
		return "", 0, iam.ErrEmailTaken
	}
	return stream, c.Version, nil
}

// legacyHolder returns the holder of an address's legacy installation-wide
// claim; nil when there is no such claim or it was released. A claim without
// a tenant (written before claims named one) takes the holder's tenant from
// the holder's stream.
func (h *Handlers) legacyHolder(ctx context.Context, email string) (*claimState, error) {
	c, err := eventstore.Load(ctx, h.Store, emailClaimFold, h.legacyEmailStream(email))
	if err != nil || c.State.Holder == "" {
		return nil, err
	}
	holder := c.State
	if holder.TenantID == "" {
		u, err := h.LoadUser(ctx, holder.Holder)
		if err != nil {
			return nil, err
		}
		holder.TenantID = u.TenantID
	}
	return &holder, nil
}

// releaseClaims returns the appends that free a user's address: the claim of
// the user's tenant, and the legacy installation-wide claim when that same
// user holds it. A claim held by someone else is left alone.
func (h *Handlers) releaseClaims(ctx context.Context, tenantID, userID, email string) ([]eventstore.StreamAppend, error) {
	release := func(stream string) eventstore.StreamAppend {
		return eventstore.StreamAppend{StreamID: stream, Expected: eventstore.AnyVersion,
			Events: []eventstore.Draft{{Type: iam.EmailReleased, Subject: userID, Data: &iam.EmailReleasedV1{UserID: userID}}}}
	}
	var out []eventstore.StreamAppend
	stream := h.emailStream(tenantID, email)
	c, err := eventstore.Load(ctx, h.Store, emailClaimFold, stream)
	if err != nil {
		return nil, err
	}
	if c.State.Holder == userID {
		out = append(out, release(stream))
	}
	legacy, err := h.legacyHolder(ctx, email)
	if err != nil {
		return nil, err
	}
	if legacy != nil && legacy.Holder == userID {
		out = append(out, release(h.legacyEmailStream(email)))
	}
	return out, nil
}

// LoadUser folds a user's stream (Version 0: no such user).
func (h *Handlers) LoadUser(ctx context.Context, id string) (iam.User, error) {
	a, err := eventstore.Load(ctx, h.Store, userFold, iam.StreamOfUser(id))
	if err != nil {
		return iam.User{}, err
	}
	u := a.State
	u.Version = a.Version
	return u, nil
}

// UpdateUser changes a user's name or role. A change without name or role
// records nothing.
type UpdateUser struct {
	ID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected int64
	Name     *string
	Role     *string
}

// ErrConcurrentModification reports that a change without a precondition kept
// losing races to other writers of the same user.
var ErrConcurrentModification = errors.New("iam: concurrent modification")

// maxRaceRetries bounds how often a change without If-Match is decided again.
const maxRaceRetries = 10

// unconditional runs load → decide → append again when it lost a race and the
// client named no version (no If-Match): the decision is remade on the new
// state, because answering 412 to a request without a precondition is wrong.
// With a version, a lost race means that version is stale.
func unconditional(expected int64, attempt func() ([]eventstore.Event, error)) ([]eventstore.Event, error) {
	for i := 0; ; i++ {
		evs, err := attempt()
		if !errors.Is(err, eventstore.ErrVersionMismatch) || expected != eventstore.AnyVersion {
			return evs, err
		}
		if i == maxRaceRetries {
			return nil, ErrConcurrentModification
		}
	}
}

// checkVersion compares the If-Match version with the aggregate's. Commands
// call it after the tenant check, so that a version never confirms that
// another tenant's resource exists.
func checkVersion(expected, version int64) error {
	if expected != eventstore.AnyVersion && expected != version {
		return eventstore.ErrVersionMismatch
	}
	return nil
}

// ownedUser is the state of a user of the acting tenant that the actor may
// change; another tenant's user is not found.
func (h *Handlers) ownedUser(ctx context.Context, meta eventstore.Metadata, a *eventstore.Aggregate[iam.User], expected int64) (iam.User, error) {
	u := a.State
	u.Version = a.Version
	if u.Version == 0 || u.TenantID != meta.TenantID {
		return u, iam.ErrUserNotFound
	}
	if err := h.mayChange(ctx, meta, u); err != nil {
		return u, err
	}
	return u, checkVersion(expected, u.Version)
}

// UpdateUser changes a user's name or role.
func (h *Handlers) UpdateUser(ctx context.Context, meta eventstore.Metadata, cmd UpdateUser) ([]eventstore.Event, error) {
	return unconditional(cmd.Expected, func() ([]eventstore.Event, error) {
		return eventstore.Update(ctx, h.Store, meta, userFold, iam.StreamOfUser(cmd.ID), eventstore.AnyVersion,
			func(a *eventstore.Aggregate[iam.User]) (eventstore.Decision, error) {
				u, err := h.ownedUser(ctx, meta, a, cmd.Expected)
				if err != nil {
					return nil, err
				}
				ev, err := iam.DecideUpdate(u, nil, cmd.Role)
				if err != nil || (cmd.Name == nil && cmd.Role == nil) {
					return nil, err
				}
				if cmd.Name != nil {
					sealed, err := h.Keys.Seal(ctx, u.TenantID, u.ID, *cmd.Name)
					if err != nil {
						return nil, err
					}
					ev.Name = &sealed
				}
				return eventstore.Decision{{Type: iam.UserUpdated, Subject: cmd.ID, Data: ev}}, nil
			})
	})
}

// DeactivateUser stops a user from signing in.
type DeactivateUser struct {
	ID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected int64
}

// DeactivateUser stops a user from signing in and frees nothing else; the
// user's credentials stop working through the revocation reactor and the
// principals' cache.
func (h *Handlers) DeactivateUser(ctx context.Context, meta eventstore.Metadata, cmd DeactivateUser) ([]eventstore.Event, error) {
	id, expected := cmd.ID, cmd.Expected
	return unconditional(expected, func() ([]eventstore.Event, error) {
		return eventstore.Update(ctx, h.Store, meta, userFold, iam.StreamOfUser(id), eventstore.AnyVersion,
			func(a *eventstore.Aggregate[iam.User]) (eventstore.Decision, error) {
				u, err := h.ownedUser(ctx, meta, a, expected)
				if err != nil {
					return nil, err
				}
				if u.Status == iam.StatusDeactivated {
					return nil, iam.ErrUserDeactivated
				}
				return eventstore.Decision{{Type: iam.UserDeactivated, Subject: id, Data: &iam.UserDeactivatedV1{UserID: id}}}, nil
			})
	})
}

// EraseUser crypto-shreds a user: the data key is destroyed, so e-mail, name
// and password hash are unreadable everywhere; the address claim is released.
func (h *Handlers) EraseUser(ctx context.Context, meta eventstore.Metadata, id string, email string) ([]eventstore.Event, error) {
	u, err := h.LoadUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Version == 0 || u.TenantID != meta.TenantID {
		return nil, iam.ErrUserNotFound
	}
	appends := []eventstore.StreamAppend{{StreamID: iam.StreamOfUser(id), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: iam.UserErased, Subject: id, Data: &iam.UserErasedV1{UserID: id}}}}}
	if norm, err := iam.NormalizeEmail(email); err == nil {
		releases, err := h.releaseClaims(ctx, u.TenantID, id, norm)
		if err != nil {
			return nil, err
		}
		appends = append(appends, releases...)
	}
	if err := h.Keys.Erase(ctx, u.TenantID, id); err != nil {
		return nil, err
	}
	return h.Store.Append(ctx, meta, appends...)
}

// CreateTenant records a tenant with its first administrator.
type CreateTenant struct {
	Name          string
	AdminEmail    string
	AdminName     string
	AdminPassword string
	AdminRole     string
}

// CreatedTenant is the result of CreateTenant.
type CreatedTenant struct {
	TenantID        string
	AdminID         string
	InvitationToken string
	Events          []eventstore.Event
}

// CreateTenant records a tenant with its first admin, atomically with the
// claims on its name and the admin's address.
func (h *Handlers) CreateTenant(ctx context.Context, meta eventstore.Metadata, in CreateTenant, extra ...eventstore.StreamAppend) (*CreatedTenant, error) {
	name := strings.TrimSpace(in.Name)
	tenantID := uuid.Must(uuid.NewV7()).String()
	adminID := uuid.Must(uuid.NewV7()).String()
	email, err := iam.NormalizeEmail(in.AdminEmail)
	if err != nil {
		return nil, err
	}
	role := in.AdminRole
	if role == "" {
		role = iam.RoleSecurityAdmin
	}
	user := &iam.UserCreatedV1{UserID: adminID, TenantID: tenantID, Role: role, Status: iam.StatusActive}
	out := &CreatedTenant{TenantID: tenantID, AdminID: adminID}
	if in.AdminPassword != "" {
		hash, err := h.hashPassword(in.AdminPassword)
		if err != nil {
			return nil, err
		}
		if user.PasswordHash, err = h.Keys.Seal(ctx, tenantID, adminID, hash); err != nil {
			return nil, err
		}
	} else {
		out.InvitationToken = randomToken("inv_")
		user.InvitationHash = sha256Hex(out.InvitationToken)
		user.Status = iam.StatusInvited
	}
	adminName := in.AdminName
	if adminName == "" {
		adminName = email
	}
	if user.Email, err = h.Keys.Seal(ctx, tenantID, adminID, email); err != nil {
		return nil, err
	}
	if user.Name, err = h.Keys.Seal(ctx, tenantID, adminID, adminName); err != nil {
		return nil, err
	}
	claim, expected, err := h.claimable(ctx, tenantID, email)
	if err != nil {
		return nil, err
	}
	tmeta := meta
	tmeta.TenantID = tenantID
	appends := append([]eventstore.StreamAppend{
		{StreamID: iam.StreamOfTenant(tenantID), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: iam.TenantCreated, Subject: tenantID, Data: &iam.TenantCreatedV1{TenantID: tenantID, Name: name}}}},
		{StreamID: iam.StreamOfTenantName(name), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: iam.TenantNameClaimed, Subject: tenantID, Data: &iam.TenantNameClaimedV1{TenantID: tenantID}}}},
		{StreamID: iam.StreamOfUser(adminID), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: iam.UserCreated, Subject: adminID, Data: user}}},
		{StreamID: claim, Expected: expected,
			Events: []eventstore.Draft{{Type: iam.EmailClaimed, Subject: adminID, Data: &iam.EmailClaimedV1{UserID: adminID, TenantID: tenantID}}}},
	}, extra...)
	evs, err := h.Store.Append(ctx, tmeta, appends...)
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		switch ce.StreamID {
		case claim:
			return nil, iam.ErrEmailTaken
		case iam.StreamOfTenantName(name):
			return nil, iam.ErrTenantNameTaken
		}
	}
	if err != nil {
		return nil, fmt.Errorf("iam.createtenant: %w", err)
	}
	out.Events = evs
	return out, nil
}

// ErrAlreadyBootstrapped reports that the installation already has its first tenant.
var ErrAlreadyBootstrapped = errors.New("iam: already bootstrapped")

// Bootstrap creates the first tenant and its platform admin exactly once per
// installation (several instances starting together race on one stream).
func (h *Handlers) Bootstrap(ctx context.Context, tenant, email, password string) (*CreatedTenant, error) {
	if v, err := h.Store.StreamVersion(ctx, iam.BootstrapStream); err != nil || v > 0 {
		if err == nil {
			err = ErrAlreadyBootstrapped
		}
		return nil, err
	}
	marker := eventstore.StreamAppend{StreamID: iam.BootstrapStream, Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: iam.PlatformBootstrap, Subject: "platform", Data: &iam.PlatformBootstrappedV1{}}}}
	res, err := h.CreateTenant(ctx, eventstore.Metadata{Actor: "system"}, CreateTenant{Name: tenant, AdminEmail: email,
		AdminPassword: password, AdminName: "Platform administrator", AdminRole: iam.RolePlatformAdmin}, marker)
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) || errors.Is(err, iam.ErrTenantNameTaken) || errors.Is(err, iam.ErrEmailTaken) {
		return nil, ErrAlreadyBootstrapped
	}
	return res, err
}

// Session is a signed-in session as the token layer needs it.
type Session struct {
	ID           string
	UserID       string
	RefreshToken string
	ExpiresAt    time.Time
	Events       []eventstore.Event
}

// RefreshTTL is how long a refresh token stays valid.
const RefreshTTL = 30 * 24 * time.Hour

// StartSession records a successful login (SSO, tests) and issues the
// session's first refresh token.
func (h *Handlers) StartSession(ctx context.Context, meta eventstore.Metadata, userID, method string, now time.Time) (*Session, error) {
	return h.startSession(ctx, meta, userID, method, now, 0)
}

func (h *Handlers) startSession(ctx context.Context, meta eventstore.Metadata, userID, method string, now time.Time, ttl time.Duration, also ...eventstore.StreamAppend) (*Session, error) {
	if ttl <= 0 {
		ttl = RefreshTTL
	}
	sid := uuid.Must(uuid.NewV7()).String()
	token := "rt_" + sid + "." + randomToken("")
	exp := now.Add(ttl).UTC().Truncate(time.Second)
	appends := append([]eventstore.StreamAppend{{StreamID: iam.StreamOfSession(sid), Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: iam.UserLoggedIn, Subject: userID, Data: &iam.UserLoggedInV1{UserID: userID, SessionID: sid,
			Method: method, ExpiresAt: exp, RefreshHash: sha256Hex(token)}}}}}, also...)
	evs, err := h.Store.Append(ctx, meta, appends...)
	if err != nil {
		return nil, err
	}
	return &Session{ID: sid, UserID: userID, RefreshToken: token, ExpiresAt: exp, Events: evs}, nil
}

// ErrInvalidRefresh reports an unknown, expired or revoked refresh token.
var ErrInvalidRefresh = errors.New("iam: invalid refresh token")

// ErrRefreshReused reports a rotated refresh token presented again; the session family is revoked.
var ErrRefreshReused = errors.New("iam: refresh token reused; session revoked")

// RecordLoginFailure appends iam.LoginFailed for a known user.
func (h *Handlers) RecordLoginFailure(ctx context.Context, meta eventstore.Metadata, userID, reason string) error {
	_, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "iam.user-auth-" + userID, Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: iam.LoginFailed, Subject: userID, Data: &iam.LoginFailedV1{UserID: userID, Reason: reason}}}})
	return err
}

// RefreshSession rotates a refresh token: the presented token must be the
// session's current one; the answer carries its successor.
func (h *Handlers) RefreshSession(ctx context.Context, token string, now time.Time) (*Session, string, error) {
	rest, ok := strings.CutPrefix(token, "rt_")
	if !ok {
		return nil, "", ErrInvalidRefresh
	}
	sid, _, ok := strings.Cut(rest, ".")
	if !ok || uuid.Validate(sid) != nil {
		return nil, "", ErrInvalidRefresh
	}
	a, err := eventstore.Load(ctx, h.Store, sessionFold, iam.StreamOfSession(sid))
	if err != nil {
		return nil, "", err
	}
	st := a.State
	presented := sha256Hex(token)
	if !a.Exists() || st.Revoked {
		return nil, "", ErrInvalidRefresh
	}
	if st.Previous[presented] {
		// A rotated token came back: it was stolen or replayed. End the whole
		// session family so that neither holder can continue.
		_, _ = h.RevokeSessions(ctx, eventstore.Metadata{TenantID: st.TenantID, Actor: st.UserID},
			RevokeSessions{UserID: st.UserID, Sessions: []string{sid}, Reason: "refresh_token_reuse"})
		return nil, "", ErrRefreshReused
	}
	if !hmac.Equal([]byte(st.Current), []byte(presented)) || now.After(st.Expires) {
		return nil, "", ErrInvalidRefresh
	}
	next := "rt_" + sid + "." + randomToken("")
	newExp := now.Add(RefreshTTL).UTC().Truncate(time.Second)
	// The version the token was checked against: a concurrent refresh with
	// the same token loses (one successor per token).
	appended, err := eventstore.Update(ctx, h.Store, eventstore.Metadata{TenantID: st.TenantID, Actor: st.UserID}, sessionFold,
		iam.StreamOfSession(sid), a.Version, func(*eventstore.Aggregate[sessionState]) (eventstore.Decision, error) {
			return eventstore.Decision{{Type: iam.SessionRefreshed, Subject: st.UserID, Data: &iam.SessionRefreshedV1{SessionID: sid,
				UserID: st.UserID, RefreshHash: sha256Hex(next), ExpiresAt: newExp}}}, nil
		})
	if errors.Is(err, eventstore.ErrVersionMismatch) {
		return nil, "", ErrInvalidRefresh
	}
	if err != nil {
		return nil, "", err
	}
	return &Session{ID: sid, UserID: st.UserID, RefreshToken: next, ExpiresAt: newExp, Events: appended}, st.TenantID, nil
}

func randomToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
