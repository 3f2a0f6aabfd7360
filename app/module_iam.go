package app

import (
	"context"
	"net/http"
	"path/filepath"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/iam"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
	"github.com/astrabastion/astra/reactors"
	rxiam "github.com/astrabastion/astra/reactors/iam"
)

// The identity module: tenants, users, roles, sessions, API keys. Its
// commands are the platform's own (authentication depends on them), so
// Serve builds them; the module adds its read model and routes.
func init() {
	register(Module{
		Name: "iam",
		Tags: map[string]string{
			"iam":  "Identity and access: users, roles over the permission catalogue, API keys, sessions, tenants, SSO providers.",
			"auth": "Sign-in: password and MFA, SSO (OIDC), token refresh and logout, password reset, the signed-in principal.",
		},
		Order: 10,
		Errors: platform.Codes{
			"IAM-001": platform.Entry(http.StatusNotFound, "User not found", "No user with that identifier exists in the tenant."),
			"IAM-002": platform.Entry(http.StatusConflict, "E-mail already registered", "Another user of the tenant already uses that e-mail address."),
			"IAM-003": platform.Entry(http.StatusNotFound, "Tenant not found", "No tenant with that identifier exists."),
			"IAM-004": platform.Entry(http.StatusConflict, "Tenant name taken", "Another tenant already uses that name."),
			"IAM-005": platform.Entry(http.StatusUnprocessableEntity, "Invalid role", "The role does not exist or cannot be granted by the caller."),
			"IAM-006": platform.Entry(http.StatusUnprocessableEntity, "User is deactivated", "The operation is not allowed on a deactivated user."),
			"IAM-007": platform.Entry(http.StatusNotFound, "Role not found", "No role with that id or name exists in the tenant."),
			"IAM-008": platform.Entry(http.StatusConflict, "Role name taken", "A custom role with this name already exists in the tenant."),
			"IAM-009": platform.Entry(http.StatusForbidden, "Built-in role is immutable", "Built-in roles cannot be changed or deleted."),
			"IAM-010": platform.Entry(http.StatusUnprocessableEntity, "Unknown permission", "A permission is not in the catalogue (`GET /api/v1/iam/permissions`)."),
			"IAM-011": platform.Entry(http.StatusUnprocessableEntity, "Last role", "A user keeps at least one role."),
			"IAM-012": platform.Entry(http.StatusConflict, "MFA already enrolled", "Two-factor authentication is already enrolled; disable it first."),
			"IAM-013": platform.Entry(http.StatusUnprocessableEntity, "MFA not enrolled", "There is no (pending) two-factor enrolment to verify or disable."),
			"IAM-014": platform.Entry(http.StatusUnprocessableEntity, "Weak password", "Passwords have 12 to 1024 characters."),
			"IAM-015": platform.Entry(http.StatusUnprocessableEntity, "Wrong current password", "The current password given to change it is wrong."),
			"IAM-016": platform.Entry(http.StatusUnprocessableEntity, "Invalid reset token", "The password-reset token is unknown, expired (30 minutes) or already used."),
			"IAM-017": platform.Entry(http.StatusConflict, "Role in use", "The role is still assigned to users; unassign it first."),
			"IAM-018": platform.Entry(http.StatusNotFound, "Session not found", "No session with that id exists in the tenant."),
			"IAM-019": platform.Entry(http.StatusUnprocessableEntity, "Role not assigned", "The user does not hold that role."),
			"IAM-020": platform.Entry(http.StatusNotFound, "API key not found", "No API key with that id exists in the tenant (or it is not yours)."),
			"IAM-021": platform.Entry(http.StatusUnprocessableEntity, "API key revoked", "The API key is revoked and cannot be rotated."),
			"IAM-022": platform.Entry(http.StatusConflict, "Tenant required", "This address signs in to several tenants; repeat the sign-in with `tenant` (the tenant's id or name)."),
		},
		DomainErrors: []platform.DomainError{
			{Err: iam.ErrUserNotFound, Code: "IAM-001", Detail: "No such user in this tenant."},
			{Err: iam.ErrEmailTaken, Code: "IAM-002", Detail: "A user with this e-mail address already exists."},
			{Err: iam.ErrTenantNotFound, Code: "IAM-003", Detail: "No such tenant."},
			{Err: iam.ErrTenantNameTaken, Code: "IAM-004", Detail: "A tenant with this name already exists."},
			{Err: iam.ErrInvalidRole, Code: "IAM-005", Detail: "Unknown or invalid role; see GET /api/v1/iam/roles for the roles.",
				Field: "role", Message: "must be a role of the tenant (built-in or custom)"},
			{Err: iam.ErrInvalidRoleName, Code: "IAM-005", Detail: "Invalid role name: lower case letters, digits and underscores, not a built-in name.",
				Field: "name", Message: "lower case letters, digits and underscores; not a built-in role"},
			{Err: iam.ErrUserDeactivated, Code: "IAM-006", Detail: "The user is deactivated."},
			{Err: iam.ErrRoleNotFound, Code: "IAM-007", Detail: "No such role in this tenant."},
			{Err: iam.ErrRoleNameTaken, Code: "IAM-008", Detail: "A role with this name already exists."},
			{Err: iam.ErrRoleImmutable, Code: "IAM-009", Detail: "Built-in roles cannot be changed or deleted."},
			{Err: iam.ErrUnknownPermission, Code: "IAM-010", Detail: "Unknown permission; see GET /api/v1/iam/permissions."},
			{Err: iam.ErrLastRole, Code: "IAM-011", Detail: "A user keeps at least one role."},
			{Err: iam.ErrMfaAlready, Code: "IAM-012", Detail: "Two-factor authentication is already enrolled."},
			{Err: iam.ErrMfaNotEnrolled, Code: "IAM-013", Detail: "There is no two-factor enrolment to verify or disable."},
			{Err: iam.ErrWeakPassword, Code: "IAM-014", Detail: "Passwords have 12 to 1024 characters.",
				Field: "new_password", Message: "must have 12 to 1024 characters"},
			{Err: iam.ErrBadPassword, Code: "IAM-015", Detail: "The current password is wrong."},
			{Err: iam.ErrResetInvalid, Code: "IAM-016", Detail: "The reset token is unknown, expired or already used."},
			{Err: iam.ErrRoleInUse, Code: "IAM-017", Detail: "The role is still assigned to users."},
			{Err: iam.ErrSessionNotFound, Code: "IAM-018", Detail: "No such session in this tenant."},
			{Err: iam.ErrRoleNotAssigned, Code: "IAM-019", Detail: "The user does not hold that role."},
			{Err: iam.ErrApiKeyNotFound, Code: "IAM-020", Detail: "No such API key."},
			{Err: iam.ErrApiKeyRevoked, Code: "IAM-021", Detail: "The API key is revoked."},
			{Err: iam.ErrApiKeyExpiry, Code: "VAL-001", Detail: "expires_at must be in the future.", Field: "expires_at", Message: "must be in the future"},
			{Err: iam.ErrInvalidEmail, Code: "VAL-001", Detail: "Invalid e-mail address.", Field: "email", Message: "must be a valid e-mail address"},
			{Err: iam.ErrMfaInvalid, Code: "AUTH-009", Detail: "The two-factor code is not valid."},
			{Err: cmdiam.ErrProtectedUser, Code: "AUTH-006", Detail: "Only platform administrators may change a platform administrator."},
			{Err: cmdiam.ErrConcurrentModification, Code: "CON-003", Detail: "Other changes to this user keep winning the race; retry the request."},
		},
		Projections: func(b *Base) []projections.Projection {
			return []projections.Projection{&rmiam.Projection{Keys: b.Keys}}
		},
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			outbox, err := httpiam.NewOutbox(rt.Cfg.SMTPURL, filepath.Join(rt.Cfg.DataDir, "outbox"))
			if err != nil {
				return nil, err
			}
			queries := &rmiam.Queries{Runner: rt.Stack.Runner}
			api := &httpiam.API{Commands: rt.IAM, Queries: queries, Signer: rt.Signer, Writes: rt.Writes, Outbox: outbox}
			return &Parts{Routes: concat(api.Routes(), api.LifecycleRoutes(), api.APIKeyRoutes()), Service: queries, Holder: queries,
				Reactors: []reactors.Reactor{rxiam.Revocations(rt.Auth.Revocations), rxiam.Access(rt.Auth.Principals)}}, nil
		},
	})
}

// concat joins route lists.
func concat(lists ...[]platform.Route) []platform.Route {
	var out []platform.Route
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
