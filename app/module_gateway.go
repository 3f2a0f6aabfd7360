package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/telemetry"
	httpgw "github.com/astrabastion/astra/http/gateway"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	"github.com/astrabastion/astra/reactors"
)

// The AI gateway: the security pipeline, providers, policies, keys'
// budgets, the cache and the request log.
func init() {
	register(Module{
		Name: "gateway",
		Tags: map[string]string{
			"gateway":           "The AI gateway: chat and embeddings through the security pipeline, policies with versions, providers, budgets, cache, kill switch, request log and usage.",
			"gateway-openai":    "OpenAI-compatible drop-in: point the official OpenAI SDKs at /api/v1/gateway/openai/v1 (errors in OpenAI's shape).",
			"gateway-anthropic": "Anthropic-compatible drop-in: point the official Anthropic SDKs at /api/v1/gateway/anthropic (errors in Anthropic's shape).",
		},
		Order: 30,
		Errors: platform.Codes{
			"GW-001": platform.Entry(http.StatusServiceUnavailable, "Kill switch active", "A kill switch (global, tenant, provider, model, policy or API key) stops this traffic."),
			"GW-002": platform.Entry(http.StatusForbidden, "Provider or model not allowed", "The policy's allow-lists do not admit this provider or model."),
			"GW-003": platform.Entry(http.StatusUnprocessableEntity, "Prompt Injection Detected", "The prompt scored at or above the policy's injection threshold and the policy blocks it."),
			"GW-004": platform.Entry(http.StatusTooManyRequests, "Budget exceeded", "A token or cost budget of the tenant, user (its API keys included) or API key has no room for the request's estimated tokens or cost in the current period."),
			"GW-005": platform.Entry(http.StatusUnprocessableEntity, "Request exceeds policy limits", "The request is malformed for the pipeline or exceeds the policy's token limits."),
			"GW-006": platform.Entry(http.StatusNotFound, "Policy not found", "No policy with that id exists in the tenant."),
			"GW-007": platform.Entry(http.StatusUnprocessableEntity, "Personal data blocked", "The prompt contains personal data and the policy blocks it."),
			"GW-008": platform.Entry(http.StatusUnprocessableEntity, "Content rule matched", "The prompt matches a blocking content rule of the policy."),
			"GW-009": platform.Entry(http.StatusBadGateway, "Provider failure", "The provider (and every fallback) failed: it answered a server error, refused the gateway's credentials or quota, could not be reached (connection refused, DNS, TLS) or answered something that is not its API. Recorded as a failure (gateway.RequestFailed), not a block."),
			"GW-010": platform.Entry(http.StatusNotFound, "Provider not found", "No enabled provider with that name or id in the tenant."),
			"GW-011": platform.Entry(http.StatusUnprocessableEntity, "Response withheld", "The completion contained personal data or a canary token and the policy withholds it."),
			"GW-012": platform.Entry(http.StatusServiceUnavailable, "Pipeline step failed", "A pipeline step could not decide and its fail mode is closed."),
			"GW-013": platform.Entry(http.StatusNotFound, "Policy version not found", "No such earlier version of the policy to roll back to."),
			"GW-014": platform.Entry(http.StatusNotFound, "Kill switch not found", "No active kill switch matches the id or scope."),
			"GW-015": platform.Entry(http.StatusNotFound, "Budget not found", "No budget with that id exists in the tenant."),
			"GW-016": platform.Entry(http.StatusUnprocessableEntity, "URL refused", "The URL points at a private, loopback, link-local or metadata address (or is not http/https); ASTRA_ALLOW_PRIVATE_URLS allows such ranges (e.g. loopback for a local Ollama)."),
			"GW-017": platform.Entry(http.StatusConflict, "Provider name taken", "A provider with this name already exists in the tenant."),
			"GW-018": platform.Entry(http.StatusNotFound, "Detector not found", "No detector with that name."),
			"GW-019": platform.Entry(http.StatusNotFound, "Request not found", "No gateway request with that id exists in the tenant."),
			"GW-030": platform.Entry(http.StatusGatewayTimeout, "Provider failure: timeout", "The provider (and every fallback) did not answer within the connection's timeout. Recorded as a failure (gateway.RequestFailed), not a block."),
			"GW-031": platform.Entry(http.StatusServiceUnavailable, "Provider failure: circuit open", "The provider's circuit breaker is open after consecutive failures, so it was not called (and no fallback answered). Recorded as a failure (gateway.RequestFailed), not a block."),
			"GW-032": platform.Entry(http.StatusBadRequest, "Provider failure: request refused", "The provider refused the request as malformed, too large or unprocessable (its own 400, 413 or 422): the request must change. Recorded as a failure (gateway.RequestFailed) at the caller's fault."),
			"GW-040": platform.Entry(http.StatusForbidden, "Route header refused", "The policy's routing.route_header is refuse: a request may not replace the policy's routing with an X-Astra-Route header."),
			"GW-041": platform.Entry(http.StatusNotFound, "No provider configured", "The tenant has no enabled provider and has turned the built-in mock provider off (PUT /gateway/mock), or the request names the mock while it is off."),
			"GW-042": platform.Entry(http.StatusNotFound, "Price not found", "The tenant set no price for that model (a default price cannot be removed, only replaced)."),
			"GW-020": platform.Entry(http.StatusNotFound, "Model not offered", "The provider does not offer this model: it is not in the provider's declared model list (model ids are matched normalised) and the provider does not allow any model."),
		},
		DomainErrors: []platform.DomainError{
			// Detail "": the error's own text names the field and what it must be.
			{Err: gw.ErrPolicyInvalid, Code: "VAL-001"},
			{Err: gw.ErrInvalidScope, Code: "VAL-001", Detail: "scope.kind must be global, tenant, provider, model, policy or api_key; all but global and tenant need a value."},
			{Err: gw.ErrPolicyNotFound, Code: "GW-006", Detail: "No such policy in this tenant."},
			{Err: gw.ErrProviderNotFound, Code: "GW-010", Detail: "No such provider in this tenant."},
			{Err: gw.ErrVersionNotFound, Code: "GW-013", Detail: "No such earlier version of this policy."},
			{Err: gw.ErrSwitchNotFound, Code: "GW-014", Detail: "No active kill switch matches."},
			{Err: gw.ErrBudgetNotFound, Code: "GW-015", Detail: "No such budget in this tenant."},
			{Err: gw.ErrProviderNameTaken, Code: "GW-017", Detail: "A provider with this name already exists."},
			{Err: gw.ErrDetectorNotFound, Code: "GW-018", Detail: "No detector with that name."},
			{Err: gw.ErrRequestNotFound, Code: "GW-019", Detail: "No such request."},
			{Err: gw.ErrPriceInvalid, Code: "VAL-001"},
			{Err: gw.ErrPriceNotFound, Code: "GW-042", Detail: "The tenant set no price for that model."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{&rmgw.Projection{}} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			parts, err := newGateway(rt.Cfg, rt.Stack, rt.Writes, rt.Log)
			if err != nil {
				return nil, err
			}
			parts.runtime.FeatureOn = featureGate(rt)
			if err := parts.runtime.Init(ctx); err != nil {
				parts.close()
				return nil, fmt.Errorf("gateway: %w", err)
			}
			// The journal ships what an earlier process left before this
			// instance answers anything (decision 0031). It is opened in
			// every mode, so that records left by an earlier run in journal
			// mode reach the ledger whatever the mode is now.
			journal, err := gateway.OpenJournal(ctx, filepath.Join(rt.Cfg.DataDir, "gateway-journal"), rt.Stack.Store, rt.Log)
			if err != nil {
				parts.close()
				return nil, err
			}
			parts.runtime.Journal = journal
			rt.Stack.Store.AddSettler(journal.Flush) // readers of the ledger see what was answered
			return &Parts{
				Routes: concat(httpgw.Traced(parts.runtime.Tracing, concat(parts.api.Routes(), parts.api.OpenAIRoutes(), parts.api.DialectRoutes())),
					parts.admin.Routes(), parts.admin.RoutingRoutes(), httpgw.Traced(parts.runtime.Tracing, parts.admin.TrafficRoutes(parts.api))),
				Collectors: telemetry.Collectors(),
				// Kill switches are reloaded every 500 ms too: a backstop for
				// events logged before this instance's reactor started.
				Workers: []Worker{{Name: "gateway journal", Run: journal.Run}, Every("gateway kill switch refresh", 500*time.Millisecond, rt.Log, func(ctx context.Context, _ time.Time) error {
					return parts.runtime.RefreshSwitches(ctx)
				})},
				// The runtime's cached state follows the administration's
				// events on every instance; on the one that commits them
				// before the write answers (a kill switch stops traffic then).
				Reactors: []reactors.Reactor{{Name: "gateway_runtime_state", Module: "gateway", Types: gateway.StateEvents,
					Scope: reactors.EveryInstance, Handle: parts.runtime.React}},
				Close: parts.close, Service: parts.runtime, Holder: parts.runtime.Queries,
			}, nil
		},
	})
}
