// Package resilience serves Resilience over HTTP: recovery objectives per
// service, disruption scenarios over the CyberTwins graph, their Monte
// Carlo simulations, and chaos experiments in the platform's own gateway.
package resilience

import (
	"net/http"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/resilience"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rm "github.com/astrabastion/astra/projections/resilience"
)

// API serves the Resilience routes.
type API struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Writes   *writes.Kit
}

// ObjectiveRequest is the body of PUT /resilience/objectives/{service}.
type ObjectiveRequest struct {
	// RTOSeconds is the longest tolerable downtime; RPOSeconds the most data (in time) that may be lost.
	RTOSeconds *int64 `json:"rto_seconds" validate:"required,min=0,max=31536000"`
	RPOSeconds *int64 `json:"rpo_seconds" validate:"required,min=0,max=31536000"`
}

// Recovery is a recovery-time distribution in seconds, as FAIR's magnitudes:
// pert (min, mode, max) or lognormal (low, high: a 90% interval).
type Recovery struct {
	Model string  `json:"model" validate:"required,oneof=pert lognormal"`
	Low   float64 `json:"low,omitempty"`
	High  float64 `json:"high,omitempty"`
	Min   float64 `json:"min,omitempty"`
	Mode  float64 `json:"mode,omitempty"`
	Max   float64 `json:"max,omitempty"`
}

// DisruptionRequest is one disrupted asset of a scenario.
type DisruptionRequest struct {
	AssetID  string   `json:"asset_id" validate:"required,uuid"`
	Kind     string   `json:"kind" validate:"required,oneof=outage corruption compromise"`
	Recovery Recovery `json:"recovery"`
	// BackupIntervalSeconds (corruption only) is how often the asset's data is saved (default a day).
	BackupIntervalSeconds int64 `json:"backup_interval_seconds,omitempty" validate:"min=0"`
}

// ScenarioRequest is the body of POST /resilience/scenarios.
type ScenarioRequest struct {
	Name        string              `json:"name" validate:"required,max=300"`
	Description string              `json:"description,omitempty" validate:"max=10000"`
	Disruptions []DisruptionRequest `json:"disruptions" validate:"required,min=1,max=50,dive"`
}

// ScenarioPatch is the body of PATCH /resilience/scenarios/{id}.
type ScenarioPatch struct {
	Name        *string              `json:"name,omitempty" validate:"omitempty,max=300"`
	Description *string              `json:"description,omitempty" validate:"omitempty,max=10000"`
	Disruptions *[]DisruptionRequest `json:"disruptions,omitempty" validate:"omitempty,min=1,max=50,dive"`
}

// SimulateRequest is the optional body of POST /resilience/scenarios/{id}/simulate.
type SimulateRequest struct {
	// Iterations of the Monte Carlo (default 10,000; 100 to 100,000).
	Iterations int `json:"iterations,omitempty" validate:"omitempty,min=100,max=100000"`
	// Seed makes a run reproducible (default: drawn).
	Seed *uint64 `json:"seed,omitempty"`
}

func disruptions(in []DisruptionRequest) []resilience.Disruption {
	out := make([]resilience.Disruption, len(in))
	for i, d := range in {
		out[i] = resilience.Disruption{AssetID: d.AssetID, Kind: d.Kind, BackupIntervalSeconds: d.BackupIntervalSeconds}
		out[i].Recovery.Model, out[i].Recovery.Low, out[i].Recovery.High = d.Recovery.Model, d.Recovery.Low, d.Recovery.High
		out[i].Recovery.Min, out[i].Recovery.Mode, out[i].Recovery.Max = d.Recovery.Min, d.Recovery.Mode, d.Recovery.Max
	}
	return out
}

// Routes declares the Resilience routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/resilience"
	r, w := "resilience:read", "resilience:write"
	routes := []platform.Route{
		{Method: http.MethodGet, Path: p + "/objectives", OperationID: "listObjectives", Tag: "resilience", Summary: "Recovery objectives (RTO, RPO) by service",
			Permission: r, Response: rm.Objective{}, List: true, Handler: a.objectives},
		{Method: http.MethodPut, Path: p + "/objectives/:service", OperationID: "setObjective", Tag: "resilience",
			Summary:    "Set a service's RTO and RPO in seconds; the service is an asset of the CyberTwins graph (ObjectiveSet)",
			Permission: w, Request: ObjectiveRequest{}, Response: rm.Objective{}, Handler: a.setObjective, Errors: []int{404, 422}},
		{Method: http.MethodGet, Path: p + "/scenarios", OperationID: "listResilienceScenarios", Tag: "resilience", Summary: "Disruption scenarios, newest first",
			Permission: r, Response: rm.Scenario{}, List: true, Handler: a.scenarios},
		{Method: http.MethodPost, Path: p + "/scenarios", OperationID: "defineScenario", Tag: "resilience",
			Summary: "Define a disruption of CyberTwins assets (a provider down, a region lost, a dataset corrupted, an identity compromised), each with its " +
				"recovery-time distribution (ScenarioDefined)",
			Permission: w, Request: ScenarioRequest{}, Response: rm.Scenario{}, Status: http.StatusCreated, Handler: a.defineScenario, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/scenarios/:id", OperationID: "getResilienceScenario", Tag: "resilience", Summary: "One scenario",
			Permission: r, Response: rm.Scenario{}, Handler: a.scenario, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/scenarios/:id", OperationID: "updateScenario", Tag: "resilience", Summary: "Change a scenario (ScenarioUpdated)",
			Permission: w, Request: ScenarioPatch{}, Response: rm.Scenario{}, Handler: a.updateScenario, Headers: []platform.Param{platform.IfMatch},
			Errors: []int{404, 409, 412, 422}},
		{Method: http.MethodDelete, Path: p + "/scenarios/:id", OperationID: "deleteScenario", Tag: "resilience", Summary: "Delete a scenario; its simulations stay (ScenarioDeleted)",
			Permission: w, Status: http.StatusNoContent, Handler: a.deleteScenario, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/scenarios/:id/simulate", OperationID: "simulateScenario", Tag: "resilience",
			Summary: "Monte Carlo of the scenario over the current CyberTwins graph: recovery times drawn per disrupted asset, the disruption spread along " +
				"dependencies (runs_on, calls, connects_to, stores; a compromise along has_access, trusts, runs_on); for each impacted asset its downtime " +
				"distribution and probability of breaching its RTO, and the data lost against its RPO. Feeds the trust score's resilience pillar (SimulationCompleted)",
			Permission: w, Request: SimulateRequest{}, Response: rm.Simulation{}, Status: http.StatusCreated, Handler: a.simulate, Errors: []int{404, 422}},
		{Method: http.MethodGet, Path: p + "/simulations", OperationID: "listResilienceSimulations", Tag: "resilience", Summary: "Simulations, newest first",
			Permission: r, Response: rm.Simulation{}, List: true, Handler: a.simulations, Query: []platform.Param{
				{Name: "scenario_id", Description: "Only simulations of this scenario", Schema: "uuid"}}},
		{Method: http.MethodGet, Path: p + "/simulations/:id", OperationID: "getResilienceSimulation", Tag: "resilience", Summary: "One simulation with its results",
			Permission: r, Response: rm.Simulation{}, Handler: a.simulation, Errors: []int{404}},
	}
	return append(routes, a.chaosRoutes(p, r, w)...)
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

// Ids are UUIDs; another id names nothing.
var (
	scenarioID   = platform.IDParam(resilience.ErrScenarioNotFound)
	simulationID = platform.IDParam(resilience.ErrSimulationNotFound)
	experimentID = platform.IDParam(resilience.ErrExperimentNotFound)
)
