// Package migrations holds the SQL schema of the ledger and platform tables,
// embedded in the binary and applied by `astra migrate` and at start.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every pending migration. Read-model tables are not migrated here:
// each projection creates its own tables per generation (blue/green rebuilds).
func Up(ctx context.Context, db *sql.DB) error {
	// The session lock makes concurrent starts of several instances safe.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migrations: locker: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: provider: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrations: up: %w", err)
	}
	return nil
}
