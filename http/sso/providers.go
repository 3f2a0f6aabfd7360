package sso

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmdsso "github.com/astrabastion/astra/commands/sso"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmsso "github.com/astrabastion/astra/projections/sso"
)

func (a *API) listProviders(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[SsoProvider], error) {
		ps, err := a.Queries.ListProviders(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, p)
		return projections.MapPage(ps, func(x rmsso.Provider) SsoProvider { return view(&x) }), err
	})
}

func providerID(c echo.Context) (string, error) {
	id := c.Param("id")
	if uuid.Validate(id) != nil {
		return "", iam.ErrSsoProviderNotFound
	}
	return id, nil
}

func (a *API) getProvider(c echo.Context) error {
	id, err := providerID(c)
	if err != nil {
		return err
	}
	p, err := a.Queries.ProviderByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return err
	}
	if p == nil {
		return iam.ErrSsoProviderNotFound
	}
	writes.ETag(c, p.Version)
	return platform.Respond(c, http.StatusOK, view(p))
}

func (a *API) createProvider(c echo.Context) error {
	var req CreateProviderRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	p := auth.PrincipalOf(c)
	if err := a.actingTenantExists(c, p); err != nil {
		return err
	}
	if err := a.mayProvision(c, req.DefaultRole); err != nil {
		return err
	}
	enabled := req.Enabled == nil || *req.Enabled
	id, evs, err := a.Commands.ConfigureProvider(c.Request().Context(), writes.Metadata(c), cmdsso.ConfigureProvider{
		TenantID: p.ActingTenant, ClientSecret: req.ClientSecret,
		Settings: iam.SsoSettings{Name: req.Name, IssuerURL: req.IssuerURL, ClientID: req.ClientID, Scopes: req.Scopes,
			AllowedDomains: req.AllowedDomains, DefaultRole: req.DefaultRole, Enabled: enabled}})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/iam/sso/providers/"+id)
	at := time.Now()
	if len(evs) > 0 {
		at = evs[len(evs)-1].Time
	}
	return a.answer(c, id, a.Writes.Await(c, evs, rmsso.Name), at, http.StatusCreated)
}

// actingTenantExists refuses a platform admin's write into a tenant that
// does not exist (X-Tenant-ID is not checked against the tenants otherwise).
func (a *API) actingTenantExists(c echo.Context, p *auth.Principal) error {
	if p.ActingTenant == p.TenantID {
		return nil
	}
	if uuid.Validate(p.ActingTenant) != nil {
		return iam.ErrTenantNotFound
	}
	id, err := a.Queries.TenantIDByRef(c.Request().Context(), p.ActingTenant)
	if err != nil {
		return err
	}
	if id == "" {
		return iam.ErrTenantNotFound
	}
	return nil
}

func (a *API) updateProvider(c echo.Context) error {
	id, expected, err := writes.Versioned(c, providerID)
	if err != nil {
		return err
	}
	var req UpdateProviderRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	current, err := a.Queries.ProviderByID(c.Request().Context(), auth.PrincipalOf(c).ActingTenant, id)
	if err != nil {
		return err
	}
	if current == nil {
		return iam.ErrSsoProviderNotFound
	}
	role := current.DefaultRole
	if req.DefaultRole != nil {
		role = *req.DefaultRole
	}
	if err := a.mayProvision(c, role); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateProvider(c.Request().Context(), writes.Metadata(c), cmdsso.UpdateProvider{ID: id, Expected: expected,
		Change: iam.SsoChange{Name: req.Name, IssuerURL: req.IssuerURL, ClientID: req.ClientID, Scopes: req.Scopes,
			AllowedDomains: req.AllowedDomains, DefaultRole: req.DefaultRole, Enabled: req.Enabled},
		Secret: req.ClientSecret})
	if err != nil {
		return err
	}
	at := time.Now()
	if len(evs) > 0 {
		at = evs[len(evs)-1].Time
	}
	return a.answer(c, id, a.Writes.Await(c, evs, rmsso.Name), at, http.StatusOK)
}

func (a *API) removeProvider(c echo.Context) error {
	id, expected, err := writes.Versioned(c, providerID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RemoveProvider(c.Request().Context(), writes.Metadata(c), cmdsso.RemoveProvider{ID: id, Expected: expected})
	if err != nil && len(evs) == 0 {
		return err
	}
	if err != nil {
		// Removed, but the key could not be shredded now: the answer stays a
		// success (the removal is recorded) and the failure is logged.
		platform.Logger(c).Error("sso provider removed but its secret was not shredded", "provider", id, "err", err)
	}
	a.Writes.Await(c, evs, rmsso.Name)
	return c.NoContent(http.StatusNoContent)
}

// answer answers with the provider as the read model has it now, when the
// caller's wait for it succeeded (awaited); otherwise from its stream, with
// at (the write's time) as its timestamps.
func (a *API) answer(c echo.Context, id string, awaited bool, at time.Time, status int) error {
	ctx := c.Request().Context()
	var out SsoProvider
	if awaited {
		p, err := a.Queries.ProviderByID(ctx, auth.PrincipalOf(c).ActingTenant, id)
		if err != nil {
			return err
		}
		if p != nil {
			out = view(p)
		}
	}
	if out.ID == "" {
		// Past the read-your-writes bound: answer from the stream itself.
		st, err := a.Commands.LoadProvider(ctx, id)
		if err != nil {
			return err
		}
		out = view(&rmsso.Provider{ID: st.ID, TenantID: st.TenantID, Name: st.Settings.Name, IssuerURL: st.Settings.IssuerURL,
			ClientID: st.Settings.ClientID, SealedSecret: st.ClientSecret, Scopes: st.Settings.Scopes,
			AllowedDomains: st.Settings.AllowedDomains, DefaultRole: st.Settings.DefaultRole, Enabled: st.Settings.Enabled,
			Version: st.Version, CreatedAt: at, UpdatedAt: at})
	}
	writes.ETag(c, out.Version)
	return platform.Respond(c, status, out)
}

// mayProvision refuses a default_role the actor could not grant itself:
// users provisioned at their first sign-in get that role, so configuring it
// is granting it (every permission of the role must be held by the actor).
func (a *API) mayProvision(c echo.Context, role string) error {
	if role == "" {
		return nil
	}
	p := auth.PrincipalOf(c)
	r, err := a.Users.RoleByID(c.Request().Context(), p.ActingTenant, role)
	if err != nil || r == nil {
		return err // an unknown role is refused by the provider's own validation
	}
	if missing := iam.Missing(r.Permissions, p.Permissions); len(missing) > 0 {
		return platform.Problem("AUTH-006", "You cannot make '"+r.Name+"' the default role: it carries permissions you do not hold: "+
			strings.Join(missing, ", ")+".").
			WithFields(platform.FieldError{Field: "default_role", Message: "carries permissions you do not hold: " + strings.Join(missing, ", ")})
	}
	return nil
}
