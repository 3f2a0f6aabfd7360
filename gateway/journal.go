package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway/internal/jsonwire"
)

// Journal keeps the gateway's request records on the instance's disk before
// they reach the ledger (decision 0031 in docs/decisions). A record is
// written to the journal (one write to an append-only file, no fsync) before
// the answer leaves, and shipped to the ledger right after, many records per
// transaction. Once written, a record survives a crash of this process: the
// bytes are the kernel's, and the next start ships whatever the journal
// holds that the ledger does not. What a crash of the machine itself (power,
// kernel) can lose is the unshipped tail, a few milliseconds of records, as
// a relaxed commit's loss is on a crash of Postgres.
//
// The journal is a sequence of segment files, journal-<n>.ndjson, one JSON
// record a line; a segment is removed once every record in it is in the
// ledger and a newer one takes the writes.
type Journal struct {
	dir   string
	store *eventstore.Store
	log   *slog.Logger

	mu       sync.Mutex
	file     *os.File
	seg      int64 // the segment being written
	size     int64
	pending  []journalEntry
	inFlight map[int64]int // segment → records written and not yet shipped
	closed   bool
	wake     chan struct{}
	// failingSince is when the ledger started refusing shipments (zero
	// while it takes them).
	failingSince time.Time

	// written and shippedN count records; shipped is closed and replaced
	// whenever a batch reaches the ledger (Flush waits on it).
	written, shippedN int64
	shipped           chan struct{}
}

// journalEntry is one request record as the journal keeps it.
type journalEntry struct {
	Tenant      string          `json:"tenant"`
	Actor       string          `json:"actor"`
	Correlation string          `json:"correlation,omitempty"`
	RequestID   string          `json:"request_id"`
	Type        string          `json:"type"`
	Record      json.RawMessage `json:"record"`

	seg int64
}

// OutageGrace is how long the journal keeps taking records while the
// ledger refuses them: a Postgres restart or failover is ridden out, the
// records shipped when it is back. Past it, or past MaxBacklog records
// waiting, Write fails and the gateway answers 503 SYS-002.
const (
	OutageGrace = 5 * time.Second
	MaxBacklog  = 50_000
)

// shipAhead bounds the records written and not yet shipped while the ledger
// takes them: past it a writer waits for the shipper, so that a gateway
// answering faster than the ledger takes its records slows down to the
// ledger's pace (back-pressure) instead of piling records up in memory.
const shipAhead = 1000

// shipLinger is how long the shipper waits, once a record is written, for
// more to ship with it. It delays only the ledger, never an answer.
const shipLinger = 3 * time.Millisecond

// ErrLedgerUnavailable is Write's answer while the ledger has refused the
// journal's records for longer than OutageGrace.
var ErrLedgerUnavailable = errors.New("gateway journal: the ledger has not taken records for too long")

// appendLine appends the entry as its journal line: the record, already
// JSON, is written as it is rather than encoded a second time.
func (e *journalEntry) appendLine(b []byte) []byte {
	b = append(b, `{"tenant":`...)
	b = jsonwire.AppendString(b, e.Tenant)
	b = append(b, `,"actor":`...)
	b = jsonwire.AppendString(b, e.Actor)
	b = append(b, `,"correlation":`...)
	b = jsonwire.AppendString(b, e.Correlation)
	b = append(b, `,"request_id":`...)
	b = jsonwire.AppendString(b, e.RequestID)
	b = append(b, `,"type":`...)
	b = jsonwire.AppendString(b, e.Type)
	b = append(b, `,"record":`...)
	b = append(b, e.Record...)
	return append(b, "}\n"...)
}

// segmentBytes is the size past which the journal starts a new segment.
const segmentBytes = 4 << 20

// shipBatch bounds the records shipped in one go.
const shipBatch = 500

// recordTypes are the event types a journal entry may carry.
var recordTypes = map[string]events.Type{
	gw.RequestCompleted.CEType(): gw.RequestCompleted,
	gw.RequestBlocked.CEType():   gw.RequestBlocked,
	gw.RequestFailed.CEType():    gw.RequestFailed,
}

// OpenJournal opens the journal in dir and ships to the ledger what an
// earlier process left in it, before it returns: records answered before a
// crash are in the ledger before this instance answers anything.
func OpenJournal(ctx context.Context, dir string, store *eventstore.Store, log *slog.Logger) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("gateway journal: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	j := &Journal{dir: dir, store: store, log: log, inFlight: map[int64]int{}, wake: make(chan struct{}, 1),
		shipped: make(chan struct{})}
	last, err := j.recover(ctx)
	if err != nil {
		return nil, err
	}
	if err := j.rotate(last + 1); err != nil {
		return nil, err
	}
	return j, nil
}

func segmentName(n int64) string { return fmt.Sprintf("journal-%012d.ndjson", n) }

// segments lists the journal's segment numbers in order.
func (j *Journal) segments() ([]int64, error) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("gateway journal: %w", err)
	}
	var out []int64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "journal-") || !strings.HasSuffix(name, ".ndjson") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(name, "journal-"), ".ndjson"), 10, 64)
		if err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out, nil
}

// recover ships every record the segments on disk hold and the ledger does
// not, then removes them. It returns the highest segment number seen.
func (j *Journal) recover(ctx context.Context) (int64, error) {
	segs, err := j.segments()
	if err != nil {
		return 0, err
	}
	var last int64
	for _, n := range segs {
		last = n
		path := filepath.Join(j.dir, segmentName(n))
		entries, err := readSegment(path)
		if err != nil {
			return 0, err
		}
		entries, err = j.unshipped(ctx, entries)
		if err != nil {
			return 0, err
		}
		shipped := len(entries)
		for len(entries) > 0 {
			batch := entries[:min(shipBatch, len(entries))]
			entries = entries[len(batch):]
			if err := j.ship(ctx, batch); err != nil {
				return 0, fmt.Errorf("gateway journal: recover %s: %w", path, err)
			}
		}
		if err := os.Remove(path); err != nil {
			return 0, fmt.Errorf("gateway journal: %w", err)
		}
		j.log.Info("gateway journal: shipped the records an earlier process left", "segment", path, "records", shipped)
	}
	return last, nil
}

// unshipped is entries less those whose request stream the ledger has.
func (j *Journal) unshipped(ctx context.Context, entries []journalEntry) ([]journalEntry, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = gw.StreamOfRequest(e.RequestID)
	}
	rows, err := j.store.Pool().Query(ctx, `SELECT stream_id FROM streams WHERE stream_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("gateway journal: %w", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("gateway journal: %w", err)
		}
		have[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("gateway journal: %w", err)
	}
	out := entries[:0]
	for i, e := range entries {
		if !have[ids[i]] {
			out = append(out, e)
		}
	}
	return out, nil
}

// readSegment reads a segment's records. A last line without its newline is
// a write the process did not finish: its request was never answered, and
// it is skipped.
func readSegment(path string) ([]journalEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gateway journal: %w", err)
	}
	defer f.Close()
	var out []journalEntry
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) { // the end; a torn last line was never answered
			break
		}
		if err != nil {
			return nil, fmt.Errorf("gateway journal: read %s: %w", path, err)
		}
		var e journalEntry
		if json.Unmarshal(line, &e) != nil {
			return nil, fmt.Errorf("gateway journal: %s holds a line that is not a record", path)
		}
		out = append(out, e)
	}
	return out, nil
}

// rotate starts segment n for the writes that follow. Called with mu held
// (or before the journal is shared).
func (j *Journal) rotate(n int64) error {
	f, err := os.OpenFile(filepath.Join(j.dir, segmentName(n)), os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("gateway journal: %w", err)
	}
	if j.file != nil {
		old := j.seg
		_ = j.file.Close()
		if j.inFlight[old] == 0 {
			delete(j.inFlight, old)
			_ = os.Remove(filepath.Join(j.dir, segmentName(old)))
		}
	}
	j.file, j.seg, j.size = f, n, 0
	return nil
}

// Write puts one request record in the journal. When it returns nil the
// record survives a crash of this process; an error means it was not
// written, and the request must not be answered as if it were.
func (j *Journal) Write(ctx context.Context, meta eventstore.Metadata, requestID string, typ events.Type, rec *gw.RequestRecordedV1) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	e := journalEntry{Tenant: meta.TenantID, Actor: meta.Actor, Correlation: meta.CorrelationID, RequestID: requestID,
		Type: typ.CEType(), Record: data}
	line := e.appendLine(make([]byte, 0, len(data)+256))
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("gateway journal: closed")
	}
	for len(j.pending) >= shipAhead && j.failingSince.IsZero() && !j.closed {
		ch := j.shipped
		j.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			j.mu.Lock()
			return ctx.Err()
		}
		j.mu.Lock()
	}
	if j.closed {
		return errors.New("gateway journal: closed")
	}
	if (!j.failingSince.IsZero() && time.Since(j.failingSince) > OutageGrace) || len(j.pending) >= MaxBacklog {
		return ErrLedgerUnavailable
	}
	if j.size > segmentBytes {
		if err := j.rotate(j.seg + 1); err != nil {
			return err
		}
	}
	if _, err := j.file.Write(line); err != nil {
		return fmt.Errorf("gateway journal: %w", err)
	}
	j.size += int64(len(line))
	e.seg = j.seg
	j.inFlight[j.seg]++
	j.written++
	j.pending = append(j.pending, e)
	select {
	case j.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run ships written records to the ledger until ctx ends, then ships what is
// left (bounded by a few seconds) and closes the journal; what it could not
// ship stays on disk for the next start.
func (j *Journal) Run(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		select {
		case <-j.wake:
			// The records written within shipLinger of the first go with it:
			// at low rates each request would otherwise be a ledger
			// transaction, a relay batch and a wake-up of every consumer of
			// its own.
			linger.Reset(shipLinger)
			select {
			case <-linger.C:
			case <-ctx.Done():
				linger.Stop()
			}
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for j.shipPending(final) > 0 && final.Err() == nil {
			}
			j.close()
			return nil
		}
		for {
			n := j.shipPending(ctx)
			if n < 0 { // the ledger refused: keep the records, try again
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				backoff = min(2*backoff, 2*time.Second)
				break
			}
			backoff = 50 * time.Millisecond
			if n == 0 {
				break
			}
		}
	}
}

// shipPending ships up to shipBatch pending records: the count shipped, 0
// when there was nothing, -1 when the ledger refused them (they stay).
func (j *Journal) shipPending(ctx context.Context) int {
	j.mu.Lock()
	batch := j.pending[:min(shipBatch, len(j.pending))]
	j.mu.Unlock()
	if len(batch) == 0 {
		return 0
	}
	if err := j.ship(ctx, batch); err != nil {
		if ctx.Err() == nil {
			j.log.Warn("gateway journal: the ledger refused request records; retrying", "records", len(batch), "err", err)
		}
		j.mu.Lock()
		if j.failingSince.IsZero() {
			j.failingSince = time.Now()
		}
		j.mu.Unlock()
		return -1
	}
	j.mu.Lock()
	j.failingSince = time.Time{}
	j.pending = j.pending[len(batch):]
	if len(j.pending) == 0 {
		j.pending = nil // let the array go
	}
	for _, e := range batch {
		j.inFlight[e.seg]--
		if j.inFlight[e.seg] == 0 && e.seg != j.seg {
			delete(j.inFlight, e.seg)
			_ = os.Remove(filepath.Join(j.dir, segmentName(e.seg)))
		}
	}
	j.shippedN += int64(len(batch))
	close(j.shipped)
	j.shipped = make(chan struct{})
	j.mu.Unlock()
	return len(batch)
}

// ship appends records to the ledger, each as its request's new stream. A
// record whose stream exists already (shipped before a crash cut the
// journal's bookkeeping short) counts as shipped.
func (j *Journal) ship(ctx context.Context, batch []journalEntry) error {
	items := make([]eventstore.Independent, len(batch))
	for i, e := range batch {
		typ, ok := recordTypes[e.Type]
		if !ok {
			return fmt.Errorf("gateway journal: unknown record type %q", e.Type)
		}
		items[i] = eventstore.Independent{
			Meta: eventstore.Metadata{TenantID: e.Tenant, Actor: e.Actor, CorrelationID: e.Correlation},
			Appends: []eventstore.StreamAppend{{StreamID: gw.StreamOfRequest(e.RequestID), Expected: eventstore.NoStream,
				Events: []eventstore.Draft{{Type: typ, Subject: e.RequestID, Data: e.Record}}}},
		}
	}
	_, errs := j.store.AppendEachRelaxed(ctx, items)
	var failed []error
	for _, err := range errs {
		var conflict *eventstore.ConcurrencyError
		if err != nil && !errors.As(err, &conflict) {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// Flush waits until every record written before it was called is in the
// ledger, or ctx ends.
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	target := j.written
	j.mu.Unlock()
	for {
		j.mu.Lock()
		done, ch := j.shippedN >= target, j.shipped
		j.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close stops the writes; the current segment stays if it holds records
// that did not reach the ledger.
func (j *Journal) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	j.closed = true
	if j.file != nil {
		_ = j.file.Close()
		if j.inFlight[j.seg] == 0 {
			_ = os.Remove(filepath.Join(j.dir, segmentName(j.seg)))
		}
	}
}

// AuditMode is how a request record is kept before the answer leaves.
type AuditMode string

// The audit modes, from the fastest to the most durable (README, Durability).
const (
	// AuditJournal writes the record to the instance's journal and ships it
	// to the ledger right after (decision 0031). A crash of this process
	// loses nothing answered; a crash of the machine can lose the unshipped
	// tail, milliseconds of records.
	AuditJournal AuditMode = "journal"
	// AuditRelaxed commits the record to the ledger without waiting for the
	// WAL flush (decision 0007). A crash of this process loses nothing
	// answered; a crash of Postgres can lose the last few hundred
	// milliseconds of records.
	AuditRelaxed AuditMode = "relaxed"
	// AuditSync commits the record to the ledger and waits for the WAL
	// flush: nothing answered is ever lost.
	AuditSync AuditMode = "sync"
)

// ParseAuditMode reads an audit mode's name.
func ParseAuditMode(s string) (AuditMode, error) {
	switch m := AuditMode(strings.ToLower(strings.TrimSpace(s))); m {
	case AuditJournal, AuditRelaxed, AuditSync:
		return m, nil
	}
	return "", fmt.Errorf("%q is not an audit mode: journal, relaxed or sync", s)
}
