// Package iam projects identity events into the tenants, users and sessions
// read models, and answers the queries over them.
package iam

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "iam"

// Projection builds the IAM read models.
type Projection struct {
	Keys *eventstore.Keyring

	once  sync.Once
	table *projections.Table
}

var _ projections.Projection = (*Projection)(nil)

// Name implements projections.Projection.
func (p *Projection) Name() string { return Name }

// Topics implements projections.Projection.
func (p *Projection) Topics() []string { return []string{events.TopicFor("iam")} }

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	_, err := tx.Exec(ctx, `
		CREATE TABLE `+s+`.tenants (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, version bigint NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE TABLE `+s+`.users (
			id text PRIMARY KEY, tenant_id text NOT NULL, email text NOT NULL, name text NOT NULL, role text NOT NULL,
			status text NOT NULL, password_hash text NOT NULL DEFAULT '', invitation_hash text NOT NULL DEFAULT '',
			roles text[] NOT NULL DEFAULT '{}',
			erased boolean NOT NULL DEFAULT false, version bigint NOT NULL, created_by text NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)
			-- Free room in every page: replays and renames update each row many times,
			-- and an update that fits its page (HOT) touches no index.
			WITH (fillfactor = 70);
		CREATE INDEX ON `+s+`.users (tenant_id, id);
		CREATE INDEX ON `+s+`.users (email);
		CREATE TABLE `+s+`.sessions (
			id text PRIMARY KEY, tenant_id text NOT NULL, user_id text NOT NULL, method text NOT NULL,
			refresh_hash text NOT NULL, expires_at timestamptz NOT NULL, created_at timestamptz NOT NULL,
			refreshed_at timestamptz, revoked boolean NOT NULL DEFAULT false);
		CREATE INDEX ON `+s+`.sessions (tenant_id, user_id);
		ALTER TABLE `+s+`.tenants ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
		ALTER TABLE `+s+`.sessions ADD COLUMN revoked_reason text NOT NULL DEFAULT '';
		-- Auth state lives on its own stream (and maybe another partition than the
		-- user stream), so it has its own table that never depends on the users row.
		CREATE TABLE `+s+`.user_auth (
			user_id text PRIMARY KEY, tenant_id text NOT NULL, password_hash text NOT NULL DEFAULT '',
			mfa_enabled boolean NOT NULL DEFAULT false, locked_until timestamptz, updated_at timestamptz NOT NULL);
		CREATE TABLE `+s+`.roles (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, description text NOT NULL,
			permissions text[] NOT NULL, version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE UNIQUE INDEX ON `+s+`.roles (tenant_id, name);
		CREATE TABLE `+s+`.api_keys (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, prefix text NOT NULL,
			secret_id text NOT NULL, secret_hash text NOT NULL, permissions text[] NOT NULL, expires_at timestamptz,
			rate_limit_per_minute int NOT NULL, owner_id text NOT NULL, revoked boolean NOT NULL DEFAULT false,
			version bigint NOT NULL, created_at timestamptz NOT NULL, rotated_at timestamptz, revoked_at timestamptz);
		CREATE INDEX ON `+s+`.api_keys (tenant_id, owner_id);
	`)
	if err != nil {
		return err
	}
	for _, t := range []string{"tenants", "users", "sessions", "user_auth", "roles", "api_keys"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	return nil
}

type userRow struct {
	ID, TenantID, Email, Name, Role, Status, PasswordHash, InvitationHash, CreatedBy string
	Roles                                                                            []string
	Erased                                                                           bool
	Version                                                                          int64
	CreatedAt, UpdatedAt                                                             time.Time
	loaded                                                                           bool
}

// userBatch is a batch's users, folded in memory and written with one
// statement (what makes replays fast).
type userBatch struct {
	ctx   context.Context
	keys  *eventstore.Keyring
	users map[string]*userRow
	// openErr fails the batch on a transient key error (it is retried) instead
	// of writing "[erased]" into a live user's row; only a destroyed key reads
	// as erased.
	openErr error
}

func (b *userBatch) open(v string) string {
	pt, err := b.keys.Open(b.ctx, v)
	if err != nil && b.openErr == nil {
		b.openErr = err
	}
	return pt
}

// touch records the event's version and time on the user's row.
func touch(u *userRow, e *eventstore.Event) { u.Version, u.UpdatedAt = e.Version, e.Time }

// userFold folds the user events of a batch into their rows.
var userFold = func() *eventstore.Fold[userBatch] {
	f := eventstore.NewFold[userBatch]()
	eventstore.On(f, iam.UserCreated, func(b *userBatch, d *iam.UserCreatedV1, e *eventstore.Event) {
		u := b.users[e.Subject]
		*u = userRow{ID: d.UserID, TenantID: d.TenantID, Role: d.Role, Status: d.Status, InvitationHash: d.InvitationHash,
			Email: b.open(d.Email), Name: b.open(d.Name), CreatedBy: e.Actor,
			Version: e.Version, CreatedAt: e.Time, UpdatedAt: e.Time, loaded: u.loaded, Roles: []string{d.Role}}
		if d.PasswordHash != "" {
			u.PasswordHash = b.open(d.PasswordHash)
		}
		u.Erased = u.Email == eventstore.Erased
	})
	eventstore.On(f, iam.UserUpdated, func(b *userBatch, d *iam.UserUpdatedV1, e *eventstore.Event) {
		u := b.users[e.Subject]
		if d.Name != nil {
			u.Name = b.open(*d.Name)
		}
		if d.Role != nil {
			u.Roles = replaceFirst(u.Roles, *d.Role)
			u.Role = *d.Role
		}
		touch(u, e)
	})
	eventstore.On(f, iam.UserDeactivated, func(b *userBatch, _ *iam.UserDeactivatedV1, e *eventstore.Event) {
		u := b.users[e.Subject]
		u.Status = iam.StatusDeactivated
		touch(u, e)
	})
	eventstore.On(f, iam.UserErased, func(b *userBatch, _ *iam.UserErasedV1, e *eventstore.Event) {
		u := b.users[e.Subject]
		u.Email, u.Name, u.PasswordHash, u.Erased = eventstore.Erased, eventstore.Erased, "", true
		touch(u, e)
	})
	role := func(assign bool) func(*userBatch, *iam.RoleAssignmentV1, *eventstore.Event) {
		return func(b *userBatch, d *iam.RoleAssignmentV1, e *eventstore.Event) {
			u := b.users[e.Subject]
			u.Roles = without(u.Roles, d.Role)
			if assign {
				u.Roles = append(u.Roles, d.Role)
			}
			if len(u.Roles) > 0 {
				u.Role = u.Roles[0]
			}
			touch(u, e)
		}
	}
	eventstore.On(f, iam.RoleAssigned, role(true))
	eventstore.On(f, iam.RoleUnassigned, role(false))
	return f
}()

// userEvents are the event types folded into user rows.
var userEvents = map[string]bool{
	iam.UserCreated.CEType(): true, iam.UserUpdated.CEType(): true, iam.UserDeactivated.CEType(): true,
	iam.UserErased.CEType(): true, iam.RoleAssigned.CEType(): true, iam.RoleUnassigned.CEType(): true,
}

// newTable builds the table that applies every event but the users' with
// one statement each. Passwords are opened with keys (a transient key error
// fails the batch, which is retried).
func newTable(keys *eventstore.Keyring) *projections.Table {
	t := projections.NewTable()
	password := func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.PasswordChangedV1) error {
		hash, err := keys.Open(ctx, d.PasswordHash)
		if err != nil {
			return err
		}
		return upsertAuth(ctx, tx, s, e, `password_hash = $4`, hash)
	}
	projections.On(t, iam.PasswordChanged, password)
	projections.On(t, iam.PasswordReset, password)
	projections.On(t, iam.TenantCreated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.TenantCreatedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.tenants (id, tenant_id, name, version, created_at, updated_at)
			VALUES ($1, $1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING`, d.TenantID, d.Name, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.TenantUpdated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.TenantUpdatedV1) error {
		if d.Name != nil {
			if _, err := tx.Exec(ctx, `UPDATE `+s+`.tenants SET name = $2, version = $3, updated_at = $4 WHERE id = $1`, d.TenantID, *d.Name, e.Version, e.Time); err != nil {
				return err
			}
		}
		if d.Settings != nil {
			_, err := tx.Exec(ctx, `UPDATE `+s+`.tenants SET settings = $2, version = $3, updated_at = $4 WHERE id = $1`, d.TenantID, d.Settings, e.Version, e.Time)
			return err
		}
		return nil
	})
	mfa := func(on bool) projections.Applier[iam.MfaDisabledV1] {
		return func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, _ *iam.MfaDisabledV1) error {
			return upsertAuth(ctx, tx, s, e, `mfa_enabled = $4`, on)
		}
	}
	projections.On(t, iam.MfaEnrolled, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, _ *iam.MfaEnrolledV1) error {
		return upsertAuth(ctx, tx, s, e, `mfa_enabled = $4`, true)
	})
	projections.On(t, iam.MfaDisabled, mfa(false))
	projections.On(t, iam.MfaReset, mfa(false))
	projections.On(t, iam.UserLocked, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.UserLockedV1) error {
		return upsertAuth(ctx, tx, s, e, `locked_until = $4`, d.Until)
	})
	projections.On(t, iam.UserUnlocked, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, _ *iam.UserUnlockedV1) error {
		return upsertAuth(ctx, tx, s, e, `locked_until = $4`, nil)
	})
	projections.On(t, iam.SessionRevoked, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *iam.SessionRevokedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.sessions SET revoked = true, revoked_reason = $2 WHERE id = $1`, d.SessionID, d.Reason)
		return err
	})
	projections.On(t, iam.RoleCreated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.RoleCreatedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.roles (id, tenant_id, name, description, permissions, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING`, d.RoleID, d.TenantID, d.Name, d.Description, d.Permissions, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.RoleUpdated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.RoleUpdatedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.roles SET description = coalesce($2, description), permissions = coalesce($3, permissions),
			version = $4, updated_at = $5 WHERE id = $1`, d.RoleID, d.Description, d.Permissions, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.RoleDeleted, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *iam.RoleDeletedV1) error {
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.roles WHERE id = $1`, d.RoleID)
		return err
	})
	projections.On(t, iam.ApiKeyCreated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.ApiKeyCreatedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.api_keys (id, tenant_id, name, prefix, secret_id, secret_hash, permissions,
			expires_at, rate_limit_per_minute, owner_id, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (id) DO NOTHING`, d.KeyID, d.TenantID, d.Name, d.Prefix, d.SecretID, d.SecretHash, d.Permissions,
			d.ExpiresAt, d.RateLimitPerMinute, d.OwnerID, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.ApiKeyRotated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.ApiKeyRotatedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.api_keys SET prefix = $2, secret_id = $3, secret_hash = $4, version = $5, rotated_at = $6
			WHERE id = $1`, d.KeyID, d.Prefix, d.SecretID, d.SecretHash, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.ApiKeyRevoked, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.ApiKeyRevokedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.api_keys SET revoked = true, version = $2, revoked_at = $3 WHERE id = $1`, d.KeyID, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.UserLoggedIn, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.UserLoggedInV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.sessions (id, tenant_id, user_id, method, refresh_hash, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			d.SessionID, e.TenantID, d.UserID, d.Method, d.RefreshHash, d.ExpiresAt, e.Time)
		return err
	})
	projections.On(t, iam.SessionRefreshed, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.SessionRefreshedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.sessions SET refresh_hash = $2, expires_at = $3, refreshed_at = $4 WHERE id = $1`,
			d.SessionID, d.RefreshHash, d.ExpiresAt, e.Time)
		return err
	})
	return t
}

// Apply implements projections.Projection. User events fold into their rows
// in memory (userFold) and are written with one statement per batch; every
// other event applies through the table. The two touch different tables, so
// applying them side by side keeps the order that matters.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	b := &userBatch{ctx: ctx, keys: p.Keys, users: map[string]*userRow{}}
	var order, missing []string
	var userEvs []eventstore.Event
	for i := range evs {
		e := &evs[i]
		if !userEvents[e.Type] {
			continue
		}
		userEvs = append(userEvs, *e)
		if _, ok := b.users[e.Subject]; !ok {
			b.users[e.Subject] = &userRow{ID: e.Subject}
			order = append(order, e.Subject)
			if e.Type != iam.UserCreated.CEType() {
				missing = append(missing, e.Subject)
			}
		}
	}
	if err := p.Keys.Preload(ctx, order); err != nil {
		return err
	}
	if err := loadUsers(ctx, tx, s, b.users, missing); err != nil {
		return err
	}
	p.once.Do(func() { p.table = newTable(p.Keys) })
	if err := p.table.Apply(ctx, tx, s, evs); err != nil {
		return err
	}
	if err := userFold.Apply(b, userEvs); err != nil {
		return fmt.Errorf("projections/iam: %w", err)
	}
	if b.openErr != nil {
		return fmt.Errorf("projections/iam: %w", b.openErr)
	}
	return writeUsers(ctx, tx, s, b.users, order)
}

// loadUsers reads the rows of users whose batch starts after their creation.
func loadUsers(ctx context.Context, tx pgx.Tx, s string, users map[string]*userRow, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, tenant_id, email, name, role, status, password_hash, invitation_hash, erased,
		version, created_by, created_at, updated_at, roles FROM `+s+`.users WHERE id = ANY($1)`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u userRow
		if err := rows.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.Status, &u.PasswordHash, &u.InvitationHash,
			&u.Erased, &u.Version, &u.CreatedBy, &u.CreatedAt, &u.UpdatedAt, &u.Roles); err != nil {
			return err
		}
		u.loaded = true
		*users[u.ID] = u
	}
	return rows.Err()
}

func writeUsers(ctx context.Context, tx pgx.Tx, s string, users map[string]*userRow, order []string) error {
	n := len(order)
	if n == 0 {
		return nil
	}
	cols := struct {
		id, tenant, email, name, role, status, pw, inv, by, roles []string
		erased                                                    []bool
		version                                                   []int64
		created, updated                                          []time.Time
	}{}
	for _, id := range order {
		u := users[id]
		if u.TenantID == "" {
			continue // an update for a user this generation never saw created: nothing to write
		}
		cols.id = append(cols.id, u.ID)
		cols.tenant = append(cols.tenant, u.TenantID)
		cols.email = append(cols.email, u.Email)
		cols.name = append(cols.name, u.Name)
		cols.role = append(cols.role, u.Role)
		cols.status = append(cols.status, u.Status)
		cols.pw = append(cols.pw, u.PasswordHash)
		cols.inv = append(cols.inv, u.InvitationHash)
		cols.by = append(cols.by, u.CreatedBy)
		cols.roles = append(cols.roles, "{"+strings.Join(u.Roles, ",")+"}")
		cols.erased = append(cols.erased, u.Erased)
		cols.version = append(cols.version, u.Version)
		cols.created = append(cols.created, u.CreatedAt)
		cols.updated = append(cols.updated, u.UpdatedAt)
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.users (id, tenant_id, email, name, role, status, password_hash, invitation_hash,
			created_by, erased, version, created_at, updated_at, roles)
		SELECT i, t, em, n, r, st, pw, inv, b, er, v, ca, ua, rs::text[] FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::bool[], $11::bigint[], $12::timestamptz[], $13::timestamptz[], $14::text[]) AS x(i, t, em, n, r, st, pw, inv, b, er, v, ca, ua, rs)
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role,
			status = excluded.status, password_hash = excluded.password_hash, invitation_hash = excluded.invitation_hash,
			erased = excluded.erased, version = excluded.version, updated_at = excluded.updated_at, roles = excluded.roles`,
		cols.id, cols.tenant, cols.email, cols.name, cols.role, cols.status, cols.pw, cols.inv, cols.by, cols.erased,
		cols.version, cols.created, cols.updated, cols.roles)
	return err
}

// upsertAuth sets one column of a user's auth row; set is "col = $4".
func upsertAuth(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, set string, v any) error {
	col := strings.TrimSpace(strings.Split(set, "=")[0])
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.user_auth (user_id, tenant_id, updated_at, `+col+`) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) DO UPDATE SET `+set+`, updated_at = $3`, e.Subject, e.TenantID, e.Time, v)
	return err
}

func without(xs []string, x string) []string {
	out := make([]string, 0, len(xs))
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

func replaceFirst(xs []string, x string) []string {
	out := []string{x}
	for i, v := range xs {
		if i > 0 && v != x {
			out = append(out, v)
		}
	}
	return out
}
