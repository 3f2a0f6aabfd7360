// Package authstore is the Postgres side of authentication: the installation's
// JWT signing key (sealed, in platform_secrets) and the credential revocations
// recorded in the ledger. The HTTP layer (http/auth) holds no SQL; it reaches
// Postgres through these adapters.
package authstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/astrabastion/astra/domain/iam"
)

// DB is what the adapters need of a connection pool (*pgxpool.Pool).
type DB interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// signingKeyName names the signing key's row in platform_secrets.
const signingKeyName = "jwt_signing_key"

// SigningKey returns the installation's sealed signing key, storing the one
// create makes when there is none yet. Instances starting together may each
// create one: the first stored wins and every instance uses it.
func SigningKey(ctx context.Context, db DB, create func() ([]byte, error)) ([]byte, error) {
	var blob []byte
	err := db.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = $1`, signingKeyName).Scan(&blob)
	if err == nil {
		return blob, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("authstore: load signing key: %w", err)
	}
	sealed, err := create()
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(ctx, `INSERT INTO platform_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING`, signingKeyName, sealed); err != nil {
		return nil, fmt.Errorf("authstore: store signing key: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT value FROM platform_secrets WHERE name = $1`, signingKeyName).Scan(&blob); err != nil {
		return nil, fmt.Errorf("authstore: load signing key: %w", err)
	}
	return blob, nil
}

// Revoked is one revoked credential: a session, an API key, or a rotated
// key's previous secret.
type Revoked struct {
	// Kind is "session", "apikey" or "apikeysecret".
	Kind string
	ID   string
}

// Revocations reads every revocation recorded in the ledger (what an
// instance knows at start; later ones reach it through the revocation
// reactor).
func Revocations(ctx context.Context, db DB) ([]Revoked, error) {
	rows, err := db.Query(ctx, `SELECT type, data FROM events WHERE type IN ($1, $2, $3)`,
		iam.SessionRevoked.CEType(), iam.ApiKeyRevoked.CEType(), iam.ApiKeyRotated.CEType())
	if err != nil {
		return nil, fmt.Errorf("authstore: revocations: %w", err)
	}
	defer rows.Close()
	var out []Revoked
	for rows.Next() {
		var typ string
		var data []byte
		if err := rows.Scan(&typ, &data); err != nil {
			return nil, fmt.Errorf("authstore: revocations: %w", err)
		}
		var d struct {
			SessionID       string `json:"session_id"`
			KeyID           string `json:"key_id"`
			RevokedSecretID string `json:"revoked_secret_id"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, fmt.Errorf("authstore: revocations: %s: %w", typ, err)
		}
		switch {
		case typ == iam.SessionRevoked.CEType() && d.SessionID != "":
			out = append(out, Revoked{Kind: "session", ID: d.SessionID})
		case typ == iam.ApiKeyRevoked.CEType() && d.KeyID != "":
			out = append(out, Revoked{Kind: "apikey", ID: d.KeyID})
		case typ == iam.ApiKeyRotated.CEType() && d.RevokedSecretID != "":
			out = append(out, Revoked{Kind: "apikeysecret", ID: d.RevokedSecretID})
		}
	}
	return out, rows.Err()
}
