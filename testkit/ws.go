package testkit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WS is a live-stream client.
type WS struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan map[string]any
	errs chan error
}

// DialWS connects to /ws, authenticates with token and returns the client once
// the server confirmed ("authenticated"), or fails the test.
func (in *Instance) DialWS(t testing.TB, token string) *WS {
	t.Helper()
	w := in.DialWSRaw(t)
	w.Send(map[string]any{"type": "authenticate", "token": token})
	m := w.Next(10 * time.Second)
	if m["type"] != "authenticated" {
		t.Fatalf("ws authenticate: got %v", m)
	}
	return w
}

// DialWSRaw connects without authenticating.
func (in *Instance) DialWSRaw(t testing.TB) *WS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(in.URL, "http://", "ws://", 1)+"/ws", nil)
	if err != nil {
		t.Fatalf("ws dial: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	w := &WS{t: t, conn: conn, msgs: make(chan map[string]any, 10000), errs: make(chan error, 1)}
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				w.errs <- err
				close(w.msgs)
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				w.msgs <- m
			}
		}
	}()
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	return w
}

// Send writes one JSON message.
func (w *WS) Send(v any) {
	w.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.conn.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("ws send: %v", err)
	}
}

// Subscribe subscribes to channels (with since when not empty) and waits for the confirmation.
func (w *WS) Subscribe(since string, channels ...string) {
	w.t.Helper()
	msg := map[string]any{"type": "subscribe", "channels": channels}
	if since != "" {
		msg["since"] = since
	}
	w.Send(msg)
	m := w.Next(10 * time.Second)
	if m["type"] != "subscribed" {
		w.t.Fatalf("ws subscribe: got %v", m)
	}
}

// Next returns the next message, failing the test after timeout.
func (w *WS) Next(timeout time.Duration) map[string]any {
	w.t.Helper()
	select {
	case m, ok := <-w.msgs:
		if !ok {
			w.t.Fatalf("ws closed: %v", <-w.errs)
		}
		return m
	case <-time.After(timeout):
		w.t.Fatalf("ws: no message within %s", timeout)
	}
	return nil
}

// Events collects CloudEvents until pred accepts the collection or timeout passes.
func (w *WS) Events(timeout time.Duration, pred func([]map[string]any) bool) []map[string]any {
	w.t.Helper()
	var got []map[string]any
	deadline := time.After(timeout)
	for !pred(got) {
		select {
		case m, ok := <-w.msgs:
			if !ok {
				return got
			}
			if s, _ := m["specversion"].(string); s == "1.0" {
				got = append(got, m)
			}
		case <-deadline:
			return got
		}
	}
	return got
}

// Quiet collects every CloudEvent that arrives within d (to prove an absence).
func (w *WS) Quiet(d time.Duration) []map[string]any {
	return w.Events(d, func([]map[string]any) bool { return false })
}

// Closed waits for the server to close the stream and returns the close status.
func (w *WS) Closed(timeout time.Duration) websocket.StatusCode {
	w.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-w.msgs:
			if !ok {
				return websocket.CloseStatus(<-w.errs)
			}
		case <-deadline:
			w.t.Fatalf("ws not closed within %s", timeout)
		}
	}
}

// Close ends the connection normally.
func (w *WS) Close() { w.conn.Close(websocket.StatusNormalClosure, "") }

// Await collects CloudEvents until every one of types has arrived for
// subject, in whatever order (Kafka orders each stream, not streams among
// each other), and fails the test if one has not within timeout.
func (w *WS) Await(timeout time.Duration, subject string, types ...string) []map[string]any {
	w.t.Helper()
	seen := map[string]bool{}
	all := func() bool {
		for _, ty := range types {
			if !seen[ty] {
				return false
			}
		}
		return true
	}
	got := w.Events(timeout, func(evs []map[string]any) bool {
		for _, e := range evs {
			if ty, ok := e["type"].(string); ok && e["subject"] == subject {
				seen[ty] = true
			}
		}
		return all()
	})
	if !all() {
		w.t.Fatalf("ws: of %s's %v only %v arrived within %v (%d events in all)", subject, types, seen, timeout, len(got))
	}
	return got
}
