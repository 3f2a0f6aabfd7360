package projections

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
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

// JSONRows reads the rows a query selects as JSON objects (one per row, its
// columns as members), in the query's order, in a tenant's read: the shape
// a module answers "what do you hold about this person?" in (datagov.Holder).
func JSONRows(ctx context.Context, r *Runner, name, tenantID string, query func(schema string) string, args ...any) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := r.Read(ctx, name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT to_jsonb(x) FROM (`+query(s)+`) x`, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[json.RawMessage])
		return err
	})
	return out, err
}

// Held is one kind of record a module holds about a person: the query that
// selects them (rows become JSON objects) and its arguments.
type Held struct {
	Kind  string
	Query func(schema string) string
	Args  []any
}

// Holdings reads what a projection holds about a person as the sections of
// an access export (datagov.Holder), one per kind that has records.
func Holdings(ctx context.Context, r *Runner, name, tenantID, module string, held ...Held) ([]datagov.Section, error) {
	var out []datagov.Section
	for _, h := range held {
		items, err := JSONRows(ctx, r, name, tenantID, h.Query, h.Args...)
		if err != nil {
			return nil, err
		}
		if len(items) > 0 {
			out = append(out, datagov.Section{Module: module, Kind: h.Kind, Items: items})
		}
	}
	return out, nil
}

// OneOr is One for a resource that must exist: notFound (the module's domain
// error) when no row matches.
func OneOr[T any](ctx context.Context, r *Runner, name, tenantID string, notFound error, scan pgx.RowToFunc[T], query func(schema string) string, args ...any) (*T, error) {
	x, err := One(ctx, r, name, tenantID, scan, query, args...)
	if err == nil && x == nil {
		err = notFound
	}
	return x, err
}
