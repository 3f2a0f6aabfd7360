package auth

import (
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

// Authenticate resolves the bearer token into a principal (else 401) and the
// tenant the request acts in: X-Tenant-ID must be the token's tenant, except
// for a platform admin, who may act in another tenant.
func (s *Signer) Authenticate() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			header := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, token, ok := strings.Cut(header, " ")
			if header == "" {
				return platform.Problem("AUTH-001", "Send an access token as 'Authorization: Bearer <token>'.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra"`)
			}
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				return platform.Problem("AUTH-002", "The Authorization header is not a bearer token.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
			}
			p, err := s.Verify(token)
			switch {
			case errors.Is(err, ErrTokenExpired):
				return platform.Problem("AUTH-003", "The access token has expired; refresh it.").
					WithHeader("WWW-Authenticate", `Bearer realm="astra", error="invalid_token"`)
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
func (s *Signer) Middleware(permission string) []echo.MiddlewareFunc {
	if permission == Public {
		return nil
	}
	return []echo.MiddlewareFunc{s.Authenticate(), Require(permission)}
}
