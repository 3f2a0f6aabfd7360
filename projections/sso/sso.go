// Package sso projects single sign-on events into the providers read model
// (client secrets stay sealed: the read model never holds one in plaintext)
// and keeps the tenant names that sign-in URLs may use, and answers the
// queries over them.
package sso

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "sso"

// Projection builds the SSO read models.
type Projection struct{}

var _ projections.Projection = (*Projection)(nil)

// Name implements projections.Projection.
func (p *Projection) Name() string { return Name }

// Topics implements projections.Projection.
func (p *Projection) Topics() []string { return []string{events.TopicFor("iam")} }

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	_, err := tx.Exec(ctx, `
		CREATE TABLE `+s+`.providers (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, issuer_url text NOT NULL,
			client_id text NOT NULL,
			-- sealed under the provider's data key (enc:v1:…), or '' for a public client
			client_secret_sealed text NOT NULL DEFAULT '',
			scopes text[] NOT NULL, allowed_domains text[] NOT NULL, default_role text NOT NULL DEFAULT '',
			enabled boolean NOT NULL, version bigint NOT NULL, created_by text NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE INDEX ON `+s+`.providers (tenant_id, id);
		-- Sign-in URLs name the tenant by id or by name.
		CREATE TABLE `+s+`.tenants (id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL);
		CREATE INDEX ON `+s+`.tenants (lower(name));
	`)
	if err != nil {
		return err
	}
	for _, t := range []string{"providers", "tenants"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	return nil
}

// table applies the tenants' names and the providers' settings.
var table = func() *projections.Table {
	t := projections.NewTable()
	projections.On(t, iam.TenantCreated, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *iam.TenantCreatedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.tenants (id, tenant_id, name) VALUES ($1, $1, $2) ON CONFLICT (id) DO NOTHING`, d.TenantID, d.Name)
		return err
	})
	projections.On(t, iam.TenantUpdated, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *iam.TenantUpdatedV1) error {
		if d.Name == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `UPDATE `+s+`.tenants SET name = $2 WHERE id = $1`, d.TenantID, *d.Name)
		return err
	})
	projections.On(t, iam.SsoProviderConfigured, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.SsoProviderConfiguredV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.providers (id, tenant_id, name, issuer_url, client_id, client_secret_sealed,
				scopes, allowed_domains, default_role, enabled, version, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT (id) DO NOTHING`,
			d.ProviderID, d.TenantID, d.Name, d.IssuerURL, d.ClientID, d.ClientSecret, nonNil(d.Scopes), nonNil(d.AllowedDomains),
			d.DefaultRole, d.Enabled, e.Version, e.Actor, e.Time)
		return err
	})
	projections.On(t, iam.SsoProviderUpdated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *iam.SsoProviderUpdatedV1) error {
		var scopes, domains []string
		if d.Scopes != nil {
			scopes = nonNil(*d.Scopes)
		}
		if d.AllowedDomains != nil {
			domains = nonNil(*d.AllowedDomains)
		}
		// version < $10 makes a redelivered event a no-op.
		_, err := tx.Exec(ctx, `UPDATE `+s+`.providers SET name = coalesce($2, name), issuer_url = coalesce($3, issuer_url),
				client_id = coalesce($4, client_id), client_secret_sealed = coalesce($5, client_secret_sealed),
				scopes = coalesce($6, scopes), allowed_domains = coalesce($7, allowed_domains),
				default_role = coalesce($8, default_role), enabled = coalesce($9, enabled), version = $10, updated_at = $11
			WHERE id = $1 AND version < $10`,
			d.ProviderID, d.Name, d.IssuerURL, d.ClientID, d.ClientSecret, scopes, domains, d.DefaultRole, d.Enabled, e.Version, e.Time)
		return err
	})
	projections.On(t, iam.SsoProviderRemoved, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *iam.SsoProviderRemovedV1) error {
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.providers WHERE id = $1`, d.ProviderID)
		return err
	})
	return t
}()

// Apply implements projections.Projection.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	return table.Apply(ctx, tx, s, evs)
}

// nonNil keeps NOT NULL array columns from receiving NULL.
func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
