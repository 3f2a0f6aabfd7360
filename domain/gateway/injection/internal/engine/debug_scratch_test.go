package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestDebugWild(t *testing.T) {
	e, _ := New()
	b, _ := os.ReadFile("/work/shared/data/prompt_injection/injecguard_wildguard_benign.json")
	var wild []struct{ Prompt string }
	json.Unmarshal(b, &wild)
	type r struct {
		s   float64
		txt string
		sig []Signal
	}
	var rs []r
	for _, w := range wild {
		a := e.Analyze(w.Prompt, Context{}, nil, nil)
		miss := 1.0
		for f := 0; f < NumFamilies; f++ {
			miss *= 1 - a.Groups[f]
		}
		rs = append(rs, r{1 - miss, w.Prompt, a.Signals})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].s > rs[j].s })
	for _, x := range rs[:45] {
		fmt.Printf("%.2f %q\n", x.s, trunc(x.txt, 160))
		for _, sg := range x.sig {
			fmt.Printf("     %s/%s %.2f %q\n", FamilyCatalog[sg.Family].Name, sg.Rule, sg.Weight, sg.Evidence)
		}
	}
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
