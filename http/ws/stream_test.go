package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/ws"
	"github.com/astrabastion/astra/testkit"
)

const password = testkit.UserPassword

type auditEvent struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Subject  string `json:"subject"`
	Position int64  `json:"position"`
}

func rename(t testing.TB, in *testkit.Instance, token, id, name string) {
	t.Helper()
	r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+id, token, map[string]string{"name": name})
	if r.Status != http.StatusOK {
		t.Errorf("rename %s: %d %s", id, r.Status, r.Body)
	}
}

// auditAfter lists the tenant's events after position (all of them when 0),
// in ledger order.
func auditAfter(t testing.TB, in *testkit.Instance, token string, position int64) []auditEvent {
	t.Helper()
	evs, _ := testkit.Walk[auditEvent](t, in, "/api/v1/admin/audit/events?limit=200&order=oldest", token)
	var all []auditEvent
	for _, e := range evs {
		if e.Position > position {
			all = append(all, e)
		}
	}
	return all
}

func ids(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i], _ = e["id"].(string)
	}
	return out
}

func countType(evs []map[string]any, ceType string) int {
	n := 0
	for _, e := range evs {
		if e["type"] == ceType {
			n++
		}
	}
	return n
}

// TestStream covers the /ws protocol against a real instance.
func TestStream(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	t.Run("TopicsAreConsumedOnlyWhileSomebodySubscribes", func(t *testing.T) {
		hub := in.Running.Hub
		if hub.Feeding() {
			t.Fatal("the hub consumes before anybody subscribed")
		}
		hub.SetLinger(100 * time.Millisecond)
		defer hub.SetLinger(0)
		const created = "com.astra.iam.UserCreated"
		sub := in.DialWS(t, admin)
		if hub.Feeding() {
			t.Fatal("the hub consumes for a connection that subscribed to nothing")
		}
		sub.Subscribe("", "iam.*")
		if !hub.Feeding() {
			t.Fatal("the hub does not consume after a subscription was confirmed")
		}
		first := in.NewUser(t, admin, "feed-1@astra.test", "viewer")
		sub.Await(10*time.Second, first.ID, created)
		sub.Close()
		deadline := time.Now().Add(5 * time.Second)
		for hub.Feeding() {
			if time.Now().After(deadline) {
				t.Fatal("the hub still consumes 5 s after its last subscriber left")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Written while nobody listens: history, not part of a later live stream.
		// (Its create answers once the users read model, fed from Kafka, has it.)
		unseen := in.NewUser(t, admin, "feed-2@astra.test", "viewer")
		again := in.DialWS(t, admin)
		again.Subscribe("", "iam.*")
		third := in.NewUser(t, admin, "feed-3@astra.test", "viewer")
		for _, e := range again.Await(10*time.Second, third.ID, created) {
			if e["subject"] == unseen.ID {
				t.Fatalf("a new subscription received %v, written before it", e["type"])
			}
		}
		// A connection that never subscribes does not hold the feed; one that
		// subscribes within the linger keeps it running past it.
		hub.SetLinger(400 * time.Millisecond)
		idle := in.DialWS(t, admin)
		again.Close()
		time.Sleep(100 * time.Millisecond)
		next := in.DialWS(t, admin)
		next.Subscribe("", "iam.*")
		time.Sleep(700 * time.Millisecond)
		if !hub.Feeding() {
			t.Fatal("the feed stopped under a subscription made within the linger")
		}
		fourth := in.NewUser(t, admin, "feed-4@astra.test", "viewer")
		next.Await(10*time.Second, fourth.ID, created)
		next.Close()
		deadline = time.Now().Add(5 * time.Second)
		for hub.Feeding() {
			if time.Now().After(deadline) {
				t.Fatal("an open connection without a subscription kept the feed running")
			}
			time.Sleep(20 * time.Millisecond)
		}
		idle.Close()
	})

	t.Run("BadFirstMessageOrTokenClosesWith4401", func(t *testing.T) {
		for _, first := range []any{
			map[string]any{"type": "subscribe", "channels": []string{"*"}},
			map[string]any{"type": "authenticate"},
			map[string]any{"type": "authenticate", "token": "not-a-jwt"},
			map[string]any{"type": "authenticate", "token": admin + "x"},
			"just a string",
		} {
			w := in.DialWSRaw(t)
			w.Send(first)
			m := w.Next(5 * time.Second)
			if m["type"] != "error" || m["code"] == "" {
				t.Fatalf("after %v: got %v, want an error message", first, m)
			}
			if code := w.Closed(5 * time.Second); code != ws.StatusUnauthenticated {
				t.Fatalf("after %v: close code %d, want 4401", first, code)
			}
		}
	})

	t.Run("SinceReplaysMissedEventsInOrderThenGoesLiveWithoutDuplicates", func(t *testing.T) {
		first := in.NewUser(t, admin, "since-0@astra.test", "viewer")
		var from auditEvent
		for _, e := range auditAfter(t, in, admin, 0) {
			if e.Subject == first.ID && e.Type == "com.astra.iam.UserCreated" {
				from = e
			}
		}
		if from.ID == "" {
			t.Fatal("no UserCreated event for the first user")
		}
		// Missed while no subscriber was connected.
		var missedUsers []testkit.User
		for i := 1; i <= 3; i++ {
			missedUsers = append(missedUsers, in.NewUser(t, admin, fmt.Sprintf("since-%d@astra.test", i), "viewer"))
		}
		rename(t, in, admin, missedUsers[0].ID, "Renamed while away")
		missed := auditAfter(t, in, admin, from.Position)
		if len(missed) < 7 {
			t.Fatalf("only %d events after the since event", len(missed))
		}
		// Writes go on while the subscriber catches up, so that live events
		// arrive during the replay.
		busy := in.NewUser(t, admin, "since-busy@astra.test", "viewer")
		writing := make(chan struct{})
		go func() {
			defer close(writing)
			for i := range 40 {
				rename(t, in, admin, busy.ID, fmt.Sprintf("busy %d", i))
			}
		}()
		time.Sleep(50 * time.Millisecond)
		sub := in.DialWS(t, admin)
		sub.Subscribe(from.ID, "iam.*")
		<-writing
		live := in.NewUser(t, admin, "since-live@astra.test", "viewer")
		rename(t, in, admin, live.ID, "Live rename")
		want := auditAfter(t, in, admin, from.Position)
		got := sub.Events(15*time.Second, func(evs []map[string]any) bool { return len(evs) >= len(want) })
		got = append(got, sub.Quiet(700*time.Millisecond)...)
		if len(got) != len(want) {
			t.Fatalf("received %d events, want the %d after the since event", len(got), len(want))
		}
		// The missed events come first, in the order of the ledger.
		for i, e := range missed {
			if got[i]["id"] != e.ID || got[i]["type"] != e.Type {
				t.Fatalf("replayed[%d] = %v %v, want %s %s (order of the ledger)", i, got[i]["id"], got[i]["type"], e.ID, e.Type)
			}
		}
		// Every later event exactly once, and each stream in its own order.
		seen := map[string]bool{}
		for _, id := range ids(got) {
			if seen[id] {
				t.Fatalf("event %s delivered twice", id)
			}
			seen[id] = true
		}
		for _, e := range want {
			if !seen[e.ID] {
				t.Fatalf("event %s %s not delivered", e.ID, e.Type)
			}
		}
		versions := map[string]float64{}
		for _, e := range got {
			stream, _ := e["partitionkey"].(string)
			v, _ := e["streamversion"].(float64)
			if last, ok := versions[stream]; ok && v != last+1 {
				t.Fatalf("stream %s: version %v delivered after %v", stream, v, last)
			}
			versions[stream] = v
		}
		if versions["iam.user-"+busy.ID] != 41 {
			t.Fatalf("the busy user's last delivered version is %v, want 41", versions["iam.user-"+busy.ID])
		}
	})

	t.Run("SinceWithAnUnknownEventIsAnError", func(t *testing.T) {
		sub := in.DialWS(t, admin)
		sub.Send(map[string]any{"type": "subscribe", "channels": []string{"*"}, "since": "01a218b1-0000-7000-8000-000000000000"})
		if m := sub.Next(5 * time.Second); m["type"] != "error" {
			t.Fatalf("since an unknown id: %v", m)
		}
		sub.Send(map[string]any{"type": "subscribe", "channels": []string{"*"}, "since": "not-an-id"})
		if m := sub.Next(5 * time.Second); m["type"] != "error" {
			t.Fatalf("since a malformed id: %v", m)
		}
	})

	t.Run("WildcardMatchesOnlyItsPrefix", func(t *testing.T) {
		sub := in.DialWS(t, admin)
		sub.Subscribe("", "iam.user.*")
		exact := in.DialWS(t, admin)
		exact.Subscribe("", "iam.email.claimed")
		u := in.NewUser(t, admin, "wildcard@astra.test", "viewer")
		rename(t, in, admin, u.ID, "Wildcard renamed")
		got := sub.Events(10*time.Second, func(evs []map[string]any) bool { return countType(evs, "com.astra.iam.UserUpdated") == 1 })
		got = append(got, sub.Quiet(500*time.Millisecond)...)
		if countType(got, "com.astra.iam.UserCreated") != 1 || countType(got, "com.astra.iam.UserUpdated") != 1 {
			t.Fatalf("iam.user.* got %v", got)
		}
		for _, e := range got {
			if typ, _ := e["type"].(string); !strings.HasPrefix(typ, "com.astra.iam.User") {
				t.Fatalf("iam.user.* delivered %s", typ)
			}
		}
		claims := exact.Events(10*time.Second, func(evs []map[string]any) bool { return len(evs) >= 1 })
		claims = append(claims, exact.Quiet(500*time.Millisecond)...)
		if len(claims) != 1 || claims[0]["type"] != "com.astra.iam.EmailClaimed" {
			t.Fatalf("iam.email.claimed got %v", claims)
		}
	})

	t.Run("InvalidChannelsAreRefused", func(t *testing.T) {
		sub := in.DialWS(t, admin)
		for _, chans := range [][]string{{}, {"IAM.*"}, {"iam.*.created"}, {"iam.user.created; DROP"}, {strings.Repeat("a", 200)}} {
			sub.Send(map[string]any{"type": "subscribe", "channels": chans})
			if m := sub.Next(5 * time.Second); m["type"] != "error" {
				t.Fatalf("subscribe %q: %v", chans, m)
			}
		}
	})

	t.Run("SubscriberWithoutPermissionForAModuleGetsNoneOfItsEvents", func(t *testing.T) {
		if iam.Has(iam.PermissionsOf(iam.RoleViewer), "iam:read") {
			t.Fatal("the viewer role reads iam; this test assumes it does not")
		}
		in.NewUser(t, admin, "stream-viewer@astra.test", "viewer")
		viewer := in.Login(t, "stream-viewer@astra.test", password)
		control := in.DialWS(t, admin)
		control.Subscribe("", "iam.*")
		denied := in.DialWS(t, viewer)
		denied.Subscribe("", "*")
		replaying := in.DialWS(t, viewer)
		first := auditAfter(t, in, admin, 0)[0]
		replaying.Subscribe(first.ID, "iam.*")
		u := in.NewUser(t, admin, "unseen@astra.test", "viewer")
		if got := control.Events(10*time.Second, func(evs []map[string]any) bool { return countType(evs, "com.astra.iam.UserCreated") >= 1 }); countType(got, "com.astra.iam.UserCreated") == 0 {
			t.Fatalf("the admin's subscriber did not see the write of %s", u.ID)
		}
		if leaked := denied.Quiet(1500 * time.Millisecond); len(leaked) != 0 {
			t.Fatalf("a viewer received %d iam events, first %v", len(leaked), leaked[0])
		}
		if leaked := replaying.Quiet(300 * time.Millisecond); len(leaked) != 0 {
			t.Fatalf("a viewer's since replay delivered %d iam events", len(leaked))
		}
	})

	t.Run("SlowSubscriberIsDroppedWith4408WithoutStallingOthers", func(t *testing.T) {
		const writers, n = 8, 320
		var targets []testkit.User
		for i := range writers {
			targets = append(targets, in.NewUser(t, admin, fmt.Sprintf("slow-%d@astra.test", i), "viewer"))
		}
		hub := in.Running.Hub
		fast := in.DialWS(t, admin)
		fast.Subscribe("", "iam.user.updated")
		// The stuck subscriber gets a small queue and send buffer, so that it
		// overflows after a few dozen events on any machine, long before the
		// hub's write timeout would cut it off without a close frame. With the
		// defaults it takes about ws.Buffer events plus 2×ws.SendBuffer bytes.
		queue, send := hub.Limits()
		if queue != ws.Buffer || send != ws.SendBuffer {
			t.Fatalf("default limits %d events, %d bytes", queue, send)
		}
		hub.SetLimits(16, 4096)
		slow := dialStuck(t, in, admin, "iam.user.updated")
		hub.SetLimits(0, 0)
		droppedBefore := hub.Dropped()

		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n / writers {
					rename(t, in, admin, targets[w].ID, fmt.Sprintf("%03d-%s", i, strings.Repeat("n", 190)))
				}
			}()
		}
		writing := make(chan struct{})
		go func() { wg.Wait(); close(writing) }()
		begin := time.Now()
		for hub.Dropped() == droppedBefore {
			select {
			case <-writing:
				if hub.Dropped() == droppedBefore {
					t.Fatalf("the subscriber that stopped reading was not dropped after %d events", n)
				}
			case <-time.After(5 * time.Millisecond):
			}
		}
		// Reading again, it finds what the socket held and then the close frame.
		received, code, reason := slow.drain(10 * time.Second)
		t.Logf("dropped %s into the writes; it had %d events, then %d %q", time.Since(begin), received, code, reason)
		if code != ws.StatusSlowConsumer {
			t.Fatalf("slow subscriber: close code %d (%q) after %d events, want 4408", code, reason, received)
		}
		<-writing
		if received >= n/2 {
			t.Fatalf("the stuck subscriber received %d of %d events", received, n)
		}
		got := fast.Events(30*time.Second, func(evs []map[string]any) bool { return len(evs) >= n })
		got = append(got, fast.Quiet(300*time.Millisecond)...)
		if len(got) != n {
			t.Fatalf("the reading subscriber got %d of %d events while another was stuck", len(got), n)
		}
		// Streams opened now have the default limits again.
		if q, sb := hub.Limits(); q != ws.Buffer || sb != ws.SendBuffer {
			t.Fatalf("limits after the reset: %d, %d", q, sb)
		}
	})
}

// stuck is a WebSocket client that authenticates, subscribes and then stops
// reading, like a hung dashboard.
type stuck struct {
	conn *websocket.Conn
}

// dialStuck connects with a tiny socket receive buffer, so that the server's
// queue for it fills after few events.
func dialStuck(t *testing.T, in *testkit.Instance, token string, channels ...string) *stuck {
	t.Helper()
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(in.URL, "http://", "ws://", 1)+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	for _, msg := range []map[string]any{
		{"type": "authenticate", "token": token},
		{"type": "subscribe", "channels": channels},
	} {
		b, _ := json.Marshal(msg)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatalf("write: %v", err)
		}
		_, reply, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m map[string]any
		_ = json.Unmarshal(reply, &m)
		if want := map[string]string{"authenticate": "authenticated", "subscribe": "subscribed"}[msg["type"].(string)]; m["type"] != want {
			t.Fatalf("%s: got %s", msg["type"], reply)
		}
	}
	return &stuck{conn: conn}
}

// drain reads until the server closes the stream and returns how many events
// arrived and the close status and reason.
func (s *stuck) drain(timeout time.Duration) (int, websocket.StatusCode, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	n := 0
	for {
		_, b, err := s.conn.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return n, ce.Code, ce.Reason
			}
			return n, -1, err.Error()
		}
		if strings.Contains(string(b), `"specversion"`) {
			n++
		}
	}
}
