package iam_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/astrabastion/astra/domain/iam"
)

func validSettings() iam.SsoSettings {
	return iam.SsoSettings{Name: " Corporate IdP ", IssuerURL: "https://idp.example.com/realms/acme", ClientID: "astra",
		Scopes: []string{"email", "openid", "email"}, AllowedDomains: []string{"@Example.COM", "example.com", "corp.example.org"},
		DefaultRole: iam.RoleViewer, Enabled: true}
}

func TestNormalizeSsoSettings_Canonicalizes(t *testing.T) {
	got, err := iam.NormalizeSsoSettings(validSettings())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Corporate IdP" {
		t.Errorf("name %q", got.Name)
	}
	if !slices.Equal(got.Scopes, []string{"openid", "email"}) {
		t.Errorf("scopes %v, want openid first and no duplicates", got.Scopes)
	}
	if !slices.Equal(got.AllowedDomains, []string{"example.com", "corp.example.org"}) {
		t.Errorf("domains %v", got.AllowedDomains)
	}
	s := validSettings()
	s.Scopes = nil
	if got, _ := iam.NormalizeSsoSettings(s); !slices.Equal(got.Scopes, iam.DefaultSsoScopes) {
		t.Errorf("default scopes %v", got.Scopes)
	}
}

func TestNormalizeSsoSettings_RefusesInvalidSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*iam.SsoSettings)
		field  string
	}{
		{"EmptyName", func(s *iam.SsoSettings) { s.Name = "  " }, "name"},
		{"PlainHTTPIssuer", func(s *iam.SsoSettings) { s.IssuerURL = "http://idp.example.com" }, "issuer_url"},
		{"RelativeIssuer", func(s *iam.SsoSettings) { s.IssuerURL = "/realms/acme" }, "issuer_url"},
		{"IssuerWithCredentials", func(s *iam.SsoSettings) { s.IssuerURL = "https://u:p@idp.example.com" }, "issuer_url"},
		{"IssuerWithQuery", func(s *iam.SsoSettings) { s.IssuerURL = "https://idp.example.com/?tenant=1" }, "issuer_url"},
		{"IssuerWithFragment", func(s *iam.SsoSettings) { s.IssuerURL = "https://idp.example.com/#x" }, "issuer_url"},
		{"EmptyClientID", func(s *iam.SsoSettings) { s.ClientID = "" }, "client_id"},
		{"ClientIDWithNewline", func(s *iam.SsoSettings) { s.ClientID = "a\nb" }, "client_id"},
		{"ScopeWithSpace", func(s *iam.SsoSettings) { s.Scopes = []string{"a b"} }, "scopes"},
		{"ScopeWithQuote", func(s *iam.SsoSettings) { s.Scopes = []string{`a"`} }, "scopes"},
		{"BadDomain", func(s *iam.SsoSettings) { s.AllowedDomains = []string{"not a domain"} }, "allowed_domains"},
		{"SingleLabelDomain", func(s *iam.SsoSettings) { s.AllowedDomains = []string{"localhost"} }, "allowed_domains"},
		{"UnknownDefaultRole", func(s *iam.SsoSettings) { s.DefaultRole = "wizard" }, "default_role"},
		{"PlatformAdminByProvisioning", func(s *iam.SsoSettings) { s.DefaultRole = iam.RolePlatformAdmin }, "default_role"},
		{"ProvisioningWithoutDomains", func(s *iam.SsoSettings) { s.AllowedDomains = nil }, "allowed_domains"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSettings()
			tc.change(&s)
			_, err := iam.NormalizeSsoSettings(s)
			var se *iam.SsoSettingsError
			if !errors.As(err, &se) || se.Field != tc.field {
				t.Fatalf("error %v, want a settings error on %s", err, tc.field)
			}
		})
	}
	s := validSettings()
	s.DefaultRole, s.AllowedDomains = "", nil
	if _, err := iam.NormalizeSsoSettings(s); err != nil {
		t.Fatalf("no provisioning and no domains must be valid: %v", err)
	}
}

func configured(t *testing.T, s iam.SsoSettings) iam.SsoProvider {
	t.Helper()
	n, err := iam.NormalizeSsoSettings(s)
	if err != nil {
		t.Fatal(err)
	}
	p := iam.SsoProvider{Version: 1}
	p.Configure(&iam.SsoProviderConfiguredV1{ProviderID: "p1", TenantID: "t1", Name: n.Name, IssuerURL: n.IssuerURL, ClientID: n.ClientID,
		Scopes: n.Scopes, AllowedDomains: n.AllowedDomains, DefaultRole: n.DefaultRole, Enabled: n.Enabled, ClientSecret: "enc:v1:p1:x"})
	return p
}

func TestDecideSsoUpdate_ValidatesTheMergedSettings(t *testing.T) {
	p := configured(t, validSettings())
	none := []string{}
	if _, err := iam.DecideSsoUpdate(p, iam.SsoChange{AllowedDomains: &none}); err == nil {
		t.Fatal("removing every domain while provisioning is on was accepted")
	}
	off := ""
	ev, err := iam.DecideSsoUpdate(p, iam.SsoChange{AllowedDomains: &none, DefaultRole: &off})
	if err != nil {
		t.Fatalf("turning provisioning off with the domains: %v", err)
	}
	p.Update(ev)
	p.Version++
	if p.Settings.DefaultRole != "" || len(p.Settings.AllowedDomains) != 0 || p.ClientSecret != "enc:v1:p1:x" {
		t.Fatalf("state after update: %+v", p)
	}
	name := "  Renamed "
	ev, err = iam.DecideSsoUpdate(p, iam.SsoChange{Name: &name})
	if err != nil || *ev.Name != "Renamed" || ev.IssuerURL != nil {
		t.Fatalf("rename: %+v %v", ev, err)
	}
	p.Removed = true
	if _, err := iam.DecideSsoUpdate(p, iam.SsoChange{Name: &name}); !errors.Is(err, iam.ErrSsoProviderNotFound) {
		t.Fatalf("update of a removed provider: %v", err)
	}
	if _, err := iam.DecideSsoRemove(p); !errors.Is(err, iam.ErrSsoProviderNotFound) {
		t.Fatalf("second removal: %v", err)
	}
}

func TestDecideSsoLogin(t *testing.T) {
	yes, no := true, false
	jit := configured(t, validSettings())
	s := validSettings()
	s.DefaultRole = ""
	existingOnly := configured(t, s)
	s.Enabled = false
	disabled := configured(t, s)
	active := &iam.SsoAccount{UserID: "u1", TenantID: "t1", Status: iam.StatusActive}
	for _, tc := range []struct {
		name     string
		p        iam.SsoProvider
		id       iam.SsoIdentity
		existing *iam.SsoAccount
		want     error
		provRole string
	}{
		{"ExistingUser", existingOnly, iam.SsoIdentity{Email: "Ann@Example.com", EmailVerified: &yes}, active, nil, ""},
		{"VerifiedClaimAbsent", existingOnly, iam.SsoIdentity{Email: "ann@example.com"}, active, nil, ""},
		{"Unverified", existingOnly, iam.SsoIdentity{Email: "ann@example.com", EmailVerified: &no}, active, iam.ErrSsoEmailUnverified, ""},
		{"NoEmail", existingOnly, iam.SsoIdentity{Subject: "s"}, active, iam.ErrSsoEmailMissing, ""},
		{"OtherDomain", existingOnly, iam.SsoIdentity{Email: "ann@evil.example"}, nil, iam.ErrSsoDomainNotAllowed, ""},
		{"SubdomainIsNotTheDomain", existingOnly, iam.SsoIdentity{Email: "ann@sub.example.com"}, nil, iam.ErrSsoDomainNotAllowed, ""},
		{"UnknownWithoutProvisioning", existingOnly, iam.SsoIdentity{Email: "new@example.com"}, nil, iam.ErrSsoNoAccount, ""},
		{"UnknownWithProvisioning", jit, iam.SsoIdentity{Email: "new@example.com"}, nil, nil, iam.RoleViewer},
		{"AccountOfAnotherTenant", jit, iam.SsoIdentity{Email: "ann@example.com"}, &iam.SsoAccount{UserID: "u2", TenantID: "t2", Status: iam.StatusActive}, iam.ErrSsoNoAccount, ""},
		{"DeactivatedAccount", jit, iam.SsoIdentity{Email: "ann@example.com"}, &iam.SsoAccount{UserID: "u1", TenantID: "t1", Status: iam.StatusDeactivated}, iam.ErrSsoNoAccount, ""},
		{"PlatformAdministrator", jit, iam.SsoIdentity{Email: "ann@example.com"}, &iam.SsoAccount{UserID: "u1", TenantID: "t1", Status: iam.StatusActive, Roles: []string{iam.RoleViewer, iam.RolePlatformAdmin}}, iam.ErrSsoNoAccount, ""},
		{"DisabledProvider", disabled, iam.SsoIdentity{Email: "ann@example.com"}, active, iam.ErrSsoProviderDisabled, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := iam.DecideSsoLogin(tc.p, tc.id, tc.existing)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if d.Provision != (tc.provRole != "") || d.Role != tc.provRole {
				t.Fatalf("decision %+v, want provisioning with %q", d, tc.provRole)
			}
			if !d.Provision && d.UserID != tc.existing.UserID {
				t.Fatalf("decision %+v signs in someone else", d)
			}
			if d.Email != "ann@example.com" && d.Email != "new@example.com" {
				t.Fatalf("e-mail not normalized: %q", d.Email)
			}
		})
	}
}
