package gateway

import (
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	cmdgw "github.com/astrabastion/astra/commands/gateway"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// PriceRequest is the body of PUT /gateway/prices: a model's price in USD
// per million input (prompt) and output (completion) tokens. The model is
// stored normalised; it prices that model and its dated snapshots
// ("gpt-4o" prices "gpt-4o-2024-08-06"), the longest entry winning.
type PriceRequest struct {
	Model            string   `json:"model" validate:"required,max=200"`
	InputPerMillion  *float64 `json:"input_per_million" validate:"required,min=0,max=1000000"`
	OutputPerMillion *float64 `json:"output_per_million" validate:"required,min=0,max=1000000"`
}

// PriceView is a model's price as it applies to the tenant.
type PriceView struct {
	gw.Price
	// Source is "tenant" (set with PUT /gateway/prices) or "default" (the
	// built-in list price; see gw.DefaultPrices for its date and source).
	Source    string     `json:"source" enum:"tenant,default"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// MockRequest is the body of PUT /gateway/mock.
type MockRequest struct {
	// Enabled false turns the built-in mock provider off for the tenant:
	// it then answers nothing, not even when the tenant has no provider
	// (404 GW-041) or a request names it (mock/…).
	Enabled *bool `json:"enabled" validate:"required"`
}

// RoutingRoutes declares the routes of model prices and the mock setting.
func (a *Admin) RoutingRoutes() []platform.Route {
	modelQuery := platform.Param{Name: "model", Required: true, Description: "The model whose price to remove (as set, matched normalised)."}
	return withDependencyErrors([]platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/gateway/prices", OperationID: "listPrices", Tag: "gateway",
			Summary:    "Model prices (USD per million tokens): the tenant's, then the defaults they do not replace; usage and budgets use them",
			Permission: "gateway:read", Response: PriceView{}, List: true, Handler: a.listPrices},
		{Method: http.MethodPut, Path: "/api/v1/gateway/prices", OperationID: "setPrice", Tag: "gateway",
			Summary:    "Set the tenant's price of a model (replaces the default; recorded as gateway.ModelPriceSet)",
			Permission: "gateway:admin", Request: PriceRequest{}, Response: PriceView{}, Handler: a.setPrice, Errors: []int{422}},
		{Method: http.MethodDelete, Path: "/api/v1/gateway/prices", OperationID: "removePrice", Tag: "gateway",
			Summary:    "Remove the tenant's price of a model (the default, if any, applies again)",
			Permission: "gateway:admin", Query: []platform.Param{modelQuery}, Status: http.StatusNoContent, Handler: a.removePrice, Errors: []int{404}},
		{Method: http.MethodGet, Path: "/api/v1/gateway/mock", OperationID: "mockSetting", Tag: "gateway",
			Summary:    "Whether the built-in mock provider answers for the tenant",
			Permission: "gateway:read", Response: rmgw.MockSetting{}, Handler: a.mockSetting},
		{Method: http.MethodPut, Path: "/api/v1/gateway/mock", OperationID: "setMockSetting", Tag: "gateway",
			Summary:    "Turn the built-in mock provider on or off for the tenant (off: a tenant with no provider gets 404 GW-041)",
			Permission: "gateway:admin", Request: MockRequest{}, Response: rmgw.MockSetting{}, Handler: a.setMockSetting},
	})
}

func (a *Admin) prices(c echo.Context) ([]PriceView, error) {
	own, err := a.Queries.Prices(c.Request().Context(), tenantOf(c))
	if err != nil {
		return nil, err
	}
	out := make([]PriceView, 0, len(own)+len(gw.DefaultPrices))
	set := map[string]bool{}
	for _, p := range own {
		set[p.Model] = true
		at := p.UpdatedAt
		out = append(out, PriceView{Price: p.Price, Source: "tenant", UpdatedBy: p.UpdatedBy, UpdatedAt: &at})
	}
	for _, p := range gw.DefaultPrices {
		if !set[p.Model] {
			out = append(out, PriceView{Price: p, Source: "default"})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Model < out[j].Model })
	return out, nil
}

func (a *Admin) listPrices(c echo.Context) error {
	out, err := a.prices(c)
	if err != nil {
		return err
	}
	// A tenant may price any number of models: the list pages like every other.
	return platform.MemoryPage(c, out, func(p PriceView) string { return p.Model })
}

func (a *Admin) setPrice(c echo.Context) error {
	var req PriceRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.SetPrice(c.Request().Context(), writes.Metadata(c), cmdgw.SetPrice{Price: gw.Price{Model: req.Model,
		InputPerMillion: *req.InputPerMillion, OutputPerMillion: *req.OutputPerMillion}})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	model, _ := gw.PriceKey(req.Model)
	out, err := a.prices(c)
	if err != nil {
		return err
	}
	for _, p := range out {
		if p.Model == model && p.Source == "tenant" {
			return platform.Respond(c, http.StatusOK, p)
		}
	}
	return platform.Respond(c, http.StatusOK, PriceView{Price: gw.Price{Model: model, InputPerMillion: *req.InputPerMillion,
		OutputPerMillion: *req.OutputPerMillion}, Source: "tenant"})
}

func (a *Admin) removePrice(c echo.Context) error {
	evs, err := a.Commands.RemovePrice(c.Request().Context(), writes.Metadata(c), cmdgw.RemovePrice{Model: c.QueryParam("model")})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return c.NoContent(http.StatusNoContent)
}

func (a *Admin) mockSetting(c echo.Context) error {
	m, err := a.Queries.MockSettingOf(c.Request().Context(), tenantOf(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, m)
}

func (a *Admin) setMockSetting(c echo.Context) error {
	var req MockRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.ConfigureMock(c.Request().Context(), writes.Metadata(c), cmdgw.ConfigureMock{Enabled: *req.Enabled})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmgw.Name)
	return a.mockSetting(c)
}
