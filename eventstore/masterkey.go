package eventstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MasterKeySource says where the key-encryption key (the master key) comes
// from. At most one of its fields may be set; with none, a key is generated on
// first start and kept in Postgres (fine for one machine, never for
// production: the database alone then holds both the data and the key that
// unwraps it).
type MasterKeySource struct {
	// Value is the base64 key itself (ASTRA_MASTER_KEY).
	Value string
	// File names a file holding the base64 key (ASTRA_MASTER_KEY_FILE), such
	// as a mounted Kubernetes or Docker secret.
	File string
	// Command is run through /bin/sh; its standard output is the base64 key
	// (ASTRA_MASTER_KEY_COMMAND). This is the envelope pattern of a KMS: the
	// key is kept encrypted by the KMS and the command decrypts it, e.g.
	// `aws kms decrypt --ciphertext-blob fileb:///etc/astra/kek.enc --query Plaintext --output text`.
	Command string
}

// Origin names where the key comes from: environment, file, command or database.
func (s MasterKeySource) Origin() string {
	switch {
	case s.Value != "":
		return "environment"
	case s.File != "":
		return "file"
	case s.Command != "":
		return "command"
	}
	return "database"
}

// External reports whether the key is kept outside Postgres.
func (s MasterKeySource) External() bool { return s.Origin() != "database" }

// masterKeyCommandTimeout bounds a key command (a KMS call over the network).
const masterKeyCommandTimeout = 30 * time.Second

// Resolve reads the external key. It fails when more than one source is set,
// or when the key is not 32 bytes of standard base64.
func (s MasterKeySource) Resolve(ctx context.Context) ([]byte, error) {
	set := 0
	for _, v := range []string{s.Value, s.File, s.Command} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("keyring: set only one of ASTRA_MASTER_KEY, ASTRA_MASTER_KEY_FILE and ASTRA_MASTER_KEY_COMMAND")
	}
	var raw, name string
	switch {
	case s.Value != "":
		raw, name = s.Value, "ASTRA_MASTER_KEY"
	case s.File != "":
		name = "ASTRA_MASTER_KEY_FILE"
		b, err := os.ReadFile(s.File)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s: %w", name, err)
		}
		raw = string(b)
	case s.Command != "":
		name = "ASTRA_MASTER_KEY_COMMAND"
		cctx, cancel := context.WithTimeout(ctx, masterKeyCommandTimeout)
		defer cancel()
		cmd := exec.CommandContext(cctx, "/bin/sh", "-c", s.Command)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			// The command's error output may help; its standard output is the key and is never shown.
			return nil, fmt.Errorf("keyring: %s failed: %w: %s", name, err, strings.TrimSpace(stderr.String()))
		}
		raw = string(out)
	default:
		return nil, errors.New("keyring: no external master key configured")
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("keyring: %s must give 32 bytes, base64 (openssl rand -base64 32)", name)
	}
	return k, nil
}

// kekCheck is sealed under the master key when a database is first keyed, so
// that a later start with another key fails at once, before anything is
// sealed under the wrong key.
const kekCheck = "astra master key check v1"

// LoadOrCreateKEK returns the key-encryption key from its source. With no
// external source, the key generated and kept in platform_secrets on first
// start is used (and made then). Every start checks the key against the check
// value the database was first keyed with: a wrong key, or a database whose
// key was moved out (`astra master-key export`) started without one, fails
// with an error that says what to do.
func LoadOrCreateKEK(ctx context.Context, pool *pgxpool.Pool, src MasterKeySource) ([]byte, error) {
	var stored []byte
	err := pool.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = 'kek'`).Scan(&stored)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("keyring: load kek: %w", err)
	}
	var kek []byte
	if src.External() {
		if kek, err = src.Resolve(ctx); err != nil {
			return nil, err
		}
		if stored != nil && !bytes.Equal(stored, kek) {
			return nil, errors.New("keyring: this database's data keys are wrapped by the master key generated into it; " +
				"move that key out with `astra master-key export --file PATH` and configure it, instead of a new one")
		}
	} else {
		if stored == nil {
			var check []byte
			err := pool.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = 'kek_check'`).Scan(&check)
			if err == nil {
				return nil, errors.New("keyring: this database's master key is kept outside it: " +
					"set ASTRA_MASTER_KEY, ASTRA_MASTER_KEY_FILE or ASTRA_MASTER_KEY_COMMAND")
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return nil, fmt.Errorf("keyring: load key check: %w", err)
			}
			fresh := make([]byte, 32)
			if _, err := rand.Read(fresh); err != nil {
				return nil, err
			}
			if _, err := pool.Exec(ctx, `INSERT INTO platform_secrets (name, value) VALUES ('kek', $1) ON CONFLICT DO NOTHING`, fresh); err != nil {
				return nil, fmt.Errorf("keyring: store kek: %w", err)
			}
			// Another instance may have stored its key first: use whichever won.
			if err := pool.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = 'kek'`).Scan(&stored); err != nil {
				return nil, fmt.Errorf("keyring: load kek: %w", err)
			}
		}
		kek = stored
	}
	if err := checkKEK(ctx, pool, kek); err != nil {
		return nil, err
	}
	return kek, nil
}

// checkKEK verifies kek against the database's check value, storing it on first use.
func checkKEK(ctx context.Context, pool *pgxpool.Pool, kek []byte) error {
	aead, err := newAEAD(kek)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := aead.Seal(nonce, nonce, []byte(kekCheck), []byte("kek_check"))
	if _, err := pool.Exec(ctx, `INSERT INTO platform_secrets (name, value) VALUES ('kek_check', $1) ON CONFLICT DO NOTHING`, sealed); err != nil {
		return fmt.Errorf("keyring: store key check: %w", err)
	}
	var blob []byte
	if err := pool.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = 'kek_check'`).Scan(&blob); err != nil {
		return fmt.Errorf("keyring: load key check: %w", err)
	}
	n := aead.NonceSize()
	if len(blob) < n {
		return errors.New("keyring: key check too short")
	}
	if pt, err := aead.Open(nil, blob[:n], blob[n:], []byte("kek_check")); err != nil || string(pt) != kekCheck {
		return errors.New("keyring: the configured master key is not the one this database was keyed with")
	}
	return nil
}

// ExportKEK moves the master key that was generated into the database out of
// it: it writes the key (base64) to a new file readable by its owner only,
// reads it back, and then, unless keep is set, deletes it from Postgres. From
// then on the service needs ASTRA_MASTER_KEY_FILE (or the same key by another
// source) to start. Nothing is re-wrapped: the key itself does not change.
func ExportKEK(ctx context.Context, pool *pgxpool.Pool, path string, keep bool) error {
	var stored []byte
	err := pool.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = 'kek'`).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return errors.New("keyring: the database holds no master key (it is already kept outside it)")
	}
	if err != nil {
		return fmt.Errorf("keyring: load kek: %w", err)
	}
	if err := checkKEK(ctx, pool, stored); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keyring: export: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(stored) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("keyring: export: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keyring: export: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("keyring: export: %w", err)
	}
	back, err := MasterKeySource{File: path}.Resolve(ctx)
	if err != nil || !bytes.Equal(back, stored) {
		return fmt.Errorf("keyring: export: %s does not read back as the key; the database still holds it", path)
	}
	if keep {
		return nil
	}
	if _, err := pool.Exec(ctx, `DELETE FROM platform_secrets WHERE name = 'kek'`); err != nil {
		return fmt.Errorf("keyring: export: remove the key from the database: %w", err)
	}
	return nil
}
