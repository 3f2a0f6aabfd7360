package platformmod

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Event types of notifications.
var (
	NotificationChannelCreated = evt("NotificationChannelCreated", func() any { return &NotificationChannelCreatedV1{} })
	NotificationChannelDeleted = evt("NotificationChannelDeleted", func() any { return &NotificationChannelDeletedV1{} })
	NotificationRaised         = evt("NotificationRaised", func() any { return &NotificationRaisedV1{} })
	NotificationDelivered      = evt("NotificationDelivered", func() any { return &NotificationDeliveredV1{} })
	NotificationRead           = evt("NotificationRead", func() any { return &NotificationReadV1{} })
	NotificationsReadAll       = evt("NotificationsReadAll", func() any { return &NotificationsReadAllV1{} })
)

func init() {
	registerTypes(NotificationChannelCreated, NotificationChannelDeleted, NotificationRaised, NotificationDelivered, NotificationRead, NotificationsReadAll)
}

// Errors of notifications.
var (
	ErrChannelNotFound      = errors.New("platform: notification channel not found")
	ErrInvalidChannel       = errors.New("platform: invalid notification channel")
	ErrNotificationNotFound = errors.New("platform: notification not found")
)

// Channel types.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ChannelSlack   = "slack"
)

// ChannelTypes are the accepted channel types.
var ChannelTypes = []string{ChannelEmail, ChannelWebhook, ChannelSlack}

// Severities, lowest first.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// SeverityAtLeast reports whether s is at or above min (an unknown s counts as info).
func SeverityAtLeast(s, min string) bool { return rank(s) >= rank(min) }

func rank(s string) int {
	for i, x := range Severities {
		if x == s {
			return i
		}
	}
	return 0
}

// NotificationChannelCreatedV1 records a channel. Target (an e-mail address
// or a webhook URL, which for Slack is itself a credential) is sealed under
// the channel's data key.
type NotificationChannelCreatedV1 struct {
	ChannelID   string   `json:"channel_id"`
	TenantID    string   `json:"tenant_id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Target      string   `json:"target"`
	EventTypes  []string `json:"event_types"`
	MinSeverity string   `json:"min_severity"`
}

// NotificationChannelDeletedV1 records a channel's removal.
type NotificationChannelDeletedV1 struct {
	ChannelID string `json:"channel_id"`
}

// NotificationRaisedV1 is an in-app notification: to one user, or (UserID
// empty) to every user of the tenant; the channels whose rules match it
// carry it out of the product too.
type NotificationRaisedV1 struct {
	NotificationID string `json:"notification_id"`
	TenantID       string `json:"tenant_id"`
	UserID         string `json:"user_id,omitempty"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	Severity       string `json:"severity"`
	// SourceType and SourceID are the event that caused it.
	SourceType string `json:"source_type"`
	SourceID   string `json:"source_id"`
	Link       string `json:"link,omitempty"`
}

// NotificationDeliveredV1 records a notification carried by a channel.
type NotificationDeliveredV1 struct {
	NotificationID string `json:"notification_id"`
	ChannelID      string `json:"channel_id"`
	ChannelType    string `json:"channel_type"`
}

// NotificationReadV1 records that a user read a notification.
type NotificationReadV1 struct {
	NotificationID string `json:"notification_id"`
	UserID         string `json:"user_id"`
}

// NotificationsReadAllV1 records that a user read everything raised up to Before.
type NotificationsReadAllV1 struct {
	UserID string    `json:"user_id"`
	Before time.Time `json:"before"`
}

// NewChannel validates a channel: a name, a known type, an e-mail address
// for email and an https URL for the webhooks, event type patterns, a known
// minimum severity.
func NewChannel(d NotificationChannelCreatedV1) (*NotificationChannelCreatedV1, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || len(d.Name) > 200 {
		return nil, fmt.Errorf("%w: a name of 1 to 200 characters is required", ErrInvalidChannel)
	}
	switch d.Type {
	case ChannelEmail:
		a, err := mail.ParseAddress(d.Target)
		if err != nil || a.Address != d.Target {
			return nil, fmt.Errorf("%w: target must be an e-mail address", ErrInvalidChannel)
		}
	case ChannelWebhook, ChannelSlack:
		u, err := url.Parse(d.Target)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return nil, fmt.Errorf("%w: target must be an absolute https URL without credentials", ErrInvalidChannel)
		}
	default:
		return nil, fmt.Errorf("%w: type must be email, webhook or slack", ErrInvalidChannel)
	}
	if len(d.EventTypes) == 0 {
		d.EventTypes = []string{"*"}
	}
	for _, p := range d.EventTypes {
		if !validPattern(p) {
			return nil, fmt.Errorf("%w: event type pattern %q is neither \"*\", a com.astra type nor a prefix ending in \".*\"", ErrInvalidChannel, p)
		}
	}
	if d.MinSeverity == "" {
		d.MinSeverity = "info"
	}
	if rank(d.MinSeverity) == 0 && d.MinSeverity != "info" {
		return nil, fmt.Errorf("%w: min_severity must be one of %s", ErrInvalidChannel, strings.Join(Severities, ", "))
	}
	return &d, nil
}

// StreamOfChannel is a channel's stream.
func StreamOfChannel(id string) string { return "platform-channel-" + id }

// StreamOfNotification is a notification's stream, keyed by what caused it
// (a redelivered cause raises nothing new).
func StreamOfNotification(id string) string { return "platform-notification-" + id }

// StreamOfInbox is a user's inbox stream (read-all).
func StreamOfInbox(userID string) string { return "platform-inbox-" + userID }

// ChannelSubject is the data key subject that seals a channel's target.
func ChannelSubject(id string) string { return "platform/channel/" + id }
