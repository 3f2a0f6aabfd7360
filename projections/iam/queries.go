package iam

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/projections"
)

// User is the read model of a user as the API shows it.
type User struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Roles     []string  `json:"roles"`
	Status    string    `json:"status"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Credentials is what login needs of a user.
type Credentials struct {
	User
	PasswordHash string
}

// Tenant is the read model of a tenant.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
}

// Queries reads the IAM read models.
type Queries struct {
	Runner *projections.Runner
}

const userColumns = `id, tenant_id, email, name, role, roles, status, version, created_at, updated_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.Roles, &u.Status, &u.Version, &u.CreatedAt, &u.UpdatedAt)
	return u, err
}

// UserByID finds a user of a tenant; nil when there is none.
func (q *Queries) UserByID(ctx context.Context, tenantID, id string) (*User, error) {
	return projections.One(ctx, q.Runner, Name, tenantID, func(r pgx.CollectableRow) (User, error) { return scanUser(r) }, func(s string) string {
		return `SELECT ` + userColumns + ` FROM ` + s + `.users WHERE id = $1`
	}, id)
}

// CredentialsByEmail finds the users holding an address (erased ones aside):
// in one tenant when tenantID is given, in every tenant when it is "" (an
// address is unique per tenant, so sign-in may find several). At most limit
// users, in a fixed order: users not deactivated first, then by creation.
func (q *Queries) CredentialsByEmail(ctx context.Context, email, tenantID string, limit int) ([]Credentials, error) {
	var out []Credentials
	scope := tenantID
	if scope == "" {
		scope = "*"
	}
	err := q.Runner.Read(ctx, Name, scope, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+userColumns+`, password_hash FROM `+s+`.users
			WHERE email = $1 AND NOT erased AND ($2 = '' OR tenant_id = $2)
			ORDER BY status = 'deactivated', created_at, id LIMIT $3`, email, tenantID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Credentials, error) {
			var c Credentials
			err := r.Scan(&c.ID, &c.TenantID, &c.Email, &c.Name, &c.Role, &c.Roles, &c.Status, &c.Version, &c.CreatedAt, &c.UpdatedAt, &c.PasswordHash)
			return c, err
		})
		return err
	})
	return out, err
}

// TenantIDByRef resolves a tenant named by id or by name (names are unique
// regardless of case); "" when there is none.
func (q *Queries) TenantIDByRef(ctx context.Context, ref string) (string, error) {
	var id string
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT id FROM `+s+`.tenants WHERE id = $1 OR lower(name) = lower($1) ORDER BY id = $1 DESC, id LIMIT 1`, ref).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return id, err
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Role   string
	Status string
	Email  string
}

// ListUsers pages through a tenant's users in id (creation) order, the
// API's documented order.
func (q *Queries) ListUsers(ctx context.Context, tenantID string, f UserFilter, p projections.PageRequest) (projections.Page[User], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.users`, userColumns).
			WhereIf(f.Role != "", "? = ANY(roles)", f.Role).
			WhereIf(f.Status != "", "status = ?", f.Status).
			WhereIf(f.Email != "", "email = lower(?)", f.Email).
			OrderBy(false, projections.TextKey("id"))
	}, p, func(r pgx.CollectableRow) (User, error) { return scanUser(r) }, func(u User) []any { return []any{u.ID} })
}

// TenantByID finds a tenant; nil when there is none.
func (q *Queries) TenantByID(ctx context.Context, id string) (*Tenant, error) {
	var out *Tenant
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		var t Tenant
		err := tx.QueryRow(ctx, `SELECT id, name, version, created_at FROM `+s+`.tenants WHERE id = $1`, id).
			Scan(&t.ID, &t.Name, &t.Version, &t.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		out = &t
		return err
	})
	return out, err
}

// ListTenants pages through every tenant (platform admins only), in id
// (creation) order.
func (q *Queries) ListTenants(ctx context.Context, p projections.PageRequest) (projections.Page[Tenant], error) {
	return projections.ReadPage(ctx, q.Runner, Name, "*", func(s string) *projections.List {
		return projections.NewList(s+`.tenants`, `id, name, version, created_at`).OrderBy(false, projections.TextKey("id"))
	}, p, func(r pgx.CollectableRow) (Tenant, error) {
		var t Tenant
		return t, r.Scan(&t.ID, &t.Name, &t.Version, &t.CreatedAt)
	}, func(t Tenant) []any { return []any{t.ID} })
}

// Session is a signed-in session.
type Session struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Method    string    `json:"method"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
}

// SessionByID finds a session; nil when there is none.
func (q *Queries) SessionByID(ctx context.Context, tenantID, id string) (*Session, error) {
	var out *Session
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		var x Session
		err := tx.QueryRow(ctx, `SELECT id, user_id, method, expires_at, created_at, revoked FROM `+s+`.sessions WHERE id = $1`, id).
			Scan(&x.ID, &x.UserID, &x.Method, &x.ExpiresAt, &x.CreatedAt, &x.Revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		out = &x
		return err
	})
	return out, err
}
