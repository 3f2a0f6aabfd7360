package iam

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Person finds a tenant's user as a data subject: by id, or by address when
// id is empty (erased users are not found by address); nil when none. An
// erased user keeps their ids (principals: the user and their API keys) and
// loses their address and name.
func (q *Queries) Person(ctx context.Context, tenantID, id, email string) (*datagov.Person, error) {
	var out *datagov.Person
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		var p datagov.Person
		var erased bool
		err := tx.QueryRow(ctx, `SELECT id, email, name, erased FROM `+s+`.users WHERE tenant_id = $1
			AND (($2 <> '' AND id = $2) OR ($2 = '' AND email = lower($3) AND NOT erased)) ORDER BY id LIMIT 1`, tenantID, id, email).
			Scan(&p.UserID, &p.Email, &p.Name, &erased)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if erased || p.Email == eventstore.Erased {
			p.Email, p.Name = "", ""
		}
		rows, _ := tx.Query(ctx, `SELECT id FROM `+s+`.api_keys WHERE tenant_id = $1 AND owner_id = $2 ORDER BY id`, tenantID, p.UserID)
		keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
		p.Principals = append([]string{p.UserID}, keys...)
		out = &p
		return err
	})
	return out, err
}

// Holdings implements datagov.Holder: the user's profile, API keys (never
// their secrets) and sessions.
func (q *Queries) Holdings(ctx context.Context, tenantID string, p datagov.Person) ([]datagov.Section, error) {
	if p.UserID == "" {
		return nil, nil
	}
	return projections.Holdings(ctx, q.Runner, Name, tenantID, "iam",
		projections.Held{Kind: "profile", Args: []any{tenantID, p.UserID}, Query: func(s string) string {
			return `SELECT id, email, name, role, roles, status, created_at, updated_at FROM ` + s + `.users WHERE tenant_id = $1 AND id = $2`
		}},
		projections.Held{Kind: "api_keys", Args: []any{tenantID, p.UserID}, Query: func(s string) string {
			return `SELECT id, name, prefix, permissions, expires_at, revoked, created_at, rotated_at, revoked_at FROM ` + s +
				`.api_keys WHERE tenant_id = $1 AND owner_id = $2 ORDER BY id`
		}},
		projections.Held{Kind: "sessions", Args: []any{tenantID, p.UserID}, Query: func(s string) string {
			return `SELECT id, method, created_at, refreshed_at, expires_at, revoked FROM ` + s + `.sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY id`
		}})
}
