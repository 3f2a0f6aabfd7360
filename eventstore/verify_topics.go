package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/domain/events"
)

// ledgerRef is what the topics are compared with: one ledger event.
type ledgerRef struct {
	streamID       string
	version, pos   int64
	prev, hash     []byte
	topics         []string // where it may be: its topic first (events.TopicsOf)
	seen           bool
	eventType, tid string
}

// VerifyTopics compares the module topics with the ledger: every record on
// every module topic must be a ledger event (same id, stream, version,
// position, topic, and the same hash recomputed from the record's contents),
// and every event the relay has acknowledged (up to its checkpoint) must be
// on its topic. Forged, altered and missing records are added to rep as
// breaks. The ledger's index is held in memory (about 200 bytes an event).
func VerifyTopics(ctx context.Context, pool *pgxpool.Pool, brokers []string, rep *VerifyReport) error {
	add := func(b Break) {
		if len(rep.Breaks) < maxBreaks {
			rep.Breaks = append(rep.Breaks, b)
		} else {
			rep.Truncated = true
		}
	}
	cp, err := Checkpoint(ctx, pool)
	if err != nil {
		return fmt.Errorf("verify topics: checkpoint: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT event_id, stream_id, version, position, prev_hash, hash, type, tenant_id FROM events`)
	if err != nil {
		return fmt.Errorf("verify topics: read ledger: %w", err)
	}
	ledger := map[uuid.UUID]*ledgerRef{}
	scan := func(row pgx.Row) (uuid.UUID, *ledgerRef, error) {
		var id uuid.UUID
		r := &ledgerRef{}
		if err := row.Scan(&id, &r.streamID, &r.version, &r.pos, &r.prev, &r.hash, &r.eventType, &r.tid); err != nil {
			return id, nil, err
		}
		r.topics = events.TopicsOf(r.eventType)
		return id, r, nil
	}
	for rows.Next() {
		id, r, err := scan(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("verify topics: read ledger: %w", err)
		}
		ledger[id] = r
	}
	// late finds an event appended (and relayed) after the ledger was read
	// above, as a running server does: such a record is checked against the
	// ledger as it is now, not reported as forged.
	late := func(id uuid.UUID) (*ledgerRef, bool) {
		_, r, err := scan(pool.QueryRow(ctx, `SELECT event_id, stream_id, version, position, prev_hash, hash, type, tenant_id FROM events WHERE event_id = $1`, id))
		if err != nil {
			return nil, false
		}
		ledger[id] = r
		return r, true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("verify topics: read ledger: %w", err)
	}

	cfg := KafkaConfig("astra-verify")
	cfg.Net.DialTimeout = 5 * time.Second
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return fmt.Errorf("verify topics: broker: %w", err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return fmt.Errorf("verify topics: consumer: %w", err)
	}
	defer consumer.Close()
	for _, topic := range events.Topics() {
		parts, err := client.Partitions(topic)
		if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			continue // not created yet: nothing relayed to it (missing records are reported below)
		}
		if err != nil {
			return fmt.Errorf("verify topics: partitions of %s: %w", topic, err)
		}
		for _, p := range parts {
			err := readPartition(ctx, client, consumer, topic, p, func(m *sarama.ConsumerMessage) {
				rep.RecordsChecked++
				where := fmt.Sprintf("%s/%d@%d", m.Topic, m.Partition, m.Offset)
				e, err := FromKafka(m)
				if err != nil {
					add(Break{Problem: "forged record " + where + ": not an ASTRA CloudEvent (" + err.Error() + ")"})
					return
				}
				r, ok := ledger[e.ID]
				if !ok {
					r, ok = late(e.ID)
				}
				switch {
				case !ok:
					add(Break{e.StreamID, e.Version, e.Position, fmt.Sprintf("forged record %s: event %s (%s, tenant %q) is not in the ledger", where, e.ID, e.Type, e.TenantID)})
				case r.streamID != e.StreamID || r.version != e.Version || r.pos != e.Position || !slices.Contains(r.topics, m.Topic) ||
					!bytes.Equal(chainHash(r.prev, &e), r.hash):
					add(Break{e.StreamID, e.Version, e.Position, fmt.Sprintf("forged record %s: event %s differs from the ledger's (altered or misplaced)", where, e.ID)})
				default:
					r.seen = true
				}
			})
			if err != nil {
				return err
			}
		}
	}
	for id, r := range ledger {
		if r.pos <= cp && !r.seen {
			add(Break{r.streamID, r.version, r.pos, fmt.Sprintf("missing record: ledger event %s (%s) was relayed but is not on %s", id, r.eventType, r.topics[0])})
		}
	}
	rep.OK = len(rep.Breaks) == 0
	return nil
}

// readPartition calls fn with every record of one partition, oldest first.
func readPartition(ctx context.Context, client sarama.Client, consumer sarama.Consumer, topic string, p int32, fn func(*sarama.ConsumerMessage)) error {
	hw, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		return fmt.Errorf("verify topics: end of %s/%d: %w", topic, p, err)
	}
	low, err := client.GetOffset(topic, p, sarama.OffsetOldest)
	if err != nil {
		return fmt.Errorf("verify topics: start of %s/%d: %w", topic, p, err)
	}
	if hw <= low {
		return nil
	}
	pc, err := consumer.ConsumePartition(topic, p, low)
	if err != nil {
		return fmt.Errorf("verify topics: read %s/%d: %w", topic, p, err)
	}
	defer pc.Close()
	for {
		select {
		case m := <-pc.Messages():
			fn(m)
			if m.Offset >= hw-1 {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
			return fmt.Errorf("verify topics: timed out reading %s/%d", topic, p)
		}
	}
}
