// Package platformmod holds the Platform module's command handlers:
// integrations (configure, rotate, disable, enable, delete, test, replay)
// and report jobs.
package platformmod

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
)

// URLGuard checks an outbound URL (the product's SSRF rules, package netguard).
type URLGuard interface {
	CheckURL(ctx context.Context, raw string) error
}

// Handlers are the Platform module's commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
	Guard URLGuard
	// Now is the clock (secret grace periods); time.Now when nil.
	Now eventstore.Clock
}

// RotationGrace is how long a rotated-out secret keeps signing.
const RotationGrace = 24 * time.Hour

func newSecret() string {
	key := make([]byte, 24)
	_, _ = rand.Read(key)
	return platformmod.SecretOf(key)
}

// ConfigureIntegration is a new outbound webhook.
type ConfigureIntegration struct {
	Name, URL, Mode string
	EventTypes      []string
}

// ConfigureIntegration checks the URL against the outbound rules, makes a
// signing secret, seals it and records IntegrationConfigured. It answers the
// secret in clear once.
func (h *Handlers) ConfigureIntegration(ctx context.Context, meta eventstore.Metadata, c ConfigureIntegration) (string, string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := platformmod.NewIntegration(platformmod.IntegrationConfiguredV1{IntegrationID: id, TenantID: meta.TenantID, Name: c.Name, URL: c.URL,
		EventTypes: c.EventTypes, Mode: c.Mode})
	if err != nil {
		return "", "", nil, err
	}
	if err := h.Guard.CheckURL(ctx, d.URL); err != nil {
		return "", "", nil, fmt.Errorf("%w: url: %v", platformmod.ErrInvalidIntegration, err)
	}
	secret := newSecret()
	if d.Secret, err = h.Keys.Seal(ctx, meta.TenantID, platformmod.SecretSubject(id), secret); err != nil {
		return "", "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, platformmod.StreamOfIntegration(id),
		eventstore.Draft{Type: platformmod.IntegrationConfigured, Subject: id, Data: d})
	return id, secret, evs, err
}

var integrations = func() *eventstore.Fold[platformmod.Integration] {
	f := eventstore.NewFold[platformmod.Integration]()
	eventstore.On(f, platformmod.IntegrationConfigured, func(s *platformmod.Integration, d *platformmod.IntegrationConfiguredV1, _ *eventstore.Event) {
		s.Configured(d)
	})
	eventstore.On(f, platformmod.IntegrationSecretRotated, func(s *platformmod.Integration, d *platformmod.IntegrationSecretRotatedV1, _ *eventstore.Event) {
		s.Rotated(d)
	})
	eventstore.On(f, platformmod.IntegrationDisabled, func(s *platformmod.Integration, _ *platformmod.IntegrationDisabledV1, _ *eventstore.Event) {
		s.State = platformmod.StateDisabled
	})
	eventstore.On(f, platformmod.IntegrationEnabled, func(s *platformmod.Integration, _ *platformmod.IntegrationEnabledV1, _ *eventstore.Event) {
		s.State = platformmod.StateActive
	})
	eventstore.On(f, platformmod.IntegrationDeleted, func(s *platformmod.Integration, _ *platformmod.IntegrationDeletedV1, _ *eventstore.Event) {
		s.State = platformmod.StateDeleted
	})
	return f
}()

// update runs decide on the integration id of the tenant.
func (h *Handlers) update(ctx context.Context, meta eventstore.Metadata, id string, decide func(i *platformmod.Integration) (eventstore.Decision, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, integrations, platformmod.StreamOfIntegration(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[platformmod.Integration]) (eventstore.Decision, error) {
			if err := a.State.Usable(meta.TenantID); err != nil {
				return nil, err
			}
			return decide(&a.State)
		})
}

// RotateSecret makes a new signing secret; the old one keeps signing for
// RotationGrace. It answers the new secret in clear once.
func (h *Handlers) RotateSecret(ctx context.Context, meta eventstore.Metadata, id string) (string, []eventstore.Event, error) {
	secret := newSecret()
	evs, err := h.update(ctx, meta, id, func(i *platformmod.Integration) (eventstore.Decision, error) {
		sealed, err := h.Keys.Seal(ctx, meta.TenantID, platformmod.SecretSubject(id), secret)
		if err != nil {
			return nil, err
		}
		return eventstore.One(platformmod.IntegrationSecretRotated, id, &platformmod.IntegrationSecretRotatedV1{IntegrationID: id, Secret: sealed,
			PreviousSecret: i.Secret, PreviousUntil: h.Now.Read().Add(RotationGrace).UTC()}, nil)
	})
	return secret, evs, err
}

// DeleteIntegration records IntegrationDeleted and erases the key that
// sealed its secrets.
func (h *Handlers) DeleteIntegration(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	evs, err := h.update(ctx, meta, id, func(*platformmod.Integration) (eventstore.Decision, error) {
		return eventstore.One(platformmod.IntegrationDeleted, id, &platformmod.IntegrationDeletedV1{IntegrationID: id}, nil)
	})
	if err != nil {
		return nil, err
	}
	return evs, h.Keys.Erase(ctx, meta.TenantID, platformmod.SecretSubject(id))
}

// DisableIntegration stops deliveries; disabling a disabled one records nothing.
func (h *Handlers) DisableIntegration(ctx context.Context, meta eventstore.Metadata, id, reason, eventID string) ([]eventstore.Event, error) {
	return h.update(ctx, meta, id, func(i *platformmod.Integration) (eventstore.Decision, error) {
		if i.State == platformmod.StateDisabled {
			return nil, nil
		}
		return eventstore.One(platformmod.IntegrationDisabled, id, &platformmod.IntegrationDisabledV1{IntegrationID: id, Reason: reason, EventID: eventID}, nil)
	})
}

// EnableIntegration resumes deliveries of a disabled integration.
func (h *Handlers) EnableIntegration(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	return h.update(ctx, meta, id, func(i *platformmod.Integration) (eventstore.Decision, error) {
		if i.State == platformmod.StateActive {
			return nil, nil
		}
		return eventstore.One(platformmod.IntegrationEnabled, id, &platformmod.IntegrationEnabledV1{IntegrationID: id}, nil)
	})
}

// TestIntegration records the test event, which the delivery reactor sends
// to this integration only.
func (h *Handlers) TestIntegration(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	return h.update(ctx, meta, id, func(i *platformmod.Integration) (eventstore.Decision, error) {
		if i.State != platformmod.StateActive {
			return nil, platformmod.ErrIntegrationDisabled
		}
		return eventstore.One(platformmod.IntegrationTested, id, &platformmod.IntegrationTestedV1{IntegrationID: id,
			Message: "A test event from ASTRA BASTION: the endpoint and its signature verification work."}, nil)
	})
}

// Requeuer queues events again for an integration (a replay).
type Requeuer interface {
	Requeue(ctx context.Context, integrationID string, evs []eventstore.Event) (int, error)
}

// Replay bounds: how many events a replay queues, and how much of the
// ledger it reads to find them.
const (
	MaxReplayEvents  = 10000
	MaxReplayScanned = 500000
)

// ReplayDeliveries finds the event afterID in the tenant's history, queues
// every later event of the tenant that the integration's filters match (at
// most MaxReplayEvents), and records DeliveriesReplayed.
func (h *Handlers) ReplayDeliveries(ctx context.Context, meta eventstore.Metadata, id, afterID string, q Requeuer) (int, []eventstore.Event, error) {
	a, err := eventstore.Load(ctx, h.Store, integrations, platformmod.StreamOfIntegration(id))
	if err != nil {
		return 0, nil, err
	}
	if err := a.State.Usable(meta.TenantID); err != nil {
		return 0, nil, err
	}
	uid, err := uuid.Parse(afterID)
	if err != nil {
		return 0, nil, platformmod.ErrEventNotFound
	}
	e, err := h.Store.EventByID(ctx, uid)
	if err != nil {
		return 0, nil, err
	}
	if e == nil || e.TenantID != meta.TenantID {
		return 0, nil, platformmod.ErrEventNotFound
	}
	n, pos, scanned := 0, e.Position, 0
	for n < MaxReplayEvents && scanned < MaxReplayScanned {
		evs, err := h.Store.ReadFrom(ctx, pos, 1000)
		if err != nil {
			return 0, nil, err
		}
		if len(evs) == 0 {
			break
		}
		scanned += len(evs)
		pos = evs[len(evs)-1].Position
		var match []eventstore.Event
		for _, x := range evs {
			if x.TenantID == meta.TenantID && platformmod.Matches(a.State.EventTypes, x.Type) && n+len(match) < MaxReplayEvents {
				match = append(match, x)
			}
		}
		k, err := q.Requeue(ctx, id, match)
		if err != nil {
			return 0, nil, err
		}
		n += k
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: platformmod.StreamOfIntegration(id), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: platformmod.DeliveriesReplayed, Subject: id, Data: &platformmod.DeliveriesReplayedV1{IntegrationID: id,
			AfterEventID: afterID, Events: n}}}})
	return n, evs, err
}
