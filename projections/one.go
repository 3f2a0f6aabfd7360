package projections

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// One reads a single row of a projection in a tenant's read (see
// Runner.Read): query builds the SQL from the generation's schema, scan reads
// the row. It answers nil, not an error, when no row matches, which is how
// every "find by id" query of a module reports a missing resource; when
// several match, the first counts (queries that can match more say LIMIT 1).
func One[T any](ctx context.Context, r *Runner, name, tenantID string, scan pgx.RowToFunc[T], query func(schema string) string, args ...any) (*T, error) {
	var out *T
	err := r.Read(ctx, name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, query(s), args...)
		if err != nil {
			return err
		}
		xs, err := pgx.CollectRows(rows, scan)
		if len(xs) > 0 {
			out = &xs[0]
		}
		return err
	})
	return out, err
}

// Found turns One's answer into a resource that must exist: a missing row
// is notFound (a module's sentinel error).
//
//	return projections.Found[Agent](aegis.ErrAgentNotFound)(projections.One(ctx, …))
func Found[T any](notFound error) func(*T, error) (*T, error) {
	return func(x *T, err error) (*T, error) {
		if err == nil && x == nil {
			return nil, notFound
		}
		return x, err
	}
}
