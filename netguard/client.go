package netguard

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// ClientOptions tune Client.
type ClientOptions struct {
	// Timeout bounds a whole request, body included (default 15s).
	Timeout time.Duration
	// RootCAs verifies server certificates (nil: the system roots).
	RootCAs *x509.CertPool
	// HTTPSOnly refuses plain-http requests, redirects included.
	HTTPSOnly bool
	// MaxResponseBytes bounds a response body (default 1 MiB): a hostile
	// server must not make us read without limit.
	MaxResponseBytes int64
	// IdleConnsPerHost is how many keep-alive connections are kept per host
	// (default 2, net/http's): a client that sends many concurrent requests to
	// one host (the gateway to a provider) needs more, or it dials a new
	// connection for most requests.
	IdleConnsPerHost int
}

// Client is an HTTP client whose every connection is checked by the policy.
// It ignores HTTP_PROXY and friends: a proxy would dial on our behalf, past
// the check.
func (p *Policy) Client(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 1 << 20
	}
	if o.IdleConnsPerHost <= 0 {
		o.IdleConnsPerHost = http.DefaultMaxIdleConnsPerHost
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConns:          max(32, 4*o.IdleConnsPerHost),
		MaxIdleConnsPerHost:   o.IdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: &guarded{next: transport, httpsOnly: o.HTTPSOnly, maxBody: o.MaxResponseBytes},
		Timeout:   o.Timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("netguard: too many redirects")
			}
			return nil
		},
	}
}

type guarded struct {
	next      http.RoundTripper
	httpsOnly bool
	maxBody   int64
}

func (g *guarded) RoundTrip(r *http.Request) (*http.Response, error) {
	if g.httpsOnly && r.URL.Scheme != "https" {
		return nil, fmt.Errorf("%w: %s", ErrInsecureURL, r.URL.Redacted())
	}
	resp, err := g.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: g.maxBody}
	return resp, nil
}

// ErrResponseTooLarge reports a response body over ClientOptions.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("netguard: response body too large")

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more than allowed tells a body that is exactly at the
		// limit (EOF) from one that is over it.
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, ErrResponseTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// RootsWithFile returns the system roots plus the PEM certificates of file
// (an internal CA that signs a private identity provider, or a test CA).
// An empty file name returns nil: the system roots.
func RootsWithFile(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("netguard: read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("netguard: %s holds no PEM certificate", file)
	}
	return pool, nil
}
