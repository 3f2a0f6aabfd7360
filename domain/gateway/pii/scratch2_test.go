package pii

import (
	"fmt"
	"testing"
)

func TestScratchBenchTexts(t *testing.T) {
	d := New()
	fmt.Println(len(benchShort), len(benchTypical), len(bench16K))
	for _, tx := range []string{benchShort, benchTypical, bench16K[:6000]} {
		for _, e := range d.Find(tx) {
			fmt.Printf("%-14s %.2f %-18s %q\n", e.Type, e.Score, e.Recognizer, e.Value)
		}
		fmt.Println("--")
	}
}
