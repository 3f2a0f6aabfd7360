package sso_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/astrabastion/astra/http/platform/platformtest"
	"github.com/astrabastion/astra/testkit"
)

// env is a running product with an OIDC provider on loopback (over TLS, with
// a CA the product is configured to trust) and a browser-like client that
// follows no redirect by itself.
type env struct {
	in      *testkit.Instance
	idp     *mockoidc.MockOIDC
	browser *http.Client
	check   *platformtest.Validator
	admin   string // platform admin token (tenant "default")
}

// start runs the product with loopback allowed as an outbound destination
// (as ASTRA_ALLOW_PRIVATE_URLS=loopback) and the IdP's CA trusted.
// middleware wraps the IdP's handlers (to observe its requests).
func start(t *testing.T, middleware ...func(http.Handler) http.Handler) *env {
	t.Helper()
	return startEnv(t, true, middleware...)
}

// startEnv is start with or without ASTRA_PUBLIC_URL configured.
func startEnv(t *testing.T, publicURL bool, middleware ...func(http.Handler) http.Handler) *env {
	t.Helper()
	certPEM, tlsCert, pool := selfSignedLoopbackCert(t)
	caFile := filepath.Join(t.TempDir(), "idp-ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, mw := range middleware {
		if err := idp.AddMiddleware(mw); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// mockoidc's Start only records that it is https; the listener does the TLS.
	serverTLS := &tls.Config{Certificates: []tls.Certificate{tlsCert}, MinVersion: tls.VersionTLS12}
	if err := idp.Start(tls.NewListener(ln, serverTLS), serverTLS); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Shutdown() })

	cfg := testkit.Config(t)
	// Single sign-on needs the public URL (the redirect URI is never taken
	// from the Host header): the instance listens where that URL points.
	if publicURL {
		cfg.HTTPAddr = testkit.FreePort(t)
		cfg.PublicURL = "http://" + cfg.HTTPAddr
	}
	cfg.AllowPrivateURLs = []string{"loopback"}
	cfg.OutboundCAFile = caFile
	in := testkit.Start(t, &cfg)
	browser := &http.Client{
		Timeout:       15 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &env{in: in, idp: idp, browser: browser, check: platformtest.ResponseValidator(t, in.Doc), admin: in.AdminToken(t)}
}

// selfSignedLoopbackCert makes a certificate for 127.0.0.1 that is its own CA.
func selfSignedLoopbackCert(t *testing.T) ([]byte, tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "mock idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	tlsCert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return certPEM, tlsCert, pool
}

// idpUser is a person at the mock IdP whose ID token claims the test controls:
// email_verified may be absent, and the nonce may be forged.
type idpUser struct {
	sub, email, name string
	verified         *bool
	forgeNonce       bool
}

type idpClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	Name          string `json:"name,omitempty"`
}

func (u *idpUser) ID() string { return u.sub }

func (u *idpUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub, "email": u.email})
}

func (u *idpUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.forgeNonce {
		base.Nonce = "forged-nonce"
	}
	return &idpClaims{IDTokenClaims: base, Email: u.email, EmailVerified: u.verified, Name: u.name}, nil
}

func verifiedUser(email string) *idpUser {
	yes := true
	return &idpUser{sub: "sub-" + email, email: email, name: "Person " + email, verified: &yes}
}

// response is an answer read by the browser.
type response struct {
	*testkit.Response
	Location string
}

// get is a browser GET; answers of the product are validated against its
// OpenAPI document, the IdP's are not.
func (e *env) get(t *testing.T, rawURL string, headers ...string) *response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(rawURL, e.in.URL) {
		e.check.Check(t, req, resp, body)
	}
	return &response{Response: &testkit.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, Location: resp.Header.Get("Location")}
}

// startLogin starts a sign-in and returns the authorization URL (the 302's Location).
func (e *env) startLogin(t *testing.T, tenant, provider string) *url.URL {
	t.Helper()
	path := e.in.URL + "/api/v1/auth/sso/" + url.PathEscape(tenant) + "/login"
	if provider != "" {
		path += "?provider=" + provider
	}
	r := e.get(t, path)
	if r.Status != http.StatusFound || r.Location == "" {
		t.Fatalf("login start: %d %s", r.Status, r.Body)
	}
	var body struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	r.Data(t, &body)
	if body.AuthorizationURL != r.Location {
		t.Fatalf("body names %q, Location %q", body.AuthorizationURL, r.Location)
	}
	u, err := url.Parse(r.Location)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// atIdP lets the IdP authenticate who and returns the callback URL it redirects to.
func (e *env) atIdP(t *testing.T, authURL *url.URL, who mockoidc.User) string {
	t.Helper()
	e.idp.QueueUser(who)
	r := e.get(t, authURL.String())
	if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, e.in.URL+"/api/v1/auth/sso/callback?") {
		t.Fatalf("IdP answered %d (Location %q): %s", r.Status, r.Location, r.Body)
	}
	return r.Location
}

// signIn runs the whole flow for who and returns the callback's answer.
func (e *env) signIn(t *testing.T, tenant, provider string, who mockoidc.User) *response {
	t.Helper()
	return e.get(t, e.atIdP(t, e.startLogin(t, tenant, provider), who))
}

// tokens is the token answer of a sign-in.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	User         struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Role     string `json:"role"`
		TenantID string `json:"tenant_id"`
	} `json:"user"`
}

// provider is the API's representation of an identity provider.
type provider struct {
	ID              string   `json:"id"`
	TenantID        string   `json:"tenant_id"`
	Name            string   `json:"name"`
	IssuerURL       string   `json:"issuer_url"`
	ClientID        string   `json:"client_id"`
	ClientSecretSet bool     `json:"client_secret_set"`
	Scopes          []string `json:"scopes"`
	AllowedDomains  []string `json:"allowed_domains"`
	DefaultRole     string   `json:"default_role"`
	Enabled         bool     `json:"enabled"`
	LoginURL        string   `json:"login_url"`
	Version         int64    `json:"version"`
}

// configure registers the mock IdP for the token's tenant; extra overrides fields.
func (e *env) configure(t *testing.T, token string, extra map[string]any) provider {
	t.Helper()
	body := map[string]any{"name": "Mock IdP", "issuer_url": e.idp.Issuer(), "client_id": e.idp.ClientID,
		"client_secret": e.idp.ClientSecret, "allowed_domains": []string{"example.com"}}
	for k, v := range extra {
		body[k] = v
	}
	r := e.in.Do(t, http.MethodPost, "/api/v1/iam/sso/providers", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("configure provider: %d %s", r.Status, r.Body)
	}
	var p provider
	r.Data(t, &p)
	return p
}

// auditEvent is one entry of /admin/audit/events.
type auditEvent struct {
	Type     string         `json:"type"`
	Subject  string         `json:"subject"`
	TenantID string         `json:"tenantid"`
	Actor    string         `json:"actor"`
	Data     map[string]any `json:"data"`
}

// events lists the token's tenant's events of one type (first page of 200).
func (e *env) events(t *testing.T, token, ceType string) []auditEvent {
	t.Helper()
	r := e.in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?limit=200&type="+url.QueryEscape(ceType), token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("audit: %d %s", r.Status, r.Body)
	}
	var evs []auditEvent
	r.Data(t, &evs)
	return evs
}

// assertProblem checks an error answer's status and code.
func assertProblem(t *testing.T, r *testkit.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if p := r.Problem(t); p.ErrorCode != code {
		t.Fatalf("error_code %q, want %q: %s", p.ErrorCode, code, r.Body)
	}
	for _, leak := range []string{"SELECT", "pgx", "goroutine", "panic", "netguard", "oidc:", "oauth2:"} {
		if bytes.Contains(r.Body, []byte(leak)) {
			t.Fatalf("problem leaks %q: %s", leak, r.Body)
		}
	}
}
