package reactors

import (
	"context"
	"errors"
	"sync"

	"github.com/IBM/sarama"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
	"time"
)

// sinceSubscriber is a watermill Subscriber that reads every partition of a
// topic from the first record at or after a time, without a consumer group:
// what an EveryInstance reactor needs (each instance sees everything from
// the moment it loaded its state). Records of a partition are handed on one
// at a time, the next after the previous is acknowledged, so that a
// reactor sees a stream's events in order.
type sinceSubscriber struct {
	client   sarama.Client
	consumer sarama.Consumer
	since    time.Time
	unm      wmkafka.Unmarshaler

	stopper
	wg sync.WaitGroup
}

// stopper is the once-only stop of a subscriber: stop closes when it
// closes, and mu guards closed.
type stopper struct {
	mu     sync.Mutex
	closed bool
	stop   chan struct{}
}

// halt closes stop unless it is closed already, and runs then under the
// lock; it reports whether this call closed it.
func (s *stopper) halt(then func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closed = true
	close(s.stop)
	if then != nil {
		then()
	}
	return true
}

func newSinceSubscriber(brokers []string, cfg *sarama.Config, since time.Time, unm wmkafka.Unmarshaler) (*sinceSubscriber, error) {
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return nil, err
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &sinceSubscriber{client: client, consumer: consumer, since: since, unm: unm, stopper: stopper{stop: make(chan struct{})}}, nil
}

// Subscribe implements message.Subscriber.
func (s *sinceSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("reactors: subscriber closed")
	}
	parts, err := s.client.Partitions(topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	var pending sync.WaitGroup
	for _, p := range parts {
		off, err := s.client.GetOffset(topic, p, s.since.UnixMilli())
		if err != nil {
			return nil, err
		}
		if off < 0 { // nothing at or after that time: from the end
			off = sarama.OffsetNewest
		}
		pc, err := s.consumer.ConsumePartition(topic, p, off)
		if err != nil {
			return nil, err
		}
		pending.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer pending.Done()
			defer pc.AsyncClose()
			s.pump(ctx, pc, out)
		}()
	}
	go func() {
		pending.Wait()
		close(out)
	}()
	return out, nil
}

// pump hands one partition's records on, each after the previous was acked
// (a nacked one is handed on again).
func (s *sinceSubscriber) pump(ctx context.Context, pc sarama.PartitionConsumer, out chan<- *message.Message) {
	for {
		var m *sarama.ConsumerMessage
		select {
		case m = <-pc.Messages():
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		}
		if m == nil {
			return
		}
		if !deliver(ctx, s.stop, s.unm, m, out) {
			return
		}
	}
}

// deliver hands one record on as a message and waits for its
// acknowledgement, handing it on again while it is nacked. It reports false
// when ctx or stop ended the wait.
func deliver(ctx context.Context, stop <-chan struct{}, unm wmkafka.Unmarshaler, m *sarama.ConsumerMessage, out chan<- *message.Message) bool {
	for {
		msg, err := unm.Unmarshal(m)
		if err != nil {
			return true // the unmarshaler marks what it cannot read instead of failing
		}
		if msg.Metadata.Get(metaSkipped) != "" {
			// A type the reactor does not handle (most of a topic: the
			// gateway's request records) is passed by here, not through the
			// router's goroutines and middleware to a handler that drops it.
			return true
		}
		msg.SetContext(ctx)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
		select {
		case <-msg.Acked():
			return true
		case <-msg.Nacked():
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
	}
}

// Close implements message.Subscriber.
func (s *sinceSubscriber) Close() error {
	if !s.halt(nil) {
		return nil
	}
	s.wg.Wait()
	err := s.consumer.Close()
	return errors.Join(err, s.client.Close())
}
