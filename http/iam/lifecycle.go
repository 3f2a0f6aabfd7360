package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// MfaEnrollResponse is the answer of POST /auth/mfa/enroll. A retry with the
// same Idempotency-Key answers secret and otpauth_url null with
// secret_redacted true (start the enrolment again).
type MfaEnrollResponse struct {
	Secret     *string `json:"secret"`
	OtpauthURL *string `json:"otpauth_url"`
	// SecretRedacted is true on an Idempotency-Key replay: the secret is not repeated.
	SecretRedacted bool `json:"secret_redacted,omitempty"`
}

// MfaCodeRequest carries a TOTP code.
type MfaCodeRequest struct {
	Code string `json:"code" validate:"required,len=6,numeric"`
}

// MfaStatus is the answer of MFA changes.
type MfaStatus struct {
	MfaEnabled bool `json:"mfa_enabled"`
}

// PasswordChangeRequest is the body of POST /auth/password/change.
type PasswordChangeRequest struct {
	CurrentPassword string `json:"current_password" validate:"required,max=1024"`
	NewPassword     string `json:"new_password" validate:"required,min=12,max=1024"`
}

// PasswordForgotRequest is the body of POST /auth/password/forgot.
type PasswordForgotRequest struct {
	Email string `json:"email" validate:"required,email,max=320"`
}

// PasswordResetRequest is the body of POST /auth/password/reset.
type PasswordResetRequest struct {
	Token       string `json:"token" validate:"required,max=512"`
	NewPassword string `json:"new_password" validate:"required,min=12,max=1024"`
}

// Accepted is the answer of requests whose effect is out of band.
type Accepted struct {
	Status string `json:"status"`
}

// RoleRequest is the body of POST /iam/users/{id}/roles.
type RoleRequest struct {
	Role string `json:"role" validate:"required,max=64"`
}

// UserSecurity is a user's security state (unlock, reset-mfa answers).
type UserSecurity struct {
	UserID string `json:"user_id"`
	rmiam.AuthStatus
}

// CreateRoleRequest is the body of POST /iam/roles.
type CreateRoleRequest struct {
	Name        string   `json:"name" validate:"required,min=2,max=63"`
	Description string   `json:"description" validate:"max=500"`
	Permissions []string `json:"permissions" validate:"required,min=1,max=100,dive,max=64"`
}

// UpdateRoleRequest is the body of PATCH /iam/roles/{id}.
type UpdateRoleRequest struct {
	Description *string   `json:"description,omitempty" validate:"omitempty,max=500"`
	Permissions *[]string `json:"permissions,omitempty" validate:"omitempty,min=1,max=100,dive,max=64"`
}

// PermissionInfo is one entry of the permission catalogue.
type PermissionInfo struct {
	Permission string `json:"permission"`
	Module     string `json:"module"`
	Level      string `json:"level"`
}

// TenantProfile is the current tenant with its settings.
type TenantProfile struct {
	rmiam.Tenant
	Settings iam.TenantSettings `json:"settings"`
}

// UpdateTenantRequest is the body of PATCH /iam/tenants/current.
type UpdateTenantRequest struct {
	Name     *string             `json:"name,omitempty" validate:"omitempty,min=2,max=100"`
	Settings *TenantSettingsBody `json:"settings,omitempty"`
}

// TenantSettingsBody are the settable tenant settings.
type TenantSettingsBody struct {
	RateLimitPerMinute *int  `json:"rate_limit_per_minute,omitempty" validate:"omitempty,min=0,max=1000000"`
	MfaRequired        *bool `json:"mfa_required,omitempty"`
	SessionTTLHours    *int  `json:"session_ttl_hours,omitempty" validate:"omitempty,min=0,max=8760"`
}

// LifecycleRoutes declares sign-out, MFA, password, roles, sessions and the current tenant.
func (a *API) LifecycleRoutes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodPost, Path: "/api/v1/auth/logout", OperationID: "logout", Tag: "auth", Summary: "Revoke the current session",
			Permission: auth.Authenticated, Status: http.StatusNoContent, Handler: a.logout},
		{Method: http.MethodPost, Path: "/api/v1/auth/mfa/enroll", OperationID: "mfaEnroll", Tag: "auth", Summary: "Start TOTP enrolment",
			Permission: auth.Authenticated, Response: MfaEnrollResponse{}, Handler: a.mfaEnroll, Errors: []int{409}},
		{Method: http.MethodPost, Path: "/api/v1/auth/mfa/verify", OperationID: "mfaVerify", Tag: "auth", Summary: "Confirm TOTP enrolment",
			Permission: auth.Authenticated, Request: MfaCodeRequest{}, Response: MfaStatus{}, Handler: a.mfaVerify, Errors: []int{409, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/auth/mfa", OperationID: "mfaDisable", Tag: "auth", Summary: "Remove TOTP (needs a current code)",
			Permission: auth.Authenticated, Request: MfaCodeRequest{}, Response: MfaStatus{}, Handler: a.mfaDisable, Errors: []int{422}},
		{Method: http.MethodPost, Path: "/api/v1/auth/password/change", OperationID: "passwordChange", Tag: "auth", Summary: "Change the password (revokes other sessions)",
			Permission: auth.Authenticated, Request: PasswordChangeRequest{}, Status: http.StatusNoContent, Handler: a.passwordChange, Errors: []int{422}},
		{Method: http.MethodPost, Path: "/api/v1/auth/password/forgot", OperationID: "passwordForgot", Tag: "auth", Summary: "Send a reset token (always 202)",
			Permission: auth.Public, Request: PasswordForgotRequest{}, Response: Accepted{}, Status: http.StatusAccepted, Handler: a.passwordForgot},
		{Method: http.MethodPost, Path: "/api/v1/auth/password/reset", OperationID: "passwordReset", Tag: "auth", Summary: "Set a new password with a reset token (revokes every session)",
			Permission: auth.Public, Request: PasswordResetRequest{}, Status: http.StatusNoContent, Handler: a.passwordReset, Errors: []int{422}},

		{Method: http.MethodPost, Path: "/api/v1/iam/users/:id/roles", OperationID: "assignRole", Tag: "iam", Summary: "Assign a role",
			Permission: "iam:admin", Request: RoleRequest{}, Response: rmiam.User{}, Handler: a.assignRole, Errors: []int{404, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/users/:id/roles/:role", OperationID: "unassignRole", Tag: "iam", Summary: "Unassign a role",
			Permission: "iam:admin", Response: rmiam.User{}, Handler: a.unassignRole, Errors: []int{404, 412, 422}},
		{Method: http.MethodPost, Path: "/api/v1/iam/users/:id/unlock", OperationID: "unlockUser", Tag: "iam", Summary: "Lift a lock and the sign-in throttle of every address",
			Permission: "iam:admin", Response: UserSecurity{}, Handler: a.unlock, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/iam/users/:id/reset-mfa", OperationID: "resetUserMfa", Tag: "iam", Summary: "Remove a user's TOTP (recovery)",
			Permission: "iam:admin", Response: UserSecurity{}, Handler: a.resetMfa, Errors: []int{404}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/users/:id/sessions", OperationID: "revokeUserSessions", Tag: "iam", Summary: "Revoke every session of a user",
			Permission: "iam:admin", Status: http.StatusNoContent, Handler: a.revokeUserSessions, Errors: []int{404}},

		{Method: http.MethodGet, Path: "/api/v1/iam/roles", OperationID: "listRoles", Tag: "iam", Summary: "Built-in and custom roles",
			Permission: "iam:read", Response: rmiam.Role{}, List: true, Handler: a.listRoles},
		{Method: http.MethodPost, Path: "/api/v1/iam/roles", OperationID: "createRole", Tag: "iam", Summary: "Create a custom role",
			Permission: "iam:admin", Request: CreateRoleRequest{}, Response: rmiam.Role{}, Status: http.StatusCreated, Handler: a.createRole,
			Errors: []int{409, 422}},
		{Method: http.MethodGet, Path: "/api/v1/iam/roles/:id", OperationID: "getRole", Tag: "iam", Summary: "Read a role",
			Permission: "iam:read", Response: rmiam.Role{}, Handler: a.getRole, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/iam/roles/:id", OperationID: "updateRole", Tag: "iam", Summary: "Update a custom role",
			Permission: "iam:admin", Request: UpdateRoleRequest{}, Response: rmiam.Role{}, Handler: a.updateRole,
			Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/roles/:id", OperationID: "deleteRole", Tag: "iam", Summary: "Delete a custom role",
			Permission: "iam:admin", Status: http.StatusNoContent, Handler: a.deleteRole, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412}},
		{Method: http.MethodGet, Path: "/api/v1/iam/permissions", OperationID: "listPermissions", Tag: "iam", Summary: "The permission catalogue, module by module (read, write, admin)",
			Permission: "iam:read", Response: PermissionInfo{}, List: true, Handler: a.listPermissions},

		{Method: http.MethodGet, Path: "/api/v1/iam/sessions", OperationID: "listSessions", Tag: "iam", Summary: "Sessions of the tenant (yours without iam:admin)",
			Permission: auth.Authenticated, Response: rmiam.Session{}, List: true, Handler: a.listSessions,
			Query: []platform.Param{{Name: "user_id", Description: "Only this user's sessions (without iam:admin: always yours)."},
				{Name: "active", Schema: "boolean", Description: "true: only sessions neither revoked nor expired."}}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/sessions/:id", OperationID: "revokeSession", Tag: "iam", Summary: "Revoke a session",
			Permission: auth.Authenticated, Status: http.StatusNoContent, Handler: a.revokeSession, Errors: []int{404}},

		{Method: http.MethodGet, Path: "/api/v1/iam/tenants/current", OperationID: "currentTenant", Tag: "iam", Summary: "The current tenant and its settings",
			Permission: "iam:read", Response: TenantProfile{}, Handler: a.currentTenant, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/iam/tenants/current", OperationID: "updateCurrentTenant", Tag: "iam", Summary: "Update the current tenant's profile and settings",
			Permission: "iam:admin", Request: UpdateTenantRequest{}, Response: TenantProfile{}, Handler: a.updateCurrentTenant,
			Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412}},
	}
}

func (a *API) logout(c echo.Context) error {
	p := auth.PrincipalOf(c)
	if p.SessionID == "" {
		return platform.Problem("IAM-018", "This credential has no session to end.")
	}
	if _, err := a.Commands.RevokeSessions(c.Request().Context(), writes.Metadata(c),
		cmdiam.RevokeSessions{UserID: p.Subject, Sessions: []string{p.SessionID}, Reason: "logout"}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// userPrincipal refuses the self-service routes to API keys.
func userPrincipal(c echo.Context) (*auth.Principal, error) {
	p := auth.PrincipalOf(c)
	if p.Kind != "user" {
		return nil, platform.Problem("AUTH-006", "Only users (not API keys) manage their own credentials.")
	}
	return p, nil
}

func (a *API) mfaEnroll(c echo.Context) error {
	p, err := userPrincipal(c)
	if err != nil {
		return err
	}
	u, err := a.Queries.UserByID(c.Request().Context(), p.TenantID, p.Subject)
	if err != nil {
		return err
	}
	account := p.Subject
	if u != nil {
		account = u.Email
	}
	meta := writes.Metadata(c)
	meta.TenantID = p.TenantID
	enr, err := a.Commands.StartMfaEnrollment(c.Request().Context(), meta, p.Subject, account)
	if err != nil {
		return err
	}
	writes.Secret(c, "secret", "otpauth_url")
	return platform.Respond(c, http.StatusOK, MfaEnrollResponse{Secret: &enr.Secret, OtpauthURL: &enr.URL})
}

func (a *API) mfaVerify(c echo.Context) error { return a.mfaChange(c, true) }

func (a *API) mfaDisable(c echo.Context) error { return a.mfaChange(c, false) }

// mfaChange confirms (enabled) or removes the caller's TOTP with a current code.
func (a *API) mfaChange(c echo.Context, enabled bool) error {
	cmd := a.Commands.DisableMfa
	if enabled {
		cmd = a.Commands.VerifyMfa
	}
	p, err := userPrincipal(c)
	if err != nil {
		return err
	}
	var req MfaCodeRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := cmd(c.Request().Context(), writes.Metadata(c), p.Subject, req.Code, time.Now())
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return platform.Respond(c, http.StatusOK, MfaStatus{MfaEnabled: enabled}) })
}

func (a *API) passwordChange(c echo.Context) error {
	p, err := userPrincipal(c)
	if err != nil {
		return err
	}
	var req PasswordChangeRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cred, err := a.Queries.CredentialsByID(ctx, p.TenantID, p.Subject)
	if err != nil {
		return err
	}
	if cred == nil {
		return iam.ErrUserNotFound
	}
	sessions, err := a.Queries.ActiveSessionIDs(ctx, p.TenantID, p.Subject, time.Now())
	if err != nil {
		return err
	}
	others := sessions[:0]
	for _, s := range sessions {
		if s != p.SessionID {
			others = append(others, s)
		}
	}
	meta := writes.Metadata(c)
	meta.TenantID = p.TenantID
	if _, err := a.Commands.ChangePassword(ctx, meta, p.Subject, cred.PasswordHash, req.CurrentPassword, req.NewPassword, others); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// resetSlots bounds the password-reset requests handled in the background at
// once; past it, requests are dropped (and logged) rather than queued, so that
// a flood cannot pile up work.
var resetSlots = make(chan struct{}, 16)

// passwordForgot answers at once and the same way whether or not the address
// exists: looking the account up, recording the request and sending the
// token happen in the background, so neither the answer nor its timing tells
// which addresses have accounts.
func (a *API) passwordForgot(c echo.Context) error {
	var req PasswordForgotRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	// The answer goes out first: the background work then competes with
	// nothing this request waits for.
	answered := platform.Respond(c, http.StatusAccepted, Accepted{Status: "If the address belongs to an account, a reset token was sent to it."})
	email, err := iam.NormalizeEmail(req.Email)
	if err != nil || answered != nil {
		return answered
	}
	c.Response().Flush()
	select {
	case resetSlots <- struct{}{}:
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 30*time.Second)
		logger, requestID := platform.Logger(c), platform.RequestID(c)
		go func() {
			defer func() { <-resetSlots }()
			defer cancel()
			if err := a.sendPasswordReset(ctx, email, requestID); err != nil {
				logger.Error("password reset failed", "err", err)
			}
		}()
	default:
		platform.Logger(c).Warn("password reset dropped: too many in flight")
	}
	return nil
}

// sendPasswordReset issues a reset token to every active user holding email
// (an address is unique per tenant, so there may be one per tenant) and
// delivers each in a message naming its tenant; an unknown or inactive
// address gets nothing. A reset token names its user, so each resets only
// its own tenant's account.
func (a *API) sendPasswordReset(ctx context.Context, email, requestID string) error {
	creds, err := a.Queries.CredentialsByEmail(ctx, email, "", maxSignInCandidates)
	if err != nil {
		return err
	}
	var errs []error
	for _, cred := range creds {
		if cred.Status != iam.StatusActive {
			continue
		}
		token, err := a.Commands.RequestPasswordReset(ctx, cmdiam.Metadata(cred.TenantID, cred.ID, requestID),
			cred.ID, time.Now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a.Outbox == nil {
			continue
		}
		tenant := ResetTenant{ID: cred.TenantID}
		if t, err := a.Queries.TenantByID(ctx, cred.TenantID); err == nil && t != nil {
			tenant.Name = t.Name
		}
		if err := a.Outbox.PasswordReset(ctx, email, tenant, token); err != nil {
			errs = append(errs, fmt.Errorf("password reset delivery: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (a *API) passwordReset(c echo.Context) error {
	var req PasswordResetRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	userID, ok := cmdiam.ParseResetToken(req.Token)
	if !ok {
		return iam.ErrResetInvalid
	}
	u, err := a.Queries.UserByID(ctx, "*", userID)
	if err != nil {
		return err
	}
	if u == nil || u.Status != iam.StatusActive {
		return iam.ErrResetInvalid
	}
	sessions, err := a.Queries.ActiveSessionIDs(ctx, u.TenantID, userID, time.Now())
	if err != nil {
		return err
	}
	meta := cmdiam.Metadata(u.TenantID, userID, platform.RequestID(c))
	if _, err := a.Commands.ResetPassword(ctx, meta, req.Token, req.NewPassword, sessions, time.Now()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) tenantUser(c echo.Context) (string, error) {
	id, err := pathID(c)
	if err != nil {
		return "", err
	}
	u, err := a.Queries.UserByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return "", err
	}
	if u == nil {
		return "", iam.ErrUserNotFound
	}
	return id, nil
}

func (a *API) assignRole(c echo.Context) error {
	var req RoleRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, err := a.tenantUser(c)
	if err != nil {
		return err
	}
	if err := a.guardRoleChange(c, id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if r, err := a.Queries.RoleByID(ctx, auth.PrincipalOf(c).ActingTenant, req.Role); err != nil {
		return err
	} else if r == nil {
		return iam.ErrRoleNotFound
	}
	if err := a.mayGrantRole(c, req.Role); err != nil {
		return err
	}
	evs, err := a.Commands.AssignRole(ctx, writes.Metadata(c), cmdiam.AssignRole{UserID: id, Role: req.Role})
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return a.answerUser(c, id) })
}

func (a *API) unassignRole(c echo.Context) error {
	id, err := a.tenantUser(c)
	if err != nil {
		return err
	}
	if err := a.guardRoleChange(c, id); err != nil {
		return err
	}
	evs, err := a.Commands.UnassignRole(c.Request().Context(), writes.Metadata(c), cmdiam.UnassignRole{UserID: id, Role: c.Param("role")})
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return a.answerUser(c, id) })
}

func (a *API) security(c echo.Context, id string) error {
	st, err := a.Queries.AuthOf(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, UserSecurity{UserID: id, AuthStatus: st})
}

// userToActOn is the tenant's user the path names, once the caller may act
// on that account.
func (a *API) userToActOn(c echo.Context) (string, error) {
	id, err := a.tenantUser(c)
	if err != nil {
		return "", err
	}
	return id, a.mayActOn(c, id)
}

func (a *API) unlock(c echo.Context) error {
	id, err := a.userToActOn(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	evs, err := a.Commands.Unlock(ctx, writes.Metadata(c), id)
	if err != nil {
		return err
	}
	// Unlocking also lifts the sign-in throttle of every address on the account.
	if u, err := a.Queries.UserByID(ctx, auth.PrincipalOf(c).ActingTenant, id); err != nil {
		return err
	} else if u != nil {
		if err := a.Commands.ClearLoginFailures(ctx, u.Email, ""); err != nil {
			return err
		}
	}
	a.Writes.Await(c, evs, rmiam.Name)
	return a.security(c, id)
}

func (a *API) resetMfa(c echo.Context) error {
	id, err := a.userToActOn(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.ResetMfa(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return a.security(c, id) })
}

func (a *API) revokeUserSessions(c echo.Context) error {
	id, err := a.userToActOn(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ids, err := a.Queries.ActiveSessionIDs(ctx, auth.PrincipalOf(c).ActingTenant, id, time.Now())
	if err != nil {
		return err
	}
	if _, err := a.Commands.RevokeSessions(ctx, writes.Metadata(c), cmdiam.RevokeSessions{UserID: id, Sessions: ids, Reason: "admin_revoked"}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) listRoles(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmiam.Role], error) {
		return a.Queries.ListRoles(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, p)
	})
}

func (a *API) createRole(c echo.Context) error {
	var req CreateRoleRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	if err := iam.ValidPermissions(req.Permissions); err != nil {
		return err
	}
	if err := mayGrantPermissions(p, "permissions", req.Permissions); err != nil {
		return err
	}
	id, evs, err := a.Commands.CreateRole(c.Request().Context(), writes.Metadata(c),
		cmdiam.CreateRole{Name: strings.TrimSpace(req.Name), Description: req.Description, Permissions: req.Permissions})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmiam.Name)
	return a.answerRole(c, http.StatusCreated, id)
}

func (a *API) answerRole(c echo.Context, status int, id string) error {
	r, err := a.Queries.RoleByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return err
	}
	if r == nil {
		return iam.ErrRoleNotFound
	}
	writes.ETag(c, r.Version)
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/iam/roles/"+r.ID)
	}
	return platform.Respond(c, status, r)
}

func (a *API) getRole(c echo.Context) error { return a.answerRole(c, http.StatusOK, c.Param("id")) }

func (a *API) customRoleID(c echo.Context) (string, error) {
	id := c.Param("id")
	if iam.IsBuiltinRole(id) {
		return "", iam.ErrRoleImmutable
	}
	if uuid.Validate(id) != nil {
		return "", iam.ErrRoleNotFound
	}
	return id, nil
}

func (a *API) updateRole(c echo.Context) error {
	id, expected, err := writes.Versioned(c, a.customRoleID)
	if err != nil {
		return err
	}
	var req UpdateRoleRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if err := a.mayChangeRole(c, id); err != nil {
		return err
	}
	if req.Permissions != nil {
		if err := mayGrantPermissions(auth.PrincipalOf(c), "permissions", *req.Permissions); err != nil {
			return err
		}
	}
	evs, err := a.Commands.UpdateRole(c.Request().Context(), writes.Metadata(c),
		cmdiam.UpdateRole{ID: id, Expected: expected, Description: req.Description, Permissions: req.Permissions})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmiam.Name)
	return a.answerRole(c, http.StatusOK, id)
}

func (a *API) deleteRole(c echo.Context) error {
	id, expected, err := writes.Versioned(c, a.customRoleID)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := auth.PrincipalOf(c)
	r, err := a.Queries.RoleByID(ctx, p.ActingTenant, id)
	if err != nil {
		return err
	}
	if r == nil {
		return iam.ErrRoleNotFound
	}
	if err := mayGrantPermissions(p, "permissions", r.Permissions); err != nil {
		return err
	}
	if n, err := a.Queries.UsersWithRole(ctx, p.ActingTenant, r.Name); err != nil {
		return err
	} else if n > 0 {
		return iam.ErrRoleInUse
	}
	evs, err := a.Commands.DeleteRole(ctx, writes.Metadata(c), cmdiam.DeleteRole{ID: id, Expected: expected})
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) listPermissions(c echo.Context) error {
	var out []PermissionInfo
	for _, p := range iam.Catalogue() {
		m, l, _ := strings.Cut(p, ":")
		out = append(out, PermissionInfo{Permission: p, Module: m, Level: l})
	}
	return platform.MemoryPage(c, out, func(p PermissionInfo) string { return p.Permission })
}

func (a *API) listSessions(c echo.Context) error {
	p := auth.PrincipalOf(c)
	f := rmiam.SessionFilter{UserID: c.QueryParam("user_id"), ActiveOnly: c.QueryParam("active") == "true"}
	if !iam.Has(p.Permissions, "iam:admin") {
		f.UserID = p.Subject // without iam:admin, only your own sessions
	}
	if f.UserID != "" && uuid.Validate(f.UserID) != nil {
		return platform.Problem("VAL-005", "user_id must be a user id.")
	}
	return platform.ListPage(c, func(page projections.PageRequest) (projections.Page[rmiam.Session], error) {
		return a.Queries.ListSessions(c.Request().Context(), p.ActingTenant, f, time.Now(), page)
	})
}

func (a *API) revokeSession(c echo.Context) error {
	id := c.Param("id")
	if uuid.Validate(id) != nil {
		return iam.ErrSessionNotFound
	}
	p := auth.PrincipalOf(c)
	ctx := c.Request().Context()
	s, err := a.Queries.SessionByID(ctx, p.ActingTenant, id)
	if err != nil {
		return err
	}
	if s == nil || (s.UserID != p.Subject && !iam.Has(p.Permissions, "iam:admin")) {
		return iam.ErrSessionNotFound
	}
	if err := a.mayActOn(c, s.UserID); err != nil {
		return err
	}
	if !s.Revoked {
		if _, err := a.Commands.RevokeSessions(ctx, writes.Metadata(c), cmdiam.RevokeSessions{UserID: s.UserID, Sessions: []string{id}, Reason: "revoked"}); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) tenantProfile(c echo.Context, id string) (*TenantProfile, error) {
	ctx := c.Request().Context()
	t, err := a.Queries.TenantByID(ctx, id)
	if err != nil || t == nil {
		return nil, err
	}
	st, err := a.Queries.TenantSettings(ctx, id)
	if err != nil {
		return nil, err
	}
	return &TenantProfile{Tenant: *t, Settings: st}, nil
}

func (a *API) currentTenant(c echo.Context) error {
	tp, err := a.tenantProfile(c, auth.PrincipalOf(c).ActingTenant)
	if err != nil {
		return err
	}
	if tp == nil {
		return iam.ErrTenantNotFound
	}
	writes.ETag(c, tp.Version)
	return platform.Respond(c, http.StatusOK, tp)
}

func (a *API) updateCurrentTenant(c echo.Context) error {
	expected, err := writes.IfMatch(c)
	if err != nil {
		return err
	}
	var req UpdateTenantRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	ctx := c.Request().Context()
	current, err := a.Queries.TenantSettings(ctx, p.ActingTenant)
	if err != nil {
		return err
	}
	var settings *iam.TenantSettings
	if req.Settings != nil {
		s := current
		if v := req.Settings.RateLimitPerMinute; v != nil {
			s.RateLimitPerMinute = *v
		}
		if v := req.Settings.MfaRequired; v != nil {
			s.MfaRequired = *v
		}
		if v := req.Settings.SessionTTLHours; v != nil {
			s.SessionTTLHours = *v
		}
		settings = &s
	}
	var name *string
	if req.Name != nil {
		n := strings.TrimSpace(*req.Name)
		name = &n
	}
	evs, err := a.Commands.UpdateTenant(ctx, writes.Metadata(c), cmdiam.UpdateTenant{TenantID: p.ActingTenant, Expected: expected, Name: name, Settings: settings})
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return a.currentTenant(c) })
}

// guardRoleChange applies the delegation rules to a change of userID's roles:
// not one's own, and not those of a stronger principal.
func (a *API) guardRoleChange(c echo.Context, userID string) error {
	if err := notSelf(c, userID); err != nil {
		return err
	}
	return a.mayActOn(c, userID)
}

// mayChangeRole refuses a change to a custom role that carries permissions
// the actor does not hold (the change would reshape a stronger principal's
// authority).
func (a *API) mayChangeRole(c echo.Context, id string) error {
	p := auth.PrincipalOf(c)
	r, err := a.Queries.RoleByID(c.Request().Context(), p.ActingTenant, id)
	if err != nil {
		return err
	}
	if r == nil {
		return iam.ErrRoleNotFound
	}
	return mayGrantPermissions(p, "permissions", r.Permissions)
}
