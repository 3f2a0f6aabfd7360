package pii

import (
	"github.com/astrabastion/astra/testkit/shareddata"

	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

type presidioSample struct {
	Text  string
	Spans []goldSpan
}

type goldSpan struct {
	Type       string
	Start, End int // byte offsets
	Value      string
}

// loadPresidio reads the presidio-research synthetic data set and converts its code-point offsets
// to byte offsets.
func loadPresidio(t testing.TB) []presidioSample {
	var raw []struct {
		FullText string `json:"full_text"`
		Spans    []struct {
			EntityType    string `json:"entity_type"`
			EntityValue   string `json:"entity_value"`
			StartPosition int    `json:"start_position"`
			EndPosition   int    `json:"end_position"`
		} `json:"spans"`
	}
	if err := json.Unmarshal(shareddata.Read(t, "pii/presidio_research_synth_dataset_v2.json"), &raw); err != nil {
		t.Fatal(err)
	}
	out := make([]presidioSample, 0, len(raw))
	for _, r := range raw {
		offs := make([]int, 0, len(r.FullText)+1)
		for i := range r.FullText {
			offs = append(offs, i)
		}
		offs = append(offs, len(r.FullText))
		s := presidioSample{Text: r.FullText}
		for _, sp := range r.Spans {
			g := goldSpan{Type: sp.EntityType, Start: offs[sp.StartPosition], End: offs[sp.EndPosition]}
			g.Value = r.FullText[g.Start:g.End]
			if g.Value != sp.EntityValue {
				t.Fatalf("offset conversion: %q != %q", g.Value, sp.EntityValue)
			}
			s.Spans = append(s.Spans, g)
		}
		out = append(out, s)
	}
	return out
}

// goldTypeMap maps data set labels to this package's types (presidio-research labels URLs DOMAIN_NAME).
var goldTypeMap = map[string]string{"DOMAIN_NAME": TypeURL}

// checksumValidGold reports whether a gold span of a checksummed type passes its checksum; spans that
// do not are excluded from scoring (a validating detector is right to skip them).
func checksumValidGold(g goldSpan) bool {
	var digits, alnum []byte
	for i := 0; i < len(g.Value); i++ {
		if isDigit(g.Value[i]) {
			digits = append(digits, g.Value[i])
		}
		if isAlnum(g.Value[i]) {
			alnum = append(alnum, upper(g.Value[i]))
		}
	}
	switch g.Type {
	case TypeCreditCard:
		return len(digits) >= 12 && luhn(digits)
	case TypeIBAN:
		return ibanValid(alnum)
	case TypeUSSSN:
		return len(digits) == 9 && ssnValid(digits)
	}
	return true
}

type typeMetrics struct {
	Support, Excluded, Predicted int
	ExactTP, OverlapTP           int
}

func (m typeMetrics) prf(tp int) (p, r, f float64) {
	if m.Predicted > 0 {
		p = float64(tp) / float64(m.Predicted)
	}
	if m.Support > 0 {
		r = float64(tp) / float64(m.Support)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

// evaluatePresidio runs d over the data set and computes per-type counts. Matching rules:
//   - exact: a prediction matches a gold span of the same type with the same start and end;
//   - overlap: a prediction matches a gold span of the same type that it overlaps; each gold span
//     and each prediction is matched at most once.
//
// Gold spans whose checksum fails (cards, IBANs, SSNs) are excluded, and so are predictions of the
// same type that overlap them.
func evaluatePresidio(d *Detector, samples []presidioSample, errs map[string][]string) map[string]*typeMetrics {
	m := map[string]*typeMetrics{}
	get := func(t string) *typeMetrics {
		if m[t] == nil {
			m[t] = &typeMetrics{}
		}
		return m[t]
	}
	for _, s := range samples {
		var gold, excluded []goldSpan
		for _, g := range s.Spans {
			if mt, ok := goldTypeMap[g.Type]; ok {
				g.Type = mt
			}
			if checksumValidGold(g) {
				gold = append(gold, g)
				get(g.Type).Support++
			} else {
				excluded = append(excluded, g)
				get(g.Type).Excluded++
			}
		}
		preds := d.Find(s.Text)
		usedExact := make([]bool, len(gold))
		usedOverlap := make([]bool, len(gold))
		for _, p := range preds {
			if slices.ContainsFunc(excluded, func(g goldSpan) bool { return g.Type == p.Type && p.Start < g.End && g.Start < p.End }) {
				continue
			}
			tm := get(p.Type)
			tm.Predicted++
			exact, overlap := false, false
			for i, g := range gold {
				if g.Type != p.Type {
					continue
				}
				if !usedExact[i] && g.Start == p.Start && g.End == p.End {
					usedExact[i], exact = true, true
				}
			}
			for i, g := range gold {
				if g.Type == p.Type && !usedOverlap[i] && p.Start < g.End && g.Start < p.End {
					usedOverlap[i], overlap = true, true
					break
				}
			}
			if exact {
				tm.ExactTP++
			}
			if overlap {
				tm.OverlapTP++
			}
			if !exact && errs != nil {
				errs[p.Type] = append(errs[p.Type], fmt.Sprintf("FP/partial %q in %q", p.Value, snippet(s.Text, p.Start, p.End)))
			}
		}
		if errs != nil {
			for i, g := range gold {
				if !usedOverlap[i] {
					errs[g.Type] = append(errs[g.Type], fmt.Sprintf("FN %q in %q", g.Value, snippet(s.Text, g.Start, g.End)))
				}
			}
		}
	}
	return m
}

func snippet(t string, s, e int) string {
	s, e = max(0, s-30), min(len(t), e+20)
	for s > 0 && s < len(t) && t[s]&0xC0 == 0x80 {
		s--
	}
	for e < len(t) && t[e]&0xC0 == 0x80 {
		e++
	}
	return t[s:e]
}

// assertedF1 lists the pattern entity types this package claims on the presidio data set, with the
// minimum F1 asserted under the overlap rule (and reported under the exact rule).
var assertedF1 = map[string]float64{
	TypeEmail:      0.90,
	TypePhone:      0.90,
	TypeCreditCard: 0.90,
	TypeIBAN:       0.90,
	TypeUSSSN:      0.90,
	TypeIPAddress:  0.90,
	TypeURL:        0.90,
	TypeDateTime:   0.90,
}

// notCovered are data set labels that need named-entity recognition (or are not pattern-validated)
// and are out of scope for this package.
var notCovered = map[string]string{
	"PERSON": "NER", "STREET_ADDRESS": "NER", "GPE": "NER", "ORGANIZATION": "NER", "TITLE": "NER",
	"NRP": "NER", "AGE": "NER (no validatable pattern)", "ZIP_CODE": "no validatable pattern (ambiguous with any short number)",
}

// TestDetector_PresidioMetrics computes precision, recall and F1 per entity type on the
// presidio-research synthetic data set (../shared/data/pii) and asserts F1 ≥ 0.90, under the overlap
// rule, for the pattern entity types this package claims (assertedF1). The overlap rule is asserted
// because span boundaries of pattern entities are unambiguous once the type is right; the exact rule
// is reported next to it (on this data set both give the same numbers). Types this package does not
// detect are listed as not covered.
func TestDetector_PresidioMetrics(t *testing.T) {
	samples := loadPresidio(t)
	d := New(WithAllTypes())
	errs := map[string][]string{}
	m := evaluatePresidio(d, samples, errs)

	types := make([]string, 0, len(m))
	for k := range m {
		types = append(types, k)
	}
	sort.Strings(types)
	var b strings.Builder
	fmt.Fprintf(&b, "presidio_research_synth_dataset_v2.json: %d sentences, detector %s, all types enabled, min score %.2f\n", len(samples), Version, d.MinScore())
	fmt.Fprintf(&b, "ovl = same type and overlapping spans (asserted); ex = same type and identical byte spans; one-to-one matching\n")
	fmt.Fprintf(&b, "CREDIT_CARD, IBAN_CODE and US_SSN are scored against checksum-valid gold spans only (excl = gold spans failing Luhn / mod-97 / SSA rules)\n")
	fmt.Fprintf(&b, "%-20s %7s %5s %5s | %6s %6s %6s | %6s %6s %6s | %s\n", "type", "support", "excl", "pred", "P-ovl", "R-ovl", "F1-ovl", "P-ex", "R-ex", "F1-ex", "status")
	for _, typ := range types {
		tm := m[typ]
		po, ro, fo := tm.prf(tm.OverlapTP)
		pe, re, fe := tm.prf(tm.ExactTP)
		status := "reported"
		if min, ok := assertedF1[typ]; ok {
			status = fmt.Sprintf("asserted F1-ovl >= %.2f", min)
		} else if why, ok := notCovered[typ]; ok {
			status = "not covered: " + why
		} else if tm.Support == 0 {
			status = "no gold spans (false positives only)"
		}
		label := typ
		for g, mt := range goldTypeMap {
			if mt == typ {
				label = typ + " (" + g + ")"
			}
		}
		fmt.Fprintf(&b, "%-20s %7d %5d %5d | %6.3f %6.3f %6.3f | %6.3f %6.3f %6.3f | %s\n", label, tm.Support, tm.Excluded, tm.Predicted, po, ro, fo, pe, re, fe, status)
	}
	t.Log("\n" + b.String())
	if testing.Verbose() && os.Getenv("PII_METRICS_ERRORS") != "" {
		for _, typ := range types {
			for _, e := range errs[typ] {
				t.Logf("%s: %s", typ, e)
			}
		}
	}
	for typ, min := range assertedF1 {
		tm := m[typ]
		if tm == nil || tm.Support == 0 {
			t.Errorf("%s: no gold spans in the data set", typ)
			continue
		}
		if _, _, f := tm.prf(tm.OverlapTP); f < min {
			t.Errorf("%s: F1 (overlap) %.3f < %.2f", typ, f, min)
		}
	}
}

// TestDetector_BenignPrompts measures false positives of the default detector on benign prompts of the
// shared data (WildGuard benign prompts and go-promptguard's benign samples: ordinary questions,
// many of them adversarial-looking, that contain no personal data). At most 1% of them may yield
// an entity.
func TestDetector_BenignPrompts(t *testing.T) {
	var wild []struct {
		Prompt string `json:"prompt"`
	}
	if err := json.Unmarshal(shareddata.Read(t, "prompt_injection/injecguard_wildguard_benign.json"), &wild); err != nil {
		t.Fatal(err)
	}
	var pg struct {
		Samples []struct {
			Input string `json:"input"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(shareddata.Read(t, "prompt_injection/go_promptguard_benign.json"), &pg); err != nil {
		t.Fatal(err)
	}
	texts := make([]string, 0, len(wild)+len(pg.Samples))
	for _, w := range wild {
		texts = append(texts, w.Prompt)
	}
	for _, s := range pg.Samples {
		texts = append(texts, s.Input)
	}
	flagged := 0
	for _, text := range texts {
		ents := defaultDetector.Find(text)
		if len(ents) > 0 {
			flagged++
			for _, e := range ents {
				t.Logf("%s %.2f %q in %q", e.Type, e.Score, e.Value, snippet(text, e.Start, e.End))
			}
		}
	}
	rate := float64(flagged) / float64(len(texts))
	t.Logf("benign prompts with an entity: %d of %d (%.2f%%)", flagged, len(texts), 100*rate)
	if len(texts) < 1000 || rate > 0.01 {
		t.Errorf("false-positive rate %.2f%% on %d benign prompts (want ≤ 1%%)", 100*rate, len(texts))
	}
}
