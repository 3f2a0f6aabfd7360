package gateway

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/platform"
)

// routeHeader documents X-Astra-Route on the drop-in routes.
var routeHeader = platform.Param{Name: gateway.RouteHeader, Schema: "string",
	Description: "Per-request routing: `provider/model[*weight] | … > provider/model …` — the first group is load-balanced by weight " +
		"(deterministically from the request id: the same X-Request-Id picks the same target), the rest of it and the later groups are " +
		"fallbacks in order (see gateway.RouteHeader). It replaces the policy's routing (aliases, fallbacks) for this request; a policy " +
		"whose routing.route_header is `refuse` answers it 403 GW-040. Allow-lists and kill switches apply to every target."}

// routeFor resolves the drop-in's model (see gateway.Runtime.ResolveRoute)
// under the request's policy (X-Astra-Policy-Id, else the tenant's
// default), its weighted pick seeded with the request id: an unknown model
// is 404 model_not_found; no provider at all with the mock off is 404 GW-041.
func (a *API) routeFor(c echo.Context, model string) (gateway.Routed, error) {
	h := c.Request().Header
	rt, err := a.Runtime.ResolveRoute(c.Request().Context(), gateway.RouteQuery{TenantID: Caller(c).TenantID, PolicyID: h.Get("X-Astra-Policy-Id"),
		Model: model, Provider: h.Get("X-Astra-Provider"), Route: h.Get(gateway.RouteHeader), RequestID: platform.RequestID(c)})
	var nf *gateway.ModelNotFoundError
	var re *gateway.RouteError
	var im *gateway.InvalidModelError
	var rr *gateway.RouteRefusedError
	var np *gateway.NoProviderError
	switch {
	case errors.As(err, &rr):
		return rt, platform.Problem(gateway.CodeRouteRefused, rr.Error()).WithFields(platform.FieldError{Field: gateway.RouteHeader, Message: "refused by the policy"})
	case errors.As(err, &np):
		return rt, platform.Problem(gateway.CodeNoProvider, np.Error()).WithDialectCode("no_provider_configured")
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

// dropIn is how a drop-in dialect (OpenAI chat, Responses, Anthropic
// Messages) runs a translated request: the one pipeline, streamed into the
// sink the dialect makes or answered whole, a refusal in the dialect's shape.
type dropIn struct {
	endpoint string
	stream   bool
	// sink makes the dialect's stream writer for the call.
	sink func(call *gateway.Call) gateway.StreamSink
	// blocked renders a refusal of the pipeline.
	blocked func(c echo.Context, b *gateway.Blocked) error
	// answer renders a completed (not streamed) response.
	answer func(call *gateway.Call, resp *providers.ChatResponse) error
}

// runDropIn runs req, routed by rt, for the dialect d.
func (a *API) runDropIn(c echo.Context, rt gateway.Routed, req providers.ChatRequest, d dropIn) error {
	req.Model = rt.Model
	call := &gateway.Call{Caller: Caller(c), Endpoint: d.endpoint, Provider: rt.Provider, PolicyID: c.Request().Header.Get("X-Astra-Policy-Id"),
		RequestID: platform.RequestID(c), Correlation: platform.RequestID(c), Started: requestStart(c), Req: req, Fallbacks: rt.Fallbacks}
	if d.stream {
		res, err := a.Runtime.ChatStream(c.Request().Context(), call, d.sink(call))
		if err != nil {
			if c.Response().Committed {
				return nil
			}
			return err
		}
		if res.Blocked != nil && !c.Response().Committed {
			setVerdictHeaders(c, res.Security)
			return d.blocked(c, res.Blocked)
		}
		return nil
	}
	res, err := a.Runtime.Chat(c.Request().Context(), call)
	if err != nil {
		return err
	}
	setVerdictHeaders(c, res.Security)
	if res.Blocked != nil {
		return d.blocked(c, res.Blocked)
	}
	return d.answer(call, res.Response)
}
