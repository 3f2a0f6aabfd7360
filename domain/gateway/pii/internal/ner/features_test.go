package ner

import (
	"strings"
	"testing"
)

// runsOf returns the capitalised runs of text as strings.
func runsOf(text string) []string {
	var d doc
	toks := Tokenize(text, nil)
	d.prepare(text, toks, &Gazetteer{entries: map[uint64]uint16{}})
	var out []string
	for i := 0; i < len(toks); i++ {
		if s, e := d.runStart[i], d.runEnd[i]; s == int32(i) {
			out = append(out, text[toks[s].Start:toks[e-1].End])
			i = int(e) - 1
		}
	}
	return out
}

func TestCapRuns(t *testing.T) {
	for _, c := range []struct {
		text string
		want string
	}{
		{"the firm Clark, Romero and Hall won", "Clark, Romero and Hall"},
		{"a trip to Bank of America and back", "Bank of America"},
		{"Maria Fernández\nGlobex Corporation", "Maria Fernández|Globex Corporation"}, // a line ends a run
		{"cats and Dogs", "Dogs"},        // a joiner needs capitals on both sides
		{"Smith and", "Smith"},           // … and a word after it
		{"all lower case text here", ""}, // no capitals, no runs
		{"ALL UPPER CASE TEXT HERE", ""}, // capitals everywhere say nothing
	} {
		if got := strings.Join(runsOf(c.text), "|"); got != c.want {
			t.Errorf("%q: runs %q, want %q", c.text, got, c.want)
		}
	}
}

func TestCueFeaturesReachAcrossTheRun(t *testing.T) {
	// Every token of "Acme Data Works" sees the cue phrase "works at" before the run.
	text := "she works at Acme Data Works today"
	var d doc
	toks := Tokenize(text, nil)
	d.prepare(text, toks, &Gazetteer{entries: map[uint64]uint16{}})
	cue := mixInt(fRunCue, int(cueOrg)<<3|3) // last token of the run
	found := false
	for _, h := range d.tokenFeatures(5) {
		found = found || h == cue
	}
	if !found {
		t.Fatal("the last token of the run does not see the cue phrase before it")
	}
	if d.cues[2]&cueOrg == 0 || d.cues[1]&cueOrg == 0 {
		t.Fatalf("cue classes %v", d.cues)
	}
}

func TestLineCapShares(t *testing.T) {
	for _, c := range []struct {
		text string
		want uint8
	}{
		{"Please Summarise This Report In Three Bullet Points", 4}, // a title-cased line
		{"my friend John lives in a small town near the sea", 1},   // one capital in ten words
		{"Ask Maria Lopez about the order", 2},                     // two of the five words after the first
		{"x", 0},                                                   // no word to count
	} {
		var d doc
		toks := Tokenize(c.text, nil)
		d.prepare(c.text, toks, &Gazetteer{entries: map[uint64]uint16{}})
		for i := range toks {
			if d.lineCaps[i] != c.want {
				t.Errorf("%q: token %d in bucket %d, want %d", c.text, i, d.lineCaps[i], c.want)
				break
			}
		}
	}
	// Each line is bucketed on its own.
	text := "Quarterly Sales Report Final Draft\nsend it to anna by friday please"
	var d doc
	toks := Tokenize(text, nil)
	d.prepare(text, toks, &Gazetteer{entries: map[uint64]uint16{}})
	if first, last := d.lineCaps[0], d.lineCaps[len(toks)-1]; first != 4 || last != 1 {
		t.Errorf("buckets %d and %d, want 4 and 1", first, last)
	}
}

func TestUnlistedHidesOpenClasses(t *testing.T) {
	g := &Gazetteer{}
	var scratch []Token
	g.Add("maria", GFirst, &scratch)
	g.Add("spain", GCountry, &scratch)
	text := "Maria moved to Spain"
	toks := Tokenize(text, nil)
	var d doc
	d.prepare(text, toks, g)
	if d.gaz[0]&GFirst == 0 || d.gaz[3]&GCountry == 0 {
		t.Fatalf("gazetteer categories %v", d.gaz)
	}
	d.unlisted = []bool{true, false, false, true}
	d.prepare(text, toks, g)
	if d.gaz[0]&GFirst != 0 {
		t.Errorf("the forename of an unlisted token is still read")
	}
	if d.gaz[3]&GCountry == 0 {
		t.Errorf("a country (a closed class) was hidden")
	}
}
