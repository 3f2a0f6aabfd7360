// Package ws is the live event stream: every instance with subscribers reads
// all module topics from Kafka (one sarama consumer, no consumer group, from
// the partitions' ends) and fans each event out to its own WebSocket
// subscribers of the event's tenant, filtered by channel and permission. A
// slow subscriber is dropped, never allowed to stall others.
package ws

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/http/auth"
)

// Buffer is how many events may wait for one subscriber before it is dropped.
const Buffer = 256

// maxPending bounds the live events held back while a subscriber catches up.
const maxPending = 10000

// Hub fans events out to the subscribers of this instance.
type Hub struct {
	Pool *pgxpool.Pool
	Keys *eventstore.Keyring
	Auth *auth.Authenticator
	Log  *slog.Logger
	// Records, when set, checks that every record of the feed is a ledger
	// event: a forged record never reaches a subscriber.
	Records *eventstore.RecordAuth

	mu   sync.RWMutex
	subs map[*subscriber]struct{}

	queueLimit, sendLimit atomic.Int64 // see Limits

	feed  feed
	ready chan struct{} // closed once Run has configured the feed

	delivered prometheus.Counter
	dropped   prometheus.Counter
	refused   prometheus.Counter
	live      prometheus.GaugeFunc
	feeding   prometheus.GaugeFunc
}

// NewHub makes an empty hub.
func NewHub(pool *pgxpool.Pool, keys *eventstore.Keyring, authn *auth.Authenticator, log *slog.Logger) *Hub {
	h := &Hub{Pool: pool, Keys: keys, Auth: authn, Log: log, subs: map[*subscriber]struct{}{}, ready: make(chan struct{}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "astra_ws_delivered_events_total", Help: "Events delivered to WebSocket subscribers."}),
		dropped:   prometheus.NewCounter(prometheus.CounterOpts{Name: "astra_ws_dropped_subscribers_total", Help: "Subscribers dropped for being too slow."}),
		refused:   prometheus.NewCounter(prometheus.CounterOpts{Name: "astra_ws_refused_records_total", Help: "Broker records the live stream refused: not ledger events (unauthenticated)."}),
	}
	h.live = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "astra_ws_subscribers", Help: "Connected WebSocket subscribers."},
		func() float64 { h.mu.RLock(); defer h.mu.RUnlock(); return float64(len(h.subs)) })
	h.feeding = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "astra_ws_feed_running", Help: "1 while the live stream consumes Kafka (somebody subscribed recently), else 0."},
		func() float64 {
			if h.Feeding() {
				return 1
			}
			return 0
		})
	return h
}

// Limits are the per-subscriber bounds for streams opened from now on: how
// many events may queue (Buffer by default) and the kernel send buffer in
// bytes (SendBuffer by default).
func (h *Hub) Limits() (queue, sendBuffer int) {
	queue, sendBuffer = int(h.queueLimit.Load()), int(h.sendLimit.Load())
	if queue <= 0 {
		queue = Buffer
	}
	if sendBuffer <= 0 {
		sendBuffer = SendBuffer
	}
	return queue, sendBuffer
}

// SetLimits changes the per-subscriber bounds for streams opened from now on
// (zero restores a default); tests shrink them to overflow a stream quickly.
func (h *Hub) SetLimits(queue, sendBuffer int) {
	h.queueLimit.Store(int64(queue))
	h.sendLimit.Store(int64(sendBuffer))
}

// Feeding reports whether the hub consumes the topics: from the first
// subscription until the linger after the last subscribed connection closed.
func (h *Hub) Feeding() bool { return h.feed.running() }

// SetLinger changes how long the hub keeps consuming after its last
// subscribed connection closed (zero restores the default); tests shorten it.
func (h *Hub) SetLinger(d time.Duration) { h.feed.linger.Store(int64(d)) }

// Dropped is how many subscribers were dropped for being too slow.
func (h *Hub) Dropped() int {
	var m dto.Metric
	if err := h.dropped.Write(&m); err != nil {
		return 0
	}
	return int(m.GetCounter().GetValue())
}

// Collectors exposes the hub's metrics.
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.delivered, h.dropped, h.refused, h.live, h.feeding}
}

// Run serves the live stream from brokers until ctx ends (once per hub).
// The topics are consumed only while somebody subscribes (see feed).
func (h *Hub) Run(ctx context.Context, brokers []string) error {
	h.feed.brokers, h.feed.log, h.feed.deliver = brokers, h.Log, h.deliver
	close(h.ready)
	<-ctx.Done()
	h.feed.close()
	return nil
}

// errUnavailable answers a subscription the feed could not start for.
var errUnavailable = errors.New("live stream unavailable, try again")

// goLive makes the feed consume for s (from its first subscription until it
// disconnects) before the subscription is confirmed.
func (h *Hub) goLive(ctx context.Context, s *subscriber) error {
	if s.fed {
		return nil
	}
	select {
	case <-h.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := h.feed.acquire(); err != nil {
		h.Log.Warn("live stream unavailable", "err", err)
		return errUnavailable
	}
	s.fed = true
	return nil
}

// deliver broadcasts one record of the feed.
func (h *Hub) deliver(ctx context.Context, m *sarama.ConsumerMessage) {
	if !h.listened() {
		return // nobody left to deliver to: skip decoding
	}
	var ev eventstore.Event
	var err error
	if h.Records != nil {
		ev, err = h.Records.Verify(ctx, m)
	} else {
		ev, err = eventstore.FromKafka(m)
	}
	if err != nil {
		h.refused.Inc()
		h.Log.Error("live stream: record refused", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
			"event_id", ev.ID, "type", ev.Type, "tenant", ev.TenantID, "err", err)
		return
	}
	h.Broadcast(ctx, &ev)
}

// listened reports whether any subscriber is connected. One that connects
// after an event passed unseen does not miss it: it either asked for live
// events only, or it catches up from the ledger, which already holds the event.
func (h *Hub) listened() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs) > 0
}

// Broadcast delivers one event to every matching subscriber.
func (h *Hub) Broadcast(ctx context.Context, ev *eventstore.Event) {
	channel := ev.Channel()
	module := ev.Module()
	var payload []byte
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		if !s.wants(ev.TenantID, module, channel) {
			continue
		}
		if payload == nil {
			payload = h.render(ctx, ev)
		}
		h.offer(s, ev.Position, payload)
	}
}

func (h *Hub) offer(s *subscriber, pos int64, payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.catchingUp {
		if len(s.pending) >= maxPending {
			s.dropLocked("slow consumer: too many events while catching up")
			h.dropped.Inc()
			return
		}
		s.pending = append(s.pending, frame{pos, payload})
		return
	}
	if pos <= s.lastPos {
		return
	}
	select {
	case s.out <- payload:
		h.delivered.Inc()
	default:
		s.dropLocked("slow consumer: buffer full")
		h.dropped.Inc()
	}
}

// render encodes an event as a structured CloudEvent with personal fields
// opened (erased ones read as "[erased]") and secrets redacted.
func (h *Hub) render(ctx context.Context, ev *eventstore.Event) []byte {
	ce := ev.CloudEvent(h.Keys.OpenJSON(ctx, ev.Data))
	b, err := json.Marshal(ce)
	if err != nil {
		return nil
	}
	return b
}

// Revoke closes the streams opened with a credential that was just revoked
// (kind "session" or "apikey").
func (h *Hub) Revoke(kind, id string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		p := s.principal
		if (kind == "session" && p.SessionID == id) || (kind == "apikey" && p.Kind == "api_key" && p.Subject == id) {
			s.mu.Lock()
			s.dropLocked("credential revoked")
			s.mu.Unlock()
		}
	}
}

func (h *Hub) add(s *subscriber) {
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
}

func (h *Hub) remove(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
	if s.fed {
		h.feed.release()
	}
}

type frame struct {
	pos     int64
	payload []byte
}

type subscriber struct {
	principal *auth.Principal
	// fed is set once a subscription holds the feed (only the connection's
	// own goroutine reads or writes it).
	fed bool

	mu         sync.Mutex
	patterns   []string
	out        chan []byte
	closed     bool
	reason     string
	drop       chan struct{}
	catchingUp bool
	pending    []frame
	lastPos    int64
}

func (s *subscriber) wants(tenant, module, channel string) bool {
	if s.principal == nil || tenant != s.principal.ActingTenant {
		return false
	}
	if !iam.Has(s.principal.Permissions, module+":read") {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.patterns {
		if events.MatchChannel(p, channel) {
			return true
		}
	}
	return false
}

func (s *subscriber) dropLocked(reason string) {
	if s.closed {
		return
	}
	s.closed = true
	s.reason = reason
	close(s.drop)
}
