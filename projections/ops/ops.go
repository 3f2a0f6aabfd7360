// Package ops answers the operators' and the auditors' questions: is the
// instance ready, how big are the ledger and the topics, what is in the
// ledger (the audit trail, newest first, filtered), and does it verify. It
// is the read side over the platform's own tables (ledger, relay checkpoint,
// projection bookkeeping) and the broker, so that the admin routes
// (http/admin) reach neither Postgres nor Kafka themselves (decision 0015).
package ops

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Queries reads what the admin routes show.
type Queries struct {
	// Pool reads the ledger and the platform tables.
	Pool *pgxpool.Pool
	// Runner hosts the projections whose lag is reported.
	Runner *projections.Runner
	// Relay is this instance's relay (nil: not leader).
	Relay *eventstore.Relay
	// Keys opens sealed personal fields for auditors.
	Keys *eventstore.Keyring
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
}

// ErrBrokerUnavailable reports that the broker could not be reached.
var ErrBrokerUnavailable = errors.New("ops: the broker is unavailable")

// PingPostgres checks that Postgres answers.
func (q *Queries) PingPostgres(ctx context.Context) error { return q.Pool.Ping(ctx) }

// BrokerCount connects to the broker and counts the brokers it reports.
func (q *Queries) BrokerCount(context.Context) (int, error) {
	client, err := sarama.NewClient(q.Brokers, eventstore.KafkaConfig("astra-health"))
	if err != nil {
		return 0, err
	}
	defer client.Close()
	return len(client.Brokers()), nil
}

// RelayLeader reports whether this instance's relay publishes the ledger.
func (q *Queries) RelayLeader() bool { return q.Relay != nil && q.Relay.IsLeader() }

// RelayLag is how many committed events the relay has not yet published.
func (q *Queries) RelayLag(ctx context.Context) (int64, error) {
	var head, cp int64
	if err := q.Pool.QueryRow(ctx, `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint)`).Scan(&head, &cp); err != nil {
		return 0, err
	}
	return head - cp, nil
}

// ProjectionLag is how many records the active generations of every
// projection have still to apply, summed.
func (q *Queries) ProjectionLag(ctx context.Context) (int64, error) {
	var total int64
	for _, name := range q.Runner.Names() {
		var gen int
		if err := q.Pool.QueryRow(ctx, `SELECT generation FROM projection_generations WHERE projection = $1 AND status = 'active'`, name).Scan(&gen); err != nil {
			return 0, err
		}
		lag, err := q.Runner.Lag(ctx, name, gen)
		if err != nil {
			return 0, err
		}
		total += lag
	}
	return total, nil
}

// LastError is the newest alert a projection raised (nil when none).
func (q *Queries) LastError(ctx context.Context, projection string) (*string, error) {
	var msg string
	err := q.Pool.QueryRow(ctx, `SELECT message FROM projection_errors WHERE projection = $1 ORDER BY id DESC LIMIT 1`, projection).Scan(&msg)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &msg, nil
}

// TopicStats is one topic's size on the broker.
type TopicStats struct {
	Topic      string `json:"topic"`
	Partitions int    `json:"partitions"`
	Records    int64  `json:"records"`
}

// EventStoreStats is the size of the ledger and of the topics.
type EventStoreStats struct {
	HeadPosition     int64            `json:"head_position"`
	RelayCheckpoint  int64            `json:"relay_checkpoint"`
	RelayLag         int64            `json:"relay_lag"`
	Streams          int64            `json:"streams"`
	EventsByType     map[string]int64 `json:"events_by_type"`
	Topics           []TopicStats     `json:"topics"`
	RegisteredEvents int              `json:"registered_event_types"`
}

// Stats counts the ledger's events by type and streams, and the records of
// every module topic (ErrBrokerUnavailable when the broker cannot be reached).
func (q *Queries) Stats(ctx context.Context) (*EventStoreStats, error) {
	out := &EventStoreStats{EventsByType: map[string]int64{}, Topics: []TopicStats{}, RegisteredEvents: len(events.All())}
	if err := q.Pool.QueryRow(ctx, `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint),
		(SELECT count(*) FROM streams)`).Scan(&out.HeadPosition, &out.RelayCheckpoint, &out.Streams); err != nil {
		return nil, fmt.Errorf("ops: stats: %w", err)
	}
	out.RelayLag = out.HeadPosition - out.RelayCheckpoint
	rows, err := q.Pool.Query(ctx, `SELECT type, count(*) FROM events GROUP BY type`)
	if err != nil {
		return nil, fmt.Errorf("ops: stats: %w", err)
	}
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("ops: stats: %w", err)
		}
		out.EventsByType[t] = n
	}
	rows.Close()
	client, err := sarama.NewClient(q.Brokers, eventstore.KafkaConfig("astra-stats"))
	if err != nil {
		return nil, ErrBrokerUnavailable
	}
	defer client.Close()
	for _, topic := range events.Topics() {
		parts, err := client.Partitions(topic)
		if err != nil {
			continue
		}
		ts := TopicStats{Topic: topic, Partitions: len(parts)}
		for _, p := range parts {
			hw, err1 := client.GetOffset(topic, p, sarama.OffsetNewest)
			lw, err2 := client.GetOffset(topic, p, sarama.OffsetOldest)
			if err1 == nil && err2 == nil {
				ts.Records += hw - lw
			}
		}
		out.Topics = append(out.Topics, ts)
	}
	return out, nil
}

// TenantLedger is a tenant's share of the ledger: its events by module and
// what they weigh as stored (compressed payloads, row headers included).
type TenantLedger struct {
	Events         int64            `json:"events" doc:"Events the tenant recorded, in every module."`
	EventsByModule map[string]int64 `json:"events_by_module" doc:"Events the tenant recorded, by module."`
	Bytes          int64            `json:"bytes" doc:"What the tenant's events weigh in the ledger as stored (pg_column_size of each row)."`
}

// Ledger measures a tenant's events: one pass over its rows (the index on
// tenant and type counts, the heap weighs them).
func (q *Queries) Ledger(ctx context.Context, tenantID string) (*TenantLedger, error) {
	out := &TenantLedger{EventsByModule: map[string]int64{}}
	rows, err := q.Pool.Query(ctx, `SELECT split_part(type, '.', 3), count(*), coalesce(sum(pg_column_size(e.*)), 0)
		FROM events e WHERE tenant_id = $1 GROUP BY 1`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("ops: ledger of %s: %w", tenantID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var module string
		var n, size int64
		if err := rows.Scan(&module, &n, &size); err != nil {
			return nil, fmt.Errorf("ops: ledger of %s: %w", tenantID, err)
		}
		out.EventsByModule[module] += n
		out.Events += n
		out.Bytes += size
	}
	return out, rows.Err()
}

// AuditEvent is one ledger event as an auditor sees it: a CloudEvent with
// the chain attributes.
type AuditEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	TenantID        string          `json:"tenantid"`
	Actor           string          `json:"actor"`
	StreamVersion   int64           `json:"streamversion"`
	PartitionKey    string          `json:"partitionkey"`
	SchemaVersion   int             `json:"schemaversion"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	CausationID     string          `json:"causationid,omitempty"`
	Position        int64           `json:"position"`
	Hash            string          `json:"hash"`
	PrevHash        string          `json:"prev_hash"`
	Data            json.RawMessage `json:"data"`
}

// Orders of the audit trail.
const (
	// NewestFirst lists the latest events first (the default).
	NewestFirst = "newest"
	// OldestFirst lists in ledger order, as a replay reads it.
	OldestFirst = "oldest"
)

// AuditFilter selects ledger events for auditors; the filters are bound
// parameters, never spliced into SQL.
type AuditFilter struct {
	TenantID string // empty: every tenant (platform view)
	Type     string // full type, or a prefix ending in '.' or '*'
	Subject  string
	Actor    string
	StreamID string
	From, To *time.Time
}

func (f AuditFilter) list() *projections.List {
	l := projections.NewList("events", eventstore.EventColumns).
		WhereIf(f.TenantID != "", "tenant_id = ?", f.TenantID).
		WhereIf(f.Subject != "", "subject = ?", f.Subject).
		WhereIf(f.Actor != "", "actor = ?", f.Actor).
		WhereIf(f.StreamID != "", "stream_id = ?", f.StreamID).
		WhereIf(f.From != nil, "time >= ?", f.From).
		WhereIf(f.To != nil, "time < ?", f.To)
	if strings.HasSuffix(f.Type, ".") || strings.HasSuffix(f.Type, "*") {
		l.Where("starts_with(type, ?)", strings.TrimSuffix(f.Type, "*"))
	} else if f.Type != "" {
		l.Where("type = ?", f.Type)
	}
	return l
}

// Audit reads one page of the trail, by ledger position in order
// (NewestFirst or OldestFirst), with the total that matches the filter.
func (q *Queries) Audit(ctx context.Context, f AuditFilter, order string, p projections.PageRequest) (projections.Page[AuditEvent], error) {
	tx, err := q.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return projections.Page[AuditEvent]{}, fmt.Errorf("ops: audit: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	l := f.list().OrderBy(order != OldestFirst, projections.IntKey("position"))
	page, err := projections.Fetch(ctx, tx, l, p, func(row pgx.CollectableRow) (AuditEvent, error) {
		e, err := eventstore.ScanEvent(row)
		if err != nil {
			return AuditEvent{}, err
		}
		return q.audit(ctx, &e), nil
	}, func(e AuditEvent) []any { return []any{e.Position} })
	if err != nil {
		return page, fmt.Errorf("ops: audit: %w", err)
	}
	return page, nil
}

// Export calls emit with every event of the filter in ledger order, reading
// a page at a time; it stops at emit's first error. flush is called between
// pages.
func (q *Queries) Export(ctx context.Context, f AuditFilter, emit func(AuditEvent) error, flush func()) error {
	ef := eventstore.AuditFilter{TenantID: f.TenantID, Type: f.Type, Subject: f.Subject, Actor: f.Actor,
		StreamID: f.StreamID, From: f.From, To: f.To, Limit: 1000}
	for {
		evs, more, err := eventstore.QueryAudit(ctx, q.Pool, ef)
		if err != nil {
			return err
		}
		for i := range evs {
			if err := emit(q.audit(ctx, &evs[i])); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		ef.After = evs[len(evs)-1].Position
		flush()
	}
}

// audit renders an event for auditors, personal fields opened.
func (q *Queries) audit(ctx context.Context, e *eventstore.Event) AuditEvent {
	return AuditEvent{SpecVersion: "1.0", ID: e.ID.String(), Type: e.Type, Source: e.Source, Subject: e.Subject, Time: e.Time,
		DataContentType: "application/json", TenantID: e.TenantID, Actor: e.Actor, StreamVersion: e.Version,
		PartitionKey: e.StreamID, SchemaVersion: e.SchemaVersion, CorrelationID: e.CorrelationID, CausationID: e.CausationID,
		Position: e.Position, Hash: hex.EncodeToString(e.Hash), PrevHash: hex.EncodeToString(e.PrevHash), Data: q.Keys.OpenEvent(ctx, e)}
}

// VerifyReport is the outcome of a verification of the ledger.
type VerifyReport = eventstore.VerifyReport

// Verify recomputes the hash chains and checks continuity: of the streams a
// tenant has events in, or of the whole ledger when tenantID is empty.
func (q *Queries) Verify(ctx context.Context, tenantID string) (*VerifyReport, error) {
	return eventstore.Verify(ctx, q.Pool, tenantID)
}
