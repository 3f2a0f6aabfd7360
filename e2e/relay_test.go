package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestRelay_NoSkipWhenCommitsInterleave appends concurrently through several
// stores (as several instances would) while the relay leadership changes hands
// repeatedly, then checks that Kafka holds every ledger position exactly once,
// in position order within each partition and in version order within each stream.
func TestRelay_NoSkipWhenCommitsInterleave(t *testing.T) {
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := app.Open(ctx, cfg, log, true)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stores := []*eventstore.Store{st.Store}
	for i := 0; i < 3; i++ {
		s := eventstore.NewStore(st.Pool)
		defer s.Close()
		stores = append(stores, s)
	}

	// Relays: a new candidate every 200 ms, the leader stepped down after it, so
	// leadership changes hands many times while the appends run.
	var relayWG sync.WaitGroup
	type candidate struct {
		r      *eventstore.Relay
		cancel context.CancelFunc
	}
	startRelay := func() candidate {
		rctx, cancel := context.WithCancel(ctx)
		r := eventstore.NewRelay(st.Pool, st.Brokers, log)
		relayWG.Add(1)
		go func() { defer relayWG.Done(); _ = r.Run(rctx) }()
		return candidate{r, cancel}
	}
	relays := []candidate{startRelay()}
	defer func() {
		for _, c := range relays {
			c.cancel()
		}
		relayWG.Wait()
	}()

	// Each writer appends at least appendsEach times, and goes on until the
	// relay changed hands a few times.
	const writers, appendsEach, streams, minTakeovers = 16, 250, 300, 5
	var takeovers atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			store := stores[w%len(stores)]
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; i < appendsEach || (takeovers.Load() < minTakeovers && i < 20*appendsEach); i++ {
				var appends []eventstore.StreamAppend
				for s := 0; s < 1+rnd.IntN(2); s++ {
					stream := "e2e.relay-" + strconv.Itoa(rnd.IntN(streams))
					if len(appends) == 1 && appends[0].StreamID == stream {
						continue
					}
					var drafts []eventstore.Draft
					for k := 0; k < 1+rnd.IntN(3); k++ {
						drafts = append(drafts, eventstore.Draft{Type: iam.LoginFailed, Subject: stream,
							Data: &iam.LoginFailedV1{UserID: stream, Reason: fmt.Sprintf("w%d-%d-%d", w, i, k)}})
					}
					appends = append(appends, eventstore.StreamAppend{StreamID: stream, Expected: eventstore.AnyVersion, Events: drafts})
				}
				if _, err := store.Append(ctx, eventstore.Metadata{TenantID: "relay-test", Actor: "e2e"}, appends...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(200 * time.Millisecond):
			relays = append(relays, startRelay())
			// Step the leader down: its lock session ends and a candidate takes over,
			// possibly with a batch on Kafka that its checkpoint does not cover yet.
			for _, c := range relays[:len(relays)-1] {
				if c.r.IsLeader() {
					c.cancel()
					takeovers.Add(1)
				}
			}
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("append: %v", err)
	}
	if n := takeovers.Load(); n < minTakeovers {
		t.Fatalf("only %d relay takeovers happened during the load", n)
	}
	db := openDB(t, cfg)
	relayed := waitRelayed(t, db)

	// A leader that died after the broker acknowledged a batch but before its
	// checkpoint moved: with every relay stopped, more events are appended and
	// part of them put on Kafka as that leader would have (all of partitions 0
	// and 1, the first half of partition 2). The next leader must publish the
	// rest, and nothing twice.
	for _, c := range relays {
		c.cancel()
	}
	relayWG.Wait()
	for i := 0; i < 200; i++ {
		stream := "e2e.relay-" + strconv.Itoa(i%streams)
		if _, err := st.Store.Append(ctx, eventstore.Metadata{TenantID: "relay-test", Actor: "e2e"}, eventstore.StreamAppend{
			StreamID: stream, Expected: eventstore.AnyVersion, Events: []eventstore.Draft{{Type: iam.LoginFailed, Subject: stream,
				Data: &iam.LoginFailedV1{UserID: stream, Reason: "after-" + strconv.Itoa(i)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	tail, err := st.Store.ReadFrom(ctx, relayed, 1000)
	if err != nil || len(tail) != 200 {
		t.Fatalf("read the unrelayed tail: %d events, %v", len(tail), err)
	}
	producer, err := sarama.NewSyncProducer(st.Brokers, eventstore.KafkaConfig("e2e-dead-leader"))
	if err != nil {
		t.Fatal(err)
	}
	var sent []*sarama.ProducerMessage
	for i := range tail {
		p := eventstore.PartitionFor(tail[i].StreamID, int32(cfg.KafkaPartitions))
		if p < 2 || i < len(tail)/2 {
			sent = append(sent, eventstore.ToKafka(&tail[i]))
		}
	}
	if err := producer.SendMessages(sent); err != nil {
		t.Fatal(err)
	}
	producer.Close()
	relays = append(relays[:0], startRelay())
	head := waitRelayed(t, db)
	evs := ledger(t, db)
	if int64(len(evs)) != head || evs[len(evs)-1].Position != head || head != relayed+200 {
		t.Fatalf("ledger has %d events, head %d", len(evs), head)
	}
	t.Logf("%d events appended through %d stores, %d relay takeovers, then %d of 200 left on Kafka by a dead leader",
		head, len(stores), takeovers.Load(), len(sent))

	byPos := map[int64]ledgerEvent{}
	for _, e := range evs {
		byPos[e.Position] = e
	}
	seen := map[int64]int{}
	streamVersion := map[string]int64{}
	for _, topic := range kafkaTopics(t, st.Brokers[0]) {
		lastInPartition := map[int32]int64{}
		for _, m := range testkit.KafkaRecords(t, st.Brokers, topic) {
			pos, err := strconv.ParseInt(header(m, "ce_position"), 10, 64)
			if err != nil {
				t.Fatalf("%s/%d@%d: ce_position %q", topic, m.Partition, m.Offset, header(m, "ce_position"))
			}
			seen[pos]++
			if prev := lastInPartition[m.Partition]; pos <= prev {
				t.Errorf("%s/%d@%d: position %d after %d", topic, m.Partition, m.Offset, pos, prev)
			}
			lastInPartition[m.Partition] = pos
			e, ok := byPos[pos]
			if !ok {
				t.Errorf("%s/%d@%d: position %d is not in the ledger", topic, m.Partition, m.Offset, pos)
				continue
			}
			if id := header(m, "ce_id"); id != e.ID || string(m.Key) != e.StreamID {
				t.Errorf("position %d: Kafka has id %s key %s, ledger %s %s", pos, id, m.Key, e.ID, e.StreamID)
			}
			v, _ := strconv.ParseInt(header(m, "ce_streamversion"), 10, 64)
			if v != streamVersion[e.StreamID]+1 {
				t.Errorf("stream %s: version %d follows %d on Kafka", e.StreamID, v, streamVersion[e.StreamID])
			}
			streamVersion[e.StreamID] = v
		}
	}
	missing := 0
	for pos := int64(1); pos <= head; pos++ {
		switch n := seen[pos]; {
		case n == 0:
			if missing++; missing <= 20 {
				t.Errorf("position %d never reached Kafka", pos)
			}
		case n > 1:
			t.Errorf("position %d is on Kafka %d times", pos, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d positions missing on Kafka", missing, head)
	}
}
