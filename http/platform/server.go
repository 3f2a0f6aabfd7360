package platform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Config configures NewEcho. The zero value is usable.
type Config struct {
	// BodyLimit caps JSON request bodies read by Bind; <= 0 means DefaultBodyLimit.
	BodyLimit int64
	// Version is reported in meta.version; "" means DefaultVersion.
	Version string
	// Logger receives access logs and server-side error details; nil means slog.Default().
	Logger *slog.Logger
	// TrustedProxies lists the IPs or CIDRs of reverse proxies whose
	// X-Forwarded-For is believed. Empty means the TCP peer is the client.
	TrustedProxies []string
}

// Server timeouts that protect against slow clients holding connections
// open. There is no write timeout because streaming (ndjson) responses may
// legitimately run long.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// NewEcho builds the Echo instance every module mounts its routes on, with
// the platform error handler, middleware chain and GET /metrics.
func NewEcho(cfg Config) *echo.Echo {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.Server.ReadHeaderTimeout = readHeaderTimeout
	e.Server.IdleTimeout = idleTimeout
	e.Server.MaxHeaderBytes = maxHeaderBytes
	e.IPExtractor = ipExtractor(cfg.TrustedProxies, cfg.Logger)
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		// Errors raised before the request-context middleware ran still
		// need the configured logger.
		if c.Get(ctxLogger) == nil {
			c.Set(ctxLogger, cfg.Logger)
		}
		ErrorHandler(err, c)
	}

	recoverPanics := recoverMiddleware(cfg.Logger)
	e.Use(
		// Outermost: nothing below, platform middleware included, can take
		// the process down.
		recoverPanics,
		requestContextMiddleware(cfg),
		securityHeadersMiddleware,
		metricsMiddleware,
		accessLogMiddleware,
		// Innermost as well, so a panicking handler is rendered as SYS-001
		// before metrics and the access log read the status (500).
		recoverPanics,
	)
	e.GET(MetricsPath, metricsHandler())
	return e
}

// ipExtractor trusts X-Forwarded-For only from configured proxies. Invalid
// entries are logged and skipped, which fails closed (fewer proxies trusted).
func ipExtractor(proxies []string, logger *slog.Logger) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{
		echo.TrustLoopback(false),
		echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false),
	}
	for _, entry := range proxies {
		ipNet, err := parseProxy(entry)
		if err != nil {
			logger.Error("ignoring invalid trusted proxy", slog.String("entry", entry), slog.String("error", err.Error()))
			continue
		}
		opts = append(opts, echo.TrustIPRange(ipNet))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func parseProxy(entry string) (*net.IPNet, error) {
	entry = strings.TrimSpace(entry)
	if !strings.Contains(entry, "/") {
		ip := net.ParseIP(entry)
		if ip == nil {
			return nil, fmt.Errorf("parse trusted proxy %q: not an IP or CIDR", entry)
		}
		bits := 128
		if ip.To4() != nil {
			ip, bits = ip.To4(), 32
		}
		return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, nil
	}
	_, ipNet, err := net.ParseCIDR(entry)
	if err != nil {
		return nil, fmt.Errorf("parse trusted proxy %q: %w", entry, err)
	}
	return ipNet, nil
}

// recoverMiddleware converts a panic into an error (rendered as SYS-001 by
// ErrorHandler). The panic value and stack are logged, never sent.
func recoverMiddleware(base *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					// net/http's sentinel for aborting a response on purpose.
					panic(r)
				}
				logger := base
				if l, ok := c.Get(ctxLogger).(*slog.Logger); ok && l != nil {
					logger = l
				}
				logger.Error("panic recovered",
					slog.String("panic", fmt.Sprint(r)),
					slog.String("stack", string(debug.Stack())),
					slog.String("method", c.Request().Method),
					slog.String("route", c.Path()),
				)
				// %v, not %w: a panic value must never be rendered as a client error.
				err = fmt.Errorf("panic recovered: %v", r)
			}()
			return next(c)
		}
	}
}

// requestContextMiddleware assigns the request id and stores per-request
// platform values (logger, version, body limit) in the Echo context.
func requestContextMiddleware(cfg Config) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := req.Header.Get(echo.HeaderXRequestID)
			if !validRequestID(id) {
				id = newRequestID()
			}
			c.Set(ctxRequestID, id)
			c.Set(ctxStart, time.Now())
			c.Set(ctxLogger, cfg.Logger.With(slog.String("request_id", id)))
			c.Set(ctxVersion, cfg.Version)
			c.Set(ctxBodyLimit, cfg.BodyLimit)
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			c.SetRequest(req.WithContext(context.WithValue(req.Context(), requestIDKey{}, id)))
			return next(c)
		}
	}
}

// validRequestID accepts a caller-supplied id only if it is short and
// made of safe characters, so it cannot inject into logs or headers.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '_', b == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns "req_" followed by 20 random hex characters.
func newRequestID() string {
	var b [10]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// securityHeadersMiddleware sets headers that harden browsers against
// misusing API responses. They are set before the handler runs so error
// responses carry them too.
func securityHeadersMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		h.Set(echo.HeaderXFrameOptions, "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if p := c.Request().URL.Path; p == "/api" || strings.HasPrefix(p, "/api/") {
			// API responses are per-principal; no shared cache may keep them.
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// accessLogMiddleware renders any error itself (so the final status is
// known) and logs one line per request; the request id comes with the
// request-scoped logger. The route template is logged, not
// the raw URL, which may carry tokens in its query string.
func accessLogMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = unmatchedRoute
		}
		Logger(c).LogAttrs(c.Request().Context(), slog.LevelInfo, "http request",
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", c.Response().Status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote_ip", c.RealIP()),
			slog.Int64("bytes_out", c.Response().Size),
		)
		// The error has been rendered; returning it would render it twice.
		return nil
	}
}

// finalStatus is the status the client receives for this request.
func finalStatus(c echo.Context, err error) int {
	if err != nil && !c.Response().Committed {
		return toProblem(err).Status
	}
	return c.Response().Status
}
