package sso_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/astrabastion/astra/testkit"
)

// TestSsoLogin signs people in through an OIDC provider that the test runs
// on loopback, with the authorization-code flow and PKCE, following every
// redirect the way a browser does.
func TestSsoLogin(t *testing.T) {
	e := start(t)
	tenantID, adminA := e.in.NewTenant(t, e.admin, "Acme")
	janeID := e.in.NewUser(t, adminA, "jane@example.com", "developer").ID
	p := e.configure(t, adminA, nil) // allowed domain example.com, no provisioning

	t.Run("AuthorizationCodeWithPKCE", func(t *testing.T) {
		auth := e.startLogin(t, "Acme", "")
		q := auth.Query()
		if !strings.HasPrefix(auth.String(), e.idp.AuthorizationEndpoint()+"?") {
			t.Fatalf("redirected to %s, want the IdP's authorization endpoint", auth)
		}
		for name, want := range map[string]string{"response_type": "code", "client_id": e.idp.ClientID,
			"code_challenge_method": "S256", "redirect_uri": e.in.URL + "/api/v1/auth/sso/callback", "scope": "openid email profile"} {
			if q.Get(name) != want {
				t.Errorf("%s = %q, want %q", name, q.Get(name), want)
			}
		}
		for _, name := range []string{"state", "nonce", "code_challenge"} {
			if len(q.Get(name)) < 43 {
				t.Errorf("%s %q is too short to be 256 random bits", name, q.Get(name))
			}
		}
		if q.Get("state") == q.Get("nonce") {
			t.Error("state and nonce are the same value")
		}

		callback := e.atIdP(t, auth, verifiedUser("Jane@Example.com"))
		r := e.get(t, callback)
		if r.Status != http.StatusOK {
			t.Fatalf("callback: %d %s", r.Status, r.Body)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("token answer is cacheable: %q", r.Header.Get("Cache-Control"))
		}
		var tok tokens
		r.Data(t, &tok)
		if tok.AccessToken == "" || !strings.HasPrefix(tok.RefreshToken, "rt_") || tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 {
			t.Fatalf("token answer: %+v", tok)
		}
		if tok.User.ID != janeID || tok.User.TenantID != tenantID || tok.User.Email != "jane@example.com" || tok.User.Role != "developer" {
			t.Fatalf("signed in as %+v, want jane of Acme", tok.User)
		}
		me := e.in.Me(t, tok.AccessToken) // fails unless the SSO token reads /auth/me
		if me.ID != janeID || me.TenantID != tenantID || len(me.Permissions) == 0 {
			t.Fatalf("/auth/me: %+v", me)
		}
		ref := e.in.Do(t, http.MethodPost, "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
		if ref.Status != http.StatusOK {
			t.Fatalf("refresh of the SSO session: %d %s", ref.Status, ref.Body)
		}

		logins := e.events(t, adminA, "com.astra.iam.UserLoggedIn")
		found := false
		for _, ev := range logins {
			if ev.Subject == janeID && ev.Data["method"] == "sso" && ev.TenantID == tenantID {
				found = true
			}
		}
		if !found {
			t.Fatalf("no iam.UserLoggedIn with method sso for jane among %d logins", len(logins))
		}

		t.Run("StateIsSingleUse", func(t *testing.T) {
			assertProblem(t, e.get(t, callback).Response, http.StatusBadRequest, "SSO-006")
		})
	})

	t.Run("TheTenantIsNamedByIDOrName", func(t *testing.T) {
		auth := e.startLogin(t, tenantID, p.ID)
		if r := e.get(t, e.atIdP(t, auth, verifiedUser("jane@example.com"))); r.Status != http.StatusOK {
			t.Fatalf("sign-in by tenant id: %d %s", r.Status, r.Body)
		}
		auth = e.startLogin(t, "acme", "") // names are case-insensitive
		if r := e.get(t, e.atIdP(t, auth, verifiedUser("jane@example.com"))); r.Status != http.StatusOK {
			t.Fatalf("sign-in by lower-case name: %d %s", r.Status, r.Body)
		}
		assertProblem(t, e.get(t, e.in.URL+"/api/v1/auth/sso/NoSuchTenant/login").Response, http.StatusNotFound, "SSO-004")
		assertProblem(t, e.get(t, e.in.URL+"/api/v1/auth/sso/default/login").Response, http.StatusNotFound, "SSO-004") // no provider there
	})

	t.Run("WrongStateIsRefused", func(t *testing.T) {
		callback := e.atIdP(t, e.startLogin(t, "Acme", ""), verifiedUser("jane@example.com"))
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
		assertProblem(t, e.get(t, u.String()).Response, http.StatusBadRequest, "SSO-006")
		assertProblem(t, e.get(t, e.in.URL+"/api/v1/auth/sso/callback?code=abc").Response, http.StatusBadRequest, "SSO-006")
		// The genuine state still works once.
		if r := e.get(t, callback); r.Status != http.StatusOK {
			t.Fatalf("genuine callback after a forged one: %d %s", r.Status, r.Body)
		}
	})

	t.Run("ExpiredStateIsRefused", func(t *testing.T) {
		callback := e.atIdP(t, e.startLogin(t, "Acme", ""), verifiedUser("jane@example.com"))
		state, _ := url.Parse(callback)
		sum := sha256.Sum256([]byte(state.Query().Get("state")))
		tag, err := e.in.Running.Stack.Pool.Exec(context.Background(),
			`UPDATE sso_login_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1`, sum[:])
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("expire the state: %v (%d rows)", err, tag.RowsAffected())
		}
		assertProblem(t, e.get(t, callback).Response, http.StatusBadRequest, "SSO-006")
	})

	t.Run("TamperedCodeIsRefusedAndBurnsTheState", func(t *testing.T) {
		callback := e.atIdP(t, e.startLogin(t, "Acme", ""), verifiedUser("jane@example.com"))
		u, _ := url.Parse(callback)
		q := u.Query()
		q.Set("code", "not-the-code")
		u.RawQuery = q.Encode()
		assertProblem(t, e.get(t, u.String()).Response, http.StatusUnauthorized, "SSO-007")
		assertProblem(t, e.get(t, callback).Response, http.StatusBadRequest, "SSO-006")
	})

	t.Run("IdPErrorIsReported", func(t *testing.T) {
		auth := e.startLogin(t, "Acme", "")
		cb := e.in.URL + "/api/v1/auth/sso/callback?error=access_denied&error_description=%3Cscript%3E&state=" + url.QueryEscape(auth.Query().Get("state"))
		r := e.get(t, cb)
		assertProblem(t, r.Response, http.StatusUnauthorized, "SSO-007")
		if strings.Contains(string(r.Body), "script") || !strings.Contains(string(r.Body), "access_denied") {
			t.Fatalf("IdP error rendered as %s", r.Body)
		}
	})

	t.Run("IDTokenWithAnotherNonceIsRefused", func(t *testing.T) {
		who := verifiedUser("jane@example.com")
		who.forgeNonce = true
		assertProblem(t, e.signIn(t, "Acme", "", who).Response, http.StatusUnauthorized, "SSO-007")
	})

	t.Run("ExpiredIDTokenIsRefused", func(t *testing.T) {
		e.idp.FastForward(-2 * time.Hour) // the IdP's clock: its tokens expire 10 minutes after its "now"
		defer e.idp.FastForward(2 * time.Hour)
		assertProblem(t, e.signIn(t, "Acme", "", verifiedUser("jane@example.com")).Response, http.StatusUnauthorized, "SSO-007")
	})

	t.Run("UserOfAnotherDomainIsRefused", func(t *testing.T) {
		e.in.NewUser(t, adminA, "bob@other.org", "viewer") // even an existing user
		assertProblem(t, e.signIn(t, "Acme", "", verifiedUser("bob@other.org")).Response, http.StatusForbidden, "SSO-008")
	})

	t.Run("UnverifiedEmailIsRefused", func(t *testing.T) {
		no := false
		assertProblem(t, e.signIn(t, "Acme", "", &idpUser{sub: "s-unverified", email: "jane@example.com", verified: &no}).Response,
			http.StatusForbidden, "SSO-009")
		// An IdP that does not send email_verified at all is taken at its word.
		if r := e.signIn(t, "Acme", "", &idpUser{sub: "s-silent", email: "jane@example.com"}); r.Status != http.StatusOK {
			t.Fatalf("sign-in without email_verified: %d %s", r.Status, r.Body)
		}
	})

	t.Run("AccountOfAnotherTenantIsRefused", func(t *testing.T) {
		e.in.NewUser(t, e.admin, "carol@example.com", "viewer") // in tenant "default"
		assertProblem(t, e.signIn(t, "Acme", "", verifiedUser("carol@example.com")).Response, http.StatusForbidden, "SSO-010")
	})

	t.Run("PlatformAdministratorIsNeverSignedInBySSO", func(t *testing.T) {
		// The bootstrap tenant's IdP asserts the platform admin's address: an
		// administrator of that IdP must not become a platform admin.
		def := e.configure(t, e.admin, map[string]any{"name": "Default IdP", "allowed_domains": []string{"astra.test"}})
		assertProblem(t, e.signIn(t, "default", def.ID, verifiedUser(testkit.AdminEmail)).Response, http.StatusForbidden, "SSO-010")
	})

	t.Run("ProvisioningOff", func(t *testing.T) {
		assertProblem(t, e.signIn(t, "Acme", "", verifiedUser("newbie@example.com")).Response, http.StatusForbidden, "SSO-010")
		r := e.in.Do(t, http.MethodGet, "/api/v1/iam/users?email=newbie@example.com", adminA, nil)
		var us []struct{}
		r.Data(t, &us)
		if len(us) != 0 {
			t.Fatalf("a refused sign-in created a user: %s", r.Body)
		}
	})

	t.Run("ProvisioningOn", func(t *testing.T) {
		up := e.in.Do(t, http.MethodPatch, "/api/v1/iam/sso/providers/"+p.ID, adminA, map[string]any{"default_role": "viewer"})
		if up.Status != http.StatusOK {
			t.Fatalf("turn provisioning on: %d %s", up.Status, up.Body)
		}
		r := e.signIn(t, "Acme", "", verifiedUser("newbie@example.com"))
		if r.Status != http.StatusOK {
			t.Fatalf("first sign-in with provisioning: %d %s", r.Status, r.Body)
		}
		var tok tokens
		r.Data(t, &tok)
		if tok.User.Role != "viewer" || tok.User.TenantID != tenantID || tok.User.Email != "newbie@example.com" {
			t.Fatalf("provisioned %+v", tok.User)
		}
		u := e.in.Do(t, http.MethodGet, "/api/v1/iam/users/"+tok.User.ID, adminA, nil)
		var user struct {
			Email, Name, Role, Status string
		}
		u.Data(t, &user)
		if user.Status != "active" || user.Role != "viewer" || user.Name != "Person newbie@example.com" {
			t.Fatalf("provisioned user: %s", u.Body)
		}
		created := 0
		for _, ev := range e.events(t, adminA, "com.astra.iam.UserCreated") {
			if ev.Subject == tok.User.ID {
				created++
				if ev.Actor != "sso:"+p.ID {
					t.Errorf("provisioned by %q, want sso:%s", ev.Actor, p.ID)
				}
			}
		}
		if created != 1 {
			t.Fatalf("%d UserCreated events for the provisioned user", created)
		}
		// The second sign-in finds the same user.
		again := e.signIn(t, "Acme", "", verifiedUser("newbie@example.com"))
		var tok2 tokens
		again.Data(t, &tok2)
		if tok2.User.ID != tok.User.ID {
			t.Fatalf("second sign-in is %s, first %s", tok2.User.ID, tok.User.ID)
		}
		// Provisioning never reaches past the allowed domains.
		assertProblem(t, e.signIn(t, "Acme", "", verifiedUser("stranger@evil.example")).Response, http.StatusForbidden, "SSO-008")
	})

	t.Run("DisabledAndSeveralProviders", func(t *testing.T) {
		second := e.configure(t, adminA, map[string]any{"name": "Second"})
		assertProblem(t, e.get(t, e.in.URL+"/api/v1/auth/sso/Acme/login").Response, http.StatusConflict, "SSO-005")
		e.startLogin(t, "Acme", second.ID) // naming one works
		off := e.in.Do(t, http.MethodPatch, "/api/v1/iam/sso/providers/"+second.ID, adminA, map[string]any{"enabled": false})
		if off.Status != http.StatusOK {
			t.Fatalf("disable: %d %s", off.Status, off.Body)
		}
		assertProblem(t, e.get(t, e.in.URL+"/api/v1/auth/sso/Acme/login?provider="+second.ID).Response, http.StatusNotFound, "SSO-004")
		// A provider disabled while a sign-in is at the IdP refuses its callback.
		auth := e.startLogin(t, "Acme", "")
		callback := e.atIdP(t, auth, verifiedUser("jane@example.com"))
		if r := e.in.Do(t, http.MethodPatch, "/api/v1/iam/sso/providers/"+p.ID, adminA, map[string]any{"enabled": false}); r.Status != http.StatusOK {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		assertProblem(t, e.get(t, callback).Response, http.StatusNotFound, "SSO-004")
	})
}

// TestSsoLogin_PKCEVerifierMatchesTheChallenge checks, at the IdP's side,
// that the code is redeemed with the verifier whose S256 challenge the
// authorization request carried: the IdP refuses a code otherwise, and the
// challenge is the base64url SHA-256 of a 43-character verifier.
func TestSsoLogin_PKCEVerifierMatchesTheChallenge(t *testing.T) {
	var mu sync.Mutex
	var verifiers []string
	e := start(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.TokenEndpoint {
				if err := r.ParseForm(); err == nil && r.PostForm.Get("client_id") != "" {
					mu.Lock()
					verifiers = append(verifiers, r.PostForm.Get("code_verifier"))
					mu.Unlock()
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	p := e.configure(t, e.admin, map[string]any{"allowed_domains": []string{"example.com"}, "default_role": "viewer"})
	auth := e.startLogin(t, "default", p.ID)
	r := e.get(t, e.atIdP(t, auth, verifiedUser("pkce@example.com")))
	if r.Status != http.StatusOK {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(verifiers) != 1 || len(verifiers[0]) != 43 {
		t.Fatalf("code_verifier sent to the token endpoint: %q", verifiers)
	}
	sum := sha256.Sum256([]byte(verifiers[0]))
	if got := base64.RawURLEncoding.EncodeToString(sum[:]); got != auth.Query().Get("code_challenge") {
		t.Fatalf("challenge %q is not S256(verifier) %q", auth.Query().Get("code_challenge"), got)
	}
}

// TestSsoLogin_NeedsThePublicURL: without ASTRA_PUBLIC_URL no sign-in starts
// (503 SSO-012), whatever Host the request names: the redirect URI is never
// built from the Host header.
func TestSsoLogin_NeedsThePublicURL(t *testing.T) {
	e := startEnv(t, false)
	p := e.configure(t, e.admin, nil)
	r := e.get(t, e.in.URL+"/api/v1/auth/sso/default/login?provider="+p.ID, "Host", "attacker.example")
	if r.Status == http.StatusFound {
		t.Fatalf("a sign-in started with a redirect URI from the Host header: %s", r.Location)
	}
	assertProblem(t, r.Response, http.StatusServiceUnavailable, "SSO-012")
}
