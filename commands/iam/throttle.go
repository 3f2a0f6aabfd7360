package iam

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/iam"
)

// throttleAccount is the keyed hash that names an address's throttle rows
// (no personal data in the table; unknown addresses get rows the same way).
func (h *Handlers) throttleAccount(email string) string {
	m := hmac.New(sha256.New, h.ClaimKey)
	m.Write([]byte("throttle\x00" + email))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// LoginWait is how long source must still wait before it may try to sign in
// to the account of email again (0: now).
func (h *Handlers) LoginWait(ctx context.Context, email, source string, now time.Time) (time.Duration, error) {
	var until time.Time
	err := h.Store.Pool().QueryRow(ctx, `SELECT blocked_until FROM login_throttle WHERE account = $1 AND source = $2`,
		h.throttleAccount(email), source).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return max(until.Sub(now), 0), nil
}

// NoteLoginFailure counts a failed sign-in of source on email's account and
// returns how long source must now wait. Failures older than the failure
// window are forgotten.
func (h *Handlers) NoteLoginFailure(ctx context.Context, email, source string, now time.Time) (time.Duration, error) {
	var failures int
	err := h.Store.Pool().QueryRow(ctx, `INSERT INTO login_throttle AS t (account, source, failures, blocked_until, updated_at)
		VALUES ($1, $2, 1, $3, $3)
		ON CONFLICT (account, source) DO UPDATE SET
			failures = CASE WHEN t.updated_at < $3 - $4::interval THEN 1 ELSE t.failures + 1 END,
			updated_at = $3
		RETURNING failures`, h.throttleAccount(email), source, now, iam.FailureWindow.String()).Scan(&failures)
	if err != nil {
		return 0, err
	}
	if rand.IntN(256) == 0 {
		_ = h.SweepLoginThrottle(ctx, now) // now and then, not on every failure
	}
	wait := iam.ThrottleDelay(failures)
	if wait > 0 {
		if _, err := h.Store.Pool().Exec(ctx, `UPDATE login_throttle SET blocked_until = $3 WHERE account = $1 AND source = $2`,
			h.throttleAccount(email), source, now.Add(wait)); err != nil {
			return 0, err
		}
	}
	return wait, nil
}

// ClearLoginFailures forgets the failures of source on email's account (a
// successful sign-in), or of every source when source is "" (an
// administrator's unlock).
func (h *Handlers) ClearLoginFailures(ctx context.Context, email, source string) error {
	_, err := h.Store.Pool().Exec(ctx, `DELETE FROM login_throttle WHERE account = $1 AND ($2 = '' OR source = $2)`,
		h.throttleAccount(email), source)
	return err
}

// SweepLoginThrottle deletes throttle rows idle for a day.
func (h *Handlers) SweepLoginThrottle(ctx context.Context, now time.Time) error {
	_, err := h.Store.Pool().Exec(ctx, `DELETE FROM login_throttle WHERE updated_at < $1`, now.Add(-24*time.Hour))
	return err
}
