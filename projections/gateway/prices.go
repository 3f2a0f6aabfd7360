package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// setupRouting creates the read models of model prices and the tenant's mock setting.
func setupRouting(ctx context.Context, tx pgx.Tx, s string) error {
	_, err := tx.Exec(ctx, `
		CREATE TABLE `+s+`.model_prices (
			tenant_id text NOT NULL, model text NOT NULL, input_per_million double precision NOT NULL,
			output_per_million double precision NOT NULL, updated_by text NOT NULL, updated_at timestamptz NOT NULL,
			PRIMARY KEY (tenant_id, model));
		CREATE TABLE `+s+`.mock_settings (
			tenant_id text PRIMARY KEY, enabled boolean NOT NULL, updated_by text NOT NULL, updated_at timestamptz NOT NULL);
	`)
	if err != nil {
		return err
	}
	for _, t := range []string{"model_prices", "mock_settings"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	return nil
}

func init() {
	projections.On(table, gw.ModelPriceSet, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.ModelPriceSetV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.model_prices (tenant_id, model, input_per_million, output_per_million, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, model) DO UPDATE SET input_per_million = excluded.input_per_million,
			output_per_million = excluded.output_per_million, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			e.TenantID, d.Model, finite(d.InputPerMillion), finite(d.OutputPerMillion), e.Actor, e.Time)
		return err
	})
	projections.On(table, gw.ModelPriceRemoved, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.ModelPriceRemovedV1) error {
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.model_prices WHERE tenant_id = $1 AND model = $2`, e.TenantID, d.Model)
		return err
	})
	projections.On(table, gw.MockConfigured, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.MockConfiguredV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.mock_settings (tenant_id, enabled, updated_by, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			e.TenantID, d.Enabled, e.Actor, e.Time)
		return err
	})
}

// ModelPrice is a tenant's price of a model.
type ModelPrice struct {
	gw.Price
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Prices lists a tenant's model prices, by model.
func (q *Queries) Prices(ctx context.Context, tenantID string) ([]ModelPrice, error) {
	out := []ModelPrice{}
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT model, input_per_million, output_per_million, updated_by, updated_at FROM `+s+`.model_prices
			WHERE tenant_id = $1 ORDER BY model`, tenantID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ModelPrice, error) {
			var p ModelPrice
			return p, r.Scan(&p.Model, &p.InputPerMillion, &p.OutputPerMillion, &p.UpdatedBy, &p.UpdatedAt)
		})
		return err
	})
	return out, err
}

// MockSetting is whether the built-in mock provider answers for a tenant.
type MockSetting struct {
	Enabled bool `json:"enabled"`
	// UpdatedBy and UpdatedAt are absent until the tenant sets it (on by default).
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// MockSettingOf reads a tenant's mock setting (on until set).
func (q *Queries) MockSettingOf(ctx context.Context, tenantID string) (MockSetting, error) {
	m := MockSetting{Enabled: true}
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT enabled, updated_by, updated_at FROM `+s+`.mock_settings WHERE tenant_id = $1`, tenantID).
			Scan(&m.Enabled, &m.UpdatedBy, &m.UpdatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return m, err
}
