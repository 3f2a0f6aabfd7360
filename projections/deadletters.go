package projections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/astrabastion/astra/eventstore"
)

// Reasons of a dead letter.
const (
	// ReasonApplyFailed: the event is in the ledger but the projection cannot
	// apply it (its own data or integrity error, a payload that does not decode).
	ReasonApplyFailed = "apply failed"
	// ReasonUnauthenticated: the broker record is not a ledger event (no valid
	// MAC, no matching ledger event): forged, altered or foreign. Its event
	// attributes are what the record claims.
	ReasonUnauthenticated = "unauthenticated record"
	// ReasonReactorFailed: a reactor (see package reactors) gave up on the
	// event after its retries; the projection column names the reactor
	// (reactor_<name>, generation 0).
	ReasonReactorFailed = "reactor failed"
)

// DeadLetterOf describes an event that consumer (a reactor) gave up on.
func DeadLetterOf(consumer string, e *eventstore.Event, topic, reason, err string) DeadLetter {
	d := DeadLetter{Projection: consumer, EventType: clean(e.Type), TenantID: clean(e.TenantID), StreamID: clean(e.StreamID),
		Topic: topic, Partition: -1, Offset: e.Position, Reason: reason, Error: clean(err)}
	if e.ID != [16]byte{} {
		id := e.ID.String()
		d.EventID = &id
	}
	if e.Version != 0 {
		d.Version = &e.Version
	}
	if e.Position != 0 {
		d.Position = &e.Position
	}
	return d
}

// RecordDeadLetter records a dead letter outside a projection's
// transaction (the reactors' poison queue) and raises its alert.
func (r *Runner) RecordDeadLetter(ctx context.Context, d DeadLetter) error {
	b := &pgx.Batch{}
	queueDeadLetter(b, d)
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	r.noteDeadLetter(d)
	return nil
}

// DeadLetter is one record a projection did not apply, and why.
type DeadLetter struct {
	ID         int64     `json:"id"`
	Projection string    `json:"projection"`
	Generation int       `json:"generation"`
	EventID    *string   `json:"event_id"`
	EventType  string    `json:"event_type"`
	TenantID   string    `json:"tenant_id"`
	StreamID   string    `json:"stream_id"`
	Version    *int64    `json:"version"`
	Position   *int64    `json:"position"`
	Topic      string    `json:"topic"`
	Partition  int32     `json:"partition"`
	Offset     int64     `json:"offset"`
	Reason     string    `json:"reason"`
	Error      string    `json:"error"`
	FirstSeen  time.Time `json:"first_seen"`
}

// deadLetters counts quarantined records (the alert until an alerting
// module exists: see also projection_errors and the error log).
var deadLetters = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "astra_projection_dead_letters_total",
	Help: "Records a projection quarantined instead of applying, by projection and reason (apply failed, unauthenticated record).",
}, []string{"projection", "reason"})

// Collectors exposes the runner's metrics.
func (r *Runner) Collectors() []prometheus.Collector {
	return []prometheus.Collector{deadLetters}
}

// authenticate decodes a record and checks it is a ledger event.
func (r *Runner) authenticate(ctx context.Context, m *sarama.ConsumerMessage) (eventstore.Event, error) {
	if r.Auth != nil {
		return r.Auth.Verify(ctx, m)
	}
	e, err := eventstore.FromKafka(m)
	if err != nil {
		return e, fmt.Errorf("%w: %v", eventstore.ErrUnauthenticated, err)
	}
	return e, nil
}

// applyOne applies one event under a savepoint, so that its failure leaves
// the transaction (and the events applied before it) intact.
func (h *handler) applyOne(ctx context.Context, tx pgx.Tx, e *eventstore.Event) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return errTransient{err}
	}
	if err := h.proj.Apply(ctx, sp, h.g.Schema, []eventstore.Event{*e}); err != nil {
		if rerr := sp.Rollback(ctx); rerr != nil || tx.Conn().IsClosed() {
			return errTransient{err}
		}
		return err
	}
	if err := sp.Commit(ctx); err != nil {
		return errTransient{err}
	}
	return nil
}

// errTransient marks an error of the database session, not of an event.
type errTransient struct{ err error }

func (e errTransient) Error() string { return e.err.Error() }
func (e errTransient) Unwrap() error { return e.err }

// transient reports whether an apply error says nothing about the event:
// the connection, the server or the context failed, or the transaction was
// chosen as a serialization or deadlock victim; applying again later may
// succeed, so the event must not be dead-lettered. Data exceptions (class
// 22: a NUL in text, a value out of range), integrity violations (23) and
// errors that are not the database's (a payload that does not decode) are
// the event's own.
func transient(err error) bool {
	var te errTransient
	var pg *pgconn.PgError
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &te), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, pgx.ErrTxClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &ne), errors.As(err, &ce), pgconn.Timeout(err):
		return true
	case errors.As(err, &pg):
		switch pg.Code[:2] {
		case "22", "23":
			return false
		}
		// Connection (08), resources (53), operator intervention (57),
		// rollbacks (40), and the projection's own SQL (42, a bug or a
		// dropped schema) are no fault of the event.
		return true
	}
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "conn busy")
}

// maxDeadText bounds the text a dead letter keeps of a record's claims.
const maxDeadText = 2000

// clean makes a record's claim storable as text (a forged record may carry
// NUL or invalid UTF-8, which would fail the transaction that quarantines it).
func clean(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) > maxDeadText {
		s = strings.ToValidUTF8(s[:maxDeadText], "") + "…"
	}
	return s
}

func (h *handler) deadLetter(m *sarama.ConsumerMessage, e *eventstore.Event, reason string, err error) DeadLetter {
	d := DeadLetter{Projection: h.g.Projection, Generation: h.g.Generation, EventType: clean(e.Type), TenantID: clean(e.TenantID),
		StreamID: clean(e.StreamID), Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Reason: reason, Error: clean(err.Error())}
	if e.ID != [16]byte{} {
		id := e.ID.String()
		d.EventID = &id
	}
	if e.Version != 0 {
		d.Version = &e.Version
	}
	if e.Position != 0 {
		d.Position = &e.Position
	}
	return d
}

// queueDeadLetter records d and, the first time, an entry in
// projection_errors (what the projection status route shows as last_error).
func queueDeadLetter(b *pgx.Batch, d DeadLetter) {
	b.Queue(`WITH ins AS (
			INSERT INTO projection_dead_letters (projection, generation, event_id, event_type, tenant_id, stream_id, version, position,
				topic, partition, kafka_offset, reason, error)
			VALUES ($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (projection, generation, topic, partition, kafka_offset) DO NOTHING
			RETURNING 1)
		INSERT INTO projection_errors (projection, generation, position, message)
		SELECT $1, $2, $8, 'dead letter (' || $12 || ') ' || $9 || '/' || $10::int || '@' || $11::bigint || ': ' || $13
		WHERE EXISTS (SELECT 1 FROM ins)`,
		d.Projection, d.Generation, d.EventID, d.EventType, d.TenantID, d.StreamID, d.Version, d.Position,
		d.Topic, d.Partition, d.Offset, d.Reason, d.Error)
}

// noteDeadLetter raises the alert of a committed dead letter: an error log
// line, the counter, and the hook.
func (r *Runner) noteDeadLetter(d DeadLetter) {
	eventID := ""
	if d.EventID != nil {
		eventID = *d.EventID
	}
	r.log.Error("projections: record dead-lettered", "projection", d.Projection, "generation", d.Generation, "reason", d.Reason,
		"event_id", eventID, "type", d.EventType, "tenant", d.TenantID, "stream", d.StreamID,
		"topic", d.Topic, "partition", d.Partition, "offset", d.Offset, "err", d.Error)
	deadLetters.WithLabelValues(d.Projection, d.Reason).Inc()
	if r.OnDeadLetter != nil {
		r.OnDeadLetter(d)
	}
}

// DeadLetterFilter selects dead letters.
type DeadLetterFilter struct {
	Projection string // all when empty
	Reason     string // all when empty
	Generation int    // all when 0
}

// DeadLetters pages through dead letters, newest first (by id), with the
// total that match the filter.
func (r *Runner) DeadLetters(ctx context.Context, f DeadLetterFilter, p PageRequest) (Page[DeadLetter], error) {
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return Page[DeadLetter]{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	l := NewList("projection_dead_letters", `id, projection, generation, event_id::text, event_type, tenant_id, stream_id, version,
		position, topic, partition, kafka_offset, reason, error, first_seen`).
		WhereIf(f.Projection != "", "projection = ?", f.Projection).
		WhereIf(f.Reason != "", "reason = ?", f.Reason).
		WhereIf(f.Generation != 0, "generation = ?", f.Generation).
		OrderBy(true, IntKey("id"))
	page, err := Fetch(ctx, tx, l, p, func(row pgx.CollectableRow) (DeadLetter, error) {
		var d DeadLetter
		err := row.Scan(&d.ID, &d.Projection, &d.Generation, &d.EventID, &d.EventType, &d.TenantID, &d.StreamID, &d.Version, &d.Position,
			&d.Topic, &d.Partition, &d.Offset, &d.Reason, &d.Error, &d.FirstSeen)
		return d, err
	}, func(d DeadLetter) []any { return []any{d.ID} })
	if err != nil {
		return page, fmt.Errorf("projections: dead letters: %w", err)
	}
	return page, nil
}

// DeadLetterCounts is the number of dead letters of every projection that has any.
func (r *Runner) DeadLetterCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := r.pool.Query(ctx, `SELECT projection, count(*) FROM projection_dead_letters GROUP BY projection`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	return out, rows.Err()
}
