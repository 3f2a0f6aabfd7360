package gateway

import (
	"strings"
	"time"
)

// ContentMonthLayout is how a content key names its month.
const ContentMonthLayout = "2006-01"

// ContentSubject names a tenant's monthly content key, which seals the
// prompts and completions the request log keeps (so that retention can erase
// a month at once). It holds no ':' — a sealed value is
// "enc:v1:<subject>:<ciphertext>" and the keyring reads the subject up to the
// first colon.
func ContentSubject(tenantID string, now time.Time) string {
	return ContentPrefix(tenantID) + now.UTC().Format(ContentMonthLayout)
}

// ContentPrefix is what every content key of a tenant starts with.
func ContentPrefix(tenantID string) string { return "content/" + tenantID + "/" }

// ContentMonth reads the month a tenant's content key seals (its first
// instant, UTC); ok is false for any other key.
func ContentMonth(tenantID, subject string) (time.Time, bool) {
	m, ok := strings.CutPrefix(subject, ContentPrefix(tenantID))
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(ContentMonthLayout, m)
	return t, err == nil
}

// IsContentSubject reports whether a key is a tenant's monthly content key:
// a key shared by every principal's requests of the month.
func IsContentSubject(subject string) bool { return strings.HasPrefix(subject, "content/") }
