package aegis

import (
	"context"
	"fmt"
	"mime"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/shadow"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// ShadowDirectory says what the tenant knows of the traffic a log shows.
type ShadowDirectory interface {
	// SanctionedHosts are the AI hosts the gateway fronts for the tenant (its providers').
	SanctionedHosts(ctx context.Context, tenant string) (map[string]bool, error)
	// AgentSources maps a log's source (an agent's id, name or API key id) to the registered agent.
	AgentSources(ctx context.Context, tenant string) (map[string]string, error)
}

// IngestResult is what an ingested log showed.
type IngestResult struct {
	IngestID string `json:"ingest_id"`
	Format   string `json:"format" enum:"ndjson,csv,squid,zeek,zeek_dns,zeek_http"`
	shadow.Stats
	// Findings counts the (service, source) groups recorded; Shadow those not sanctioned nor an agent's.
	Findings int `json:"findings"`
	Shadow   int `json:"shadow"`
	// Groups lists them (at most 500, Truncated beyond).
	Groups    []IngestGroup `json:"groups"`
	Truncated bool          `json:"truncated"`
}

// IngestGroup is one finding an ingest added to.
type IngestGroup struct {
	FindingID   string `json:"finding_id"`
	Service     string `json:"service"`
	ServiceHost string `json:"service_host"`
	Category    string `json:"category"`
	Source      string `json:"source"`
	Attribution string `json:"attribution" enum:"shadow,sanctioned,agent"`
	Requests    int64  `json:"requests"`
}

// TriageRequest is the body of PATCH /aegis/shadow-ai/findings/{id}.
type TriageRequest struct {
	State string `json:"state" validate:"required,oneof=sanctioned unsanctioned blocked" enum:"sanctioned,unsanctioned,blocked"`
	Note  string `json:"note" validate:"max=2000"`
}

var shadowFindingID = platform.IDParam(aegis.ErrShadowFindingNotFound)

func (a *API) shadowRoutes(p, r, w string) []platform.Route {
	return []platform.Route{
		{Method: http.MethodPost, Path: p + "/shadow-ai/ingest", OperationID: "ingestShadowAiLog", Tag: "aegis",
			Summary: "Ingest a DNS, proxy or egress log, streamed: application/x-ndjson lines ({ts, src, query} or {ts, src, host|url|sni, user_agent, bytes}; " +
				"Zeek JSON too), text/csv with a header row, or text/plain with format=squid|zeek|zeek_dns|zeek_http. Hosts (and SNI, DNS queries) are matched " +
				"against the AI-service catalogue, user agents against the AI agent and crawler list; each (service, source) becomes a finding " +
				"(aegis.ShadowAiDetected), sanctioned when the gateway fronts the service for the tenant, an agent's when the source is a registered agent. " +
				"A malformed line is counted and reported, never fatal",
			Permission: w, Response: IngestResult{}, Handler: a.ingestShadow, BodyLimit: 1 << 30, Errors: []int{413, 415, 422},
			Query: []platform.Param{{Name: "format", Description: "The log's format (defaults from the Content-Type)", Enum: shadow.Formats}}},
		{Method: http.MethodGet, Path: p + "/shadow-ai/findings", OperationID: "listShadowAiFindings", Tag: "aegis",
			Summary:    "Shadow AI findings (one per service host and source), most recently seen first",
			Permission: r, Response: rm.ShadowFinding{}, List: true, Handler: a.shadowFindings, Query: []platform.Param{
				{Name: "state", Description: "Only findings in this lifecycle state", Enum: aegis.ShadowStates},
				{Name: "attribution", Description: "Only shadow, sanctioned or agent traffic", Enum: []string{"shadow", "sanctioned", "agent"}},
				{Name: "category", Description: "Only this kind of service", Enum: []string{shadow.CategoryProviderAPI, shadow.CategoryConsumerApp, shadow.CategoryCoding, shadow.CategoryAgent}},
				{Name: "severity", Description: "Only findings of this severity", Enum: []string{"low", "medium", "high", "critical"}},
				{Name: "service_host", Description: "Only findings of this service host"},
				{Name: "source", Description: "Only findings of this source"}}},
		{Method: http.MethodGet, Path: p + "/shadow-ai/findings/:id", OperationID: "getShadowAiFinding", Tag: "aegis", Summary: "One Shadow AI finding",
			Permission: r, Response: rm.ShadowFinding{}, Handler: a.shadowFinding, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/shadow-ai/findings/:id", OperationID: "triageShadowAiFinding", Tag: "aegis",
			Summary:    "Triage a finding: detected → sanctioned, unsanctioned or blocked (aegis.ShadowAiTriaged)",
			Permission: w, Request: TriageRequest{}, Response: rm.ShadowFinding{}, Handler: a.triageShadow, Errors: []int{404, 422}},
		{Method: http.MethodGet, Path: p + "/shadow-ai/services", OperationID: "listShadowAiServices", Tag: "aegis",
			Summary:    "AI services seen, by service host: sources, shadow sources, volume, first and last seen, findings by state",
			Permission: r, Response: rm.ShadowService{}, List: true, Handler: a.shadowServices},
		{Method: http.MethodGet, Path: p + "/shadow-ai/summary", OperationID: "shadowAiSummary", Tag: "aegis",
			Summary:    "Shadow AI at a glance: findings by state, attribution, category and severity; services, sources, logs and lines read",
			Permission: r, Response: rm.ShadowSummary{}, Handler: a.shadowSummary},
	}
}

func (a *API) ingestShadow(c echo.Context) error {
	req := c.Request()
	format := c.QueryParam("format")
	if format == "" {
		mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		switch mt {
		case "application/x-ndjson", "application/jsonl", "application/json":
			format = shadow.FormatNDJSON
		case "text/csv":
			format = shadow.FormatCSV
		default:
			return platform.Problem("VAL-003", "Send application/x-ndjson, text/csv, or text/plain with format=squid|zeek|zeek_dns|zeek_http.")
		}
	}
	ctx := req.Context()
	t := tenant(c)
	body := http.MaxBytesReader(c.Response(), req.Body, platform.BodyLimit(c))
	var found shadow.Findings
	var matched int64
	st, err := shadow.Read(body, format, func(r *shadow.Record) {
		if found.Add(r) {
			matched++
		}
	})
	if err != nil {
		return fmt.Errorf("%w: %v", aegis.ErrInvalidShadow, err)
	}
	st.Matched = matched
	if st.Errors == nil {
		st.Errors = []string{}
	}
	sanctioned, agents := map[string]bool{}, map[string]string{}
	if a.Shadow != nil {
		if sanctioned, err = a.Shadow.SanctionedHosts(ctx, t); err != nil {
			return err
		}
		if agents, err = a.Shadow.AgentSources(ctx, t); err != nil {
			return err
		}
	}
	groups := found.Groups()
	out := IngestResult{IngestID: uuid.Must(uuid.NewV7()).String(), Format: format, Stats: st, Findings: len(groups), Groups: []IngestGroup{}}
	attributed := make([]cmd.Attributed, len(groups))
	for i, g := range groups {
		at := cmd.Attributed{Group: g, Attribution: "shadow"}
		if id, ok := agents[g.Source]; ok {
			at.Attribution, at.AgentID = "agent", id
		} else if sanctioned[g.ServiceHost] {
			at.Attribution = "sanctioned"
		}
		if at.Attribution == "shadow" {
			out.Shadow++
		}
		attributed[i] = at
		if len(out.Groups) < 500 {
			out.Groups = append(out.Groups, IngestGroup{FindingID: cmd.ShadowFindingID(t, g.ServiceHost, g.Source), Service: g.Service.Name,
				ServiceHost: g.ServiceHost, Category: g.Service.Category, Source: g.Source, Attribution: at.Attribution, Requests: g.Requests})
		} else {
			out.Truncated = true
		}
	}
	evs, err := a.Commands.RecordShadowLog(ctx, writes.Metadata(c), cmd.RecordShadowLog{IngestID: out.IngestID, Format: format, Stats: st, Groups: attributed})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return platform.Respond(c, http.StatusOK, out) })
}

func (a *API) shadowFindings(c echo.Context) error {
	f := rm.ShadowFilter{State: c.QueryParam("state"), Attribution: c.QueryParam("attribution"), Category: c.QueryParam("category"),
		ServiceHost: c.QueryParam("service_host"), Source: c.QueryParam("source"), Severity: c.QueryParam("severity")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.ShadowFinding], error) {
		return a.Queries.ShadowFindings(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answerShadow(c echo.Context, id string) error {
	f, err := a.Queries.ShadowFinding(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, http.StatusOK, "shadow-ai/findings/"+id, f.Version, f)
}

func (a *API) shadowFinding(c echo.Context) error {
	id, err := shadowFindingID(c)
	if err != nil {
		return err
	}
	return a.answerShadow(c, id)
}

func (a *API) triageShadow(c echo.Context) error {
	id, err := shadowFindingID(c)
	if err != nil {
		return err
	}
	var req TriageRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.TriageShadowFinding(c.Request().Context(), writes.Metadata(c), cmd.TriageShadowFinding{ID: id, To: req.State, Note: req.Note})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerShadow(c, id) })
}

func (a *API) shadowServices(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.ShadowService], error) {
		return a.Queries.ShadowServices(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) shadowSummary(c echo.Context) error {
	s, err := a.Queries.ShadowSummary(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, s)
}
