package ws

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
)

// Control messages of the protocol. Events themselves are CloudEvents JSON.
type clientMessage struct {
	Type     string   `json:"type"`
	Token    string   `json:"token,omitempty"`
	Channels []string `json:"channels,omitempty"`
	Since    string   `json:"since,omitempty"`
	TenantID string   `json:"tenant_id,omitempty"`
}

type serverMessage struct {
	Type     string   `json:"type"`
	Code     string   `json:"code,omitempty"`
	Message  string   `json:"message,omitempty"`
	Channels []string `json:"channels,omitempty"`
	TenantID string   `json:"tenant_id,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Replayed int      `json:"replayed,omitempty"`
	// Denied lists the requested channels the principal may not read.
	Denied []Denial `json:"denied,omitempty"`
}

const (
	authTimeout  = 10 * time.Second
	writeTimeout = 10 * time.Second
	maxMessage   = 64 << 10
	maxChannels  = 100
	// StatusUnauthenticated closes a stream whose authentication failed.
	StatusUnauthenticated websocket.StatusCode = 4401
	// StatusSlowConsumer closes a subscriber that fell behind.
	StatusSlowConsumer websocket.StatusCode = 4408
	// StatusForbidden closes a stream whose principal can no longer read
	// anything (its permissions were taken away while it was open).
	StatusForbidden websocket.StatusCode = 4403
	// StatusTooManyConnections closes a connection beyond the principal's cap.
	StatusTooManyConnections websocket.StatusCode = 4429
	// StatusExpired closes a stream when its credential expires (the same
	// code as a failed authentication: authenticate again).
	StatusExpired = StatusUnauthenticated
)

// SendBuffer bounds the kernel's send buffer of a stream connection, so that
// what a stuck subscriber can hold back is Buffer events plus about this many
// bytes, not the megabytes that TCP autotuning would grant it before the hub
// ever notices that the subscriber stopped reading.
const SendBuffer = 64 << 10

// boundedHijacker hands the hijacked connection to the WebSocket library with
// its kernel send buffer bounded to size bytes.
type boundedHijacker struct {
	http.ResponseWriter
	size int
}

// Hijack implements http.Hijacker.
func (b boundedHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(b.ResponseWriter).Hijack()
	if err != nil {
		return conn, rw, err
	}
	raw := conn
	if tc, ok := raw.(interface{ NetConn() net.Conn }); ok { // TLS
		raw = tc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(b.size)
	}
	return conn, rw, nil
}

// Handler upgrades GET /ws.
func (h *Hub) Handler(c echo.Context) error {
	_, sendBuffer := h.Limits()
	conn, err := websocket.Accept(boundedHijacker{c.Response(), sendBuffer}, c.Request(), &websocket.AcceptOptions{
		// Browsers on other origins may connect: the stream authenticates with a
		// token in the first message, never with cookies.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return nil // Accept already answered
	}
	conn.SetReadLimit(maxMessage)
	h.serve(c.Request().Context(), conn)
	return nil
}

func (h *Hub) serve(ctx context.Context, conn *websocket.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base, p, err := h.authenticate(ctx, conn)
	if errors.Is(err, errAuthUnavailable) {
		_ = writeJSON(ctx, conn, serverMessage{Type: "error", Code: "SYS-002", Message: err.Error()})
		conn.Close(websocket.StatusTryAgainLater, "try again later")
		return
	}
	if err != nil {
		_ = writeJSON(ctx, conn, serverMessage{Type: "error", Code: "AUTH-002", Message: err.Error()})
		conn.Close(StatusUnauthenticated, "authentication failed")
		return
	}
	queue, _ := h.Limits()
	s := &subscriber{principal: p, base: base, perms: p.Permissions, out: make(chan []byte, queue), drop: make(chan struct{})}
	if !h.add(s) {
		_, maxConns := h.Caps()
		_ = writeJSON(ctx, conn, serverMessage{Type: "error", Code: "RATE-003",
			Message: fmt.Sprintf("at most %d live-stream connections per principal", maxConns)})
		conn.Close(StatusTooManyConnections, "too many connections")
		return
	}
	defer h.remove(s)
	if !p.ExpiresAt.IsZero() {
		// The stream ends when its credential does.
		s.expiry = time.AfterFunc(time.Until(p.ExpiresAt), func() {
			s.mu.Lock()
			s.dropLocked(StatusExpired, "credential expired")
			s.mu.Unlock()
		})
	}
	if err := writeJSON(ctx, conn, serverMessage{Type: "authenticated", TenantID: p.ActingTenant, Subject: p.Subject}); err != nil {
		return
	}

	// Writer: the only goroutine that writes events to the socket.
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		closeDropped := func() {
			s.mu.Lock()
			code, reason := s.code, s.reason
			s.mu.Unlock()
			conn.Close(code, reason)
			cancel()
		}
		for {
			// A dropped subscriber gets the close frame next, not the rest of
			// its queue (a slow one has to reconnect with since anyway).
			select {
			case <-s.drop:
				closeDropped()
				return
			default:
			}
			select {
			case b := <-s.out:
				wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
				err := conn.Write(wctx, websocket.MessageText, b)
				stalled := errors.Is(wctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
				wcancel()
				if err != nil {
					if stalled {
						// It read nothing for writeTimeout: as slow as it gets. No close
						// frame can pass a full socket, so the connection is just cut.
						h.dropped.Inc()
					}
					cancel()
					return
				}
			case <-s.drop:
				closeDropped()
				return
			case <-ctx.Done():
				return
			}
		}
	}()

	for {
		var msg clientMessage
		_, data, err := conn.Read(ctx)
		if err != nil {
			break
		}
		// The same text check as every HTTP body (platform.Bind): a channel
		// or event id with a NUL is refused, not half-decoded.
		if p := platform.CheckJSONText(data); p != nil {
			pe := platform.InvalidText(p)
			h.reply(s, serverMessage{Type: "error", Code: pe.Code, Message: pe.Detail})
			continue
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			h.reply(s, serverMessage{Type: "error", Code: "VAL-002", Message: "messages are JSON objects"})
			continue
		}
		switch msg.Type {
		case "subscribe":
			if err := h.subscribe(ctx, s, msg); err != nil {
				code := "VAL-001"
				switch {
				case errors.Is(err, errUnavailable):
					code = "SYS-002" // the broker: retry with backoff
				case errors.Is(err, errTooManyPatterns):
					code = "RATE-002"
				}
				h.reply(s, serverMessage{Type: "error", Code: code, Message: err.Error()})
			}
		case "unsubscribe":
			s.mu.Lock()
			s.patterns = without(s.patterns, msg.Channels)
			pats := append([]string(nil), s.patterns...)
			s.mu.Unlock()
			h.reply(s, serverMessage{Type: "unsubscribed", Channels: pats})
		case "ping":
			h.reply(s, serverMessage{Type: "pong"})
		default:
			h.reply(s, serverMessage{Type: "error", Code: "VAL-001", Message: "unknown message type"})
		}
	}
	cancel()
	<-writerDone
	conn.Close(websocket.StatusNormalClosure, "")
}

// reply queues a control message behind the events already queued.
func (h *Hub) reply(s *subscriber, m serverMessage) {
	b, _ := json.Marshal(m)
	select {
	case s.out <- b:
	case <-s.drop:
	case <-time.After(writeTimeout):
	}
}

// errAuthUnavailable answers an authentication that could not be checked.
var errAuthUnavailable = errors.New("the credential cannot be checked right now; retry shortly")

// authenticate reads the first message and returns the credential's own
// principal (base, re-narrowed whenever the principal's access changes) and
// what it may do now.
func (h *Hub) authenticate(ctx context.Context, conn *websocket.Conn) (base, p *auth.Principal, err error) {
	actx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	_, data, err := conn.Read(actx)
	if err != nil {
		return nil, nil, errors.New("expected an authenticate message")
	}
	var msg clientMessage
	if err := json.Unmarshal(data, &msg); err != nil || msg.Type != "authenticate" || msg.Token == "" {
		return nil, nil, errors.New(`the first message must be {"type":"authenticate","token":…}`)
	}
	base, err = h.Auth.Identify(ctx, msg.Token)
	if err == nil {
		p, err = h.Auth.Effective(ctx, base)
	}
	if errors.Is(err, auth.ErrUnavailable) {
		return nil, nil, errAuthUnavailable
	}
	if err != nil || p == nil {
		return nil, nil, errors.New("invalid or expired token")
	}
	if err := auth.ResolveTenant(p, msg.TenantID); err != nil {
		return nil, nil, errors.New("tenant does not match the token")
	}
	base.ActingTenant = p.ActingTenant
	return base, p, nil
}

// errTooManyPatterns refuses a subscription beyond the connection's cap.
var errTooManyPatterns = errors.New("too many channel patterns")

func validPattern(p string) bool {
	if p == "*" {
		return true
	}
	if len(p) == 0 || len(p) > 100 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '*') {
			return false
		}
	}
	return !strings.Contains(strings.TrimSuffix(p, ".*"), "*")
}

// subscribe adds channels and, with since, replays the tenant's events after
// that event from the ledger before going live. Live events that arrive
// meanwhile are held back and sent after the replay, without duplicates.
func (h *Hub) subscribe(ctx context.Context, s *subscriber, msg clientMessage) error {
	if len(msg.Channels) == 0 || len(msg.Channels) > maxChannels {
		return errors.New("channels: give 1 to 100 channel names")
	}
	for _, c := range msg.Channels {
		if !validPattern(c) {
			return errors.New("channels: invalid channel " + c)
		}
	}
	// Need to know: each pattern must match channels whose events the
	// principal may read; the others are refused in the reply.
	var accepted []string
	var denied []Denial
	s.mu.Lock()
	for _, c := range msg.Channels {
		if d, ok := access(s.perms, c); ok {
			accepted = append(accepted, c)
		} else {
			denied = append(denied, d)
		}
	}
	maxPatterns, _ := h.Caps()
	total := len(union(s.patterns, accepted))
	s.mu.Unlock()
	if total > maxPatterns {
		return fmt.Errorf("%w: at most %d channel patterns per connection", errTooManyPatterns, maxPatterns)
	}
	if len(accepted) == 0 {
		s.mu.Lock()
		pats := append([]string{}, s.patterns...)
		s.mu.Unlock()
		h.reply(s, serverMessage{Type: "subscribed", Channels: pats, Denied: denied})
		return nil
	}
	msg.Channels = accepted
	var after int64
	if msg.Since != "" {
		id, err := uuid.Parse(msg.Since)
		if err != nil {
			return errors.New("since: must be an event id")
		}
		after, err = h.src.PositionOf(ctx, s.principal.ActingTenant, id)
		if err != nil || after == 0 {
			return errors.New("since: unknown event id")
		}
	}
	if err := h.goLive(ctx, s); err != nil {
		return err
	}
	s.mu.Lock()
	s.patterns = union(s.patterns, msg.Channels)
	pats := append([]string(nil), s.patterns...)
	if msg.Since != "" {
		s.catchingUp = true
	}
	s.mu.Unlock()
	h.reply(s, serverMessage{Type: "subscribed", Channels: pats, Denied: denied})
	if msg.Since == "" {
		return nil
	}
	replayed := 0
	last := after
	for {
		evs, more, err := h.src.Replay(ctx, s.principal.ActingTenant, last, 500)
		if err != nil {
			return errors.New("since: replay failed")
		}
		for i := range evs {
			ev := &evs[i]
			last = ev.Position
			if !s.wants(ev.TenantID, ev.Module, ev.Channel) {
				continue
			}
			select {
			case s.out <- h.src.Render(ctx, ev):
				replayed++
			case <-s.drop:
				return nil
			case <-ctx.Done():
				return nil
			}
		}
		if !more {
			break
		}
	}
	// Flush what arrived live meanwhile. Live events keep being held back
	// until none is left, so that none overtakes an earlier one of its stream.
	for {
		s.mu.Lock()
		pending := s.pending
		s.pending = nil
		if len(pending) == 0 {
			s.catchingUp = false
			s.lastPos = last
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		for _, f := range pending {
			if f.pos <= last {
				continue
			}
			select {
			case s.out <- f.payload:
			case <-s.drop:
				return nil
			case <-ctx.Done():
				return nil
			}
		}
	}
}

func writeJSON(ctx context.Context, conn *websocket.Conn, v any) error {
	b, _ := json.Marshal(v)
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, b)
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range append(append([]string(nil), a...), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func without(a, b []string) []string {
	drop := map[string]bool{}
	for _, x := range b {
		drop[x] = true
	}
	var out []string
	for _, x := range a {
		if !drop[x] {
			out = append(out, x)
		}
	}
	return out
}
