// Package admin serves health, version, projections, event-store statistics
// and the audit trail (the ledger itself) over HTTP, and the platform's
// administration: run-time settings, feature flags (with their OpenFeature
// remote evaluation), the licence and tenants' usage.
package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/admin"
	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	rmiam "github.com/astrabastion/astra/projections/iam"
	"github.com/astrabastion/astra/projections/ops"
)

// API serves the admin routes.
type API struct {
	// Ops reads the ledger, the relay, the broker and the projections'
	// bookkeeping.
	Ops     *ops.Queries
	Runner  *projections.Runner
	Version string
	Started time.Time
	// Instance names this process in answers (host:port of its API).
	Instance string
	// Settle brings what this instance answered and has not yet appended
	// (the gateway's journal) into the ledger before the audit trail is
	// read; nil: nothing to wait for.
	Settle func(context.Context) error

	// Commands records the administration's changes.
	Commands *cmd.Handlers
	// Config is this instance's configuration; Quotas its tenant quotas.
	Config Configuration
	Quotas Quotas
	// Flags and Licensing are this instance's view of the flags and the
	// licence, kept current by the admin reactor.
	Flags     *admin.FlagSet
	Licensing *admin.Licensing
	// Modules are the modules of this instance (their entitlements).
	Modules []string
	// The read models tenants' usage is measured in.
	Gateway    *rmgw.Queries
	IAM        *rmiam.Queries
	Compliance *rmcmp.Queries
	// Now is the clock licences are checked against; time.Now when nil.
	Now func() time.Time
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// Health is the liveness answer.
type Health struct {
	Status   string `json:"status"`
	Instance string `json:"instance"`
	Uptime   string `json:"uptime"`
}

// Check is one readiness check.
type Check struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
	Latency string `json:"latency"`
}

// Readiness is the readiness answer.
type Readiness struct {
	Ready         bool    `json:"ready"`
	Checks        []Check `json:"checks"`
	RelayLag      int64   `json:"relay_lag"`
	RelayLeader   bool    `json:"relay_leader"`
	ProjectionLag int64   `json:"projection_lag"`
}

// VersionInfo is the version answer.
type VersionInfo struct {
	Version       string `json:"version"`
	GoVersion     string `json:"go_version"`
	SchemaVersion int    `json:"event_schema_registry_size"`
}

// ProjectionStatus describes one projection.
type ProjectionStatus struct {
	Name        string                     `json:"name"`
	Topics      []string                   `json:"topics"`
	Generations []projections.Generation   `json:"generations"`
	Active      int                        `json:"active_generation"`
	Lag         int64                      `json:"lag"`
	Partitions  []projections.PartitionLag `json:"partitions"`
	LastError   *string                    `json:"last_error,omitempty"`
	// DeadLetters counts the records this projection quarantined instead of
	// applying (GET /api/v1/admin/projections/dead-letters lists them).
	DeadLetters int64 `json:"dead_letters"`
}

// RebuildStarted is the answer of a rebuild request.
type RebuildStarted struct {
	Projection string `json:"projection"`
	Generation int    `json:"generation"`
	Schema     string `json:"schema"`
	Status     string `json:"status"`
}

// TopicStats is one topic's size on the broker.
type TopicStats = ops.TopicStats

// EventStoreStats is the event-store statistics answer.
type EventStoreStats = ops.EventStoreStats

// AuditEvent is one ledger event as an auditor sees it: a CloudEvent with the
// chain attributes.
type AuditEvent = ops.AuditEvent

// auditFilters select the events of the audit list and of its export.
var auditFilters = []platform.Param{
	{Name: "type", Description: "Only this event type (com.astra.iam.UserCreated), or the types that start with a prefix ending in '.' or '*' (com.astra.iam., com.astra.iam.User*)", Schema: "string"},
	{Name: "subject", Description: "Only events about this aggregate id (the CloudEvent subject)", Schema: "string"},
	{Name: "actor", Description: "Only events recorded by this user or API key id", Schema: "string"},
	{Name: "stream_id", Description: "Only events of this stream (the partition key, e.g. iam.user-<id>)", Schema: "string"},
	{Name: "from", Description: "Only events at or after this time (RFC 3339)", Schema: "date-time"},
	{Name: "to", Description: "Only events before this time (RFC 3339)", Schema: "date-time"},
	{Name: "all_tenants", Description: "true: every tenant's history, for a platform admin who sends no X-Tenant-ID (anybody else reads their acting tenant's)", Schema: "boolean"},
}

// auditQuery is the audit list's query: the filters, the order and the page.
var auditQuery = append(append([]platform.Param{}, auditFilters...),
	platform.Param{Name: "order", Description: "newest (default): the latest events first; oldest: in ledger order, as a replay reads them", Schema: "string",
		Enum: []string{ops.NewestFirst, ops.OldestFirst}})

var deadLetterQuery = []platform.Param{
	{Name: "projection", Description: "Only this projection's dead letters", Schema: "string"},
	{Name: "reason", Description: "Only dead letters of this reason: an event the projection could not apply, or a broker record that is not a ledger event", Schema: "string",
		Enum: []string{projections.ReasonApplyFailed, projections.ReasonUnauthenticated}},
}

// Routes declares the admin routes.
func (a *API) Routes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/admin/health", OperationID: "health", Tag: "admin", Summary: "Liveness",
			Permission: auth.Public, Response: Health{}, Handler: a.health},
		{Method: http.MethodGet, Path: "/api/v1/admin/health/ready", OperationID: "ready", Tag: "admin", Summary: "Readiness: Postgres, broker, relay and projection lag",
			Permission: auth.Public, Response: Readiness{}, Handler: a.ready, Errors: []int{503}},
		{Method: http.MethodGet, Path: "/api/v1/admin/version", OperationID: "version", Tag: "admin", Summary: "Version",
			Permission: auth.Public, Response: VersionInfo{}, Handler: a.version},
		{Method: http.MethodGet, Path: "/api/v1/admin/projections", OperationID: "listProjections", Tag: "admin", Summary: "Projections with generations, offsets and lag, in the order they are hosted",
			Permission: "admin:read", Response: ProjectionStatus{}, List: true, Handler: a.projections,
			Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}},
		{Method: http.MethodGet, Path: "/api/v1/admin/projections/dead-letters", OperationID: "listDeadLetters", Tag: "admin",
			Summary:    "Records the projections quarantined instead of applying (newest first): events they cannot apply, and broker records that are not ledger events",
			Permission: "admin:read", Response: projections.DeadLetter{}, List: true, Query: deadLetterQuery, Handler: a.deadLetters,
			Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}},
		{Method: http.MethodPost, Path: "/api/v1/admin/projections/:name/rebuild", OperationID: "rebuildProjection", Tag: "admin",
			Summary: "Rebuild a projection from offset 0 into a new generation (blue/green)", Permission: "admin:admin",
			Response: RebuildStarted{}, Status: http.StatusAccepted, Handler: a.rebuild, Errors: []int{404},
			Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}},
		{Method: http.MethodGet, Path: "/api/v1/admin/event-store/stats", OperationID: "eventStoreStats", Tag: "admin", Summary: "Topics, partitions, counts, relay lag",
			Permission: "admin:read", Response: EventStoreStats{}, Handler: a.stats, Middleware: []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}},
		{Method: http.MethodGet, Path: "/api/v1/admin/audit/events", OperationID: "auditEvents", Tag: "admin", Summary: "The event history of the tenant (newest first unless order=oldest), with total_count",
			Permission: "admin:read", Response: AuditEvent{}, List: true, Query: auditQuery, Handler: a.auditEvents},
		{Method: http.MethodGet, Path: "/api/v1/admin/audit/events/export", OperationID: "auditExport", Tag: "admin", Summary: "NDJSON export of CloudEvents, in ledger order",
			Permission: "admin:read", Raw: true, ContentType: "application/x-ndjson", Query: auditFilters, Handler: a.auditExport},
		{Method: http.MethodPost, Path: "/api/v1/admin/audit/verify", OperationID: "auditVerify", Tag: "admin", Summary: "Verify hash chains and continuity",
			Permission: "admin:read", Response: ops.VerifyReport{}, Handler: a.verify},
	}
}

// AdministrationRoutes declare the platform's administration: settings,
// feature flags, the licence and tenants' usage. Settings and flags are
// the platform's, so platform administrators alone read and change them.
func (a *API) AdministrationRoutes() []platform.Route {
	const p = "/api/v1/admin"
	platformAdmin := []echo.MiddlewareFunc{auth.RequirePlatformAdmin()}
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/config", OperationID: "getConfig", Tag: "admin",
			Summary:    "The effective configuration of the answering instance: every setting with its value (secrets masked), default and source, and whether it may change at run time",
			Permission: "admin:read", Response: ConfigView{}, Handler: a.config, Middleware: platformAdmin},
		{Method: http.MethodPatch, Path: p + "/config", OperationID: "updateConfig", Tag: "admin",
			Summary: "Change run-time settings ({key: value}, null returns to the value at start); every instance applies the change without a restart. " +
				"A setting read only at start is refused with 422 ADM-003 naming it",
			Permission: "admin:admin", Request: ConfigPatch{}, Response: ConfigView{}, Handler: a.changeConfig, Middleware: platformAdmin,
			Headers: []platform.Param{platform.IfMatch}, Errors: []int{412, 422}},
		{Method: http.MethodGet, Path: p + "/feature-flags", OperationID: "listFeatureFlags", Tag: "admin", Summary: "Feature flags, by key",
			Permission: "admin:read", Response: FlagView{}, List: true, Handler: a.flags, Middleware: platformAdmin},
		{Method: http.MethodPost, Path: p + "/feature-flags", OperationID: "createFeatureFlag", Tag: "admin",
			Summary:    "Create a boolean or multivariate flag with targeting rules (tenants, users), a percentage rollout and a kill switch (enabled)",
			Permission: "admin:admin", Request: FlagRequest{}, Response: FlagView{}, Status: http.StatusCreated, Handler: a.createFlag,
			Middleware: platformAdmin, Errors: []int{409, 422}},
		{Method: http.MethodGet, Path: p + "/feature-flags/:key", OperationID: "getFeatureFlag", Tag: "admin", Summary: "A feature flag",
			Permission: "admin:read", Response: FlagView{}, Handler: a.flag, Middleware: platformAdmin, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/feature-flags/:key", OperationID: "updateFeatureFlag", Tag: "admin",
			Summary:    "Change a flag (absent fields stay; {\"enabled\": false} is its kill switch), a new version",
			Permission: "admin:admin", Request: FlagPatch{}, Response: FlagView{}, Handler: a.updateFlag, Middleware: platformAdmin,
			Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: p + "/feature-flags/:key", OperationID: "deleteFeatureFlag", Tag: "admin", Summary: "Delete a flag",
			Permission: "admin:admin", Response: FlagDeleted{}, Handler: a.deleteFlag, Middleware: platformAdmin,
			Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412}},
		{Method: http.MethodGet, Path: p + "/license", OperationID: "getLicense", Tag: "admin",
			Summary:    "The licence in force (community edition without one): plan, seats against active users, expiry and grace period, and which modules serve",
			Permission: "admin:read", Response: LicenseView{}, Handler: a.license},
		{Method: http.MethodPut, Path: p + "/license", OperationID: "installLicense", Tag: "admin",
			Summary:    "Install a signed licence file (Ed25519, verified against the keys built in or ASTRA_LICENSE_PUBLIC_KEYS); every instance enforces it at once",
			Permission: "admin:admin", Request: admin.LicenseFile{}, Response: LicenseView{}, Handler: a.installLicense, Middleware: platformAdmin,
			Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/tenants/:id/usage", OperationID: "tenantUsage", Tag: "admin",
			Summary:    "A tenant's usage against its quotas: gateway requests, tokens and cost of a month, storage, seats and events per module (a tenant's administrators: their own tenant; platform administrators: any)",
			Permission: "admin:read", Response: TenantUsage{}, Query: usageQuery, Handler: a.usage, Errors: []int{404}},
	}
}

func (a *API) health(c echo.Context) error {
	return platform.Respond(c, http.StatusOK, Health{Status: "ok", Instance: a.Instance, Uptime: time.Since(a.Started).Round(time.Second).String()})
}

func timed(name string, fn func() (string, error)) Check {
	start := time.Now()
	detail, err := fn()
	c := Check{Name: name, OK: err == nil, Detail: detail, Latency: time.Since(start).Round(time.Microsecond).String()}
	if err != nil {
		c.Detail = "unavailable"
	}
	return c
}

func (a *API) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	out := Readiness{Ready: true, RelayLeader: a.Ops.RelayLeader()}
	out.Checks = append(out.Checks, timed("postgres", func() (string, error) { return "", a.Ops.PingPostgres(ctx) }))
	out.Checks = append(out.Checks, timed("broker", func() (string, error) {
		n, err := a.Ops.BrokerCount(ctx)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(n) + " broker(s)", nil
	}))
	out.Checks = append(out.Checks, timed("relay", func() (string, error) {
		lag, err := a.Ops.RelayLag(ctx)
		if err != nil {
			return "", err
		}
		out.RelayLag = lag
		return "lag " + strconv.FormatInt(out.RelayLag, 10), nil
	}))
	out.Checks = append(out.Checks, timed("projections", func() (string, error) {
		lag, err := a.Ops.ProjectionLag(ctx)
		if err != nil {
			return "", err
		}
		out.ProjectionLag = lag
		return "lag " + strconv.FormatInt(out.ProjectionLag, 10), nil
	}))
	for _, ch := range out.Checks {
		out.Ready = out.Ready && ch.OK
	}
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	return platform.Respond(c, status, out)
}

func (a *API) version(c echo.Context) error {
	return platform.Respond(c, http.StatusOK, VersionInfo{Version: a.Version, GoVersion: goVersion(), SchemaVersion: len(events.All())})
}

// projections lists the hosted projections in the order they are hosted
// (their natural order, by name as a cursor), a page at a time.
func (a *API) projections(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[ProjectionStatus], error) {
		names, err := projections.PageOf(a.Runner.Names(), p, func(name string) string { return name })
		if err != nil {
			return projections.Page[ProjectionStatus]{}, err
		}
		out := projections.MapPage(names, func(name string) ProjectionStatus { return ProjectionStatus{Name: name} })
		return out, a.projectionStatus(c.Request().Context(), out.Items)
	})
}

// projectionStatus fills in each named projection's generations, offsets,
// lag, dead letters and last error.
func (a *API) projectionStatus(ctx context.Context, out []ProjectionStatus) error {
	gens, err := a.Runner.Generations(ctx)
	if err != nil {
		return err
	}
	dead, err := a.Runner.DeadLetterCounts(ctx)
	if err != nil {
		return err
	}
	for i := range out {
		name := out[i].Name
		p, _ := a.Runner.Projection(name)
		st := ProjectionStatus{Name: name, Topics: p.Topics(), Generations: []projections.Generation{}, DeadLetters: dead[name]}
		for _, g := range gens {
			if g.Projection == name && g.Status != "dropped" {
				st.Generations = append(st.Generations, g)
				if g.Status == "active" {
					st.Active = g.Generation
				}
			}
		}
		if st.Partitions, err = a.Runner.Offsets(ctx, name, st.Active); err != nil {
			return err
		}
		for _, pl := range st.Partitions {
			st.Lag += pl.Lag
		}
		if st.LastError, err = a.Ops.LastError(ctx, name); err != nil {
			return err
		}
		out[i] = st
	}
	return nil
}

func (a *API) deadLetters(c echo.Context) error {
	f := projections.DeadLetterFilter{Projection: c.QueryParam("projection"), Reason: c.QueryParam("reason")}
	if f.Projection != "" {
		if _, ok := a.Runner.Projection(f.Projection); !ok {
			return platform.Problem("VAL-005", "Query parameter 'projection' names no projection.")
		}
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[projections.DeadLetter], error) {
		return a.Runner.DeadLetters(c.Request().Context(), f, p)
	})
}

func (a *API) rebuild(c echo.Context) error {
	name := c.Param("name")
	if _, ok := a.Runner.Projection(name); !ok {
		return platform.Problem("ADM-001", "No projection named '"+name+"'.")
	}
	g, err := a.Runner.Rebuild(c.Request().Context(), name)
	if err != nil {
		return err
	}
	if _, err := a.Commands.RecordRebuild(c.Request().Context(), writes.Metadata(c),
		admin.ProjectionRebuiltV1{Projection: name, Generation: g.Generation, Schema: g.Schema}); err != nil {
		return err
	}
	return platform.Respond(c, http.StatusAccepted, RebuildStarted{Projection: name, Generation: g.Generation, Schema: g.Schema, Status: g.Status})
}

func (a *API) stats(c echo.Context) error {
	out, err := a.Ops.Stats(c.Request().Context())
	if err != nil {
		return err // ops.ErrBrokerUnavailable is SYS-002 (the module's domain errors)
	}
	return platform.Respond(c, http.StatusOK, out)
}

// auditTenant is the tenant whose history a principal may read: its own, or
// every tenant for a platform admin who did not name one.
func auditTenant(c echo.Context) string {
	p := auth.PrincipalOf(c)
	if p.Role == iam.RolePlatformAdmin && c.Request().Header.Get("X-Tenant-ID") == "" && c.QueryParam("all_tenants") == "true" {
		return ""
	}
	return p.ActingTenant
}

// settle waits, briefly, for this instance's answered records to reach the
// ledger, so that the audit trail read here holds every request this
// instance answered before it; past the wait, the trail is what the ledger
// holds.
func (a *API) settle(c echo.Context) {
	if a.Settle == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	_ = a.Settle(ctx)
}

func (a *API) auditFilter(c echo.Context) (ops.AuditFilter, error) {
	switch c.QueryParam("all_tenants") {
	case "", "true", "false":
	default:
		return ops.AuditFilter{}, platform.Problem("VAL-005", "Query parameter 'all_tenants' must be true or false.")
	}
	f := ops.AuditFilter{TenantID: auditTenant(c), Type: c.QueryParam("type"), Subject: c.QueryParam("subject"),
		Actor: c.QueryParam("actor"), StreamID: c.QueryParam("stream_id")}
	for name, v := range map[string]string{"type": f.Type, "subject": f.Subject, "actor": f.Actor, "stream_id": f.StreamID} {
		if len(v) > 300 {
			return f, platform.Problem("VAL-005", "Query parameter '"+name+"' is too long.")
		}
	}
	var err error
	f.From, f.To, err = platform.QueryPeriod(c)
	return f, err
}

// auditEvents lists the trail newest first (or in ledger order), a page
// at a time, with the total that matches the filters.
func (a *API) auditEvents(c echo.Context) error {
	f, err := a.auditFilter(c)
	if err != nil {
		return err
	}
	a.settle(c)
	order := c.QueryParam("order") // one of its Enum: the route checked it
	if order == "" {
		order = ops.NewestFirst
	}
	// Past projections.ExactCountLimit the total is the planner's estimate
	// (total_count_estimated).
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[AuditEvent], error) {
		return a.Ops.Audit(c.Request().Context(), f, order, p)
	})
}

func (a *API) auditExport(c echo.Context) error {
	f, err := a.auditFilter(c)
	if err != nil {
		return err
	}
	a.settle(c)
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "application/x-ndjson")
	res.Header().Set("Content-Disposition", `attachment; filename="astra-audit.ndjson"`)
	res.WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(res, 64<<10)
	enc := json.NewEncoder(w)
	err = a.Ops.Export(c.Request().Context(), f, func(e AuditEvent) error { return enc.Encode(e) }, func() {
		w.Flush()
		res.Flush()
	})
	if err != nil {
		platform.Logger(c).Error("audit export failed midway", "err", err)
		return nil // headers are sent: the truncated stream is the signal
	}
	w.Flush()
	return nil
}

func (a *API) verify(c echo.Context) error {
	rep, err := a.Ops.Verify(c.Request().Context(), auditTenant(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, rep)
}
