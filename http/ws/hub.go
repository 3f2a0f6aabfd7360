// Package ws is the live event stream: every instance reads all module topics
// from Kafka (watermill subscriber, no consumer group) and fans each event out
// to its own WebSocket subscribers of the event's tenant, filtered by channel
// and permission. A slow subscriber is dropped, never allowed to stall others.
package ws

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
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

	mu   sync.RWMutex
	subs map[*subscriber]struct{}

	queueLimit, sendLimit atomic.Int64 // see Limits

	delivered prometheus.Counter
	dropped   prometheus.Counter
	live      prometheus.GaugeFunc
}

// NewHub makes an empty hub.
func NewHub(pool *pgxpool.Pool, keys *eventstore.Keyring, authn *auth.Authenticator, log *slog.Logger) *Hub {
	h := &Hub{Pool: pool, Keys: keys, Auth: authn, Log: log, subs: map[*subscriber]struct{}{},
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "astra_ws_delivered_events_total", Help: "Events delivered to WebSocket subscribers."}),
		dropped:   prometheus.NewCounter(prometheus.CounterOpts{Name: "astra_ws_dropped_subscribers_total", Help: "Subscribers dropped for being too slow."}),
	}
	h.live = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "astra_ws_subscribers", Help: "Connected WebSocket subscribers."},
		func() float64 { h.mu.RLock(); defer h.mu.RUnlock(); return float64(len(h.subs)) })
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
	return []prometheus.Collector{h.delivered, h.dropped, h.live}
}

// headerUnmarshaler keeps a record's headers as message metadata and its value
// as payload, so the event can be rebuilt exactly (binary content mode).
type headerUnmarshaler struct{}

func (headerUnmarshaler) Unmarshal(m *sarama.ConsumerMessage) (*message.Message, error) {
	msg := message.NewMessage(watermill.NewUUID(), m.Value)
	for _, hd := range m.Headers {
		if hd != nil {
			msg.Metadata.Set(string(hd.Key), string(hd.Value))
		}
	}
	return msg, nil
}

// Run consumes every module topic from its end and broadcasts until ctx ends.
func (h *Hub) Run(ctx context.Context, brokers []string) error {
	// One consumer per topic, answered as soon as anything arrives. (A
	// batching fetch minimum held events of quiet topics back by a second and
	// more here: a live stream must not trail the ledger.)
	cfg := eventstore.KafkaConfig("astra-ws")
	cfg.Consumer.MaxWaitTime = 20 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetNewest
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: brokers, Unmarshaler: headerUnmarshaler{},
		OverwriteSaramaConfig: cfg, ReconnectRetrySleep: time.Second},
		watermill.NewSlogLoggerWithLevelMapping(h.Log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}))
	if err != nil {
		return err
	}
	defer sub.Close()
	var wg sync.WaitGroup
	for _, topic := range events.Topics() {
		msgs, err := sub.Subscribe(ctx, topic)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range msgs {
				if !h.listened() {
					m.Ack() // nobody to deliver to: skip decoding
					continue
				}
				ev, err := eventstore.FromHeaders(m.Metadata, m.Payload)
				m.Ack()
				if err != nil {
					continue
				}
				h.Broadcast(ctx, &ev)
			}
		}()
	}
	wg.Wait()
	return nil
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
}

type frame struct {
	pos     int64
	payload []byte
}

type subscriber struct {
	principal *auth.Principal

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
