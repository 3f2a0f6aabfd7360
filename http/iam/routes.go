// Package iam serves authentication, users and tenants over HTTP.
package iam

import (
	"context"
	"errors"
	"net/http"
	"strconv"
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

// API serves the IAM routes.
type API struct {
	Commands *cmdiam.Handlers
	Queries  *rmiam.Queries
	Signer   *auth.Signer
	Writes   *writes.Kit
	// Outbox delivers password-reset tokens.
	Outbox Outbox
}

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Email    string `json:"email" validate:"required,max=320"`
	Password string `json:"password" validate:"required,max=1024"`
	MfaCode  string `json:"mfa_code,omitempty" validate:"omitempty,len=6,numeric"`
	Tenant   string `json:"tenant,omitempty" validate:"omitempty,max=200" doc:"The tenant to sign in to, by id or by name. E-mail addresses are unique per tenant: without it, the password chooses among the users holding the address, and IAM-022 asks for it when the password matches users of several tenants."`
}

// RefreshRequest is the body of POST /auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token" validate:"required,max=512"`
}

// TokenUser is the user block of a token answer.
type TokenUser struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	TenantID string `json:"tenant_id"`
}

// TokenResponse is the answer of login and refresh.
type TokenResponse struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int       `json:"expires_in"`
	User         TokenUser `json:"user"`
}

// Me is the answer of GET /auth/me.
type Me struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	TenantID     string   `json:"tenant_id"`
	ActingTenant string   `json:"acting_tenant_id"`
	Permissions  []string `json:"permissions"`
}

// CreateUserRequest is the body of POST /iam/users.
type CreateUserRequest struct {
	Email    string `json:"email" validate:"required,email,max=320"`
	Name     string `json:"name" validate:"required,min=1,max=200"`
	Role     string `json:"role" validate:"required,max=64"`
	Password string `json:"password,omitempty" validate:"omitempty,min=12,max=1024"`
}

// UpdateUserRequest is the body of PATCH /iam/users/{id}.
type UpdateUserRequest struct {
	Name *string `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Role *string `json:"role,omitempty" validate:"omitempty,max=64"`
}

// CreatedUser is the answer of POST /iam/users: the user, and the invitation
// token once when the user was invited without a password.
type CreatedUser struct {
	rmiam.User
	InvitationToken *string `json:"invitation_token,omitempty"`
	// SecretRedacted is true on an Idempotency-Key replay of an invitation:
	// the token is not repeated (invitation_token is null).
	SecretRedacted bool `json:"secret_redacted,omitempty"`
}

// CreateTenantRequest is the body of POST /iam/tenants.
type CreateTenantRequest struct {
	Name  string      `json:"name" validate:"required,min=2,max=100"`
	Admin TenantAdmin `json:"admin" validate:"required"`
}

// TenantAdmin is the first admin of a new tenant.
type TenantAdmin struct {
	Email    string `json:"email" validate:"required,email,max=320"`
	Name     string `json:"name,omitempty" validate:"omitempty,max=200"`
	Password string `json:"password,omitempty" validate:"omitempty,min=12,max=1024"`
}

// CreatedTenant is the answer of POST /iam/tenants.
type CreatedTenant struct {
	Tenant          rmiam.Tenant `json:"tenant"`
	AdminID         string       `json:"admin_id"`
	InvitationToken *string      `json:"invitation_token,omitempty"`
	// SecretRedacted is true on an Idempotency-Key replay of an invitation:
	// the token is not repeated (invitation_token is null).
	SecretRedacted bool `json:"secret_redacted,omitempty"`
}

// Routes declares the IAM routes.
func (a *API) Routes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodPost, Path: "/api/v1/auth/login", OperationID: "login", Tag: "auth", Summary: "Sign in with e-mail and password",
			Permission: auth.Public, Request: LoginRequest{}, Response: TokenResponse{}, Handler: a.login, Errors: []int{409, 422, 423}},
		{Method: http.MethodPost, Path: "/api/v1/auth/mfa/enrollment", OperationID: "mfaEnrollWithPassword", Tag: "auth",
			Summary:    "Start TOTP enrolment with e-mail and password (users of a tenant that requires MFA have no session until enrolled)",
			Permission: auth.Public, Request: MfaPasswordEnrollRequest{}, Response: MfaEnrollResponse{}, Handler: a.mfaEnrollWithPassword, Errors: []int{409, 422, 423}},
		{Method: http.MethodPost, Path: "/api/v1/auth/mfa/enrollment/verify", OperationID: "mfaVerifyWithPassword", Tag: "auth",
			Summary: "Confirm a TOTP enrolment started with e-mail and password", Permission: auth.Public,
			Request: MfaPasswordVerifyRequest{}, Response: MfaStatus{}, Handler: a.mfaVerifyWithPassword, Errors: []int{409, 422, 423}},
		{Method: http.MethodPost, Path: "/api/v1/auth/refresh", OperationID: "refresh", Tag: "auth", Summary: "Rotate the refresh token",
			Permission: auth.Public, Request: RefreshRequest{}, Response: TokenResponse{}, Handler: a.refresh},
		{Method: http.MethodGet, Path: "/api/v1/auth/me", OperationID: "me", Tag: "auth", Summary: "The authenticated principal",
			Permission: auth.Authenticated, Response: Me{}, Handler: a.me, Headers: platform.ReadHeaders},
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", OperationID: "jwks", Tag: "auth", Summary: "Public signing keys",
			Permission: auth.Public, Raw: true, Response: auth.JWKS{}, Handler: a.jwks},

		{Method: http.MethodGet, Path: "/api/v1/iam/users", OperationID: "listUsers", Tag: "iam", Summary: "List users",
			Permission: "iam:read", Response: rmiam.User{}, List: true, Handler: a.listUsers, Headers: platform.ReadHeaders,
			Query: []platform.Param{{Name: "role", Description: "Only users holding this role (built-in or custom)."},
				{Name: "status", Description: "Only users in this status.", Enum: []string{iam.StatusActive, iam.StatusInvited, iam.StatusDeactivated}},
				{Name: "email", Description: "Only the user with this e-mail address (case-insensitive)."}}},
		{Method: http.MethodPost, Path: "/api/v1/iam/users", OperationID: "createUser", Tag: "iam", Summary: "Create (or invite) a user",
			Permission: "iam:write", Request: CreateUserRequest{}, Response: CreatedUser{}, Status: http.StatusCreated,
			Handler: a.createUser, Headers: platform.WriteHeaders, Errors: []int{404, 409, 422}},
		{Method: http.MethodGet, Path: "/api/v1/iam/users/:id", OperationID: "getUser", Tag: "iam", Summary: "Read a user",
			Permission: "iam:read", Response: rmiam.User{}, Handler: a.getUser, Headers: platform.ReadHeaders, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/iam/users/:id", OperationID: "updateUser", Tag: "iam", Summary: "Update a user",
			Permission: "iam:write", Request: UpdateUserRequest{}, Response: rmiam.User{}, Handler: a.updateUser,
			Headers: append([]platform.Param{platform.IfMatch}, platform.WriteHeaders...), Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/users/:id", OperationID: "deactivateUser", Tag: "iam", Summary: "Deactivate a user",
			Permission: "iam:write", Response: rmiam.User{}, Handler: a.deactivateUser,
			Headers: append([]platform.Param{platform.IfMatch}, platform.WriteHeaders...), Errors: []int{404, 409, 412, 422}},

		{Method: http.MethodGet, Path: "/api/v1/iam/tenants", OperationID: "listTenants", Tag: "iam", Summary: "List tenants (platform admin)",
			Permission: "iam:admin", Response: rmiam.Tenant{}, List: true, Handler: a.listTenants,
			Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}},
		{Method: http.MethodPost, Path: "/api/v1/iam/tenants", OperationID: "createTenant", Tag: "iam", Summary: "Create a tenant with its first admin (platform admin)",
			Permission: "iam:admin", Request: CreateTenantRequest{}, Response: CreatedTenant{}, Status: http.StatusCreated,
			Handler: a.createTenant, Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}, Headers: platform.WriteHeaders, Errors: []int{409, 422}},
		{Method: http.MethodGet, Path: "/api/v1/iam/tenants/:id", OperationID: "getTenant", Tag: "iam", Summary: "Read a tenant (platform admin)",
			Permission: "iam:admin", Response: rmiam.Tenant{}, Handler: a.getTenant,
			Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}, Errors: []int{404}},
	}
}

func (a *API) login(c echo.Context) error {
	var req LoginRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	invalid := platform.Problem("AUTH-004", "Invalid e-mail or password.")
	email, err := iam.NormalizeEmail(req.Email)
	if err != nil {
		return invalid
	}
	// Throttling is per (account, client address) and the same for unknown
	// addresses: a source that keeps failing waits, every other source signs
	// in as usual.
	source := c.RealIP()
	now := time.Now()
	if wait, err := a.Commands.LoginWait(ctx, email, source, now); err != nil {
		return err
	} else if wait > 0 {
		return throttled(wait)
	}
	failed := func(answer error) error {
		if _, err := a.Commands.NoteLoginFailure(context.WithoutCancel(ctx), email, source, now); err != nil {
			return err
		}
		return answer
	}
	cred, err := a.signInAccount(ctx, email, req.Tenant, req.Password)
	if err != nil {
		return err
	}
	if cred == nil {
		a.Commands.DummyVerify(req.Password) // unknown addresses take as long as known ones
		return failed(invalid)
	}
	settings, err := a.Queries.TenantSettings(ctx, cred.TenantID)
	if err != nil {
		return err
	}
	sess, err := a.Commands.Login(ctx, cmdiam.LoginInput{UserID: cred.ID, TenantID: cred.TenantID, Status: cred.Status,
		PasswordHash: cred.PasswordHash, Password: req.Password, MfaCode: req.MfaCode, Now: now,
		Correlation: platform.RequestID(c), SessionTTL: sessionTTL(settings), MfaRequired: settings.MfaRequired})
	switch {
	case errors.Is(err, iam.ErrMfaEnrollmentRequired):
		if err := a.Commands.ClearLoginFailures(ctx, email, source); err != nil {
			return err
		}
		return mfaEnrollmentRequired()
	case errors.Is(err, cmdiam.ErrInvalidCredentials):
		return failed(invalid)
	case errors.Is(err, iam.ErrLocked):
		return platform.Problem("AUTH-007", "The account is locked until an administrator unlocks it or the lock ends.").
			WithHeader("Retry-After", strconv.Itoa(int(iam.LockDuration.Seconds())))
	case errors.Is(err, iam.ErrMfaRequired):
		return platform.Problem("AUTH-008", "This account uses two-factor authentication: send mfa_code.")
	case errors.Is(err, iam.ErrMfaInvalid):
		return failed(platform.Problem("AUTH-009", "The two-factor code is not valid."))
	case err != nil:
		return err
	}
	if err := a.Commands.ClearLoginFailures(ctx, email, source); err != nil {
		return err
	}
	a.Writes.Await(c, sess.Events, rmiam.Name) // the new session is listed at once
	return a.tokens(c, &cred.User, sess.ID, sess.RefreshToken)
}

// throttled is the answer to a client address that must wait before its next
// sign-in attempt on an account.
func throttled(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return platform.Problem("RATE-004", "Too many failed sign-ins from this address; wait "+strconv.Itoa(secs)+
		" s before trying again (other addresses are not affected).").WithHeader("Retry-After", strconv.Itoa(secs))
}

// sessionTTL is the tenant's refresh-token lifetime (0: the default).
func sessionTTL(st iam.TenantSettings) time.Duration {
	if st.SessionTTLHours <= 0 {
		return 0
	}
	return time.Duration(st.SessionTTLHours) * time.Hour
}

// mfaEnrollmentRequired answers a password sign-in (or refresh) of a user
// without TOTP in a tenant that requires it.
func mfaEnrollmentRequired() error {
	return platform.Problem("AUTH-011", "This tenant requires two-factor authentication: enrol with POST /api/v1/auth/mfa/enrollment "+
		"(e-mail and password), confirm with POST /api/v1/auth/mfa/enrollment/verify, then sign in with mfa_code.")
}

func (a *API) tokens(c echo.Context, u *rmiam.User, sessionID, refresh string) error {
	roles := u.Roles
	if len(roles) == 0 {
		roles = []string{u.Role}
	}
	perms, err := a.Queries.PermissionsOf(c.Request().Context(), u.TenantID, roles)
	if err != nil {
		return err
	}
	role := u.Role
	for _, r := range roles {
		if r == iam.RolePlatformAdmin {
			role = r // the platform role, however it was given, is what the checks look for
		}
	}
	access, _, err := a.Signer.Issue(auth.Principal{Subject: u.ID, TenantID: u.TenantID, Role: role,
		Permissions: perms, SessionID: sessionID})
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, TokenResponse{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(auth.AccessTTL.Seconds()), User: TokenUser{ID: u.ID, Email: u.Email, Role: u.Role, TenantID: u.TenantID}})
}

func (a *API) refresh(c echo.Context) error {
	var req RefreshRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sess, tenantID, err := a.Commands.RefreshSession(ctx, req.RefreshToken, time.Now())
	if errors.Is(err, cmdiam.ErrRefreshReused) {
		return platform.Problem("AUTH-010", "This refresh token was already used; the session has been revoked. Sign in again.")
	}
	if errors.Is(err, cmdiam.ErrInvalidRefresh) {
		return platform.Problem("AUTH-002", "The refresh token is not valid.")
	}
	if err != nil {
		return err
	}
	u, err := a.Queries.UserByID(ctx, tenantID, sess.UserID)
	if err != nil {
		return err
	}
	if u == nil || u.Status != iam.StatusActive {
		return platform.Problem("AUTH-002", "The refresh token is not valid.")
	}
	if err := a.mfaSatisfied(c, u, sess.ID); err != nil {
		return err
	}
	return a.tokens(c, u, sess.ID, sess.RefreshToken)
}

func (a *API) me(c echo.Context) error {
	p := auth.PrincipalOf(c)
	out := Me{ID: p.Subject, Kind: p.Kind, Role: p.Role, TenantID: p.TenantID, ActingTenant: p.ActingTenant, Permissions: p.Permissions}
	u, err := a.Queries.UserByID(c.Request().Context(), p.TenantID, p.Subject)
	if err != nil {
		return err
	}
	if u != nil {
		out.Email, out.Name = u.Email, u.Name
	}
	return platform.Respond(c, http.StatusOK, out)
}

func (a *API) jwks(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, a.Signer.JWKS())
}

func (a *API) listUsers(c echo.Context) error {
	f := rmiam.UserFilter{Role: c.QueryParam("role"), Status: c.QueryParam("status"), Email: c.QueryParam("email")}
	for name, v := range map[string]string{"role": f.Role, "status": f.Status, "email": f.Email} {
		if len(v) > 320 {
			return platform.Problem("VAL-005", "Query parameter '"+name+"' is too long.")
		}
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmiam.User], error) {
		return a.Queries.ListUsers(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, f, p)
	})
}

func pathID(c echo.Context) (string, error) {
	id := c.Param("id")
	if uuid.Validate(id) != nil {
		return "", iam.ErrUserNotFound
	}
	return id, nil
}

func (a *API) getUser(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u, err := a.Queries.UserByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return err
	}
	if u == nil {
		return iam.ErrUserNotFound
	}
	writes.ETag(c, u.Version)
	return platform.Respond(c, http.StatusOK, u)
}

func (a *API) createUser(c echo.Context) error {
	var req CreateUserRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	if !iam.ValidRole(req.Role) {
		return iam.ErrInvalidRole
	}
	if err := a.mayGrantRole(c, req.Role); err != nil {
		return err
	}
	if err := a.actingTenantExists(c, p); err != nil {
		return err
	}
	meta := writes.Metadata(c)
	res, err := a.Commands.CreateUser(c.Request().Context(), meta, cmdiam.CreateUser{TenantID: p.ActingTenant, Email: req.Email,
		Name: req.Name, Role: req.Role, Password: req.Password})
	if err != nil {
		return err
	}
	out := CreatedUser{InvitationToken: nonEmpty(res.InvitationToken)}
	if a.Writes.Await(c, res.Events, rmiam.Name) {
		u, err := a.Queries.UserByID(c.Request().Context(), p.ActingTenant, res.UserID)
		if err != nil {
			return err
		}
		if u != nil {
			out.User = *u
		}
	}
	if out.ID == "" { // past the bound: answer from the command's own facts
		email, _ := iam.NormalizeEmail(req.Email)
		status := iam.StatusActive
		if req.Password == "" {
			status = iam.StatusInvited
		}
		out.User = rmiam.User{ID: res.UserID, TenantID: p.ActingTenant, Email: email, Name: req.Name, Role: req.Role,
			Status: status, Version: 1, CreatedAt: res.Events[0].Time, UpdatedAt: res.Events[0].Time}
	}
	writes.ETag(c, out.Version)
	writes.Secret(c, "invitation_token")
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/iam/users/"+res.UserID)
	return platform.Respond(c, http.StatusCreated, out)
}

// actingTenantExists refuses a platform admin's write into a tenant that does
// not exist (X-Tenant-ID is not checked against the tenants otherwise), so
// that a typo cannot create users nobody can ever sign in to manage.
func (a *API) actingTenantExists(c echo.Context, p *auth.Principal) error {
	if p.ActingTenant == p.TenantID {
		return nil
	}
	if uuid.Validate(p.ActingTenant) != nil {
		return iam.ErrTenantNotFound
	}
	t, err := a.Queries.TenantByID(c.Request().Context(), p.ActingTenant)
	if err != nil {
		return err
	}
	if t == nil {
		return iam.ErrTenantNotFound
	}
	return nil
}

func (a *API) updateUser(c echo.Context) error {
	id, expected, err := writes.Versioned(c, pathID)
	if err != nil {
		return err
	}
	var req UpdateUserRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if err := a.mayActOn(c, id); err != nil {
		return err
	}
	if req.Role != nil {
		if err := notSelf(c, id); err != nil {
			return err
		}
		if err := a.mayGrantRole(c, *req.Role); err != nil {
			return err
		}
	}
	evs, err := a.Commands.UpdateUser(c.Request().Context(), writes.Metadata(c), cmdiam.UpdateUser{ID: id, Expected: expected, Name: req.Name, Role: req.Role})
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return a.answerUser(c, id) })
}

func (a *API) deactivateUser(c echo.Context) error {
	id, expected, err := writes.Versioned(c, pathID)
	if err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	if id == p.Subject {
		return platform.Problem("IAM-006", "You cannot deactivate yourself.")
	}
	if err := a.mayActOn(c, id); err != nil {
		return err
	}
	evs, err := a.Commands.DeactivateUser(c.Request().Context(), writes.Metadata(c), cmdiam.DeactivateUser{ID: id, Expected: expected})
	if err != nil {
		return err
	}
	if err := a.revokeCredentialsOf(c, id); err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmiam.Name)
	return a.answerUser(c, id)
}

// revokeCredentialsOf ends every session and API key of a deactivated user, so
// that nothing they hold keeps working.
func (a *API) revokeCredentialsOf(c echo.Context, userID string) error {
	ctx := c.Request().Context()
	tenant := auth.PrincipalOf(c).ActingTenant
	sessions, err := a.Queries.ActiveSessionIDs(ctx, tenant, userID, time.Now())
	if err != nil {
		return err
	}
	if _, err := a.Commands.RevokeSessions(ctx, writes.Metadata(c), cmdiam.RevokeSessions{UserID: userID, Sessions: sessions, Reason: "user_deactivated"}); err != nil {
		return err
	}
	keys, err := a.Queries.ActiveAPIKeyIDs(ctx, tenant, userID)
	if err != nil {
		return err
	}
	for _, id := range keys {
		if _, err := a.Commands.RevokeAPIKey(ctx, writes.Metadata(c), cmdiam.RevokeAPIKey{ID: id, Reason: "owner_deactivated"}); err != nil {
			return err
		}
	}
	return nil
}

// answerUser answers with a user as the read model has it now (the caller
// awaited its write).
func (a *API) answerUser(c echo.Context, id string) error {
	u, err := a.Queries.UserByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return err
	}
	if u == nil {
		return iam.ErrUserNotFound
	}
	writes.ETag(c, u.Version)
	return platform.Respond(c, http.StatusOK, u)
}

func (a *API) listTenants(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmiam.Tenant], error) {
		return a.Queries.ListTenants(c.Request().Context(), p)
	})
}

func (a *API) createTenant(c echo.Context) error {
	var req CreateTenantRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	res, err := a.Commands.CreateTenant(c.Request().Context(), writes.Metadata(c), cmdiam.CreateTenant{Name: req.Name,
		AdminEmail: req.Admin.Email, AdminName: req.Admin.Name, AdminPassword: req.Admin.Password})
	if err != nil {
		return err
	}
	out := CreatedTenant{AdminID: res.AdminID, InvitationToken: nonEmpty(res.InvitationToken),
		Tenant: rmiam.Tenant{ID: res.TenantID, Name: strings.TrimSpace(req.Name), Version: 1, CreatedAt: res.Events[0].Time}}
	a.Writes.Await(c, res.Events, rmiam.Name)
	writes.Secret(c, "invitation_token")
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/iam/tenants/"+res.TenantID)
	return platform.Respond(c, http.StatusCreated, out)
}

func (a *API) getTenant(c echo.Context) error {
	id := c.Param("id")
	if uuid.Validate(id) != nil {
		return iam.ErrTenantNotFound
	}
	t, err := a.Queries.TenantByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if t == nil {
		return iam.ErrTenantNotFound
	}
	return platform.Respond(c, http.StatusOK, t)
}

// nonEmpty is nil for "" (an absent once-shown secret).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mfaSatisfied refuses to keep a password session going (refresh) for a user
// without TOTP once the tenant requires it. Sessions from single sign-on are
// the identity provider's to protect.
func (a *API) mfaSatisfied(c echo.Context, u *rmiam.User, sessionID string) error {
	ctx := c.Request().Context()
	st, err := a.Queries.TenantSettings(ctx, u.TenantID)
	if err != nil || !st.MfaRequired {
		return err
	}
	auth, err := a.Queries.AuthOf(ctx, u.TenantID, u.ID)
	if err != nil || auth.MfaEnabled {
		return err
	}
	s, err := a.Queries.SessionByID(ctx, u.TenantID, sessionID)
	if err != nil {
		return err
	}
	if s != nil && s.Method != "password" {
		return nil
	}
	return mfaEnrollmentRequired()
}
