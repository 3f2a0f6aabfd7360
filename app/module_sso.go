package app

import (
	"context"
	"net/http"

	cmdsso "github.com/astrabastion/astra/commands/sso"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/platform"
	httpsso "github.com/astrabastion/astra/http/sso"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
	rmsso "github.com/astrabastion/astra/projections/sso"
)

// Single sign-on (OIDC): connections per tenant, JIT provisioning.
func init() {
	register(Module{
		Name:  "sso",
		Order: 20,
		Errors: platform.Codes{
			"SSO-001": platform.Entry(http.StatusNotFound, "SSO provider not found", "No OIDC identity provider with that id exists in the tenant."),
			"SSO-002": platform.Entry(http.StatusUnprocessableEntity, "Invalid SSO provider settings", "A provider setting is invalid; `errors[]` names it. Provisioning users just in time (`default_role`) needs `allowed_domains` and a built-in role other than `platform_admin`."),
			"SSO-003": platform.Entry(http.StatusUnprocessableEntity, "Issuer URL not allowed", "The issuer URL is not https, does not resolve, or resolves to a private, loopback, link-local or metadata address. `ASTRA_ALLOW_PRIVATE_URLS` lists the ranges an installation allows."),
			"SSO-004": platform.Entry(http.StatusNotFound, "Single sign-on not available", "The tenant in the sign-in URL is unknown, or has no enabled identity provider (or not the one named by `?provider=`); also when the provider was disabled or removed during the sign-in."),
			"SSO-005": platform.Entry(http.StatusConflict, "Several SSO providers", "The tenant has several enabled identity providers: name one with `?provider=<id>`."),
			"SSO-006": platform.Entry(http.StatusBadRequest, "Invalid SSO state", "The callback's `state` is missing, unknown, already used or expired (10 minutes): start the sign-in again."),
			"SSO-007": platform.Entry(http.StatusUnauthorized, "SSO sign-in failed", "The identity provider refused the sign-in, or the code exchange or the ID token's verification (signature against the provider's JWKS, issuer, audience, expiry, nonce) failed."),
			"SSO-008": platform.Entry(http.StatusForbidden, "E-mail domain not allowed", "The e-mail address's domain is not among the provider's `allowed_domains`."),
			"SSO-009": platform.Entry(http.StatusForbidden, "E-mail not verified", "The identity provider sent no e-mail address, or sent `email_verified: false`."),
			"SSO-010": platform.Entry(http.StatusForbidden, "No account", "No active user of the tenant has this e-mail address and the provider does not provision users (no `default_role`). Platform administrators never sign in through a tenant's identity provider (whoever administers that IdP could assert their address)."),
			"SSO-011": platform.Entry(http.StatusBadGateway, "Identity provider unavailable", "The identity provider could not be reached, is not an allowed destination (checked again at every connection), or its discovery document is unusable."),
			"SSO-012": platform.Entry(http.StatusServiceUnavailable, "Public URL not configured", "Single sign-on cannot start until the administrator sets `ASTRA_PUBLIC_URL`: the redirect URI is never derived from the request's `Host` header."),
		},
		DomainErrors: []platform.DomainError{
			{Err: iam.ErrSsoProviderNotFound, Code: "SSO-001", Detail: "No such SSO provider in this tenant."},
			{Err: iam.ErrSsoSettingsInvalid, Code: "SSO-002"}, // the error names its setting (errors[])
			{Err: cmdsso.ErrIssuerNotAllowed, Code: "SSO-003", Detail: "The issuer URL must be https and must not resolve to a private, loopback, link-local or metadata address.",
				Field: "issuer_url", Message: "not an allowed destination"},
			{Err: cmdsso.ErrProvisionRace, Code: "CON-003", Detail: "Your account was being created by another sign-in; sign in again."},
			{Err: iam.ErrSsoProviderDisabled, Code: "SSO-004", Detail: "Single sign-on is not available for this tenant."},
			{Err: iam.ErrSsoDomainNotAllowed, Code: "SSO-008", Detail: "Your e-mail domain may not sign in through this identity provider."},
			{Err: iam.ErrSsoEmailMissing, Code: "SSO-009", Detail: "The identity provider did not vouch for a verified e-mail address."},
			{Err: iam.ErrSsoEmailUnverified, Code: "SSO-009", Detail: "The identity provider did not vouch for a verified e-mail address."},
			{Err: iam.ErrSsoNoAccount, Code: "SSO-010", Detail: "There is no active account for you in this tenant; ask an administrator."},
			{Err: httpsso.ErrIdPUnavailable, Code: "SSO-011", Detail: "The identity provider could not be reached; try again later."},
			{Err: httpsso.ErrIdPRefused, Code: "SSO-007", Detail: "The sign-in could not be verified with the identity provider; start again."},
			{Err: httpsso.ErrIDTokenInvalid, Code: "SSO-007", Detail: "The sign-in could not be verified with the identity provider; start again."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{&rmsso.Projection{}} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			api, err := newSSO(rt.Cfg, rt.Stack, rt.IAM, rt.Service("iam").(*rmiam.Queries), rt.Signer, rt.Writes)
			if err != nil {
				return nil, err
			}
			return &Parts{Routes: api.Routes()}, nil
		},
	})
}
