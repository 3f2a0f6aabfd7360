package auth

import (
	"context"
	"errors"
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
	// APIKeys resolves an API key; nil disables API keys.
	APIKeys func(ctx context.Context, key string) (*Principal, error)
}

// ErrAPIKeyInvalid reports an unknown, revoked or expired API key.
var ErrAPIKeyInvalid = errors.New("auth: api key invalid")

// Principal resolves a credential (a bearer token or an API key) into a principal.
func (a *Authenticator) Principal(ctx context.Context, credential string) (*Principal, error) {
	if strings.HasPrefix(credential, APIKeyPrefix) {
		if a.APIKeys == nil {
			return nil, ErrAPIKeyInvalid
		}
		p, err := a.APIKeys(ctx, credential)
		if err != nil || p == nil {
			return nil, ErrAPIKeyInvalid
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
