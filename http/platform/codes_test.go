package platform

import "net/http"

// The platform's tests use codes of their own: modules register theirs
// from their descriptors, which these tests do not load.
func init() {
	RegisterCodes(Codes{
		"TST-001": Entry(http.StatusNotFound, "User not found", "No user with that identifier exists in the tenant."),
		"TST-002": Entry(http.StatusConflict, "E-mail already registered", "Another user of the tenant already uses that e-mail address."),
	})
}
