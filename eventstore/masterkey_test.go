package eventstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

func migratedPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	dsn := testkit.FreshDatabase(t)
	ctx := context.Background()
	if err := app.Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func newKeyB64(t *testing.T) (string, []byte) {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k), k
}

func TestMasterKey_EveryExternalSourceGivesTheKey(t *testing.T) {
	ctx := context.Background()
	b64, raw := newKeyB64(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "kek")
	if err := os.WriteFile(file, []byte(b64+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]eventstore.MasterKeySource{
		"environment": {Value: b64},
		"file":        {File: file},
		// The envelope pattern: a command (a KMS decrypt) prints the key.
		"command": {Command: "cat " + file},
	} {
		if src.Origin() != name || !src.External() {
			t.Fatalf("%s: origin %q", name, src.Origin())
		}
		got, err := src.Resolve(ctx)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for name, src := range map[string]eventstore.MasterKeySource{
		"two sources":     {Value: b64, File: file},
		"short key":       {Value: base64.StdEncoding.EncodeToString([]byte("short"))},
		"not base64":      {Value: "not base64!"},
		"missing file":    {File: filepath.Join(dir, "none")},
		"failing command": {Command: "echo nope >&2; exit 3"},
		"command no key":  {Command: "echo hello"},
	} {
		if _, err := src.Resolve(ctx); err == nil {
			t.Fatalf("%s: resolved", name)
		} else if strings.Contains(err.Error(), b64) {
			t.Fatalf("%s: error shows the key: %v", name, err)
		}
	}
}

func TestMasterKey_AWrongKeyIsRefusedAtStart(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	b64, raw := newKeyB64(t)
	kek, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{Value: b64})
	if err != nil || !bytes.Equal(kek, raw) {
		t.Fatalf("first start: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM platform_secrets WHERE name = 'kek'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("an external key was stored in the database (%d rows, %v)", n, err)
	}
	// The same key starts again; another key, or none, does not.
	if _, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{Value: b64}); err != nil {
		t.Fatalf("second start: %v", err)
	}
	other, _ := newKeyB64(t)
	if _, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{Value: other}); err == nil ||
		!strings.Contains(err.Error(), "not the one this database was keyed with") {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{}); err == nil ||
		!strings.Contains(err.Error(), "ASTRA_MASTER_KEY_FILE") {
		t.Fatalf("no key: %v", err)
	}
}

func TestMasterKey_ExportMovesTheGeneratedKeyOutOfTheDatabase(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	generated, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{})
	if err != nil {
		t.Fatal(err)
	}
	// Something sealed under it before the move is readable after it.
	k, _ := eventstore.NewKeyring(pool, generated)
	sealed, err := k.Seal(ctx, "tenant-1", "user-1", "jane@example.com")
	if err != nil {
		t.Fatal(err)
	}
	// A new key cannot be configured over a database keyed by the generated one.
	other, _ := newKeyB64(t)
	if _, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{Value: other}); err == nil ||
		!strings.Contains(err.Error(), "astra master-key export") {
		t.Fatalf("new key over a generated one: %v", err)
	}
	file := filepath.Join(t.TempDir(), "kek")
	if err := eventstore.ExportKEK(ctx, pool, file, false); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM platform_secrets WHERE name = 'kek'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the key is still in the database (%d rows, %v)", n, err)
	}
	if err := eventstore.ExportKEK(ctx, pool, file+"2", false); err == nil {
		t.Fatal("exported twice")
	}
	if _, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{}); err == nil {
		t.Fatal("started without the key after it was moved out")
	}
	kek, err := eventstore.LoadOrCreateKEK(ctx, pool, eventstore.MasterKeySource{File: file})
	if err != nil || !bytes.Equal(kek, generated) {
		t.Fatalf("start from the file: %v", err)
	}
	k2, _ := eventstore.NewKeyring(pool, kek)
	if got := k2.MustOpen(ctx, sealed); got != "jane@example.com" {
		t.Fatalf("read %q after the move", got)
	}
}
