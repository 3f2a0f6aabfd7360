// Package shareddata reads the project's labelled and reference data from
// ../shared/data beside the repository (or $ASTRA_SHARED_DATA). The data stays
// there: it is never copied into the repository. It imports only the standard
// library, so that domain tests can use it.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir locates the shared data: $ASTRA_SHARED_DATA, or ../shared/data relative
// to the module root (the directory of go.mod); "" when there is no module root.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("ASTRA_SHARED_DATA"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Read reads a file of the shared data (rel, e.g. "oscal/nist-csf-2.0-catalog.xml").
// It skips the test when the data is missing, except on CI (CI=true), where
// missing data fails it.
func Read(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), rel))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing on CI: %v", err)
		}
		t.Skipf("shared data not available: %v", err)
	}
	return b
}
