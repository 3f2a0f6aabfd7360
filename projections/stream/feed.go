package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// FeedLinger is how long the feed keeps consuming after the last subscriber
// left, so that a reconnecting dashboard does not restart it.
const FeedLinger = 30 * time.Second

// Feed reads every module topic from Kafka while this instance has
// subscriptions, and not at all while it has none: a gateway under load
// publishes thousands of records a second, and fetching and skipping them for
// nobody cost as much as a projection.
//
// It starts on the first subscription at every partition's end as it is
// then (the offsets are fixed before the subscription is confirmed, so
// everything published after a confirmed subscribe reaches the subscriber;
// what was published before is history, which "since" replays from the
// ledger), and stops FeedLinger after the last subscription ended.
//
// Every record is checked before it is delivered (see Source.decode): a
// record that is not a ledger event never reaches a subscriber.
type Feed struct {
	brokers []string
	log     *slog.Logger
	deliver func(context.Context, *sarama.ConsumerMessage)

	linger atomic.Int64 // nanoseconds; zero means FeedLinger
	on     atomic.Bool  // a run is consuming (read without the lock by metrics)

	mu      sync.Mutex
	users   int         // subscriptions that hold the feed (acquire/release)
	run     *feedRun    // nil while stopped
	stopper *time.Timer // pending stop after the last subscription ended
	closed  bool
}

type feedRun struct {
	client   sarama.Client
	consumer sarama.Consumer
	parts    []sarama.PartitionConsumer
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Acquire holds the feed for one subscription, starting it unless it runs
// (and cancelling a pending stop). Each successful Acquire is paired with
// one Release.
func (f *Feed) Acquire() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("live stream stopped")
	}
	if f.stopper != nil {
		f.stopper.Stop()
		f.stopper = nil
	}
	if f.run == nil {
		r, err := f.start()
		if err != nil {
			return err
		}
		f.run = r
		f.on.Store(true)
	}
	f.users++
	return nil
}

// Release ends one subscription's hold; after the last one the feed stops
// once it has stayed unheld for the linger.
func (f *Feed) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users--
	if f.users > 0 || f.run == nil || f.stopper != nil {
		return
	}
	linger := time.Duration(f.linger.Load())
	if linger <= 0 {
		linger = FeedLinger
	}
	var t *time.Timer
	t = time.AfterFunc(linger, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.stopper != t || f.users > 0 { // acquired again meanwhile
			return
		}
		f.stopper = nil
		f.stopLocked()
	})
	f.stopper = t
}

// close stops the feed for good.
func (f *Feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.stopper != nil {
		f.stopper.Stop()
		f.stopper = nil
	}
	f.stopLocked()
}

// Running reports whether the feed consumes.
func (f *Feed) Running() bool { return f.on.Load() }

// SetLinger changes how long the feed keeps consuming after its last
// subscription ended (zero restores FeedLinger); tests shorten it.
func (f *Feed) SetLinger(d time.Duration) { f.linger.Store(int64(d)) }

func (f *Feed) stopLocked() {
	if f.run == nil {
		return
	}
	r := f.run
	f.run = nil
	f.on.Store(false)
	r.close()
}

func (r *feedRun) close() {
	r.cancel()
	for _, pc := range r.parts {
		pc.AsyncClose() // its Messages channel closes, and its goroutine ends
	}
	r.wg.Wait()
	_ = r.consumer.Close()
	_ = r.client.Close()
}

// start fixes every partition's end offset, then consumes from there.
func (f *Feed) start() (*feedRun, error) {
	cfg := eventstore.KafkaConfig("astra-ws")
	// A fetch is answered as soon as one record is there; with nothing to
	// read the broker holds it for MaxWaitTime. One consumer fetches every
	// partition of every topic in one request, but partitions added while a
	// fetch waits join only the next one: the wait bounds how late the first
	// events of a starting feed can be.
	cfg.Consumer.Fetch.Min = 1
	cfg.Consumer.MaxWaitTime = 20 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	// A subscriber waits for this start: with the broker unreachable it
	// fails within seconds rather than after sarama's minutes of retries.
	cfg.Net.DialTimeout = 3 * time.Second
	cfg.Metadata.Retry.Max = 1
	client, err := sarama.NewClient(f.brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("live stream: connect: %w", err)
	}
	type start struct {
		topic     string
		partition int32
		offset    int64
	}
	var starts []start
	for _, topic := range events.Topics() {
		parts, err := client.Partitions(topic)
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("live stream: partitions of %s: %w", topic, err)
		}
		for _, p := range parts {
			off, err := client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				_ = client.Close()
				return nil, fmt.Errorf("live stream: end of %s/%d: %w", topic, p, err)
			}
			starts = append(starts, start{topic, p, off})
		}
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("live stream: consumer: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	r := &feedRun{client: client, consumer: consumer, cancel: cancel}
	for _, s := range starts {
		pc, err := consumer.ConsumePartition(s.topic, s.partition, s.offset)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("live stream: consume %s/%d: %w", s.topic, s.partition, err)
		}
		r.parts = append(r.parts, pc)
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			for m := range pc.Messages() {
				f.deliver(runCtx, m)
			}
		}()
		go func() {
			defer r.wg.Done()
			for err := range pc.Errors() {
				f.log.Warn("live stream: partition consumer", "topic", err.Topic, "partition", err.Partition, "err", err.Err)
			}
		}()
	}
	// The consumer batches new partitions for up to 100 ms before its first
	// fetch. Confirm the subscription once that fetch was answered (it reports
	// the partitions' high-water marks), so that the first events after it
	// arrive as promptly as later ones.
	deadline := time.Now().Add(time.Second)
	for i := 0; i < len(starts) && time.Now().Before(deadline); {
		if starts[i].offset == 0 || r.parts[i].HighWaterMarkOffset() >= starts[i].offset {
			i++
			continue
		}
		time.Sleep(2 * time.Millisecond)
	}
	f.log.Debug("live stream feed started", "partitions", len(starts))
	return r, nil
}
