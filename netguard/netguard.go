// Package netguard keeps outbound connections (identity providers, LLM
// providers, webhooks, MCP servers) away from private, loopback, link-local
// and cloud-metadata addresses unless the configuration allows them.
//
// A URL is checked twice: when it is configured (CheckURL resolves its host
// and refuses it if any address is forbidden) and again on every connection
// (the dialer's Control function sees the address actually dialled), so that
// a name that resolves to a public address at configuration time and to a
// private one later (DNS rebinding) is still refused.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Errors of the checks; wrapped with the offending host or address.
var (
	// ErrForbiddenAddress reports a destination in a range that is not allowed.
	ErrForbiddenAddress = errors.New("netguard: destination address not allowed")
	// ErrInsecureURL reports a URL that is not https.
	ErrInsecureURL = errors.New("netguard: URL must use https")
	// ErrInvalidURL reports a URL that is not an absolute URL with a host.
	ErrInvalidURL = errors.New("netguard: invalid URL")
	// ErrUnresolvable reports a host name without addresses.
	ErrUnresolvable = errors.New("netguard: host does not resolve")
)

// Loopback is the allow-list keyword for 127.0.0.0/8 and ::1.
const Loopback = "loopback"

// reserved are ranges that are neither private nor loopback by Go's
// definitions but must not be reachable from a server either: shared address
// space (where some clouds put their metadata service, e.g. 100.100.100.200),
// IETF protocol assignments (192.0.0.192 is a metadata address), benchmarking,
// documentation, reserved and broadcast ranges, and the IPv6 transition
// prefixes that can embed any IPv4 address.
var reserved = mustPrefixes(
	"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
	"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
	"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16", "fec0::/10",
)

// Policy decides which destination addresses outbound connections may reach:
// public unicast addresses, plus the explicitly allowed prefixes.
type Policy struct {
	allow []netip.Prefix
	// Resolver resolves host names for CheckURL (nil: net.DefaultResolver).
	Resolver *net.Resolver
}

// New builds a policy from an allow-list: CIDRs ("10.0.0.0/8"), single
// addresses, or the keyword "loopback". Empty entries are ignored.
func New(allow []string) (*Policy, error) {
	p := &Policy{}
	for _, raw := range allow {
		s := strings.TrimSpace(raw)
		switch {
		case s == "":
			continue
		case strings.EqualFold(s, Loopback):
			p.allow = append(p.allow, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
		case strings.Contains(s, "/"):
			pf, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("netguard: allow-list entry %q: %w", s, err)
			}
			p.allow = append(p.allow, pf.Masked())
		default:
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("netguard: allow-list entry %q is neither a CIDR, an address nor %q", s, Loopback)
			}
			p.allow = append(p.allow, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return p, nil
}

// Allowed reports whether a connection to a may be made.
func (p *Policy) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() {
		return false
	}
	for _, pf := range p.allow {
		if pf.Contains(a) {
			return true
		}
	}
	return public(a)
}

// public reports whether a is a globally routable unicast address.
func public(a netip.Addr) bool {
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.Zone() != "" {
		return false // loopback, link-local (169.254.169.254), multicast, unspecified, RFC 1918, fc00::/7
	}
	for _, pf := range reserved {
		if pf.Contains(a) {
			return false
		}
	}
	return true
}

// CheckURL validates an outbound URL at configuration time: absolute https
// URL with a host and no credentials, whose every address is allowed.
func (p *Policy) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return ErrInvalidURL
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return ErrInsecureURL
	}
	if u.User != nil {
		return fmt.Errorf("%w: credentials in the URL", ErrInvalidURL)
	}
	return p.CheckHost(ctx, u.Hostname())
}

// CheckHost resolves host (a name or an address literal) and refuses it when
// any of its addresses is not allowed: a name with one private address among
// public ones would let a connection reach the private one.
func (p *Policy) CheckHost(ctx context.Context, host string) error {
	if host == "" {
		return ErrInvalidURL
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s", ErrForbiddenAddress, a)
		}
		return nil
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("%w: %s", ErrUnresolvable, host)
	}
	for _, a := range addrs {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s resolves to %s", ErrForbiddenAddress, host, a.Unmap())
		}
	}
	return nil
}

// Control is a net.Dialer Control function: it runs after name resolution,
// on the address actually dialled, and refuses forbidden ones.
func (p *Policy) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !p.Allowed(a) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, host)
	}
	return nil
}

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}
