package iam

import (
	"errors"
	"net/mail"
	"strings"
)

// User statuses.
const (
	StatusActive      = "active"
	StatusInvited     = "invited"
	StatusDeactivated = "deactivated"
)

// Domain errors, mapped to problem+json at the HTTP edge.
var (
	ErrUserNotFound = errors.New("iam: user not found")
	// ErrEmailTaken reports an address held by another user of the same
	// tenant: addresses are unique per tenant.
	ErrEmailTaken      = errors.New("iam: e-mail already registered")
	ErrInvalidRole     = errors.New("iam: invalid role")
	ErrUserDeactivated = errors.New("iam: user is deactivated")
	ErrTenantNotFound  = errors.New("iam: tenant not found")
	ErrTenantNameTaken = errors.New("iam: tenant name taken")
	// ErrInvalidEmail reports an address that is not a plain e-mail address.
	ErrInvalidEmail = errors.New("iam: invalid e-mail address")
)

// User is the state of a user stream, folded from its events (the fold table
// is the command layer's; these methods are the state changes it applies).
type User struct {
	ID       string
	TenantID string
	Role     string   // primary role (the first one given)
	Extra    []string // roles assigned later
	Status   string
	// Erased is set once the user's personal data was crypto-shredded.
	Erased  bool
	Version int64
}

// Roles lists every role the user holds, primary first.
func (u *User) Roles() []string { return append([]string{u.Role}, u.Extra...) }

// Holds reports whether the user holds role.
func (u *User) Holds(role string) bool {
	for _, r := range u.Roles() {
		if r == role {
			return true
		}
	}
	return false
}

// Created starts the state from the user's first event.
func (u *User) Created(ev *UserCreatedV1) {
	u.ID, u.TenantID, u.Role, u.Status = ev.UserID, ev.TenantID, ev.Role, ev.Status
}

// ToggleRole applies RoleAssigned and RoleUnassigned, which share a payload:
// a role already held is taken away, another one is added (commands assign
// only roles not held and unassign only held ones). The last role stays.
func (u *User) ToggleRole(role string) {
	roles := u.Roles()
	var out []string
	for _, r := range roles {
		if r != role {
			out = append(out, r)
		}
	}
	if len(out) == len(roles) {
		out = append(out, role)
	}
	if len(out) == 0 {
		return
	}
	u.Role, u.Extra = out[0], out[1:]
}

// NormalizeEmail lower-cases and validates an address; uniqueness is on this form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e {
		return "", ErrInvalidEmail
	}
	return e, nil
}

// ValidRole reports whether a role can be assigned (built-in roles for now).
func ValidRole(role string) bool { return IsBuiltinRole(role) }

// DecideUpdate validates a profile change against the current state.
func DecideUpdate(u User, name, role *string) (*UserUpdatedV1, error) {
	if u.Version == 0 {
		return nil, ErrUserNotFound
	}
	if u.Status == StatusDeactivated {
		return nil, ErrUserDeactivated
	}
	if role != nil && !ValidRole(*role) {
		return nil, ErrInvalidRole
	}
	return &UserUpdatedV1{UserID: u.ID, Name: name, Role: role}, nil
}

// StreamOfUser names a user's stream.
func StreamOfUser(id string) string { return "iam.user-" + id }

// StreamOfTenant names a tenant's stream.
func StreamOfTenant(id string) string { return "iam.tenant-" + id }

// StreamOfSession names a session's stream.
func StreamOfSession(id string) string { return "iam.session-" + id }

// StreamOfTenantName names the stream that reserves a tenant name.
func StreamOfTenantName(name string) string { return "iam.tenant-name-" + strings.ToLower(name) }

// BootstrapStream is appended to exactly once per installation.
const BootstrapStream = "iam.platform-bootstrap"
