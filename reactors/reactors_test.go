package reactors_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/reactors"
	"github.com/astrabastion/astra/testkit"
)

// seen collects what reactors handled, by reactor.
type seen struct {
	mu   sync.Mutex
	by   map[string][]string
	dead []reactors.DeadLetter
}

func (s *seen) add(name, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.by[name] = append(s.by[name], id)
}

func (s *seen) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.by[name])
}

func (s *seen) deadFor(name string) []reactors.DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []reactors.DeadLetter
	for _, d := range s.dead {
		if d.Reactor == name {
			out = append(out, d)
		}
	}
	return out
}

// TestHost_DeliversRetriesDeadLettersAndRunsLocalReactorsBeforeTheAppendReturns
// runs the host on the real stack: the ledger, the relay and the embedded
// broker.
func TestHost_DeliversRetriesDeadLettersAndRunsLocalReactorsBeforeTheAppendReturns(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := testkit.Config(t)
	st, err := app.Open(context.Background(), cfg, log, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	relay := eventstore.NewRelay(st.Pool, st.Brokers, log)
	relay.Auth = st.Records
	st.Store.AttachRelay(relay)
	go func() { _ = relay.Run(ctx) }()

	s := &seen{by: map[string][]string{}}
	var failures sync.Map
	// The instance "loads its state" now: EveryInstance reactors must see
	// everything committed from here on, also what commits before they join.
	since := time.Now()
	meta := eventstore.Metadata{TenantID: "t-" + uuid.NewString()[:8], Actor: "test"}
	early := uuid.NewString()
	earlyEvs, err := eventstore.Create(ctx, st.Store, meta, "risk."+early,
		eventstore.Draft{Type: risk.RiskIdentified, Subject: early, Data: &risk.RiskIdentifiedV1{RiskID: early, Title: "before the reactors joined"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // relayed before the host starts
	host := &reactors.Host{Brokers: st.Brokers, Log: log, Auth: st.Records, Instance: "test", Retries: 2, Backoff: 10 * time.Millisecond, Since: since,
		DeadLetter: func(_ context.Context, d reactors.DeadLetter) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.dead = append(s.dead, d)
			return nil
		}}
	types := []events.Type{risk.RiskIdentified}
	host.Add(
		reactors.Reactor{Name: "shared", Types: types, Handle: func(_ context.Context, e *eventstore.Event) error {
			s.add("shared", e.ID.String())
			return nil
		}},
		// Fails twice per event, then succeeds: the retries absorb it.
		reactors.Reactor{Name: "flaky", Types: types, Handle: func(_ context.Context, e *eventstore.Event) error {
			n, _ := failures.LoadOrStore(e.ID, new(int))
			if *n.(*int) < 2 {
				*n.(*int)++
				return errors.New("transient")
			}
			s.add("flaky", e.ID.String())
			return nil
		}},
		reactors.Reactor{Name: "broken", Types: types, Handle: func(context.Context, *eventstore.Event) error {
			return errors.New("always fails")
		}},
		reactors.Reactor{Name: "local", Types: types, Scope: reactors.EveryInstance, Handle: func(ctx context.Context, e *eventstore.Event) error {
			if reactors.IsLocal(ctx) {
				s.add("local", e.ID.String())
			} else {
				s.add("local from the log", e.ID.String())
			}
			return nil
		}},
	)
	st.Store.Observe(host.Local)
	go func() {
		if err := host.Run(ctx); err != nil {
			t.Errorf("host: %v", err)
		}
	}()

	var ids []string
	for i := 0; i < 3; i++ {
		id := uuid.NewString()
		evs, err := eventstore.Create(ctx, st.Store, meta, "risk."+id,
			eventstore.Draft{Type: risk.RiskIdentified, Subject: id, Data: &risk.RiskIdentifiedV1{RiskID: id, Title: "r"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, evs[0].ID.String())
		// EveryInstance reactors see the commit before the append returns.
		if got := s.count("local"); got != i+1 { // the early event committed before Observe
			t.Fatalf("local reactor saw %d events when append %d returned", got, i+1)
		}
	}

	testkit.Eventually(t, 30*time.Second, "shared and flaky reactors handle every event, the broken one dead-letters each", func() bool {
		return s.count("shared") >= 3 && s.count("flaky") >= 3 && len(s.deadFor("broken")) >= 3
	})
	for _, d := range s.deadFor("broken") {
		if d.Err == "" || d.Event.ID == uuid.Nil || d.Event.Type != risk.RiskIdentified.CEType() {
			t.Fatalf("dead letter lacks its event or cause: %+v", d)
		}
	}
	// EveryInstance reactors also get every event from the log (from the
	// newest record when they joined): the other instances' path.
	id := uuid.NewString()
	evs, err := eventstore.Create(ctx, st.Store, meta, "risk."+id,
		eventstore.Draft{Type: risk.RiskIdentified, Subject: id, Data: &risk.RiskIdentifiedV1{RiskID: id, Title: "r"}})
	if err != nil {
		t.Fatal(err)
	}
	for what, id := range map[string]string{"the event committed after it joined": evs[0].ID.String(),
		"the event committed after Since, before it joined": earlyEvs[0].ID.String()} {
		testkit.Eventually(t, 30*time.Second, "the EveryInstance reactor gets "+what+" from the log", func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, got := range s.by["local from the log"] {
				if got == id {
					return true
				}
			}
			return false
		})
	}
	if len(s.deadFor("flaky")) != 0 || len(s.deadFor("shared")) != 0 {
		t.Fatalf("a reactor that recovered was dead-lettered: %+v", s.dead)
	}

	// A record that is not a ledger event (no MAC, not in the ledger) is
	// dead-lettered at once and reaches no handler.
	prod, err := sarama.NewSyncProducer(st.Brokers, eventstore.KafkaConfig("forger"))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	forged := uuid.New()
	if _, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: risk.RiskIdentified.Topic(), Key: sarama.StringEncoder("risk.x"),
		Value: sarama.ByteEncoder(`{"risk_id":"x","title":"forged"}`),
		Headers: []sarama.RecordHeader{{Key: []byte("ce_id"), Value: []byte(forged.String())}, {Key: []byte("ce_type"), Value: []byte(risk.RiskIdentified.CEType())},
			{Key: []byte("ce_specversion"), Value: []byte("1.0")}, {Key: []byte("ce_source"), Value: []byte("/astra/risk")}}}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 30*time.Second, "the forged record is dead-lettered by the shared reactor", func() bool {
		for _, d := range s.deadFor("shared") {
			if d.Err != "" {
				return true
			}
		}
		return false
	})
	s.mu.Lock()
	for _, id := range s.by["shared"] {
		if id == forged.String() {
			t.Fatal("a forged record reached a handler")
		}
	}
	s.mu.Unlock()
}
