package platform

import (
	"net/http"
	"sort"
)

// CatalogueEntry describes one stable, documented API error code.
type CatalogueEntry struct {
	Status      int
	Title       string
	Description string
}

// Catalogue lists every error code the API may return. Codes are part of the
// public contract: clients branch on them, so a code is never reused for a
// different meaning. docs/errors.md documents each of them and a test keeps
// the two in sync.
var Catalogue = map[string]CatalogueEntry{
	// Request validation.
	"VAL-001": {http.StatusBadRequest, "Validation failed", "The request is well-formed JSON but one or more fields are invalid (unknown field, wrong type, or a failed rule such as `required`); see `errors[]`."},
	"VAL-002": {http.StatusBadRequest, "Malformed JSON", "The request body is empty, is not valid JSON (the detail gives the byte offset), or has data after the JSON value."},
	"VAL-003": {http.StatusUnsupportedMediaType, "Unsupported media type", "The request has a body whose `Content-Type` is not `application/json` (or a `+json` type) in UTF-8."},
	"VAL-004": {http.StatusRequestEntityTooLarge, "Request body too large", "The request body exceeds the server's body limit (1 MiB by default)."},
	"VAL-005": {http.StatusBadRequest, "Invalid query parameter", "A query parameter is malformed or out of range (e.g. `limit` outside 1–200, a timestamp that is not RFC 3339); the detail and `errors[]` name it."},
	"VAL-006": {http.StatusBadRequest, "Invalid cursor", "The pagination cursor was not issued by this API or is corrupted; restart from the first page."},
	"VAL-007": {http.StatusBadRequest, "Invalid text", "A string in the body, or a path or query parameter, holds a NUL (`\\u0000`) or another C0 control character (tab, line feed and carriage return are allowed), a lone UTF-16 surrogate (`\\ud800`) or bytes that are not valid UTF-8 (overlong forms included); `errors[]` names the field. Nothing is recorded."},

	// Authentication and authorisation.
	"AUTH-001": {http.StatusUnauthorized, "Authentication required", "The route requires a bearer token and none was sent."},
	"AUTH-002": {http.StatusUnauthorized, "Invalid token", "The bearer token is malformed, has a bad signature, or was revoked."},
	"AUTH-003": {http.StatusUnauthorized, "Token expired", "The bearer token has expired; obtain a new one."},
	"AUTH-004": {http.StatusUnauthorized, "Invalid credentials", "The e-mail/password pair (or other credential) was rejected."},
	"AUTH-005": {http.StatusForbidden, "Tenant mismatch", "The token belongs to a different tenant than the one addressed by the request."},
	"AUTH-006": {http.StatusForbidden, "Permission denied", "The principal lacks the permission the route requires (`x-permission` in the OpenAPI document)."},
	"AUTH-007": {http.StatusLocked, "Account locked", "The account is locked until the lock ends or an administrator unlocks it (failed sign-ins no longer lock accounts: they are throttled per client address, RATE-002). `Retry-After` says how long."},
	"AUTH-008": {http.StatusUnauthorized, "MFA code required", "The account has two-factor authentication: repeat the login with `mfa_code`."},
	"AUTH-009": {http.StatusUnauthorized, "Invalid MFA code", "The two-factor code is wrong, expired or already used."},
	"AUTH-010": {http.StatusUnauthorized, "Refresh token reused", "A rotated refresh token was presented again: the whole session family is revoked. Sign in again."},
	"AUTH-011": {http.StatusForbidden, "MFA enrolment required", "The tenant requires two-factor authentication and the account has none: enrol with `POST /api/v1/auth/mfa/enrollment` (e-mail and password), confirm with `POST /api/v1/auth/mfa/enrollment/verify`, then sign in with `mfa_code`. No session is issued (or refreshed) before."},

	// Concurrency and idempotency.
	"CON-001": {http.StatusPreconditionFailed, "Version mismatch", "The `If-Match` version is stale: the resource changed since it was read. Re-read it and retry."},
	"CON-002": {http.StatusPreconditionRequired, "If-Match required", "The route modifies a versioned resource and requires an `If-Match` header."},
	"CON-003": {http.StatusConflict, "Concurrent modification", "Another write to the same aggregate won the race; retry the request."},
	"CON-004": {http.StatusConflict, "Idempotency key in use", "A request with the same `Idempotency-Key` is still being processed."},
	"CON-005": {http.StatusUnprocessableEntity, "Idempotency key reused with a different request", "The `Idempotency-Key` was already used for a request with a different method, path or body."},

	// Rate limiting.
	"RATE-001": {http.StatusTooManyRequests, "Rate limit exceeded", "Too many requests; wait for the number of seconds in `Retry-After`."},
	"RATE-002": {http.StatusTooManyRequests, "Too many live-stream channels", "A live-stream connection holds at most `ASTRA_WS_MAX_PATTERNS` channel patterns (64 by default); the subscription was refused, unsubscribe from others first."},
	"RATE-003": {http.StatusTooManyRequests, "Too many live-stream connections", "A principal (a user or an API key) holds at most `ASTRA_WS_MAX_CONNECTIONS_PER_PRINCIPAL` open live-stream connections per instance (16 by default); the connection is closed with 4429."},
	"RATE-004": {http.StatusTooManyRequests, "Sign-in throttled", "Too many failed sign-ins on this account from this client address: wait for the number of seconds in `Retry-After` (1 s, 2 s, 4 s … up to 15 minutes). Other addresses are not affected."},

	// System.
	"SYS-001": {http.StatusInternalServerError, "Internal error", "An unexpected server error. The response never contains the cause; quote `request_id`."},
	"SYS-002": {http.StatusServiceUnavailable, "Service unavailable", "A dependency is unavailable, or the request timed out or was cancelled; retry with backoff."},
	"SYS-003": {http.StatusNotFound, "Route not found", "No route matches the request path."},
	"SYS-004": {http.StatusMethodNotAllowed, "Method not allowed", "The path exists but not for this method; see the `Allow` header."},
}

// CodesForStatus returns the catalogue codes that use status, sorted, so the
// OpenAPI document can list which codes a response status may carry.
func CodesForStatus(status int) []string {
	var codes []string
	for code, entry := range Catalogue {
		if entry.Status == status {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return codes
}
