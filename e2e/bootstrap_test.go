package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

// Without ASTRA_BOOTSTRAP_ADMIN_PASSWORD the first start generates the
// platform admin's password and writes it once to a file only its owner
// reads, under the data directory; it signs in, and a restart leaves the
// file as it is.
func TestBootstrap_GeneratedPasswordFile(t *testing.T) {
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	cfg.BootstrapPass = ""
	in := testkit.Start(t, &cfg)
	file := filepath.Join(cfg.DataDir, app.BootstrapPasswordFile)
	info, err := os.Stat(file)
	if err != nil {
		t.Fatalf("the generated password file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, info.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	password := strings.TrimSpace(string(b))
	if len(password) < 20 {
		t.Fatalf("generated password %q is too short", password)
	}
	if tok := in.Login(t, cfg.BootstrapEmail, password); tok == "" {
		t.Fatal("the generated password does not sign in")
	}
	in.Stop()
	testkit.Start(t, &cfg)
	after, err := os.ReadFile(file)
	if err != nil || string(after) != string(b) {
		t.Fatalf("a restart changed the password file: %q %v", after, err)
	}
}
