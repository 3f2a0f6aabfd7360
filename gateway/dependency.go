package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway/providers"
)

// RetryAfterSeconds is what a client is told to wait when a dependency of the
// gateway (Postgres, Redis) is down: long enough for a restart or failover to
// show, short enough not to strand traffic.
const RetryAfterSeconds = "5"

// DependencyError is a failure of one of the gateway's own dependencies
// (Postgres: the ledger, read models, content keys; Redis: shared budgets),
// as opposed to a security verdict or a provider's failure. It is answered
// 503 SYS-002 with Retry-After.
type DependencyError struct {
	Op  string
	Err error
}

func (e *DependencyError) Error() string {
	return "gateway: " + e.Op + ": dependency unavailable: " + e.Err.Error()
}

func (e *DependencyError) Unwrap() error { return e.Err }

// dependency wraps err as a DependencyError when it is one.
func dependency(op string, err error) error {
	if err == nil || !IsDependencyFailure(err) {
		return err
	}
	var de *DependencyError
	if errors.As(err, &de) {
		return err
	}
	return &DependencyError{Op: op, Err: err}
}

// IsDependencyFailure reports whether err says Postgres or Redis could not be
// reached or dropped the connection (refused, reset, timed out, shut down,
// out of connections), not that a statement or a request was wrong. A
// caller's own cancellation is not one.
func IsDependencyFailure(err error) bool {
	if err == nil {
		return false
	}
	var de *DependencyError
	if errors.As(err, &de) {
		return true
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var prov *providers.Error
	if errors.As(err, &prov) {
		return false // a provider's failure (its transport error included) is not the gateway's own
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ce), errors.As(err, &oe), errors.As(err, &ne):
		return true
	case errors.As(err, &pe):
		// 08: connection exception; 53: insufficient resources (too many
		// connections, disk full); 57P01-03: shutdown, crash, cannot connect now.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	case pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, redis.ErrClosed), errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, eventstore.ErrClosed):
		return true
	}
	msg := err.Error()
	// pgx reports a connection lost mid-query and a closed pool as plain errors.
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe")
}
