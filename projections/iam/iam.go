// Package iam projects identity events into the tenants, users and sessions
// read models, and answers the queries over them.
package iam

import (
	"context"
	"fmt"
	"strings"
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

// Apply implements projections.Projection. Users are folded in memory and
// written with one statement per batch, which is what makes replays fast.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	users := map[string]*userRow{}
	var order []string
	var missing []string
	var subjects []string
	for i := range evs {
		e := &evs[i]
		switch e.Name() {
		case iam.UserCreated.Name, iam.UserUpdated.Name, iam.UserDeactivated.Name, iam.UserErased.Name,
			iam.RoleAssigned.Name, iam.RoleUnassigned.Name:
			if _, ok := users[e.Subject]; !ok {
				users[e.Subject] = &userRow{ID: e.Subject}
				order = append(order, e.Subject)
				if e.Name() != iam.UserCreated.Name {
					missing = append(missing, e.Subject)
				}
				subjects = append(subjects, e.Subject)
			}
		}
	}
	if err := p.Keys.Preload(ctx, subjects); err != nil {
		return err
	}
	if len(missing) > 0 {
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, email, name, role, status, password_hash, invitation_hash, erased,
			version, created_by, created_at, updated_at, roles FROM `+s+`.users WHERE id = ANY($1)`, missing)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u userRow
			if err := rows.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.Status, &u.PasswordHash, &u.InvitationHash,
				&u.Erased, &u.Version, &u.CreatedBy, &u.CreatedAt, &u.UpdatedAt, &u.Roles); err != nil {
				rows.Close()
				return err
			}
			u.loaded = true
			*users[u.ID] = u
		}
		rows.Close()
		if rows.Err() != nil {
			return rows.Err()
		}
	}
	// open fails the batch on a transient key error (it is retried) instead of
	// writing "[erased]" into a live user's row; only a destroyed key reads as erased.
	var openErr error
	open := func(v string) string {
		pt, err := p.Keys.Open(ctx, v)
		if err != nil && openErr == nil {
			openErr = err
		}
		return pt
	}
	for i := range evs {
		e := &evs[i]
		var err error
		switch e.Name() {
		case iam.TenantCreated.Name:
			var d iam.TenantCreatedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.tenants (id, tenant_id, name, version, created_at, updated_at)
					VALUES ($1, $1, $2, $3, $4, $4) ON CONFLICT (id) DO NOTHING`, d.TenantID, d.Name, e.Version, e.Time)
			}
		case iam.UserCreated.Name:
			var d iam.UserCreatedV1
			if err = e.Decode(&d); err == nil {
				u := users[e.Subject]
				*u = userRow{ID: d.UserID, TenantID: d.TenantID, Role: d.Role, Status: d.Status, InvitationHash: d.InvitationHash,
					Email: open(d.Email), Name: open(d.Name), CreatedBy: e.Actor,
					Version: e.Version, CreatedAt: e.Time, UpdatedAt: e.Time, loaded: u.loaded, Roles: []string{d.Role}}
				if d.PasswordHash != "" {
					u.PasswordHash = open(d.PasswordHash)
				}
				u.Erased = u.Email == eventstore.Erased
			}
		case iam.UserUpdated.Name:
			var d iam.UserUpdatedV1
			if err = e.Decode(&d); err == nil {
				u := users[e.Subject]
				if d.Name != nil {
					u.Name = open(*d.Name)
				}
				if d.Role != nil {
					u.Roles = replaceFirst(u.Roles, *d.Role)
					u.Role = *d.Role
				}
				u.Version, u.UpdatedAt = e.Version, e.Time
			}
		case iam.UserDeactivated.Name:
			u := users[e.Subject]
			u.Status, u.Version, u.UpdatedAt = iam.StatusDeactivated, e.Version, e.Time
		case iam.UserErased.Name:
			u := users[e.Subject]
			u.Email, u.Name, u.PasswordHash, u.Erased = eventstore.Erased, eventstore.Erased, "", true
			u.Version, u.UpdatedAt = e.Version, e.Time
		case iam.RoleAssigned.Name, iam.RoleUnassigned.Name:
			var d iam.RoleAssignmentV1
			if err = e.Decode(&d); err == nil {
				u := users[e.Subject]
				u.Roles = without(u.Roles, d.Role)
				if e.Name() == iam.RoleAssigned.Name {
					u.Roles = append(u.Roles, d.Role)
				}
				if len(u.Roles) > 0 {
					u.Role = u.Roles[0]
				}
				u.Version, u.UpdatedAt = e.Version, e.Time
			}
		case iam.PasswordChanged.Name, iam.PasswordReset.Name:
			var d iam.PasswordChangedV1
			if err = e.Decode(&d); err == nil {
				err = upsertAuth(ctx, tx, s, e, `password_hash = $4`, open(d.PasswordHash))
			}
		case iam.MfaEnrolled.Name:
			err = upsertAuth(ctx, tx, s, e, `mfa_enabled = $4`, true)
		case iam.MfaDisabled.Name, iam.MfaReset.Name:
			err = upsertAuth(ctx, tx, s, e, `mfa_enabled = $4`, false)
		case iam.UserLocked.Name:
			var d iam.UserLockedV1
			if err = e.Decode(&d); err == nil {
				err = upsertAuth(ctx, tx, s, e, `locked_until = $4`, d.Until)
			}
		case iam.UserUnlocked.Name:
			err = upsertAuth(ctx, tx, s, e, `locked_until = $4`, nil)
		case iam.SessionRevoked.Name:
			var d iam.SessionRevokedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.sessions SET revoked = true, revoked_reason = $2 WHERE id = $1`, d.SessionID, d.Reason)
			}
		case iam.TenantUpdated.Name:
			var d iam.TenantUpdatedV1
			if err = e.Decode(&d); err == nil {
				if d.Name != nil {
					_, err = tx.Exec(ctx, `UPDATE `+s+`.tenants SET name = $2, version = $3, updated_at = $4 WHERE id = $1`, d.TenantID, *d.Name, e.Version, e.Time)
				}
				if err == nil && d.Settings != nil {
					_, err = tx.Exec(ctx, `UPDATE `+s+`.tenants SET settings = $2, version = $3, updated_at = $4 WHERE id = $1`, d.TenantID, d.Settings, e.Version, e.Time)
				}
			}
		case iam.RoleCreated.Name:
			var d iam.RoleCreatedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.roles (id, tenant_id, name, description, permissions, version, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING`, d.RoleID, d.TenantID, d.Name, d.Description, d.Permissions, e.Version, e.Time)
			}
		case iam.RoleUpdated.Name:
			var d iam.RoleUpdatedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.roles SET description = coalesce($2, description), permissions = coalesce($3, permissions),
					version = $4, updated_at = $5 WHERE id = $1`, d.RoleID, d.Description, d.Permissions, e.Version, e.Time)
			}
		case iam.RoleDeleted.Name:
			var d iam.RoleDeletedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `DELETE FROM `+s+`.roles WHERE id = $1`, d.RoleID)
			}
		case iam.ApiKeyCreated.Name:
			var d iam.ApiKeyCreatedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.api_keys (id, tenant_id, name, prefix, secret_id, secret_hash, permissions,
					expires_at, rate_limit_per_minute, owner_id, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
					ON CONFLICT (id) DO NOTHING`, d.KeyID, d.TenantID, d.Name, d.Prefix, d.SecretID, d.SecretHash, d.Permissions,
					d.ExpiresAt, d.RateLimitPerMinute, d.OwnerID, e.Version, e.Time)
			}
		case iam.ApiKeyRotated.Name:
			var d iam.ApiKeyRotatedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.api_keys SET prefix = $2, secret_id = $3, secret_hash = $4, version = $5, rotated_at = $6
					WHERE id = $1`, d.KeyID, d.Prefix, d.SecretID, d.SecretHash, e.Version, e.Time)
			}
		case iam.ApiKeyRevoked.Name:
			var d iam.ApiKeyRevokedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.api_keys SET revoked = true, version = $2, revoked_at = $3 WHERE id = $1`, d.KeyID, e.Version, e.Time)
			}
		case iam.UserLoggedIn.Name:
			var d iam.UserLoggedInV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO `+s+`.sessions (id, tenant_id, user_id, method, refresh_hash, expires_at, created_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
					d.SessionID, e.TenantID, d.UserID, d.Method, d.RefreshHash, d.ExpiresAt, e.Time)
			}
		case iam.SessionRefreshed.Name:
			var d iam.SessionRefreshedV1
			if err = e.Decode(&d); err == nil {
				_, err = tx.Exec(ctx, `UPDATE `+s+`.sessions SET refresh_hash = $2, expires_at = $3, refreshed_at = $4 WHERE id = $1`,
					d.SessionID, d.RefreshHash, d.ExpiresAt, e.Time)
			}
		}
		if err == nil {
			err = openErr
		}
		if err != nil {
			return fmt.Errorf("projections/iam: %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
		}
	}
	return writeUsers(ctx, tx, s, users, order)
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
