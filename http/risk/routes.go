// Package risk serves the risk register, FAIR analysis, Monte Carlo
// simulations, the threat catalogue and the heatmap over HTTP.
package risk

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	cmdrisk "github.com/astrabastion/astra/commands/risk"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmrisk "github.com/astrabastion/astra/projections/risk"
)

// API serves the risk routes.
type API struct {
	Commands *cmdrisk.Handlers
	Queries  *rmrisk.Queries
	Writes   *writes.Kit
}

// RiskRequest is the body of POST /risk/risks.
type RiskRequest struct {
	Title       string       `json:"title" validate:"required,min=1,max=300"`
	Description string       `json:"description" validate:"max=10000"`
	Category    string       `json:"category" validate:"max=100"`
	Owner       string       `json:"owner" validate:"max=200"`
	Likelihood  int          `json:"likelihood" validate:"required,min=1,max=5"`
	Impact      int          `json:"impact" validate:"required,min=1,max=5"`
	Treatment   string       `json:"treatment" validate:"omitempty,oneof=mitigate accept transfer avoid"`
	Residual    *risk.Rating `json:"residual,omitempty"`
	Threats     []string     `json:"threats,omitempty" validate:"max=50,dive,max=100"`
	AssetIDs    []string     `json:"asset_ids,omitempty" validate:"max=100,dive,max=100"`
}

// RiskPatch is the body of PATCH /risk/risks/{id}.
type RiskPatch struct {
	Title       *string      `json:"title,omitempty" validate:"omitempty,min=1,max=300"`
	Description *string      `json:"description,omitempty" validate:"omitempty,max=10000"`
	Category    *string      `json:"category,omitempty" validate:"omitempty,max=100"`
	Owner       *string      `json:"owner,omitempty" validate:"omitempty,max=200"`
	Likelihood  *int         `json:"likelihood,omitempty" validate:"omitempty,min=1,max=5"`
	Impact      *int         `json:"impact,omitempty" validate:"omitempty,min=1,max=5"`
	Treatment   *string      `json:"treatment,omitempty" validate:"omitempty,oneof=mitigate accept transfer avoid"`
	Residual    *risk.Rating `json:"residual,omitempty"`
	Threats     *[]string    `json:"threats,omitempty" validate:"omitempty,max=50,dive,max=100"`
}

// SimulateRequest is the body of the simulate routes.
type SimulateRequest struct {
	Iterations int      `json:"iterations" validate:"omitempty,min=1000,max=1000000"`
	Seed       *uint64  `json:"seed,omitempty"`
	RiskIDs    []string `json:"risk_ids,omitempty" validate:"max=1000,dive,uuid"`
}

// ThreatRequest is the body of POST /risk/threats.
type ThreatRequest struct {
	Name        string `json:"name" validate:"required,min=1,max=200"`
	Description string `json:"description" validate:"max=5000"`
	Category    string `json:"category" validate:"max=100"`
	Reference   string `json:"reference" validate:"max=200"`
}

var riskQuery = []platform.Param{
	{Name: "status", Description: "Only risks in this status", Schema: "string", Enum: []string{rmrisk.StatusOpen, rmrisk.StatusClosed}},
	{Name: "owner", Description: "Only risks of this owner", Schema: "string"},
	{Name: "treatment", Description: "Only risks with this treatment", Schema: "string",
		Enum: []string{risk.TreatMitigate, risk.TreatAccept, risk.TreatTransfer, risk.TreatAvoid}},
	{Name: "category", Description: "Only risks of this category", Schema: "string"},
}

// Routes declares the risk routes.
func (a *API) Routes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/risk/risks", OperationID: "listRisks", Tag: "risk", Summary: "The risk register, newest first",
			Permission: "risk:read", Response: rmrisk.Risk{}, List: true, Handler: a.list, Query: riskQuery},
		{Method: http.MethodPost, Path: "/api/v1/risk/risks", OperationID: "identifyRisk", Tag: "risk", Summary: "Identify a risk",
			Permission: "risk:write", Request: RiskRequest{}, Response: rmrisk.Risk{}, Status: http.StatusCreated, Handler: a.create, Errors: []int{422}},
		{Method: http.MethodGet, Path: "/api/v1/risk/risks/:id", OperationID: "getRisk", Tag: "risk", Summary: "Read a risk",
			Permission: "risk:read", Response: rmrisk.Risk{}, Handler: a.get, Errors: []int{404}},
		{Method: http.MethodPatch, Path: "/api/v1/risk/risks/:id", OperationID: "updateRisk", Tag: "risk", Summary: "Update a risk",
			Permission: "risk:write", Request: RiskPatch{}, Response: rmrisk.Risk{}, Handler: a.update, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: "/api/v1/risk/risks/:id", OperationID: "closeRisk", Tag: "risk", Summary: "Close a risk",
			Permission: "risk:write", Response: rmrisk.Risk{}, Handler: a.close, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412}},
		{Method: http.MethodPut, Path: "/api/v1/risk/risks/:id/fair", OperationID: "setFairInputs", Tag: "risk", Summary: "Set the FAIR model",
			Permission: "risk:write", Request: risk.FairInputs{}, Response: rmrisk.Risk{}, Handler: a.setFair, Headers: []platform.Param{platform.IfMatch}, Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodPost, Path: "/api/v1/risk/risks/:id/simulate", OperationID: "simulateRisk", Tag: "risk", Summary: "Monte Carlo simulation (iterations, seed)",
			Permission: "risk:write", Request: SimulateRequest{}, Response: rmrisk.Simulation{}, Status: http.StatusCreated, Handler: a.simulate, Errors: []int{404, 409, 422}},
		{Method: http.MethodGet, Path: "/api/v1/risk/risks/:id/simulations", OperationID: "riskSimulations", Tag: "risk", Summary: "A risk's simulations, newest first",
			Permission: "risk:read", Response: rmrisk.Simulation{}, List: true, Handler: a.simulations, Errors: []int{404}},
		{Method: http.MethodGet, Path: "/api/v1/risk/simulations/:id", OperationID: "getSimulation", Tag: "risk", Summary: "One simulation with its results",
			Permission: "risk:read", Response: rmrisk.Simulation{}, Handler: a.simulation, Errors: []int{404}},
		{Method: http.MethodPost, Path: "/api/v1/risk/portfolio/simulate", OperationID: "simulatePortfolio", Tag: "risk", Summary: "Aggregate loss across risks",
			Permission: "risk:write", Request: SimulateRequest{}, Response: rmrisk.Simulation{}, Status: http.StatusCreated, Handler: a.portfolio, Errors: []int{404, 409, 422}},
		{Method: http.MethodGet, Path: "/api/v1/risk/threats", OperationID: "listThreats", Tag: "risk",
			Summary:    "Threat catalogue (OWASP LLM Top 10, MITRE ATLAS) in its published order, then the tenant's custom threats",
			Permission: "risk:read", Response: risk.Threat{}, List: true, Handler: a.threats},
		{Method: http.MethodPost, Path: "/api/v1/risk/threats", OperationID: "addThreat", Tag: "risk", Summary: "Add a custom threat",
			Permission: "risk:write", Request: ThreatRequest{}, Response: risk.Threat{}, Status: http.StatusCreated, Handler: a.addThreat},
		{Method: http.MethodGet, Path: "/api/v1/risk/heatmap", OperationID: "riskHeatmap", Tag: "risk",
			Summary:    "Likelihood × impact matrix of open risks: all 25 cells, a complete list never paged, likelihood 5 to 1, impact 1 to 5",
			Permission: "risk:read", Response: rmrisk.Cell{}, List: true, Complete: true, Handler: a.heatmap,
			Query: []platform.Param{{Name: "residual", Description: "Place risks by their residual rating (inherent when they have none)", Schema: "boolean"}}},
	}
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

func (a *API) list(c echo.Context) error {
	// status and treatment are within riskQuery's Enums: the route checked them.
	f := rmrisk.RiskFilter{Status: c.QueryParam("status"), Owner: c.QueryParam("owner"), Treatment: c.QueryParam("treatment"), Category: c.QueryParam("category")}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmrisk.Risk], error) {
		return a.Queries.List(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) answer(c echo.Context, status int, id string) error {
	r, err := a.Queries.Get(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if r == nil {
		return risk.ErrRiskNotFound
	}
	writes.ETag(c, r.Version)
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/risk/risks/"+r.ID)
	}
	return platform.Respond(c, status, r)
}

func riskID(c echo.Context) (string, error) {
	id := c.Param("id")
	if uuid.Validate(id) != nil {
		return "", risk.ErrRiskNotFound
	}
	return id, nil
}

func (a *API) create(c echo.Context) error {
	var req RiskRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.IdentifyRisk(c.Request().Context(), writes.Metadata(c), cmdrisk.IdentifyRisk{Title: req.Title,
		Description: req.Description, Category: req.Category, Owner: req.Owner, Likelihood: req.Likelihood, Impact: req.Impact,
		Treatment: req.Treatment, Residual: req.Residual, Threats: req.Threats, AssetIDs: req.AssetIDs})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmrisk.Name)
	return a.answer(c, http.StatusCreated, id)
}

func (a *API) get(c echo.Context) error {
	id, err := riskID(c)
	if err != nil {
		return err
	}
	return a.answer(c, http.StatusOK, id)
}

func (a *API) update(c echo.Context) error {
	id, expected, err := writes.Versioned(c, riskID)
	if err != nil {
		return err
	}
	var req RiskPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.UpdateRisk(c.Request().Context(), writes.Metadata(c), cmdrisk.UpdateRisk{RiskID: id, Expected: expected,
		Title: req.Title, Description: req.Description, Category: req.Category, Owner: req.Owner, Likelihood: req.Likelihood,
		Impact: req.Impact, Treatment: req.Treatment, Residual: req.Residual, Threats: req.Threats})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmrisk.Name)
	return a.answer(c, http.StatusOK, id)
}

func (a *API) close(c echo.Context) error {
	id, expected, err := writes.Versioned(c, riskID)
	if err != nil {
		return err
	}
	evs, err := a.Commands.CloseRisk(c.Request().Context(), writes.Metadata(c), cmdrisk.CloseRisk{RiskID: id, Expected: expected, Reason: "closed"})
	return a.Writes.Then(c, evs, err, rmrisk.Name, func() error { return a.answer(c, http.StatusOK, id) })
}

func (a *API) setFair(c echo.Context) error {
	id, expected, err := writes.Versioned(c, riskID)
	if err != nil {
		return err
	}
	var in risk.FairInputs
	if err := platform.Bind(c, &in); err != nil {
		return err
	}
	evs, err := a.Commands.SetFairInputs(c.Request().Context(), writes.Metadata(c), cmdrisk.SetFairInputs{RiskID: id, Expected: expected, Inputs: in})
	return a.Writes.Then(c, evs, err, rmrisk.Name, func() error { return a.answer(c, http.StatusOK, id) })
}

// simParams applies the defaults: 100,000 iterations, seed 42.
func simParams(req SimulateRequest) (int, uint64) {
	it := req.Iterations
	if it == 0 {
		it = 100_000
	}
	seed := uint64(42)
	if req.Seed != nil {
		seed = *req.Seed
	}
	return it, seed
}

func (a *API) answerSim(c echo.Context, status int, id string) error {
	s, err := a.Queries.Simulation(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if s == nil {
		return risk.ErrSimulationNotFound
	}
	return platform.Respond(c, status, s)
}

func (a *API) simulate(c echo.Context) error {
	id, err := riskID(c)
	if err != nil {
		return err
	}
	var req SimulateRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	it, seed := simParams(req)
	simID, evs, err := a.Commands.SimulateRisk(c.Request().Context(), writes.Metadata(c), cmdrisk.SimulateRisk{RiskID: id, Iterations: it, Seed: seed})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmrisk.Name)
	return a.answerSim(c, http.StatusCreated, simID)
}

func (a *API) portfolio(c echo.Context) error {
	var req SimulateRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ids := req.RiskIDs
	if len(ids) == 0 {
		var err error
		if ids, err = a.Queries.Modelled(c.Request().Context(), tenant(c)); err != nil {
			return err
		}
	}
	it, seed := simParams(req)
	simID, evs, err := a.Commands.SimulatePortfolio(c.Request().Context(), writes.Metadata(c), cmdrisk.SimulatePortfolio{RiskIDs: ids, Iterations: it, Seed: seed})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmrisk.Name)
	return a.answerSim(c, http.StatusCreated, simID)
}

func (a *API) simulations(c echo.Context) error {
	id, err := riskID(c)
	if err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmrisk.Simulation], error) {
		if r, err := a.Queries.Get(c.Request().Context(), tenant(c), id); err != nil {
			return projections.Page[rmrisk.Simulation]{}, err
		} else if r == nil {
			return projections.Page[rmrisk.Simulation]{}, risk.ErrRiskNotFound
		}
		return a.Queries.Simulations(c.Request().Context(), tenant(c), id, p)
	})
}

func (a *API) simulation(c echo.Context) error {
	return a.answerSim(c, http.StatusOK, c.Param("id"))
}

func (a *API) threats(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[risk.Threat], error) {
		return a.Queries.Threats(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) addThreat(c echo.Context) error {
	var req ThreatRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.AddThreat(c.Request().Context(), writes.Metadata(c), cmdrisk.AddThreat{Name: req.Name, Description: req.Description,
		Category: req.Category, Reference: req.Reference})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmrisk.Name)
	return platform.Respond(c, http.StatusCreated, risk.Threat{ID: id, Name: req.Name, Framework: "custom", Description: req.Description})
}

// heatmap answers the whole matrix: its 25 cells are one complete list.
func (a *API) heatmap(c echo.Context) error {
	cells, err := a.Queries.Heatmap(c.Request().Context(), tenant(c), c.QueryParam("residual") == "true")
	if err != nil {
		return err
	}
	return platform.RespondComplete(c, cells)
}
