// Package idempotency keeps the Idempotency-Key records of the write path in
// Postgres (the idempotency_keys table of the platform migrations): which
// request first used a key, and the answer that retries replay. The HTTP
// middleware (http/writes) decides what to keep; this package only stores it.
package idempotency

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store reads and writes Idempotency-Key records.
type Store struct {
	pool *pgxpool.Pool
}

// New stores the records through pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Record is what a key holds: the hash of its first request and, once that
// request answered, the status and the stored answer.
type Record struct {
	RequestHash []byte
	Status      *int // nil while the first request runs
	Answer      []byte
}

// ErrNotFound reports a key with no record (its first request failed and
// freed it meanwhile).
var ErrNotFound = errors.New("idempotency: no record for this key")

// Claim takes the key for a first request, or over from a request that never
// answered within abandonAfter (a crash), or from a record older than ttl.
// It reports false when the key is held: the caller replays its record.
func (s *Store) Claim(ctx context.Context, tenant, key string, requestHash []byte, abandonAfter, ttl time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, key) DO UPDATE SET request_hash = excluded.request_hash, created_at = now(), status = NULL, response = NULL
		WHERE (idempotency_keys.status IS NULL AND idempotency_keys.created_at < now() - $4::interval)
		   OR idempotency_keys.created_at < now() - $5::interval`, tenant, key, requestHash, abandonAfter.String(), ttl.String())
	if err != nil {
		return false, fmt.Errorf("idempotency: claim: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Lookup reads a key's record (ErrNotFound when there is none).
func (s *Store) Lookup(ctx context.Context, tenant, key string) (Record, error) {
	var r Record
	err := s.pool.QueryRow(ctx, `SELECT request_hash, status, response FROM idempotency_keys
		WHERE tenant_id = $1 AND key = $2`, tenant, key).Scan(&r.RequestHash, &r.Status, &r.Answer)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("idempotency: lookup: %w", err)
	}
	return r, nil
}

// Complete stores the first request's answer for the retries.
func (s *Store) Complete(ctx context.Context, tenant, key string, status int, answer []byte) error {
	_, err := s.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $3, response = $4
		WHERE tenant_id = $1 AND key = $2`, tenant, key, status, answer)
	return err
}

// Release frees a key, so that a retry runs the request again.
func (s *Store) Release(ctx context.Context, tenant, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, tenant, key)
	return err
}

// Expire deletes the records older than ttl (their answers may hold
// personal data, so they are not kept).
func (s *Store) Expire(ctx context.Context, ttl time.Duration) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval`, ttl.String())
	return err
}

// ForgetWhere deletes the records of a tenant's principals whose key or
// stored answer match (an erasure: a kept answer may hold the erased
// subject's data) and returns how many it deleted. A retry with a forgotten
// key runs its request again. Records are scoped "<tenant>/<principal>".
func (s *Store) ForgetWhere(ctx context.Context, tenant string, match func(key string, answer []byte) bool) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, key, response FROM idempotency_keys WHERE tenant_id = $1 OR starts_with(tenant_id, $1 || '/')`, tenant)
	if err != nil {
		return 0, fmt.Errorf("idempotency: forget: %w", err)
	}
	var scopes, keys []string
	for rows.Next() {
		var scope, key string
		var answer []byte
		if err := rows.Scan(&scope, &key, &answer); err != nil {
			rows.Close()
			return 0, err
		}
		if match(key, answer) {
			scopes, keys = append(scopes, scope), append(keys, key)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(keys) == 0 {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys k USING unnest($1::text[], $2::text[]) AS f(scope, key)
		WHERE k.tenant_id = f.scope AND k.key = f.key`, scopes, keys)
	if err != nil {
		return 0, fmt.Errorf("idempotency: forget: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
