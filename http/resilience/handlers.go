package resilience

import (
	"math/rand/v2"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/resilience"
)

func (a *API) objectives(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Objective], error) {
		return a.Queries.Objectives(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) setObjective(c echo.Context) error {
	service := c.Param("service")
	if uuid.Validate(service) != nil {
		return resilience.ErrServiceNotFound
	}
	var req ObjectiveRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.SetObjective(c.Request().Context(), writes.Metadata(c), service, *req.RTOSeconds, *req.RPOSeconds)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		o, err := a.Queries.Objective(c.Request().Context(), tenant(c), service)
		if err != nil {
			return err
		}
		return platform.Respond(c, http.StatusOK, o)
	})
}

func (a *API) scenarios(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Scenario], error) {
		return a.Queries.Scenarios(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) answerScenario(c echo.Context, status int, id string) error {
	x, err := a.Queries.Scenario(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/resilience/scenarios/"+id)
	}
	writes.ETag(c, x.Version)
	return platform.Respond(c, status, x)
}

func (a *API) scenario(c echo.Context) error {
	id, err := scenarioID(c)
	if err != nil {
		return err
	}
	return a.answerScenario(c, http.StatusOK, id)
}

func (a *API) defineScenario(c echo.Context) error {
	var req ScenarioRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.DefineScenario(c.Request().Context(), writes.Metadata(c), req.Name, req.Description, disruptions(req.Disruptions))
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerScenario(c, http.StatusCreated, id) })
}

func (a *API) updateScenario(c echo.Context) error {
	id, expected, err := writes.Versioned(c, scenarioID)
	if err != nil {
		return err
	}
	var req ScenarioPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	d := resilience.ScenarioUpdatedV1{ScenarioID: id, Name: req.Name, Description: req.Description}
	if req.Disruptions != nil {
		ds := disruptions(*req.Disruptions)
		d.Disruptions = &ds
	}
	evs, err := a.Commands.UpdateScenario(c.Request().Context(), writes.Metadata(c), expected, d)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerScenario(c, http.StatusOK, id) })
}

func (a *API) deleteScenario(c echo.Context) error {
	id, err := scenarioID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteScenario(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) simulate(c echo.Context) error {
	id, err := scenarioID(c)
	if err != nil {
		return err
	}
	var req SimulateRequest
	if err := platform.BindOptional(c, &req); err != nil {
		return err
	}
	if req.Iterations == 0 {
		req.Iterations = resilience.DefaultIteration
	}
	seed := rand.Uint64()
	if req.Seed != nil {
		seed = *req.Seed
	}
	sim, evs, err := a.Commands.Simulate(c.Request().Context(), writes.Metadata(c), id, req.Iterations, seed)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		x, err := a.Queries.Simulation(c.Request().Context(), tenant(c), sim)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/resilience/simulations/"+sim)
		return platform.Respond(c, http.StatusCreated, x)
	})
}

func (a *API) simulations(c echo.Context) error {
	scenario := c.QueryParam("scenario_id")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Simulation], error) {
		return a.Queries.Simulations(c.Request().Context(), tenant(c), scenario, p)
	})
}

func (a *API) simulation(c echo.Context) error {
	id, err := simulationID(c)
	if err != nil {
		return err
	}
	x, err := a.Queries.Simulation(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, x)
}
