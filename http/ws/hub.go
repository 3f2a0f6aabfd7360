// Package ws is the live event stream: every instance with subscribers reads
// all module topics from Kafka (projections/stream's feed: one consumer, no
// consumer group, from the partitions' ends) and fans each event out to its own WebSocket
// subscribers of the event's tenant, filtered by channel and permission. A
// slow subscriber is dropped, never allowed to stall others.
package ws

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/projections/stream"
)

// Buffer is how many events may wait for one subscriber before it is dropped.
const Buffer = 256

// maxPending bounds the live events held back while a subscriber catches up.
const maxPending = 10000

// Hub fans events out to the subscribers of this instance.
type Hub struct {
	Auth *auth.Authenticator
	Log  *slog.Logger
	// src is where events come from: the feed and the ledger.
	src *stream.Source

	mu   sync.RWMutex
	subs map[*subscriber]struct{}

	queueLimit, sendLimit atomic.Int64 // see Limits
	// maxPatterns and maxConns cap the patterns of one connection and the
	// connections of one principal (see SetCaps).
	maxPatterns, maxConns atomic.Int64

	ready chan struct{} // closed once Run has configured the feed

	delivered prometheus.Counter
	dropped   prometheus.Counter
	refused   prometheus.Counter
	live      prometheus.GaugeFunc
	feeding   prometheus.GaugeFunc
}

// NewHub makes an empty hub that reads the ledger through pool and opens
// personal fields with keys.
func NewHub(src *stream.Source, authn *auth.Authenticator, log *slog.Logger) *Hub {
	h := &Hub{src: src, Auth: authn, Log: log, subs: map[*subscriber]struct{}{}, ready: make(chan struct{}),
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

// Default caps of the live stream (ASTRA_WS_MAX_PATTERNS,
// ASTRA_WS_MAX_CONNECTIONS_PER_PRINCIPAL).
const (
	DefaultMaxPatterns                = 64
	DefaultMaxConnectionsPerPrincipal = 16
)

// SetCaps sets how many channel patterns one connection may hold and how many
// connections one principal (a user, or an API key) may hold open on this
// instance; zero restores a default.
func (h *Hub) SetCaps(patterns, connections int) {
	h.maxPatterns.Store(int64(patterns))
	h.maxConns.Store(int64(connections))
}

// Caps returns the caps in force (see SetCaps).
func (h *Hub) Caps() (patterns, connections int) {
	patterns, connections = int(h.maxPatterns.Load()), int(h.maxConns.Load())
	if patterns <= 0 {
		patterns = DefaultMaxPatterns
	}
	if connections <= 0 {
		connections = DefaultMaxConnectionsPerPrincipal
	}
	return patterns, connections
}

// Feeding reports whether the hub consumes the topics: from the first
// subscription until the linger after the last subscribed connection closed.
func (h *Hub) Feeding() bool { return h.src.Feed.Running() }

// SetLinger changes how long the hub keeps consuming after its last
// subscribed connection closed (zero restores the default); tests shorten it.
func (h *Hub) SetLinger(d time.Duration) { h.src.Feed.SetLinger(d) }

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
	h.src.Configure(brokers, h.Log, stream.Handlers{Wanted: h.listened, Deliver: h.Broadcast, Refused: h.refused.Inc})
	close(h.ready)
	<-ctx.Done()
	h.src.Close()
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
	if err := h.src.Feed.Acquire(); err != nil {
		h.Log.Warn("live stream unavailable", "err", err)
		return errUnavailable
	}
	s.fed = true
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
func (h *Hub) Broadcast(ctx context.Context, ev *stream.Event) {
	channel := ev.Channel
	module := ev.Module
	var payload []byte
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		if !s.wants(ev.TenantID, module, channel) {
			continue
		}
		if payload == nil {
			payload = h.src.Render(ctx, ev)
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
			s.dropLocked(StatusSlowConsumer, "slow consumer: too many events while catching up")
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
		s.dropLocked(StatusSlowConsumer, "slow consumer: buffer full")
		h.dropped.Inc()
	}
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
			s.dropLocked(StatusUnauthenticated, "credential revoked")
			s.mu.Unlock()
		}
	}
}

// add registers s unless its principal already holds the most connections
// it may; it reports whether s was added.
func (h *Hub) add(s *subscriber) bool {
	_, maxConns := h.Caps()
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for o := range h.subs {
		if o.principal.Kind == s.principal.Kind && o.principal.Subject == s.principal.Subject {
			n++
		}
	}
	if n >= maxConns {
		return false
	}
	h.subs[s] = struct{}{}
	return true
}

func (h *Hub) remove(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
	if s.fed {
		h.src.Feed.Release()
	}
	if s.expiry != nil {
		s.expiry.Stop()
	}
}

// Reauthorize re-checks the open streams whose access may have changed (one
// user's — a user's own streams and those of the API keys it owns —, a
// tenant's, or with both empty everybody's) against what their principals
// hold now. A subscription to channels the principal may no longer read is
// ended with an "unsubscribed" notice listing them as denied; a stream whose
// principal can read nothing any more is closed with 4403, one whose
// credential no longer works (user deactivated) with 4401. It runs before
// the write that changed the access answers.
func (h *Hub) Reauthorize(userID, tenantID string) {
	h.mu.RLock()
	var affected []*subscriber
	for s := range h.subs {
		p := s.principal
		owner := p.Subject
		if p.Kind == "api_key" {
			owner = p.Owner
		}
		if (userID == "" && tenantID == "") || (userID != "" && owner == userID) || (tenantID != "" && p.TenantID == tenantID) {
			affected = append(affected, s)
		}
	}
	h.mu.RUnlock()
	for _, s := range affected {
		h.reauthorize(s)
	}
}

func (h *Hub) reauthorize(s *subscriber) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := h.Auth.Effective(ctx, s.base)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, auth.ErrUnavailable):
		s.dropLocked(websocket.StatusTryAgainLater, "permissions cannot be re-checked; reconnect")
		return
	case err != nil:
		s.dropLocked(StatusUnauthenticated, "credential no longer valid")
		return
	}
	if s.principal.ActingTenant != s.principal.TenantID && auth.ResolveTenant(p, s.principal.ActingTenant) != nil {
		// A platform administrator demoted while reading another tenant.
		s.dropLocked(StatusForbidden, "permission revoked: may no longer act in this tenant")
		return
	}
	s.perms = p.Permissions
	if !readsAnything(s.perms) {
		s.dropLocked(StatusForbidden, "permission revoked: nothing left to read")
		return
	}
	var kept []string
	var denied []Denial
	for _, pat := range s.patterns {
		if d, ok := access(s.perms, pat); ok {
			kept = append(kept, pat)
		} else {
			denied = append(denied, d)
		}
	}
	if len(denied) == 0 {
		return
	}
	s.patterns = kept
	b, _ := json.Marshal(serverMessage{Type: "unsubscribed", Code: "AUTH-006", Message: "permission revoked",
		Channels: append([]string{}, kept...), Denied: denied})
	select {
	case s.out <- b:
	default:
		s.dropLocked(StatusSlowConsumer, "slow consumer: buffer full")
		h.dropped.Inc()
	}
}

// Denial names a channel pattern the principal may not read, and why.
type Denial struct {
	Channel string `json:"channel"`
	Code    string `json:"code"`
	Reason  string `json:"reason"`
}

// access decides whether perms read anything a pattern matches: the pattern
// must match registered channels, and the principal must read the module
// (events.Type.Module) of at least one of them. Events are filtered per event
// type again on delivery, so "*" delivers only what the principal reads.
func access(perms []string, pattern string) (Denial, bool) {
	matched := false
	var need []string
	seen := map[string]bool{}
	for _, t := range registered() {
		if !events.MatchChannel(pattern, t.Channel) {
			continue
		}
		matched = true
		if iam.CanRead(perms, t.Module) {
			return Denial{}, true
		}
		if !seen[t.Module] {
			seen[t.Module] = true
			need = append(need, iam.Permission(t.Module, iam.Read))
		}
	}
	if !matched {
		return Denial{Channel: pattern, Code: "VAL-001", Reason: "no such channel"}, false
	}
	return Denial{Channel: pattern, Code: "AUTH-006", Reason: "requires " + strings.Join(need, " or ")}, false
}

// readsAnything reports whether perms read any module that has events.
func readsAnything(perms []string) bool {
	for _, t := range registered() {
		if iam.CanRead(perms, t.Module) {
			return true
		}
	}
	return false
}

var (
	registryOnce sync.Once
	registryAll  []events.Type
)

// registered lists the event types (registered at init, so fixed by the
// time anybody subscribes).
func registered() []events.Type {
	registryOnce.Do(func() { registryAll = events.All() })
	return registryAll
}

type frame struct {
	pos     int64
	payload []byte
}

type subscriber struct {
	// principal is who connected (identity fields only: its permissions
	// change, see perms); base is the credential's own grants, narrowed again
	// by Reauthorize.
	principal *auth.Principal
	base      *auth.Principal
	// fed is set once a subscription holds the feed (only the connection's
	// own goroutine reads or writes it).
	fed bool
	// expiry closes the stream when the credential expires.
	expiry *time.Timer

	mu         sync.Mutex
	perms      []string // what the principal holds now
	patterns   []string
	out        chan []byte
	closed     bool
	code       websocket.StatusCode
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if !iam.CanRead(s.perms, module) {
		return false
	}
	for _, p := range s.patterns {
		if events.MatchChannel(p, channel) {
			return true
		}
	}
	return false
}

// dropLocked ends the stream: the writer sends the close frame with code
// and reason next.
func (s *subscriber) dropLocked(code websocket.StatusCode, reason string) {
	if s.closed {
		return
	}
	s.closed = true
	s.code = code
	s.reason = reason
	close(s.drop)
}
