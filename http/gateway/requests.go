package gateway

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// SimulateRequest is the body of POST /gateway/policies/{id}/simulate.
type SimulateRequest struct {
	Prompt   string              `json:"prompt,omitempty" validate:"max=1000000"`
	Messages []providers.Message `json:"messages,omitempty" validate:"max=1000,dive"`
	Tools    []providers.Tool    `json:"tools,omitempty" validate:"max=128"`
	Provider string              `json:"provider,omitempty" validate:"max=100"`
	Model    string              `json:"model,omitempty" validate:"max=200"`
	Version  int                 `json:"version,omitempty" validate:"min=0"`
}

// SimulateResponse is what the policy would decide.
type SimulateResponse struct {
	Allowed   bool             `json:"allowed"`
	ErrorCode string           `json:"error_code,omitempty"`
	Detail    string           `json:"detail,omitempty"`
	Security  gateway.Security `json:"security"`
	Steps     []gw.StepTrace   `json:"steps"`
	Version   int              `json:"policy_version"`
}

// BacktestRequest is the body of POST /gateway/policies/{id}/backtest.
type BacktestRequest struct {
	From   time.Time  `json:"from" validate:"required"`
	To     time.Time  `json:"to" validate:"required"`
	Policy *gw.Policy `json:"policy,omitempty"` // a draft; else the stored current version
	Limit  int        `json:"limit,omitempty" validate:"min=0,max=100000"`
}

// BacktestChange is one request whose outcome the policy would change.
type BacktestChange struct {
	RequestID string `json:"request_id"`
	Was       string `json:"was"`
	Would     string `json:"would"`
	ErrorCode string `json:"error_code,omitempty"`
}

// BacktestResponse reports what the policy would have done to recorded traffic.
type BacktestResponse struct {
	Requests       int              `json:"requests"`
	Evaluated      int              `json:"evaluated"`
	SkippedNoText  int              `json:"skipped_no_content"`
	WouldBlock     int              `json:"would_block"`
	WasBlocked     int              `json:"was_blocked"`
	NewlyBlocked   int              `json:"newly_blocked"`
	NewlyAllowed   int              `json:"newly_allowed"`
	ByCode         map[string]int   `json:"would_block_by_code"`
	Changes        []BacktestChange `json:"changes"`
	PolicyVersion  int              `json:"policy_version"`
	EvaluatedDraft bool             `json:"draft"`
}

// EmbeddingsRequest is the body of POST /gateway/embeddings.
type EmbeddingsRequest struct {
	Provider string   `json:"provider" validate:"required,max=100"`
	Model    string   `json:"model" validate:"required,max=200"`
	Input    []string `json:"input" validate:"required,min=1,max=2048,dive,max=100000"`
	PolicyID string   `json:"policy_id,omitempty" validate:"max=100"`
}

// ModelInfo is one model available to the caller.
type ModelInfo struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
}

// requestQuery are the request log's filters (stats take only the period: requestQuery[6:]).
var requestQuery = []platform.Param{
	{Name: "provider", Description: "Only requests to this provider (its name)", Schema: "string"},
	{Name: "model", Description: "Only requests for this model (normalised id)", Schema: "string"},
	{Name: "principal", Description: "Only requests of this principal (user or API key id)", Schema: "string"},
	{Name: "policy_id", Description: "Only requests held to this policy", Schema: "string"},
	{Name: "blocked", Description: "Only blocked (true) or only passed (false) requests", Schema: "boolean", Enum: []string{"true", "false"}},
	{Name: "outcome", Description: "Only requests with this outcome: completed, blocked (by the policy) or failed (no provider answered)", Schema: "string", Enum: rmgw.Outcomes},
	{Name: "from", Description: "Only requests at or after this time (RFC 3339)", Schema: "date-time"},
	{Name: "to", Description: "Only requests before this time (RFC 3339)", Schema: "date-time"},
}

// TrafficRoutes declares the request log, simulation and the other traffic routes.
func (a *Admin) TrafficRoutes(api *API) []platform.Route {
	return withDependencyErrors([]platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/gateway/requests", OperationID: "listRequests", Tag: "gateway", Summary: "The request log, newest first (no trace or content: read one request for them)",
			Permission: "gateway:read", Response: rmgw.Request{}, List: true, Query: requestQuery, Handler: a.listRequests},
		{Method: http.MethodGet, Path: "/api/v1/gateway/requests/stats", OperationID: "requestStats", Tag: "gateway", Summary: "Counts, block rate, latency percentiles, tokens and cost by provider/model/principal",
			Permission: "gateway:read", Response: rmgw.Stats{}, Query: requestQuery[6:], Handler: a.requestStats},
		{Method: http.MethodGet, Path: "/api/v1/gateway/requests/export", OperationID: "exportRequests", Tag: "gateway", Summary: "NDJSON (default) or CSV (format=csv) export",
			Permission: "gateway:read", Raw: true, ContentType: "application/x-ndjson", AlsoAnswers: []string{"text/csv"},
			Query: append([]platform.Param{{Name: "format", Schema: "string", Enum: []string{"ndjson", "csv"}, Description: "ndjson (default) or csv"}}, requestQuery...), Handler: a.exportRequests},
		{Method: http.MethodGet, Path: "/api/v1/gateway/usage", OperationID: "gatewayUsage", Tag: "gateway",
			Summary:    "Tokens and cost per day by provider, model and principal, from the request log (default: the last 30 days)",
			Permission: "gateway:read", Response: rmgw.Usage{}, Query: requestQuery, Handler: a.usage},
		{Method: http.MethodGet, Path: "/api/v1/gateway/requests/:id", OperationID: "getRequest", Tag: "gateway", Summary: "One request with every step's verdict, score and duration",
			Permission: "gateway:read", Response: rmgw.Request{}, Handler: a.getRequest, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/policies/:id/simulate", OperationID: "simulatePolicy", Tag: "gateway", Summary: "One prompt against this policy (nothing recorded)",
			Permission: "gateway:read", Request: SimulateRequest{}, Response: SimulateResponse{}, Handler: a.simulate, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/policies/:id/backtest", OperationID: "backtestPolicy", Tag: "gateway", Summary: "Replay recorded traffic of a period against this (or a draft) policy",
			Permission: "gateway:read", Request: BacktestRequest{}, Response: BacktestResponse{}, Handler: a.backtest, Errors: []int{404, 422}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/embeddings", OperationID: "gatewayEmbeddings", Tag: "gateway", Summary: "Embeddings through the pipeline",
			Permission: "gateway:write", Request: EmbeddingsRequest{}, Response: providers.EmbeddingResponse{}, Handler: api.embeddings, Errors: []int{400, 404, 422, 502, 503, 504}},
		{Method: http.MethodGet, Path: "/api/v1/gateway/models", OperationID: "gatewayModels", Tag: "gateway", Summary: "Models available to the caller",
			Permission: "gateway:read", Response: ModelInfo{}, List: true, Handler: api.models},
	})
}

func (a *Admin) requestFilter(c echo.Context) (rmgw.RequestFilter, error) {
	f := rmgw.RequestFilter{Provider: c.QueryParam("provider"), Model: c.QueryParam("model"), Principal: c.QueryParam("principal"), PolicyID: c.QueryParam("policy_id")}
	for name, v := range map[string]string{"provider": f.Provider, "model": f.Model, "principal": f.Principal, "policy_id": f.PolicyID} {
		if len(v) > 200 {
			return f, platform.Problem("VAL-005", "Query parameter '"+name+"' is too long.")
		}
	}
	if b := c.QueryParam("blocked"); b != "" {
		v, err := strconv.ParseBool(b)
		if err != nil {
			return f, platform.Problem("VAL-005", "blocked must be true or false.")
		}
		f.Blocked = &v
	}
	if o := c.QueryParam("outcome"); o != "" {
		if !slices.Contains(rmgw.Outcomes, o) {
			return f, platform.Problem("VAL-005", "outcome must be completed, blocked or failed.")
		}
		f.Outcome = o
	}
	var err error
	f.From, f.To, err = platform.QueryPeriod(c)
	return f, err
}

func (a *Admin) listRequests(c echo.Context) error {
	f, err := a.requestFilter(c)
	if err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmgw.Request], error) {
		page, err := a.Queries.ListRequests(c.Request().Context(), tenantOf(c), f, p)
		for i := range page.Items {
			// The list is for browsing: a request's trace and content are read one at a time.
			page.Items[i].Steps, page.Items[i].Prompt, page.Items[i].Completion = nil, "", ""
		}
		return page, err
	})
}

func (a *Admin) openContent(c echo.Context, r *rmgw.Request) {
	ctx := c.Request().Context()
	if r.Prompt != "" {
		r.Prompt = a.Runtime.Keys.MustOpen(ctx, r.Prompt)
	}
	if r.Completion != "" {
		r.Completion = a.Runtime.Keys.MustOpen(ctx, r.Completion)
	}
}

func (a *Admin) getRequest(c echo.Context) error {
	id := c.Param("id")
	if len(id) > 100 {
		return gw.ErrRequestNotFound
	}
	r, err := a.Queries.Request(c.Request().Context(), tenantOf(c), id)
	if err != nil {
		return err
	}
	if r == nil {
		return gw.ErrRequestNotFound
	}
	a.openContent(c, r)
	return platform.Respond(c, http.StatusOK, r)
}

func (a *Admin) requestStats(c echo.Context) error {
	f, err := a.requestFilter(c)
	if err != nil {
		return err
	}
	st, err := a.Queries.RequestStats(c.Request().Context(), tenantOf(c), f.From, f.To)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, st)
}

// maxUsageWindow bounds the period of a usage report.
const maxUsageWindow = 366 * 24 * time.Hour

func (a *Admin) usage(c echo.Context) error {
	f, err := a.requestFilter(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if f.To == nil {
		f.To = &now
	}
	if f.From == nil {
		day := time.Date(f.To.Year(), f.To.Month(), f.To.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -29)
		f.From = &day
	}
	if !f.To.After(*f.From) {
		return platform.Problem("VAL-005", "to must be after from.").WithFields(platform.FieldError{Field: "to", Message: "must be after from"})
	}
	if f.To.Sub(*f.From) > maxUsageWindow {
		return platform.Problem("VAL-005", "A usage report covers at most 366 days.").WithFields(platform.FieldError{Field: "from", Message: "at most 366 days before to"})
	}
	u, err := a.Queries.RequestUsage(c.Request().Context(), tenantOf(c), f)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, u)
}

func (a *Admin) exportRequests(c echo.Context) error {
	f, err := a.requestFilter(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "ndjson" && format != "csv" {
		return platform.Problem("VAL-005", "format must be ndjson or csv.")
	}
	res := c.Response()
	if format == "csv" {
		res.Header().Set(echo.HeaderContentType, "text/csv")
	} else {
		res.Header().Set(echo.HeaderContentType, "application/x-ndjson")
	}
	res.WriteHeader(http.StatusOK)
	w := bufio.NewWriterSize(res, 64<<10)
	cw := csv.NewWriter(w)
	if format == "csv" {
		_ = cw.Write([]string{"id", "time", "principal", "provider", "model", "policy_id", "policy_version", "status", "blocked", "blocked_by",
			"outcome", "failure_cause", "error_code", "injection_score", "pii_types", "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms"})
	}
	f.Limit = 1000
	for {
		rs, more, err := a.Queries.Requests(c.Request().Context(), tenantOf(c), f)
		if err != nil {
			platform.Logger(c).Error("request export failed midway", "err", err)
			break
		}
		for i := range rs {
			r := &rs[i]
			if format == "csv" {
				_ = cw.Write([]string{r.ID, r.Time.Format(time.RFC3339Nano), r.Principal, r.Provider, r.Model, r.PolicyID, strconv.Itoa(r.PolicyVersion),
					strconv.Itoa(r.Status), strconv.FormatBool(r.Blocked), r.BlockedBy, r.Outcome, failureCause(r), r.ErrorCode, strconv.FormatFloat(r.InjectionScore, 'f', 3, 64),
					strings.Join(r.PIITypes, ";"), strconv.Itoa(r.PromptTokens), strconv.Itoa(r.CompletionTokens),
					csvCost(r.CostUSD), strconv.FormatFloat(r.LatencyMs, 'f', 3, 64)})
				continue
			}
			r.Prompt, r.Completion = "", ""
			b, _ := json.Marshal(r)
			_, _ = w.Write(append(b, '\n'))
		}
		if !more {
			break
		}
		f.AfterPosition = rs[len(rs)-1].Position
	}
	cw.Flush()
	return w.Flush()
}

func (a *Admin) simulate(c echo.Context) error {
	var req SimulateRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	msgs := req.Messages
	if req.Prompt != "" {
		msgs = append(msgs, providers.Message{Role: "user", Content: req.Prompt})
	}
	if len(msgs) == 0 {
		return platform.Problem("VAL-001", "Give a prompt or messages.").WithFields(platform.FieldError{Field: "prompt", Message: "prompt or messages is required"})
	}
	pv, err := a.Queries.Policy(c.Request().Context(), tenantOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if pv == nil {
		return gw.ErrPolicyNotFound
	}
	pol, version := pv.Policy, pv.Version
	if req.Version > 0 && req.Version != pv.Version {
		v, err := a.Queries.PolicyVersionOf(c.Request().Context(), tenantOf(c), pv.ID, req.Version)
		if err != nil {
			return err
		}
		if v == nil {
			return gw.ErrVersionNotFound
		}
		pol, version = v.Policy, v.Version
	}
	provider, model := req.Provider, req.Model
	if provider == "" {
		provider = "mock"
	}
	if model == "" {
		model = "mock-small"
	}
	ev := a.Runtime.Evaluate(c.Request().Context(), Caller(c), pv.ID, version, pol, provider, model, msgs, req.Tools)
	out := SimulateResponse{Allowed: ev.Blocked == nil, Security: ev.Security, Steps: ev.Trace, Version: version}
	if ev.Blocked != nil {
		out.ErrorCode, out.Detail = ev.Blocked.Code, ev.Blocked.Detail
	}
	return platform.Respond(c, http.StatusOK, out)
}

func (a *Admin) backtest(c echo.Context) error {
	var req BacktestRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if !req.To.After(req.From) {
		return platform.Problem("VAL-001", "to must be after from.").WithFields(platform.FieldError{Field: "to", Message: "must be after from"})
	}
	pv, err := a.Queries.Policy(c.Request().Context(), tenantOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if pv == nil {
		return gw.ErrPolicyNotFound
	}
	pol := pv.Policy
	out := BacktestResponse{ByCode: map[string]int{}, Changes: []BacktestChange{}, PolicyVersion: pv.Version}
	if req.Policy != nil {
		pol = *req.Policy
		if err := pol.Normalize(); err != nil {
			return err
		}
		out.EvaluatedDraft = true
	}
	limit := req.Limit
	if limit == 0 {
		limit = 10000
	}
	f := rmgw.RequestFilter{From: &req.From, To: &req.To, Limit: 500}
	caller := Caller(c)
	for out.Requests < limit {
		rs, more, err := a.Queries.Requests(c.Request().Context(), tenantOf(c), f)
		if err != nil {
			return err
		}
		for i := range rs {
			r := &rs[i]
			if r.Endpoint == "scan" || r.Endpoint == "simulate" {
				continue
			}
			out.Requests++
			if r.Blocked {
				out.WasBlocked++
			}
			text := a.Runtime.RecordedContent(c.Request().Context(), r.Prompt)
			if text == "" {
				out.SkippedNoText++
				continue
			}
			out.Evaluated++
			ev := a.Runtime.Evaluate(c.Request().Context(), caller, pv.ID, pv.Version, pol, r.Provider, r.Model, []providers.Message{{Role: "user", Content: text}}, nil)
			would := "allowed"
			if ev.Blocked != nil {
				would = "blocked"
				out.WouldBlock++
				out.ByCode[ev.Blocked.Code]++
			}
			was := "allowed"
			if r.Blocked {
				was = "blocked"
			}
			if was != would {
				if would == "blocked" {
					out.NewlyBlocked++
				} else {
					out.NewlyAllowed++
				}
				if len(out.Changes) < 200 {
					ch := BacktestChange{RequestID: r.ID, Was: was, Would: would}
					if ev.Blocked != nil {
						ch.ErrorCode = ev.Blocked.Code
					}
					out.Changes = append(out.Changes, ch)
				}
			}
		}
		if !more {
			break
		}
		f.AfterPosition = rs[len(rs)-1].Position
	}
	return platform.Respond(c, http.StatusOK, out)
}

func (a *API) embeddings(c echo.Context) error {
	var req EmbeddingsRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	res, err := a.Runtime.Embeddings(c.Request().Context(), &gateway.Call{Caller: Caller(c), Endpoint: "embeddings", Provider: req.Provider,
		PolicyID: req.PolicyID, RequestID: platform.RequestID(c), Correlation: platform.RequestID(c), Started: requestStart(c)}, req.Model, req.Input)
	if err != nil {
		return err
	}
	if res.Blocked != nil {
		return Problem(res.Blocked)
	}
	return platform.Respond(c, http.StatusOK, res.Embeddings)
}

func (a *API) models(c echo.Context) error {
	ms, err := a.Runtime.ModelsFor(c.Request().Context(), Caller(c).TenantID)
	if err != nil {
		return err
	}
	out := make([]ModelInfo, 0, len(ms))
	for _, m := range ms {
		out = append(out, ModelInfo{ID: m.ID, Provider: m.Provider})
	}
	key := func(m ModelInfo) string { return m.Provider + "/" + m.ID }
	slices.SortFunc(out, func(a, b ModelInfo) int { return strings.Compare(key(a), key(b)) })
	return platform.MemoryPage(c, out, key)
}

// failureCause is a failed request's cause ("" when it did not fail).
func failureCause(r *rmgw.Request) string {
	if r.Failure == nil {
		return ""
	}
	return r.Failure.Cause
}

// csvCost is a request's cost in the CSV export: empty when unknown (no price).
func csvCost(c *float64) string {
	if c == nil {
		return ""
	}
	return strconv.FormatFloat(*c, 'f', 6, 64)
}
