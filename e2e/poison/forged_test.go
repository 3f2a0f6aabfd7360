package poison

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestForgedRecord_RefusedEverywhere writes to the broker what an attacker
// with kcat would: a correctly shaped iam RoleAssigned(platform_admin) for a
// user, which is not in the ledger. It must not reach the read model nor a
// live-stream subscriber, and `astra verify` must report it.
func TestForgedRecord_RefusedEverywhere(t *testing.T) {
	cfg := testkit.Config(t)
	in := testkit.Start(t, &cfg)
	ctx := context.Background()
	admin := in.AdminToken(t)
	tenant, token := in.NewTenant(t, admin, "Target")
	r := in.Do(t, http.MethodPost, "/api/v1/iam/users", token, map[string]string{"email": "mallory@target.test", "name": "Mallory", "role": "viewer"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	var user struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	r.Data(t, &user)
	ws := in.DialWS(t, token)
	ws.Subscribe("", "iam.*")

	head, err := in.Running.Stack.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forged := eventstore.Event{ID: uuid.Must(uuid.NewV7()), Type: iam.RoleAssigned.CEType(), Source: "/astra/iam", Subject: user.ID,
		Time: time.Now().UTC(), TenantID: tenant, Actor: user.ID, StreamID: "iam.user-" + user.ID, Version: user.Version + 1,
		SchemaVersion: 1, Position: head + 1, Data: []byte(`{"user_id":"` + user.ID + `","role":"platform_admin"}`)}
	producer, err := sarama.NewSyncProducer([]string{in.BrokerAddr()}, eventstore.KafkaConfig("kcat"))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	if _, _, err := producer.SendMessage(eventstore.ToKafka(&forged)); err != nil {
		t.Fatal(err)
	}

	// A real write after it, on the same stream: once it is applied (and
	// delivered), the forged record before it was consumed too.
	r = in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+user.ID, token, map[string]string{"name": "Mallory Renamed"}, "If-Match", fmt.Sprint(user.Version))
	if r.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
	got := ws.Await(10*time.Second, user.ID, iam.UserUpdated.CEType())
	got = append(got, ws.Quiet(300*time.Millisecond)...)
	for _, e := range got {
		if e["id"] == forged.ID.String() {
			t.Errorf("the forged record reached a /ws subscriber: %v", e)
		}
	}
	r = in.Do(t, http.MethodGet, "/api/v1/iam/users/"+user.ID, token, nil)
	if r.Status != http.StatusOK || strings.Contains(string(r.Body), "platform_admin") {
		t.Errorf("the forged RoleAssigned(platform_admin) reached the read model: %d %s", r.Status, r.Body)
	}
	code, out := testkit.RunAstra(t, cfg, "verify")
	if code != 1 || !strings.Contains(out, forged.ID.String()) {
		t.Errorf("verify exited %d and does not name the forged record %s:\n%s", code, forged.ID, out)
	}
}
