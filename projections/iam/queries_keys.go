package iam

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/projections"
)

// APIKey is an API key as the API shows it (never its secret or hash).
type APIKey struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	Prefix             string     `json:"prefix"`
	Permissions        []string   `json:"permissions"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	RateLimitPerMinute int        `json:"rate_limit_per_minute"`
	OwnerID            string     `json:"owner_id"`
	Revoked            bool       `json:"revoked"`
	Version            int64      `json:"version"`
	CreatedAt          time.Time  `json:"created_at"`
	RotatedAt          *time.Time `json:"rotated_at,omitempty"`
	RevokedAt          *time.Time `json:"revoked_at,omitempty"`
}

// APIKeySecret is what authentication needs of a key.
type APIKeySecret struct {
	APIKey
	TenantID   string
	SecretID   string
	SecretHash string
}

const keyColumns = `id, name, prefix, permissions, expires_at, rate_limit_per_minute, owner_id, revoked, version, created_at, rotated_at, revoked_at`

func scanKey(r pgx.CollectableRow) (APIKey, error) {
	var k APIKey
	return k, r.Scan(&k.ID, &k.Name, &k.Prefix, &k.Permissions, &k.ExpiresAt, &k.RateLimitPerMinute, &k.OwnerID, &k.Revoked,
		&k.Version, &k.CreatedAt, &k.RotatedAt, &k.RevokedAt)
}

// APIKeyForAuth finds a key across tenants by id (authentication knows no tenant yet).
func (q *Queries) APIKeyForAuth(ctx context.Context, id string) (*APIKeySecret, error) {
	var out *APIKeySecret
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		var k APIKeySecret
		err := tx.QueryRow(ctx, `SELECT `+keyColumns+`, tenant_id, secret_id, secret_hash FROM `+s+`.api_keys WHERE id = $1`, id).
			Scan(&k.ID, &k.Name, &k.Prefix, &k.Permissions, &k.ExpiresAt, &k.RateLimitPerMinute, &k.OwnerID, &k.Revoked,
				&k.Version, &k.CreatedAt, &k.RotatedAt, &k.RevokedAt, &k.TenantID, &k.SecretID, &k.SecretHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		out = &k
		return err
	})
	return out, err
}

// APIKeyByID finds a tenant's key; nil when none.
func (q *Queries) APIKeyByID(ctx context.Context, tenantID, id string) (*APIKey, error) {
	return projections.One(ctx, q.Runner, Name, tenantID, scanKey, func(s string) string {
		return `SELECT ` + keyColumns + ` FROM ` + s + `.api_keys WHERE id = $1`
	}, id)
}

// ListAPIKeys pages through a tenant's keys (one owner's when ownerID is
// set), in id (creation) order.
func (q *Queries) ListAPIKeys(ctx context.Context, tenantID, ownerID string, p projections.PageRequest) (projections.Page[APIKey], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.api_keys`, keyColumns).WhereIf(ownerID != "", "owner_id = ?", ownerID).OrderBy(false, projections.TextKey("id"))
	}, p, scanKey, func(k APIKey) []any { return []any{k.ID} })
}

// ActiveAPIKeyIDs lists the ids of every API key of an owner that is not
// revoked (all of them: deactivating the owner revokes each).
func (q *Queries) ActiveAPIKeyIDs(ctx context.Context, tenantID, ownerID string) ([]string, error) {
	var ids []string
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM `+s+`.api_keys WHERE owner_id = $1 AND NOT revoked ORDER BY id`, ownerID)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return ids, err
}
