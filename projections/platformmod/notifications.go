package platformmod

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// notificationTables declares what notification events do to the read model.
func notificationTables(t *projections.Table) {
	projections.On(t, platformmod.NotificationChannelCreated, projections.Exec(func(e *eventstore.Event, d *platformmod.NotificationChannelCreatedV1) (string, []any) {
		return `INSERT INTO %[1]s.notification_channels (id, tenant_id, name, type, target, event_types, min_severity, deleted, version, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8, $9) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ChannelID, e.TenantID, d.Name, d.Type, d.Target, d.EventTypes, d.MinSeverity, e.Version, e.Time}
	}))
	projections.On(t, platformmod.NotificationChannelDeleted, projections.Exec(func(e *eventstore.Event, d *platformmod.NotificationChannelDeletedV1) (string, []any) {
		return `UPDATE %[1]s.notification_channels SET deleted = true, target = '', version = $2 WHERE id = $1`, []any{d.ChannelID, e.Version}
	}))
	projections.On(t, platformmod.NotificationRaised, projections.Exec(func(e *eventstore.Event, d *platformmod.NotificationRaisedV1) (string, []any) {
		return `INSERT INTO %[1]s.notifications (id, tenant_id, user_id, title, body, severity, source_type, source_id, link, channels, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]', $10) ON CONFLICT (id) DO NOTHING`,
			[]any{d.NotificationID, e.TenantID, d.UserID, d.Title, d.Body, d.Severity, d.SourceType, d.SourceID, d.Link, e.Time}
	}))
	projections.On(t, platformmod.NotificationDelivered, projections.Exec(func(e *eventstore.Event, d *platformmod.NotificationDeliveredV1) (string, []any) {
		return `UPDATE %[1]s.notifications SET channels = channels || jsonb_build_array($2::text) WHERE id = $1 AND NOT channels ? $2`,
			[]any{d.NotificationID, d.ChannelID}
	}))
	projections.On(t, platformmod.NotificationRead, projections.Exec(func(e *eventstore.Event, d *platformmod.NotificationReadV1) (string, []any) {
		return `INSERT INTO %[1]s.notification_reads (tenant_id, notification_id, user_id, read_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			[]any{e.TenantID, d.NotificationID, d.UserID, e.Time}
	}))
	projections.On(t, platformmod.NotificationsReadAll, projections.Exec(func(e *eventstore.Event, d *platformmod.NotificationsReadAllV1) (string, []any) {
		// The latest read-all wins, whatever order partitions deliver in.
		return `INSERT INTO %[1]s.notification_read_all (tenant_id, user_id, before) VALUES ($1, $2, $3)
			ON CONFLICT (tenant_id, user_id) DO UPDATE SET before = greatest(notification_read_all.before, excluded.before)`,
			[]any{e.TenantID, d.UserID, d.Before}
	}))
}

const notificationDDL = `
	CREATE TABLE %[1]s.notification_channels (
		id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, type text NOT NULL, target text NOT NULL, event_types jsonb NOT NULL,
		min_severity text NOT NULL, deleted boolean NOT NULL, version bigint NOT NULL, created_at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.notification_channels (tenant_id, id DESC);
	CREATE TABLE %[1]s.notifications (
		id text PRIMARY KEY, tenant_id text NOT NULL, user_id text NOT NULL, title text NOT NULL, body text NOT NULL, severity text NOT NULL,
		source_type text NOT NULL, source_id text NOT NULL, link text NOT NULL, channels jsonb NOT NULL, created_at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.notifications (tenant_id, id DESC);
	CREATE TABLE %[1]s.notification_reads (
		tenant_id text NOT NULL, notification_id text NOT NULL, user_id text NOT NULL, read_at timestamptz NOT NULL, PRIMARY KEY (notification_id, user_id));
	CREATE TABLE %[1]s.notification_read_all (
		tenant_id text NOT NULL, user_id text NOT NULL, before timestamptz NOT NULL, PRIMARY KEY (tenant_id, user_id));
`

// Channel is a notification channel as listed (its target masked).
type Channel struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Type        string    `json:"type" enum:"email,webhook,slack"`
	EventTypes  []string  `json:"event_types"`
	MinSeverity string    `json:"min_severity" enum:"info,low,medium,high,critical"`
	CreatedAt   time.Time `json:"created_at"`
}

func scanChannel(r pgx.CollectableRow) (Channel, error) {
	var c Channel
	err := r.Scan(&c.ID, &c.Name, &c.Type, &c.EventTypes, &c.MinSeverity, &c.CreatedAt)
	return c, err
}

const channelColumns = `id, name, type, event_types, min_severity, created_at`

// Channels lists the tenant's channels, newest first.
func (q *Queries) Channels(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Channel], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".notification_channels", channelColumns).Where("tenant_id = ?", tenant).Where("NOT deleted").
			OrderBy(true, projections.TextKey("id"))
	}, p, scanChannel, func(c Channel) []any { return []any{c.ID} })
}

// Channel reads one channel; ErrChannelNotFound when the tenant has none of that id.
func (q *Queries) Channel(ctx context.Context, tenant, id string) (*Channel, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, platformmod.ErrChannelNotFound, scanChannel, func(s string) string {
		return `SELECT ` + channelColumns + ` FROM ` + s + `.notification_channels WHERE tenant_id = $1 AND id = $2 AND NOT deleted`
	}, tenant, id)
}

// ChannelTarget is a channel with its sealed target, for sending.
type ChannelTarget struct {
	Channel
	Target string
}

// ChannelTargets reads the tenant's live channels with their sealed targets.
func (q *Queries) ChannelTargets(ctx context.Context, tenant string) ([]ChannelTarget, error) {
	var out []ChannelTarget
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+channelColumns+`, target FROM `+s+`.notification_channels WHERE tenant_id = $1 AND NOT deleted`, tenant)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChannelTarget, error) {
			var c ChannelTarget
			err := r.Scan(&c.ID, &c.Name, &c.Type, &c.EventTypes, &c.MinSeverity, &c.CreatedAt, &c.Target)
			return c, err
		})
		return err
	})
	return out, err
}

// Notification is an in-app notification as its reader sees it.
type Notification struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	Severity string `json:"severity" enum:"info,low,medium,high,critical"`
	// SourceType and SourceID name the event that raised it.
	SourceType string `json:"source_type"`
	SourceID   string `json:"source_id"`
	Link       string `json:"link,omitempty"`
	// Personal is set when it is addressed to the reader only.
	Personal bool `json:"personal"`
	Read     bool `json:"read"`
	// Channels are the channels that carried it out of the product.
	Channels  []string  `json:"channels"`
	CreatedAt time.Time `json:"created_at"`
}

func scanNotification(r pgx.CollectableRow) (Notification, error) {
	var n Notification
	err := r.Scan(&n.ID, &n.Title, &n.Body, &n.Severity, &n.SourceType, &n.SourceID, &n.Link, &n.Personal, &n.Channels, &n.CreatedAt, &n.Read)
	return n, err
}

// readExpr is whether user read n: one by one, or by a read-all after it was raised.
func readExpr(s string) string {
	return `(EXISTS (SELECT 1 FROM ` + s + `.notification_reads r WHERE r.notification_id = n.id AND r.user_id = $USER)
		OR EXISTS (SELECT 1 FROM ` + s + `.notification_read_all a WHERE a.tenant_id = n.tenant_id AND a.user_id = $USER AND a.before >= n.created_at))`
}

// Notifications lists what user sees (theirs and the tenant's), newest first.
func (q *Queries) Notifications(ctx context.Context, tenant, user string, unread bool, p projections.PageRequest) (projections.Page[Notification], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		read := readWith(s, user)
		return projections.NewList(s+`.notifications n`, `n.id, n.title, n.body, n.severity, n.source_type, n.source_id, n.link, n.user_id <> '',
			n.channels, n.created_at, `+read).Where("n.tenant_id = ?", tenant).Where("(n.user_id = '' OR n.user_id = ?)", user).
			WhereIf(unread, "NOT "+read).OrderBy(true, projections.TextKey("n.id"))
	}, p, scanNotification, func(n Notification) []any { return []any{n.ID} })
}

// Notification reads one notification user sees; ErrNotificationNotFound otherwise.
func (q *Queries) Notification(ctx context.Context, tenant, user, id string) (*Notification, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, platformmod.ErrNotificationNotFound, scanNotification, func(s string) string {
		return `SELECT n.id, n.title, n.body, n.severity, n.source_type, n.source_id, n.link, n.user_id <> '', n.channels, n.created_at, ` + readWith(s, user) +
			` FROM ` + s + `.notifications n WHERE n.tenant_id = $1 AND n.id = $2 AND (n.user_id = '' OR n.user_id = $3)`
	}, tenant, id, user)
}

// readWith is readExpr for one user, quoted as a literal (the list builder
// numbers its own parameters).
func readWith(s, user string) string {
	lit := "'" + strings.ReplaceAll(user, "'", "''") + "'"
	return strings.ReplaceAll(readExpr(s), "$USER", lit)
}
