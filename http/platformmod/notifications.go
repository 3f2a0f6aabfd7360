package platformmod

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rm "github.com/astrabastion/astra/projections/platformmod"
)

// ChannelRequest is the body of POST /platform/notification-channels.
type ChannelRequest struct {
	Name string `json:"name" validate:"required,max=200"`
	Type string `json:"type" validate:"required,oneof=email webhook slack"`
	// Target is the e-mail address (email) or the https URL (webhook, a
	// Slack-compatible incoming webhook); kept sealed, never shown again.
	Target string `json:"target" validate:"required,max=2000"`
	// EventTypes are the causes it carries ("com.astra.aegis.AlertRaised",
	// "com.astra.platform.*"); all when left out.
	EventTypes []string `json:"event_types,omitempty" validate:"max=100"`
	// MinSeverity is the lowest severity it carries (default info).
	MinSeverity string `json:"min_severity,omitempty" validate:"omitempty,oneof=info low medium high critical"`
}

// ReadAllResult is the answer of POST /platform/notifications/read-all.
type ReadAllResult struct {
	// Unread is how many notifications the caller has left unread (0).
	Unread int64 `json:"unread"`
}

var (
	notificationID = platform.IDParam(platformmod.ErrNotificationNotFound)
	channelID      = platform.IDParam(platformmod.ErrChannelNotFound)
)

func (a *API) notificationRoutes(p, r, adm string) []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/notifications", OperationID: "listNotifications", Tag: "platform-notifications",
			Summary: "The caller's in-app notifications (theirs and their tenant's), newest first, with whether they read each", Permission: r,
			Response: rm.Notification{}, List: true, Handler: a.notifications,
			Query: []platform.Param{{Name: "unread", Description: "Only unread (true) notifications", Schema: "boolean"}}},
		{Method: http.MethodPost, Path: p + "/notifications/read-all", OperationID: "readAllNotifications", Tag: "platform-notifications",
			Summary: "Mark everything the caller was notified of until now as read (NotificationsReadAll)", Permission: r, Response: ReadAllResult{},
			Handler: a.readAll},
		{Method: http.MethodPost, Path: p + "/notifications/:id/read", OperationID: "readNotification", Tag: "platform-notifications",
			Summary: "Mark one notification read for the caller (NotificationRead)", Permission: r, Response: rm.Notification{}, Handler: a.readOne,
			Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/notification-channels", OperationID: "listNotificationChannels", Tag: "platform-notifications",
			Summary: "Channels that carry notifications out of the product (targets are never shown)", Permission: r, Response: rm.Channel{}, List: true,
			Handler: a.channels},
		{Method: http.MethodPost, Path: p + "/notification-channels", OperationID: "createNotificationChannel", Tag: "platform-notifications",
			Summary: "Add a channel: e-mail (SMTP, or the outbox directory when no server is configured), a generic webhook (JSON) or a Slack-compatible " +
				"incoming webhook ({text}); its rule is the causes (event type patterns, e.g. com.astra.aegis.AlertRaised) and the minimum severity it " +
				"carries (NotificationChannelCreated)", Permission: adm, Request: ChannelRequest{}, Response: rm.Channel{}, Status: http.StatusCreated,
			Handler: a.createChannel, Errors: []int{422}},
		{Method: http.MethodDelete, Path: p + "/notification-channels/:id", OperationID: "deleteNotificationChannel", Tag: "platform-notifications",
			Summary: "Remove a channel; its target's key is erased (NotificationChannelDeleted)", Permission: adm, Status: http.StatusNoContent,
			Handler: a.deleteChannel, Errors: []int{404}},
	}
}

func user(c echo.Context) string { return auth.PrincipalOf(c).Subject }

func (a *API) notifications(c echo.Context) error {
	unread := false
	if v := c.QueryParam("unread"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return platform.Problem("VAL-005", "unread must be true or false.")
		}
		unread = b
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Notification], error) {
		return a.Queries.Notifications(c.Request().Context(), tenant(c), user(c), unread, p)
	})
}

func (a *API) readOne(c echo.Context) error {
	id, err := notificationID(c)
	if err != nil {
		return err
	}
	if _, err := a.Queries.Notification(c.Request().Context(), tenant(c), user(c), id); err != nil {
		return err
	}
	evs, err := a.Commands.ReadNotification(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		n, err := a.Queries.Notification(c.Request().Context(), tenant(c), user(c), id)
		if err != nil {
			return err
		}
		return platform.Respond(c, http.StatusOK, n)
	})
}

func (a *API) readAll(c echo.Context) error {
	evs, err := a.Commands.ReadAll(c.Request().Context(), writes.Metadata(c))
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		page, err := a.Queries.Notifications(c.Request().Context(), tenant(c), user(c), true, projections.PageRequest{Limit: 1})
		if err != nil {
			return err
		}
		return platform.Respond(c, http.StatusOK, ReadAllResult{Unread: page.Total})
	})
}

func (a *API) channels(c echo.Context) error {
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Channel], error) {
		return a.Queries.Channels(c.Request().Context(), tenant(c), p)
	})
}

func (a *API) createChannel(c echo.Context) error {
	var req ChannelRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	id, evs, err := a.Commands.CreateChannel(c.Request().Context(), writes.Metadata(c), cmd.CreateChannel{Name: req.Name, Type: req.Type, Target: req.Target,
		EventTypes: req.EventTypes, MinSeverity: req.MinSeverity})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		ch, err := a.Queries.Channel(c.Request().Context(), tenant(c), id)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/platform/notification-channels/"+id)
		return platform.Respond(c, http.StatusCreated, ch)
	})
}

func (a *API) deleteChannel(c echo.Context) error {
	id, err := channelID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteChannel(c.Request().Context(), writes.Metadata(c), id)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}
