package netguard_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/astrabastion/astra/netguard"
)

func TestPolicy_RefusesNonPublicAddressesUnlessAllowed(t *testing.T) {
	strict, err := netguard.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	lenient, err := netguard.New([]string{"loopback", "10.20.0.0/16", "192.168.1.7"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr            string
		strict, lenient bool
	}{
		{"93.184.216.34", true, true},
		{"2606:4700::6810:85e5", true, true},
		{"127.0.0.1", false, true},
		{"127.8.9.10", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true}, // IPv4-mapped loopback
		{"10.20.3.4", false, true},
		{"10.21.0.1", false, false},
		{"192.168.1.7", false, true},
		{"192.168.1.8", false, false},
		{"172.16.0.1", false, false},
		{"169.254.169.254", false, false}, // AWS/GCP/Azure metadata
		{"::ffff:169.254.169.254", false, false},
		{"fd00:ec2::254", false, false},   // AWS IPv6 metadata
		{"100.100.100.200", false, false}, // Alibaba metadata (shared address space)
		{"192.0.0.192", false, false},     // Oracle metadata
		{"fe80::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
		{"255.255.255.255", false, false},
		{"64:ff9b::a00:1", false, false}, // NAT64 of 10.0.0.1
		{"2002:a00:1::1", false, false},  // 6to4 of 10.0.0.1
	} {
		a := netip.MustParseAddr(tc.addr)
		if got := strict.Allowed(a); got != tc.strict {
			t.Errorf("strict policy allows %s: %v, want %v", tc.addr, got, tc.strict)
		}
		if got := lenient.Allowed(a); got != tc.lenient {
			t.Errorf("lenient policy allows %s: %v, want %v", tc.addr, got, tc.lenient)
		}
	}
}

func TestNew_RejectsMalformedAllowList(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "localhost", "not-an-ip", "10.0.0.0/x"} {
		if _, err := netguard.New([]string{bad}); err == nil {
			t.Errorf("allow-list entry %q accepted", bad)
		}
	}
}

func TestCheckURL_RefusesInsecureMalformedAndPrivateURLs(t *testing.T) {
	p, _ := netguard.New(nil)
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want error
	}{
		{"http://93.184.216.34/", netguard.ErrInsecureURL},
		{"ftp://93.184.216.34/", netguard.ErrInsecureURL},
		{"https://user:pw@93.184.216.34/", netguard.ErrInvalidURL},
		{"https:///path", netguard.ErrInvalidURL},
		{"/relative", netguard.ErrInvalidURL},
		{"https://127.0.0.1/oidc", netguard.ErrForbiddenAddress},
		{"https://[::1]:8443/", netguard.ErrForbiddenAddress},
		{"https://169.254.169.254/latest/meta-data/", netguard.ErrForbiddenAddress},
		{"https://10.0.0.1/", netguard.ErrForbiddenAddress},
		{"https://localhost/", netguard.ErrForbiddenAddress}, // resolves to loopback
		{"https://93.184.216.34/oidc", nil},
	} {
		err := p.CheckURL(ctx, tc.url)
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("CheckURL(%q) = %v, want %v", tc.url, err, tc.want)
		}
	}
}

// TestClient_ChecksTheDialledAddress is the DNS-rebinding defence: whatever a
// name resolved to when it was configured, the connection itself is refused
// when it goes to a forbidden address.
func TestClient_ChecksTheDialledAddress(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	strict, _ := netguard.New(nil)
	_, err := strict.Client(netguard.ClientOptions{RootCAs: roots}).Get(srv.URL)
	if !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("strict client reached %s: %v", srv.URL, err)
	}
	// A name is checked after resolution too: "localhost" dials 127.0.0.1.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	_, err = strict.Client(netguard.ClientOptions{RootCAs: roots}).Get("https://localhost:" + port)
	if !errors.Is(err, netguard.ErrForbiddenAddress) {
		t.Fatalf("strict client reached localhost: %v", err)
	}

	lenient, _ := netguard.New([]string{"loopback"})
	resp, err := lenient.Client(netguard.ClientOptions{RootCAs: roots, HTTPSOnly: true}).Get(srv.URL)
	if err != nil {
		t.Fatalf("loopback-allowed client: %v", err)
	}
	resp.Body.Close()
	_, err = lenient.Client(netguard.ClientOptions{HTTPSOnly: true}).Get("http://127.0.0.1:" + port)
	if !errors.Is(err, netguard.ErrInsecureURL) {
		t.Fatalf("https-only client sent plain http: %v", err)
	}
}

func TestClient_BoundsResponseBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 2048))
	}))
	defer srv.Close()
	p, _ := netguard.New([]string{"loopback"})
	resp, err := p.Client(netguard.ClientOptions{MaxResponseBytes: 1024}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, netguard.ErrResponseTooLarge) {
		t.Fatalf("reading a 2 KiB body with a 1 KiB bound: %v", err)
	}
	resp2, err := p.Client(netguard.ClientOptions{MaxResponseBytes: 2048}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if b, err := io.ReadAll(resp2.Body); err != nil || len(b) != 2048 {
		t.Fatalf("a body at the bound: %d bytes, %v", len(b), err)
	}
}
