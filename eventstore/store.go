package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// NotifyChannel is the Postgres NOTIFY channel that announces new ledger positions.
const NotifyChannel = "astra_ledger"

// maxBatchEvents bounds one group commit: large enough to amortise the
// transaction, small enough to keep the p99 of a single append low.
const maxBatchEvents = 1000

// committers is how many group commits may be in flight at once. They still
// commit one after the other (each takes the ledger head lock), but the next
// one is already waiting at the server when the previous one commits, so no
// client round trip falls between two commits.
const committers = 2

// Store appends to and reads from the Postgres ledger.
type Store struct {
	pool *pgxpool.Pool
	reqs chan []*appendRequest // a group is committed in one batch, in its order
	quit chan struct{}
	done chan struct{}
	once sync.Once

	// committed wakes the notifier after a commit; head is the position it announces.
	committed chan struct{}
	head      atomic.Int64
	notified  chan struct{} // closed when the notifier has stopped
	// relay is this process's relay (AttachRelay): while it leads, commits
	// wake it directly instead of through a NOTIFY.
	relay atomic.Pointer[Relay]
	// observers see every append this process committed, before Append
	// returns (see Observe).
	observers atomic.Pointer[[]func([]Event)]
	// settlers bring what this process answered and has not yet appended
	// into the ledger (see Settle).
	settlers atomic.Pointer[[]func(context.Context) error]

	appendLatency prometheus.Histogram
	batchSize     prometheus.Histogram
}

type appendRequest struct {
	ctx     context.Context
	meta    Metadata
	streams []preparedStream
	result  chan appendResult
	relaxed bool // AppendRelaxed: may commit without waiting for the WAL flush
}

type preparedStream struct {
	streamID string
	expected int64
	events   []preparedEvent
}

type preparedEvent struct {
	id            uuid.UUID
	explicitID    bool
	ceType        string
	source        string
	subject       string
	schemaVersion int
	data          []byte
}

type appendResult struct {
	events []Event
	err    error
}

// NewStore starts the group committer over pool.
func NewStore(pool *pgxpool.Pool) *Store {
	s := &Store{
		pool:      pool,
		reqs:      make(chan []*appendRequest, 4096),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
		committed: make(chan struct{}, 1),
		notified:  make(chan struct{}),
		appendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "astra_eventstore_append_seconds", Help: "Latency of one append, queueing included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "astra_eventstore_group_commit_events", Help: "Events per group-committed transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
	}
	var wg sync.WaitGroup
	for range committers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.commitLoop()
		}()
	}
	go func() {
		wg.Wait()
		close(s.done)
	}()
	go s.notifyLoop()
	return s
}

// notifyLoop announces new ledger positions on NotifyChannel (the relay
// listens), after the commits rather than inside them: a NOTIFY takes a
// cluster-wide lock at commit that is held through the WAL flush of every
// other notifying transaction (projection batches, other databases on the
// server), and an append must not wait for that. Bursts of commits coalesce
// into one notification of the latest head; a lost one only delays the relay
// until its next poll.
func (s *Store) notifyLoop() {
	defer close(s.notified)
	var sent int64
	for {
		select {
		case <-s.quit:
			return
		case <-s.committed:
		}
		head := s.head.Load()
		if head <= sent {
			continue
		}
		if r := s.relay.Load(); r != nil && r.IsLeader() {
			// The relay leads in this process: wake it directly. Nobody
			// else listens for ledger positions.
			r.Wake()
			sent = head
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, strconv.FormatInt(head, 10)); err == nil {
			sent = head
		}
		cancel()
	}
}

// AttachRelay makes commits wake r directly while it leads (a NOTIFY, which
// wakes every listening backend of the database at every commit, is sent
// only while the relay leads in another process).
func (s *Store) AttachRelay(r *Relay) { s.relay.Store(r) }

// Collectors exposes the store's metrics for registration.
func (s *Store) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.appendLatency, s.batchSize}
}

// Pool is the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the committer after the batch in flight.
func (s *Store) Close() {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	<-s.notified
}

// Append records the drafts of every stream atomically: either all streams
// move to their new versions or none does. A stream whose current version is
// not the expected one fails the whole append with a *ConcurrencyError.
// Appending drafts whose ids are already recorded (a retry) returns the
// recorded events and appends nothing.
func (s *Store) Append(ctx context.Context, meta Metadata, appends ...StreamAppend) ([]Event, error) {
	return s.append(ctx, meta, false, appends)
}

// AppendRelaxed is Append for high-volume records whose loss in a crash of
// the database server (not of this process) is tolerable: the gateway's
// per-request audit events. It still returns only once the transaction has
// committed — the events are in the ledger, ordered, hash-chained and visible,
// and survive a crash of this process — but a transaction that carries only
// relaxed appends commits with synchronous_commit = off, so it does not wait
// for its WAL flush. A Postgres crash can then lose the last such commits
// (the WAL writer flushes within a few hundred milliseconds; the loss is
// always a suffix of the ledger, so positions stay gapless and chains verify).
// The relay publishes an event only once it is flushed (see Relay), so Kafka
// and the read models never hold an event the ledger could lose. A batch that
// mixes relaxed and ordinary appends commits synchronously.
// See decision 0007 in docs/decisions.
func (s *Store) AppendRelaxed(ctx context.Context, meta Metadata, appends ...StreamAppend) ([]Event, error) {
	return s.append(ctx, meta, true, appends)
}

func (s *Store) append(ctx context.Context, meta Metadata, relaxed bool, appends []StreamAppend) ([]Event, error) {
	start := time.Now()
	req, err := prepare(ctx, meta, relaxed, appends)
	if err != nil {
		return nil, err
	}
	if err := s.submit(ctx, []*appendRequest{req}); err != nil {
		return nil, err
	}
	return s.await(req, start)
}

// Independent is one append of AppendEachRelaxed: its own metadata and streams.
type Independent struct {
	Meta    Metadata
	Appends []StreamAppend
}

// AppendEachRelaxed records several independent appends, relaxed (see
// AppendRelaxed), queued together so that they share as few transactions
// as the batch bound allows. Each succeeds or fails on its own: errs[i] is
// the verdict on items[i] (a stream that exists already fails its item with
// a *ConcurrencyError and no other). Observers see each committed item.
func (s *Store) AppendEachRelaxed(ctx context.Context, items []Independent) (evs [][]Event, errs []error) {
	start := time.Now()
	evs, errs = make([][]Event, len(items)), make([]error, len(items))
	reqs := make([]*appendRequest, len(items))
	group := make([]*appendRequest, 0, len(items))
	for i, it := range items {
		req, err := prepare(ctx, it.Meta, true, it.Appends)
		if err != nil {
			errs[i] = err
			continue
		}
		reqs[i] = req
		group = append(group, req)
	}
	// One group: one committer takes the items together, so they get their
	// positions in the order given (the gateway's journal ships requests in
	// the order they were answered). Sent one by one, two committers could
	// take neighbours apart and commit the later first.
	if err := s.submit(ctx, group); err != nil {
		for i, req := range reqs {
			if req != nil {
				errs[i], reqs[i] = err, nil
			}
		}
	}
	for i, req := range reqs {
		if req != nil {
			evs[i], errs[i] = s.await(req, start)
		}
	}
	return evs, errs
}

// prepare encodes the drafts of an append.
func prepare(ctx context.Context, meta Metadata, relaxed bool, appends []StreamAppend) (*appendRequest, error) {
	req := &appendRequest{ctx: ctx, meta: meta, result: make(chan appendResult, 1), relaxed: relaxed}
	for _, a := range appends {
		if a.StreamID == "" {
			return nil, errors.New("eventstore: append without stream id")
		}
		ps := preparedStream{streamID: a.StreamID, expected: a.Expected}
		for _, d := range a.Events {
			data, err := encodeData(d.Data)
			if err != nil {
				return nil, fmt.Errorf("eventstore: encode %s: %w", d.Type.CEType(), err)
			}
			pe := preparedEvent{id: d.ID, explicitID: d.ID != uuid.Nil, ceType: d.Type.CEType(), source: d.Type.Source(),
				subject: d.Subject, schemaVersion: d.Type.SchemaVersion, data: data}
			if pe.schemaVersion == 0 {
				pe.schemaVersion = 1
			}
			if !pe.explicitID {
				pe.id = uuid.Must(uuid.NewV7())
			}
			ps.events = append(ps.events, pe)
		}
		req.streams = append(req.streams, ps)
	}
	return req, nil
}

// encodeData is a draft's payload as JSON: a json.RawMessage (a record
// kept encoded, as the gateway's journal keeps it) is taken as it is, once
// checked to be JSON; anything else is encoded.
func encodeData(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, errors.New("payload is not valid JSON")
		}
		return raw, nil
	}
	return json.Marshal(v)
}

// submit queues a prepared append for the group committer.
func (s *Store) submit(ctx context.Context, group []*appendRequest) error {
	if len(group) == 0 {
		return nil
	}
	select {
	case s.reqs <- group:
		return nil
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// await waits for the verdict on a queued append, even if its context ends:
// the answer must say truthfully whether the events were recorded. The
// observers see what was committed before it returns.
func (s *Store) await(req *appendRequest, start time.Time) ([]Event, error) {
	res := <-req.result
	s.appendLatency.Observe(time.Since(start).Seconds())
	if res.err == nil && len(res.events) > 0 {
		if obs := s.observers.Load(); obs != nil {
			for _, fn := range *obs {
				fn(res.events)
			}
		}
	}
	return res.events, res.err
}

// Observe registers fn to see the events of every append this process
// commits, after the commit and before Append returns: a security change
// (a revocation, a demotion) takes effect on this instance before the write
// that made it answers. fn runs on the appender's goroutine and must be quick.
func (s *Store) Observe(fn func([]Event)) {
	for {
		old := s.observers.Load()
		var next []func([]Event)
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, fn)
		if s.observers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// AddSettler registers fn as a holder of records this process answered
// before appending them (the gateway's journal): Settle waits for it.
func (s *Store) AddSettler(fn func(context.Context) error) {
	for {
		old := s.settlers.Load()
		var next []func(context.Context) error
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, fn)
		if s.settlers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// Settle waits until every record this process answered before Settle was
// called is in the ledger, or ctx ends: a reader of the ledger on this
// instance then sees what the instance answered (read-your-writes).
func (s *Store) Settle(ctx context.Context) error {
	if fns := s.settlers.Load(); fns != nil {
		for _, fn := range *fns {
			if err := fn(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) commitLoop() {
	var carry []*appendRequest // a group that did not fit the last batch
	for {
		var batch []*appendRequest
		if carry != nil {
			batch, carry = carry, nil
		} else {
			select {
			case g := <-s.reqs:
				batch = append(batch, g...)
			case <-s.quit:
				s.failPending()
				return
			}
		}
		n := countAll(batch)
	drain:
		for n < maxBatchEvents {
			select {
			case g := <-s.reqs:
				if m := countAll(g); n+m > maxBatchEvents {
					carry = append([]*appendRequest(nil), g...)
					break drain
				} else {
					batch, n = append(batch, g...), n+m
				}
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

func (s *Store) failPending() {
	for {
		select {
		case g := <-s.reqs:
			for _, r := range g {
				r.result <- appendResult{err: ErrClosed}
			}
		default:
			return
		}
	}
}

// countAll is the events of a group of appends.
func countAll(g []*appendRequest) int {
	n := 0
	for _, r := range g {
		n += r.count()
	}
	return n
}

func (r *appendRequest) count() int {
	n := 0
	for _, st := range r.streams {
		n += len(st.events)
	}
	return n
}

type streamHead struct {
	version int64
	hash    []byte
}

// commit writes a batch in one transaction. On a transaction failure every
// request of the batch is retried alone, so one bad request cannot fail others.
func (s *Store) commit(batch []*appendRequest) {
	live := batch[:0]
	for _, r := range batch {
		if r.ctx.Err() != nil {
			r.result <- appendResult{err: r.ctx.Err()}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	results, err := s.commitTx(live)
	if err != nil && len(live) > 1 {
		for _, r := range live {
			s.commit([]*appendRequest{r})
		}
		return
	}
	for i, r := range live {
		if err != nil {
			r.result <- appendResult{err: err}
			continue
		}
		r.result <- results[i]
	}
}

func (s *Store) commitTx(batch []*appendRequest) ([]appendResult, error) {
	if newStreamsOnly(batch) {
		if res, err := s.commitNew(batch); err == nil {
			return res, nil
		}
		// A stream exists after all (or the transaction failed otherwise):
		// the general path decides request by request.
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	streamSet := map[string]bool{}
	var streamIDs []string
	var explicitIDs []uuid.UUID
	for _, r := range batch {
		for _, st := range r.streams {
			if !streamSet[st.streamID] {
				streamSet[st.streamID] = true
				streamIDs = append(streamIDs, st.streamID)
			}
			for _, e := range st.events {
				if e.explicitID {
					explicitIDs = append(explicitIDs, e.id)
				}
			}
		}
	}

	// Two round trips in all. The first begins the transaction, takes the head
	// lock and reads what the decisions need; the statements run in order, so
	// the reads happen under the lock. The head row lock serialises appends
	// across every instance, so positions are assigned (and become visible) in
	// commit order with no gaps. The second writes everything and commits.
	var head int64
	heads := make(map[string]streamHead, len(streamIDs))
	recorded := map[uuid.UUID]Event{}
	conn, release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	reads := &pgx.Batch{}
	reads.Queue(`BEGIN`)
	reads.Queue(`SELECT position FROM ledger_head WHERE id = 1 FOR UPDATE`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&head)
	})
	reads.Queue(`SELECT stream_id, version, hash FROM streams WHERE stream_id = ANY($1)`, streamIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			var h streamHead
			if err := rows.Scan(&id, &h.version, &h.hash); err != nil {
				return err
			}
			heads[id] = h
		}
		return rows.Err()
	})
	if len(explicitIDs) > 0 {
		reads.Queue(`SELECT `+eventColumns+` FROM events WHERE event_id = ANY($1)`, explicitIDs).Query(func(rows pgx.Rows) error {
			evs, err := scanEvents(rows)
			for _, e := range evs {
				recorded[e.ID] = e
			}
			return err
		})
	}
	if err := conn.SendBatch(ctx, reads).Close(); err != nil {
		return nil, fmt.Errorf("eventstore: begin, lock head, read stream heads: %w", err)
	}

	now := time.Now().UTC().Truncate(time.Microsecond)
	results := make([]appendResult, len(batch))
	var rows eventColumnsIn
	touched := map[string]string{} // stream -> tenant
	for i, r := range batch {
		res, dup := replayed(r, recorded)
		if dup != nil {
			results[i] = appendResult{events: res, err: dup.err}
			continue
		}
		if res != nil {
			results[i] = appendResult{events: res}
			continue
		}
		var conflict error
		seen := map[string]bool{}
		for _, st := range r.streams {
			if seen[st.streamID] {
				conflict = fmt.Errorf("eventstore: stream %s appears twice in one append", st.streamID)
				break
			}
			seen[st.streamID] = true
			if actual := heads[st.streamID].version; st.expected != AnyVersion && st.expected != actual {
				conflict = &ConcurrencyError{StreamID: st.streamID, Expected: st.expected, Actual: actual}
				break
			}
		}
		if conflict != nil {
			results[i] = appendResult{err: conflict}
			continue
		}
		var out []Event
		for _, st := range r.streams {
			h, ok := heads[st.streamID]
			if !ok {
				h = streamHead{}
			}
			for _, pe := range st.events {
				head++
				h.version++
				ev := Event{
					ID: pe.id, Type: pe.ceType, Source: pe.source, Subject: pe.subject, Time: now,
					TenantID: r.meta.TenantID, Actor: r.meta.Actor, StreamID: st.streamID, Version: h.version,
					CorrelationID: r.meta.CorrelationID, CausationID: r.meta.CausationID,
					SchemaVersion: pe.schemaVersion, Data: pe.data, Position: head, PrevHash: h.hash,
				}
				if ev.PrevHash == nil {
					ev.PrevHash = []byte{}
				}
				ev.Hash = chainHash(ev.PrevHash, &ev)
				h.hash = ev.Hash
				out = append(out, ev)
				rows.add(&ev)
			}
			heads[st.streamID] = h
			touched[st.streamID] = r.meta.TenantID
		}
		results[i] = appendResult{events: out}
	}
	if len(rows.position) == 0 {
		return results, nil // nothing new: release rolls the transaction back
	}
	ids := make([]string, 0, len(touched))
	tenants := make([]string, 0, len(touched))
	versions := make([]int64, 0, len(touched))
	hashes := make([][]byte, 0, len(touched))
	for id, tenant := range touched {
		ids = append(ids, id)
		tenants = append(tenants, tenant)
		versions = append(versions, heads[id].version)
		hashes = append(hashes, heads[id].hash)
	}
	// The events, the stream heads, the ledger head and the commit in one
	// round trip (the statements run in order; after a failed
	// one the rest, commit included, are skipped and the deferred rollback
	// ends the transaction).
	writes := &pgx.Batch{}
	writes.Queue(`INSERT INTO events (position, event_id, stream_id, version, tenant_id, type, source, subject, actor, time,
		correlation_id, causation_id, schema_version, data, prev_hash, hash)
		SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::int[], $14::bytea[], $15::bytea[], $16::bytea[])`,
		rows.position, rows.id, rows.streamID, rows.version, rows.tenantID, rows.typ, rows.source, rows.subject, rows.actor,
		rows.time, rows.correlationID, rows.causationID, rows.schemaVersion, rows.data, rows.prevHash, rows.hash)
	writes.Queue(`INSERT INTO streams (stream_id, tenant_id, version, hash)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[])
		ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash`,
		ids, tenants, versions, hashes)
	writes.Queue(`UPDATE ledger_head SET position = $1 WHERE id = 1`, head)
	if relaxedBatch(batch) {
		writes.Queue(`SET LOCAL synchronous_commit = off`)
	}
	writes.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, writes).Close(); err != nil {
		return nil, fmt.Errorf("eventstore: insert events, stream heads, head, commit: %w", err)
	}
	s.batchSize.Observe(float64(len(rows.position)))
	s.announce(head)
	return results, nil
}

// acquire takes a pooled connection for a commit; release returns it with no
// transaction left open (rolled back unless it committed).
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, func(), error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("eventstore: acquire connection: %w", err)
	}
	return conn, func() {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if _, err := conn.Exec(rctx, "ROLLBACK"); err != nil {
				_ = conn.Conn().Close(rctx) // the pool drops a closed connection
			}
			cancel()
		}
		conn.Release()
	}, nil
}

// newStreamsOnly reports whether a batch only creates streams: every stream
// expected not to exist, appears once in the batch and gets events, and no
// event has a caller-chosen id (whose retry would have to be recognised).
func newStreamsOnly(batch []*appendRequest) bool {
	seen := map[string]bool{}
	for _, r := range batch {
		for _, st := range r.streams {
			if st.expected != NoStream || len(st.events) == 0 || seen[st.streamID] {
				return false
			}
			seen[st.streamID] = true
			for _, e := range st.events {
				if e.explicitID {
					return false
				}
			}
		}
	}
	return true
}

// commitNew commits a batch that only creates streams (newStreamsOnly) in one
// round trip: with no stream to read, the hash chains are computed here and
// the server assigns the positions, in row order, from the ledger head it
// locks and advances (a commit waiting for the lock reads the head its
// predecessor left). A stream that exists after all fails the unique key of
// streams, and so the whole transaction; the caller then decides request by
// request on the general path.
func (s *Store) commitNew(batch []*appendRequest) ([]appendResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now().UTC().Truncate(time.Microsecond)
	results := make([]appendResult, len(batch))
	var rows eventColumnsIn
	var ids, tenants []string
	var versions []int64
	var hashes [][]byte
	for i, r := range batch {
		var out []Event
		for _, st := range r.streams {
			prev := []byte{}
			for v, pe := range st.events {
				ev := Event{
					ID: pe.id, Type: pe.ceType, Source: pe.source, Subject: pe.subject, Time: now,
					TenantID: r.meta.TenantID, Actor: r.meta.Actor, StreamID: st.streamID, Version: int64(v + 1),
					CorrelationID: r.meta.CorrelationID, CausationID: r.meta.CausationID,
					SchemaVersion: pe.schemaVersion, Data: pe.data, PrevHash: prev,
				}
				ev.Hash = chainHash(ev.PrevHash, &ev)
				prev = ev.Hash
				out = append(out, ev)
				rows.add(&ev)
			}
			ids, tenants = append(ids, st.streamID), append(tenants, r.meta.TenantID)
			versions, hashes = append(versions, int64(len(st.events))), append(hashes, prev)
		}
		results[i] = appendResult{events: out}
	}
	n := int64(len(rows.id))
	conn, release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var head int64
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`UPDATE ledger_head SET position = position + $1 WHERE id = 1 RETURNING position`, n).QueryRow(func(row pgx.Row) error {
		return row.Scan(&head)
	})
	b.Queue(`INSERT INTO events (position, event_id, stream_id, version, tenant_id, type, source, subject, actor, time,
		correlation_id, causation_id, schema_version, data, prev_hash, hash)
		SELECT (SELECT position FROM ledger_head WHERE id = 1) - $1 + u.ord, u.event_id, u.stream_id, u.version, u.tenant_id,
			u.type, u.source, u.subject, u.actor, u.time, u.correlation_id, u.causation_id, u.schema_version, u.data, u.prev_hash, u.hash
		FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
			$10::timestamptz[], $11::text[], $12::text[], $13::int[], $14::bytea[], $15::bytea[], $16::bytea[])
			WITH ORDINALITY AS u(event_id, stream_id, version, tenant_id, type, source, subject, actor, time,
				correlation_id, causation_id, schema_version, data, prev_hash, hash, ord)`,
		n, rows.id, rows.streamID, rows.version, rows.tenantID, rows.typ, rows.source, rows.subject, rows.actor,
		rows.time, rows.correlationID, rows.causationID, rows.schemaVersion, rows.data, rows.prevHash, rows.hash)
	b.Queue(`INSERT INTO streams (stream_id, tenant_id, version, hash)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[])`, ids, tenants, versions, hashes)
	if relaxedBatch(batch) {
		b.Queue(`SET LOCAL synchronous_commit = off`)
	}
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("eventstore: append new streams: %w", err)
	}
	pos := head - n
	for i := range results {
		for j := range results[i].events {
			pos++
			results[i].events[j].Position = pos
		}
	}
	s.batchSize.Observe(float64(n))
	s.announce(head)
	return results, nil
}

// announce has the notifier tell listeners about the new head.
func (s *Store) announce(head int64) {
	for {
		old := s.head.Load()
		if head <= old || s.head.CompareAndSwap(old, head) {
			break
		}
	}
	if r := s.relay.Load(); r != nil && r.IsLeader() {
		r.Wake() // straight from the commit: nobody else listens
		return
	}
	select {
	case s.committed <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// relaxedBatch reports whether every append of a batch is relaxed (AppendRelaxed).
func relaxedBatch(batch []*appendRequest) bool {
	for _, r := range batch {
		if !r.relaxed {
			return false
		}
	}
	return true
}

// eventColumnsIn are the new rows of one commit, column by column (one
// array parameter per column of the events table).
type eventColumnsIn struct {
	position, version                                                           []int64
	id                                                                          []uuid.UUID
	streamID, tenantID, typ, source, subject, actor, correlationID, causationID []string
	time                                                                        []time.Time
	schemaVersion                                                               []int32
	data, prevHash, hash                                                        [][]byte
}

func (c *eventColumnsIn) add(e *Event) {
	c.position = append(c.position, e.Position)
	c.id = append(c.id, e.ID)
	c.streamID = append(c.streamID, e.StreamID)
	c.version = append(c.version, e.Version)
	c.tenantID = append(c.tenantID, e.TenantID)
	c.typ = append(c.typ, e.Type)
	c.source = append(c.source, e.Source)
	c.subject = append(c.subject, e.Subject)
	c.actor = append(c.actor, e.Actor)
	c.time = append(c.time, e.Time)
	c.correlationID = append(c.correlationID, e.CorrelationID)
	c.causationID = append(c.causationID, e.CausationID)
	c.schemaVersion = append(c.schemaVersion, int32(e.SchemaVersion))
	c.data = append(c.data, e.Data)
	c.prevHash = append(c.prevHash, e.PrevHash)
	c.hash = append(c.hash, e.Hash)
}

type dupResult struct{ err error }

// replayed answers a retried request from the recorded events: all of its
// ids recorded → those events; some → a mismatch; none → (nil, nil).
func replayed(r *appendRequest, recorded map[uuid.UUID]Event) ([]Event, *dupResult) {
	if len(recorded) == 0 {
		return nil, nil
	}
	var found []Event
	total := 0
	for _, st := range r.streams {
		for _, e := range st.events {
			total++
			if ev, ok := recorded[e.id]; ok {
				if ev.StreamID != st.streamID || ev.Type != e.ceType {
					return nil, &dupResult{err: ErrIdempotencyMismatch}
				}
				found = append(found, ev)
			}
		}
	}
	switch {
	case len(found) == 0:
		return nil, nil
	case len(found) != total:
		return nil, &dupResult{err: ErrIdempotencyMismatch}
	}
	return found, nil
}

const eventColumns = `position, event_id, stream_id, version, tenant_id, type, source, subject, actor, time,
	correlation_id, causation_id, schema_version, data, prev_hash, hash`

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryEvents(ctx context.Context, q querier, where string, args ...any) ([]Event, error) {
	rows, err := q.Query(ctx, `SELECT `+eventColumns+` FROM events `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("eventstore: query events: %w", err)
	}
	defer rows.Close()
	return scanEvents(rows)
}

func scanEvents(rows pgx.Rows) ([]Event, error) {
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Position, &e.ID, &e.StreamID, &e.Version, &e.TenantID, &e.Type, &e.Source, &e.Subject,
			&e.Actor, &e.Time, &e.CorrelationID, &e.CausationID, &e.SchemaVersion, &e.Data, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("eventstore: scan event: %w", err)
		}
		e.Time = e.Time.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventstore: read events: %w", err)
	}
	return out, nil
}

// ReadStream loads every event of one stream in version order.
func (s *Store) ReadStream(ctx context.Context, streamID string) ([]Event, error) {
	return queryEvents(ctx, s.pool, `WHERE stream_id = $1 ORDER BY version`, streamID)
}

// ReadStreamAfter loads the events of one stream past a version, in
// version order (the tail a cached fold has not seen yet).
func (s *Store) ReadStreamAfter(ctx context.Context, streamID string, after int64) ([]Event, error) {
	return queryEvents(ctx, s.pool, `WHERE stream_id = $1 AND version > $2 ORDER BY version`, streamID, after)
}

// ReadStreamUntil loads the events of one stream recorded at or before a
// time, in version order (the stream as it stood then).
func (s *Store) ReadStreamUntil(ctx context.Context, streamID string, until time.Time) ([]Event, error) {
	return queryEvents(ctx, s.pool, `WHERE stream_id = $1 AND time <= $2 ORDER BY version`, streamID, until)
}

// ReadFrom reads up to limit events after a ledger position, in position order.
func (s *Store) ReadFrom(ctx context.Context, after int64, limit int) ([]Event, error) {
	return queryEvents(ctx, s.pool, `WHERE position > $1 ORDER BY position LIMIT $2`, after, limit)
}

// EventByID finds one event.
func (s *Store) EventByID(ctx context.Context, id uuid.UUID) (*Event, error) {
	evs, err := queryEvents(ctx, s.pool, `WHERE event_id = $1`, id)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return &evs[0], nil
}

// Head is the position of the last committed event.
func (s *Store) Head(ctx context.Context) (int64, error) {
	var head int64
	err := s.pool.QueryRow(ctx, `SELECT position FROM ledger_head WHERE id = 1`).Scan(&head)
	return head, err
}

// StreamVersion is the current version of a stream (0 when it does not exist).
func (s *Store) StreamVersion(ctx context.Context, streamID string) (int64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM streams WHERE stream_id = $1`, streamID).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// Last reads the last event of a stream (nil when the stream does not exist).
func (s *Store) Last(ctx context.Context, streamID string) (*Event, error) {
	evs, err := queryEvents(ctx, s.pool, `WHERE stream_id = $1 ORDER BY version DESC LIMIT 1`, streamID)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return &evs[0], nil
}
