package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"syscall"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/netguard"
)

// Problem codes of a provider failure: the provider failed (502), timed out
// (504), its circuit is open (503), or it refused the request as the
// caller's fault (400).
const (
	CodeProviderFailed   = "GW-009"
	CodeProviderTimeout  = "GW-030"
	CodeProviderCircuit  = "GW-031"
	CodeProviderRejected = "GW-032"
)

// IsProviderFailure reports a pipeline code that records a RequestFailed.
func IsProviderFailure(code string) bool {
	switch code {
	case CodeProviderFailed, CodeProviderTimeout, CodeProviderCircuit, CodeProviderRejected:
		return true
	}
	return false
}

// classify names why a provider call failed: its cause, the upstream status
// (when the provider answered), whose fault it is, and how many calls it took.
func classify(err error) gw.ProviderAttempt {
	a := gw.ProviderAttempt{Cause: gw.CauseConnection, Attempts: 1}
	var pe *providers.Error
	if errors.As(err, &pe) {
		if pe.Attempts > 1 {
			a.Attempts = pe.Attempts
		}
		if pe.Status > 0 && !errors.Is(err, providers.ErrCircuitOpen) {
			a.UpstreamStatus = pe.Status
		}
	}
	var dns *net.DNSError
	var certInvalid x509.CertificateInvalidError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.Is(err, providers.ErrCircuitOpen):
		a.Cause = gw.CauseCircuitOpen
	case errors.Is(err, context.DeadlineExceeded) || (pe != nil && pe.Status == 0 && pe.Message == "timeout"):
		a.Cause = gw.CauseTimeout
	case a.UpstreamStatus >= 500:
		a.Cause = gw.CauseUpstream5xx
	case a.UpstreamStatus >= 400:
		a.Cause = gw.CauseUpstream4xx
	case a.UpstreamStatus > 0:
		a.Cause = gw.CauseMalformed // a 2xx or 3xx that is not the provider's API
	case errors.Is(err, syscall.ECONNREFUSED):
		a.Cause = gw.CauseConnectionRefused
	case errors.As(err, &dns) || errors.Is(err, netguard.ErrUnresolvable):
		a.Cause = gw.CauseDNS
	case errors.As(err, &certInvalid) || errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert):
		a.Cause = gw.CauseTLS
	}
	return a
}

// callerFault reports an upstream refusal that is the request's fault (it is
// malformed, too large or unprocessable); every other 4xx (a bad key, a
// missing model or deployment, a quota, a rate limit) is the provider side's.
func callerFault(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// tried notes a target a request was sent to and how it failed (err nil: it answered).
func (r *run) tried(prov *runtimeProvider, model string, err error) {
	if err == nil || prov == nil {
		return
	}
	a := classify(err)
	a.Provider, a.Model = printable(prov.name), printable(model)
	r.attempts = append(r.attempts, a)
}

// fail ends a call no provider answered: RequestFailed with the failure's
// cause, and the caller's answer by cause (GW-030 timeout 504, GW-031 circuit
// open 503, GW-032 refused as the caller's fault 400, else GW-009 502).
func (r *run) fail(err error, detail string) *Blocked {
	last := classify(err)
	f := &gw.ProviderFailure{Cause: last.Cause, UpstreamStatus: last.UpstreamStatus, Fault: gw.FaultProvider, Tried: r.attempts}
	if n := len(r.attempts); n > 0 {
		last = r.attempts[n-1]
		f.Cause, f.UpstreamStatus = last.Cause, last.UpstreamStatus
	}
	var pe *providers.Error
	f.RetriesExhausted = last.Attempts > 1 && errors.As(err, &pe) && pe.Retryable
	code := CodeProviderFailed
	switch {
	case f.Cause == gw.CauseTimeout:
		code = CodeProviderTimeout
	case f.Cause == gw.CauseCircuitOpen:
		code = CodeProviderCircuit
	case f.Cause == gw.CauseUpstream4xx && callerFault(f.UpstreamStatus):
		code, f.Fault = CodeProviderRejected, gw.FaultCaller
	}
	r.failure = f
	r.blocked = &Blocked{Code: code, Step: gw.StepProvider, Detail: detail}
	return r.blocked
}
