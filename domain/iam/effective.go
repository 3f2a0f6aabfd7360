package iam

import "sort"

// grants expands permissions to the concrete grants they carry: admin
// carries write and read; write and read carry only themselves (see Has).
func grants(perms []string) map[string]bool {
	out := map[string]bool{}
	for _, p := range perms {
		out[p] = true
		if m, l := splitPermission(p); l == Admin {
			out[Permission(m, Write)] = true
			out[Permission(m, Read)] = true
		}
	}
	return out
}

// Intersect returns the permissions that both a and b grant (a key scoped to
// gateway:admin whose owner now only reads the gateway keeps gateway:read).
// It is how a credential's own grants (an API key's scopes, an access
// token's claims) are narrowed to what its principal holds now.
func Intersect(a, b []string) []string {
	ga, gb := grants(a), grants(b)
	var out []string
	for p := range ga {
		if gb[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// CanRead reports whether perms let their holder read what others did in a
// module: an explicit read grant, or admin; a write grant alone does not
// read (an application key that sends gateway traffic must not see other
// principals' requests).
func CanRead(perms []string, module string) bool { return Has(perms, Permission(module, Read)) }
