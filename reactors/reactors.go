// Package reactors runs the product's effects across modules: event-driven
// process managers that consume the log like projections do, but act (a
// command, a cache invalidation, a revocation) instead of writing a read
// model. Modules declare them in their descriptors; the host runs them on
// watermill's Router over the Kafka topics, with its middleware for what it
// serves: recovery from panics, retries with backoff, correlation ids, and a
// poison queue (the projections' dead-letter table, so that one admin list
// shows both).
//
// Delivery is at least once: a reactor's Handle must be idempotent (a second
// recalculation, invalidation or revocation changes nothing).
package reactors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// Scope says which instances run a reactor.
type Scope int

const (
	// Shared reactors run once per event across the cluster (one consumer
	// group): commands, notifications.
	Shared Scope = iota
	// EveryInstance reactors run on every instance (each its own consumer,
	// from the newest record), and also synchronously on the instance that
	// commits the event, before the write answers: cache invalidation,
	// revocation. A security change takes effect before the write that made it
	// answers, and everywhere else as soon as the log reaches it.
	EveryInstance
)

// Reactor is one effect of events.
type Reactor struct {
	// Name is unique, [a-z][a-z0-9_]*.
	Name string
	// Module is the module that declares it.
	Module string
	// Types are the event types it reacts to; its topics follow from them.
	Types []events.Type
	Scope Scope
	// Handle acts on one event. It must be idempotent. An error is retried
	// with backoff, then the event is dead-lettered.
	Handle func(ctx context.Context, e *eventstore.Event) error
}

// Topics are the topics the reactor consumes.
func (r Reactor) Topics() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range r.Types {
		for _, topic := range t.Topics() {
			if !seen[topic] {
				seen[topic] = true
				out = append(out, topic)
			}
		}
	}
	sort.Strings(out)
	return out
}

// handles reports whether the reactor reacts to the CloudEvents type. Local
// asks it of every event this process commits, request records included, so
// it compares the registered type's parts instead of building each type's
// name (an allocation per type per event).
func (r Reactor) handles(ceType string) bool {
	t, ok := events.Lookup(ceType)
	if !ok {
		return false
	}
	for _, x := range r.Types {
		if x.Module == t.Module && x.Name == t.Name {
			return true
		}
	}
	return false
}

// DeadLetter is what the poison queue records of an event a reactor gave up on.
type DeadLetter struct {
	Reactor string
	Event   eventstore.Event
	Topic   string
	Err     string
}

// Host runs reactors.
type Host struct {
	Brokers []string
	Log     *slog.Logger
	// Auth checks that every consumed record is a ledger event.
	Auth *eventstore.RecordAuth
	// Instance names this process (consumer groups of EveryInstance reactors).
	Instance string
	// DeadLetter records an event a reactor gave up on (required).
	DeadLetter func(ctx context.Context, d DeadLetter) error
	// Since is when this instance loaded the state its EveryInstance
	// reactors keep current (zero: when Run starts); they consume from there.
	Since time.Time
	// Retries and Backoff tune the retry middleware (defaults 5, 100 ms).
	Retries int
	Backoff time.Duration

	mu       sync.Mutex
	reactors []Reactor
	// events are the checked events of messages in flight, by message UUID.
	events sync.Map
}

// event is the checked event a message carries.
func (h *Host) event(msg *message.Message) (*eventstore.Event, bool) {
	v, ok := h.events.Load(msg.UUID)
	if !ok {
		return nil, false
	}
	return v.(*eventstore.Event), true
}

// release forgets the event of a message that is done with.
func (h *Host) release(msg *message.Message) { h.events.Delete(msg.UUID) }

// Add registers reactors; it panics on a duplicate or invalid one (a
// programming error found at start).
func (h *Host) Add(rs ...Reactor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range rs {
		if r.Name == "" || r.Handle == nil || len(r.Types) == 0 {
			panic("reactors: reactor without name, types or handler")
		}
		for _, t := range r.Types {
			if _, ok := events.Lookup(t.CEType()); !ok {
				panic("reactors: " + r.Name + " reacts to unregistered " + t.CEType())
			}
		}
		for _, o := range h.reactors {
			if o.Name == r.Name {
				panic("reactors: " + r.Name + " declared twice")
			}
		}
		h.reactors = append(h.reactors, r)
	}
}

// Reactors lists the registered reactors.
func (h *Host) Reactors() []Reactor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Reactor(nil), h.reactors...)
}

// Local runs the EveryInstance reactors on events this process committed;
// the event store calls it (Store.Observe) before the append returns.
// Errors are logged: the same event reaches them again from the log.
func (h *Host) Local(evs []eventstore.Event) {
	for _, r := range h.Reactors() {
		if r.Scope != EveryInstance {
			continue
		}
		for i := range evs {
			if !r.handles(evs[i].Type) {
				continue
			}
			if err := r.Handle(context.WithValue(context.Background(), localKey{}, true), &evs[i]); err != nil && h.Log != nil {
				h.Log.Warn("reactor failed on a local commit (the log delivers it again)", "reactor", r.Name, "event", evs[i].Type, "err", err)
			}
		}
	}
}

type localKey struct{}

// IsLocal reports whether a handler runs on the instance that committed the
// event, before its append returned (rather than from the log).
func IsLocal(ctx context.Context) bool {
	v, _ := ctx.Value(localKey{}).(bool)
	return v
}

// Run consumes the log for every reactor until ctx ends.
func (h *Host) Run(ctx context.Context) error {
	rs := h.Reactors()
	if len(rs) == 0 {
		<-ctx.Done()
		return nil
	}
	logger := watermill.NewSlogLogger(h.Log)
	if h.Log == nil {
		logger = watermill.NopLogger{}
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, logger)
	if err != nil {
		return err
	}
	retries, backoff := h.Retries, h.Backoff
	if retries == 0 {
		retries = 5
	}
	if backoff == 0 {
		backoff = 100 * time.Millisecond
	}
	poison, err := middleware.PoisonQueueWithFilter(&deadLetterPublisher{h: h}, "astra.reactors.dead", func(err error) bool { return true })
	if err != nil {
		return err
	}
	router.AddMiddleware(
		middleware.Recoverer,
		poison, // outermost of the two: it sees what the retries gave up on
		middleware.Retry{MaxRetries: retries, InitialInterval: backoff, MaxInterval: 5 * time.Second, Multiplier: 2,
			ShouldRetry: func(p middleware.RetryParams) bool { return !errors.Is(p.Err, errRejected) }, Logger: logger}.Middleware,
		middleware.CorrelationID,
	)
	var closers []message.Subscriber
	defer func() {
		for _, s := range closers {
			_ = s.Close()
		}
	}()
	for _, r := range rs {
		cfg := eventstore.KafkaConfig("astra-reactor-" + r.Name)
		cfg.Consumer.Return.Errors = true
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		// The broker answers a fetch as soon as a record is there; the wait
		// bounds only how often an idle reactor polls.
		cfg.Consumer.MaxWaitTime = idleWait
		group := "astra-reactor-" + r.Name
		if r.Scope == EveryInstance {
			// Every instance sees every event from the moment it loaded its
			// state (Since, less a margin for clocks): nothing committed while
			// it started is missed, what it loaded already is seen again
			// (handlers are idempotent).
			sub, err := newSinceSubscriber(h.Brokers, cfg, h.since(), unmarshaler{h: h, name: r.Name, wants: r.handles})
			if err != nil {
				return fmt.Errorf("reactors: %s: %w", r.Name, err)
			}
			closers = append(closers, sub)
			for _, topic := range r.Topics() {
				router.AddConsumerHandler(r.Name+"@"+topic, topic, sub, h.handler(r, topic))
			}
			continue
		}
		sub, err := newGroupSubscriber(h.Brokers, cfg, group, r.Topics(), unmarshaler{h: h, name: r.Name, wants: r.handles}, h.Log)
		if err != nil {
			return fmt.Errorf("reactors: %s: %w", r.Name, err)
		}
		closers = append(closers, sub)
		for _, topic := range r.Topics() {
			router.AddConsumerHandler(r.Name+"@"+topic, topic, sub, h.handler(r, topic))
		}
	}
	go func() {
		<-ctx.Done()
		// The router's handlers end when their subscriber's channels close,
		// which a group subscriber does only when it is closed: close them
		// first, or the router waits out its CloseTimeout on every stop. They
		// leave their groups side by side rather than one after another.
		var closing sync.WaitGroup
		for _, s := range closers {
			closing.Go(func() { _ = s.Close() })
		}
		closing.Wait()
		_ = router.Close()
	}()
	if err := router.Run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

func (h *Host) since() time.Time {
	t := h.Since
	if t.IsZero() {
		t = time.Now()
	}
	return t.Add(-sinceMargin)
}

// sinceMargin covers clock differences between this instance and the
// broker's record timestamps.
const sinceMargin = 5 * time.Second

// idleWait is how long the broker holds a reactor's fetch when nothing is
// there (as for the projections).
const idleWait = 250 * time.Millisecond

// errRejected marks a record that is not a ledger event: it is dead-lettered
// at once, never retried.
var errRejected = errors.New("reactors: record is not a ledger event")

const metaRejected = "astra_rejected"

func (h *Host) handler(r Reactor, topic string) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		if reason := msg.Metadata.Get(metaRejected); reason != "" {
			return fmt.Errorf("%w: %s", errRejected, reason)
		}
		e, ok := h.event(msg)
		if !ok {
			return fmt.Errorf("%w: the record's event is gone", errRejected)
		}
		if !r.handles(e.Type) {
			h.release(msg)
			return nil
		}
		if err := r.Handle(msg.Context(), e); err != nil {
			return err // kept for the retries and the poison queue
		}
		h.release(msg)
		return nil
	}
}

// unmarshaler authenticates a record and carries the ledger event as the
// message's payload. A record that fails is passed on marked as rejected
// (an unmarshal error would stop the subscription). A record of a type the
// reactor does not handle (most of a topic: the gateway's request records)
// is passed on marked as skipped, unread: it reaches no handler, so it
// needs neither the check nor the decoding.
type unmarshaler struct {
	h *Host
	// name is the reactor's: an event in flight in two reactors is two messages.
	name  string
	wants func(ceType string) bool
}

// metaSkipped marks a record of a type the reactor does not handle.
const metaSkipped = "astra_skipped"

func (u unmarshaler) Unmarshal(m *sarama.ConsumerMessage) (*message.Message, error) {
	if u.wants != nil {
		for _, hd := range m.Headers {
			if hd != nil && string(hd.Key) == "ce_type" && !u.wants(string(hd.Value)) {
				msg := message.NewMessage(m.Topic+"/"+strconv.Itoa(int(m.Partition))+"/"+strconv.FormatInt(m.Offset, 10), nil)
				msg.Metadata.Set(metaSkipped, "1")
				return msg, nil
			}
		}
	}
	var e eventstore.Event
	var err error
	if u.h.Auth != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		e, err = u.h.Auth.Verify(ctx, m)
		cancel()
	} else {
		e, err = eventstore.FromKafka(m)
	}
	id := e.ID.String()
	if err != nil {
		msg := message.NewMessage(watermill.NewUUID(), m.Value)
		msg.Metadata.Set(metaRejected, err.Error())
		return msg, nil
	}
	// The checked event travels beside the message, not re-encoded in it:
	// the handler (and the poison queue) take it by the message's UUID.
	msg := message.NewMessage(u.name+"/"+id, nil)
	u.h.events.Store(msg.UUID, &e)
	msg.Metadata.Set(middleware.CorrelationIDMetadataKey, e.CorrelationID)
	msg.Metadata.Set("ce_type", e.Type)
	msg.Metadata.Set("tenant_id", e.TenantID)
	return msg, nil
}

// deadLetterPublisher is the poison queue: it hands each message the
// retries gave up on to Host.DeadLetter.
type deadLetterPublisher struct{ h *Host }

func (p *deadLetterPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		var e eventstore.Event
		if ev, ok := p.h.event(m); ok {
			e = *ev
			p.h.release(m)
		}
		d := DeadLetter{Reactor: m.Metadata.Get(middleware.PoisonedHandlerKey), Event: e,
			Topic: m.Metadata.Get(middleware.PoisonedTopicKey), Err: m.Metadata.Get(middleware.ReasonForPoisonedKey)}
		if name, _, ok := strings.Cut(d.Reactor, "@"); ok {
			d.Reactor = name
		}
		if p.h.Log != nil {
			p.h.Log.Error("reactor gave up on an event: dead-lettered", "reactor", d.Reactor, "event", e.Type, "event_id", e.ID, "err", d.Err)
		}
		if p.h.DeadLetter != nil {
			if err := p.h.DeadLetter(context.Background(), d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *deadLetterPublisher) Close() error { return nil }
