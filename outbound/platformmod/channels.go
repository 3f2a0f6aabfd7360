package platformmod

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	rm "github.com/astrabastion/astra/projections/platformmod"
	"github.com/astrabastion/astra/reactors"
)

// Mailer sends a plain-text e-mail (the platform's mail path: SMTP, or the
// outbox directory when no server is configured).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Notifier carries each notification to the channels whose rules match it.
type Notifier struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Keys     *eventstore.Keyring
	Mail     Mailer
	// Client posts to webhook and Slack channels (netguard-checked).
	Client *http.Client
}

// Channels carries every notification to the tenant's channels whose event
// type patterns match its cause and whose minimum severity it reaches.
func (n *Notifier) Channels() reactors.Reactor {
	return reactors.Reactor{Name: "platform_notification_channels", Module: platformmod.Module, Scope: reactors.Shared,
		Types: []events.Type{platformmod.NotificationRaised},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d platformmod.NotificationRaisedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			chs, err := n.Queries.ChannelTargets(ctx, e.TenantID)
			if err != nil {
				return err
			}
			for _, c := range chs {
				if !platformmod.Matches(c.EventTypes, d.SourceType) || !platformmod.SeverityAtLeast(d.Severity, c.MinSeverity) {
					continue
				}
				done, err := n.Commands.Delivered(ctx, d.NotificationID, c.ID)
				if err != nil || done {
					if err != nil {
						return err
					}
					continue
				}
				if err := n.send(ctx, c, e, &d); err != nil {
					return fmt.Errorf("channel %s: %w", c.ID, err)
				}
				if _, err := n.Commands.RecordDelivery(ctx, eventstore.Metadata{TenantID: e.TenantID, Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.ID.String()}, platformmod.NotificationDeliveredV1{NotificationID: d.NotificationID,
					ChannelID: c.ID, ChannelType: c.Type}); err != nil {
					return err
				}
			}
			return nil
		}}
}

func (n *Notifier) send(ctx context.Context, c rm.ChannelTarget, e *eventstore.Event, d *platformmod.NotificationRaisedV1) error {
	target, err := n.Keys.Open(ctx, c.Target)
	if err != nil {
		return err
	}
	var payload any
	switch c.Type {
	case platformmod.ChannelEmail:
		return n.Mail.Send(ctx, target, "[ASTRA BASTION] "+d.Title, fmt.Sprintf("%s\r\n\r\nSeverity: %s\r\nCause: %s %s\r\n%s\r\n",
			d.Body, d.Severity, d.SourceType, d.SourceID, d.Link))
	case platformmod.ChannelSlack:
		payload = map[string]string{"text": fmt.Sprintf("*%s* (%s)\n%s", d.Title, d.Severity, d.Body)}
	default:
		payload = map[string]any{"id": d.NotificationID, "tenant_id": e.TenantID, "title": d.Title, "body": d.Body, "severity": d.Severity,
			"source_type": d.SourceType, "source_id": d.SourceID, "link": d.Link, "created_at": e.Time}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := n.Client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	if !platformmod.Delivered(res.StatusCode) {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return nil
}
