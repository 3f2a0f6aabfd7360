package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
)

func TestDebugBipia(t *testing.T) {
	e, _ := New()
	b, _ := os.ReadFile("/work/shared/data/prompt_injection/bipia_text_attack_test.json")
	var m map[string][]string
	json.Unmarshal(b, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, p := range m[k] {
			a := e.Analyze("SUBJECT: x|EMAIL_FROM: a@b.com|CONTENT: hello\n"+p, Context{}, nil, nil)
			fmt.Printf("%-28s %.2f %.2f %q\n", k, a.Groups[FamIndirect], a.Groups[cueResponse], p)
		}
	}
}
