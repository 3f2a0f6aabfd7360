package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
)

// measureProtocols trains the tagger under each held-out protocol, with a fixed number of epochs
// (nothing is chosen on a test set), and lays out the figures as Markdown. The tagger is measured
// alone (no repetition of names found once, no normalisation): the pii package's tests measure the
// shipped detector.
//
//   - 5-fold by template: each presidio template fold (template id mod 5) is held out in turn; the
//     tagger learns from the other four, WNUT-17 train and the synthetic sentences. Counts are
//     pooled over the five folds, so every presidio sentence is scored once, by a model that never
//     saw its template.
//   - Leave one source out: learn from WNUT-17 train and the synthetic sentences, measure on every
//     presidio sentence; learn from every presidio sentence and the synthetic sentences, measure on
//     the WNUT-17 test file.
//   - Templates only: learn from the synthetic sentences alone (no labelled data), measure on both.
func measureProtocols(presidio [5][]ner.Example, wnut map[string][]ner.Example, testWNUT, synthetic []ner.Example, gaz *ner.Gazetteer, weight, epochs int) string {
	cfg := ner.TrainConfig{Epochs: epochs, MinCount: 2, Seed: 17, Prune: 0.05}
	repeat := func(ex []ner.Example, n int) []ner.Example {
		var out []ner.Example
		for range n {
			out = append(out, ex...)
		}
		return out
	}
	var allPresidio []ner.Example
	for _, f := range presidio {
		allPresidio = append(allPresidio, f...)
	}
	type row struct {
		protocol, test string
		ev             ner.Eval
	}
	var rows []row

	var pooled ner.Eval
	for k := range 5 {
		train := slices.Concat(wnut["wnut17train.conll"], synthetic)
		for j := range 5 {
			if j != k {
				train = append(train, repeat(presidio[j], weight)...)
			}
		}
		addEval(&pooled, ner.Train(train, gaz, cfg).Evaluate(presidio[k], 0))
	}
	rows = append(rows, row{"5-fold by template (WNUT-17 train, synthetic, 4 presidio folds → the 5th)", "presidio, all 1500 sentences, each once", pooled})

	t := ner.Train(slices.Concat(wnut["wnut17train.conll"], synthetic), gaz, cfg)
	rows = append(rows, row{"leave presidio out (WNUT-17 train, synthetic → presidio)", "presidio, all 1500 sentences", t.Evaluate(allPresidio, 0)})
	t = ner.Train(slices.Concat(repeat(allPresidio, weight), synthetic), gaz, cfg)
	rows = append(rows, row{"leave WNUT-17 out (presidio, synthetic → WNUT-17)", "WNUT-17 test", t.Evaluate(testWNUT, 0)})
	t = ner.Train(synthetic, gaz, cfg)
	rows = append(rows, row{"templates only (synthetic → both)", "presidio, all 1500 sentences", t.Evaluate(allPresidio, 0)})
	rows = append(rows, row{"templates only (synthetic → both)", "WNUT-17 test", t.Evaluate(testWNUT, 0)})

	var b strings.Builder
	fmt.Fprintf(&b, "Token-level F1 of the name tagger alone, %d epochs, %d synthetic sentences. ", epochs, len(synthetic))
	b.WriteString("Presidio labels: PERSON, GPE → LOCATION, ORGANIZATION, STREET_ADDRESS; WNUT-17: person, location, corporation + group → ORGANIZATION. The last column takes locations and street addresses as one label (GPE + STREET_ADDRESS → LOCATION, the mapping presidio-research's evaluation of Presidio uses).\n\n")
	b.WriteString("| protocol | measured on | PERSON | LOCATION | ORGANIZATION | STREET_ADDRESS | LOCATION, presidio's mapping |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |", r.protocol, r.test)
		for _, l := range []ner.Label{ner.Person, ner.Location, ner.Organization, ner.Address} {
			c := r.ev.Tokens[l]
			if c.Gold == 0 {
				b.WriteString(" — |")
				continue
			}
			p, rc, f := c.F1()
			fmt.Fprintf(&b, " **%.3f** (P %.2f R %.2f) |", f, p, rc)
		}
		if r.ev.Tokens[ner.Address].Gold == 0 {
			b.WriteString(" — |\n")
			continue
		}
		p, rc, f := r.ev.Places.F1()
		fmt.Fprintf(&b, " **%.3f** (P %.2f R %.2f) |\n", f, p, rc)
	}
	return b.String()
}

func addEval(dst *ner.Eval, src ner.Eval) {
	for l := range ner.NumLabels {
		for _, p := range []struct{ d, s *[ner.NumLabels]ner.Counts }{{&dst.Exact, &src.Exact}, {&dst.Overlap, &src.Overlap}, {&dst.Tokens, &src.Tokens}} {
			p.d[l].Gold += p.s[l].Gold
			p.d[l].Predicted += p.s[l].Predicted
			p.d[l].Correct += p.s[l].Correct
		}
	}
	dst.Places.Gold += src.Places.Gold
	dst.Places.Predicted += src.Places.Predicted
	dst.Places.Correct += src.Places.Correct
}
