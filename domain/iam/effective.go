package iam

import "sort"

// levelRank orders the levels of access: admin implies write implies read.
func levelRank(level string) int {
	switch level {
	case Read:
		return 1
	case Write:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Intersect returns the permissions that both a and b grant: per module the
// lower of the two levels (a key scoped to gateway:write whose owner now only
// reads the gateway keeps gateway:read). It is how a credential's own grants
// (an API key's scopes, an access token's claims) are narrowed to what its
// principal holds now.
func Intersect(a, b []string) []string {
	best := func(perms []string) map[string]int {
		m := map[string]int{}
		for _, p := range perms {
			module, level := splitPermission(p)
			if r := levelRank(level); r > m[module] {
				m[module] = r
			}
		}
		return m
	}
	ma, mb := best(a), best(b)
	levels := []string{"", Read, Write, Admin}
	var out []string
	for module, ra := range ma {
		r := min(ra, mb[module])
		if r == 0 {
			continue
		}
		// Keep the exact grants of a at or below r, so that a narrowed set
		// reads like the original (gateway:read + gateway:write stays both).
		kept := false
		for _, p := range a {
			m, l := splitPermission(p)
			if m == module && levelRank(l) <= r {
				out = append(out, p)
				kept = kept || levelRank(l) == r
			}
		}
		if !kept {
			out = append(out, Permission(module, levels[r]))
		}
	}
	sort.Strings(out)
	return compactSorted(out)
}

func compactSorted(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// CanRead reports whether perms let their holder read what others did in a
// module: an explicit read grant, or admin. Unlike Has, a write grant alone
// does not read: an application key that sends gateway traffic must not see
// other principals' requests on the live stream.
func CanRead(perms []string, module string) bool {
	for _, p := range perms {
		if p == Permission(module, Read) || p == Permission(module, Admin) {
			return true
		}
	}
	return false
}
