package pii

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
	"github.com/astrabastion/astra/testkit/shareddata"
)

type presidioSample struct {
	Text     string
	Template int
	Spans    []goldSpan
}

type goldSpan struct {
	Type       string
	Start, End int // byte offsets
	Value      string
}

// loadPresidio reads the presidio-research synthetic data set and converts its code-point offsets
// to byte offsets. Labels are mapped to this package's types (goldTypeMap).
func loadPresidio(t testing.TB) []presidioSample {
	var raw []struct {
		FullText string `json:"full_text"`
		Template int    `json:"template_id"`
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
		s := presidioSample{Text: r.FullText, Template: r.Template}
		for _, sp := range r.Spans {
			g := goldSpan{Type: sp.EntityType, Start: offs[sp.StartPosition], End: offs[sp.EndPosition]}
			g.Value = r.FullText[g.Start:g.End]
			if g.Value != sp.EntityValue {
				t.Fatalf("offset conversion: %q != %q", g.Value, sp.EntityValue)
			}
			if mt, ok := goldTypeMap[g.Type]; ok {
				g.Type = mt
			}
			s.Spans = append(s.Spans, g)
		}
		out = append(out, s)
	}
	return out
}

// goldTypeMap maps data set labels to this package's types (presidio-research labels URLs
// DOMAIN_NAME and places GPE).
var goldTypeMap = map[string]string{"DOMAIN_NAME": TypeURL, "GPE": TypeLocation}

// loadPresidioSets returns the whole presidio set and its held-out templates.
func loadPresidioSets(t testing.TB) (all, heldOut []presidioSample) {
	all = loadPresidio(t)
	for _, s := range all {
		if heldOutTemplate(s) {
			heldOut = append(heldOut, s)
		}
	}
	return all, heldOut
}

// heldOutTemplate reports whether a presidio sentence belongs to the templates the name tagger never
// saw (template id ≡ 4 mod 5; see internal/nertrain): the names, places, organisations and
// addresses are scored on those only.
func heldOutTemplate(s presidioSample) bool { return s.Template%5 == 4 }

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

// typeMetrics are the counts of one entity type. Spans: Support gold spans, Predicted predictions,
// ExactTP and OverlapTP matches (one-to-one). Tokens: the word tokens inside gold spans, inside
// predictions, and inside both.
type typeMetrics struct {
	Support, Excluded, Predicted int
	ExactTP, OverlapTP           int
	GoldTok, PredTok, TPTok      int
}

func prf(tp, pred, gold int) (p, r, f float64) {
	if pred > 0 {
		p = float64(tp) / float64(pred)
	}
	if gold > 0 {
		r = float64(tp) / float64(gold)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

func (m typeMetrics) prf(tp int) (p, r, f float64) { return prf(tp, m.Predicted, m.Support) }

// tokens returns token-level precision, recall and F1 (presidio-research's evaluator counts tokens).
func (m typeMetrics) tokens() (p, r, f float64) { return prf(m.TPTok, m.PredTok, m.GoldTok) }

// evaluateSet runs d over samples, written through tr (nil: as they are), and counts per type for
// the types that score accepts. Predictions are mapped back to the original text, so that an entity
// is matched only when it covers the original characters of the value exactly (exact) or in part
// (overlap):
//   - exact: a prediction matches a gold span of the same type with the same start and end;
//   - overlap: a prediction matches a gold span of the same type that it overlaps; each gold span
//     and each prediction is matched at most once.
//
// Gold spans whose checksum fails (cards, IBANs, SSNs) are excluded, and so are predictions of the
// same type that overlap them.
func evaluateSet(d *Detector, samples []presidioSample, tr *transform, score func(typ string) bool, errs map[string][]string) map[string]*typeMetrics {
	m := map[string]*typeMetrics{}
	get := func(t string) *typeMetrics {
		if m[t] == nil {
			m[t] = &typeMetrics{}
		}
		return m[t]
	}
	var toks []ner.Token
	for _, s := range samples {
		var gold, excluded []goldSpan
		for _, g := range s.Spans {
			if !score(g.Type) {
				continue
			}
			if checksumValidGold(g) {
				gold = append(gold, g)
				get(g.Type).Support++
			} else {
				excluded = append(excluded, g)
				get(g.Type).Excluded++
			}
		}
		var preds []Entity
		if tr == nil {
			preds = d.Find(s.Text)
		} else {
			x := tr.apply(s.Text)
			for _, e := range d.Find(x.text) {
				e.Start, e.End = x.back(e.Start, e.End)
				e.Value = s.Text[e.Start:e.End]
				preds = append(preds, e)
			}
		}
		preds = slices.DeleteFunc(preds, func(p Entity) bool {
			return !score(p.Type) || slices.ContainsFunc(excluded, func(g goldSpan) bool { return g.Type == p.Type && p.Start < g.End && g.Start < p.End })
		})
		usedExact := make([]bool, len(gold))
		usedOverlap := make([]bool, len(gold))
		for _, p := range preds {
			tm := get(p.Type)
			tm.Predicted++
			exact, overlap := false, false
			for i, g := range gold {
				if g.Type == p.Type && !usedExact[i] && g.Start == p.Start && g.End == p.End {
					usedExact[i], exact = true, true
					break
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
		toks = ner.Tokenize(s.Text, toks)
		for _, tk := range toks {
			start, end := int(tk.Start), int(tk.End)
			if end-start == 1 && !isAlnum(s.Text[start]) && s.Text[start] < 0x80 {
				continue // punctuation
			}
			var gt, pt string
			for _, g := range gold {
				if g.Start < end && start < g.End {
					gt = g.Type
					break
				}
			}
			for _, p := range preds {
				if p.Start < end && start < p.End {
					pt = p.Type
					break
				}
			}
			if gt != "" {
				get(gt).GoldTok++
			}
			if pt != "" {
				get(pt).PredTok++
			}
			if gt != "" && gt == pt {
				get(gt).TPTok++
			}
		}
	}
	return m
}

// placesMetrics counts word tokens with LOCATION and STREET_ADDRESS taken as one label, in the gold
// spans and in the predictions: presidio's own evaluation configuration maps the data set's GPE
// and STREET_ADDRESS to LOCATION, and the data set itself labels a city inside an address as
// LOCATION in some templates and as part of the STREET_ADDRESS in others.
func placesMetrics(d *Detector, samples []presidioSample, tr *transform) typeMetrics {
	var m typeMetrics
	place := func(typ string) bool { return typ == TypeLocation || typ == TypeStreetAddress }
	var toks []ner.Token
	for _, s := range samples {
		var preds []Entity
		if tr == nil {
			preds = d.Find(s.Text)
		} else {
			x := tr.apply(s.Text)
			for _, e := range d.Find(x.text) {
				e.Start, e.End = x.back(e.Start, e.End)
				preds = append(preds, e)
			}
		}
		toks = ner.Tokenize(s.Text, toks)
		for _, tk := range toks {
			start, end := int(tk.Start), int(tk.End)
			if end-start == 1 && !isAlnum(s.Text[start]) && s.Text[start] < 0x80 {
				continue
			}
			g := slices.ContainsFunc(s.Spans, func(g goldSpan) bool { return place(g.Type) && g.Start < end && start < g.End })
			p := slices.ContainsFunc(preds, func(p Entity) bool { return place(p.Type) && p.Start < end && start < p.End })
			if g {
				m.GoldTok++
			}
			if p {
				m.PredTok++
			}
			if g && p {
				m.TPTok++
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
// minimum F1 asserted under the overlap rule, written plainly and through every transform.
var assertedF1 = map[string]float64{
	TypeEmail:      0.95,
	TypePhone:      0.95,
	TypeCreditCard: 0.95,
	TypeIBAN:       0.95,
	TypeUSSSN:      0.95,
	TypeIPAddress:  0.95,
	TypeURL:        0.95,
	TypeDateTime:   0.95,
}

// nameTypeSet are the types of the name tagger, scored on the held-out templates only.
func isNameType(typ string) bool { return nameTypes.Has(typ) }

// assertedNameF1 are regression floors for the name tagger's token-level F1 on the held-out presidio
// templates (the targets, and where the tagger stands against them, are in docs/detectors-pii.md).
var assertedNameF1 = map[string]float64{
	TypePerson:        0.84,
	TypeLocation:      0.70,
	TypeOrganization:  0.72,
	TypeStreetAddress: 0.93,
}

// assertedPlacesF1 is the regression floor of token-level F1 for LOCATION and STREET_ADDRESS taken
// as one label (placesMetrics) on the held-out templates.
const assertedPlacesF1 = 0.93

// notCovered are data set labels this package does not detect.
var notCovered = map[string]string{
	"TITLE": "job titles and honorifics", "NRP": "nationality, religion, political group",
	"AGE": "no validatable pattern", "ZIP_CODE": "ambiguous with any short number",
}

// variants are the ways the data set is written for evaluation: plainly and through each transform.
func variants() []*transform {
	out := []*transform{nil}
	for i := range transforms {
		out = append(out, &transforms[i])
	}
	return out
}

func variantName(tr *transform) string {
	if tr == nil {
		return "plain"
	}
	return tr.name
}

// TestDetector_PresidioMetrics computes precision, recall and F1 per entity type on the
// presidio-research synthetic data set (../shared/data/pii), written plainly and in full-width
// characters, with zero-width characters between all characters and with look-alike letters, and
// asserts F1 (overlap rule) of at least assertedF1 for the pattern types on every variant. Pattern
// types are scored on all sentences; the name tagger's types on the templates it never saw, at the
// token level, against regression floors.
func TestDetector_PresidioMetrics(t *testing.T) {
	samples, heldOut := loadPresidioSets(t)
	d := New(WithAllTypes())
	patterns := func(typ string) bool { return !isNameType(typ) }
	for _, tr := range variants() {
		var errs map[string][]string
		if tr == nil && os.Getenv("PII_METRICS_ERRORS") != "" {
			errs = map[string][]string{}
		}
		m := evaluateSet(d, samples, tr, patterns, errs)
		names := evaluateSet(d, heldOut, tr, isNameType, errs)
		t.Log("\n" + formatMetrics(fmt.Sprintf("%s, patterns on %d sentences, names on %d held-out sentences", variantName(tr), len(samples), len(heldOut)), assertedNameF1, m, names))
		for typ, min := range assertedF1 {
			tm := m[typ]
			if tm == nil || tm.Support == 0 {
				t.Errorf("%s: no gold spans in the data set", typ)
				continue
			}
			if _, _, f := tm.prf(tm.OverlapTP); f < min {
				t.Errorf("%s, %s: F1 (overlap) %.3f < %.2f", variantName(tr), typ, f, min)
			}
		}
		for typ, min := range assertedNameF1 {
			if _, _, f := names[typ].tokens(); f < min {
				t.Errorf("%s, %s: token F1 %.3f < %.2f", variantName(tr), typ, f, min)
			}
		}
		pm := placesMetrics(d, heldOut, tr)
		p, r, f := pm.tokens()
		t.Logf("%s, LOCATION + STREET_ADDRESS as one label: token P %.3f R %.3f F1 %.3f", variantName(tr), p, r, f)
		if f < assertedPlacesF1 {
			t.Errorf("%s, LOCATION + STREET_ADDRESS: token F1 %.3f < %.2f", variantName(tr), f, assertedPlacesF1)
		}
		for _, typ := range sortedTypes(errs) {
			for _, e := range errs[typ] {
				t.Logf("%s: %s", typ, e)
			}
		}
	}
}

func sortedTypes[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// formatMetrics lays out metrics tables; floors are the token-level floors asserted for names.
func formatMetrics(title string, floors map[string]float64, sets ...map[string]*typeMetrics) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", title)
	fmt.Fprintf(&b, "%-20s %7s %5s %5s | %6s %6s %6s | %6s | %6s %6s %6s | %s\n", "type", "support", "excl", "pred", "P-ovl", "R-ovl", "F1-ovl", "F1-ex", "P-tok", "R-tok", "F1-tok", "status")
	for _, m := range sets {
		for _, typ := range sortedTypes(m) {
			tm := m[typ]
			po, ro, fo := tm.prf(tm.OverlapTP)
			_, _, fe := tm.prf(tm.ExactTP)
			pt, rt, ft := tm.tokens()
			status := "reported"
			if min, ok := assertedF1[typ]; ok {
				status = fmt.Sprintf("asserted F1-ovl >= %.2f", min)
			} else if min, ok := floors[typ]; ok {
				status = fmt.Sprintf("asserted F1-tok >= %.2f", min)
			} else if why, ok := notCovered[typ]; ok {
				status = "not detected: " + why
			}
			fmt.Fprintf(&b, "%-20s %7d %5d %5d | %6.3f %6.3f %6.3f | %6.3f | %6.3f %6.3f %6.3f | %s\n", typ, tm.Support, tm.Excluded, tm.Predicted, po, ro, fo, fe, pt, rt, ft, status)
		}
	}
	return b.String()
}

// TestDetector_BenignPrompts measures false positives of the default detector on benign prompts of the
// shared data (WildGuard benign prompts and go-promptguard's benign samples: ordinary questions,
// many of them adversarial-looking, that contain no personal data). At most 1% of them may yield
// an entity.
func TestDetector_BenignPrompts(t *testing.T) {
	texts := loadBenignPrompts(t)
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

// loadBenignPrompts reads the benign prompts of the shared data: WildGuard's benign prompts and
// go-promptguard's benign samples, ordinary questions (many adversarial-looking) without personal data.
func loadBenignPrompts(t testing.TB) []string {
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
	return texts
}
