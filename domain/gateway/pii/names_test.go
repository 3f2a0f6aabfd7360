package pii

import (
	"strings"
	"testing"
)

func TestNames_PeoplePlacesOrganisationsAndAddresses(t *testing.T) {
	cases := []struct {
		text string
		want []string // "TYPE value"
	}{
		{"My name is Maria Fernández and I live in Stuttgart.", []string{"PERSON Maria Fernández", "LOCATION Stuttgart"}},
		{"Send it to John Smith, 42 Elm Street, Springfield.", []string{"PERSON John Smith", "STREET_ADDRESS 42 Elm Street", "LOCATION Springfield"}},
		{"Ich heiße Jürgen Müller.", []string{"PERSON Jürgen Müller"}},
		{"She works at Globex Corporation.", []string{"ORGANIZATION Globex Corporation"}},
		// Capitalised words that are not names.
		{"Please Summarise This Report In Three Bullet Points", nil},
		{"Monday Tuesday January", nil},
		{"Write a SQL query that joins Orders and Customers", nil},
	}
	for _, c := range cases {
		var got []string
		for _, e := range allDetector.Find(c.text) {
			if nameTypes.Has(e.Type) {
				got = append(got, e.Type+" "+e.Value)
				if e.Score < 0.5 || e.Score > 1 || e.Recognizer != "name_tagger" {
					t.Errorf("%+v", e)
				}
			}
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
		}
		if ents := defaultDetector.Find(c.text); len(ents) > 0 {
			t.Errorf("%q: the default detector (names off) found %+v", c.text, ents)
		}
	}
}

// TestNames_EveryOccurrence: a name found once is reported wherever it is repeated, so that a
// redaction leaves it nowhere.
func TestNames_EveryOccurrence(t *testing.T) {
	text := "Maria Fernández joined in May. Later, Maria Fernández led the team; ask Maria Fernández."
	var n int
	for _, e := range allDetector.Find(text) {
		if e.Type == TypePerson && e.Value == "Maria Fernández" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("found %d of 3 occurrences", n)
	}
	if red := Redact(text, allDetector.Find(text), StylePlaceholder); strings.Contains(red, "Fernández") {
		t.Fatalf("redacted %q", red)
	}
}

// TestNames_Scoped: the tagger runs only when a name type is asked for.
func TestNames_Scoped(t *testing.T) {
	text := "Send it to John Smith, 42 Elm Street, Springfield."
	only, _ := TypeSetOf(TypeStreetAddress)
	ents := allDetector.FindWith(text, Scope{Types: only})
	if len(ents) != 1 || ents[0].Value != "42 Elm Street" {
		t.Fatalf("%+v", ents)
	}
	if ents := allDetector.FindWith(text, Scope{Types: DefaultTypes()}); len(ents) != 0 {
		t.Fatalf("default types found %+v", ents)
	}
}
