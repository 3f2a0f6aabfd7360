package main

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/admin"
)

// TestLicenseCommand_KeygenThenSignMakesAFileTheKeyVerifies: what `astra
// license keygen` and `astra license sign` write installs under
// ASTRA_LICENSE_PUBLIC_KEYS set to the printed public key.
func TestLicenseCommand_KeygenThenSignMakesAFileTheKeyVerifies(t *testing.T) {
	dir := t.TempDir()
	keyFile, licFile := filepath.Join(dir, "signing.key"), filepath.Join(dir, "license.json")
	run := func(args ...string) string {
		t.Helper()
		stdout := os.Stdout
		r, w, _ := os.Pipe()
		os.Stdout = w
		c := licenseCmd()
		c.SetArgs(args)
		err := c.Execute()
		w.Close()
		os.Stdout = stdout
		var out bytes.Buffer
		_, _ = out.ReadFrom(r)
		if err != nil {
			t.Fatalf("astra license %v: %v", args, err)
		}
		return out.String()
	}
	pubText := strings.TrimSpace(run("keygen", "--out", keyFile))
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	run("sign", "--key", keyFile, "--plan", "team", "--modules", "gateway,trust", "--seats", "5", "--days", "30", "--out", licFile)
	keys, err := admin.ParsePublicKeys([]string{pubText})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(licFile)
	l, _, err := admin.VerifyLicense(raw, keys, time.Now())
	if err != nil || l.Plan != "team" || l.Seats != 5 || !slices.Equal(l.Modules, []string{"gateway", "trust"}) || l.GraceDays != admin.DefaultGraceDays {
		t.Fatalf("signed licence: %v %+v", err, l)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, _, err := admin.VerifyLicense(raw, []ed25519.PublicKey{other}, time.Now()); err == nil {
		t.Fatal("another key verified the licence")
	}
}
