package iam

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/astrabastion/astra/domain/iam"
)

// ThrottleStore keeps the sign-in throttle's counters (the Postgres adapter
// is projections/authstore.Throttle, given by the composition root).
type ThrottleStore interface {
	Until(ctx context.Context, account, source string) (time.Time, error)
	Fail(ctx context.Context, account, source string, now time.Time, window time.Duration) (int, error)
	Block(ctx context.Context, account, source string, until time.Time) error
	Clear(ctx context.Context, account, source string) error
	Sweep(ctx context.Context, before time.Time) error
}

// errNoThrottle is a composition mistake: sign-ins cannot be throttled.
var errNoThrottle = errors.New("iam: no sign-in throttle store configured")

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
	if h.Throttle == nil {
		return 0, errNoThrottle
	}
	until, err := h.Throttle.Until(ctx, h.throttleAccount(email), source)
	if err != nil || until.IsZero() {
		return 0, err
	}
	return max(until.Sub(now), 0), nil
}

// NoteLoginFailure counts a failed sign-in of source on email's account and
// returns how long source must now wait. Failures older than the failure
// window are forgotten.
func (h *Handlers) NoteLoginFailure(ctx context.Context, email, source string, now time.Time) (time.Duration, error) {
	if h.Throttle == nil {
		return 0, errNoThrottle
	}
	account := h.throttleAccount(email)
	failures, err := h.Throttle.Fail(ctx, account, source, now, iam.FailureWindow)
	if err != nil {
		return 0, err
	}
	if rand.IntN(256) == 0 {
		_ = h.SweepLoginThrottle(ctx, now) // now and then, not on every failure
	}
	wait := iam.ThrottleDelay(failures)
	if wait > 0 {
		if err := h.Throttle.Block(ctx, account, source, now.Add(wait)); err != nil {
			return 0, err
		}
	}
	return wait, nil
}

// ClearLoginFailures forgets the failures of source on email's account (a
// successful sign-in), or of every source when source is "" (an
// administrator's unlock).
func (h *Handlers) ClearLoginFailures(ctx context.Context, email, source string) error {
	if h.Throttle == nil {
		return errNoThrottle
	}
	return h.Throttle.Clear(ctx, h.throttleAccount(email), source)
}

// SweepLoginThrottle deletes throttle rows idle for a day.
func (h *Handlers) SweepLoginThrottle(ctx context.Context, now time.Time) error {
	if h.Throttle == nil {
		return errNoThrottle
	}
	return h.Throttle.Sweep(ctx, now.Add(-24*time.Hour))
}
