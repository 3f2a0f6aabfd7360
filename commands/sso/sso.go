// Package sso holds the command handlers of single sign-on: configuring a
// tenant's OpenID Connect identity providers (load the provider stream, decide
// with the domain rules, append with the expected version) and completing a
// sign-in, which finds or provisions the user and starts a session through
// the IAM handlers.
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// ErrIssuerNotAllowed reports an issuer whose host may not be reached
// (private, loopback, link-local or metadata address, or unresolvable).
var ErrIssuerNotAllowed = errors.New("sso: issuer URL not allowed")

// URLChecker vets an outbound URL before it is recorded (netguard.Policy).
type URLChecker interface {
	CheckURL(ctx context.Context, raw string) error
}

// Handlers executes SSO commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
	IAM   *cmdiam.Handlers
	// Guard checks issuer URLs when they are configured.
	Guard URLChecker
}

// ConfigureProvider configures a new OpenID Connect identity provider of a tenant.
type ConfigureProvider struct {
	TenantID     string
	Settings     iam.SsoSettings
	ClientSecret string
}

// ConfigureProvider records a new identity provider of a tenant, its client
// secret sealed under the provider's own data key.
func (h *Handlers) ConfigureProvider(ctx context.Context, meta eventstore.Metadata, in ConfigureProvider) (string, []eventstore.Event, error) {
	s, err := iam.NormalizeSsoSettings(in.Settings)
	if err != nil {
		return "", nil, err
	}
	if err := iam.ValidateClientSecret(in.ClientSecret); err != nil {
		return "", nil, err
	}
	if err := h.checkIssuer(ctx, s.IssuerURL); err != nil {
		return "", nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	ev := &iam.SsoProviderConfiguredV1{ProviderID: id, TenantID: in.TenantID, Name: s.Name, IssuerURL: s.IssuerURL,
		ClientID: s.ClientID, Scopes: s.Scopes, AllowedDomains: s.AllowedDomains, DefaultRole: s.DefaultRole, Enabled: s.Enabled}
	if in.ClientSecret != "" {
		if ev.ClientSecret, err = h.Keys.Seal(ctx, in.TenantID, id, in.ClientSecret); err != nil {
			return "", nil, err
		}
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, iam.StreamOfSsoProvider(id),
		eventstore.Draft{Type: iam.SsoProviderConfigured, Subject: id, Data: ev})
	if err != nil {
		return "", nil, fmt.Errorf("sso.configureprovider: %w", err)
	}
	return id, evs, nil
}

// providerFold folds an identity provider's stream.
var providerFold = func() *eventstore.Fold[iam.SsoProvider] {
	f := eventstore.NewFold[iam.SsoProvider]()
	eventstore.On(f, iam.SsoProviderConfigured, func(p *iam.SsoProvider, d *iam.SsoProviderConfiguredV1, _ *eventstore.Event) { p.Configure(d) })
	eventstore.On(f, iam.SsoProviderUpdated, func(p *iam.SsoProvider, d *iam.SsoProviderUpdatedV1, _ *eventstore.Event) { p.Update(d) })
	eventstore.On(f, iam.SsoProviderRemoved, func(p *iam.SsoProvider, _ *iam.SsoProviderRemovedV1, _ *eventstore.Event) { p.Removed = true })
	return f
}()

// LoadProvider folds a provider's stream.
func (h *Handlers) LoadProvider(ctx context.Context, id string) (iam.SsoProvider, error) {
	a, err := eventstore.Load(ctx, h.Store, providerFold, iam.StreamOfSsoProvider(id))
	if err != nil {
		return iam.SsoProvider{}, fmt.Errorf("sso.loadprovider: %s: %w", id, err)
	}
	p := a.State
	p.Version = a.Version
	return p, nil
}

// updateOwned is load → decide → append on a provider of the acting tenant;
// another tenant's provider is not found (and its version never compared,
// so a 412 cannot confirm it).
func (h *Handlers) updateOwned(ctx context.Context, meta eventstore.Metadata, id string, expected int64,
	decide func(p iam.SsoProvider) (eventstore.Decision, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, providerFold, iam.StreamOfSsoProvider(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[iam.SsoProvider]) (eventstore.Decision, error) {
			p := a.State
			p.Version = a.Version
			if !a.Exists() || p.Removed || p.TenantID != meta.TenantID {
				return nil, iam.ErrSsoProviderNotFound
			}
			if expected != eventstore.AnyVersion && expected != a.Version {
				return nil, eventstore.ErrVersionMismatch
			}
			return decide(p)
		})
}

// UpdateProvider changes a provider's settings and, when Secret is set,
// rotates its client secret ("" makes it a public client).
type UpdateProvider struct {
	ID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected int64
	Change   iam.SsoChange
	Secret   *string
}

// UpdateProvider handles UpdateProvider.
func (h *Handlers) UpdateProvider(ctx context.Context, meta eventstore.Metadata, cmd UpdateProvider) ([]eventstore.Event, error) {
	id, change, secret := cmd.ID, cmd.Change, cmd.Secret
	return h.updateOwned(ctx, meta, id, cmd.Expected, func(p iam.SsoProvider) (eventstore.Decision, error) {
		ev, err := iam.DecideSsoUpdate(p, change)
		if err != nil {
			return nil, err
		}
		if ev.IssuerURL != nil && *ev.IssuerURL != p.Settings.IssuerURL {
			if err := h.checkIssuer(ctx, *ev.IssuerURL); err != nil {
				return nil, err
			}
		}
		if secret != nil {
			if err := iam.ValidateClientSecret(*secret); err != nil {
				return nil, err
			}
			sealed := ""
			if *secret != "" {
				if sealed, err = h.Keys.Seal(ctx, p.TenantID, p.ID, *secret); err != nil {
					return nil, err
				}
			}
			ev.ClientSecret = &sealed
		}
		return eventstore.Decision{{Type: iam.SsoProviderUpdated, Subject: id, Data: ev}}, nil
	})
}

// RemoveProvider removes a provider of the acting tenant.
type RemoveProvider struct {
	ID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected int64
}

// RemoveProvider removes a provider and shreds its client secret: the data
// key it was sealed under is destroyed, so the secret is unreadable in the
// ledger, on Kafka and in every replay from then on.
func (h *Handlers) RemoveProvider(ctx context.Context, meta eventstore.Metadata, cmd RemoveProvider) ([]eventstore.Event, error) {
	id, expected := cmd.ID, cmd.Expected
	var tenantID string
	evs, err := h.updateOwned(ctx, meta, id, expected, func(p iam.SsoProvider) (eventstore.Decision, error) {
		ev, err := iam.DecideSsoRemove(p)
		if err != nil {
			return nil, err
		}
		tenantID = p.TenantID
		return eventstore.Decision{{Type: iam.SsoProviderRemoved, Subject: id, Data: ev}}, nil
	})
	if err != nil {
		return nil, err
	}
	if err := h.Keys.Erase(ctx, tenantID, id); err != nil {
		return evs, fmt.Errorf("sso.removeprovider: shred secret of %s: %w", id, err)
	}
	return evs, nil
}

func (h *Handlers) checkIssuer(ctx context.Context, issuer string) error {
	if h.Guard == nil {
		return nil
	}
	if err := h.Guard.CheckURL(ctx, issuer); err != nil {
		return fmt.Errorf("%w: %w", ErrIssuerNotAllowed, err)
	}
	return nil
}

// CompleteLogin is a sign-in to complete: a provider's verified identity, and the
// account that already holds its address, if any.
type CompleteLogin struct {
	ProviderID  string
	Identity    iam.SsoIdentity
	Existing    *iam.SsoAccount
	Now         time.Time
	Correlation string
}

// LoginResult is a completed sign-in.
type LoginResult struct {
	UserID      string
	TenantID    string
	Role        string
	Email       string
	Provisioned bool
	Session     *cmdiam.Session
	// Events are every event appended: the provisioned user's, then the session's.
	Events []eventstore.Event
}

// ErrProvisionRace reports that the address was claimed while the user was
// being provisioned (two first sign-ins at once); the client retries.
var ErrProvisionRace = errors.New("sso: address claimed concurrently; sign in again")

// CompleteLogin decides the sign-in against the provider's current state (a
// provider disabled or removed since the login started refuses it),
// provisions the user when the decision says so, and starts a session with
// method "sso" (an iam.UserLoggedIn event).
func (h *Handlers) CompleteLogin(ctx context.Context, in CompleteLogin) (*LoginResult, error) {
	p, err := h.LoadProvider(ctx, in.ProviderID)
	if err != nil {
		return nil, err
	}
	d, err := iam.DecideSsoLogin(p, in.Identity, in.Existing)
	if err != nil {
		return nil, err
	}
	out := &LoginResult{UserID: d.UserID, TenantID: p.TenantID, Role: d.Role, Email: d.Email}
	if d.Provision {
		name := in.Identity.Name
		if name == "" {
			name = d.Email
		}
		// The user signs in through the identity provider; the password is a
		// random one nobody knows, which keeps the account active without
		// making password sign-in possible (until a reset sets one).
		created, err := h.IAM.CreateUser(ctx, eventstore.Metadata{TenantID: p.TenantID, Actor: "sso:" + p.ID, CorrelationID: in.Correlation},
			cmdiam.CreateUser{TenantID: p.TenantID, Email: d.Email, Name: name, Role: d.Role, Password: unguessable()})
		if errors.Is(err, iam.ErrEmailTaken) {
			return nil, ErrProvisionRace
		}
		if err != nil {
			return nil, fmt.Errorf("sso.completelogin: provision: %w", err)
		}
		out.UserID, out.Provisioned, out.Events = created.UserID, true, created.Events
	}
	sess, err := h.IAM.StartSession(ctx, eventstore.Metadata{TenantID: p.TenantID, Actor: out.UserID, CorrelationID: in.Correlation},
		out.UserID, "sso", in.Now)
	if err != nil {
		return nil, fmt.Errorf("sso.completelogin: session: %w", err)
	}
	out.Session = sess
	out.Events = append(out.Events, sess.Events...)
	return out, nil
}

func unguessable() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrSecretErased reports a client secret whose key was destroyed (the
// provider was removed): it can never be opened again.
var ErrSecretErased = errors.New("sso: client secret erased")

// ClientSecret opens a provider's sealed client secret for a code exchange
// ("" for a public client).
func (h *Handlers) ClientSecret(ctx context.Context, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	secret, err := h.Keys.Open(ctx, sealed)
	if err != nil {
		return "", fmt.Errorf("sso.clientsecret: %w", err)
	}
	if secret == eventstore.Erased {
		return "", ErrSecretErased
	}
	return secret, nil
}
