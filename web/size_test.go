package web_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestConsole_FirstLoadUnder200KB adds up what the first load of the page
// fetches, each file gzip-compressed: the page, what it links (the style
// sheet, the icon, the entry module) and every module the entry imports,
// followed through their static imports. The console issue's budget is
// 200 KB; /docs (Redoc) is another page and not part of it.
func TestConsole_FirstLoadUnder200KB(t *testing.T) {
	const budget = 200 << 10
	links := regexp.MustCompile(`(?:href|src)="/assets/([^"]+)"`)
	imports := regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*from\s+'\./([^']+)'`)
	seen := map[string]bool{}
	total := 0
	var walk func(name string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		b, err := os.ReadFile(filepath.Join("static", name))
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = w.Write(b)
		_ = w.Close()
		total += z.Len()
		re := imports
		if filepath.Ext(name) == ".html" {
			re = links
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			walk(string(m[1]))
		}
	}
	walk("index.html")
	for _, must := range []string{"app.js", "console.js", "panels.js", "graph.js", "charts.js", "app.css"} {
		if !seen[must] {
			t.Errorf("%s is not reached from index.html: the walk misses imports", must)
		}
	}
	// The views only some pages need are loaded when first drawn.
	for _, lazy := range []string{"views.js", "diff.js"} {
		if seen[lazy] {
			t.Errorf("%s is in the first load: it is meant to be imported when a page first needs it", lazy)
		}
	}
	if total > budget {
		t.Errorf("the first load is %d bytes compressed, over the %d budget", total, budget)
	}
	t.Logf("first load: %d files, %d bytes compressed", len(seen), total)
}
