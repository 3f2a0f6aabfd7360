package iam

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/projections"
)

// AuthStatus is the security state of a user.
type AuthStatus struct {
	MfaEnabled  bool       `json:"mfa_enabled"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
}

// AuthOf reads a user's security state.
func (q *Queries) AuthOf(ctx context.Context, tenantID, userID string) (AuthStatus, error) {
	var a AuthStatus
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT mfa_enabled, locked_until FROM `+s+`.user_auth WHERE user_id = $1`, userID).Scan(&a.MfaEnabled, &a.LockedUntil)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return a, err
}

// SessionFilter narrows ListSessions.
type SessionFilter struct {
	UserID     string
	ActiveOnly bool
}

// ListSessions pages through a tenant's sessions in id (creation) order.
func (q *Queries) ListSessions(ctx context.Context, tenantID string, f SessionFilter, now time.Time, p projections.PageRequest) (projections.Page[Session], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.sessions`, `id, user_id, method, expires_at, created_at, revoked`).
			WhereIf(f.UserID != "", "user_id = ?", f.UserID).
			WhereIf(f.ActiveOnly, "NOT revoked AND expires_at > ?", now).
			OrderBy(false, projections.TextKey("id"))
	}, p, func(r pgx.CollectableRow) (Session, error) {
		var x Session
		return x, r.Scan(&x.ID, &x.UserID, &x.Method, &x.ExpiresAt, &x.CreatedAt, &x.Revoked)
	}, func(x Session) []any { return []any{x.ID} })
}

// ActiveSessionIDs lists the ids of a user's sessions that are neither revoked nor expired.
func (q *Queries) ActiveSessionIDs(ctx context.Context, tenantID, userID string, now time.Time) ([]string, error) {
	var ids []string
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM `+s+`.sessions WHERE user_id = $1 AND NOT revoked AND expires_at > $2`, userID, now)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return ids, err
}

// Role is a role as the API shows it: built-in or custom.
type Role struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Permissions []string  `json:"permissions"`
	Builtin     bool      `json:"builtin"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// BuiltinRole renders a built-in role; its id is its name.
func BuiltinRole(name string) Role {
	return Role{ID: name, Name: name, Description: iam.RoleDescription(name), Permissions: iam.PermissionsOf(name), Builtin: true, Version: 1}
}

// ListRoles pages through the built-in roles and the tenant's custom roles
// together, by name (names are unique: a custom role never takes a built-in
// name).
func (q *Queries) ListRoles(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[Role], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(`(SELECT id, name, description, permissions, false AS builtin, version, created_at, updated_at FROM `+s+`.roles
			UNION ALL `+builtinRoleRows+`) AS r`, `id, name, description, permissions, builtin, version, created_at, updated_at`).
			OrderBy(false, projections.TextKey(`name COLLATE "C"`))
	}, p, func(r pgx.CollectableRow) (Role, error) {
		var x Role
		err := r.Scan(&x.ID, &x.Name, &x.Description, &x.Permissions, &x.Builtin, &x.Version, &x.CreatedAt, &x.UpdatedAt)
		return x, err
	}, func(x Role) []any { return []any{x.Name} })
}

// builtinRoleRows renders the built-in roles as rows, so that one keyset
// pages through them and the custom roles. They are the code's constants
// (names of [a-z_], English descriptions, catalogue permissions), quoted.
var builtinRoleRows = func() string {
	quote := func(v string) string { return "'" + strings.ReplaceAll(v, "'", "''") + "'" }
	var rows []string
	for _, n := range iam.BuiltinRoles() {
		r := BuiltinRole(n)
		perms := make([]string, len(r.Permissions))
		for i, p := range r.Permissions {
			perms[i] = quote(p)
		}
		rows = append(rows, "SELECT "+quote(r.ID)+", "+quote(r.Name)+", "+quote(r.Description)+", ARRAY["+strings.Join(perms, ", ")+
			"]::text[], true, 1::bigint, '0001-01-01 00:00:00+00'::timestamptz, '0001-01-01 00:00:00+00'::timestamptz")
	}
	return strings.Join(rows, " UNION ALL ")
}()

func scanRole(r pgx.CollectableRow) (Role, error) {
	var x Role
	return x, r.Scan(&x.ID, &x.Name, &x.Description, &x.Permissions, &x.Version, &x.CreatedAt, &x.UpdatedAt)
}

// RoleByID finds a built-in role (by name) or a tenant's custom role (by id); nil when none.
func (q *Queries) RoleByID(ctx context.Context, tenantID, id string) (*Role, error) {
	if iam.IsBuiltinRole(id) {
		r := BuiltinRole(id)
		return &r, nil
	}
	return projections.One(ctx, q.Runner, Name, tenantID, scanRole, func(s string) string {
		return `SELECT id, name, description, permissions, version, created_at, updated_at FROM ` + s + `.roles WHERE id::text = $1 OR name = $1`
	}, id)
}

// RoleExists reports whether a role name is assignable in a tenant.
func (q *Queries) RoleExists(ctx context.Context, tenantID, name string) (bool, error) {
	r, err := q.RoleByID(ctx, tenantID, name)
	return r != nil, err
}

// UsersWithRole counts the tenant's users holding a role.
func (q *Queries) UsersWithRole(ctx context.Context, tenantID, name string) (int64, error) {
	var n int64
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM `+s+`.users WHERE $1 = ANY(roles) AND status <> 'deactivated'`, name).Scan(&n)
	})
	return n, err
}

// PermissionsOf resolves the union of permissions of a tenant's roles.
func (q *Queries) PermissionsOf(ctx context.Context, tenantID string, roles []string) ([]string, error) {
	set := map[string]bool{}
	for _, r := range roles {
		role, err := q.RoleByID(ctx, tenantID, r)
		if err != nil {
			return nil, err
		}
		if role == nil {
			continue
		}
		for _, p := range role.Permissions {
			set[p] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// TenantSettings reads a tenant's settings (zero values when unset).
func (q *Queries) TenantSettings(ctx context.Context, tenantID string) (iam.TenantSettings, error) {
	var st iam.TenantSettings
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT settings FROM `+s+`.tenants WHERE id = $1`, tenantID).Scan(&st)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return st, err
}

// CredentialsByID is CredentialsByEmail for a known user.
func (q *Queries) CredentialsByID(ctx context.Context, tenantID, id string) (*Credentials, error) {
	var out *Credentials
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		var c Credentials
		err := tx.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM `+s+`.users WHERE id = $1`, id).
			Scan(&c.ID, &c.TenantID, &c.Email, &c.Name, &c.Role, &c.Roles, &c.Status, &c.Version, &c.CreatedAt, &c.UpdatedAt, &c.PasswordHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		out = &c
		return err
	})
	return out, err
}
