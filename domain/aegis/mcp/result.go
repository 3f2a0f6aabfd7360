package mcp

import (
	"sync"

	"github.com/astrabastion/astra/domain/gateway/pii"
)

var (
	piiOnce sync.Once
	piiDet  *pii.Detector
)

func piiDetector() *pii.Detector {
	piiOnce.Do(func() { piiDet = pii.New() })
	return piiDet
}

// secretTypes are the PII engine's types that are secrets rather than personal data.
var secretTypes = map[string]bool{pii.TypeAPIKey: true, pii.TypePrivateKey: true, pii.TypeSecret: true}

// ResultLabels are the labels a tool result's text carries: pii (personal
// data, as the gateway's PII engine finds it with its default types) and
// secret (API keys, private keys, other secrets), sorted.
func ResultLabels(text string) []string {
	var p, s bool
	for _, e := range piiDetector().Find(text) {
		if secretTypes[e.Type] {
			s = true
		} else {
			p = true
		}
	}
	out := []string{}
	if p {
		out = append(out, LabelPII)
	}
	if s {
		out = append(out, LabelSecret)
	}
	return out
}

// ScanResult looks for instructions smuggled into a tool's result (an
// indirect injection): invisible text, pseudo-tags, concealment wording and
// the injection detector. Sensitive paths and URLs are ordinary in results
// (a file listing, a search hit) and are not judged there.
func ScanResult(text string) []Finding {
	var out []Finding
	for _, f := range ScanText("result", text) {
		switch f.Category {
		case CategoryInvisible, CategoryPseudoTag, CategoryConcealment, CategoryCrossTool, CategoryInjection:
			if f.Category != CategoryInjection {
				f.Technique, f.Techniques = TechniqueIndirectInjection, []string{TechniqueIndirectInjection}
			}
			out = append(out, f)
		}
	}
	if out == nil {
		out = []Finding{}
	}
	return out
}
