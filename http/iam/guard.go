package iam

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// The rules of delegation, applied by every route that grants or acts on
// someone else:
//   - nobody grants a role or a permission they do not hold themselves
//     (every permission of the role, built-in or custom);
//   - nobody changes their own roles;
//   - nobody acts on a stronger principal — one holding any permission the
//     actor does not hold, or a platform administrator when the actor is not
//     one (rename, role change, deactivation, MFA reset, unlock, session and
//     API key revocation, key rotation …).

// notHeld is the refusal of a grant beyond the actor's own permissions.
func notHeld(field string, missing []string) error {
	return platform.Problem("AUTH-006", "You cannot grant permissions you do not hold: "+strings.Join(missing, ", ")+".").
		WithFields(platform.FieldError{Field: field, Message: "grants permissions you do not hold: " + strings.Join(missing, ", ")})
}

// mayGrantPermissions refuses permissions the actor does not hold.
func mayGrantPermissions(p *auth.Principal, field string, perms []string) error {
	if missing := iam.Missing(perms, p.Permissions); len(missing) > 0 {
		return notHeld(field, missing)
	}
	return nil
}

// mayGrantRole refuses a role the actor may not hand out: an unknown role,
// platform_admin unless the actor is one, or a role carrying a permission the
// actor does not hold.
func (a *API) mayGrantRole(c echo.Context, role string) error {
	p := auth.PrincipalOf(c)
	r, err := a.Queries.RoleByID(c.Request().Context(), p.ActingTenant, role)
	if err != nil {
		return err
	}
	if r == nil {
		return iam.ErrInvalidRole
	}
	if r.Name == iam.RolePlatformAdmin && p.Role != iam.RolePlatformAdmin {
		return platform.Problem("AUTH-006", "Only platform administrators may grant the platform_admin role.").
			WithFields(platform.FieldError{Field: "role", Message: "only platform administrators may grant platform_admin"})
	}
	if missing := iam.Missing(r.Permissions, p.Permissions); len(missing) > 0 {
		return platform.Problem("AUTH-006", "You cannot grant the role '"+r.Name+"': it carries permissions you do not hold: "+
			strings.Join(missing, ", ")+".").
			WithFields(platform.FieldError{Field: "role", Message: "carries permissions you do not hold: " + strings.Join(missing, ", ")})
	}
	return nil
}

// notSelf refuses a change of the actor's own roles.
func notSelf(c echo.Context, userID string) error {
	if userID == auth.PrincipalOf(c).Subject {
		return platform.Problem("AUTH-006", "You cannot change your own roles; another administrator must.").
			WithFields(platform.FieldError{Field: "role", Message: "cannot change your own roles"})
	}
	return nil
}

// mayActOn refuses any action on a user of the acting tenant who is stronger
// than the actor (the actor itself is not: self-service is governed by each
// route). An unknown user is IAM-001.
func (a *API) mayActOn(c echo.Context, userID string) error {
	p := auth.PrincipalOf(c)
	if userID == p.Subject {
		return nil
	}
	ctx := c.Request().Context()
	u, err := a.Queries.UserByID(ctx, p.ActingTenant, userID)
	if err != nil {
		return err
	}
	if u == nil {
		return iam.ErrUserNotFound
	}
	return a.weaker(c, u)
}

// weaker refuses when u holds anything the actor does not.
func (a *API) weaker(c echo.Context, u *rmiam.User) error {
	p := auth.PrincipalOf(c)
	roles := u.Roles
	if len(roles) == 0 {
		roles = []string{u.Role}
	}
	perms, err := a.Queries.PermissionsOf(c.Request().Context(), u.TenantID, roles)
	if err != nil {
		return err
	}
	if why := iam.Stronger(roles, perms, p.Role, p.Permissions); len(why) > 0 {
		return platform.Problem("AUTH-006", "The user holds permissions you do not hold ("+strings.Join(why, ", ")+
			"): you cannot act on a stronger principal.")
	}
	return nil
}

// isUserNotFound reports an IAM-001 refusal (the user is gone).
func isUserNotFound(err error) bool {
	var pe *platform.Error
	return errors.Is(err, iam.ErrUserNotFound) || (errors.As(err, &pe) && pe.Code == "IAM-001")
}
