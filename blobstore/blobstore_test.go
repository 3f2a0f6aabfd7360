package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrabastion/astra/blobstore"
)

func TestStore_KeepsContentUnderItsHashAndRefusesItOnceChanged(t *testing.T) {
	s := &blobstore.Store{Dir: t.TempDir()}
	content := []byte("SOC 2 type II report\n")
	sum, n, err := s.Put(context.Background(), bytes.NewReader(content), 1<<10)
	want := sha256.Sum256(content)
	if err != nil || sum != hex.EncodeToString(want[:]) || n != int64(len(content)) {
		t.Fatalf("put: %s %d %v", sum, n, err)
	}
	if again, _, err := s.Put(context.Background(), bytes.NewReader(content), 1<<10); err != nil || again != sum {
		t.Fatalf("put again: %s %v", again, err)
	}
	got, err := s.Read(sum)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read: %q %v", got, err)
	}
	f, size, err := s.Open(sum)
	if err != nil || size != int64(len(content)) {
		t.Fatalf("open: %d %v", size, err)
	}
	if b, _ := io.ReadAll(f); !bytes.Equal(b, content) {
		t.Fatalf("opened at %q", b)
	}
	f.Close()

	path := filepath.Join(s.Dir, sum[:2], sum)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(sum); !errors.Is(err, blobstore.ErrChanged) {
		t.Fatalf("changed: %v", err)
	}
	if _, err := s.Read(sum); !errors.Is(err, blobstore.ErrChanged) {
		t.Fatalf("read changed: %v", err)
	}
}

func TestStore_RefusesTooLargeContentAndNamesMissingContent(t *testing.T) {
	s := &blobstore.Store{Dir: t.TempDir()}
	if _, _, err := s.Put(context.Background(), strings.NewReader("12345"), 4); !errors.Is(err, blobstore.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	entries, _ := os.ReadDir(s.Dir)
	if len(entries) != 0 {
		t.Fatalf("too large content left %d entries behind", len(entries))
	}
	for _, sum := range []string{strings.Repeat("a", 64), "../../etc/passwd", ""} {
		if _, _, err := s.Open(sum); !errors.Is(err, blobstore.ErrMissing) {
			t.Errorf("open %q: %v", sum, err)
		}
	}
}
