package bastionai

import (
	"strings"
	"unicode"

	"github.com/astrabastion/astra/domain/compliance"
)

// Labelled is a retrieval question with the id of the chunk (or document)
// that answers it.
type Labelled struct {
	Set      string
	Question string
	Expected string
}

// Question sets of the retrieval evaluation.
const (
	// SetTitle asks by a requirement's title alone.
	SetTitle = "requirement_title"
	// SetKeywords asks by six content words of a requirement's description
	// that are not in its title, in a rotated order.
	SetKeywords = "requirement_keywords"
	// SetDocument asks by a shipped document's title.
	SetDocument = "document_title"
)

// RequirementQuestions builds the labelled questions of the assessable
// requirements of the frameworks, programmatically (no paraphrase): one
// from the title, one from description keywords. id names a requirement's
// chunk. Both share words with the expected chunk by construction: they
// measure whether the ranking finds the one requirement among all the
// others that share some of those words, not whether it understands a
// question phrased differently.
func RequirementQuestions(frameworks []compliance.Framework, id func(frameworkID, requirementID string) string) []Labelled {
	var out []Labelled
	for _, f := range frameworks {
		for _, r := range f.Requirements {
			if !r.Assessable || strings.TrimSpace(r.Description) == "" {
				continue
			}
			want := id(f.ID, r.ID)
			out = append(out, Labelled{Set: SetTitle, Question: r.Title, Expected: want})
			if kw := keywords(r.Description, r.Title, 6); len(kw) >= 3 {
				out = append(out, Labelled{Set: SetKeywords, Question: strings.Join(kw, " "), Expected: want})
			}
		}
	}
	return out
}

// keywords are up to n distinct content words of text not in exclude,
// rotated by two so that they do not read as the text's own phrase.
func keywords(text, exclude string, n int) []string {
	skip := map[string]bool{}
	for _, w := range words(exclude) {
		skip[w] = true
	}
	var out []string
	for _, w := range words(text) {
		if len(w) < 4 || stopWords[w] || skip[w] {
			continue
		}
		skip[w] = true
		out = append(out, w)
		if len(out) == n {
			break
		}
	}
	if len(out) > 2 {
		out = append(out[2:], out[:2]...)
	}
	return out
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`about above after again against also among and any are because been before being below between both but
		can could does doing down during each either else every from further have having here into itself just more most must other over
		same should some such than that their them then there these they this those through under until upon very were what when where
		which while whom will with within without would your yours make made sure that's`) {
		stopWords[w] = true
	}
}
