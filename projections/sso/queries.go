package sso

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/projections"
)

// Provider is the read model of an identity provider. SealedSecret is the
// client secret as sealed in the ledger; it is opened only to exchange a code
// and is never serialized.
type Provider struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"tenant_id"`
	Name           string    `json:"name"`
	IssuerURL      string    `json:"issuer_url"`
	ClientID       string    `json:"client_id"`
	SealedSecret   string    `json:"-"`
	Scopes         []string  `json:"scopes"`
	AllowedDomains []string  `json:"allowed_domains"`
	DefaultRole    string    `json:"default_role"`
	Enabled        bool      `json:"enabled"`
	Version        int64     `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Queries reads the SSO read models.
type Queries struct {
	Runner *projections.Runner
}

const providerColumns = `id, tenant_id, name, issuer_url, client_id, client_secret_sealed, scopes, allowed_domains,
	default_role, enabled, version, created_at, updated_at`

func scanProvider(row pgx.CollectableRow) (Provider, error) {
	var p Provider
	err := row.Scan(&p.ID, &p.TenantID, &p.Name, &p.IssuerURL, &p.ClientID, &p.SealedSecret, &p.Scopes, &p.AllowedDomains,
		&p.DefaultRole, &p.Enabled, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// ListProviders pages through a tenant's providers in id (creation) order.
func (q *Queries) ListProviders(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[Provider], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+`.providers`, providerColumns).OrderBy(false, projections.TextKey("id"))
	}, p, scanProvider, func(p Provider) []any { return []any{p.ID} })
}

// ProviderByID finds a provider of a tenant; nil when there is none.
func (q *Queries) ProviderByID(ctx context.Context, tenantID, id string) (*Provider, error) {
	return projections.One(ctx, q.Runner, Name, tenantID, scanProvider, func(s string) string {
		return `SELECT ` + providerColumns + ` FROM ` + s + `.providers WHERE id = $1`
	}, id)
}

// EnabledProviders lists a tenant's enabled providers, oldest first.
func (q *Queries) EnabledProviders(ctx context.Context, tenantID string) ([]Provider, error) {
	var out []Provider
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+providerColumns+` FROM `+s+`.providers WHERE enabled ORDER BY id LIMIT 50`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanProvider)
		return err
	})
	return out, err
}

// TenantIDByRef resolves a tenant named in a sign-in URL, by id or by name
// (names are unique regardless of case); "" when there is none.
func (q *Queries) TenantIDByRef(ctx context.Context, ref string) (string, error) {
	var id string
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		var err error
		if uuid.Validate(ref) == nil {
			err = tx.QueryRow(ctx, `SELECT id FROM `+s+`.tenants WHERE id = $1`, ref).Scan(&id)
		} else {
			err = tx.QueryRow(ctx, `SELECT id FROM `+s+`.tenants WHERE lower(name) = lower($1) ORDER BY id LIMIT 1`, ref).Scan(&id)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return id, err
}
