package iam

import (
	"context"
	"fmt"
	"sort"

	"github.com/astrabastion/astra/domain/iam"
)

// Access is what a user may do now, folded from the ledger (never from a read
// model that may lag a change this process just committed).
type Access struct {
	UserID   string
	TenantID string
	Roles    []string // primary first
	// Active is false for deactivated, erased or unknown users.
	Active      bool
	Permissions []string
}

// CurrentAccess folds a user's stream and the custom roles it holds into the
// permissions the user holds now. Tokens and API keys of the user never grant
// more than this.
func (h *Handlers) CurrentAccess(ctx context.Context, userID string) (Access, error) {
	evs, err := h.Store.ReadStream(ctx, iam.StreamOfUser(userID))
	if err != nil {
		return Access{}, fmt.Errorf("iam.currentaccess: %s: %w", userID, err)
	}
	var u iam.User
	erased := false
	for i := range evs {
		if evs[i].Name() == iam.UserErased.Name {
			erased = true
		}
		t, ok := lookupType(evs[i].Type)
		if !ok {
			continue
		}
		payload := t()
		if err := evs[i].Decode(payload); err != nil {
			return Access{}, fmt.Errorf("iam.currentaccess: %s: %w", userID, err)
		}
		u.Apply(payload)
	}
	a := Access{UserID: userID, TenantID: u.TenantID}
	if len(evs) == 0 || u.ID == "" {
		return a, nil
	}
	a.Roles = u.Roles()
	a.Active = !erased && u.Status != iam.StatusDeactivated
	if !a.Active {
		return a, nil
	}
	set := map[string]bool{}
	for _, role := range a.Roles {
		perms := iam.PermissionsOf(role)
		if !iam.IsBuiltinRole(role) {
			if perms, err = h.customRolePermissions(ctx, u.TenantID, role); err != nil {
				return Access{}, fmt.Errorf("iam.currentaccess: %s: %w", userID, err)
			}
		}
		for _, p := range perms {
			set[p] = true
		}
	}
	for p := range set {
		a.Permissions = append(a.Permissions, p)
	}
	sort.Strings(a.Permissions)
	return a, nil
}

// customRolePermissions folds the permissions of a tenant's custom role by
// name (none when the role was deleted).
func (h *Handlers) customRolePermissions(ctx context.Context, tenantID, name string) ([]string, error) {
	claim, err := h.Store.ReadStream(ctx, iam.StreamOfRoleName(tenantID, name))
	if err != nil || len(claim) == 0 {
		return nil, err
	}
	last := claim[len(claim)-1]
	if last.Name() != iam.NameClaimed.Name {
		return nil, nil
	}
	var owner iam.NameClaimV1
	if err := last.Decode(&owner); err != nil {
		return nil, err
	}
	evs, err := h.Store.ReadStream(ctx, iam.StreamOfRole(owner.OwnerID))
	if err != nil {
		return nil, err
	}
	var perms []string
	for i := range evs {
		switch evs[i].Name() {
		case iam.RoleCreated.Name:
			var d iam.RoleCreatedV1
			if err := evs[i].Decode(&d); err != nil {
				return nil, err
			}
			perms = d.Permissions
		case iam.RoleUpdated.Name:
			var d iam.RoleUpdatedV1
			if err := evs[i].Decode(&d); err != nil {
				return nil, err
			}
			if d.Permissions != nil {
				perms = *d.Permissions
			}
		case iam.RoleDeleted.Name:
			perms = nil
		}
	}
	return perms, nil
}
