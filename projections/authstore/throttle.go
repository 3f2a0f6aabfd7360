package authstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// Throttle keeps the sign-in throttle's rows (login_throttle): failures per
// (account hash, client address), and until when the address must wait.
// It is not event-sourced on purpose: failed guesses are not facts of the
// ledger, and an attacker must not be able to grow the ledger with them.
type Throttle struct{ DB DB }

// Until is when source may try account again (zero: no row).
func (t Throttle) Until(ctx context.Context, account, source string) (time.Time, error) {
	var until time.Time
	err := t.DB.QueryRow(ctx, `SELECT blocked_until FROM login_throttle WHERE account = $1 AND source = $2`, account, source).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	return until, err
}

// Fail counts a failure at now, forgetting failures older than window, and
// returns the count.
func (t Throttle) Fail(ctx context.Context, account, source string, now time.Time, window time.Duration) (int, error) {
	var failures int
	err := t.DB.QueryRow(ctx, `INSERT INTO login_throttle AS t (account, source, failures, blocked_until, updated_at)
		VALUES ($1, $2, 1, $3, $3)
		ON CONFLICT (account, source) DO UPDATE SET
			failures = CASE WHEN t.updated_at < $3 - $4::interval THEN 1 ELSE t.failures + 1 END,
			updated_at = $3
		RETURNING failures`, account, source, now, window.String()).Scan(&failures)
	return failures, err
}

// Block makes source wait until then.
func (t Throttle) Block(ctx context.Context, account, source string, until time.Time) error {
	_, err := t.DB.Exec(ctx, `UPDATE login_throttle SET blocked_until = $3 WHERE account = $1 AND source = $2`, account, source, until)
	return err
}

// Clear forgets source's failures on account, or every source's when source is "".
func (t Throttle) Clear(ctx context.Context, account, source string) error {
	_, err := t.DB.Exec(ctx, `DELETE FROM login_throttle WHERE account = $1 AND ($2 = '' OR source = $2)`, account, source)
	return err
}

// Sweep deletes rows idle since before.
func (t Throttle) Sweep(ctx context.Context, before time.Time) error {
	_, err := t.DB.Exec(ctx, `DELETE FROM login_throttle WHERE updated_at < $1`, before)
	return err
}
