package platform

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
)

// Keys under which the platform middleware stores per-request values in the
// Echo context. The "platform." prefix keeps them clear of module keys.
const (
	ctxRequestID = "platform.request_id"
	ctxLogger    = "platform.logger"
	ctxVersion   = "platform.version"
	ctxBodyLimit = "platform.body_limit"
	// ctxServerBodyLimit is ASTRA_BODY_LIMIT where a route raised ctxBodyLimit.
	ctxServerBodyLimit = "platform.server_body_limit"
	// ctxStart is when the request arrived (the gateway times its
	// authenticate step and total latency from it).
	ctxStart = "platform.start"
)

// requestIDKey carries the request id in the request's context.Context so
// code below the HTTP layer (command handlers, event metadata) can use it
// for correlation without depending on Echo.
type requestIDKey struct{}

// RequestID returns the id of the current request ("" outside the platform
// middleware chain).
func RequestID(c echo.Context) string {
	if id, ok := c.Get(ctxRequestID).(string); ok {
		return id
	}
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// RequestIDFromContext returns the request id stored by the platform
// middleware in a request's context.Context, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Logger returns the server logger annotated with the request id, falling
// back to slog.Default() outside the platform middleware chain.
func Logger(c echo.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger).(*slog.Logger); ok && l != nil {
		return l
	}
	if id := RequestID(c); id != "" {
		return slog.Default().With(slog.String("request_id", id))
	}
	return slog.Default()
}

// BodyLimit is the configured request body limit (ASTRA_BODY_LIMIT) for
// handlers that read a body themselves instead of through Bind.
func BodyLimit(c echo.Context) int64 { return bodyLimit(c) }

// MemoryBodyLimit is how much of a body the platform may hold in memory:
// the server's limit (ASTRA_BODY_LIMIT), also on routes that accept more.
func MemoryBodyLimit(c echo.Context) int64 {
	if v, ok := c.Get(ctxServerBodyLimit).(int64); ok && v > 0 {
		return v
	}
	return bodyLimit(c)
}
