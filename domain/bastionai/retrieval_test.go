package bastionai

import (
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/compliance/catalogue"
)

func TestSplit_OverlapsCutsAtWordsAndCoversTheText(t *testing.T) {
	text := strings.Repeat("alpha beta gamma delta epsilon zeta eta theta iota kappa ", 40)
	chunks := Split(text, 200, 50)
	if len(chunks) < 10 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for i, c := range chunks {
		if len(c.Text) > 200 || strings.HasPrefix(c.Text, " ") || c.Ordinal != i {
			t.Fatalf("chunk %d: %q", i, c.Text)
		}
		if i > 0 {
			prev := chunks[i-1]
			if c.Start >= prev.End || prev.End-c.Start < 30 {
				t.Fatalf("chunks %d and %d overlap by %d bytes", i-1, i, prev.End-c.Start)
			}
			if strings.Contains(" "+text[c.Start-1:c.Start], "a") && text[c.Start-1] != ' ' {
				t.Fatalf("chunk %d starts inside a word", i)
			}
		}
	}
	if last := chunks[len(chunks)-1]; last.End != len(text) {
		t.Fatalf("the end is not covered: %d of %d", last.End, len(text))
	}
}

func TestSplit_NeverCutsARuneAndTerminatesOnLongWords(t *testing.T) {
	text := strings.Repeat("é", 1000) + " " + strings.Repeat("x", 5000)
	for _, c := range Split(text, 300, 100) {
		if !strings.HasPrefix(text[c.Start:], strings.TrimSpace(c.Text)[:1]) || strings.ContainsRune(c.Text, '\uFFFD') {
			t.Fatalf("bad chunk at %d", c.Start)
		}
	}
	if got := Split("   ", 300, 100); len(got) != 0 {
		t.Fatalf("blank text: %+v", got)
	}
}

func TestFuse_RanksWhatBothRankingsAgreeOnFirst(t *testing.T) {
	got := Fuse(RRFK, []string{"a", "b", "c"}, []string{"c", "b", "d"})
	if got[0].ID != "c" || got[1].ID != "b" || got[2].ID != "a" || len(got) != 4 {
		t.Fatalf("%+v", got)
	}
}

func TestMeasure_RecallAt5AndMRR(t *testing.T) {
	q := Measure([]string{"a", "b", "c"}, [][]string{{"a"}, {"x", "b"}, {"1", "2", "3", "4", "5", "c"}})
	if q.RecallAt5 != 2.0/3 || q.MRR != (1+0.5+1.0/6)/3 {
		t.Fatalf("%+v", q)
	}
}

func TestRequirementQuestions_AtLeast200LabelledFromTheCatalogues(t *testing.T) {
	qs := RequirementQuestions(catalogue.All(), func(f, r string) string { return f + "/" + r })
	if len(qs) < 200 {
		t.Fatalf("%d questions", len(qs))
	}
	for _, q := range qs {
		if q.Question == "" || q.Expected == "" {
			t.Fatalf("%+v", q)
		}
	}
}
