package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/astrabastion/astra/domain/iam"
)

// Errors of the OpenID Connect exchange.
var (
	// ErrIdPUnavailable reports an identity provider that could not be reached
	// (or whose address is forbidden), or whose discovery document is unusable.
	ErrIdPUnavailable = errors.New("sso: identity provider unavailable")
	// ErrIdPRefused reports a token endpoint that refused the code.
	ErrIdPRefused = errors.New("sso: identity provider refused the code")
	// ErrIDTokenInvalid reports an ID token that failed verification.
	ErrIDTokenInvalid = errors.New("sso: ID token invalid")
)

// discoveryTTL bounds how long a discovery document (and the key set behind
// it) is reused before it is fetched again.
const discoveryTTL = 15 * time.Minute

// RelyingParty speaks OpenID Connect to identity providers: discovery, the
// authorization URL (PKCE S256 and nonce), the code exchange and the ID
// token's verification. Every request goes through Client, which is a
// netguard client: no connection reaches a forbidden address.
type RelyingParty struct {
	Client *http.Client

	mu    sync.Mutex
	cache map[string]discovered
}

type discovered struct {
	p  *oidc.Provider
	at time.Time
}

// discover returns the provider metadata of an issuer, cached for discoveryTTL.
// go-oidc checks that the document's issuer is the configured one.
func (rp *RelyingParty) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	rp.mu.Lock()
	d, ok := rp.cache[issuer]
	rp.mu.Unlock()
	if ok && time.Since(d.at) < discoveryTTL {
		return d.p, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, rp.Client), issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %w", ErrIdPUnavailable, issuer, err)
	}
	// The browser is sent to the authorization endpoint; the token endpoint and
	// the key set are fetched by the client, which refuses plain http anyway.
	for _, endpoint := range []string{p.Endpoint().AuthURL, p.Endpoint().TokenURL} {
		if u, err := url.Parse(endpoint); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("%w: %s announces a non-https endpoint", ErrIdPUnavailable, issuer)
		}
	}
	rp.mu.Lock()
	if rp.cache == nil || len(rp.cache) > 1024 {
		rp.cache = map[string]discovered{}
	}
	rp.cache[issuer] = discovered{p: p, at: time.Now()}
	rp.mu.Unlock()
	return p, nil
}

// Client is what the relying party needs to know of a configured provider.
type Client struct {
	Issuer       string
	ClientID     string
	ClientSecret string // opened; empty for a public client
	Scopes       []string
	RedirectURI  string
}

func (rp *RelyingParty) config(ctx context.Context, c Client) (*oidc.Provider, *oauth2.Config, error) {
	p, err := rp.discover(ctx, c.Issuer)
	if err != nil {
		return nil, nil, err
	}
	return p, &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.RedirectURI, Scopes: c.Scopes}, nil
}

// AuthorizationURL is where the browser goes to sign in: response_type=code
// with the state, the nonce and the S256 challenge of verifier.
func (rp *RelyingParty) AuthorizationURL(ctx context.Context, c Client, state, nonce, verifier string) (string, error) {
	_, conf, err := rp.config(ctx, c)
	if err != nil {
		return "", err
	}
	return conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), nil
}

// idClaims are the ID token claims beyond the ones go-oidc verifies.
type idClaims struct {
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	Name              string          `json:"name"`
	PreferredUsername string          `json:"preferred_username"`
	AuthorizedParty   string          `json:"azp"`
}

// Exchange redeems an authorization code with the PKCE verifier and verifies
// the ID token: signature against the issuer's JWKS (algorithms the issuer
// announces, asymmetric only), iss, aud = client id (and azp when there are
// several audiences), expiry, and the nonce of this login.
func (rp *RelyingParty) Exchange(ctx context.Context, c Client, code, verifier, nonce string) (iam.SsoIdentity, error) {
	var id iam.SsoIdentity
	p, conf, err := rp.config(ctx, c)
	if err != nil {
		return id, err
	}
	ctx = oidc.ClientContext(ctx, rp.Client)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		return id, fmt.Errorf("%w: %s", ErrIdPRefused, re.ErrorCode)
	case err != nil:
		return id, fmt.Errorf("%w: token endpoint: %w", ErrIdPUnavailable, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return id, fmt.Errorf("%w: the token response has no id_token", ErrIDTokenInvalid)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.ClientID}).Verify(ctx, raw)
	if err != nil {
		return id, fmt.Errorf("%w: %w", ErrIDTokenInvalid, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return id, fmt.Errorf("%w: nonce mismatch", ErrIDTokenInvalid)
	}
	var cl idClaims
	if err := idt.Claims(&cl); err != nil {
		return id, fmt.Errorf("%w: claims: %w", ErrIDTokenInvalid, err)
	}
	if len(idt.Audience) > 1 && cl.AuthorizedParty != c.ClientID {
		return id, fmt.Errorf("%w: azp is not the client", ErrIDTokenInvalid)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return id, fmt.Errorf("%w: at_hash: %w", ErrIDTokenInvalid, err)
		}
	}
	id = iam.SsoIdentity{Subject: idt.Subject, Email: cl.Email, Name: cl.Name, EmailVerified: verified(cl.EmailVerified)}
	if id.Name == "" {
		id.Name = cl.PreferredUsername
	}
	return id, nil
}

// verified reads email_verified: absent is nil; true or "true" (some
// providers send a string) is verified; anything else is not.
func verified(raw json.RawMessage) *bool {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	v := string(raw) == "true" || string(raw) == `"true"`
	return &v
}
