package aegis

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/commands"
	cmd "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/behaviour"
	"github.com/astrabastion/astra/domain/aegis/telemetry"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// AgentRequest is the body of POST /aegis/agents.
type AgentRequest struct {
	Name        string   `json:"name" validate:"required,max=200"`
	Description string   `json:"description" validate:"max=2000"`
	Owner       string   `json:"owner" validate:"max=200"`
	Model       string   `json:"model" validate:"max=200"`
	Provider    string   `json:"provider" validate:"max=100"`
	Tools       []string `json:"tools" validate:"max=200,dive,min=1,max=200"`
	Autonomy    string   `json:"autonomy_level" validate:"omitempty,oneof=assistive supervised autonomous" enum:"assistive,supervised,autonomous"`
	DataScopes  []string `json:"data_scopes" validate:"max=200,dive,min=1,max=200"`
	// APIKeyIDs are the IAM API keys the agent uses at the gateway (no other agent's).
	APIKeyIDs []string `json:"api_key_ids" validate:"max=200,dive,uuid"`
	// AutoQuarantine quarantines the agent on an anomaly of this severity or worse.
	AutoQuarantine string `json:"auto_quarantine" validate:"omitempty,oneof=off low medium high critical" enum:"off,low,medium,high,critical"`
}

// AgentPatch is the body of PATCH /aegis/agents/{id} (absent fields stay).
type AgentPatch struct {
	Name           *string   `json:"name,omitempty" validate:"omitempty,min=1,max=200"`
	Description    *string   `json:"description,omitempty" validate:"omitempty,max=2000"`
	Owner          *string   `json:"owner,omitempty" validate:"omitempty,max=200"`
	Model          *string   `json:"model,omitempty" validate:"omitempty,max=200"`
	Provider       *string   `json:"provider,omitempty" validate:"omitempty,max=100"`
	Tools          *[]string `json:"tools,omitempty" validate:"omitempty,max=200,dive,min=1,max=200"`
	Autonomy       *string   `json:"autonomy_level,omitempty" validate:"omitempty,oneof=assistive supervised autonomous" enum:"assistive,supervised,autonomous"`
	DataScopes     *[]string `json:"data_scopes,omitempty" validate:"omitempty,max=200,dive,min=1,max=200"`
	APIKeyIDs      *[]string `json:"api_key_ids,omitempty" validate:"omitempty,max=200,dive,uuid"`
	AutoQuarantine *string   `json:"auto_quarantine,omitempty" validate:"omitempty,oneof=off low medium high critical" enum:"off,low,medium,high,critical"`
}

// ContainRequest is the body of quarantine, release and kill.
type ContainRequest struct {
	Reason string `json:"reason" validate:"required,max=1000"`
}

// TelemetryRequest is our batch format (POST /aegis/agents/{id}/telemetry
// also takes OTLP trace exports).
type TelemetryRequest struct {
	Actions []aegis.Action `json:"actions" validate:"required,min=1,max=5000"`
	// BatchID makes a retried batch idempotent.
	BatchID string `json:"batch_id,omitempty" validate:"omitempty,max=100"`
}

// TelemetryResult is the answer to our batch format.
type TelemetryResult struct {
	BatchID string `json:"batch_id"`
	Actions int    `json:"actions"`
	Source  string `json:"source" enum:"api,otlp"`
}

// BaselineView is an agent's learnt baseline as shown.
type BaselineView struct {
	AgentID string `json:"agent_id"`
	// Warm says the warm-up is over and activity is judged against it.
	Warm        bool `json:"warm"`
	WarmupHours int  `json:"warmup_hours"`
	// Baseline is null before any activity.
	Baseline *behaviour.Baseline `json:"baseline"`
}

// RiskView is an agent's risk.
type RiskView struct {
	AgentID string `json:"agent_id"`
	behaviour.RiskScore
	ComputedAt time.Time `json:"computed_at"`
}

func (a *API) agents(c echo.Context) error {
	f := rm.AgentFilter{Status: c.QueryParam("status"), Owner: c.QueryParam("owner")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Agent], error) {
		return a.Queries.Agents(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) discovered(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Discovered], error) {
		return a.Queries.Discovered(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) answerAgent(c echo.Context, status int, id string) error {
	x, err := a.Queries.Agent(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return answer(c, status, "agents/"+id, x.Version, x)
}

func (a *API) agent(c echo.Context) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	return a.answerAgent(c, http.StatusOK, id)
}

func (a *API) registerAgent(c echo.Context) error {
	var req AgentRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.RegisterAgent(c.Request().Context(), writes.Metadata(c), cmd.RegisterAgent{Profile: aegis.Profile{
		Name: req.Name, Description: req.Description, Owner: req.Owner, Model: req.Model, Provider: req.Provider, Tools: req.Tools,
		Autonomy: req.Autonomy, DataScopes: req.DataScopes, APIKeyIDs: req.APIKeyIDs, AutoQuarantine: req.AutoQuarantine}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAgent(c, http.StatusCreated, id) })
}

func (a *API) updateAgent(c echo.Context) error {
	id, expected, err := writes.Versioned(c, agentID)
	if err != nil {
		return err
	}
	var req AgentPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateAgent(c.Request().Context(), writes.Metadata(c), cmd.UpdateAgent{ID: id, Expected: expected,
		Change: aegis.AgentUpdatedV1{Name: req.Name, Description: req.Description, Owner: req.Owner, Model: req.Model, Provider: req.Provider,
			Tools: req.Tools, Autonomy: req.Autonomy, DataScopes: req.DataScopes, APIKeyIDs: req.APIKeyIDs, AutoQuarantine: req.AutoQuarantine}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAgent(c, http.StatusOK, id) })
}

func (a *API) retireAgent(c echo.Context) error {
	id, expected, err := writes.Versioned(c, agentID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RetireAgent(c.Request().Context(), writes.Metadata(c), cmd.RetireAgent{ID: id, Expected: expected})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

// contain runs a containment command and answers the agent after it.
func (a *API) contain(c echo.Context, run func(context.Context, commands.Metadata, cmd.Contain) ([]commands.Event, error)) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	var req ContainRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := run(c.Request().Context(), writes.Metadata(c), cmd.Contain{ID: id, Reason: req.Reason})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerAgent(c, http.StatusOK, id) })
}

func (a *API) quarantine(c echo.Context) error {
	return a.contain(c, a.Commands.Quarantine)
}

func (a *API) release(c echo.Context) error {
	return a.contain(c, a.Commands.Release)
}

func (a *API) kill(c echo.Context) error {
	return a.contain(c, a.Commands.Kill)
}

// Telemetry media types.
const (
	mediaProtobuf = "application/x-protobuf"
	mediaJSON     = "application/json"
)

// telemetry records a batch in our format, or an OTLP trace export (JSON or
// protobuf), which is answered as OTLP/HTTP expects.
func (a *API) telemetry(c echo.Context) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	req := c.Request()
	limit := platform.BodyLimit(c)
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return platform.Problem("VAL-004", "The telemetry batch exceeds the limit of 8 MB.")
	}
	if err != nil {
		return platform.Problem("VAL-002", "The request body could not be read.")
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	now := time.Now().UTC()
	var actions []aegis.Action
	var otlp string
	var batchID string
	switch {
	case mt == mediaProtobuf || mt == "application/protobuf":
		otlp = mediaProtobuf
		actions, err = telemetry.FromOTLPProto(body, now)
	case (mt == mediaJSON || strings.HasSuffix(mt, "+json")) && telemetry.IsOTLPJSON(body):
		otlp = mediaJSON
		actions, err = telemetry.FromOTLPJSON(body, now)
	case mt == mediaJSON || strings.HasSuffix(mt, "+json"):
		req.Body = io.NopCloser(bytes.NewReader(body))
		var tr TelemetryRequest
		if err := platform.Bind(c, &tr); err != nil {
			return err
		}
		batchID = tr.BatchID
		actions, err = telemetry.FromBatch(tr.Actions, now)
	default:
		return platform.Problem("VAL-003", "Send our batch as application/json, or an OTLP trace export as application/json or application/x-protobuf.")
	}
	if err != nil {
		return err
	}
	source := aegis.SourceAPI
	if otlp != "" {
		source = aegis.SourceOTLP
		if len(actions) == 0 {
			return otlpAnswer(c, otlp) // spans of nothing AEGIS counts
		}
	}
	out, err := a.Commands.RecordActivity(req.Context(), writes.Metadata(c), cmd.RecordActivity{AgentID: id, Source: source, Actions: actions, BatchID: batchID})
	if err != nil {
		return err
	}
	if otlp != "" {
		return otlpAnswer(c, otlp)
	}
	return a.Writes.Then(c, out.Events, nil, rm.Name, func() error {
		return platform.Respond(c, http.StatusAccepted, TelemetryResult{BatchID: out.BatchID, Actions: len(actions), Source: source})
	})
}

// otlpAnswer is OTLP/HTTP's success: an empty ExportTraceServiceResponse
// in the request's encoding.
func otlpAnswer(c echo.Context, media string) error {
	if media == mediaProtobuf {
		return c.Blob(http.StatusOK, mediaProtobuf, nil)
	}
	return c.Blob(http.StatusOK, mediaJSON, []byte("{}"))
}

func (a *API) activity(c echo.Context) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	f := rm.ActivityFilter{Kind: c.QueryParam("kind"), Source: c.QueryParam("source"), Tool: c.QueryParam("tool"), Destination: c.QueryParam("destination")}
	if f.From, err = platform.QueryTime(c, "from"); err != nil {
		return err
	}
	if f.To, err = platform.QueryTime(c, "to"); err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Action], error) {
		return a.Queries.Activity(c.Request().Context(), tenant(c), id, f, p)
	})
}

func (a *API) anomalies(c echo.Context) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	kind := c.QueryParam("kind")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Anomaly], error) {
		return a.Queries.Anomalies(c.Request().Context(), tenant(c), id, kind, p)
	})
}

func (a *API) baseline(c echo.Context) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := a.Queries.Agent(ctx, tenant(c), id); err != nil {
		return err
	}
	b, err := a.Queries.Baseline(ctx, tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, BaselineView{AgentID: id, Warm: b != nil && b.Warm(), WarmupHours: behaviour.WarmupHours, Baseline: b})
}

// riskWindow is how far back anomalies count towards the risk.
const riskWindow = 14 * 24 * time.Hour

func (a *API) risk(c echo.Context) error {
	id, err := agentID(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	in, err := a.Queries.RiskInputs(c.Request().Context(), tenant(c), id, now.Add(-riskWindow))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, RiskView{AgentID: id, RiskScore: behaviour.Risk(in, now), ComputedAt: now})
}
