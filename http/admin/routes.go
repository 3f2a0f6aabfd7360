// Package admin serves health, version, projections, event-store statistics
// and the audit trail (the ledger itself) over HTTP.
package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
)

// API serves the admin routes.
type API struct {
	Pool    *pgxpool.Pool
	Runner  *projections.Runner
	Relay   *eventstore.Relay
	Keys    *eventstore.Keyring
	Brokers []string
	Version string
	Started time.Time
	// Instance names this process in answers (host:port of its API).
	Instance string
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
type TopicStats struct {
	Topic      string `json:"topic"`
	Partitions int    `json:"partitions"`
	Records    int64  `json:"records"`
}

// EventStoreStats is the event-store statistics answer.
type EventStoreStats struct {
	HeadPosition     int64            `json:"head_position"`
	RelayCheckpoint  int64            `json:"relay_checkpoint"`
	RelayLag         int64            `json:"relay_lag"`
	Streams          int64            `json:"streams"`
	EventsByType     map[string]int64 `json:"events_by_type"`
	Topics           []TopicStats     `json:"topics"`
	RegisteredEvents int              `json:"registered_event_types"`
}

// AuditEvent is one ledger event as an auditor sees it: a CloudEvent with the
// chain attributes.
type AuditEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	TenantID        string          `json:"tenantid"`
	Actor           string          `json:"actor"`
	StreamVersion   int64           `json:"streamversion"`
	PartitionKey    string          `json:"partitionkey"`
	SchemaVersion   int             `json:"schemaversion"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	CausationID     string          `json:"causationid,omitempty"`
	Position        int64           `json:"position"`
	Hash            string          `json:"hash"`
	PrevHash        string          `json:"prev_hash"`
	Data            json.RawMessage `json:"data"`
}

var auditQuery = []platform.Param{
	{Name: "type", Description: "Event type, or a prefix ending in '.' or '*'", Schema: "string"},
	{Name: "subject", Schema: "string"}, {Name: "actor", Schema: "string"}, {Name: "stream_id", Schema: "string"},
	{Name: "from", Schema: "date-time"}, {Name: "to", Schema: "date-time"},
	{Name: "all_tenants", Description: "Platform admins: every tenant's history", Schema: "boolean"},
	{Name: "limit", Schema: "integer"}, {Name: "cursor", Schema: "string"},
}

var deadLetterQuery = []platform.Param{
	{Name: "projection", Description: "Only this projection's dead letters", Schema: "string"},
	{Name: "reason", Description: "Only dead letters of this reason: an event the projection could not apply, or a broker record that is not a ledger event", Schema: "string",
		Enum: []string{projections.ReasonApplyFailed, projections.ReasonUnauthenticated}},
	{Name: "limit", Schema: "integer"}, {Name: "cursor", Schema: "string"},
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
		{Method: http.MethodGet, Path: "/api/v1/admin/projections", OperationID: "listProjections", Tag: "admin", Summary: "Projections with generations, offsets and lag",
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
		{Method: http.MethodGet, Path: "/api/v1/admin/audit/events", OperationID: "auditEvents", Tag: "admin", Summary: "The event history of the tenant",
			Permission: "admin:read", Response: AuditEvent{}, List: true, Query: auditQuery, Handler: a.auditEvents},
		{Method: http.MethodGet, Path: "/api/v1/admin/audit/events/export", OperationID: "auditExport", Tag: "admin", Summary: "NDJSON export of CloudEvents",
			Permission: "admin:read", Raw: true, ContentType: "application/x-ndjson", Query: auditQuery[:7], Handler: a.auditExport},
		{Method: http.MethodPost, Path: "/api/v1/admin/audit/verify", OperationID: "auditVerify", Tag: "admin", Summary: "Verify hash chains and continuity",
			Permission: "admin:read", Response: eventstore.VerifyReport{}, Handler: a.verify},
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
	out := Readiness{Ready: true, RelayLeader: a.Relay != nil && a.Relay.IsLeader()}
	out.Checks = append(out.Checks, timed("postgres", func() (string, error) { return "", a.Pool.Ping(ctx) }))
	out.Checks = append(out.Checks, timed("broker", func() (string, error) {
		client, err := sarama.NewClient(a.Brokers, eventstore.KafkaConfig("astra-health"))
		if err != nil {
			return "", err
		}
		defer client.Close()
		return strconv.Itoa(len(client.Brokers())) + " broker(s)", nil
	}))
	out.Checks = append(out.Checks, timed("relay", func() (string, error) {
		var head, cp int64
		if err := a.Pool.QueryRow(ctx, `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint)`).Scan(&head, &cp); err != nil {
			return "", err
		}
		out.RelayLag = head - cp
		return "lag " + strconv.FormatInt(out.RelayLag, 10), nil
	}))
	out.Checks = append(out.Checks, timed("projections", func() (string, error) {
		for _, name := range a.Runner.Names() {
			var gen int
			if err := a.Pool.QueryRow(ctx, `SELECT generation FROM projection_generations WHERE projection = $1 AND status = 'active'`, name).Scan(&gen); err != nil {
				return "", err
			}
			lag, err := a.Runner.Lag(ctx, name, gen)
			if err != nil {
				return "", err
			}
			out.ProjectionLag += lag
		}
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

func (a *API) projections(c echo.Context) error {
	ctx := c.Request().Context()
	gens, err := a.Runner.Generations(ctx)
	if err != nil {
		return err
	}
	dead, err := a.Runner.DeadLetterCounts(ctx)
	if err != nil {
		return err
	}
	var out []ProjectionStatus
	for _, name := range a.Runner.Names() {
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
		var msg string
		if err := a.Pool.QueryRow(ctx, `SELECT message FROM projection_errors WHERE projection = $1 ORDER BY id DESC LIMIT 1`, name).Scan(&msg); err == nil {
			st.LastError = &msg
		}
		out = append(out, st)
	}
	n := int64(len(out))
	return platform.RespondList(c, out, platform.Pagination{Limit: len(out), TotalCount: &n})
}

func (a *API) deadLetters(c echo.Context) error {
	page, err := platform.ParsePositionPage(c)
	if err != nil {
		return err
	}
	f := projections.DeadLetterFilter{Projection: c.QueryParam("projection"), Reason: c.QueryParam("reason"), Before: page.After, Limit: page.Limit}
	if f.Projection != "" {
		if _, ok := a.Runner.Projection(f.Projection); !ok {
			return platform.Problem("VAL-005", "Query parameter 'projection' names no projection.")
		}
	}
	if f.Reason != "" && f.Reason != projections.ReasonApplyFailed && f.Reason != projections.ReasonUnauthenticated {
		return platform.Problem("VAL-005", "Query parameter 'reason' must be 'apply failed' or 'unauthenticated record'.")
	}
	out, total, more, err := a.Runner.DeadLetters(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return platform.RespondKeyPage(c, out, page, more, &total, func(d projections.DeadLetter) int64 { return d.ID })
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
	return platform.Respond(c, http.StatusAccepted, RebuildStarted{Projection: name, Generation: g.Generation, Schema: g.Schema, Status: g.Status})
}

func (a *API) stats(c echo.Context) error {
	ctx := c.Request().Context()
	out := EventStoreStats{EventsByType: map[string]int64{}, Topics: []TopicStats{}, RegisteredEvents: len(events.All())}
	if err := a.Pool.QueryRow(ctx, `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint),
		(SELECT count(*) FROM streams)`).Scan(&out.HeadPosition, &out.RelayCheckpoint, &out.Streams); err != nil {
		return err
	}
	out.RelayLag = out.HeadPosition - out.RelayCheckpoint
	rows, err := a.Pool.Query(ctx, `SELECT type, count(*) FROM events GROUP BY type`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			rows.Close()
			return err
		}
		out.EventsByType[t] = n
	}
	rows.Close()
	client, err := sarama.NewClient(a.Brokers, eventstore.KafkaConfig("astra-stats"))
	if err != nil {
		return platform.Problem("SYS-002", "The broker is unavailable.")
	}
	defer client.Close()
	for _, topic := range events.Topics() {
		parts, err := client.Partitions(topic)
		if err != nil {
			continue
		}
		ts := TopicStats{Topic: topic, Partitions: len(parts)}
		for _, p := range parts {
			hw, err1 := client.GetOffset(topic, p, sarama.OffsetNewest)
			lw, err2 := client.GetOffset(topic, p, sarama.OffsetOldest)
			if err1 == nil && err2 == nil {
				ts.Records += hw - lw
			}
		}
		out.Topics = append(out.Topics, ts)
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

func (a *API) auditFilter(c echo.Context) (eventstore.AuditFilter, error) {
	f := eventstore.AuditFilter{TenantID: auditTenant(c), Type: c.QueryParam("type"), Subject: c.QueryParam("subject"),
		Actor: c.QueryParam("actor"), StreamID: c.QueryParam("stream_id")}
	for name, v := range map[string]string{"type": f.Type, "subject": f.Subject, "actor": f.Actor, "stream_id": f.StreamID} {
		if len(v) > 300 {
			return f, platform.Problem("VAL-005", "Query parameter '"+name+"' is too long.")
		}
	}
	var err error
	if f.From, err = platform.QueryTime(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = platform.QueryTime(c, "to"); err != nil {
		return f, err
	}
	return f, nil
}

func (a *API) toAudit(ctx context.Context, e *eventstore.Event) AuditEvent {
	return AuditEvent{SpecVersion: "1.0", ID: e.ID.String(), Type: e.Type, Source: e.Source, Subject: e.Subject, Time: e.Time,
		DataContentType: "application/json", TenantID: e.TenantID, Actor: e.Actor, StreamVersion: e.Version,
		PartitionKey: e.StreamID, SchemaVersion: e.SchemaVersion, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
		Position: e.Position, Hash: hexOf(e.Hash), PrevHash: hexOf(e.PrevHash), Data: a.Keys.OpenJSON(ctx, e.Data)}
}

func (a *API) auditEvents(c echo.Context) error {
	f, err := a.auditFilter(c)
	if err != nil {
		return err
	}
	page, err := platform.ParsePositionPage(c)
	if err != nil {
		return err
	}
	f.After, f.Limit = page.After, page.Limit
	ctx := c.Request().Context()
	evs, more, err := eventstore.QueryAudit(ctx, a.Pool, f)
	if err != nil {
		return err
	}
	out := make([]AuditEvent, len(evs))
	for i := range evs {
		out[i] = a.toAudit(ctx, &evs[i])
	}
	return platform.RespondKeyPage(c, out, page, more, nil, func(e AuditEvent) int64 { return e.Position })
}

func (a *API) auditExport(c echo.Context) error {
	f, err := a.auditFilter(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "application/x-ndjson")
	res.Header().Set("Content-Disposition", `attachment; filename="astra-audit.ndjson"`)
	res.WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(res, 64<<10)
	enc := json.NewEncoder(w)
	f.Limit = 1000
	for {
		evs, more, err := eventstore.QueryAudit(ctx, a.Pool, f)
		if err != nil {
			platform.Logger(c).Error("audit export failed midway", "err", err)
			return nil // headers are sent: the truncated stream is the signal
		}
		for i := range evs {
			if err := enc.Encode(a.toAudit(ctx, &evs[i])); err != nil {
				return nil
			}
		}
		if !more {
			break
		}
		f.After = evs[len(evs)-1].Position
		w.Flush()
		res.Flush()
	}
	w.Flush()
	return nil
}

func (a *API) verify(c echo.Context) error {
	tenant := auditTenant(c)
	rep, err := eventstore.Verify(c.Request().Context(), a.Pool, tenant)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, rep)
}
