package iam

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/astrabastion/astra/domain/events"
)

// Event types of single sign-on: a tenant's OpenID Connect identity
// providers. Each provider has its own stream (StreamOfSsoProvider).
var (
	SsoProviderConfigured = events.Type{Module: "iam", Name: "SsoProviderConfigured", New: func() any { return &SsoProviderConfiguredV1{} }}
	SsoProviderUpdated    = events.Type{Module: "iam", Name: "SsoProviderUpdated", New: func() any { return &SsoProviderUpdatedV1{} }}
	SsoProviderRemoved    = events.Type{Module: "iam", Name: "SsoProviderRemoved", New: func() any { return &SsoProviderRemovedV1{} }}
)

func init() { events.Register(SsoProviderConfigured, SsoProviderUpdated, SsoProviderRemoved) }

// SsoProviderConfiguredV1 records a tenant's new OIDC identity provider.
// ClientSecret is sealed under the provider's own data key (subject = the
// provider id), so that removing the provider can shred it; it is empty for a
// public client that relies on PKCE alone.
type SsoProviderConfiguredV1 struct {
	ProviderID     string   `json:"provider_id"`
	TenantID       string   `json:"tenant_id"`
	Name           string   `json:"name"`
	IssuerURL      string   `json:"issuer_url"`
	ClientID       string   `json:"client_id"`
	ClientSecret   string   `json:"client_secret,omitempty"`
	Scopes         []string `json:"scopes"`
	AllowedDomains []string `json:"allowed_domains"`
	// DefaultRole is given to users provisioned just in time at their first
	// sign-in; empty means no provisioning (only existing users may sign in).
	DefaultRole string `json:"default_role,omitempty"`
	Enabled     bool   `json:"enabled"`
}

// SsoProviderUpdatedV1 records changed provider settings; nil fields did not
// change. ClientSecret, when set, is the new sealed secret.
type SsoProviderUpdatedV1 struct {
	ProviderID     string    `json:"provider_id"`
	Name           *string   `json:"name,omitempty"`
	IssuerURL      *string   `json:"issuer_url,omitempty"`
	ClientID       *string   `json:"client_id,omitempty"`
	ClientSecret   *string   `json:"client_secret,omitempty"`
	Scopes         *[]string `json:"scopes,omitempty"`
	AllowedDomains *[]string `json:"allowed_domains,omitempty"`
	DefaultRole    *string   `json:"default_role,omitempty"`
	Enabled        *bool     `json:"enabled,omitempty"`
}

// SsoProviderRemovedV1 records a provider's removal; its secret's data key is
// destroyed with it.
type SsoProviderRemovedV1 struct {
	ProviderID string `json:"provider_id"`
}

// SSO errors, mapped to problem+json at the HTTP edge.
var (
	ErrSsoProviderNotFound = errors.New("iam: sso provider not found")
	ErrSsoProviderDisabled = errors.New("iam: sso provider disabled")
	ErrSsoEmailMissing     = errors.New("iam: identity provider sent no usable e-mail address")
	ErrSsoEmailUnverified  = errors.New("iam: identity provider says the e-mail address is not verified")
	ErrSsoDomainNotAllowed = errors.New("iam: e-mail domain not allowed for this provider")
	ErrSsoNoAccount        = errors.New("iam: no active account for this identity in the tenant")
)

// SsoSettingsError reports an invalid provider setting.
type SsoSettingsError struct {
	Field   string
	Message string
}

func (e *SsoSettingsError) Error() string {
	return "iam: invalid provider setting '" + e.Field + "': " + e.Message + "."
}

// ErrSsoSettingsInvalid is what every SsoSettingsError is (errors.Is).
var ErrSsoSettingsInvalid = errors.New("iam: invalid provider setting")

// Unwrap makes the error an ErrSsoSettingsInvalid.
func (e *SsoSettingsError) Unwrap() error { return ErrSsoSettingsInvalid }

// InputField names the setting for the problem's errors[].
func (e *SsoSettingsError) InputField() (string, string) { return e.Field, e.Message }

// SsoSettings are a provider's settings.
type SsoSettings struct {
	Name           string
	IssuerURL      string
	ClientID       string
	Scopes         []string
	AllowedDomains []string
	DefaultRole    string
	Enabled        bool
}

// Limits of provider settings.
const (
	MaxSsoScopes  = 20
	MaxSsoDomains = 50
)

// DefaultSsoScopes are requested when a provider names none.
var DefaultSsoScopes = []string{"openid", "email", "profile"}

var (
	// RFC 6749 §3.3 scope-token characters.
	scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,128}$`)
	// A DNS name of at least two labels.
	domainName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// NormalizeSsoSettings validates settings and returns them in canonical form:
// trimmed name and client id, "openid" first among de-duplicated scopes,
// lower-cased de-duplicated domains. Provisioning users just in time needs
// an allow-list of domains (otherwise anyone the identity provider knows,
// e.g. any account of a public IdP, would become a user of the tenant) and can
// never grant platform administration.
func NormalizeSsoSettings(s SsoSettings) (SsoSettings, error) {
	out := s
	out.Name = strings.TrimSpace(s.Name)
	if n := utf8.RuneCountInString(out.Name); n < 1 || n > 100 {
		return s, &SsoSettingsError{"name", "must have 1 to 100 characters"}
	}
	issuer, err := ValidateIssuerURL(s.IssuerURL)
	if err != nil {
		return s, err
	}
	out.IssuerURL = issuer
	out.ClientID = strings.TrimSpace(s.ClientID)
	if out.ClientID == "" || len(out.ClientID) > 255 || strings.ContainsFunc(out.ClientID, isControl) {
		return s, &SsoSettingsError{"client_id", "must have 1 to 255 printable characters"}
	}
	if out.Scopes, err = normalizeScopes(s.Scopes); err != nil {
		return s, err
	}
	if out.AllowedDomains, err = normalizeDomains(s.AllowedDomains); err != nil {
		return s, err
	}
	if out.DefaultRole != "" {
		if !IsBuiltinRole(out.DefaultRole) || out.DefaultRole == RolePlatformAdmin {
			return s, &SsoSettingsError{"default_role", "must be a built-in role other than platform_admin, or empty to turn provisioning off"}
		}
		if len(out.AllowedDomains) == 0 {
			return s, &SsoSettingsError{"allowed_domains", "are required when default_role provisions users just in time"}
		}
	}
	return out, nil
}

// ValidateIssuerURL checks the syntax of an issuer: an absolute https URL
// without credentials, query or fragment (OIDC Discovery §3). It is kept
// byte for byte, since the ID token's iss must equal it exactly. Whether its
// host may be reached is a network question, answered outside the domain.
func ValidateIssuerURL(raw string) (string, error) {
	bad := func(msg string) error { return &SsoSettingsError{"issuer_url", msg} }
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2048 {
		return "", bad("must be an https URL of at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", bad("must be an absolute https URL")
	}
	switch {
	case u.Scheme != "https":
		return "", bad("must use https")
	case u.User != nil:
		return "", bad("must not contain credentials")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return "", bad("must not have a query or a fragment")
	}
	return raw, nil
}

func normalizeScopes(in []string) ([]string, error) {
	if len(in) == 0 {
		return slices.Clone(DefaultSsoScopes), nil
	}
	out := []string{"openid"}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if !scopeToken.MatchString(s) {
			return nil, &SsoSettingsError{"scopes", "each scope is a non-empty token without spaces, quotes or backslashes"}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > MaxSsoScopes {
		return nil, &SsoSettingsError{"scopes", "at most 20 scopes"}
	}
	return out, nil
}

func normalizeDomains(in []string) ([]string, error) {
	out := []string{}
	for _, d := range in {
		d = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "@")
		if len(d) > 253 || !domainName.MatchString(d) {
			return nil, &SsoSettingsError{"allowed_domains", "each entry is a domain name such as example.com"}
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) > MaxSsoDomains {
		return nil, &SsoSettingsError{"allowed_domains", "at most 50 domains"}
	}
	return out, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// ValidateClientSecret checks a client secret before it is sealed.
func ValidateClientSecret(secret string) error {
	if len(secret) > 1024 || strings.ContainsFunc(secret, isControl) {
		return &SsoSettingsError{"client_secret", "must have at most 1024 printable characters"}
	}
	return nil
}

// SsoProvider is the state of a provider stream, folded from its events.
type SsoProvider struct {
	ID           string
	TenantID     string
	Settings     SsoSettings
	ClientSecret string // sealed; empty for a public client
	Removed      bool
	Version      int64
}

// Configure starts the provider's state from its first event.
func (p *SsoProvider) Configure(ev *SsoProviderConfiguredV1) {
	p.ID, p.TenantID, p.ClientSecret = ev.ProviderID, ev.TenantID, ev.ClientSecret
	p.Settings = SsoSettings{Name: ev.Name, IssuerURL: ev.IssuerURL, ClientID: ev.ClientID, Scopes: ev.Scopes,
		AllowedDomains: ev.AllowedDomains, DefaultRole: ev.DefaultRole, Enabled: ev.Enabled}
}

// Update applies a settings change (and a rotated client secret).
func (p *SsoProvider) Update(ev *SsoProviderUpdatedV1) {
	p.Settings = ev.applyTo(p.Settings)
	if ev.ClientSecret != nil {
		p.ClientSecret = *ev.ClientSecret
	}
}

func (ev *SsoProviderUpdatedV1) applyTo(s SsoSettings) SsoSettings {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.Name, ev.Name)
	set(&s.IssuerURL, ev.IssuerURL)
	set(&s.ClientID, ev.ClientID)
	set(&s.DefaultRole, ev.DefaultRole)
	if ev.Scopes != nil {
		s.Scopes = *ev.Scopes
	}
	if ev.AllowedDomains != nil {
		s.AllowedDomains = *ev.AllowedDomains
	}
	if ev.Enabled != nil {
		s.Enabled = *ev.Enabled
	}
	return s
}

// SsoChange is a requested change of provider settings; nil fields stay.
type SsoChange struct {
	Name           *string
	IssuerURL      *string
	ClientID       *string
	Scopes         *[]string
	AllowedDomains *[]string
	DefaultRole    *string
	Enabled        *bool
}

// DecideSsoUpdate validates a change against the provider's state: the
// settings after the change must be valid as a whole (turning provisioning on
// needs allowed domains that may have been set before). The event it returns
// carries no secret: the handler seals a new one.
func DecideSsoUpdate(p SsoProvider, c SsoChange) (*SsoProviderUpdatedV1, error) {
	if p.Version == 0 || p.Removed {
		return nil, ErrSsoProviderNotFound
	}
	ev := &SsoProviderUpdatedV1{ProviderID: p.ID, Name: c.Name, IssuerURL: c.IssuerURL, ClientID: c.ClientID,
		Scopes: c.Scopes, AllowedDomains: c.AllowedDomains, DefaultRole: c.DefaultRole, Enabled: c.Enabled}
	merged, err := NormalizeSsoSettings(ev.applyTo(p.Settings))
	if err != nil {
		return nil, err
	}
	// Record the canonical form of what changed.
	if c.Name != nil {
		ev.Name = &merged.Name
	}
	if c.IssuerURL != nil {
		ev.IssuerURL = &merged.IssuerURL
	}
	if c.ClientID != nil {
		ev.ClientID = &merged.ClientID
	}
	if c.Scopes != nil {
		ev.Scopes = &merged.Scopes
	}
	if c.AllowedDomains != nil {
		ev.AllowedDomains = &merged.AllowedDomains
	}
	return ev, nil
}

// DecideSsoRemove validates a removal.
func DecideSsoRemove(p SsoProvider) (*SsoProviderRemovedV1, error) {
	if p.Version == 0 || p.Removed {
		return nil, ErrSsoProviderNotFound
	}
	return &SsoProviderRemovedV1{ProviderID: p.ID}, nil
}

// SsoIdentity is what a verified ID token says about the person signing in.
type SsoIdentity struct {
	Subject string
	Email   string
	// EmailVerified is nil when the identity provider does not send the claim.
	EmailVerified *bool
	Name          string
}

// SsoAccount is the account that already holds the identity's e-mail
// address in the provider's tenant (addresses are unique per tenant).
type SsoAccount struct {
	UserID   string
	TenantID string
	Status   string
	Roles    []string
}

// SsoLoginDecision says who signs in: an existing user, or a user to
// provision with Role.
type SsoLoginDecision struct {
	UserID    string // empty when Provision
	Provision bool
	Role      string
	Email     string // normalized
}

// DecideSsoLogin decides a sign-in through provider p by a verified
// identity: the address must be present, verified when the provider says
// whether it is, and in an allowed domain; an active user of the provider's
// tenant signs in; without one, a user is provisioned only when the
// provider has a default role. An address held in another tenant is refused
// exactly like an unknown one, so that sign-in attempts reveal nothing about
// other tenants. A platform administrator never signs in through a tenant's
// identity provider: whoever administers the tenant's IdP could otherwise
// assert the address and become one (the same rule that keeps them from
// changing a platform administrator's account).
func DecideSsoLogin(p SsoProvider, id SsoIdentity, existing *SsoAccount) (SsoLoginDecision, error) {
	if p.Version == 0 || p.Removed {
		return SsoLoginDecision{}, ErrSsoProviderNotFound
	}
	if !p.Settings.Enabled {
		return SsoLoginDecision{}, ErrSsoProviderDisabled
	}
	email, err := NormalizeEmail(id.Email)
	if err != nil || id.Email == "" {
		return SsoLoginDecision{}, ErrSsoEmailMissing
	}
	if id.EmailVerified != nil && !*id.EmailVerified {
		return SsoLoginDecision{}, ErrSsoEmailUnverified
	}
	if !EmailDomainAllowed(email, p.Settings.AllowedDomains) {
		return SsoLoginDecision{}, ErrSsoDomainNotAllowed
	}
	if existing != nil {
		if existing.TenantID != p.TenantID || existing.Status != StatusActive || slices.Contains(existing.Roles, RolePlatformAdmin) {
			return SsoLoginDecision{}, ErrSsoNoAccount
		}
		return SsoLoginDecision{UserID: existing.UserID, Email: email}, nil
	}
	if p.Settings.DefaultRole == "" {
		return SsoLoginDecision{}, ErrSsoNoAccount
	}
	return SsoLoginDecision{Provision: true, Role: p.Settings.DefaultRole, Email: email}, nil
}

// EmailDomainAllowed reports whether a normalized address is in one of the
// domains (exactly: sub-domains are separate entries); no domains allow all.
func EmailDomainAllowed(email string, domains []string) bool {
	if len(domains) == 0 {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	return slices.Contains(domains, email[at+1:])
}

// StreamOfSsoProvider names a provider's stream.
func StreamOfSsoProvider(id string) string { return "iam.sso-provider-" + id }
