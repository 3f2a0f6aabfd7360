package compliance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/astrabastion/astra/domain/compliance"
)

// ErrBlobTooLarge reports content beyond the caller's bound; nothing is kept.
var ErrBlobTooLarge = errors.New("compliance: content too large")

// Blobs keeps content outside the ledger (evidence files, imported catalogs)
// in a directory, content-addressed by SHA-256: <dir>/<first two hex>/<hex>.
// The ledger records the hash; every read checks it, so that bytes changed
// on disk are refused rather than served or projected. The directory must be
// durable and, with several instances, shared (like the data directory).
type Blobs struct {
	Dir string
}

func (b *Blobs) path(sum string) string { return filepath.Join(b.Dir, sum[:2], sum) }

func validSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	_, err := hex.DecodeString(sum)
	return err == nil
}

// Put streams r into the store (never whole in memory), hashing it on the
// way, and returns its SHA-256 and size. More than max bytes is
// ErrBlobTooLarge and leaves nothing behind. Storing content already present
// keeps the existing file.
func (b *Blobs) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("compliance: blobs: %w", err)
	}
	tmp, err := os.CreateTemp(b.Dir, ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("compliance: blobs: %w", err)
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
		return "", 0, fmt.Errorf("%w: more than %d bytes", ErrBlobTooLarge, max)
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
		return "", 0, fmt.Errorf("compliance: blobs: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o400); err != nil {
		return "", 0, fmt.Errorf("compliance: blobs: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("compliance: blobs: %w", err)
	}
	return sum, n, nil
}

// Open opens the blob sum after checking, on the opened file itself, that its
// content still hashes to sum; the file is positioned at its start. A missing
// blob is ErrBlobMissing, a changed one ErrEvidenceTampered.
func (b *Blobs) Open(sum string) (*os.File, int64, error) {
	if !validSum(sum) {
		return nil, 0, compliance.ErrBlobMissing
	}
	f, err := os.Open(b.path(sum))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s", compliance.ErrBlobMissing, sum)
	}
	if err != nil {
		return nil, 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && hex.EncodeToString(h.Sum(nil)) != sum {
		err = fmt.Errorf("%w: %s", compliance.ErrEvidenceTampered, sum)
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

// Read returns the whole verified blob (catalogs: bounded by the import limit).
func (b *Blobs) Read(sum string) ([]byte, error) {
	f, _, err := b.Open(sum)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
