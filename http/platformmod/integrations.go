package platformmod

import (
	"net/http"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/platformmod"
)

func (a *API) integrations(c echo.Context) error {
	state := c.QueryParam("state")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Integration], error) {
		return a.Queries.Integrations(c.Request().Context(), tenant(c), state, p)
	})
}

func (a *API) answerIntegration(c echo.Context, id string) error {
	i, err := a.Queries.Integration(c.Request().Context(), tenant(c), id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, i)
}

func (a *API) integration(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	return a.answerIntegration(c, id)
}

func (a *API) configure(c echo.Context) error {
	var req IntegrationRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, secret, evs, err := a.Commands.ConfigureIntegration(c.Request().Context(), writes.Metadata(c), cmd.ConfigureIntegration{Name: req.Name,
		URL: req.URL, EventTypes: req.EventTypes, Mode: req.Mode})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		i, err := a.Queries.Integration(c.Request().Context(), tenant(c), id)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/platform/integrations/"+id)
		return platform.Respond(c, http.StatusCreated, IntegrationCreated{Integration: *i, Secret: secret})
	})
}

func (a *API) delete(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteIntegration(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) test(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.TestIntegration(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		return platform.Respond(c, http.StatusAccepted, TestSent{IntegrationID: id, EventID: evs[0].ID.String()})
	})
}

func (a *API) rotate(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	secret, evs, err := a.Commands.RotateSecret(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		i, err := a.Queries.Integration(c.Request().Context(), tenant(c), id)
		if err != nil {
			return err
		}
		out := SecretRotated{IntegrationID: id, Secret: secret}
		if i.PreviousSecretUntil != nil {
			out.PreviousSecretUntil = *i.PreviousSecretUntil
		}
		return platform.Respond(c, http.StatusOK, out)
	})
}

func (a *API) enable(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.EnableIntegration(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.answerIntegration(c, id) })
}

func (a *API) deliveries(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	if _, err := a.Queries.Integration(c.Request().Context(), tenant(c), id); err != nil {
		return err
	}
	state := c.QueryParam("state")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Delivery], error) {
		return a.Queue.List(c.Request().Context(), tenant(c), id, state, p)
	})
}

func (a *API) replay(c echo.Context) error {
	id, err := integrationID(c)
	if err != nil {
		return err
	}
	var req ReplayRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	n, evs, err := a.Commands.ReplayDeliveries(c.Request().Context(), writes.Metadata(c), id, req.AfterEventID, a.Queue)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		return platform.Respond(c, http.StatusAccepted, ReplayQueued{IntegrationID: id, AfterEventID: req.AfterEventID, Events: n})
	})
}
