package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/astrabastion/astra/domain/events"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// relayLockKey is the advisory lock that elects the one relaying instance.
const relayLockKey int64 = 0x41535452415f524c // "ASTRA_RL"

// relayBatch is how many events one produce call carries.
const relayBatch = 5000

// Relay publishes committed ledger events to Kafka in position order. Exactly
// one instance relays at a time (a Postgres advisory lock held on a dedicated
// connection; when that instance dies its session ends and another takes over).
// The checkpoint advances only after the broker acknowledged; on takeover the
// tail of every partition is read back so nothing is published twice.
type Relay struct {
	pool    *pgxpool.Pool
	brokers []string
	log     *slog.Logger

	leader     atomic.Bool
	checkpoint atomic.Int64
	wake       chan struct{}
	published  prometheus.Counter
	lagGauge   prometheus.Gauge

	// Auth, when set, signs every record (see RecordAuth); without it
	// consumers check each record against the ledger instead.
	Auth *RecordAuth
}

// NewRelay relays the ledger of pool to brokers.
func NewRelay(pool *pgxpool.Pool, brokers []string, log *slog.Logger) *Relay {
	return &Relay{
		pool: pool, brokers: brokers, log: log, wake: make(chan struct{}, 1),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "astra_relay_published_events_total", Help: "Events relayed to Kafka by this instance."}),
		lagGauge:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "astra_relay_lag_events", Help: "Committed events not yet acknowledged by Kafka (as seen by the leader)."}),
	}
}

// Collectors exposes the relay's metrics.
func (r *Relay) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.published, r.lagGauge}
}

// IsLeader reports whether this instance relays now.
func (r *Relay) IsLeader() bool { return r.leader.Load() }

// Checkpoint reads the shared relay checkpoint.
func Checkpoint(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var cp int64
	err := pool.QueryRow(ctx, `SELECT position FROM relay_checkpoint WHERE id = 1`).Scan(&cp)
	return cp, err
}

// Run campaigns for leadership and relays while leader, until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := r.campaign(ctx)
		r.leader.Store(false)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("relay: stepped down", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

func (r *Relay) campaign(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("relay: connect: %w", err)
	}
	defer conn.Close(context.Background())
	for {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, relayLockKey).Scan(&got); err != nil {
			return fmt.Errorf("relay: try lock: %w", err)
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
	r.leader.Store(true)
	r.log.Info("relay: leading")
	return r.lead(ctx, conn)
}

func (r *Relay) lead(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("relay: listen: %w", err)
	}
	client, err := sarama.NewClient(r.brokers, KafkaConfig("astra-relay"))
	if err != nil {
		return fmt.Errorf("relay: kafka client: %w", err)
	}
	defer client.Close()
	producer, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		return fmt.Errorf("relay: producer: %w", err)
	}
	defer producer.Close()

	cp, err := Checkpoint(ctx, r.pool)
	if err != nil {
		return fmt.Errorf("relay: checkpoint: %w", err)
	}
	tails, err := partitionTails(ctx, client, r.Auth)
	if err != nil {
		return err
	}
	// The lock connection belongs to watch from here on: it turns
	// notifications into wake-ups and proves the lock session alive.
	wctx, stopWatch := context.WithCancel(ctx)
	lost := make(chan error, 1)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		lost <- r.watch(wctx, conn)
	}()
	defer func() { stopWatch(); <-watching }()

	r.checkpoint.Store(cp)
	saved := cp // the checkpoint as stored
	var lagAt, cycleAt time.Time
	drained := false // the last read came back short: wait for a wake-up before reading again
	for ctx.Err() == nil {
		var evs []Event
		if !drained {
			// A busy relay runs a cycle at most every cycleEvery, so that the
			// commits of a moderate load (each request its own) share one
			// fence, one read and one produce instead of paying each alone.
			// An idle relay reacts at once.
			if wait := cycleEvery - time.Since(cycleAt); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
			cycleAt = time.Now()
			evs, err = queryEvents(ctx, r.pool, `WHERE position > $1 ORDER BY position LIMIT $2`, cp, relayBatch)
			if err != nil {
				return err
			}
		}
		if len(evs) == 0 {
			drained = false
			r.lagGauge.Set(0)
			// Drained: wait for a commit. The checkpoint catches up once the
			// ledger has been quiet for a moment (while events flow, the
			// fence of the next batch stores it anyway).
			idle := time.Second
			if saved < cp {
				idle = checkpointIdle
			}
			select {
			case <-ctx.Done():
				return nil
			case err := <-lost:
				return err
			case <-r.wake:
			case <-time.After(idle):
				if saved < cp {
					if err := r.saveCheckpoint(ctx, cp); err != nil {
						return err
					}
					saved = cp
				}
			}
			continue
		}
		// The checkpoint of what Kafka has acknowledged is stored now, before
		// this batch leaves: its synchronous commit is also the fence that
		// puts the events just read on disk (see saveCheckpoint).
		if err := r.saveCheckpoint(ctx, cp); err != nil {
			return err
		}
		saved = cp
		msgs := make([]*sarama.ProducerMessage, 0, len(evs))
		for i := range evs {
			e := &evs[i]
			if tails != nil && relayed(tails, e) {
				continue // already on Kafka: published before a crash, checkpoint not yet moved
			}
			msg := ToKafka(e)
			if r.Auth != nil {
				r.Auth.Sign(msg, e)
			}
			msgs = append(msgs, msg)
		}
		if len(msgs) > 0 {
			if err := producer.SendMessages(msgs); err != nil {
				return fmt.Errorf("relay: produce: %w", err)
			}
		}
		last := evs[len(evs)-1].Position
		// A short read saw every event committed before it; later commits
		// wake the relay (in this process directly, from others by NOTIFY),
		// so there is nothing to read until then.
		drained = len(evs) < relayBatch
		if tails != nil && last > maxTail(tails) {
			tails = nil // past every tail: no more duplicates possible
		}
		r.published.Add(float64(len(msgs)))
		cp = last
		r.checkpoint.Store(cp)
		if time.Since(lagAt) > lagEvery {
			lagAt = time.Now()
			if head, err := r.headPosition(ctx); err == nil {
				r.lagGauge.Set(float64(head - cp))
			}
		}
	}
	return nil
}

const (
	// checkpointIdle is how long the ledger must stay quiet before a drained
	// relay stores its checkpoint on its own.
	checkpointIdle = 50 * time.Millisecond
	// lagEvery is how often a busy relay reads the ledger head for its lag gauge.
	lagEvery = 250 * time.Millisecond
	// cycleEvery is the shortest interval between two relay cycles.
	cycleEvery = 5 * time.Millisecond
)

// watch owns the lock connection while the relay leads: every notification of
// a commit (from another instance, or this one when not leading) wakes the
// relay, and every quiet second a ping proves the lock session is alive. It
// returns when the connection fails or ctx ends.
func (r *Relay) watch(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			r.Wake()
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("relay: lock connection: %w", err)
			}
			r.Wake() // and look again: a backstop for a lost notification
		default:
			return fmt.Errorf("relay: lock connection: %w", err)
		}
	}
}

// Wake tells a leading relay that the ledger moved.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// saveCheckpoint stores the checkpoint (the highest position Kafka has
// acknowledged) in a synchronously committed transaction that always writes,
// even when the position has not moved. The relay calls it after reading a
// batch and before producing it, so the commit doubles as a flush fence:
// appends made with Store.AppendRelaxed commit without waiting for their WAL
// flush, and if Postgres crashed before that flush the ledger would lose them
// (and reuse their positions) while Kafka kept them. Everything the read saw
// had committed, so its commit records lie before this commit's, and a
// synchronous commit returns only once the WAL is on disk up to itself. The
// stored checkpoint lags one batch behind while events flow and catches up as
// soon as the ledger is drained; after a crash the partition tails keep the
// batch in between from being published twice.
func (r *Relay) saveCheckpoint(ctx context.Context, cp int64) error {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL synchronous_commit = on`)
	b.Queue(`UPDATE relay_checkpoint SET position = greatest(position, $1), updated_at = now() WHERE id = 1`, cp)
	b.Queue(`COMMIT`)
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("relay: checkpoint: %w", err)
	}
	return nil
}

func (r *Relay) headPosition(ctx context.Context) (int64, error) {
	var head int64
	err := r.pool.QueryRow(ctx, `SELECT position FROM ledger_head WHERE id = 1`).Scan(&head)
	return head, err
}

func maxTail(tails map[string][]int64) int64 {
	var m int64
	for _, ps := range tails {
		for _, p := range ps {
			m = max(m, p)
		}
	}
	return m
}

// tailWindow is how far back partitionTails looks for the last authentic
// record when a partition ends with a record that is not a ledger event.
const tailWindow = 1000

// partitionTails reads the ledger position of the last record of every
// partition of every topic, so a new leader skips what a dead one already sent.
// With auth, only a ledger event's position counts: a forged record at a
// partition's end, claiming a high position, must not make the relay skip
// the events up to it.
func partitionTails(ctx context.Context, client sarama.Client, auth *RecordAuth) (map[string][]int64, error) {
	if err := client.RefreshMetadata(); err != nil {
		return nil, fmt.Errorf("relay: metadata: %w", err)
	}
	topics, err := client.Topics()
	if err != nil {
		return nil, fmt.Errorf("relay: topics: %w", err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("relay: consumer: %w", err)
	}
	defer consumer.Close()
	tails := map[string][]int64{}
	for _, topic := range topics {
		if len(topic) < 6 || topic[:6] != "astra." {
			continue
		}
		parts, err := client.Partitions(topic)
		if err != nil {
			return nil, fmt.Errorf("relay: partitions of %s: %w", topic, err)
		}
		t := make([]int64, len(parts))
		for _, p := range parts {
			newest, err := client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				return nil, fmt.Errorf("relay: offset of %s/%d: %w", topic, p, err)
			}
			if newest <= 0 {
				continue
			}
			pos, authentic, err := readTail(ctx, consumer, topic, p, newest-1, newest, auth)
			if err == nil && !authentic {
				oldest, oerr := client.GetOffset(topic, p, sarama.OffsetOldest)
				if oerr != nil {
					return nil, fmt.Errorf("relay: offset of %s/%d: %w", topic, p, oerr)
				}
				pos, _, err = readTail(ctx, consumer, topic, p, max(oldest, newest-tailWindow), newest, auth)
			}
			if err != nil {
				return nil, err
			}
			t[p] = pos
		}
		tails[topic] = t
	}
	return tails, nil
}

// readTail reads the records of a partition from offset from up to end and
// returns the highest position among its ledger events (every record's, without
// auth) and whether the last record was one.
func readTail(ctx context.Context, consumer sarama.Consumer, topic string, p int32, from, end int64, auth *RecordAuth) (int64, bool, error) {
	pc, err := consumer.ConsumePartition(topic, p, from)
	if err != nil {
		return 0, false, fmt.Errorf("relay: read tail of %s/%d: %w", topic, p, err)
	}
	defer pc.Close()
	var pos int64
	authentic := false
	for off := from; off < end; {
		select {
		case m := <-pc.Messages():
			off = m.Offset + 1
			authentic = true
			var at int64
			if auth != nil {
				e, err := auth.Verify(ctx, m)
				if errors.Is(err, ErrUnauthenticated) {
					authentic = false
					continue
				}
				if err != nil {
					return 0, false, err
				}
				at = e.Position
			} else {
				for _, h := range m.Headers {
					if string(h.Key) == hdrPosition {
						at, _ = strconv.ParseInt(string(h.Value), 10, 64)
					}
				}
			}
			pos = max(pos, at)
		case <-time.After(10 * time.Second):
			return 0, false, fmt.Errorf("relay: timed out reading tail of %s/%d", topic, p)
		}
	}
	return pos, authentic, nil
}

// relayed reports whether e is already on one of the topics it may be on
// (events.TopicsOf: a traffic record published to its module's topic by a
// build before decision 0034 is not published again to the traffic topic),
// by the positions at the partitions' tails.
func relayed(tails map[string][]int64, e *Event) bool {
	for _, topic := range events.TopicsOf(e.Type) {
		if t, ok := tails[topic]; ok && len(t) > 0 && e.Position <= t[PartitionFor(e.StreamID, int32(len(t)))] {
			return true
		}
	}
	return false
}
