// Package platformmod serves the Platform module over HTTP: outbound
// integrations (CloudEvents webhooks signed per Standard Webhooks) and
// asynchronous reports. (Not http/platform, the HTTP kit.)
package platformmod

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rm "github.com/astrabastion/astra/projections/platformmod"
)

// API serves the Platform routes.
type API struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Queue    *rm.Deliveries
	Writes   *writes.Kit
}

// IntegrationRequest is the body of POST /platform/integrations.
type IntegrationRequest struct {
	Name string `json:"name" validate:"required,max=200"`
	// URL receives the events (https, or http where the configuration allows
	// private addresses); checked against the outbound address rules.
	URL string `json:"url" validate:"required,max=2000"`
	// EventTypes filter what is sent: "*", a CloudEvents type
	// ("com.astra.risk.RiskAccepted") or a prefix ("com.astra.iam.*").
	EventTypes []string `json:"event_types" validate:"required,min=1,max=100"`
	// Mode is the CloudEvents HTTP content mode (default binary).
	Mode string `json:"mode,omitempty" validate:"omitempty,oneof=binary structured"`
}

// IntegrationCreated is the answer of POST /platform/integrations: the
// integration and, this once, its signing secret.
type IntegrationCreated struct {
	rm.Integration
	// Secret is the Standard Webhooks signing secret (whsec_…); it is shown
	// only here and at a rotation.
	Secret string `json:"secret"`
}

// SecretRotated is the answer of POST /platform/integrations/{id}/rotate-secret.
type SecretRotated struct {
	IntegrationID string `json:"integration_id"`
	// Secret is the new signing secret, shown this once.
	Secret string `json:"secret"`
	// PreviousSecretUntil is when the old secret stops signing (until then
	// each delivery carries both signatures).
	PreviousSecretUntil time.Time `json:"previous_secret_until"`
}

// TestSent is the answer of POST /platform/integrations/{id}/test.
type TestSent struct {
	IntegrationID string `json:"integration_id"`
	// EventID is the test event's id (its webhook-id header).
	EventID string `json:"event_id"`
}

// ReplayRequest is the body of POST /platform/integrations/{id}/replay.
type ReplayRequest struct {
	// AfterEventID is a past event of the tenant: every later event the
	// integration's filters match is delivered again.
	AfterEventID string `json:"after_event_id" validate:"required,uuid"`
}

// ReplayQueued is the answer of POST /platform/integrations/{id}/replay.
type ReplayQueued struct {
	IntegrationID string `json:"integration_id"`
	AfterEventID  string `json:"after_event_id"`
	// Events is how many events were queued again (at most 10,000).
	Events int `json:"events"`
}

// Routes declares the Platform routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/platform"
	r, w, adm := "platform:read", "platform:write", "platform:admin"
	states := []string{rm.DeliveryPending, rm.DeliveryDelivering, rm.DeliveryDelivered, rm.DeliveryDead}
	routes := append(append(append(a.reportRoutes(p, r, w), a.notificationRoutes(p, r, adm)...), a.workflowRoutes(p, r, w, adm)...), []platform.Route{
		{Method: http.MethodGet, Path: p + "/integrations", OperationID: "listIntegrations", Tag: "platform-integrations",
			Summary: "Outbound webhooks, newest first (never their secrets)", Permission: r, Response: rm.Integration{}, List: true, Handler: a.integrations,
			Query: []platform.Param{{Name: "state", Description: "Only integrations in this state", Enum: []string{platformmod.StateActive, platformmod.StateDisabled}}}},
		{Method: http.MethodPost, Path: p + "/integrations", OperationID: "configureIntegration", Tag: "platform-integrations",
			Summary: "Configure an outbound webhook: every event whose type matches event_types is POSTed to url as a CloudEvent (HTTP binding, binary mode " +
				"unless mode=structured), signed per Standard Webhooks (webhook-id = event id, webhook-timestamp, webhook-signature v1,<HMAC-SHA256>), retried " +
				"immediately, after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (only a 2xx within 15 s counts). The answer shows the signing secret once " +
				"(IntegrationConfigured)",
			Permission: adm, Request: IntegrationRequest{}, Response: IntegrationCreated{}, Status: http.StatusCreated, Handler: a.configure, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/integrations/:id", OperationID: "getIntegration", Tag: "platform-integrations", Summary: "One outbound webhook",
			Permission: r, Response: rm.Integration{}, Handler: a.integration, Errors: []int{404}},
		{Method: http.MethodDelete, Path: p + "/integrations/:id", OperationID: "deleteIntegration", Tag: "platform-integrations",
			Summary: "Remove an outbound webhook; its secrets' key is erased and nothing more is sent (IntegrationDeleted)", Permission: adm,
			Status: http.StatusNoContent, Handler: a.delete, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/integrations/:id/test", OperationID: "testIntegration", Tag: "platform-integrations",
			Summary: "Send a signed test event (com.astra.platform.IntegrationTested) to this integration only, whatever its filters; delivered " +
				"asynchronously like any event (IntegrationTested)", Permission: w, Response: TestSent{}, Status: http.StatusAccepted, Handler: a.test,
			Errors: []int{404, 409}},
		{Method: http.MethodPost, Path: p + "/integrations/:id/rotate-secret", OperationID: "rotateIntegrationSecret", Tag: "platform-integrations",
			Summary:    "Make a new signing secret, shown once; for 24 hours every delivery carries a signature with each (IntegrationSecretRotated)",
			Permission: adm, Response: SecretRotated{}, Handler: a.rotate, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/integrations/:id/enable", OperationID: "enableIntegration", Tag: "platform-integrations",
			Summary:    "Resume deliveries of an integration disabled after repeated failure; what was queued meanwhile is sent (IntegrationEnabled)",
			Permission: adm, Response: rm.Integration{}, Handler: a.enable, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/integrations/:id/deliveries", OperationID: "listIntegrationDeliveries", Tag: "platform-integrations",
			Summary:    "The integration's deliveries, newest first, with attempts and the last answer; state=dead is the dead-letter list",
			Permission: r, Response: rm.Delivery{}, List: true, Handler: a.deliveries, Errors: []int{404},
			Query: []platform.Param{{Name: "state", Description: "Only deliveries in this state (dead: the dead-letter list)", Enum: states}}},
		{Method: http.MethodPost, Path: p + "/integrations/:id/replay", OperationID: "replayIntegration", Tag: "platform-integrations",
			Summary: "Deliver again every event after after_event_id that the integration's filters match, delivered and dead-lettered ones included " +
				"(at most 10,000) (DeliveriesReplayed)", Permission: adm, Request: ReplayRequest{}, Response: ReplayQueued{}, Status: http.StatusAccepted,
			Handler: a.replay, Errors: []int{404, 422}},
	}...)
	return routes
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

var integrationID = platform.IDParam(platformmod.ErrIntegrationNotFound)
