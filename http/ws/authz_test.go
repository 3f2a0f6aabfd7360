package ws_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/testkit"
)

// subscribeReply sends a subscription and returns the server's reply.
func subscribeReply(w *testkit.WS, channels ...string) map[string]any {
	w.Send(map[string]any{"type": "subscribe", "channels": channels})
	return w.Next(10 * time.Second)
}

// deniedChannels lists the channels a reply refuses.
func deniedChannels(m map[string]any) map[string]string {
	out := map[string]string{}
	list, _ := m["denied"].([]any)
	for _, d := range list {
		if d, ok := d.(map[string]any); ok {
			ch, _ := d["channel"].(string)
			reason, _ := d["reason"].(string)
			out[ch] = reason
		}
	}
	return out
}

func accepted(m map[string]any) map[string]bool {
	out := map[string]bool{}
	list, _ := m["channels"].([]any)
	for _, c := range list {
		if s, ok := c.(string); ok {
			out[s] = true
		}
	}
	return out
}

// TestStream_NeedToKnow: a channel the caller may not read is refused in the
// subscribed reply, per channel and event type; sending gateway traffic does
// not read other principals' request records.
func TestStream_NeedToKnow(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	t.Run("GatewayWriteKeyDoesNotReadOthersRequests", func(t *testing.T) {
		app, _ := in.NewAPIKey(t, admin, "app", "gateway:write")
		// The key itself sends traffic.
		if r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", app, map[string]any{"provider": "mock", "model": "mock-small",
			"messages": []map[string]string{{"role": "user", "content": "what is two plus two"}}}); r.Status != http.StatusOK {
			t.Fatalf("app chat: %d %s", r.Status, r.Body)
		}
		w := in.DialWS(t, app)
		reply := subscribeReply(w, "gateway.*")
		if reply["type"] != "subscribed" || accepted(reply)["gateway.*"] || deniedChannels(reply)["gateway.*"] == "" {
			t.Fatalf("gateway.* for a gateway:write key: %v", reply)
		}
		reader := in.DialWS(t, admin)
		reader.Subscribe("", "gateway.*")
		if r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", admin, map[string]any{"provider": "mock", "model": "mock-small",
			"messages": []map[string]string{{"role": "user", "content": "what is the capital of France"}}}); r.Status != http.StatusOK {
			t.Fatalf("admin chat: %d %s", r.Status, r.Body)
		}
		if got := reader.Events(10*time.Second, func(evs []map[string]any) bool { return len(evs) > 0 }); len(got) == 0 {
			t.Fatal("a gateway reader got no gateway event")
		}
		if got := w.Quiet(time.Second); len(got) != 0 {
			t.Fatalf("gateway:write key received %d gateway events, e.g. %v", len(got), got[0]["type"])
		}
	})

	t.Run("IamWithoutIamReadIsRefusedInTheReply", func(t *testing.T) {
		in.NewUser(t, admin, "viewer-nk@astra.test", "viewer")
		viewer := in.Login(t, "viewer-nk@astra.test", password)
		w := in.DialWS(t, viewer)
		reply := subscribeReply(w, "iam.*", "trust.*")
		if reply["type"] != "subscribed" {
			t.Fatalf("reply %v", reply)
		}
		if accepted(reply)["iam.*"] || deniedChannels(reply)["iam.*"] == "" {
			t.Fatalf("iam.* for a viewer: %v", reply)
		}
		if !accepted(reply)["trust.*"] {
			t.Fatalf("trust.* refused to a viewer: %v", reply)
		}
	})
}

// TestStream_FollowsPermissionChanges: an open stream loses the channels its
// principal may no longer read (an "unsubscribed" notice listing them as
// denied), is closed with 4403 when nothing readable is left and with 4401
// when its credential stops working or expires.
func TestStream_FollowsPermissionChanges(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	sec := in.NewUser(t, admin, "sec-ws@astra.test", "security_admin")
	token := in.Login(t, "sec-ws@astra.test", password)
	key, _ := in.NewAPIKey(t, token, "app", "iam:read")

	userStream := in.DialWS(t, token)
	userStream.Subscribe("", "iam.*", "gateway.*")
	keyStream := in.DialWS(t, key)
	keyStream.Subscribe("", "iam.*")

	in.SetRole(t, admin, sec.ID, "viewer")

	// The demoted user's subscription to iam.* ends; gateway.* stays.
	m := userStream.Next(2 * time.Second)
	for m["specversion"] == "1.0" { // events that were already on their way
		m = userStream.Next(2 * time.Second)
	}
	if m["type"] != "unsubscribed" || deniedChannels(m)["iam.*"] == "" || !accepted(m)["gateway.*"] {
		t.Fatalf("after demotion: %v", m)
	}
	// Nothing of iam reaches the stream any more.
	rename(t, in, admin, sec.ID, "Renamed")
	for _, e := range userStream.Quiet(time.Second) {
		if s, _ := e["source"].(string); s == "/astra/iam" {
			t.Fatalf("iam event after demotion: %v", e["type"])
		}
	}
	// The key (iam:read only) can read nothing any more: closed with 4403.
	if code := keyStream.Closed(2 * time.Second); code != 4403 {
		t.Fatalf("key stream closed with %d", code)
	}
	// A deactivated user's stream is closed with 4401.
	if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+sec.ID, admin, nil); r.Status >= 300 {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if code := userStream.Closed(2 * time.Second); code != 4401 {
		t.Fatalf("deactivated user's stream closed with %d", code)
	}
}

// TestStream_ClosesWhenTheTokenExpires: a stream ends with 4401 when its
// access token expires.
func TestStream_ClosesWhenTheTokenExpires(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	viewer := in.NewUser(t, admin, "exp-ws@astra.test", "viewer")
	soon, _, err := in.Running.Signer.IssueAt(auth.Principal{Subject: viewer.ID, TenantID: viewer.TenantID, Role: "viewer",
		Permissions: []string{"trust:read"}}, time.Now().Add(-auth.AccessTTL+2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	w := in.DialWS(t, soon)
	w.Subscribe("", "trust.*")
	if code := w.Closed(8 * time.Second); code != 4401 {
		t.Fatalf("expired token's stream closed with %d", code)
	}
}

// TestStream_Caps: at most 64 channel patterns per connection and 16
// connections per principal (the defaults of ASTRA_WS_MAX_PATTERNS and
// ASTRA_WS_MAX_CONNECTIONS_PER_PRINCIPAL).
func TestStream_Caps(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	t.Run("PatternsPerConnection", func(t *testing.T) {
		var channels []string
		seen := map[string]bool{}
		for _, ty := range events.All() {
			if !seen[ty.Channel] {
				seen[ty.Channel] = true
				channels = append(channels, ty.Channel)
			}
		}
		if len(channels) < 65 {
			t.Fatalf("only %d channels registered", len(channels))
		}
		w := in.DialWS(t, admin)
		w.Subscribe("", channels[:60]...)
		reply := subscribeReply(w, channels[60:65]...)
		if reply["type"] != "error" || reply["code"] != "RATE-002" {
			t.Fatalf("65th pattern: %v", reply)
		}
		// The connection stays usable.
		w.Send(map[string]any{"type": "ping"})
		if m := w.Next(5 * time.Second); m["type"] != "pong" {
			t.Fatalf("after refusal: %v", m)
		}
	})
	t.Run("ConnectionsPerPrincipal", func(t *testing.T) {
		key, _ := in.NewAPIKey(t, admin, "app", "trust:read")
		for i := 0; i < 16; i++ {
			in.DialWS(t, key)
		}
		w := in.DialWSRaw(t)
		w.Send(map[string]any{"type": "authenticate", "token": key})
		m := w.Next(5 * time.Second)
		if m["type"] != "error" || m["code"] != "RATE-003" {
			t.Fatalf("17th connection: %v", m)
		}
		if code := w.Closed(5 * time.Second); code != 4429 {
			t.Fatalf("17th connection closed with %d", code)
		}
		// Another principal is not affected.
		in.DialWS(t, admin)
	})
}

// TestStream_DemotedPlatformAdminLeavesOtherTenants: a platform administrator
// reading another tenant's stream is closed with 4403 once demoted, and no
// longer acts in that tenant over HTTP either.
func TestStream_DemotedPlatformAdminLeavesOtherTenants(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	other, _ := in.NewTenant(t, admin, "Elsewhere")
	pa := in.NewUser(t, admin, "pa2@astra.test", "platform_admin")
	token := in.Login(t, "pa2@astra.test", password)
	if r := in.DoRaw(t, http.MethodGet, "/api/v1/iam/users", token, nil, "X-Tenant-ID", other); r.Status != http.StatusOK {
		t.Fatalf("platform admin in another tenant: %d %s", r.Status, r.Body)
	}
	r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", token, map[string]any{"name": "there", "permissions": []string{"iam:read"}}, "X-Tenant-ID", other)
	if r.Status != http.StatusCreated {
		t.Fatalf("key in another tenant: %d %s", r.Status, r.Body)
	}
	var issued struct {
		Key string `json:"key"`
	}
	r.Data(t, &issued)
	if r := in.DoRaw(t, http.MethodGet, "/api/v1/iam/users", issued.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("platform admin's key in another tenant: %d %s", r.Status, r.Body)
	}
	w := in.DialWSRaw(t)
	w.Send(map[string]any{"type": "authenticate", "token": token, "tenant_id": other})
	if m := w.Next(5 * time.Second); m["type"] != "authenticated" {
		t.Fatalf("authenticate in another tenant: %v", m)
	}
	w.Subscribe("", "iam.*")

	in.SetRole(t, admin, pa.ID, "security_admin")

	if r := in.DoRaw(t, http.MethodGet, "/api/v1/iam/users", token, nil, "X-Tenant-ID", other); r.Status != http.StatusForbidden {
		t.Fatalf("demoted platform admin in another tenant: %d %s", r.Status, r.Body)
	}
	if r := in.DoRaw(t, http.MethodGet, "/api/v1/iam/users", issued.Key, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("demoted platform admin's key in another tenant: %d %s", r.Status, r.Body)
	}
	if code := w.Closed(2 * time.Second); code != 4403 {
		t.Fatalf("demoted platform admin's stream of another tenant closed with %d", code)
	}
}
