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
	"VAL-001": {http.StatusBadRequest, "Validation failed", "The request is well-formed JSON but one or more fields are invalid; see errors[] for each field."},
	"VAL-002": {http.StatusBadRequest, "Malformed JSON", "The request body is empty, is not valid JSON, or has data after the JSON value."},
	"VAL-003": {http.StatusUnsupportedMediaType, "Unsupported media type", "The request has a body whose Content-Type is not application/json (or a +json type)."},
	"VAL-004": {http.StatusRequestEntityTooLarge, "Request body too large", "The request body exceeds the server's body limit (1 MiB by default)."},
	"VAL-005": {http.StatusBadRequest, "Invalid query parameter", "A query parameter is malformed or out of range; the detail names it."},
	"VAL-006": {http.StatusBadRequest, "Invalid cursor", "The pagination cursor is not one this API issued; restart from the first page."},
	"VAL-007": {http.StatusBadRequest, "Invalid text", "A string field or parameter holds a NUL or other control character, a lone UTF-16 surrogate or invalid UTF-8; errors[] names the field."},

	// Authentication and authorisation.
	"AUTH-001": {http.StatusUnauthorized, "Authentication required", "The route requires a bearer token and none was sent."},
	"AUTH-002": {http.StatusUnauthorized, "Invalid token", "The bearer token is malformed, has a bad signature, or was revoked."},
	"AUTH-003": {http.StatusUnauthorized, "Token expired", "The bearer token has expired; obtain a new one."},
	"AUTH-004": {http.StatusUnauthorized, "Invalid credentials", "The e-mail/password pair (or other credential) was rejected."},
	"AUTH-005": {http.StatusForbidden, "Tenant mismatch", "The token belongs to a different tenant than the one addressed by the request."},
	"AUTH-006": {http.StatusForbidden, "Permission denied", "The principal lacks the permission the route requires."},
	"AUTH-007": {http.StatusLocked, "Account locked", "The account is locked until the lock ends or an administrator unlocks it (failed sign-ins no longer lock accounts: they are throttled per client address, RATE-002). Retry-After says how long."},
	"AUTH-008": {http.StatusUnauthorized, "MFA code required", "The account has two-factor authentication: repeat the login with mfa_code."},
	"AUTH-009": {http.StatusUnauthorized, "Invalid MFA code", "The two-factor code is wrong, expired or already used."},
	"AUTH-010": {http.StatusUnauthorized, "Refresh token reused", "A rotated refresh token was presented again: the whole session family is revoked. Sign in again."},
	"AUTH-011": {http.StatusForbidden, "MFA enrolment required", "The tenant requires two-factor authentication and the account has none: enrol with POST /api/v1/auth/mfa/enrollment (e-mail and password), confirm with POST /api/v1/auth/mfa/enrollment/verify, then sign in with mfa_code. No session is issued (or refreshed) before."},

	// Identity and access management.
	"IAM-001": {http.StatusNotFound, "User not found", "No user with that identifier exists in the tenant."},
	"IAM-002": {http.StatusConflict, "E-mail already registered", "Another user of the tenant already uses that e-mail address."},
	"IAM-003": {http.StatusNotFound, "Tenant not found", "No tenant with that identifier exists."},
	"IAM-004": {http.StatusConflict, "Tenant name taken", "Another tenant already uses that name."},
	"IAM-005": {http.StatusUnprocessableEntity, "Invalid role", "The role does not exist or cannot be granted by the caller."},
	"IAM-006": {http.StatusUnprocessableEntity, "User is deactivated", "The operation is not allowed on a deactivated user."},
	"IAM-007": {http.StatusNotFound, "Role not found", "No role with that id or name exists in the tenant."},
	"IAM-008": {http.StatusConflict, "Role name taken", "A custom role with this name already exists in the tenant."},
	"IAM-009": {http.StatusForbidden, "Built-in role is immutable", "Built-in roles cannot be changed or deleted."},
	"IAM-010": {http.StatusUnprocessableEntity, "Unknown permission", "A permission is not in the catalogue (GET /api/v1/iam/permissions)."},
	"IAM-011": {http.StatusUnprocessableEntity, "Last role", "A user keeps at least one role."},
	"IAM-012": {http.StatusConflict, "MFA already enrolled", "Two-factor authentication is already enrolled; disable it first."},
	"IAM-013": {http.StatusUnprocessableEntity, "MFA not enrolled", "There is no (pending) two-factor enrolment to verify or disable."},
	"IAM-014": {http.StatusUnprocessableEntity, "Weak password", "Passwords have 12 to 1024 characters."},
	"IAM-015": {http.StatusUnprocessableEntity, "Wrong current password", "The current password given to change it is wrong."},
	"IAM-016": {http.StatusUnprocessableEntity, "Invalid reset token", "The password-reset token is unknown, expired (30 minutes) or already used."},
	"IAM-017": {http.StatusConflict, "Role in use", "The role is still assigned to users; unassign it first."},
	"IAM-018": {http.StatusNotFound, "Session not found", "No session with that id exists in the tenant."},
	"IAM-019": {http.StatusUnprocessableEntity, "Role not assigned", "The user does not hold that role."},
	"IAM-020": {http.StatusNotFound, "API key not found", "No API key with that id exists in the tenant (or it is not yours)."},
	"IAM-021": {http.StatusUnprocessableEntity, "API key revoked", "The API key is revoked and cannot be rotated."},
	"IAM-022": {http.StatusConflict, "Tenant required", "This address signs in to several tenants; repeat the sign-in with tenant (the tenant's id or name)."},

	// AI gateway.
	"GW-001": {http.StatusServiceUnavailable, "Kill switch active", "A kill switch (global, tenant, provider, model, policy or API key) stops this traffic."},
	"GW-002": {http.StatusForbidden, "Provider or model not allowed", "The policy's allow-lists do not admit this provider or model."},
	"GW-003": {http.StatusUnprocessableEntity, "Prompt Injection Detected", "The prompt scored at or above the policy's injection threshold and the policy blocks it."},
	"GW-004": {http.StatusTooManyRequests, "Budget exceeded", "A token or cost budget of the tenant, user (its API keys included) or API key has no room for the request's estimated tokens or cost in the current period."},
	"GW-005": {http.StatusUnprocessableEntity, "Request exceeds policy limits", "The request is malformed for the pipeline or exceeds the policy's token limits."},
	"GW-006": {http.StatusNotFound, "Policy not found", "No policy with that id exists in the tenant."},
	"GW-007": {http.StatusUnprocessableEntity, "Personal data blocked", "The prompt contains personal data and the policy blocks it."},
	"GW-008": {http.StatusUnprocessableEntity, "Content rule matched", "The prompt matches a blocking content rule of the policy."},
	"GW-009": {http.StatusBadGateway, "Upstream provider error", "The provider (and every fallback) failed, timed out or its circuit is open."},
	"GW-010": {http.StatusNotFound, "Provider not found", "No enabled provider with that name or id in the tenant."},
	"GW-011": {http.StatusUnprocessableEntity, "Response withheld", "The completion contained personal data or a canary token and the policy withholds it."},
	"GW-012": {http.StatusServiceUnavailable, "Pipeline step failed", "A pipeline step could not decide and its fail mode is closed."},
	"GW-013": {http.StatusNotFound, "Policy version not found", "No such earlier version of the policy to roll back to."},
	"GW-014": {http.StatusNotFound, "Kill switch not found", "No active kill switch matches the id or scope."},
	"GW-015": {http.StatusNotFound, "Budget not found", "No budget with that id exists in the tenant."},
	"GW-016": {http.StatusUnprocessableEntity, "URL refused", "The URL points at a private, loopback, link-local or metadata address (or is not http/https) and configuration does not allow it."},
	"GW-017": {http.StatusConflict, "Provider name taken", "A provider with this name already exists in the tenant."},
	"GW-018": {http.StatusNotFound, "Detector not found", "No detector with that name."},
	"GW-019": {http.StatusNotFound, "Request not found", "No gateway request with that id exists in the tenant."},
	"GW-020": {http.StatusNotFound, "Model not offered", "The provider does not offer this model: it is not in the provider's declared model list (model ids are matched normalised) and the provider does not allow any model."},

	// Risk.
	"RSK-001": {http.StatusNotFound, "Risk not found", "No risk with that id exists in the tenant."},
	"RSK-002": {http.StatusConflict, "Risk closed", "The risk is closed and cannot change."},
	"RSK-003": {http.StatusUnprocessableEntity, "Invalid FAIR inputs", "The FAIR model is unusable (frequency, vulnerability or magnitude ranges)."},
	"RSK-004": {http.StatusConflict, "No FAIR inputs", "The risk has no FAIR model to simulate."},
	"RSK-005": {http.StatusNotFound, "Simulation not found", "No simulation with that id exists in the tenant."},

	// Trust.
	"TRU-001": {http.StatusNotFound, "Pillar not found", "No pillar with that name (security, compliance, risk, resilience, ai_governance)."},

	// Single sign-on.
	"SSO-001": {http.StatusNotFound, "SSO provider not found", "No OIDC identity provider with that id exists in the tenant."},
	"SSO-002": {http.StatusUnprocessableEntity, "Invalid SSO provider settings", "A provider setting is invalid; errors[] names it (e.g. provisioning users needs allowed_domains and a built-in role other than platform_admin)."},
	"SSO-003": {http.StatusUnprocessableEntity, "Issuer URL not allowed", "The issuer URL is not https, does not resolve, or resolves to a private, loopback, link-local or metadata address (see ASTRA_ALLOW_PRIVATE_URLS)."},
	"SSO-004": {http.StatusNotFound, "Single sign-on not available", "The tenant is unknown, or has no enabled identity provider (or not the one named by ?provider=)."},
	"SSO-005": {http.StatusConflict, "Several SSO providers", "The tenant has several enabled identity providers: name one with ?provider=<id>."},
	"SSO-006": {http.StatusBadRequest, "Invalid SSO state", "The callback's state is missing, unknown, already used or expired (10 minutes): start the sign-in again."},
	"SSO-007": {http.StatusUnauthorized, "SSO sign-in failed", "The identity provider refused the sign-in, or the code exchange or the ID token's verification (signature, issuer, audience, expiry, nonce) failed."},
	"SSO-008": {http.StatusForbidden, "E-mail domain not allowed", "The e-mail address's domain is not among the provider's allowed domains."},
	"SSO-009": {http.StatusForbidden, "E-mail not verified", "The identity provider sent no e-mail address, or says that it is not verified."},
	"SSO-010": {http.StatusForbidden, "No account", "No active user of the tenant has this e-mail address and the provider does not provision users; platform administrators never sign in through a tenant's identity provider."},
	"SSO-011": {http.StatusBadGateway, "Identity provider unavailable", "The identity provider could not be reached, is not an allowed destination, or its discovery document is unusable."},
	"SSO-012": {http.StatusServiceUnavailable, "Public URL not configured", "Single sign-on cannot start until the administrator sets ASTRA_PUBLIC_URL: the redirect URI is never derived from the request's Host header."},

	// Concurrency and idempotency.
	"CON-001": {http.StatusPreconditionFailed, "Version mismatch", "The If-Match version is stale: the resource changed since it was read. Re-read and retry."},
	"CON-002": {http.StatusPreconditionRequired, "If-Match required", "The route modifies a versioned resource and requires an If-Match header."},
	"CON-003": {http.StatusConflict, "Concurrent modification", "Another write to the same aggregate won the race; retry the request."},
	"CON-004": {http.StatusConflict, "Idempotency key in use", "A request with the same Idempotency-Key is still being processed."},
	"CON-005": {http.StatusUnprocessableEntity, "Idempotency key reused with a different request", "The Idempotency-Key was already used for a request with a different method, path or body."},

	// Rate limiting.
	"RATE-001": {http.StatusTooManyRequests, "Rate limit exceeded", "Too many requests; wait for the number of seconds in Retry-After."},
	"RATE-002": {http.StatusTooManyRequests, "Too many live-stream channels", "A live-stream connection holds at most ASTRA_WS_MAX_PATTERNS channel patterns (64 by default); the subscription was refused, unsubscribe from others first."},
	"RATE-003": {http.StatusTooManyRequests, "Too many live-stream connections", "A principal (a user or an API key) holds at most ASTRA_WS_MAX_CONNECTIONS_PER_PRINCIPAL open live-stream connections per instance (16 by default); the connection is closed with 4429."},
	"RATE-004": {http.StatusTooManyRequests, "Sign-in throttled", "Too many failed sign-ins on this account from this client address: wait for the number of seconds in Retry-After (1 s, 2 s, 4 s … up to 15 minutes). Other addresses are not affected."},

	// System.
	"SYS-001": {http.StatusInternalServerError, "Internal error", "An unexpected server error; quote the request_id when reporting it."},
	"SYS-002": {http.StatusServiceUnavailable, "Service unavailable", "A dependency is unavailable, or the request timed out or was cancelled; retry with backoff."},
	"SYS-003": {http.StatusNotFound, "Route not found", "No route matches the request path."},
	"SYS-004": {http.StatusMethodNotAllowed, "Method not allowed", "The path exists but not for this method; see the Allow header."},

	// Administration.
	"ADM-001": {http.StatusNotFound, "Projection not found", "No read-model projection with that name exists."},
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
