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
