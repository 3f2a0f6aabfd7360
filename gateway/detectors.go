package gateway

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

// PIIDetector finds and redacts personal data.
type PIIDetector interface {
	Find(text string) []PIIEntity
	Redact(text string, ents []PIIEntity) string
	Version() string
}
