package app

import (
	"os"
	"testing"
)

// TestErrorDocs_AreGeneratedFromTheDescriptors fails when docs/errors.md is
// not what `astra docs errors` renders from the registered codes.
func TestErrorDocs_AreGeneratedFromTheDescriptors(t *testing.T) {
	raw, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	if got := ErrorDocs(); string(raw) != got {
		t.Fatalf("docs/errors.md is stale: run `go run ./cmd/astra docs errors > docs/errors.md`")
	}
}
