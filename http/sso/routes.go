// Package sso serves single sign-on over HTTP: the tenant's OpenID Connect
// identity providers (/iam/sso/providers) and the authorization-code sign-in
// with PKCE (/auth/sso/{tenant}/login and /auth/sso/callback).
package sso

import (
	"context"
	"net/http"
	"time"

	cmdsso "github.com/astrabastion/astra/commands/sso"
	"github.com/astrabastion/astra/http/auth"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rmiam "github.com/astrabastion/astra/projections/iam"
	rmsso "github.com/astrabastion/astra/projections/sso"
)

// API serves the SSO routes.
type API struct {
	Commands *cmdsso.Handlers
	Queries  *rmsso.Queries
	// Users finds accounts by address and resolves permissions for tokens.
	Users *rmiam.Queries

	Signer *auth.Signer
	Writes *writes.Kit
	States LoginStore
	RP     *RelyingParty
	// PublicURL is the externally visible base URL (ASTRA_PUBLIC_URL) that
	// the callback is registered under; empty: no sign-in starts (SSO-012).
	PublicURL string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// CreateProviderRequest is the body of POST /iam/sso/providers.
type CreateProviderRequest struct {
	Name      string `json:"name" validate:"required,max=100"`
	IssuerURL string `json:"issuer_url" validate:"required,max=2048"`
	ClientID  string `json:"client_id" validate:"required,max=255"`
	// ClientSecret is stored sealed and never returned; omit it for a public client (PKCE only).
	ClientSecret   string   `json:"client_secret,omitempty" validate:"omitempty,max=1024"`
	Scopes         []string `json:"scopes,omitempty" validate:"omitempty,max=20,dive,max=128"`
	AllowedDomains []string `json:"allowed_domains,omitempty" validate:"omitempty,max=50,dive,max=253"`
	// DefaultRole provisions unknown users at their first sign-in with this role; empty: no provisioning.
	DefaultRole string `json:"default_role,omitempty" validate:"omitempty,max=64"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
}

// UpdateProviderRequest is the body of PATCH /iam/sso/providers/{id}; absent
// fields stay. default_role "" turns provisioning off; client_secret rotates
// the secret ("" makes the client public).
type UpdateProviderRequest struct {
	Name           *string   `json:"name,omitempty" validate:"omitempty,max=100"`
	IssuerURL      *string   `json:"issuer_url,omitempty" validate:"omitempty,max=2048"`
	ClientID       *string   `json:"client_id,omitempty" validate:"omitempty,max=255"`
	ClientSecret   *string   `json:"client_secret,omitempty" validate:"omitempty,max=1024"`
	Scopes         *[]string `json:"scopes,omitempty" validate:"omitempty,max=20,dive,max=128"`
	AllowedDomains *[]string `json:"allowed_domains,omitempty" validate:"omitempty,max=50,dive,max=253"`
	DefaultRole    *string   `json:"default_role,omitempty" validate:"omitempty,max=64"`
	Enabled        *bool     `json:"enabled,omitempty"`
}

// SsoProvider is a provider as the API shows it: never its secret, only
// whether one is set.
type SsoProvider struct {
	ID              string    `json:"id"`
	TenantID        string    `json:"tenant_id"`
	Name            string    `json:"name"`
	IssuerURL       string    `json:"issuer_url"`
	ClientID        string    `json:"client_id"`
	ClientSecretSet bool      `json:"client_secret_set"`
	Scopes          []string  `json:"scopes"`
	AllowedDomains  []string  `json:"allowed_domains"`
	DefaultRole     string    `json:"default_role"`
	Enabled         bool      `json:"enabled"`
	LoginURL        string    `json:"login_url"`
	Version         int64     `json:"version"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func view(p *rmsso.Provider) SsoProvider {
	return SsoProvider{ID: p.ID, TenantID: p.TenantID, Name: p.Name, IssuerURL: p.IssuerURL, ClientID: p.ClientID,
		ClientSecretSet: p.SealedSecret != "", Scopes: p.Scopes, AllowedDomains: p.AllowedDomains, DefaultRole: p.DefaultRole,
		Enabled: p.Enabled, LoginURL: "/api/v1/auth/sso/" + p.TenantID + "/login?provider=" + p.ID, Version: p.Version,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// LoginRedirect is the body of the 302 that starts a sign-in (for clients
// that read the target instead of following Location).
type LoginRedirect struct {
	AuthorizationURL string    `json:"authorization_url"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// Routes declares the SSO routes. Reading the configuration needs iam:read
// (auditors read everything); changing it needs iam:admin.
func (a *API) Routes() []platform.Route {
	versioned := append([]platform.Param{platform.IfMatch}, platform.WriteHeaders...)
	return []platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/iam/sso/providers", OperationID: "listSsoProviders", Tag: "iam",
			Summary: "List the tenant's OIDC identity providers", Permission: "iam:read", Response: SsoProvider{}, List: true,
			Handler: a.listProviders, Headers: platform.ReadHeaders},
		{Method: http.MethodPost, Path: "/api/v1/iam/sso/providers", OperationID: "createSsoProvider", Tag: "iam",
			Summary: "Configure an OIDC identity provider (client secret stored encrypted, never returned)", Permission: "iam:admin",
			Request: CreateProviderRequest{}, Response: SsoProvider{}, Status: http.StatusCreated, Handler: a.createProvider,
			Headers: platform.WriteHeaders, Errors: []int{404, 422}},
		{Method: http.MethodGet, Path: "/api/v1/iam/sso/providers/:id", OperationID: "getSsoProvider", Tag: "iam",
			Summary: "Read an OIDC identity provider", Permission: "iam:read", Response: SsoProvider{}, Handler: a.getProvider,
			Headers: platform.ReadHeaders, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/iam/sso/providers/:id", OperationID: "updateSsoProvider", Tag: "iam",
			Summary: "Update an OIDC identity provider or rotate its client secret", Permission: "iam:admin",
			Request: UpdateProviderRequest{}, Response: SsoProvider{}, Handler: a.updateProvider,
			Headers: versioned, Errors: []int{404, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/iam/sso/providers/:id", OperationID: "removeSsoProvider", Tag: "iam",
			Summary: "Remove an OIDC identity provider (its secret is shredded)", Permission: "iam:admin",
			Status: http.StatusNoContent, Handler: a.removeProvider,
			Headers: versioned, Errors: []int{404, 412}},

		{Method: http.MethodGet, Path: "/api/v1/auth/sso/:tenant/login", OperationID: "ssoLogin", Tag: "auth",
			Summary:    "Start an OIDC sign-in (authorization code with PKCE): 302 to the tenant's identity provider; {tenant} is the tenant id or name",
			Permission: auth.Public, Response: LoginRedirect{}, Status: http.StatusFound, Handler: a.login,
			Query:  []platform.Param{{Name: "provider", Description: "Provider id, when the tenant has several enabled providers.", Schema: "string"}},
			Errors: []int{404, 409, 502, 503}},
		{Method: http.MethodGet, Path: "/api/v1/auth/sso/callback", OperationID: "ssoCallback", Tag: "auth",
			Summary:    "Complete an OIDC sign-in: redeem the code, verify the ID token, answer tokens like /auth/login",
			Permission: auth.Public, Response: httpiam.TokenResponse{}, Handler: a.callback,
			Query: []platform.Param{{Name: "state", Schema: "string"}, {Name: "code", Schema: "string"},
				{Name: "error", Schema: "string"}, {Name: "error_description", Schema: "string"}},
			Errors: []int{404, 409, 502}},
	}
}

// StateTTL is how long a started sign-in may take to come back.
const StateTTL = 10 * time.Minute

// LoginState is what the callback needs of the login that sent the browser
// away (see projections/sso.LoginState).
type LoginState = rmsso.LoginState

// LoginStore keeps logins in flight where every instance finds them
// (projections/sso.LoginStates, in Postgres).
type LoginStore interface {
	// Save records a login in flight.
	Save(ctx context.Context, state string, st LoginState) error
	// Consume takes a login state exactly once; nil means unknown, used or expired.
	Consume(ctx context.Context, state string, now time.Time) (*LoginState, error)
}
