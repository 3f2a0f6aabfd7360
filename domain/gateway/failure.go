package gateway

// Causes of a provider failure (ProviderFailure.Cause).
const (
	CauseTimeout           = "timeout"            // the provider did not answer within the connection's timeout
	CauseUpstream5xx       = "upstream_5xx"       // the provider answered a server error
	CauseUpstream4xx       = "upstream_4xx"       // the provider refused the request (Fault says whose fault)
	CauseCircuitOpen       = "circuit_open"       // the provider's breaker is open: it was not called
	CauseConnectionRefused = "connection_refused" // nothing listens at the provider's address
	CauseDNS               = "dns"                // the provider's host name does not resolve
	CauseTLS               = "tls"                // the TLS handshake or the certificate failed
	CauseConnection        = "connection_failed"  // the connection failed or broke otherwise
	CauseMalformed         = "malformed_response" // the provider answered something that is not its API
	CauseUnknown           = "unknown"            // a failure recorded before causes were (a legacy record)
)

// Whose fault a provider failure is.
const (
	FaultProvider = "provider" // the provider, or the gateway's connection to it (key, quota, address)
	FaultCaller   = "caller"   // the request itself (the provider said it is malformed or too large)
)

// ProviderFailure is why no provider answered a request: the cause of the
// last attempt, with every target tried in order (the one addressed, then
// the policy's fallbacks).
type ProviderFailure struct {
	Cause          string `json:"cause"`
	UpstreamStatus int    `json:"upstream_status,omitempty"`
	Fault          string `json:"fault"`
	// RetriesExhausted says the last target was retried as often as its
	// connection allows and failed every time.
	RetriesExhausted bool              `json:"retries_exhausted,omitempty"`
	Tried            []ProviderAttempt `json:"tried,omitempty"`
	// Legacy marks a failure read from an old RequestBlocked record
	// (blocked_by provider_call), its cause recovered from the step trace.
	Legacy bool `json:"legacy,omitempty"`
}

// ProviderAttempt is one target tried for a request.
type ProviderAttempt struct {
	Provider       string `json:"provider"`
	Model          string `json:"model"`
	Cause          string `json:"cause"`
	UpstreamStatus int    `json:"upstream_status,omitempty"`
	Attempts       int    `json:"attempts"` // calls made, retries included
}
