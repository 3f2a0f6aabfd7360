// Package blobstore keeps content outside the ledger (evidence files,
// imported catalogs, uploads and exports of any module) in a directory,
// content-addressed by SHA-256: <dir>/<first two hex>/<hex>. The ledger
// records the hash; every read checks it, so that bytes changed on disk are
// refused rather than served or projected. The directory must be durable and,
// with several instances, shared (like the data directory).
package blobstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Errors of the store. A module that answers them to clients wraps them in
// its own domain errors (a changed evidence file is the Compliance module's
// CMP-013), so that each keeps its codes.
var (
	// ErrTooLarge reports content beyond the caller's bound; nothing is kept.
	ErrTooLarge = errors.New("blobstore: content too large")
	// ErrMissing reports content the caller names that the store does not hold.
	ErrMissing = errors.New("blobstore: stored content is missing")
	// ErrChanged reports stored content that no longer hashes to its name.
	ErrChanged = errors.New("blobstore: stored content does not match its SHA-256")
)

// Store is a content-addressed directory.
type Store struct {
	Dir string
}

func (b *Store) path(sum string) string { return filepath.Join(b.Dir, sum[:2], sum) }

func validSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	_, err := hex.DecodeString(sum)
	return err == nil
}

// Put streams r into the store (never whole in memory), hashing it on the
// way, and returns its SHA-256 and size. More than max bytes is ErrTooLarge
// and leaves nothing behind. Storing content already present keeps the
// existing file.
func (b *Store) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("blobstore: %w", err)
	}
	tmp, err := os.CreateTemp(b.Dir, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("blobstore: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone already once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	if n > max {
		return "", 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := b.path(sum)
	if _, err := os.Stat(dst); err == nil {
		return sum, n, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, fmt.Errorf("blobstore: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o400); err != nil {
		return "", 0, fmt.Errorf("blobstore: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("blobstore: %w", err)
	}
	return sum, n, nil
}

// Open opens the blob sum after checking, on the opened file itself, that its
// content still hashes to sum; the file is positioned at its start. A missing
// blob is ErrMissing, a changed one ErrChanged.
func (b *Store) Open(sum string) (*os.File, int64, error) {
	if !validSum(sum) {
		return nil, 0, fmt.Errorf("%w: %q is not a SHA-256", ErrMissing, sum)
	}
	f, err := os.Open(b.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s", ErrMissing, sum)
	}
	if err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && hex.EncodeToString(h.Sum(nil)) != sum {
		err = fmt.Errorf("%w: %s", ErrChanged, sum)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

// Read returns the whole verified blob (for content the caller bounded when
// it was put, such as catalogs).
func (b *Store) Read(sum string) ([]byte, error) {
	f, _, err := b.Open(sum)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
