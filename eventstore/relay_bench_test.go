package eventstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// loadLedger appends n events through Store.Append in big appends (500
// streams of 10 events each, expected versions checked), two appends in flight.
func loadLedger(b *testing.B, st *app.Stack, n int) {
	b.Helper()
	const tenant, perStream, perAppend = "bench-tenant", 10, 5000
	payload := userUpdate(b, st, tenant, uuid.NewString())
	meta := eventstore.Metadata{TenantID: tenant, Actor: "bench"}
	run := uuid.NewString()[:8]
	sem := make(chan struct{}, 2)
	errs := make(chan error, n/perAppend+1)
	for done, stream := 0, 0; done < n; {
		var appends []eventstore.StreamAppend
		for k := 0; k < perAppend && done < n; stream++ {
			m := min(perStream, n-done)
			drafts := make([]eventstore.Draft, m)
			for i := range drafts {
				drafts[i] = eventstore.Draft{Type: iam.UserUpdated, Subject: payload.UserID, Data: payload}
			}
			appends = append(appends, eventstore.StreamAppend{StreamID: fmt.Sprintf("iam.user-%s-%d", run, stream),
				Expected: eventstore.NoStream, Events: drafts})
			done += m
			k += m
		}
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			_, err := st.Store.Append(context.Background(), meta, appends...)
			errs <- err
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

// topicRecords is the number of records on the module topics.
func topicRecords(b *testing.B, brokers []string) int64 {
	b.Helper()
	client, err := sarama.NewClient(brokers, eventstore.KafkaConfig("astra-bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	var total int64
	for _, topic := range events.Topics() {
		parts, err := client.Partitions(topic)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range parts {
			hw, err := client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				b.Fatal(err)
			}
			total += hw
		}
	}
	return total
}

// TestKafkaRecordRoundTrip checks the decoding the relay benchmark's consumers
// rely on: FromKafka gives back what ToKafka encoded.
func TestKafkaRecordRoundTrip(t *testing.T) {
	e := eventstore.Event{ID: uuid.Must(uuid.NewV7()), Type: iam.UserUpdated.CEType(), Source: iam.UserUpdated.Source(),
		Subject: "u1", Time: time.Date(2026, 1, 2, 3, 4, 5, 600000, time.UTC), TenantID: "t1", Actor: "a1",
		StreamID: "iam.user-u1", Version: 7, CorrelationID: "c1", CausationID: "k1", SchemaVersion: 2,
		Data: []byte(`{"user_id":"u1"}`), Position: 42}
	pm := eventstore.ToKafka(&e)
	m := &sarama.ConsumerMessage{Value: e.Data}
	for i := range pm.Headers {
		m.Headers = append(m.Headers, &pm.Headers[i])
	}
	got, err := eventstore.FromKafka(m)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || got.Type != e.Type || got.Source != e.Source || got.Subject != e.Subject ||
		!got.Time.Equal(e.Time) || got.TenantID != e.TenantID || got.Actor != e.Actor || got.StreamID != e.StreamID ||
		got.Version != e.Version || got.CorrelationID != e.CorrelationID || got.CausationID != e.CausationID ||
		got.SchemaVersion != e.SchemaVersion || string(got.Data) != string(e.Data) || got.Position != e.Position {
		t.Fatalf("got %+v, want %+v", got, e)
	}
	if _, err := eventstore.FromKafka(&sarama.ConsumerMessage{Value: []byte("x")}); err == nil {
		t.Fatal("a record without CloudEvents headers decoded")
	}
	bad := &sarama.ConsumerMessage{Headers: append([]*sarama.RecordHeader{}, m.Headers...), Value: e.Data}
	bad.Headers = append(bad.Headers, &sarama.RecordHeader{Key: []byte("ce_streamversion"), Value: []byte("seven")})
	if _, err := eventstore.FromKafka(bad); err == nil {
		t.Fatal("a malformed streamversion header decoded")
	}
}

// BenchmarkRelay measures how fast the relay publishes a backlog to the
// embedded broker: b.N events are appended first (not timed), then the relay
// starts (leader election included) and the clock stops when its checkpoint
// reaches the ledger head, i.e. when the broker acknowledged every event.
//
//	go test -run '^$' -bench BenchmarkRelay -benchtime 200000x ./eventstore/
func BenchmarkRelay(b *testing.B) {
	st := openBenchStack(b, true)
	loadLedger(b, st, b.N)
	ctx := context.Background()
	head, err := st.Store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	relay := eventstore.NewRelay(st.Pool, st.Brokers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	rctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	go func() {
		defer close(stopped)
		_ = relay.Run(rctx)
	}()
	deadline := time.Now().Add(10*time.Minute + time.Duration(b.N)*100*time.Microsecond)
	for {
		cp, err := eventstore.Checkpoint(ctx, st.Pool)
		if err != nil {
			b.Fatal(err)
		}
		if cp >= head {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("relay stuck at %d of %d", cp, head)
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := processCPU() - cpu0
	cancel()
	<-stopped
	if got := topicRecords(b, st.Brokers); got != head {
		b.Fatalf("%d records on Kafka, want %d", got, head)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	// The relay and the embedded broker share this process: CPU per event is
	// what a busy machine distorts least.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "go_cpu_µs/event")
}

// processCPU is the CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
