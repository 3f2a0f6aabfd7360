package iam

import (
	"errors"
	"regexp"
	"slices"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of custom roles.
var (
	RoleCreated = events.Type{Module: "iam", Name: "RoleCreated", New: func() any { return &RoleCreatedV1{} }}
	RoleUpdated = events.Type{Module: "iam", Name: "RoleUpdated", New: func() any { return &RoleUpdatedV1{} }}
	RoleDeleted = events.Type{Module: "iam", Name: "RoleDeleted", New: func() any { return &RoleDeletedV1{} }}
	// NameClaimed and NameReleased reserve a unique name (custom role names
	// within a tenant) on a stream named after it.
	NameClaimed  = events.Type{Module: "iam", Name: "NameClaimed", New: func() any { return &NameClaimV1{} }}
	NameReleased = events.Type{Module: "iam", Name: "NameReleased", New: func() any { return &NameClaimV1{} }}
)

func init() { events.Register(RoleCreated, RoleUpdated, RoleDeleted, NameClaimed, NameReleased) }

// NameClaimV1 names the owner of a reserved name.
type NameClaimV1 struct {
	OwnerID  string `json:"owner_id"`
	TenantID string `json:"tenant_id"`
}

// RoleCreatedV1 records a tenant's custom role.
type RoleCreatedV1 struct {
	RoleID      string   `json:"role_id"`
	TenantID    string   `json:"tenant_id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Permissions []string `json:"permissions"`
}

// RoleUpdatedV1 records changed fields of a custom role.
type RoleUpdatedV1 struct {
	RoleID      string    `json:"role_id"`
	Description *string   `json:"description,omitempty"`
	Permissions *[]string `json:"permissions,omitempty"`
}

// RoleDeletedV1 records a custom role's removal.
type RoleDeletedV1 struct {
	RoleID string `json:"role_id"`
	Name   string `json:"name"`
}

// Role errors.
var (
	ErrRoleNotFound      = errors.New("iam: role not found")
	ErrRoleImmutable     = errors.New("iam: built-in roles are immutable")
	ErrRoleNameTaken     = errors.New("iam: role name taken")
	ErrUnknownPermission = errors.New("iam: unknown permission")
	ErrRoleInUse         = errors.New("iam: role is assigned to users")
)

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{1,62}$`)

// ErrInvalidRoleName reports a custom role name that is not lower case
// letters, digits and underscores, or that is a built-in role's name.
var ErrInvalidRoleName = errors.New("iam: invalid role name")

// ValidRoleName reports whether name can name a custom role (not a built-in one).
func ValidRoleName(name string) bool { return roleName.MatchString(name) && !IsBuiltinRole(name) }

// ValidPermissions checks every permission against the catalogue.
func ValidPermissions(perms []string) error {
	known := map[string]bool{}
	for _, p := range Catalogue() {
		known[p] = true
	}
	for _, p := range perms {
		if !known[p] {
			return ErrUnknownPermission
		}
	}
	return nil
}

// Subset reports whether every permission in want is granted by have
// (nobody grants what they do not hold).
func Subset(want, have []string) bool {
	for _, p := range want {
		if !Has(have, p) {
			return false
		}
	}
	return true
}

// StreamOfRole names a custom role's stream.
func StreamOfRole(id string) string { return "iam.role-" + id }

// StreamOfRoleName names the stream reserving a role name within a tenant.
func StreamOfRoleName(tenantID, name string) string { return "iam.role-name-" + tenantID + "-" + name }

// Missing lists the permissions of want that have does not grant, in the
// order of want: what an actor would hand out beyond its own authority.
func Missing(want, have []string) []string {
	var out []string
	for _, p := range want {
		if !Has(have, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Stronger lists why a principal holding targetPerms (and targetRoles) is
// stronger than an actor holding actorPerms in actorRole: the permissions it
// holds that the actor does not, and platform_admin when it is a platform
// administrator and the actor is not. Empty: the actor may act on it.
func Stronger(targetRoles, targetPerms []string, actorRole string, actorPerms []string) []string {
	out := Missing(targetPerms, actorPerms)
	if slices.Contains(targetRoles, RolePlatformAdmin) && actorRole != RolePlatformAdmin {
		out = append([]string{RolePlatformAdmin}, out...)
	}
	return out
}
