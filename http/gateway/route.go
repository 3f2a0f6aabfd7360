package gateway

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/http/platform"
)

// routeHeader documents X-Astra-Route on the drop-in routes.
var routeHeader = platform.Param{Name: gateway.RouteHeader, Schema: "string",
	Description: "Per-request routing: `provider/model[*weight] | … > provider/model …` — the first group is load-balanced by weight, " +
		"the rest of it and the later groups are fallbacks in order (see gateway.RouteHeader)."}

// routeFor resolves the drop-in's model (see gateway.Runtime.Resolve): an
// unknown model is 404 model_not_found.
func (a *API) routeFor(c echo.Context, model string) (gateway.Routed, error) {
	h := c.Request().Header
	rt, err := a.Runtime.Resolve(c.Request().Context(), Caller(c).TenantID, model, h.Get("X-Astra-Provider"), h.Get(gateway.RouteHeader))
	var nf *gateway.ModelNotFoundError
	var re *gateway.RouteError
	var im *gateway.InvalidModelError
	switch {
	case errors.As(err, &im):
		return rt, platform.Problem("VAL-001", "model must be a model id: printable characters, at most 200 of them.").
			WithFields(platform.FieldError{Field: "model", Message: im.Reason})
	case errors.As(err, &nf):
		return rt, platform.Problem("GW-020", nf.Error()).WithDialectCode("model_not_found")
	case errors.As(err, &re):
		return rt, platform.Problem("VAL-001", re.Error()).WithFields(platform.FieldError{Field: gateway.RouteHeader, Message: re.Reason})
	}
	return rt, err
}
