package pii

import (
	"strings"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
)

// Names of people, places and organisations, and street addresses, have no pattern to validate: a
// sequence tagger (internal/ner) labels them. It reads each token's word, shape, affixes and
// gazetteer categories (forenames and surnames, cities, regions and countries, company legal forms,
// street and unit words, titles) with those of its neighbours and its place in the line, and
// decodes the best labelling under BIO constraints. The score of a span is calibrated on held-out
// data: the probability that the span is exactly right, from how clearly the tagger chose its
// labels. One tagging pass serves the four types.
//
// A name the tagger finds once is also reported wherever else the same words stand in the text
// (as whole words), with the same score: a contextual tagger may miss a repetition in another
// context, and a redaction must not leave the name readable there.

// nameTypes are the types the tagger reports.
var nameTypes = func() TypeSet {
	s, _ := TypeSetOf(TypePerson, TypeLocation, TypeOrganization, TypeStreetAddress)
	return s
}()

// nameTagger is the embedded tagger; it is built once per process.
func nameTagger() *ner.Tagger {
	t, err := ner.Default()
	if err != nil {
		panic("pii: the embedded name tagger does not load: " + err.Error())
	}
	return t
}

var labelType = [ner.NumLabels]string{ner.Person: TypePerson, ner.Location: TypeLocation, ner.Organization: TypeOrganization, ner.Address: TypeStreetAddress}

// findNames returns the recognizer of one label's type: the first of them to run tags the text.
func findNames(l ner.Label) func(d *Detector, s *scan) {
	typ := labelType[l]
	return func(d *Detector, s *scan) {
		if !s.tagged {
			s.names = repeatNames(s.text, d.tagger.Tag(s.text, &s.tagScratch, s.names[:0]))
			s.tagged = true
		}
		for _, sp := range s.names {
			if sp.Label == l {
				s.add(d, typ, "name_tagger", sp.Start, sp.End, sp.Score)
			}
		}
	}
}

// repeatNames appends the other whole-word occurrences of each tagged name of at least three bytes,
// in one pass over the word starts of the text (names are looked up by their first word).
func repeatNames(text string, spans []ner.Span) []ner.Span {
	n := len(spans)
	if n == 0 {
		return spans
	}
	byFirst := map[string][]int{} // first word → indexes of spans with distinct values
	seen := map[string]bool{}
	for k, sp := range spans {
		v := text[sp.Start:sp.End]
		if len(v) < 3 || seen[v] {
			continue
		}
		seen[v] = true
		byFirst[firstWord(v)] = append(byFirst[firstWord(v)], k)
	}
	next := 0 // spans[:n] are sorted by start: the first one not ending before the current word
	for i := 0; i < len(text); i++ {
		if !isWordByte(text[i]) || (i > 0 && isWordByte(text[i-1])) {
			continue
		}
		ks := byFirst[firstWord(text[i:])]
		if len(ks) == 0 {
			continue
		}
		for next < n && spans[next].End <= i {
			next++
		}
		for _, k := range ks {
			sp := spans[k]
			v := text[sp.Start:sp.End]
			end := i + len(v)
			if !strings.HasPrefix(text[i:], v) || !wordBoundary(text, i, end) || (next < n && spans[next].Start < end) {
				continue
			}
			spans = append(spans, ner.Span{Start: i, End: end, Label: sp.Label, Score: sp.Score})
			break
		}
	}
	return spans
}

// firstWord returns the leading run of word bytes of s.
func firstWord(s string) string {
	j := 0
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	return s[:j]
}

// wordBoundary reports whether [start, end) neither starts nor ends inside a word.
func wordBoundary(text string, start, end int) bool {
	return (start == 0 || !isWordByte(text[start-1])) && (end == len(text) || !isWordByte(text[end]))
}
