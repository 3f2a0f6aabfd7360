package iam_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/testkit"
)

// TestUserChanges_AreEventsInTheAuditTrailOnKafkaAndOnTheLiveStream creates,
// updates and deactivates a user and finds each change as the same CloudEvent
// in /admin/audit/events, on the Kafka topic and on a WebSocket subscriber.
func TestUserChanges_AreEventsInTheAuditTrailOnKafkaAndOnTheLiveStream(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)

	sub := in.DialWS(t, admin)
	sub.Subscribe("", "iam.*")

	const email = "evented@astra.test"
	u := in.NewUser(t, admin, email, "developer")
	if r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{"name": "Evented Renamed", "role": "auditor"},
		"If-Match", `"1"`); r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+u.ID, admin, nil, "If-Match", `"2"`); r.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if got := getUser(t, in, admin, u.ID); got.Status != "deactivated" || got.Version != 3 || got.Role != "auditor" {
		t.Fatalf("after deactivation: %+v", got)
	}

	wantTypes := []string{"com.astra.iam.UserCreated", "com.astra.iam.UserUpdated", "com.astra.iam.UserDeactivated"}
	stream := "iam.user-" + u.ID
	audit := auditEvents(t, in, admin, "stream_id="+stream)
	if len(audit) != 3 {
		t.Fatalf("audit events of %s: %d, want 3: %+v", stream, len(audit), audit)
	}
	byID := map[string]auditEvent{}
	for i, e := range audit {
		if e.Type != wantTypes[i] || e.SpecVersion != "1.0" || e.Subject != u.ID || e.TenantID != me.TenantID ||
			e.Actor != me.ID || e.StreamVersion != int64(i+1) || e.PartitionKey != stream {
			t.Fatalf("audit event %d: %+v", i, e)
		}
		if i > 0 && e.Position <= audit[i-1].Position {
			t.Fatalf("audit events out of order: %+v", audit)
		}
		byID[e.ID] = e
	}
	if audit[0].Data["email"] != email || audit[0].Data["password_hash"] != "[redacted]" {
		t.Fatalf("audit UserCreated data: %v", audit[0].Data)
	}
	// The type filter finds the same events.
	for _, typ := range wantTypes {
		evs := auditEvents(t, in, admin, "type="+typ+"&subject="+u.ID)
		if len(evs) != 1 || evs[0].Type != typ {
			t.Fatalf("audit type=%s: %+v", typ, evs)
		}
	}

	t.Run("OnTheKafkaTopic", func(t *testing.T) {
		var mine []*sarama.ConsumerMessage
		testkit.Eventually(t, 15*time.Second, "the user's events on astra.iam", func() bool {
			mine = mine[:0]
			for _, m := range testkit.KafkaRecords(t, in.Running.Stack.Brokers, "astra.iam") {
				if string(m.Key) == stream {
					mine = append(mine, m)
				}
			}
			return len(mine) >= 3
		})
		if len(mine) != 3 {
			t.Fatalf("records keyed %s: %d, want exactly 3", stream, len(mine))
		}
		for i, m := range mine {
			h := map[string]string{}
			for _, hd := range m.Headers {
				h[string(hd.Key)] = string(hd.Value)
			}
			a, ok := byID[h["ce_id"]]
			if !ok || a.ID != audit[i].ID {
				t.Fatalf("record %d ce_id %q, want audit id %s (records of one stream keep their order)", i, h["ce_id"], audit[i].ID)
			}
			if h["ce_specversion"] != "1.0" || h["ce_type"] != a.Type || h["ce_subject"] != u.ID || h["ce_tenantid"] != me.TenantID ||
				h["ce_actor"] != me.ID || h["ce_partitionkey"] != stream || h["ce_source"] != "/astra/iam" ||
				h["ce_streamversion"] != []string{"1", "2", "3"}[i] {
				t.Fatalf("record %d headers: %v", i, h)
			}
			// Personal data is sealed on Kafka: never the plaintext address or name.
			if bytes.Contains(m.Value, []byte(email)) || bytes.Contains(m.Value, []byte("Evented Renamed")) {
				t.Fatalf("record %d carries plaintext personal data: %s", i, m.Value)
			}
		}
	})

	t.Run("OnTheLiveStream", func(t *testing.T) {
		evs := sub.Events(10*time.Second, func(evs []map[string]any) bool {
			n := 0
			for _, e := range evs {
				if e["subject"] == u.ID && (e["type"] == wantTypes[0] || e["type"] == wantTypes[1] || e["type"] == wantTypes[2]) {
					n++
				}
			}
			return n == 3
		})
		var mine []map[string]any
		for _, e := range evs {
			if e["partitionkey"] == stream {
				mine = append(mine, e)
			}
		}
		if len(mine) != 3 {
			t.Fatalf("stream events of %s: %d of %d received: %v", stream, len(mine), len(evs), evs)
		}
		for i, e := range mine {
			if e["specversion"] != "1.0" || e["type"] != wantTypes[i] || e["id"] != audit[i].ID || e["source"] != "/astra/iam" ||
				e["tenantid"] != me.TenantID || e["actor"] != me.ID || e["subject"] != u.ID {
				t.Fatalf("stream event %d: %v", i, e)
			}
		}
		data, _ := mine[0]["data"].(map[string]any)
		if data["email"] != email || data["password_hash"] != "[redacted]" || data["name"] != "User "+email {
			t.Fatalf("stream UserCreated data: %v", data)
		}
		upd, _ := mine[1]["data"].(map[string]any)
		if upd["name"] != "Evented Renamed" || upd["role"] != "auditor" {
			t.Fatalf("stream UserUpdated data: %v", upd)
		}
	})
}
