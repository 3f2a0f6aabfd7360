package eventstore_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

func TestKeyring_SealsOpensAndShreds(t *testing.T) {
	dsn := testkit.FreshDatabase(t)
	ctx := context.Background()
	if err := app.Migrate(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	k, err := eventstore.NewKeyring(pool, kek)
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"user-1", "content:tenant-1:2026-11", "credentials/tenant-1"} {
		sealed, err := k.Seal(ctx, "tenant-1", subject, "jane@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sealed, "jane") || !eventstore.IsSealed(sealed) {
			t.Fatalf("sealed value %q", sealed)
		}
		if got, err := k.Open(ctx, sealed); err != nil || got != "jane@example.com" {
			t.Fatalf("open %s: %q %v", subject, got, err)
		}
		// Another instance (a fresh keyring, empty cache) reads it too.
		k2, _ := eventstore.NewKeyring(pool, kek)
		if got := k2.MustOpen(ctx, sealed); got != "jane@example.com" {
			t.Fatalf("fresh keyring read %q", got)
		}
		if err := k.Erase(ctx, "tenant-1", subject); err != nil {
			t.Fatal(err)
		}
		if got, err := k.Open(ctx, sealed); err != nil || got != eventstore.Erased {
			t.Fatalf("after erasure %q %v", got, err)
		}
		if _, err := k.Seal(ctx, "tenant-1", subject, "again"); err == nil {
			t.Fatal("sealing for an erased subject must fail")
		}
	}
	// A wrong key-encryption key cannot open anything.
	other := make([]byte, 32)
	_, _ = rand.Read(other)
	k3, _ := eventstore.NewKeyring(pool, other)
	sealed, _ := k.Seal(ctx, "tenant-1", "user-2", "secret")
	if _, err := k3.Open(ctx, sealed); err == nil {
		t.Fatal("opened with the wrong key-encryption key")
	}
	// Outward renderings open personal fields and redact secrets.
	out := string(k.OpenJSON(ctx, []byte(`{"email":"`+sealed+`","password_hash":"x","api_key":"y"}`)))
	if !strings.Contains(out, `"email":"secret"`) || strings.Contains(out, `"x"`) || strings.Contains(out, `"y"`) {
		t.Fatalf("rendered %s", out)
	}
}
