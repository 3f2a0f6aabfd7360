package reactors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/IBM/sarama"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// groupSubscriber is a watermill Subscriber that consumes every topic of one
// ClusterWide reactor in one consumer group. watermill-kafka's subscriber
// opens a client, a group membership and a fetch loop per topic, which for a
// reactor over a dozen topics is a dozen of each, polling the broker while
// idle; here a reactor has one. Records of a partition are handed on one at
// a time, the next after the previous is acknowledged (a nacked one is
// handed on again), and acknowledged ones are marked for the group's
// offsets, as watermill-kafka does.
type groupSubscriber struct {
	client sarama.Client
	group  sarama.ConsumerGroup
	topics []string
	unm    wmkafka.Unmarshaler
	log    *slog.Logger
	outs   map[string]chan *message.Message

	stopper
	start   sync.Once
	cancel  context.CancelFunc
	running sync.WaitGroup
}

func newGroupSubscriber(brokers []string, cfg *sarama.Config, group string, topics []string, unm wmkafka.Unmarshaler, log *slog.Logger) (*groupSubscriber, error) {
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return nil, err
	}
	cg, err := sarama.NewConsumerGroupFromClient(group, client)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &groupSubscriber{client: client, group: cg, topics: topics, unm: unm, log: log.With("consumer_group", group),
		outs: make(map[string]chan *message.Message, len(topics)), stopper: stopper{stop: make(chan struct{})}}
	for _, t := range topics {
		s.outs[t] = make(chan *message.Message)
	}
	return s, nil
}

// Subscribe implements message.Subscriber: the messages of topic, which must
// be one of the reactor's. The group starts consuming at the first call;
// each topic's messages wait for their handler.
func (s *groupSubscriber) Subscribe(_ context.Context, topic string) (<-chan *message.Message, error) {
	out, ok := s.outs[topic]
	if !ok {
		return nil, fmt.Errorf("reactors: topic %s is not among the subscriber's %v", topic, s.topics)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("reactors: subscriber closed")
	}
	s.start.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.cancel = cancel
		s.running.Add(1)
		go s.consume(ctx)
	})
	return out, nil
}

// consume keeps the reactor in its group until the subscriber closes,
// joining again after a rebalance or an error.
func (s *groupSubscriber) consume(ctx context.Context) {
	defer s.running.Done()
	backoff := 200 * time.Millisecond
	go func() {
		for err := range s.group.Errors() {
			s.log.Warn("reactor consumer group", "err", err)
		}
	}()
	for ctx.Err() == nil {
		err := s.group.Consume(ctx, s.topics, groupHandler{s})
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = 200 * time.Millisecond
			continue
		}
		s.log.Warn("reactor consumer group: joining again", "err", err, "in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

type groupHandler struct{ s *groupSubscriber }

func (groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim hands on one partition's records until the session ends.
func (h groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	out := h.s.outs[claim.Topic()]
	ctx := sess.Context()
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if !deliver(ctx, h.s.stop, h.s.unm, m, out) {
				return nil
			}
			sess.MarkMessage(m, "")
		case <-ctx.Done():
			return nil
		case <-h.s.stop:
			return nil
		}
	}
}

// Close implements message.Subscriber: it leaves the group (committing the
// marked offsets) and closes every topic's channel.
func (s *groupSubscriber) Close() error {
	if !s.halt(func() {
		if s.cancel != nil {
			s.cancel()
		}
	}) {
		return nil
	}
	s.running.Wait()
	err := s.group.Close()
	for _, out := range s.outs {
		close(out)
	}
	return errors.Join(err, s.client.Close())
}
