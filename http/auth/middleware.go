package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/platform"
)

const principalKey = "auth.principal"

// Public and Authenticated are the special Route.Permission values.
const (
	Public        = ""
	Authenticated = "authenticated"
)

// PrincipalOf returns the authenticated principal of a request.
func PrincipalOf(c echo.Context) *Principal {
	p, _ := c.Get(principalKey).(*Principal)
	return p
}

// APIKeyPrefix starts every API key.
const APIKeyPrefix = "ab_live_"

// Authenticator turns credentials into a principal: RS256 access tokens whose
// session is not revoked, or API keys ("ab_live_…", as a bearer token or in
// X-API-Key) that are neither revoked nor expired.
type Authenticator struct {
	Signer      *Signer
	Revocations *Revocations
	// APIKeys resolves an API key into its own grants (the key's scopes, its
	// Owner); nil disables API keys. It returns ErrAPIKeyInvalid for a key that
	// does not work and any other error when it could not tell.
	APIKeys func(ctx context.Context, key string) (*Principal, error)
	// Principals knows what every user may do now; a credential never grants
	// more than its user (an API key's owner) holds at the time of the request.
	// nil trusts the credential's own grants (tests of the token layer only).
	Principals *Principals
}

// Errors of authentication besides the token's own.
var (
	// ErrAPIKeyInvalid reports an unknown, revoked or expired API key, or one
	// whose owner is no longer active.
	ErrAPIKeyInvalid = errors.New("auth: api key invalid")
	// ErrPrincipalInactive reports a token of a deactivated, erased or unknown user.
	ErrPrincipalInactive = errors.New("auth: principal no longer active")
	// ErrUnavailable reports that a credential could not be checked because a
	// dependency (Postgres) is unavailable: never a verdict on the credential.
	ErrUnavailable = errors.New("auth: credential store unavailable")
)

// Principal resolves a credential (a bearer token or an API key) into a
// principal with the permissions it holds now.
func (a *Authenticator) Principal(ctx context.Context, credential string) (*Principal, error) {
	base, err := a.Identify(ctx, credential)
	if err != nil {
		return nil, err
	}
	return a.Effective(ctx, base)
}

// Identify resolves a credential into a principal carrying the credential's
// own grants (a token's claims, an API key's scopes); Effective narrows them.
func (a *Authenticator) Identify(ctx context.Context, credential string) (*Principal, error) {
	if strings.HasPrefix(credential, APIKeyPrefix) {
		if a.APIKeys == nil {
			return nil, ErrAPIKeyInvalid
		}
		p, err := a.APIKeys(ctx, credential)
		switch {
		case errors.Is(err, ErrAPIKeyInvalid) || (err == nil && p == nil):
			return nil, ErrAPIKeyInvalid
		case err != nil:
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return p, nil
	}
	p, err := a.Signer.Verify(credential)
	if err != nil {
		return nil, err
	}
	if a.Revocations.Revoked("session", p.SessionID) {
		return nil, ErrSessionRevoked
	}
	return p, nil
}

// Effective narrows a principal from Identify to what its user holds now:
// permissions are the intersection of the credential's grants and the user's
// current permissions, the role is one the user still holds, and a principal
// whose user is deactivated or gone fails. It answers from memory (see
// Principals) except for the first request of a user after a change.
func (a *Authenticator) Effective(ctx context.Context, base *Principal) (*Principal, error) {
	p := *base
	p.Permissions = slices.Clone(base.Permissions)
	if a.Principals == nil {
		return &p, nil
	}
	user, invalid := p.Subject, ErrPrincipalInactive
	if p.Kind == "api_key" {
		user, invalid = p.Owner, ErrAPIKeyInvalid
	}
	if user == "" {
		return nil, invalid
	}
	acc, err := a.Principals.Access(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !acc.Active {
		return nil, invalid
	}
	// A token acts for a user of its own tenant; a key minted in another
	// tenant (by a platform administrator acting there) works only while its
	// owner still may act there.
	if acc.TenantID != p.TenantID && (p.Kind != "api_key" || !slices.Contains(acc.Roles, iam.RolePlatformAdmin)) {
		return nil, invalid
	}
	if !acc.Grants(p.Permissions) {
		p.Permissions = iam.Intersect(p.Permissions, acc.Permissions)
	}
	if p.Kind != "api_key" && !slices.Contains(acc.Roles, p.Role) && len(acc.Roles) > 0 {
		p.Role = acc.Roles[0]
	}
	return &p, nil
}

// ErrSessionRevoked reports a token of a revoked session.
var ErrSessionRevoked = errors.New("auth: session revoked")

// Authenticate resolves the request's credential into a principal (else 401)
// and the tenant the request acts in: X-Tenant-ID must be the token's tenant,
// except for a platform admin, who may act in another tenant.
func (a *Authenticator) Authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			header := c.Request().Header.Get(echo.HeaderAuthorization)
			credential := c.Request().Header.Get("X-API-Key")
			if credential == "" {
				scheme, token, ok := strings.Cut(header, " ")
				if header == "" {
					return platform.Problem("AUTH-001", "Send an access token as 'Authorization: Bearer <token>' or an API key in X-API-Key.").
						WithHeader("WWW-Authenticate", `Bearer realm="astra"`)
				}
				if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
					return platform.Problem("AUTH-002", "The Authorization header is not a bearer token.").
						WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
				}
				credential = token
			}
			p, err := a.Principal(c.Request().Context(), credential)
			switch {
			case errors.Is(err, ErrTokenExpired):
				return platform.Problem("AUTH-003", "The access token has expired; refresh it.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
			case errors.Is(err, ErrSessionRevoked):
				return platform.Problem("AUTH-002", "The session of this token was revoked.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
			case errors.Is(err, ErrAPIKeyInvalid):
				return platform.Problem("AUTH-002", "The API key is unknown, revoked or expired.")
			case errors.Is(err, ErrPrincipalInactive):
				return platform.Problem("AUTH-002", "The account of this token is no longer active.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
			case errors.Is(err, ErrUnavailable):
				return platform.Unavailable("The credential cannot be checked right now; retry shortly.")
			case err != nil:
				return platform.Problem("AUTH-002", "The access token is not valid.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
			}
			if err := ResolveTenant(p, c.Request().Header.Get("X-Tenant-ID")); err != nil {
				return err
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// ResolveTenant applies X-Tenant-ID to a principal.
func ResolveTenant(p *Principal, header string) error {
	header = strings.TrimSpace(header)
	if header == "" || header == p.TenantID {
		p.ActingTenant = p.TenantID
		return nil
	}
	if p.Role == iam.RolePlatformAdmin {
		p.ActingTenant = header
		return nil
	}
	return platform.Problem("AUTH-005", "X-Tenant-ID does not match the tenant of the access token.")
}

// Require checks that the principal holds a permission.
func Require(permission string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := PrincipalOf(c)
			if p == nil {
				return platform.Problem("AUTH-001", "Authentication required.")
			}
			if permission != Authenticated && !iam.Has(p.Permissions, permission) {
				return platform.Problem("AUTH-006", "This operation requires the '"+permission+"' permission.")
			}
			return next(c)
		}
	}
}

// RequirePlatformAdmin admits only platform administrators.
func RequirePlatformAdmin() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := PrincipalOf(c); p == nil || p.Role != iam.RolePlatformAdmin {
				return platform.Problem("AUTH-006", "Only platform administrators may do this.")
			}
			return next(c)
		}
	}
}

// Middleware returns the per-route chain for a permission: nothing for public
// routes, authentication and the permission check otherwise.
func (a *Authenticator) Middleware(permission string) []echo.MiddlewareFunc {
	if permission == Public {
		return nil
	}
	return []echo.MiddlewareFunc{a.Authenticate(), Require(permission)}
}

// SetPrincipal stores a principal on a request (for routes that authenticate
// by other means, such as the live stream's first message).
func SetPrincipal(c echo.Context, p *Principal) { c.Set(principalKey, p) }
