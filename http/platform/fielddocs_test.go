package platform_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// fielddocs_gen.go is what `go run ./internal/fielddocs` writes from the
// source as it is: a field documented since fails here until it is regenerated.
func TestFieldDocsAreCurrent(t *testing.T) {
	cmd := exec.Command("go", "run", "./internal/fielddocs")
	cmd.Dir = testkit.ModuleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./internal/fielddocs: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile("fielddocs_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("http/platform/fielddocs_gen.go is stale: run go run ./internal/fielddocs > http/platform/fielddocs_gen.go")
	}
}
