package gateway

import gw "github.com/astrabastion/astra/domain/gateway"

// InjectionDetector scores text for injection: typed by a user, or (document)
// retrieved or returned by a tool, where instructions addressed to the
// assistant count as indirect injection.
type InjectionDetector interface {
	ScanText(text string, document bool) (score float64, patterns []string)
	Version() string
	DefaultThreshold() float64
}

// PIIEntity is one detected personal-data span (byte offsets).
type PIIEntity struct {
	Type       string
	Start, End int
	Score      float64
}

// PIIScope widens one PII search beyond the detector's default types.
type PIIScope struct {
	// Include lists entity types looked for besides the default ones (the policy's types: those off
	// by default, such as DATE_TIME, URL or PERSON, are found only when a policy selects them).
	Include []string
	// PhoneRegion is the default region of phone numbers without a country prefix ("" for none).
	PhoneRegion string
}

// PIIDetector finds and redacts personal data.
type PIIDetector interface {
	Find(text string, scope PIIScope) []PIIEntity
	Redact(text string, ents []PIIEntity) string
	Version() string
}

// piiScope is the search a PII rule asks for: its types on top of the defaults (filterPII then keeps
// the rule's types; the audit trail's redaction takes everything found) and its phone region.
func piiScope(rule gw.PIIRule) PIIScope {
	return PIIScope{Include: rule.Types, PhoneRegion: rule.PhoneRegion}
}
