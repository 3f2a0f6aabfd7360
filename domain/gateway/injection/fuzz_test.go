package injection_test

import (
	"math"
	"testing"
	"unicode/utf8"
)

func FuzzScan(f *testing.F) {
	for _, c := range attackCases[:20] {
		f.Add(c.text)
	}
	for _, h := range hardNegatives[:10] {
		f.Add(h)
	}
	f.Add("")
	f.Add("\xff\xfe<|\x00|>")
	f.Add("i g n o r e a b c d e f g h i j k l m n o p")
	f.Fuzz(func(t *testing.T, s string) {
		r1 := det.Scan(s)
		if math.IsNaN(r1.Score) || r1.Score < 0 || r1.Score > 1 {
			t.Fatalf("score %v out of [0,1]", r1.Score)
		}
		r2 := det.Scan(s)
		if r1.Score != r2.Score || len(r1.Signals) != len(r2.Signals) || len(r1.Patterns) != len(r2.Patterns) {
			t.Fatalf("non-deterministic: %+v vs %+v", r1, r2)
		}
		for _, sg := range r1.Signals {
			if !utf8.ValidString(sg.Evidence) && utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 evidence %q", sg.Evidence)
			}
		}
	})
}
