package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/eventstore"
)

// Exec declares an apply that is one statement: stmt returns the SQL, in
// which %[1]s is the generation's schema, and its arguments.
//
//	projections.On(tbl, risk.RiskClosed, projections.Exec(func(e *eventstore.Event, d *risk.RiskClosedV1) (string, []any) {
//		return `UPDATE %[1]s.risks SET status = 'closed', version = $2 WHERE id = $1`, []any{d.RiskID, e.Version}
//	}))
func Exec[T any](stmt func(e *eventstore.Event, d *T) (string, []any)) Applier[T] {
	return func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *T) error {
		q, args := stmt(e, d)
		_, err := tx.Exec(ctx, fmt.Sprintf(q, s), args...)
		return err
	}
}

// Isolate enables row-level security on read-model tables with a tenant_id
// column (TenantPolicy): a reader sees its tenant's rows only.
func Isolate(ctx context.Context, tx pgx.Tx, schema string, tables ...string) error {
	for _, t := range tables {
		if _, err := tx.Exec(ctx, TenantPolicy(schema, t)); err != nil {
			return err
		}
	}
	return nil
}

// IsolateShared is Isolate for tables that also hold rows every tenant
// reads (reference data such as built-in catalogues), stored with an empty
// tenant_id.
func IsolateShared(ctx context.Context, tx pgx.Tx, schema string, tables ...string) error {
	for _, t := range tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+schema+`.`+t+` ENABLE ROW LEVEL SECURITY;
			CREATE POLICY tenant_isolation ON `+schema+`.`+t+` USING (tenant_id = '' OR current_setting('astra.tenant_id', true) = '*'
				OR tenant_id = current_setting('astra.tenant_id', true))`); err != nil {
			return err
		}
	}
	return nil
}
