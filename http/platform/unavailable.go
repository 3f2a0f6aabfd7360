package platform

import (
	"github.com/astrabastion/astra/projections"
)

// UnavailableRetryAfter is the Retry-After (seconds) of a SYS-002 answer.
const UnavailableRetryAfter = "2"

// Unavailable is the SYS-002 answer for a dependency that cannot be reached:
// a transient condition, never a verdict on the request or its credential.
func Unavailable(detail string) *Error {
	return Problem("SYS-002", detail).WithHeader(RetryAfterHeader, UnavailableRetryAfter)
}

// DependencyUnavailable reports whether err says that Postgres (or another
// dependency reached over the network) cannot be used right now; the layer
// that owns Postgres classifies it (projections.Unavailable).
func DependencyUnavailable(err error) bool { return projections.Unavailable(err) }
