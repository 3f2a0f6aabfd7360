package resilience

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/resilience"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/resilience"
)

// ExperimentRequest is the body of POST /resilience/chaos/experiments.
type ExperimentRequest struct {
	Name  string `json:"name" validate:"required,max=300"`
	Fault struct {
		Kind string `json:"kind" validate:"required,oneof=latency error timeout outage"`
		// LatencyMs is added before the call (latency) or waited before failing (timeout); at most 30,000.
		LatencyMs int `json:"latency_ms,omitempty" validate:"min=0,max=30000"`
	} `json:"fault"`
	Scope struct {
		// Platform faults every tenant's calls (platform_admin only).
		Platform bool   `json:"platform,omitempty"`
		Provider string `json:"provider,omitempty" validate:"max=200"`
		Model    string `json:"model,omitempty" validate:"max=200"`
		// Share of the matching calls faulted, in (0, 1].
		Share float64 `json:"share" validate:"required,gt=0,lte=1"`
	} `json:"scope"`
	// DurationSeconds bounds the experiment (1 to 900).
	DurationSeconds int `json:"duration_seconds" validate:"required,min=1,max=900"`
	// MaxErrorRate aborts the experiment when its faulted calls fail more often (default 0.5).
	MaxErrorRate *float64 `json:"max_error_rate,omitempty" validate:"omitempty,gt=0,lte=1"`
}

// AbortRequest is the optional body of POST /resilience/chaos/experiments/{id}/abort.
type AbortRequest struct {
	Reason string `json:"reason,omitempty" validate:"max=2000"`
}

func (a *API) chaosRoutes(p, r, w string) []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/chaos/experiments", OperationID: "listChaosExperiments", Tag: "resilience", Summary: "Chaos experiments, newest first",
			Permission: r, Response: rm.Experiment{}, List: true, Handler: a.experiments, Query: []platform.Param{
				{Name: "status", Description: "Only experiments in this state", Enum: []string{"running", "completed", "aborted"}}}},
		{Method: http.MethodPost, Path: p + "/chaos/experiments", OperationID: "startChaosExperiment", Tag: "resilience",
			Summary: "Start a real fault injection into this platform's gateway: provider latency, errors, timeouts or a full outage, for a share of the " +
				"tenant's calls (optionally one provider and model), for a bounded time, on every instance at once. Guard rails: the tenant's running " +
				"experiments fault at most the configured share of its calls together (409 RES-008), the platform scope needs platform_admin (403 RES-009), " +
				"and the experiment aborts itself when its faulted calls fail more often than max_error_rate. The result (error rate, fallback success, " +
				"latency during and after, time to recover) is measured from the gateway's request log (ChaosStarted, then ChaosCompleted or ChaosAborted)",
			Permission: w, Request: ExperimentRequest{}, Response: rm.Experiment{}, Status: http.StatusCreated, Handler: a.startExperiment, Errors: []int{403, 409, 422}},
		{Method: http.MethodGet, Path: p + "/chaos/experiments/:id", OperationID: "getChaosExperiment", Tag: "resilience", Summary: "One experiment with its result once ended",
			Permission: r, Response: rm.Experiment{}, Handler: a.experiment, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/chaos/experiments/:id/abort", OperationID: "abortChaosExperiment", Tag: "resilience",
			Summary:    "Abort an experiment: every instance stops injecting its fault at once; the result so far is recorded (ChaosAborted)",
			Permission: w, Request: AbortRequest{}, Response: rm.Experiment{}, Handler: a.abortExperiment, Errors: []int{404, 409}},
	}
}

func (a *API) experiments(c echo.Context) error {
	status := c.QueryParam("status")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Experiment], error) {
		return a.Queries.Experiments(c.Request().Context(), tenant(c), status, p)
	})
}

func (a *API) answerExperiment(c echo.Context, status int, id string) error {
	x, err := a.Queries.Experiment(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/resilience/chaos/experiments/"+id)
	}
	return platform.Respond(c, status, x)
}

func (a *API) experiment(c echo.Context) error {
	id, err := experimentID(c)
	if err != nil {
		return err
	}
	return a.answerExperiment(c, http.StatusOK, id)
}

func (a *API) startExperiment(c echo.Context) error {
	var req ExperimentRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	maxErr := 0.5
	if req.MaxErrorRate != nil {
		maxErr = *req.MaxErrorRate
	}
	p := auth.PrincipalOf(c)
	id, evs, err := a.Commands.StartExperiment(c.Request().Context(), writes.Metadata(c), cmd.StartExperiment{Name: req.Name,
		Fault:    resilience.Fault{Kind: req.Fault.Kind, LatencyMs: req.Fault.LatencyMs},
		Scope:    resilience.Scope{Platform: req.Scope.Platform, Provider: req.Scope.Provider, Model: req.Scope.Model, Share: req.Scope.Share},
		Duration: time.Duration(req.DurationSeconds) * time.Second, MaxErrorRate: maxErr, PlatformAdmin: p.Role == iam.RolePlatformAdmin})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerExperiment(c, http.StatusCreated, id) })
}

func (a *API) abortExperiment(c echo.Context) error {
	id, err := experimentID(c)
	if err != nil {
		return err
	}
	var req AbortRequest
	if err := platform.BindOptional(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.AbortExperiment(c.Request().Context(), writes.Metadata(c), id, req.Reason)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerExperiment(c, http.StatusOK, id) })
}
