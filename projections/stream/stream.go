// Package stream is the read side of the live event stream: the Kafka feed
// an instance consumes while it has WebSocket subscribers, the check that
// each record is a ledger event, the ledger replay that catches a
// subscriber up ("since"), and the rendering of an event for people. The
// WebSocket hub (http/ws) fans these events out; it never opens the broker
// or the ledger itself (decision 0015).
package stream

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// Event is one ledger event on its way to subscribers.
type Event struct {
	// Position is the event's place in the ledger.
	Position int64
	// TenantID owns the event; only its subscribers see it.
	TenantID string
	// Module is the module whose read permission the event needs.
	Module string
	// Channel is the event's WebSocket channel (trust.score.updated …).
	Channel string

	ev eventstore.Event
}

func newEvent(e eventstore.Event) Event {
	module := e.Module()
	if t, ok := events.Lookup(e.Type); ok {
		module = t.Module
	}
	return Event{Position: e.Position, TenantID: e.TenantID, Module: module, Channel: e.Channel(), ev: e}
}

// Source reads the live stream's events: from the broker while the feed
// runs, and from the ledger for a catch-up.
type Source struct {
	pool *pgxpool.Pool
	keys *eventstore.Keyring
	// Records, when set before Run, checks that every record of the feed
	// is a ledger event: a forged record never reaches a subscriber.
	Records *eventstore.RecordAuth
	// Feed consumes the module topics while somebody subscribes.
	Feed Feed
}

// NewSource reads the ledger through pool and renders with keys.
func NewSource(pool *pgxpool.Pool, keys *eventstore.Keyring) *Source {
	return &Source{pool: pool, keys: keys}
}

// Handlers are what the feed calls for each record.
type Handlers struct {
	// Wanted reports whether anybody listens; a record for nobody is not
	// decoded at all.
	Wanted func() bool
	// Deliver receives each event that verified.
	Deliver func(context.Context, *Event)
	// Refused counts a record that is not a ledger event (it is logged here).
	Refused func()
}

// Configure sets the brokers the feed reads and what it calls per record;
// call it once, before the first Acquire.
func (s *Source) Configure(brokers []string, log *slog.Logger, h Handlers) {
	s.Feed.brokers, s.Feed.log = brokers, log
	s.Feed.deliver = func(ctx context.Context, m *sarama.ConsumerMessage) {
		if h.Wanted != nil && !h.Wanted() {
			return // nobody left to deliver to: skip decoding
		}
		var ev eventstore.Event
		var err error
		if s.Records != nil {
			ev, err = s.Records.Verify(ctx, m)
		} else {
			ev, err = eventstore.FromKafka(m)
		}
		if err != nil {
			if h.Refused != nil {
				h.Refused()
			}
			log.Error("live stream: record refused", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
				"event_id", ev.ID, "type", ev.Type, "tenant", ev.TenantID, "err", err)
			return
		}
		e := newEvent(ev)
		h.Deliver(ctx, &e)
	}
}

// Close stops the feed for good.
func (s *Source) Close() { s.Feed.close() }

// Render encodes an event as a structured CloudEvent with personal fields
// opened (erased ones read as "[erased]") and secrets redacted; nil when it
// cannot be encoded.
func (s *Source) Render(ctx context.Context, e *Event) []byte {
	ce := e.ev.CloudEvent(s.keys.OpenEvent(ctx, &e.ev))
	b, err := json.Marshal(ce)
	if err != nil {
		return nil
	}
	return b
}

// PositionOf is the ledger position of a tenant's event (0 when the tenant
// has no such event).
func (s *Source) PositionOf(ctx context.Context, tenantID string, id uuid.UUID) (int64, error) {
	return eventstore.PositionOf(ctx, s.pool, tenantID, id)
}

// Replay reads up to limit of the tenant's events after position, in ledger
// order, and whether more follow.
func (s *Source) Replay(ctx context.Context, tenantID string, after int64, limit int) ([]Event, bool, error) {
	evs, more, err := eventstore.QueryAudit(ctx, s.pool, eventstore.AuditFilter{TenantID: tenantID, After: after, Limit: limit})
	if err != nil {
		return nil, false, err
	}
	out := make([]Event, len(evs))
	for i := range evs {
		out[i] = newEvent(evs[i])
	}
	return out, more, nil
}
