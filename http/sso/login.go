package sso

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	cmdsso "github.com/astrabastion/astra/commands/sso"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/http/platform"
	rmiam "github.com/astrabastion/astra/projections/iam"
	rmsso "github.com/astrabastion/astra/projections/sso"
)

// CallbackPath is the redirect URI path to register at the identity provider.
const CallbackPath = "/api/v1/auth/sso/callback"

func unavailable() error {
	return platform.Problem("SSO-004", "Single sign-on is not available for this tenant.")
}

// login starts a sign-in: it picks the tenant's enabled provider (or the one
// named by ?provider=), records the state, nonce and PKCE verifier, and sends
// the browser to the provider's authorization endpoint.
func (a *API) login(c echo.Context) error {
	ctx := c.Request().Context()
	redirect, err := a.callbackURL()
	if err != nil {
		return err
	}
	ref := c.Param("tenant")
	if ref == "" || len(ref) > 100 {
		return unavailable()
	}
	tenantID, err := a.Queries.TenantIDByRef(ctx, ref)
	if err != nil {
		return err
	}
	if tenantID == "" {
		return unavailable()
	}
	prov, err := a.pickProvider(c, tenantID)
	if err != nil {
		return err
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	target, err := a.RP.AuthorizationURL(ctx, Client{Issuer: prov.IssuerURL, ClientID: prov.ClientID, Scopes: prov.Scopes,
		RedirectURI: redirect}, state, nonce, verifier)
	if err != nil {
		platform.Logger(c).Warn("sso: identity provider unavailable", "provider", prov.ID, "err", err)
		return err
	}
	exp := a.now().Add(StateTTL).UTC().Truncate(time.Second)
	if err := a.States.Save(ctx, state, LoginState{TenantID: tenantID, ProviderID: prov.ID, Verifier: verifier, Nonce: nonce,
		RedirectURI: redirect, ExpiresAt: exp}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set(echo.HeaderLocation, target)
	return platform.Respond(c, http.StatusFound, LoginRedirect{AuthorizationURL: target, ExpiresAt: exp})
}

func (a *API) pickProvider(c echo.Context, tenantID string) (*rmsso.Provider, error) {
	ctx := c.Request().Context()
	if id := c.QueryParam("provider"); id != "" {
		if uuid.Validate(id) != nil {
			return nil, unavailable()
		}
		p, err := a.Queries.ProviderByID(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		if p == nil || !p.Enabled {
			return nil, unavailable()
		}
		return p, nil
	}
	ps, err := a.Queries.EnabledProviders(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	switch len(ps) {
	case 0:
		return nil, unavailable()
	case 1:
		return &ps[0], nil
	}
	return nil, platform.Problem("SSO-005", "This tenant has several identity providers: choose one with ?provider=<id>.")
}

// callbackURL is the redirect URI, under ASTRA_PUBLIC_URL. Without it no
// sign-in starts: a redirect URI built from the request's Host header would
// let whoever controls that header choose where the identity provider sends
// the authorization code (whenever the provider's registration is lax).
func (a *API) callbackURL() (string, error) {
	if a.PublicURL == "" {
		return "", platform.Problem("SSO-012", "Single sign-on needs the installation's public URL: the administrator sets ASTRA_PUBLIC_URL "+
			"(the redirect URI to register is <ASTRA_PUBLIC_URL>"+CallbackPath+").")
	}
	return strings.TrimSuffix(a.PublicURL, "/") + CallbackPath, nil
}

// oauthError is the shape of an RFC 6749 error code, the only part of an
// identity provider's error that is repeated to the client.
var oauthError = regexp.MustCompile(`^[a-z_]{1,64}$`)

// callback completes a sign-in. The state is consumed first, whatever
// happens next: a callback can be answered once.
func (a *API) callback(c echo.Context) error {
	ctx := c.Request().Context()
	c.Response().Header().Set("Cache-Control", "no-store")
	state := c.QueryParam("state")
	if state == "" || len(state) > 256 {
		return platform.Problem("SSO-006", "The sign-in state is missing or malformed; start the sign-in again.")
	}
	st, err := a.States.Consume(ctx, state, a.now())
	if err != nil {
		return err
	}
	if st == nil {
		return platform.Problem("SSO-006", "The sign-in state is unknown, already used or expired; start the sign-in again.")
	}
	if e := c.QueryParam("error"); e != "" {
		detail := "The identity provider refused the sign-in"
		if oauthError.MatchString(e) {
			detail += " (" + e + ")"
		}
		return platform.Problem("SSO-007", detail+".")
	}
	code := c.QueryParam("code")
	if code == "" || len(code) > 2048 {
		return platform.Problem("SSO-007", "The identity provider sent no authorization code.")
	}
	prov, err := a.Queries.ProviderByID(ctx, st.TenantID, st.ProviderID)
	if err != nil {
		return err
	}
	if prov == nil || !prov.Enabled {
		return unavailable() // removed or disabled since the sign-in started
	}
	secret, err := a.Commands.ClientSecret(ctx, prov.SealedSecret)
	if err != nil {
		return unavailable()
	}
	id, err := a.RP.Exchange(ctx, Client{Issuer: prov.IssuerURL, ClientID: prov.ClientID, ClientSecret: secret, Scopes: prov.Scopes,
		RedirectURI: st.RedirectURI}, code, st.Verifier, st.Nonce)
	if err != nil {
		platform.Logger(c).Warn("sso: sign-in not verified", "provider", prov.ID, "err", err)
		return err
	}
	existing, err := a.account(c, prov.TenantID, id.Email)
	if err != nil {
		return err
	}
	res, err := a.Commands.CompleteLogin(ctx, cmdsso.CompleteLogin{ProviderID: prov.ID, Identity: id, Existing: existing,
		Now: a.now(), Correlation: platform.RequestID(c)})
	if err != nil {
		return err
	}
	// The session (and a provisioned user) are listed at once, like a password login's.
	a.Writes.Await(c, res.Events, rmiam.Name)
	return a.tokens(c, res)
}

// account finds the account holding an address in the provider's tenant
// (addresses are unique per tenant; another tenant's user with the same
// address is another person's account).
func (a *API) account(c echo.Context, tenantID, email string) (*iam.SsoAccount, error) {
	norm, err := iam.NormalizeEmail(email)
	if err != nil {
		return nil, nil // the decision refuses the address
	}
	creds, err := a.Users.CredentialsByEmail(c.Request().Context(), norm, tenantID, 1)
	if err != nil || len(creds) == 0 {
		return nil, err
	}
	cred := creds[0]
	return &iam.SsoAccount{UserID: cred.ID, TenantID: cred.TenantID, Status: cred.Status, Roles: append([]string{cred.Role}, cred.Roles...)}, nil
}

// tokens issues the access token the way a password login does and answers
// the same body.
func (a *API) tokens(c echo.Context, res *cmdsso.LoginResult) error {
	ctx := c.Request().Context()
	u, err := a.Users.UserByID(ctx, res.TenantID, res.UserID)
	if err != nil {
		return err
	}
	if u == nil { // past the read-your-writes bound: a provisioned user has one role
		u = &rmiam.User{ID: res.UserID, TenantID: res.TenantID, Email: res.Email, Role: res.Role, Roles: []string{res.Role}}
	}
	roles := u.Roles
	if len(roles) == 0 {
		roles = []string{u.Role}
	}
	perms, err := a.Users.PermissionsOf(ctx, u.TenantID, roles)
	if err != nil {
		return err
	}
	access, _, err := a.Signer.Issue(auth.Principal{Subject: u.ID, TenantID: u.TenantID, Role: u.Role, Permissions: perms,
		SessionID: res.Session.ID})
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, httpiam.TokenResponse{AccessToken: access, RefreshToken: res.Session.RefreshToken,
		TokenType: "Bearer", ExpiresIn: int(auth.AccessTTL.Seconds()),
		User: httpiam.TokenUser{ID: u.ID, Email: u.Email, Role: u.Role, TenantID: u.TenantID}})
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
