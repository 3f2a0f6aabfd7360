package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// TestMasterKey_FromAFileKeysTheProductAndAWrongKeyNeverStartsIt runs the
// product on a master key kept in a file (a mounted secret): it signs in and
// seals as usual, nothing of the key is in Postgres, and a start with another
// key, or with none, is refused before anything is served or sealed.
func TestMasterKey_FromAFileKeysTheProductAndAWrongKeyNeverStartsIt(t *testing.T) {
	writeKey := func(name string) string {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := testkit.Config(t)
	cfg.MasterKeyFile = writeKey("kek")
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	if r := in.Do(t, http.MethodGet, "/api/v1/iam/users", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("list users: %d %s", r.Status, r.Body)
	}
	var n int
	if err := in.Running.Stack.Pool.QueryRow(t.Context(), `SELECT count(*) FROM platform_secrets WHERE name = 'kek'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the master key is stored in Postgres (%d rows, %v)", n, err)
	}
	in.Stop()

	// `astra verify` opens the same stack: with another key, or none, it must refuse.
	wrong := cfg
	wrong.MasterKeyFile = writeKey("other")
	code, out := testkit.RunAstra(t, wrong, "verify", "--skip-topics")
	if code == 0 || !strings.Contains(out, "not the one this database was keyed with") {
		t.Fatalf("another key: exit %d\n%s", code, out)
	}
	none := cfg
	none.MasterKeyFile = ""
	code, out = testkit.RunAstra(t, none, "verify", "--skip-topics")
	if code == 0 || !strings.Contains(out, "ASTRA_MASTER_KEY_FILE") {
		t.Fatalf("no key: exit %d\n%s", code, out)
	}
	code, out = testkit.RunAstra(t, cfg, "verify", "--skip-topics")
	if code != 0 {
		t.Fatalf("the right key: exit %d\n%s", code, out)
	}
}
