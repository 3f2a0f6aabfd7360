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

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/domain/resilience"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

type deadLetter struct {
	Projection string  `json:"projection"`
	EventID    *string `json:"event_id"`
	Reason     string  `json:"reason"`
	Error      string  `json:"error"`
	TenantID   string  `json:"tenant_id"`
}

// deadLetters reads every dead letter through the admin API.
func deadLetters(t testing.TB, in *testkit.Instance, token string) []deadLetter {
	t.Helper()
	all, pages := testkit.Walk[deadLetter](t, in, "/api/v1/admin/projections/dead-letters?limit=200", token)
	testkit.SameTotal(t, "dead letters", pages) // every page carries total_count
	return all
}

// listed reports whether projection dead-lettered event id for reason.
func listed(dls []deadLetter, projection, id, reason string) bool {
	for _, d := range dls {
		if d.Projection == projection && d.EventID != nil && *d.EventID == id && d.Reason == reason {
			return true
		}
	}
	return false
}

// consumers is which projections consume each module topic (app/stack.go).
func consumers(t testing.TB, in *testkit.Instance) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	r := in.Running.Stack.Runner
	for _, name := range r.Names() {
		p, _ := r.Projection(name)
		for _, topic := range p.Topics() {
			out[topic] = append(out[topic], name)
		}
	}
	return out
}

// TestPoison_EveryProjectionQuarantinesAndKeepsFlowing writes, for every
// projection, a poison event into the ledger (a NUL in a text field, which
// Postgres text cannot hold) and a forged record onto its topic (a
// correctly shaped CloudEvent that is not in the ledger, e.g. a
// RoleAssigned(platform_admin)). Every other tenant's writes still reach
// their read models within the read-your-writes bound; each poison event and
// forged record is listed in the dead-letter view with an alert; no forged
// record reaches a read model or a live-stream subscriber; and `astra verify`
// reports the forged records.
func TestPoison_EveryProjectionQuarantinesAndKeepsFlowing(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.ReadYourWrites = 5 * time.Second
	in := testkit.Start(t, &cfg)
	st := in.Running.Stack
	ctx := context.Background()
	admin := in.AdminToken(t)
	poisonedTenant, _ := in.NewTenant(t, admin, "Poisoned")
	bystander, other := in.NewTenant(t, admin, "Bystander")
	victim := in.Do(t, http.MethodPost, "/api/v1/iam/users", other, map[string]string{"email": "victim@bystander.test", "name": "Victim", "role": "viewer"})
	if victim.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", victim.Status, victim.Body)
	}
	var victimUser struct {
		ID string `json:"id"`
	}
	victim.Data(t, &victimUser)

	ws := in.DialWS(t, other)
	ws.Subscribe("", "iam.*", "risk.*", "gateway.*", "trust.*")

	// 1. Poison events in the ledger, appended through the event store
	// (bypassing HTTP's text check): one per module topic, so that every
	// projection meets one it cannot apply.
	nul := "poison\x00text"
	id := func() string { return uuid.Must(uuid.NewV7()).String() }
	tid, rid, pid, cid, aid, did, wid, sid := id(), id(), id(), id(), id(), id(), id(), id()
	poisons := []eventstore.StreamAppend{
		{StreamID: "iam.tenant-" + tid, Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: iam.TenantCreated, Subject: tid,
			Data: iam.TenantCreatedV1{TenantID: tid, Name: nul}}}},
		{StreamID: "risk.risk-" + rid, Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: risk.RiskIdentified, Subject: rid,
			Data: risk.RiskIdentifiedV1{RiskID: rid, TenantID: poisonedTenant, Title: nul, Likelihood: 3, Impact: 3}}}},
		{StreamID: "gateway.provider-" + pid, Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: gw.ProviderRegistered, Subject: pid,
			Data: gw.ProviderRegisteredV1{ProviderID: pid, TenantID: poisonedTenant, Name: nul, Kind: "mock", Models: []string{}}}}},
		{StreamID: compliance.StreamOfControl(cid), Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: compliance.ControlCreated, Subject: cid,
			Data: compliance.ControlCreatedV1{ControlID: cid, TenantID: poisonedTenant, Name: nul, Status: "planned", Requirements: []compliance.Ref{}}}}},
		{StreamID: aegis.StreamOfAgent(aid), Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: aegis.AgentRegistered, Subject: aid,
			Data: aegis.AgentRegisteredV1{AgentID: aid, TenantID: poisonedTenant, Profile: aegis.Profile{Name: nul, Tools: []string{}, DataScopes: []string{},
				APIKeyIDs: []string{}}}}}},
		{StreamID: datagov.StreamOfDataset(did), Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: datagov.DatasetRegistered, Subject: did,
			Data: datagov.DatasetRegisteredV1{DatasetID: did, TenantID: poisonedTenant, Name: nul, Columns: []datagov.Column{}}}}},
		{StreamID: bastionai.StreamOfSettings(poisonedTenant), Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: bastionai.DefaultProviderSet, Subject: poisonedTenant,
			Data: bastionai.DefaultProviderSetV1{TenantID: poisonedTenant, Provider: nul, Model: "m"}}}},
		{StreamID: platformmod.StreamOfWorkflow(wid), Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: platformmod.WorkflowCreated, Subject: wid,
			Data: platformmod.WorkflowCreatedV1{WorkflowID: wid, TenantID: poisonedTenant, Name: nul, Trigger: risk.RiskUpdated.CEType(), Conditions: []platformmod.Condition{}}}}},
		{StreamID: resilience.StreamOfScenario(sid), Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: resilience.ScenarioDefined, Subject: sid,
			Data: resilience.ScenarioDefinedV1{ScenarioID: sid, TenantID: poisonedTenant, Name: nul, Disruptions: []resilience.Disruption{}}}}},
		{StreamID: "trust.score-" + poisonedTenant + "-poison", Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: trust.ScoreUpdated, Subject: poisonedTenant,
			Data: trust.ScoreUpdatedV1{TenantID: poisonedTenant, Score: 50, Grade: "C", Reason: nul, At: time.Now().UTC(), Pillars: map[string]float64{}}}}},
	}
	poisonIDs := map[string]string{} // event id → topic
	for _, a := range poisons {
		evs, err := st.Store.Append(ctx, eventstore.Metadata{TenantID: poisonedTenant, Actor: "test:poison"}, a)
		if err != nil {
			t.Fatalf("append poison %s: %v", a.StreamID, err)
		}
		poisonIDs[evs[0].ID.String()] = evs[0].Topic()
	}

	// 2. Forged records written straight to the broker: correctly shaped,
	// in the bystander's tenant, never in the ledger. One carries a made-up
	// MAC, the others none.
	head, err := st.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forged := []eventstore.Event{
		{Type: iam.RoleAssigned.CEType(), Subject: victimUser.ID, StreamID: "iam.user-" + victimUser.ID, Version: 2,
			Data: []byte(`{"user_id":"` + victimUser.ID + `","role":"platform_admin"}`)},
		{Type: risk.RiskIdentified.CEType(), Subject: "forged-risk", StreamID: "risk.risk-forged",
			Data: []byte(`{"risk_id":"forged-risk","tenant_id":"` + bystander + `","title":"Forged","likelihood":5,"impact":5}`)},
		{Type: gw.ProviderRegistered.CEType(), Subject: "forged-provider", StreamID: "gateway.provider-forged",
			Data: []byte(`{"provider_id":"forged-provider","tenant_id":"` + bystander + `","name":"evil","kind":"openai","base_url":"http://evil.test","models":[]}`)},
		{Type: trust.ScoreUpdated.CEType(), Subject: bystander, StreamID: "trust.score-" + bystander,
			Data: []byte(`{"tenant_id":"` + bystander + `","score":100,"grade":"A","reason":"signal","at":"2026-01-01T00:00:00Z","pillars":{}}`)},
	}
	producer, err := sarama.NewSyncProducer([]string{in.BrokerAddr()}, eventstore.KafkaConfig("attacker"))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	forgedIDs := map[string]string{} // event id → topic
	for i := range forged {
		e := &forged[i]
		e.ID = uuid.Must(uuid.NewV7())
		e.Source = "/astra/" + e.Module()
		e.Time = time.Now().UTC()
		e.TenantID, e.Actor, e.SchemaVersion = bystander, "attacker", 1
		if e.Version == 0 {
			e.Version = 1
		}
		e.Position = head + 1_000_000 + int64(i) // far ahead: must not make anything skip real events
		pm := eventstore.ToKafka(e)
		if i == 0 {
			pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: []byte("astra_prevhash"), Value: make([]byte, 32)},
				sarama.RecordHeader{Key: []byte("astra_mac"), Value: make([]byte, 32)})
		}
		if _, _, err := producer.SendMessage(pm); err != nil {
			t.Fatalf("produce forged record: %v", err)
		}
		forgedIDs[e.ID.String()] = pm.Topic
	}

	// 3. The bystander keeps writing: each write answers only once the
	// projections it touches applied it, within the bound.
	start := time.Now()
	writes := []struct {
		path string
		body any
	}{
		{"/api/v1/iam/users", map[string]string{"email": "after@bystander.test", "name": "After", "role": "viewer"}},
		{"/api/v1/risk/risks", map[string]any{"title": "After the poison", "likelihood": 2, "impact": 2}},
		{"/api/v1/gateway/providers", map[string]any{"name": "after-poison", "kind": "mock"}},
	}
	var riskID string
	for _, w := range writes {
		r := in.Do(t, http.MethodPost, w.path, other, w.body)
		if r.Status != http.StatusCreated {
			t.Fatalf("bystander write %s: %d %s", w.path, r.Status, r.Body)
		}
		if c := r.Header.Get("X-Astra-Consistency"); c != "strong" {
			t.Fatalf("bystander write %s answered %q consistency: its projection did not apply it within %s", w.path, c, cfg.ReadYourWrites)
		}
		if w.path == "/api/v1/risk/risks" {
			var out struct {
				ID string `json:"id"`
			}
			r.Data(t, &out)
			riskID = out.ID
		}
	}
	// Every projection, trust and sso included, applied everything after
	// the poison within the bound.
	evs, err := st.Store.ReadFrom(ctx, head, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Runner.WaitFor(ctx, cfg.ReadYourWrites, evs, st.Runner.Names()...); err != nil {
		t.Fatalf("projections did not apply the %d events written after the poison within %s: %v", len(evs), cfg.ReadYourWrites, err)
	}
	t.Logf("bystander writes applied %s after the poison", time.Since(start).Round(time.Millisecond))

	// 4. Every poison event and every forged record is in the dead-letter
	// view of every projection that consumes its topic.
	byTopic := consumers(t, in)
	var dls []deadLetter
	testkit.Eventually(t, 10*time.Second, "every poison event and forged record dead-lettered", func() bool {
		dls = deadLetters(t, in, admin)
		for id, topic := range poisonIDs {
			for _, p := range byTopic[topic] {
				if !listed(dls, p, id, "apply failed") && appliesType(p, topic) {
					return false
				}
			}
		}
		for id, topic := range forgedIDs {
			for _, p := range byTopic[topic] {
				if !listed(dls, p, id, "unauthenticated record") {
					return false
				}
			}
		}
		return true
	})
	for _, p := range st.Runner.Names() {
		var n int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM projection_errors WHERE projection = $1 AND message LIKE 'dead letter%'`, p).Scan(&n); err != nil || n == 0 {
			t.Errorf("no alert (projection_errors row) for %s: %d %v", p, n, err)
		}
	}
	for _, d := range dls {
		if d.Reason == "apply failed" && !strings.Contains(d.Error, "SQLSTATE 22") {
			t.Errorf("dead letter of %s says %q, want the data exception", d.Projection, d.Error)
		}
	}
	status := in.Do(t, http.MethodGet, "/api/v1/admin/projections", admin, nil)
	var ps []struct {
		Name        string  `json:"name"`
		DeadLetters int64   `json:"dead_letters"`
		LastError   *string `json:"last_error"`
	}
	status.Data(t, &ps)
	for _, p := range ps {
		if p.DeadLetters == 0 || p.LastError == nil {
			t.Errorf("projection status of %s shows no dead letters: %+v", p.Name, p)
		}
	}

	// 5. No forged record reached a read model...
	r := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+victimUser.ID, other, nil)
	if r.Status != http.StatusOK || strings.Contains(string(r.Body), "platform_admin") {
		t.Fatalf("the forged RoleAssigned(platform_admin) reached the read model: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/risk/risks/forged-risk", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("the forged risk reached the read model: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/gateway/providers/forged-provider", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("the forged provider reached the read model: %d %s", r.Status, r.Body)
	}
	// ...nor a live-stream subscriber, who did get the real events written after it.
	got := ws.Await(10*time.Second, riskID, risk.RiskIdentified.CEType())
	got = append(got, ws.Quiet(500*time.Millisecond)...)
	for _, e := range got {
		if _, ok := forgedIDs[fmt.Sprint(e["id"])]; ok {
			t.Fatalf("a forged record reached a /ws subscriber: %v", e)
		}
	}

	// 6. `astra verify` reports every forged record and exits 1.
	code, out := testkit.RunAstra(t, cfg, "verify")
	if code != 1 {
		t.Fatalf("verify exited %d, want 1:\n%s", code, out)
	}
	for id := range forgedIDs {
		if !strings.Contains(out, id) {
			t.Errorf("verify does not report forged record %s:\n%s", id, out)
		}
	}
	if strings.Count(out, "forged record") != len(forgedIDs) || strings.Contains(out, "missing record") {
		t.Errorf("verify should report exactly the %d forged records:\n%s", len(forgedIDs), out)
	}
}

// appliesType says whether projection p applies the poison event written to
// topic (a projection ignores event types it does not use: trust reads the
// gateway and risk topics for signals only).
func appliesType(p, topic string) bool {
	switch {
	case p == "trust" && topic != events.TopicFor("trust"):
		return false
	// The gateway reads data_gov's topic for erasures only; the poison there
	// is a dataset, which it skips unread.
	case p == "gateway" && topic == events.TopicFor("data_gov"):
		return false
	}
	return true
}
