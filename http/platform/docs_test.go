package platform

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// docRow matches a catalogue table row: | `CODE` | status | title | ... |
var docRow = regexp.MustCompile("(?m)^\\|\\s*`([A-Z]+-[0-9]{3})`\\s*\\|\\s*([0-9]{3})\\s*\\|\\s*([^|]+?)\\s*\\|")

// TestErrorDocsMatchCatalogue keeps docs/errors.md and Catalogue from
// drifting apart in either direction.
func TestErrorDocsMatchCatalogue(t *testing.T) {
	raw, err := os.ReadFile("../../docs/errors.md")
	if err != nil {
		t.Fatalf("read docs/errors.md: %v", err)
	}
	documented := map[string][2]string{}
	for _, m := range docRow.FindAllStringSubmatch(string(raw), -1) {
		if _, dup := documented[m[1]]; dup {
			t.Errorf("%s is documented twice", m[1])
		}
		documented[m[1]] = [2]string{m[2], m[3]}
	}
	for code, entry := range Catalogue {
		doc, ok := documented[code]
		if !ok {
			t.Errorf("%s is in the catalogue but not in docs/errors.md", code)
			continue
		}
		if doc[0] != strconv.Itoa(entry.Status) || doc[1] != entry.Title {
			t.Errorf("%s: docs say %s %q, catalogue says %d %q", code, doc[0], doc[1], entry.Status, entry.Title)
		}
	}
	for code := range documented {
		if _, ok := Catalogue[code]; !ok {
			t.Errorf("%s is documented but not in the catalogue", code)
		}
	}
}
