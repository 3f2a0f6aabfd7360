package platformmod

import (
	"context"
	"fmt"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/reactors"
)

// Notifications turns events (AEGIS alerts, workflow steps) into in-app
// notifications; the channels carry them further (package
// outbound/platformmod).
type Notifications struct {
	Commands *cmd.Handlers
}

// metaOf is the metadata of a command an event causes.
func metaOf(e *eventstore.Event) eventstore.Metadata {
	return eventstore.Metadata{TenantID: e.TenantID, Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.ID.String()}
}

// Alerts raises a notification to the tenant for every AEGIS alert.
func (n *Notifications) Alerts() reactors.Reactor {
	return reactors.Reactor{Name: "platform_alert_notifications", Module: platformmod.Module, Scope: reactors.Shared,
		Types: []events.Type{aegis.AlertRaised},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d aegis.AlertRaisedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			body := fmt.Sprintf("%s (rule %s) fired on %s", d.Title, d.RuleName, d.EventType)
			if d.Subject != "" {
				body += " for " + d.Subject
			}
			_, err := n.Commands.RaiseNotification(ctx, metaOf(e), platformmod.NotificationRaisedV1{NotificationID: e.ID.String(),
				Title: "AEGIS alert: " + d.Title, Body: body, Severity: d.Severity, SourceType: e.Type, SourceID: d.AlertID,
				Link: "/api/v1/aegis/alerts/" + d.AlertID})
			return err
		}}
}
