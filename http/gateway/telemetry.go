package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway/telemetry"
	"github.com/astrabastion/astra/http/platform"
)

// Traced makes the gateway's traffic routes (the POST ones) continue the
// caller's W3C trace context (traceparent, tracestate): with tracing on, each
// request is a span whose children the pipeline's steps become when the
// request finishes; with tracing off, the caller's trace context is only
// forwarded to the provider. Other routes are returned as they are.
func Traced(t *telemetry.Tracing, routes []platform.Route) []platform.Route {
	out := make([]platform.Route, len(routes))
	for i, r := range routes {
		out[i] = r
		if r.Method != http.MethodPost {
			continue
		}
		h, method, path := r.Handler, r.Method, r.Path
		out[i].Handler = func(c echo.Context) error {
			req := c.Request()
			ctx := t.Begin(req.Context(), req.Header, method, path, requestStart(c))
			if ctx == req.Context() {
				return h(c)
			}
			c.SetRequest(req.WithContext(ctx))
			err := h(c)
			// A request the pipeline did not finish (refused before it, a
			// scan) still ends its span.
			t.Abandon(ctx, platform.FinalStatus(c, err))
			return err
		}
	}
	return out
}
