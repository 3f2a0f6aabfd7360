package gateway

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/netguard"
)

// TestClassify names the cause of each kind of provider failure, as the
// transports report them (wrapped in *url.Error and providers.Error).
func TestClassify(t *testing.T) {
	transport := func(err error) error {
		return &providers.Error{Provider: "p", Message: "connection failed", Retryable: true,
			Err: &url.Error{Op: "Post", URL: "https://p.example/v1", Err: err}}
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := []struct {
		err    error
		cause  string
		status int
	}{
		{transport(refused), gw.CauseConnectionRefused, 0},
		{transport(&net.DNSError{Err: "no such host", Name: "p.example", IsNotFound: true}), gw.CauseDNS, 0},
		{transport(fmt.Errorf("%w: p.example", netguard.ErrUnresolvable)), gw.CauseDNS, 0},
		{transport(x509.UnknownAuthorityError{}), gw.CauseTLS, 0},
		{transport(x509.HostnameError{Host: "p.example"}), gw.CauseTLS, 0},
		{transport(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), gw.CauseConnection, 0},
		{&providers.Error{Provider: "p", Message: "timeout", Retryable: true, Err: context.DeadlineExceeded}, gw.CauseTimeout, 0},
		{&providers.Error{Provider: "p", Status: 503, Message: "circuit open", Err: providers.ErrCircuitOpen}, gw.CauseCircuitOpen, 0},
		{&providers.Error{Provider: "p", Status: 502, Message: "bad gateway"}, gw.CauseUpstream5xx, 502},
		{&providers.Error{Provider: "p", Status: 401, Message: "bad key"}, gw.CauseUpstream4xx, 401},
		{&providers.Error{Provider: "p", Status: 200, Message: "malformed response"}, gw.CauseMalformed, 200},
	}
	for _, c := range cases {
		a := classify(c.err)
		if a.Cause != c.cause || a.UpstreamStatus != c.status {
			t.Errorf("%v: %s %d, want %s %d", c.err, a.Cause, a.UpstreamStatus, c.cause, c.status)
		}
		if IsDependencyFailure(c.err) {
			t.Errorf("%v: a provider's failure taken for the gateway's own dependency", c.err)
		}
	}
	for status, caller := range map[int]bool{400: true, 413: true, 422: true, 401: false, 403: false, 404: false, 429: false} {
		if callerFault(status) != caller {
			t.Errorf("callerFault(%d) = %v", status, !caller)
		}
	}
}
