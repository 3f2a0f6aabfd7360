package gateway

import "github.com/astrabastion/astra/gateway/providers"

// InjectionDetector scores prompts for injection.
type InjectionDetector interface {
	Score(msgs []providers.Message) (score float64, patterns []string)
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
