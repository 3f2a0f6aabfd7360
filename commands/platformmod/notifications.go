package platformmod

import (
	"context"
	"errors"

	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
)

// CreateChannel is a new notification channel.
type CreateChannel struct {
	Name, Type, Target, MinSeverity string
	EventTypes                      []string
}

// CreateChannel checks a webhook target against the outbound rules, seals
// the target and records NotificationChannelCreated.
func (h *Handlers) CreateChannel(ctx context.Context, meta eventstore.Metadata, c CreateChannel) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := platformmod.NewChannel(platformmod.NotificationChannelCreatedV1{ChannelID: id, TenantID: meta.TenantID, Name: c.Name, Type: c.Type,
		Target: c.Target, EventTypes: c.EventTypes, MinSeverity: c.MinSeverity})
	if err != nil {
		return "", nil, err
	}
	if d.Type != platformmod.ChannelEmail {
		if err := h.Guard.CheckURL(ctx, d.Target); err != nil {
			return "", nil, errors.Join(platformmod.ErrInvalidChannel, err)
		}
	}
	if d.Target, err = h.Keys.Seal(ctx, meta.TenantID, platformmod.ChannelSubject(id), d.Target); err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, platformmod.StreamOfChannel(id),
		eventstore.Draft{Type: platformmod.NotificationChannelCreated, Subject: id, Data: d})
	return id, evs, err
}

type channelState struct {
	TenantID string
	Deleted  bool
}

var channels = func() *eventstore.Fold[channelState] {
	f := eventstore.NewFold[channelState]()
	eventstore.On(f, platformmod.NotificationChannelCreated, func(s *channelState, d *platformmod.NotificationChannelCreatedV1, _ *eventstore.Event) {
		s.TenantID = d.TenantID
	})
	eventstore.On(f, platformmod.NotificationChannelDeleted, func(s *channelState, _ *platformmod.NotificationChannelDeletedV1, _ *eventstore.Event) {
		s.Deleted = true
	})
	return f
}()

// DeleteChannel records NotificationChannelDeleted and erases the key of its target.
func (h *Handlers) DeleteChannel(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	evs, err := eventstore.Update(ctx, h.Store, meta, channels, platformmod.StreamOfChannel(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[channelState]) (eventstore.Decision, error) {
			if !a.Exists() || a.State.TenantID != meta.TenantID || a.State.Deleted {
				return nil, platformmod.ErrChannelNotFound
			}
			return eventstore.One(platformmod.NotificationChannelDeleted, id, &platformmod.NotificationChannelDeletedV1{ChannelID: id}, nil)
		})
	if err != nil {
		return nil, err
	}
	return evs, h.Keys.Erase(ctx, meta.TenantID, platformmod.ChannelSubject(id))
}

// RaiseNotification records an in-app notification once per id (a second
// raise of the same id, a redelivered cause, records nothing).
func (h *Handlers) RaiseNotification(ctx context.Context, meta eventstore.Metadata, d platformmod.NotificationRaisedV1) ([]eventstore.Event, error) {
	d.TenantID = meta.TenantID
	evs, err := eventstore.Create(ctx, h.Store, meta, platformmod.StreamOfNotification(d.NotificationID),
		eventstore.Draft{Type: platformmod.NotificationRaised, Subject: d.NotificationID, Data: &d})
	if errors.Is(err, eventstore.ErrVersionMismatch) {
		return nil, nil
	}
	return evs, err
}

type notificationState struct {
	TenantID, UserID string
	Delivered        map[string]bool
	ReadBy           map[string]bool
}

var notifications = func() *eventstore.Fold[notificationState] {
	f := eventstore.NewFold[notificationState]()
	eventstore.On(f, platformmod.NotificationRaised, func(s *notificationState, d *platformmod.NotificationRaisedV1, e *eventstore.Event) {
		s.TenantID, s.UserID = e.TenantID, d.UserID
		s.Delivered, s.ReadBy = map[string]bool{}, map[string]bool{}
	})
	eventstore.On(f, platformmod.NotificationDelivered, func(s *notificationState, d *platformmod.NotificationDeliveredV1, _ *eventstore.Event) {
		s.Delivered[d.ChannelID] = true
	})
	eventstore.On(f, platformmod.NotificationRead, func(s *notificationState, d *platformmod.NotificationReadV1, _ *eventstore.Event) {
		s.ReadBy[d.UserID] = true
	})
	return f
}()

// Delivered reports whether a channel carried the notification already.
func (h *Handlers) Delivered(ctx context.Context, notificationID, channelID string) (bool, error) {
	a, err := eventstore.Load(ctx, h.Store, notifications, platformmod.StreamOfNotification(notificationID))
	if err != nil {
		return false, err
	}
	return a.State.Delivered[channelID], nil
}

// RecordDelivery records that a channel carried a notification (once).
func (h *Handlers) RecordDelivery(ctx context.Context, meta eventstore.Metadata, d platformmod.NotificationDeliveredV1) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, notifications, platformmod.StreamOfNotification(d.NotificationID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[notificationState]) (eventstore.Decision, error) {
			if a.State.Delivered[d.ChannelID] {
				return nil, nil
			}
			return eventstore.One(platformmod.NotificationDelivered, d.NotificationID, &d, nil)
		})
}

// ReadNotification records that the caller read a notification addressed
// to them (or to everyone); reading it twice records nothing.
func (h *Handlers) ReadNotification(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, notifications, platformmod.StreamOfNotification(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[notificationState]) (eventstore.Decision, error) {
			if !a.Exists() || a.State.TenantID != meta.TenantID || (a.State.UserID != "" && a.State.UserID != meta.Actor) {
				return nil, platformmod.ErrNotificationNotFound
			}
			if a.State.ReadBy[meta.Actor] {
				return nil, nil
			}
			return eventstore.One(platformmod.NotificationRead, id, &platformmod.NotificationReadV1{NotificationID: id, UserID: meta.Actor}, nil)
		})
}

// ReadAll records that the caller read everything raised until now.
func (h *Handlers) ReadAll(ctx context.Context, meta eventstore.Metadata) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: platformmod.StreamOfInbox(meta.Actor), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: platformmod.NotificationsReadAll, Subject: meta.Actor,
			Data: &platformmod.NotificationsReadAllV1{UserID: meta.Actor, Before: h.Now.Read()}}}})
}
