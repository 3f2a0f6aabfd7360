package iam

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/platform"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// MfaPasswordEnrollRequest is the body of POST /auth/mfa/enrollment.
type MfaPasswordEnrollRequest struct {
	Email    string `json:"email" validate:"required,max=320"`
	Password string `json:"password" validate:"required,max=1024"`
	Tenant   string `json:"tenant,omitempty" validate:"omitempty,max=200" doc:"The tenant of the account, by id or by name, as in POST /api/v1/auth/login."`
}

// MfaPasswordVerifyRequest is the body of POST /auth/mfa/enrollment/verify.
type MfaPasswordVerifyRequest struct {
	Email    string `json:"email" validate:"required,max=320"`
	Password string `json:"password" validate:"required,max=1024"`
	Code     string `json:"code" validate:"required,len=6,numeric"`
	Tenant   string `json:"tenant,omitempty" validate:"omitempty,max=200" doc:"The tenant of the account, by id or by name, as in POST /api/v1/auth/login."`
}

// passwordAccount authenticates e-mail and password the way login does —
// same throttle per (account, client address), same dummy check for unknown
// addresses, same failure records — for the routes that enrol TOTP without a
// session (a tenant requiring MFA gives none before enrolment).
func (a *API) passwordAccount(c echo.Context, email, tenant, password string) (*rmiam.Credentials, error) {
	ctx := c.Request().Context()
	invalid := platform.Problem("AUTH-004", "Invalid e-mail or password.")
	norm, err := iam.NormalizeEmail(email)
	if err != nil {
		return nil, invalid
	}
	source, now := c.RealIP(), time.Now()
	if wait, err := a.Commands.LoginWait(ctx, norm, source, now); err != nil {
		return nil, err
	} else if wait > 0 {
		return nil, throttled(wait)
	}
	failed := func() error {
		if _, err := a.Commands.NoteLoginFailure(context.WithoutCancel(ctx), norm, source, now); err != nil {
			return err
		}
		return invalid
	}
	cred, err := a.signInAccount(ctx, norm, tenant, password)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		a.Commands.DummyVerify(password)
		return nil, failed()
	}
	_, err = a.Commands.CheckPassword(ctx, cmdiam.LoginInput{UserID: cred.ID, TenantID: cred.TenantID, Status: cred.Status,
		PasswordHash: cred.PasswordHash, Password: password, Now: now, Correlation: platform.RequestID(c)})
	switch {
	case errors.Is(err, cmdiam.ErrInvalidCredentials):
		return nil, failed()
	case errors.Is(err, iam.ErrLocked):
		return nil, platform.Problem("AUTH-007", "The account is locked until an administrator unlocks it or the lock ends.").
			WithHeader("Retry-After", strconv.Itoa(int(iam.LockDuration.Seconds())))
	case err != nil:
		return nil, err
	}
	return cred, nil
}

func (a *API) mfaEnrollWithPassword(c echo.Context) error {
	var req MfaPasswordEnrollRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	cred, err := a.passwordAccount(c, req.Email, req.Tenant, req.Password)
	if err != nil {
		return err
	}
	meta := cmdiam.Metadata(cred.TenantID, cred.ID, platform.RequestID(c))
	enr, err := a.Commands.StartMfaEnrollment(c.Request().Context(), meta, cred.ID, cred.Email)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return platform.Respond(c, http.StatusOK, MfaEnrollResponse{Secret: &enr.Secret, OtpauthURL: &enr.URL})
}

func (a *API) mfaVerifyWithPassword(c echo.Context) error {
	var req MfaPasswordVerifyRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	cred, err := a.passwordAccount(c, req.Email, req.Tenant, req.Password)
	if err != nil {
		return err
	}
	meta := cmdiam.Metadata(cred.TenantID, cred.ID, platform.RequestID(c))
	evs, err := a.Commands.VerifyMfa(c.Request().Context(), meta, cred.ID, req.Code, time.Now())
	return a.Writes.Then(c, evs, err, rmiam.Name, func() error { return platform.Respond(c, http.StatusOK, MfaStatus{MfaEnabled: true}) })
}
