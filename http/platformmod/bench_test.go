package platformmod_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/eventstore"
	rm "github.com/astrabastion/astra/projections/platformmod"
	"github.com/astrabastion/astra/testkit"
)

// BenchmarkOutbox_DeliveriesToLoopback measures the webhook outbox on one
// instance: b.N deliveries queued (queued/s), then drained: claimed in
// batches, rendered as CloudEvents (binary mode), signed, POSTed over TLS to
// a loopback receiver answering 204, and recorded as delivered
// (deliveries/s, from the moment the queue is released to the last answer).
// The integration's row is held disabled directly in the read model while
// the queue fills (a benchmark shortcut, not a product path).
//
//	go test ./http/platformmod -run '^$' -bench Outbox -benchtime 5000x
func BenchmarkOutbox_DeliveriesToLoopback(b *testing.B) {
	var n atomic.Int64
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	caFile := writeCA(b, srv)
	cfg := testkit.Config(b)
	cfg.AllowPrivateURLs, cfg.OutboundCAFile, cfg.LogLevel = []string{"loopback"}, caFile, "error"
	in := testkit.Start(b, &cfg)
	admin := in.AdminToken(b)
	r := in.Do(b, http.MethodPost, api+"/integrations", admin, map[string]any{"name": "bench", "url": srv.URL, "event_types": []string{"com.astra.bench.*"}})
	if r.Status != http.StatusCreated {
		b.Fatalf("configure: %d %s", r.Status, r.Body)
	}
	var i integration
	r.Data(b, &i)
	queue := &rm.Deliveries{Pool: in.Running.Stack.Pool, Runner: in.Running.Stack.Runner}
	tenant := in.Me(b, admin).TenantID
	evs := make([]eventstore.Event, b.N)
	for k := range evs {
		evs[k] = eventstore.Event{ID: uuid.Must(uuid.NewV7()), Type: "com.astra.bench.Measured", Source: "/astra/bench", Subject: "bench",
			Time: time.Now().UTC(), TenantID: tenant, Actor: "bench", StreamID: "bench", Version: int64(k + 1), Position: int64(k + 1),
			SchemaVersion: 1, Data: []byte(`{"n":1,"text":"a small payload of the size of a typical event"}`)}
	}
	// Queue everything first (with the integration disabled, so that
	// nothing is sent yet), then measure draining the queue.
	pool := in.Running.Stack.Pool
	schema := in.Running.Stack.Runner.Schema(rm.Name)
	if _, err := pool.Exec(b.Context(), `UPDATE `+schema+`.integrations SET state = 'disabled' WHERE id = $1`, i.ID); err != nil {
		b.Fatal(err)
	}
	queued := time.Now()
	for k := 0; k < len(evs); k += 1000 {
		if _, err := queue.Requeue(b.Context(), i.ID, evs[k:min(k+1000, len(evs))]); err != nil {
			b.Fatal(err)
		}
	}
	queueRate := float64(b.N) / time.Since(queued).Seconds()
	b.ResetTimer()
	start := time.Now()
	if _, err := pool.Exec(b.Context(), `UPDATE `+schema+`.integrations SET state = 'active' WHERE id = $1`, i.ID); err != nil {
		b.Fatal(err)
	}
	for n.Load() < int64(b.N) {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("%d of %d delivered in 5 min", n.Load(), b.N)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(conns.Load()), "connections")
	b.ReportMetric(queueRate, "queued/s")
}
