// Package iam projects identity events into the tenants, users and sessions
// read models, and answers the queries over them.
package iam

import (
	"context"
	"fmt"
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
			erased boolean NOT NULL DEFAULT false, version bigint NOT NULL, created_by text NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON `+s+`.users (tenant_id, id);
		CREATE INDEX ON `+s+`.users (email);
		CREATE TABLE `+s+`.sessions (
			id text PRIMARY KEY, tenant_id text NOT NULL, user_id text NOT NULL, method text NOT NULL,
			refresh_hash text NOT NULL, expires_at timestamptz NOT NULL, created_at timestamptz NOT NULL,
			refreshed_at timestamptz, revoked boolean NOT NULL DEFAULT false);
		CREATE INDEX ON `+s+`.sessions (tenant_id, user_id);
	`)
	if err != nil {
		return err
	}
	for _, t := range []string{"tenants", "users", "sessions"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	return nil
}

type userRow struct {
	ID, TenantID, Email, Name, Role, Status, PasswordHash, InvitationHash, CreatedBy string
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
		case iam.UserCreated.Name, iam.UserUpdated.Name, iam.UserDeactivated.Name, iam.UserErased.Name:
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
			version, created_by, created_at, updated_at FROM `+s+`.users WHERE id = ANY($1)`, missing)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u userRow
			if err := rows.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.Status, &u.PasswordHash, &u.InvitationHash,
				&u.Erased, &u.Version, &u.CreatedBy, &u.CreatedAt, &u.UpdatedAt); err != nil {
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
					Email: p.Keys.MustOpen(ctx, d.Email), Name: p.Keys.MustOpen(ctx, d.Name), CreatedBy: e.Actor,
					Version: e.Version, CreatedAt: e.Time, UpdatedAt: e.Time, loaded: u.loaded}
				if d.PasswordHash != "" {
					u.PasswordHash = p.Keys.MustOpen(ctx, d.PasswordHash)
				}
				u.Erased = u.Email == eventstore.Erased
			}
		case iam.UserUpdated.Name:
			var d iam.UserUpdatedV1
			if err = e.Decode(&d); err == nil {
				u := users[e.Subject]
				if d.Name != nil {
					u.Name = p.Keys.MustOpen(ctx, *d.Name)
				}
				if d.Role != nil {
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
		id, tenant, email, name, role, status, pw, inv, by []string
		erased                                             []bool
		version                                            []int64
		created, updated                                   []time.Time
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
		cols.erased = append(cols.erased, u.Erased)
		cols.version = append(cols.version, u.Version)
		cols.created = append(cols.created, u.CreatedAt)
		cols.updated = append(cols.updated, u.UpdatedAt)
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.users (id, tenant_id, email, name, role, status, password_hash, invitation_hash,
			created_by, erased, version, created_at, updated_at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::bool[], $11::bigint[], $12::timestamptz[], $13::timestamptz[])
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, role = excluded.role,
			status = excluded.status, password_hash = excluded.password_hash, invitation_hash = excluded.invitation_hash,
			erased = excluded.erased, version = excluded.version, updated_at = excluded.updated_at`,
		cols.id, cols.tenant, cols.email, cols.name, cols.role, cols.status, cols.pw, cols.inv, cols.by, cols.erased,
		cols.version, cols.created, cols.updated)
	return err
}
