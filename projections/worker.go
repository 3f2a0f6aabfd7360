package projections

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/eventstore"
)

const (
	// applyBatch is the largest batch applied in one transaction.
	applyBatch = 2000
	// linger is how long a worker waits to fill a batch once it has one event.
	linger = 5 * time.Millisecond
)

// work runs one generation's consumer group until ctx ends, rejoining after errors.
func (r *Runner) work(ctx context.Context, g Generation) {
	cfg := eventstore.KafkaConfig("astra-projection-" + g.Projection)
	cfg.Consumer.Offsets.AutoCommit.Enable = true
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = time.Second
	group := fmt.Sprintf("astra-projection-%s-g%d", g.Projection, g.Generation)
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		cg, err := sarama.NewConsumerGroup(r.brokers, group, cfg)
		if err == nil {
			h := &handler{r: r, g: g, proj: r.byName[g.Projection]}
			for ctx.Err() == nil {
				if err = cg.Consume(ctx, h.proj.Topics(), h); err != nil {
					break
				}
				backoff = 200 * time.Millisecond
			}
			cg.Close()
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("projections: consumer group", "group", group, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

type handler struct {
	r    *Runner
	g    Generation
	proj Projection
}

// Setup points every claimed partition at the offset stored in Postgres: the
// read model, not Kafka's group offset, is the source of truth for its position.
func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	for topic, parts := range sess.Claims() {
		for _, p := range parts {
			var next int64
			err := h.r.pool.QueryRow(sess.Context(), `SELECT next_offset FROM projection_offsets
				WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4`,
				h.g.Projection, h.g.Generation, topic, p).Scan(&next)
			if err != nil && err != pgx.ErrNoRows {
				return fmt.Errorf("projections: load offset: %w", err)
			}
			// MarkOffset only moves forward and ResetOffset only backward: together they set it.
			sess.MarkOffset(topic, p, next, "")
			sess.ResetOffset(topic, p, next, "")
		}
	}
	return nil
}

// Cleanup is part of sarama.ConsumerGroupHandler.
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim applies the partition's records in batches.
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	msgs := claim.Messages()
	batch := make([]*sarama.ConsumerMessage, 0, applyBatch)
	for {
		batch = batch[:0]
		select {
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			batch = append(batch, m)
		case <-sess.Context().Done():
			return nil
		}
		timer := time.NewTimer(linger)
	fill:
		for len(batch) < applyBatch {
			select {
			case m, ok := <-msgs:
				if !ok {
					break fill
				}
				batch = append(batch, m)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		backoff := 100 * time.Millisecond
		for {
			err := h.apply(sess.Context(), claim.Topic(), claim.Partition(), batch)
			if err == nil {
				break
			}
			if sess.Context().Err() != nil {
				return nil
			}
			h.r.log.Error("projections: apply failed", "projection", h.g.Projection, "generation", h.g.Generation,
				"topic", claim.Topic(), "partition", claim.Partition(), "offset", batch[0].Offset, "err", err)
			h.r.recordError(h.g, err)
			select {
			case <-sess.Context().Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		sess.MarkMessage(batch[len(batch)-1], "")
	}
}

// apply writes one batch and its position in one transaction. Records at or
// below the stored position (redelivery, or a duplicate on Kafka) are skipped.
func (h *handler) apply(ctx context.Context, topic string, partition int32, batch []*sarama.ConsumerMessage) error {
	tx, err := h.r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	var last int64
	err = tx.QueryRow(ctx, `SELECT last_position FROM projection_offsets
		WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4 FOR UPDATE`,
		h.g.Projection, h.g.Generation, topic, partition).Scan(&last)
	if err != nil && err != pgx.ErrNoRows {
		return err
	}
	evs := make([]eventstore.Event, 0, len(batch))
	for _, m := range batch {
		e, err := eventstore.FromKafka(m)
		if err != nil {
			h.r.log.Warn("projections: skipping foreign record", "topic", topic, "offset", m.Offset, "err", err)
			continue
		}
		if e.Position <= last {
			continue
		}
		last = e.Position
		evs = append(evs, e)
	}
	if len(evs) > 0 {
		if err := h.proj.Apply(ctx, tx, h.g.Schema, evs); err != nil {
			return err
		}
	}
	next := batch[len(batch)-1].Offset + 1
	if _, err := tx.Exec(ctx, `INSERT INTO projection_offsets (projection, generation, topic, partition, next_offset, last_position, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, now())
		ON CONFLICT (projection, generation, topic, partition)
		DO UPDATE SET next_offset = excluded.next_offset, last_position = excluded.last_position, updated_at = now()`,
		h.g.Projection, h.g.Generation, topic, partition, next, last); err != nil {
		return err
	}
	payload := "progress|" + h.g.Projection + "|" + strconv.Itoa(h.g.Generation) + "|" + topic + "|" +
		strconv.Itoa(int(partition)) + "|" + strconv.FormatInt(last, 10)
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, payload); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	h.r.noteProgress(progressKey{h.g.Projection, h.g.Generation, topic, partition}, last)
	if h.r.OnApplied != nil {
		h.r.OnApplied(h.g.Projection, len(evs))
	}
	return nil
}

func (r *Runner) recordError(g Generation, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = r.pool.Exec(ctx, `INSERT INTO projection_errors (projection, generation, message) VALUES ($1, $2, $3)`,
		g.Projection, g.Generation, err.Error())
}
