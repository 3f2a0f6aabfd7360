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

// ErrVersionMismatch reports a stale If-Match version.
var ErrVersionMismatch = errors.New("iam: version mismatch")

// ErrProtectedUser reports a change to a platform administrator's account by
// someone who is not one: whoever may not create platform admins may not
// demote, rename, deactivate or re-role them either.
var ErrProtectedUser = errors.New("iam: only platform administrators may change a platform administrator")

// holdsPlatformAdmin reports whether u holds the platform_admin role.
func holdsPlatformAdmin(u iam.User) bool {
	for _, r := range u.Roles() {
		if r == iam.RolePlatformAdmin {
			return true
		}
	}
	return false
}

// mayChange returns ErrProtectedUser unless the actor of meta may change u:
// a platform administrator's account is changed only by a platform
// administrator (the actor's current roles, read from its stream, decide).
func (h *Handlers) mayChange(ctx context.Context, meta eventstore.Metadata, u iam.User) error {
	if !holdsPlatformAdmin(u) || meta.Actor == "" {
		return nil
	}
	if meta.Actor == u.ID {
		return nil
	}
	actor, err := h.LoadUser(ctx, meta.Actor)
	if err != nil {
		return err
	}
	if actor.Version == 0 || !holdsPlatformAdmin(actor) {
		return ErrProtectedUser
	}
	return nil
}

// Handlers executes IAM commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
	// ClaimKey keys the hash that turns an e-mail address into its claim stream.
	ClaimKey []byte
	// OnRevoked, when set, applies a revocation to this instance at once
	// (other instances learn of it through a Postgres notification).
	OnRevoked func(kind, id string)
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

// NewUser is the input of CreateUser.
type NewUser struct {
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
func (h *Handlers) CreateUser(ctx context.Context, meta eventstore.Metadata, in NewUser) (*CreatedUser, error) {
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
		hash, err := HashPassword(in.Password)
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
	v, held, err := h.claim(ctx, stream, iam.EmailClaimed.Name)
	if err != nil {
		return "", 0, err
	}
	if held {
		return "", 0, iam.ErrEmailTaken
	}
	holder, err := h.legacyHolder(ctx, email)
	if err != nil {
		return "", 0, err
	}
	if holder != nil && holder.TenantID == tenantID {
		return "", 0, iam.ErrEmailTaken
	}
	return stream, v, nil
}

// legacyHolder returns the holder of an address's legacy installation-wide
// claim; nil when there is no such claim or it was released. A claim without
// a tenant (written before claims named one) takes the holder's tenant from
// the holder's stream.
func (h *Handlers) legacyHolder(ctx context.Context, email string) (*iam.EmailClaimedV1, error) {
	evs, err := h.Store.ReadStream(ctx, h.legacyEmailStream(email))
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	last := evs[len(evs)-1]
	if last.Name() != iam.EmailClaimed.Name {
		return nil, nil
	}
	var holder iam.EmailClaimedV1
	if err := last.Decode(&holder); err != nil {
		return nil, err
	}
	if holder.TenantID == "" && holder.UserID != "" {
		u, err := h.LoadUser(ctx, holder.UserID)
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
	evs, err := h.Store.ReadStream(ctx, stream)
	if err != nil {
		return nil, err
	}
	if n := len(evs); n > 0 && evs[n-1].Name() == iam.EmailClaimed.Name {
		var holder iam.EmailClaimedV1
		if err := evs[n-1].Decode(&holder); err != nil {
			return nil, err
		}
		if holder.UserID == userID {
			out = append(out, release(stream))
		}
	}
	legacy, err := h.legacyHolder(ctx, email)
	if err != nil {
		return nil, err
	}
	if legacy != nil && legacy.UserID == userID {
		out = append(out, release(h.legacyEmailStream(email)))
	}
	return out, nil
}

// claim reads a name-reservation stream: its version, and whether its last
// event is a claim (held) rather than a release.
func (h *Handlers) claim(ctx context.Context, stream, claimed string) (int64, bool, error) {
	evs, err := h.Store.ReadStream(ctx, stream)
	if err != nil {
		return 0, false, err
	}
	if len(evs) == 0 {
		return 0, false, nil
	}
	last := evs[len(evs)-1]
	return last.Version, last.Name() == claimed, nil
}

// LoadUser folds a user's stream.
func (h *Handlers) LoadUser(ctx context.Context, id string) (iam.User, error) {
	var u iam.User
	evs, err := h.Store.ReadStream(ctx, iam.StreamOfUser(id))
	if err != nil {
		return u, err
	}
	for i := range evs {
		t, ok := lookupType(evs[i].Type)
		if !ok {
			continue
		}
		payload := t()
		if err := evs[i].Decode(payload); err != nil {
			return u, err
		}
		u.Apply(payload)
		u.Version = evs[i].Version
	}
	return u, nil
}

// UpdateUser changes a user's name or role. expected < 0 skips the version
// check. A change without name or role records nothing.
func (h *Handlers) UpdateUser(ctx context.Context, meta eventstore.Metadata, id string, expected int64, name, role *string) ([]eventstore.Event, error) {
	return unconditional(expected, func() ([]eventstore.Event, error) {
		return h.updateUser(ctx, meta, id, expected, name, role)
	})
}

// errRaced reports that another writer appended to the stream between load and append.
var errRaced = errors.New("iam: lost a race to another writer")

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
		if !errors.Is(err, errRaced) {
			return evs, err
		}
		if expected >= 0 {
			return nil, ErrVersionMismatch
		}
		if i == maxRaceRetries {
			return nil, ErrConcurrentModification
		}
	}
}

func (h *Handlers) updateUser(ctx context.Context, meta eventstore.Metadata, id string, expected int64, name, role *string) ([]eventstore.Event, error) {
	u, err := h.LoadUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Version == 0 || u.TenantID != meta.TenantID {
		return nil, iam.ErrUserNotFound
	}
	if err := h.mayChange(ctx, meta, u); err != nil {
		return nil, err
	}
	if expected >= 0 && expected != u.Version {
		return nil, ErrVersionMismatch
	}
	ev, err := iam.DecideUpdate(u, nil, role)
	if err != nil {
		return nil, err
	}
	if name == nil && role == nil {
		return nil, nil
	}
	if name != nil {
		sealed, err := h.Keys.Seal(ctx, u.TenantID, u.ID, *name)
		if err != nil {
			return nil, err
		}
		ev.Name = &sealed
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfUser(id), Expected: u.Version,
		Events: []eventstore.Draft{{Type: iam.UserUpdated, Subject: id, Data: ev}}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, errRaced
	}
	return evs, err
}

// DeactivateUser stops a user from signing in and frees nothing else.
func (h *Handlers) DeactivateUser(ctx context.Context, meta eventstore.Metadata, id string, expected int64) ([]eventstore.Event, error) {
	return unconditional(expected, func() ([]eventstore.Event, error) {
		return h.deactivateUser(ctx, meta, id, expected)
	})
}

func (h *Handlers) deactivateUser(ctx context.Context, meta eventstore.Metadata, id string, expected int64) ([]eventstore.Event, error) {
	u, err := h.LoadUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Version == 0 || u.TenantID != meta.TenantID {
		return nil, iam.ErrUserNotFound
	}
	if err := h.mayChange(ctx, meta, u); err != nil {
		return nil, err
	}
	if expected >= 0 && expected != u.Version {
		return nil, ErrVersionMismatch
	}
	if u.Status == iam.StatusDeactivated {
		return nil, iam.ErrUserDeactivated
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfUser(id), Expected: u.Version,
		Events: []eventstore.Draft{{Type: iam.UserDeactivated, Subject: id, Data: &iam.UserDeactivatedV1{UserID: id}}}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, errRaced
	}
	return evs, err
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

// NewTenant is the input of CreateTenant.
type NewTenant struct {
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
func (h *Handlers) CreateTenant(ctx context.Context, meta eventstore.Metadata, in NewTenant, extra ...eventstore.StreamAppend) (*CreatedTenant, error) {
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
		hash, err := HashPassword(in.AdminPassword)
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
	v, err := h.Store.StreamVersion(ctx, iam.BootstrapStream)
	if err != nil {
		return nil, err
	}
	if v > 0 {
		return nil, ErrAlreadyBootstrapped
	}
	marker := eventstore.StreamAppend{StreamID: iam.BootstrapStream, Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: iam.PlatformBootstrap, Subject: "platform", Data: &iam.PlatformBootstrappedV1{}}}}
	res, err := h.CreateTenant(ctx, eventstore.Metadata{Actor: "system"}, NewTenant{Name: tenant, AdminEmail: email,
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
	evs, err := h.Store.ReadStream(ctx, iam.StreamOfSession(sid))
	if err != nil {
		return nil, "", err
	}
	if len(evs) == 0 {
		return nil, "", ErrInvalidRefresh
	}
	var userID, current string
	var exp time.Time
	previous := map[string]bool{}
	revoked := false
	for i := range evs {
		switch evs[i].Name() {
		case iam.UserLoggedIn.Name:
			var p iam.UserLoggedInV1
			if err := evs[i].Decode(&p); err != nil {
				return nil, "", err
			}
			userID, current, exp = p.UserID, p.RefreshHash, p.ExpiresAt
		case iam.SessionRefreshed.Name:
			var p iam.SessionRefreshedV1
			if err := evs[i].Decode(&p); err != nil {
				return nil, "", err
			}
			previous[current] = true
			current, exp = p.RefreshHash, p.ExpiresAt
		case iam.SessionRevoked.Name:
			revoked = true
		}
	}
	presented := sha256Hex(token)
	if revoked {
		return nil, "", ErrInvalidRefresh
	}
	if previous[presented] {
		// A rotated token came back: it was stolen or replayed. End the whole
		// session family so that neither holder can continue.
		_, _ = h.RevokeSessions(ctx, eventstore.Metadata{TenantID: evs[0].TenantID, Actor: userID}, userID, []string{sid}, "refresh_token_reuse")
		return nil, "", ErrRefreshReused
	}
	if !hmac.Equal([]byte(current), []byte(presented)) || now.After(exp) {
		return nil, "", ErrInvalidRefresh
	}
	tenantID := evs[0].TenantID
	next := "rt_" + sid + "." + randomToken("")
	newExp := now.Add(RefreshTTL).UTC().Truncate(time.Second)
	appended, err := h.Store.Append(ctx, eventstore.Metadata{TenantID: tenantID, Actor: userID},
		eventstore.StreamAppend{StreamID: iam.StreamOfSession(sid), Expected: int64(len(evs)),
			Events: []eventstore.Draft{{Type: iam.SessionRefreshed, Subject: userID, Data: &iam.SessionRefreshedV1{SessionID: sid,
				UserID: userID, RefreshHash: sha256Hex(next), ExpiresAt: newExp}}}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, "", ErrInvalidRefresh // a concurrent refresh won with the same token
	}
	if err != nil {
		return nil, "", err
	}
	return &Session{ID: sid, UserID: userID, RefreshToken: next, ExpiresAt: newExp, Events: appended}, tenantID, nil
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
