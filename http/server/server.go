// Package server assembles the HTTP API: the platform (errors, envelope,
// metrics, OpenAPI), every module's routes with their permission checks, and
// the live stream at /ws.
package server

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/dashboard"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/ratelimit"
	"github.com/astrabastion/astra/http/ws"
)

// Deps are what the server mounts: the platform (authentication, rate
// limiting, idempotency, the live stream) and every module's routes.
type Deps struct {
	Version   string
	BodyLimit int64
	Logger    *slog.Logger
	Auth      *auth.Authenticator
	Hub       *ws.Hub
	// Routes are the modules' routes (from their descriptors).
	Routes     []platform.Route
	Collectors []prometheus.Collector
	// RateLimit limits every route except the health checks; nil disables it.
	RateLimit *ratelimit.Guard
	// Idempotency replays the first answer to an Idempotency-Key; every
	// authenticated mutation gets it (nil disables it).
	Idempotency echo.MiddlewareFunc
	// Entitled checks, per request, that the licence covers a route's
	// module (Route.Module); nil, or a nil middleware, checks nothing.
	Entitled func(module string) echo.MiddlewareFunc
}

// mutation reports whether a route changes state on behalf of a principal:
// those accept Idempotency-Key. Raw routes (the OpenAI drop-in) answer in
// another protocol's shape and are left alone.
func mutation(r platform.Route) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return r.Permission != auth.Public && !r.Raw
	}
	return false
}

var idempotencyKey = platform.Param{Name: "Idempotency-Key",
	Description: "Retries with the same key get the first answer again and change nothing.", Schema: "string"}

// withIdempotencyKey documents Idempotency-Key on every mutation that does
// not declare it already.
func withIdempotencyKey(rs []platform.Route) []platform.Route {
	for i := range rs {
		if !mutation(rs[i]) {
			continue
		}
		declared := false
		for _, h := range rs[i].Headers {
			declared = declared || h.Name == idempotencyKey.Name
		}
		if !declared {
			rs[i].Headers = append(append([]platform.Param(nil), rs[i].Headers...), idempotencyKey)
		}
	}
	return rs
}

// New builds the Echo server with every route registered and documented.
func New(d Deps) (*echo.Echo, *platform.Registry) {
	e := platform.NewEcho(platform.Config{BodyLimit: d.BodyLimit, Version: d.Version, Logger: d.Logger})
	for _, c := range d.Collectors {
		_ = platform.Metrics.Register(c) // duplicate registration in tests is harmless
	}
	platform.DescribeTags(map[string]string{
		"dashboard": "The web console's pages and assets (public; it signs in and uses this API like any client).",
		"stream":    "The live event stream: CloudEvents over WebSocket, per channel, with replay from an event id.",
		"platform":  "This document and the Prometheus metrics.",
	})
	reg := platform.NewRegistry("ASTRA BASTION API", d.Version)
	reg.Add(withIdempotencyKey(d.Routes)...)
	// The dashboard: public static pages that use the API and /ws like any client.
	reg.Add(dashboard.Routes()...)
	reg.Add(platform.Route{Method: http.MethodGet, Path: "/ws", OperationID: "liveStream", Tag: "stream",
		Summary: "Live event stream: WebSocket upgrade (101); authenticate, subscribe to channels, optional since", Permission: auth.Public,
		Raw: true, Handler: d.Hub.Handler})
	reg.Mount(e, func(r platform.Route) []echo.MiddlewareFunc { return routeMiddleware(d, r) })
	reg.ServeOpenAPI(e, "/api/v1/openapi.json")
	return e, reg
}

// routeMiddleware is the chain in front of a route: public routes are
// limited per client address; authenticated ones are authenticated, then
// limited by the acting tenant (and API key), then permission-checked, so
// that 401/403/404 answers carry the rate-limit headers too and a failed
// authentication counts against the client address.
func routeMiddleware(d Deps, r platform.Route) []echo.MiddlewareFunc {
	rl := d.RateLimit
	var chain []echo.MiddlewareFunc
	switch {
	case rl == nil || ratelimit.Exempt(r.Path):
		chain = d.Auth.Middleware(r.Permission)
	case r.Permission == auth.Public:
		chain = []echo.MiddlewareFunc{rl.ByClientIP()}
	default:
		chain = []echo.MiddlewareFunc{rl.FailedAuthentication(), d.Auth.Authenticate(), rl.ByPrincipal(), auth.Require(r.Permission)}
	}
	if d.Entitled != nil && r.Module != "" {
		if mw := d.Entitled(r.Module); mw != nil {
			chain = append(chain, mw) // after authentication: an anonymous caller learns nothing of the licence
		}
	}
	if d.Idempotency != nil && mutation(r) {
		chain = append(chain, d.Idempotency) // after authentication: keys are scoped to the principal
	}
	return chain
}
