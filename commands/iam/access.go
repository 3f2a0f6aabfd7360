package iam

import (
	"context"
	"fmt"
	"sort"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
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
	agg, err := eventstore.Load(ctx, h.Store, userFold, iam.StreamOfUser(userID))
	if err != nil {
		return Access{}, fmt.Errorf("iam.currentaccess: %s: %w", userID, err)
	}
	u := agg.State
	a := Access{UserID: userID, TenantID: u.TenantID}
	if !agg.Exists() || u.ID == "" {
		return a, nil
	}
	a.Roles = u.Roles()
	a.Active = !u.Erased && u.Status != iam.StatusDeactivated
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
	claim, err := eventstore.Load(ctx, h.Store, nameClaimFold, iam.StreamOfRoleName(tenantID, name))
	if err != nil || claim.State.Holder == "" {
		return nil, err
	}
	r, err := eventstore.Load(ctx, h.Store, roleFold, iam.StreamOfRole(claim.State.Holder))
	if err != nil {
		return nil, err
	}
	return r.State.Permissions, nil
}
