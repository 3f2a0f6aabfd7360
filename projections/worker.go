package projections

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/eventstore"
)

const (
	// applyBatch is the largest batch applied in one transaction.
	applyBatch = 2000
	// linger is how long a worker waits to fill a batch once it has one
	// event (the records of one fetch reach it partition by partition).
	linger = time.Millisecond
	// fetchMin and fetchWait: see work.
	fetchMin  = 64 << 10
	fetchWait = 20 * time.Millisecond
	// idleWait is how long the broker holds a fetch of the other projections
	// when nothing is there: records are answered as soon as they arrive, so
	// it bounds only how often an idle consumer polls.
	idleWait = 250 * time.Millisecond
)

// work runs one generation's consumer group until ctx ends, rejoining after errors.
func (r *Runner) work(ctx context.Context, g Generation) {
	cfg := eventstore.KafkaConfig("astra-projection-" + g.Projection)
	cfg.Consumer.MaxWaitTime = idleWait
	if hv, ok := r.byName[g.Projection].(HighVolume); ok && hv.HighVolume() {
		// Fetches wait up to fetchWait for fetchMin bytes: a batch arrives in
		// one fetch (every fetch costs a round trip through the broker and a
		// hop through the consumer's goroutines, about as much as a hundred
		// records), at the price of the read model trailing by up to
		// fetchWait while traffic is light.
		cfg = eventstore.BatchingConsumer(cfg, fetchMin, fetchWait)
	}
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

	// in carries the records of every claimed partition to the session's
	// applier; stopped is closed when the applier has returned.
	in      chan *sarama.ConsumerMessage
	stopped chan struct{}
	// alone is set when this session claims every partition of the
	// projection's topics: no other instance consumes them, so no other
	// instance needs to hear of this one's progress.
	alone bool
}

// Setup points every claimed partition at the offset stored in Postgres (the
// read model, not Kafka's group offset, is the source of truth for its
// position) and starts the session's applier.
func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	// sarama calls Cleanup even when Setup fails: give it a channel to close
	// and an applier that has already stopped.
	h.in = make(chan *sarama.ConsumerMessage, applyBatch)
	h.stopped = make(chan struct{})
	for topic, parts := range sess.Claims() {
		for _, p := range parts {
			var next int64
			err := h.r.pool.QueryRow(sess.Context(), `SELECT next_offset FROM projection_offsets
				WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4`,
				h.g.Projection, h.g.Generation, topic, p).Scan(&next)
			if err != nil && err != pgx.ErrNoRows {
				close(h.stopped)
				return fmt.Errorf("projections: load offset: %w", err)
			}
			// MarkOffset only moves forward and ResetOffset only backward: together they set it.
			sess.MarkOffset(topic, p, next, "")
			sess.ResetOffset(topic, p, next, "")
		}
	}
	h.alone = true
	for _, topic := range h.proj.Topics() {
		if n, err := h.r.partitionCount(topic); err != nil || int(n) != len(sess.Claims()[topic]) {
			h.alone = false
		}
	}
	go h.applyLoop(sess)
	return nil
}

// Cleanup runs once every ConsumeClaim has returned: it lets the applier
// finish the batch in hand (or drop it when the session ended) and stop.
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error {
	close(h.in)
	<-h.stopped
	return nil
}

// ConsumeClaim forwards the partition's records to the session's applier.
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	msgs := claim.Messages()
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				return nil
			}
			select {
			case h.in <- m:
			case <-sess.Context().Done():
				return nil
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}

// applyLoop applies the session's records in batches that span partitions:
// one transaction (and one commit, one notification) for whatever arrived
// from every claimed partition within the linger time, instead of one per
// partition. Each partition's records keep their order; records of
// different partitions were never ordered with respect to each other.
func (h *handler) applyLoop(sess sarama.ConsumerGroupSession) {
	defer close(h.stopped)
	ctx := sess.Context()
	batch := make([]*sarama.ConsumerMessage, 0, applyBatch)
	for {
		batch = batch[:0]
		m, ok := <-h.in
		if !ok {
			return
		}
		batch = append(batch, m)
		timer := time.NewTimer(linger)
	fill:
		for len(batch) < applyBatch {
			select {
			case m, ok := <-h.in:
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
			err := h.apply(ctx, batch, false)
			if err != nil && ctx.Err() == nil && !transient(err) {
				// Something in the batch cannot be applied: apply it again
				// event by event, quarantining the events that fail, so that
				// one poison event stalls neither its tenant nor any other.
				err = h.apply(ctx, batch, true)
			}
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				h.drain()
				return
			}
			h.r.log.Error("projections: apply failed", "projection", h.g.Projection, "generation", h.g.Generation,
				"topic", batch[0].Topic, "partition", batch[0].Partition, "offset", batch[0].Offset, "records", len(batch), "err", err)
			h.r.recordError(h.g, err)
			select {
			case <-ctx.Done():
				h.drain()
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		last := map[partitionOf]*sarama.ConsumerMessage{}
		for _, m := range batch {
			last[partitionOf{m.Topic, m.Partition}] = m
		}
		for _, m := range last {
			sess.MarkMessage(m, "")
		}
	}
}

// drain discards what the claims still send once the session has ended (the
// next session starts again from the positions stored in Postgres).
func (h *handler) drain() {
	for range h.in {
	}
}

type partitionOf struct {
	topic     string
	partition int32
}

// apply writes one batch and the position of every partition it holds in one
// transaction. Records at or below a partition's stored position
// (redelivery, or a duplicate on Kafka) are skipped; records that are not
// ledger events (see eventstore.RecordAuth) are dead-lettered, never
// applied. The transaction commits without waiting for its WAL flush: the
// read model and its positions are lost or kept together, and a lost tail
// is applied again from Kafka.
//
// careful applies the events one by one, each under a savepoint, and
// dead-letters an event that fails twice with an error of its own (see
// transient); it costs a round trip per event, so it is only the second try
// of a batch whose one-shot apply failed.
func (h *handler) apply(ctx context.Context, batch []*sarama.ConsumerMessage, careful bool) error {
	var parts []partitionOf
	seen := map[partitionOf]bool{}
	for _, m := range batch {
		if k := (partitionOf{m.Topic, m.Partition}); !seen[k] {
			seen[k] = true
			parts = append(parts, k)
		}
	}
	// Lock the partitions' rows in one order, so that two appliers (another
	// instance during a rebalance) cannot deadlock.
	sort.Slice(parts, func(i, j int) bool {
		if parts[i].topic != parts[j].topic {
			return parts[i].topic < parts[j].topic
		}
		return parts[i].partition < parts[j].partition
	})
	topics := make([]string, len(parts))
	partitions := make([]int32, len(parts))
	for i, p := range parts {
		topics[i], partitions[i] = p.topic, p.partition
	}

	tx, err := h.r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	last := make(map[partitionOf]int64, len(parts))
	next := make(map[partitionOf]int64, len(parts))
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL synchronous_commit = off`)
	if h.r.lz4 {
		b.Queue(`SET LOCAL default_toast_compression = lz4`)
	}
	// A partition seen for the first time gets its row now, so that it is
	// locked like the others.
	b.Queue(`INSERT INTO projection_offsets (projection, generation, topic, partition, next_offset, last_position, updated_at)
		SELECT $1, $2, t, p, 0, 0, now() FROM unnest($3::text[], $4::int[]) AS u(t, p)
		ON CONFLICT (projection, generation, topic, partition) DO NOTHING`, h.g.Projection, h.g.Generation, topics, partitions)
	b.Queue(`SELECT o.topic, o.partition, o.last_position FROM projection_offsets o
		JOIN unnest($3::text[], $4::int[]) AS u(t, p) ON o.topic = u.t AND o.partition = u.p
		WHERE o.projection = $1 AND o.generation = $2 ORDER BY o.topic, o.partition FOR UPDATE OF o`,
		h.g.Projection, h.g.Generation, topics, partitions).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var k partitionOf
			var pos int64
			if err := rows.Scan(&k.topic, &k.partition, &pos); err != nil {
				return err
			}
			last[k] = pos
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}

	evs := make([]eventstore.Event, 0, len(batch))
	msgs := make([]*sarama.ConsumerMessage, 0, len(batch))
	var dead []DeadLetter
	for _, m := range batch {
		k := partitionOf{m.Topic, m.Partition}
		next[k] = m.Offset + 1
		e, err := h.r.authenticate(ctx, m)
		if errors.Is(err, eventstore.ErrUnauthenticated) {
			// Its position is not trusted either: it moves nothing.
			dead = append(dead, h.deadLetter(m, &e, ReasonUnauthenticated, err))
			continue
		}
		if err != nil {
			return err
		}
		if e.Position <= last[k] {
			continue
		}
		last[k] = e.Position
		evs = append(evs, e)
		msgs = append(msgs, m)
	}
	if len(evs) > 0 && !careful {
		if err := h.proj.Apply(ctx, tx, h.g.Schema, evs); err != nil {
			return err
		}
	}
	if careful {
		for i := range evs {
			err := h.applyOne(ctx, tx, &evs[i])
			if err != nil && !transient(err) {
				err = h.applyOne(ctx, tx, &evs[i]) // once more: an error of the event fails again
			}
			if err == nil {
				continue
			}
			if transient(err) || ctx.Err() != nil {
				return err
			}
			dead = append(dead, h.deadLetter(msgs[i], &evs[i], ReasonApplyFailed, err))
		}
	}

	nexts := make([]int64, len(parts))
	lasts := make([]int64, len(parts))
	var payload strings.Builder
	payload.WriteString("progress|" + h.g.Projection + "|" + strconv.Itoa(h.g.Generation) + "|")
	for i, p := range parts {
		nexts[i], lasts[i] = next[p], last[p]
		if i > 0 {
			payload.WriteByte(';')
		}
		payload.WriteString(p.topic + "/" + strconv.Itoa(int(p.partition)) + "=" + strconv.FormatInt(last[p], 10))
	}
	b = &pgx.Batch{}
	b.Queue(`UPDATE projection_offsets o SET next_offset = u.n, last_position = u.l, updated_at = now()
		FROM unnest($3::text[], $4::int[], $5::bigint[], $6::bigint[]) AS u(t, p, n, l)
		WHERE o.projection = $1 AND o.generation = $2 AND o.topic = u.t AND o.partition = u.p`,
		h.g.Projection, h.g.Generation, topics, partitions, nexts, lasts)
	// Other instances wait for this progress (read-your-writes of a write
	// they answered): one notification for the whole batch, since a NOTIFY
	// takes a cluster-wide lock at commit and wakes every listening backend.
	// Alone, the runner's own progress map is all there is to tell.
	if !h.alone {
		b.Queue(`SELECT pg_notify($1, $2)`, NotifyChannel, payload.String())
	}
	for _, d := range dead {
		queueDeadLetter(b, d)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	for _, d := range dead {
		h.r.noteDeadLetter(d)
	}
	for i, p := range parts {
		h.r.noteProgress(progressKey{h.g.Projection, h.g.Generation, p.topic, p.partition}, lasts[i])
	}
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
