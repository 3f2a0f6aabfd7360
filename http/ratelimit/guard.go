package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
)

// The headers of every rate-limited answer (documented by the platform's
// OpenAPI document on every operation).
const (
	HeaderLimit      = platform.RateLimitLimitHeader
	HeaderRemaining  = platform.RateLimitRemainingHeader
	HeaderReset      = platform.RateLimitResetHeader
	HeaderRetryAfter = platform.RetryAfterHeader
)

// Defaults of the configuration (ASTRA_RATE_LIMIT_*).
const (
	DefaultTenantPerMinute = 6000
	DefaultAnonPerMinute   = 600
	DefaultWindow          = time.Minute
	DefaultSettingsTTL     = 5 * time.Second
)

// Config configures a Guard. Zero values take the defaults above.
type Config struct {
	// Limiter counts the admissions (Memory or Redis).
	Limiter Limiter
	// TenantPerMinute is the budget of a tenant without its own setting.
	TenantPerMinute int
	// AnonPerMinute is the budget of one client address on unauthenticated
	// routes and for failed authentications.
	AnonPerMinute int
	// TenantLimit returns a tenant's own per-minute budget (0: the default).
	TenantLimit func(ctx context.Context, tenantID string) (int, error)
	// SettingsTTL is how long a tenant's budget is cached: a change of the
	// setting takes effect on every instance within it.
	SettingsTTL time.Duration
	// Logger receives the fail-open warnings.
	Logger *slog.Logger
}

// Guard is the rate-limiting middleware of the API:
//
//   - authenticated routes draw from the acting tenant's budget (the tenant's
//     own setting, else the installation default) and, for an API key with its
//     own budget, from that too: both must have room;
//   - unauthenticated routes, and requests whose authentication failed, draw
//     from the client address's budget (c.RealIP());
//   - every answer of a limited route carries X-RateLimit-Limit, -Remaining
//     and -Reset for the tightest budget; a refused request gets 429 RATE-001
//     with Retry-After.
type Guard struct {
	limiter Limiter
	// tenantPerMinute and anonPerMinute are the defaults, changed at run
	// time by SetDefaults.
	tenantPerMinute atomic.Int64
	anonPerMinute   atomic.Int64
	log             *slog.Logger
	tenants         *tenantBudgets
	warned          atomic.Int64 // unix ns of the last fail-open warning
}

// NewGuard builds a Guard from cfg.
func NewGuard(cfg Config) *Guard {
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemory(DefaultWindow)
	}
	if cfg.TenantPerMinute <= 0 {
		cfg.TenantPerMinute = DefaultTenantPerMinute
	}
	if cfg.AnonPerMinute <= 0 {
		cfg.AnonPerMinute = DefaultAnonPerMinute
	}
	if cfg.SettingsTTL <= 0 {
		cfg.SettingsTTL = DefaultSettingsTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &Guard{limiter: cfg.Limiter, log: cfg.Logger}
	g.SetDefaults(cfg.TenantPerMinute, cfg.AnonPerMinute)
	g.tenants = &tenantBudgets{lookup: cfg.TenantLimit, ttl: cfg.SettingsTTL, entries: map[string]tenantBudget{}, warn: g.warn}
	return g
}

// SetDefaults changes the budget of tenants without one of their own and
// of client addresses (a stored setting, applied on every instance);
// values below 1 leave a default as it is.
func (g *Guard) SetDefaults(tenantPerMinute, anonPerMinute int) {
	if tenantPerMinute > 0 {
		g.tenantPerMinute.Store(int64(tenantPerMinute))
	}
	if anonPerMinute > 0 {
		g.anonPerMinute.Store(int64(anonPerMinute))
	}
}

// Exempt reports whether a route path is never limited: the health checks,
// which load balancers and orchestrators poll and which must keep answering
// whatever a tenant does. (GET /metrics and the OpenAPI document are served
// by the platform outside the route registry's middleware and are not
// limited either.)
func Exempt(path string) bool {
	return path == "/api/v1/admin/health" || strings.HasPrefix(path, "/api/v1/admin/health/")
}

// PrincipalBudgets are the budgets an authenticated request draws from.
func (g *Guard) PrincipalBudgets(ctx context.Context, p *auth.Principal) []Budget {
	window := g.limiter.Window()
	perMinute := int(g.tenantPerMinute.Load())
	if own := g.tenants.perMinute(ctx, p.ActingTenant); own > 0 {
		perMinute = own
	}
	budgets := []Budget{{Key: TenantKey(p.ActingTenant), Limit: PerWindow(perMinute, window)}}
	if p.Kind == "api_key" && p.RateLimitPerMinute > 0 {
		budgets = append(budgets, Budget{Key: APIKeyKey(p.ActingTenant, p.Subject), Limit: PerWindow(p.RateLimitPerMinute, window)})
	}
	return budgets
}

// ClientBudget is the budget of an unauthenticated request from ip.
func (g *Guard) ClientBudget(ip string) Budget {
	return Budget{Key: ClientIPKey(ip), Limit: PerWindow(int(g.anonPerMinute.Load()), g.limiter.Window())}
}

// ByClientIP limits an unauthenticated route per client address.
func (g *Guard) ByClientIP() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := g.admit(c, scopeClient, g.ClientBudget(c.RealIP())); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// ByPrincipal limits an authenticated route by the principal's budgets. It
// runs after authentication and before the permission check, so that a
// refused permission costs budget and carries the headers too.
func (g *Guard) ByPrincipal() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := auth.PrincipalOf(c)
			if p == nil {
				return next(c) // not authenticated: the permission check answers 401
			}
			if err := g.admit(c, scopePrincipal, g.PrincipalBudgets(c.Request().Context(), p)...); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// FailedAuthentication wraps authentication: a request it refuses (no
// principal) is counted against the client address's budget and its 401/403
// carries that budget's headers; an address past its budget gets 429
// instead, which is what a credential-guessing client deserves.
func (g *Guard) FailedAuthentication() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if err == nil || auth.PrincipalOf(c) != nil || c.Response().Committed {
				return err
			}
			if limited := g.admit(c, scopeClient, g.ClientBudget(c.RealIP())); limited != nil {
				return limited
			}
			return err
		}
	}
}

const (
	scopePrincipal = "principal"
	scopeClient    = "client_ip"
)

// admit asks the limiter, writes the headers and returns RATE-001 when the
// request is refused. A failing limiter lets the request through.
func (g *Guard) admit(c echo.Context, scope string, budgets ...Budget) error {
	ctx := c.Request().Context()
	d, err := g.limiter.Allow(ctx, budgets...)
	if err != nil {
		if ctx.Err() != nil {
			return err // the client is gone; nothing to serve
		}
		decisions.WithLabelValues(scope, "unlimited").Inc()
		backendErrors.Inc()
		g.warn("rate limiter unavailable: serving requests without a limit", err)
		return nil
	}
	h := c.Response().Header()
	h.Set(HeaderLimit, strconv.Itoa(d.Limit))
	h.Set(HeaderRemaining, strconv.Itoa(max(d.Remaining, 0)))
	h.Set(HeaderReset, strconv.FormatInt(ceilUnix(d.Reset), 10))
	if d.Allowed {
		decisions.WithLabelValues(scope, "allowed").Inc()
		return nil
	}
	decisions.WithLabelValues(scope, "limited").Inc()
	retry := ceilSeconds(d.RetryAfter)
	who := "The tenant's"
	switch {
	case strings.HasPrefix(d.Key, "ip:"):
		who = "This client address's"
	case strings.Contains(d.Key, ":apikey:"):
		who = "This API key's"
	}
	return platform.Problem("RATE-001", fmt.Sprintf("%s budget of %d requests per %s is used up; retry in %d s.",
		who, d.Limit, formatWindow(g.limiter.Window()), retry)).
		WithHeader(HeaderRetryAfter, strconv.FormatInt(retry, 10))
}

// warnEvery spaces the fail-open warnings: one per outage is enough, one per
// request would flood the log.
const warnEvery = 10 * time.Second

func (g *Guard) warn(msg string, err error) {
	now := time.Now().UnixNano()
	last := g.warned.Load()
	if now-last < int64(warnEvery) || !g.warned.CompareAndSwap(last, now) {
		return
	}
	g.log.Warn(msg, slog.String("error", err.Error()))
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// ceilSeconds rounds up to whole seconds, at least 1: Retry-After: 0 would
// invite an immediate retry that is refused again.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

func formatWindow(w time.Duration) string {
	if w == time.Minute {
		return "minute"
	}
	return w.String()
}

// tenantBudgets caches each tenant's own per-minute budget for a few
// seconds: the setting changes rarely and is read on every request.
type tenantBudgets struct {
	lookup  func(ctx context.Context, tenantID string) (int, error)
	ttl     time.Duration
	warn    func(string, error)
	group   singleflight.Group
	mu      sync.Mutex
	entries map[string]tenantBudget
}

type tenantBudget struct {
	perMinute int
	expires   time.Time
}

// lookupTimeout bounds a settings read made on behalf of a request.
const lookupTimeout = 2 * time.Second

// perMinute is the tenant's own budget, 0 when it has none (or it could not
// be read: the default applies until the next try).
func (t *tenantBudgets) perMinute(ctx context.Context, tenantID string) int {
	if t.lookup == nil || tenantID == "" {
		return 0
	}
	now := time.Now()
	t.mu.Lock()
	e, ok := t.entries[tenantID]
	t.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.perMinute
	}
	v, _, _ := t.group.Do(tenantID, func() (any, error) {
		// Detached from the request: one caller's cancellation must not fail
		// the lookup shared with the others.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
		defer cancel()
		n, err := t.lookup(lctx, tenantID)
		if err != nil {
			t.warn("reading a tenant's rate limit failed: using the previous or default budget", err)
			n = e.perMinute // stale value, or 0
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if len(t.entries) > 10000 {
			for id, old := range t.entries {
				if now.After(old.expires) {
					delete(t.entries, id)
				}
			}
		}
		t.entries[tenantID] = tenantBudget{perMinute: n, expires: time.Now().Add(t.ttl)}
		return n, nil
	})
	return v.(int)
}

// Metrics of the limiter, shared by every Guard of the process.
var (
	decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "astra", Subsystem: "ratelimit", Name: "requests_total",
		Help: "Rate-limit decisions by scope (principal, client_ip) and result (allowed, limited, unlimited: limiter unavailable, served).",
	}, []string{"scope", "result"})
	backendErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "astra", Subsystem: "ratelimit", Name: "backend_errors_total",
		Help: "Requests served without a limit because the limiter's store (Redis) failed.",
	})
)

// Collectors are the limiter's metrics, to register on /metrics.
func Collectors() []prometheus.Collector { return []prometheus.Collector{decisions, backendErrors} }
