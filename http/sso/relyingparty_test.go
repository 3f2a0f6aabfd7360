package sso_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	httpsso "github.com/astrabastion/astra/http/sso"
	"github.com/astrabastion/astra/netguard"
)

// TestRelyingParty_ChecksEveryConnection is the DNS-rebinding defence seen
// from SSO: an issuer accepted when it was configured is still refused when
// the connection goes to an address the policy forbids, and plain http is
// never spoken to an identity provider.
func TestRelyingParty_ChecksEveryConnection(t *testing.T) {
	_, cert, roots := selfSignedLoopbackCert(t)
	idp, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if err := idp.Start(tls.NewListener(ln, serverTLS), serverTLS); err != nil {
		t.Fatal(err)
	}
	defer idp.Shutdown() //nolint:errcheck
	client := httpsso.Client{Issuer: idp.Issuer(), ClientID: idp.ClientID, Scopes: []string{"openid"}, RedirectURI: "https://astra.example/cb"}
	ctx := context.Background()

	strict, _ := netguard.New(nil)
	rp := &httpsso.RelyingParty{Client: strict.Client(netguard.ClientOptions{RootCAs: roots, HTTPSOnly: true})}
	_, err = rp.AuthorizationURL(ctx, client, "state", "nonce", "verifier")
	if !errors.Is(err, httpsso.ErrIdPUnavailable) || !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("discovery through a policy that forbids loopback: %v", err)
	}

	lenient, _ := netguard.New([]string{"loopback"})
	rp = &httpsso.RelyingParty{Client: lenient.Client(netguard.ClientOptions{RootCAs: roots, HTTPSOnly: true})}
	if _, err := rp.AuthorizationURL(ctx, client, "state", "nonce", "verifier"); err != nil {
		t.Fatalf("discovery through a policy that allows loopback: %v", err)
	}
	// Without the IdP's CA the TLS handshake fails: certificates are verified.
	rp = &httpsso.RelyingParty{Client: lenient.Client(netguard.ClientOptions{HTTPSOnly: true})}
	if _, err := rp.AuthorizationURL(ctx, client, "state", "nonce", "verifier"); !errors.Is(err, httpsso.ErrIdPUnavailable) {
		t.Fatalf("discovery of an IdP with an untrusted certificate: %v", err)
	}
}
