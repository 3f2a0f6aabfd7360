package platform

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// Permission values with a special meaning for Route.Permission.
const (
	// PermissionPublic marks a route that needs no authentication.
	PermissionPublic = ""
	// PermissionAuthenticated marks a route open to any valid principal.
	PermissionAuthenticated = "authenticated"
)

// Route declares one endpoint. The Echo router and the OpenAPI document are
// both derived from these declarations, so they cannot disagree.
type Route struct {
	Method, Path              string // Echo path syntax, e.g. "/api/v1/iam/users/:id"
	OperationID, Summary, Tag string
	Permission                string // e.g. "iam:read"; "" = public; "authenticated" = any valid principal
	Request                   any    // zero value of the JSON body type, or nil
	Response                  any    // zero value of the `data` type, or nil (no body, e.g. 204)
	List                      bool   // data is an array of Response with pagination meta
	// Complete marks a List computed whole and never paged (a fixed matrix,
	// the five pillars): the document offers no limit or cursor, and either
	// in a request is refused with VAL-005 unless Query declares it with a
	// meaning of its own. Answer it with RespondComplete.
	Complete    bool
	Status      int                   // success status (default 200)
	Raw         bool                  // response is not enveloped; Response describes the raw body when not nil
	ContentType string                // success content type of a Raw route when not JSON
	Query       []Param               // query parameters
	Headers     []Param               // request headers such as If-Match, Idempotency-Key, X-Tenant-ID
	Errors      []int                 // documented error statuses besides the defaults
	Handler     echo.HandlerFunc      // the endpoint itself
	Middleware  []echo.MiddlewareFunc // route-specific middleware, run after the wrap middleware
	// BodyLimit is the largest body the route accepts when it must exceed
	// the server's (ASTRA_BODY_LIMIT): uploads, catalogue imports. Zero
	// keeps the server's. Bind, Idempotency-Key handling and BodyLimit(c)
	// all read it; bodies past the server's limit are spooled to disk, never
	// held in memory by the platform.
	BodyLimit int64
	// AlsoAnswers lists other success content types a query parameter
	// selects (text/csv with format=csv), documented as text bodies.
	AlsoAnswers []string
	// Streams documents what the route answers with "stream": true: a
	// text/event-stream of Server-Sent Events (what each event holds).
	Streams string
	// Dialect renders the route's errors, the platform middleware's
	// included, in a foreign API's shape (OpenAIDialect, AnthropicDialect)
	// instead of problem+json. Raw routes only.
	Dialect Dialect
	// Module names the module that declares the route; the composition root
	// sets it from the module's descriptor. The licence's entitlements are
	// checked by it (a module outside the licence answers 403).
	Module string
	// Foreign documents success answers the route gives besides its own, in
	// another protocol's shape (an OTLP/HTTP export is answered as OTLP
	// expects), never enveloped.
	Foreign []ForeignAnswer
}

// ForeignAnswer is a success answer in another protocol's own shape.
type ForeignAnswer struct {
	Status       int
	ContentTypes []string
	Description  string
}

// The request headers routes share.
var (
	// IfMatch is the version a change is based on (412 CON-001 when stale).
	IfMatch = Param{Name: "If-Match", Description: "The version the change is based on; 412 when stale.", Schema: "string"}
	// ReadHeaders are what a tenant-scoped read accepts.
	ReadHeaders = []Param{{Name: "X-Tenant-ID", Description: "Must match the token's tenant.", Schema: "string"}}
	// WriteHeaders are what a tenant-scoped write accepts.
	WriteHeaders = []Param{
		{Name: "Idempotency-Key", Description: "Replays the first answer for retries of the same request.", Schema: "string"},
		{Name: "X-Tenant-ID", Description: "Must match the token's tenant (platform admins may act in another).", Schema: "string"},
	}
)

// Param declares a query parameter or request header of a Route.
type Param struct {
	Name, Description string
	Required          bool
	Schema            string // "string" (default), "integer", "number", "boolean", "date-time", "uuid"
	// Enum lists the only values the parameter takes: documented in the
	// OpenAPI document and, for a query parameter, enforced when the route is
	// mounted (another value is refused with VAL-005 naming the parameter;
	// an empty value counts as absent), so handlers need not check it.
	Enum []string
}

// defaultErrorStatuses are documented for every operation: any route can
// reject input, authentication, authorisation or rate, or fail, or lose a
// dependency (503 SYS-002 with Retry-After, e.g. Postgres down).
var defaultErrorStatuses = []int{
	http.StatusBadRequest,
	http.StatusUnauthorized,
	http.StatusForbidden,
	http.StatusTooManyRequests,
	http.StatusInternalServerError,
	http.StatusServiceUnavailable,
}

// Registry holds the product's route declarations.
type Registry struct {
	title, version string

	mu     sync.RWMutex
	routes []Route
	keys   map[string]bool // "METHOD path"
	opIDs  map[string]bool
	// builtin routes are served by platform code (NewEcho's /metrics,
	// ServeOpenAPI); Mount only adds them to an Echo that lacks them.
	builtin map[string]bool
}

// NewRegistry creates a registry for an API with the given title and
// version. It already declares GET /metrics, which NewEcho serves, so the
// document covers every route of the server.
func NewRegistry(title, version string) *Registry {
	r := &Registry{
		title:   title,
		version: version,
		keys:    make(map[string]bool),
		opIDs:   make(map[string]bool),
		builtin: make(map[string]bool),
	}
	r.addBuiltin(MetricsRoute())
	return r
}

// MetricsRoute declares the Prometheus endpoint served by NewEcho.
func MetricsRoute() Route {
	return Route{
		Method:      http.MethodGet,
		Path:        MetricsPath,
		OperationID: "getMetrics",
		Summary:     "Prometheus metrics in the text exposition format",
		Tag:         "platform",
		Raw:         true,
		ContentType: "text/plain",
		Handler:     metricsHandler(),
	}
}

// Add declares routes. Declarations are checked eagerly and an invalid one
// panics: it is a programming error that must fail at startup, not produce
// a router and a document that disagree.
func (r *Registry) Add(routes ...Route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rt := range routes {
		r.addLocked(rt)
	}
}

func (r *Registry) addBuiltin(rt Route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(rt)
	r.builtin[routeKey(rt.Method, rt.Path)] = true
}

func (r *Registry) addLocked(rt Route) {
	rt.Method = strings.ToUpper(rt.Method)
	if err := checkRoute(rt); err != nil {
		panic(fmt.Sprintf("platform: invalid route %s %s: %v", rt.Method, rt.Path, err))
	}
	key := routeKey(rt.Method, rt.Path)
	if r.keys[key] {
		panic(fmt.Sprintf("platform: route %s declared twice", key))
	}
	if r.opIDs[rt.OperationID] {
		panic(fmt.Sprintf("platform: operation id %q declared twice (route %s)", rt.OperationID, key))
	}
	r.keys[key] = true
	r.opIDs[rt.OperationID] = true
	r.routes = append(r.routes, rt)
}

func routeKey(method, path string) string { return method + " " + path }

var knownMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace,
}

func checkRoute(rt Route) error {
	switch {
	case !slices.Contains(knownMethods, rt.Method):
		return fmt.Errorf("unsupported method %q", rt.Method)
	case !strings.HasPrefix(rt.Path, "/"):
		return fmt.Errorf("path must start with /")
	case strings.Contains(rt.Path, "*"):
		// OpenAPI cannot describe a multi-segment wildcard.
		return fmt.Errorf("wildcard paths cannot be documented")
	case rt.OperationID == "":
		return fmt.Errorf("OperationID is required")
	case rt.Handler == nil:
		return fmt.Errorf("handler is nil")
	case rt.ContentType != "" && !rt.Raw:
		return fmt.Errorf("ContentType applies to Raw routes only (enveloped routes are JSON)")
	case rt.Dialect != nil && !rt.Raw:
		return fmt.Errorf("a Dialect applies to Raw routes only")
	case rt.List && rt.Raw:
		return fmt.Errorf("a Raw route cannot be a List")
	case rt.Complete && !rt.List:
		return fmt.Errorf("only a List can be Complete")
	case rt.Status != 0 && (rt.Status < 200 || rt.Status > 399):
		return fmt.Errorf("success status %d is not 2xx/3xx", rt.Status)
	}
	for _, s := range rt.Errors {
		if s < 400 || s > 599 {
			return fmt.Errorf("error status %d is not 4xx/5xx", s)
		}
	}
	for _, p := range slices.Concat(rt.Query, rt.Headers) {
		if p.Name == "" {
			return fmt.Errorf("parameter without a name")
		}
		if _, ok := paramSchemas[p.Schema]; !ok {
			return fmt.Errorf("parameter %q: unknown schema %q", p.Name, p.Schema)
		}
	}
	for _, seg := range strings.Split(rt.Path, "/") {
		if seg == ":" {
			return fmt.Errorf("path parameter without a name")
		}
	}
	return nil
}

// Routes returns a copy of the declared routes, in declaration order.
func (r *Registry) Routes() []Route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.routes)
}

// Mount registers every declared route on e. wrap returns the per-route
// middleware (authentication, permission checks) that runs before
// Route.Middleware. Mount panics if a route that requires a permission would
// be mounted without any wrap middleware: such a route would be served
// unauthenticated, and failing at startup is the safe outcome.
func (r *Registry) Mount(e *echo.Echo, wrap func(Route) []echo.MiddlewareFunc) {
	existing := make(map[string]bool)
	for _, er := range e.Routes() {
		existing[routeKey(er.Method, er.Path)] = true
	}
	r.mu.RLock()
	builtin := make(map[string]bool, len(r.builtin))
	for k := range r.builtin {
		builtin[k] = true
	}
	r.mu.RUnlock()

	for _, rt := range r.Routes() {
		key := routeKey(rt.Method, rt.Path)
		if existing[key] {
			if builtin[key] {
				continue
			}
			panic(fmt.Sprintf("platform: route %s is already registered on this Echo", key))
		}
		var mw []echo.MiddlewareFunc
		if rt.BodyLimit > 0 {
			mw = append(mw, routeBodyLimit(rt.BodyLimit))
		}
		if wrap != nil {
			mw = append(mw, wrap(rt)...)
		}
		if rt.Permission != PermissionPublic && len(mw) == 0 {
			panic(fmt.Sprintf("platform: route %s requires permission %q but wrap gave it no middleware", key, rt.Permission))
		}
		// Parameters are checked once the route is known (its path
		// parameters are named) and the caller authenticated.
		mw = append(mw, paramTextMiddleware)
		if rt.List && rt.Complete {
			mw = append(mw, refusePageParams(rt))
		}
		if check := queryValues(rt); check != nil {
			mw = append(mw, check)
		}
		mw = append(mw, rt.Middleware...)
		if rt.Dialect != nil {
			dialects.Store(key, rt.Dialect)
		}
		e.Add(rt.Method, rt.Path, rt.Handler, mw...).Name = rt.OperationID
		existing[key] = true
	}
}

// ServeOpenAPI declares and serves GET path with the OpenAPI document as
// JSON. The document is built on the first request (after every module has
// declared its routes) and cached.
func (r *Registry) ServeOpenAPI(e *echo.Echo, path string) {
	var (
		once     sync.Once
		payload  []byte
		buildErr error
	)
	handler := func(c echo.Context) error {
		once.Do(func() {
			doc, err := r.OpenAPI()
			if err != nil {
				buildErr = fmt.Errorf("build openapi document: %w", err)
				return
			}
			payload, buildErr = json.Marshal(doc)
			if buildErr != nil {
				buildErr = fmt.Errorf("marshal openapi document: %w", buildErr)
			}
		})
		if buildErr != nil {
			return buildErr
		}
		return c.JSONBlob(http.StatusOK, payload)
	}
	rt := Route{
		Method:      http.MethodGet,
		Path:        path,
		OperationID: "getOpenAPIDocument",
		Summary:     "OpenAPI 3.0 document describing this API",
		Tag:         "platform",
		Raw:         true,
		Handler:     handler,
	}
	r.addBuiltin(rt)
	e.GET(path, handler).Name = rt.OperationID
}

// routeBodyLimit raises the body limit for one route (Route.BodyLimit).
func routeBodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cur, _ := c.Get(ctxBodyLimit).(int64); limit > cur {
				c.Set(ctxServerBodyLimit, cur)
				c.Set(ctxBodyLimit, limit)
			}
			return next(c)
		}
	}
}
