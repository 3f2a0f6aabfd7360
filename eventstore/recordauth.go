package eventstore

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Record authentication headers: the relay signs every record it publishes so
// that consumers apply only events that are in the ledger. The broker is
// transport, not a source of truth: whoever can write to it (the embedded
// broker has no authentication) must not be able to forge a fact.
const (
	// hdrPrevHash carries the event's predecessor hash, so that a consumer
	// recomputes the event's ledger hash from the record alone.
	hdrPrevHash = "astra_prevhash"
	// hdrMAC is HMAC-SHA256, under a key derived from the master key, over
	// the recomputed ledger hash, the position, the stream id and the version.
	hdrMAC = "astra_mac"
)

var keyPrevHash, keyMAC = []byte(hdrPrevHash), []byte(hdrMAC)

// ErrUnauthenticated reports a broker record that is not a ledger event: its
// MAC does not verify and the ledger holds no event like it.
var ErrUnauthenticated = errors.New("unauthenticated record")

// RecordAuth signs relayed records and checks consumed ones. The MAC key is
// derived from the master key (ASTRA_MASTER_KEY, or the one kept in
// Postgres): an attacker with access to the broker but not to Postgres or the
// configuration cannot compute it.
type RecordAuth struct {
	key  []byte
	pool *pgxpool.Pool
}

// NewRecordAuth derives the record MAC key from kek. pool serves the
// fallback for records published without a MAC (before the upgrade that
// introduced it): they are checked against the ledger, one query each.
func NewRecordAuth(pool *pgxpool.Pool, kek []byte) *RecordAuth {
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("astra record mac v1"))
	return &RecordAuth{key: m.Sum(nil), pool: pool}
}

// mac is the record MAC of an event whose ledger hash is hash.
func (a *RecordAuth) mac(hash []byte, e *Event) []byte {
	m := hmac.New(sha256.New, a.key)
	var n [8]byte
	m.Write(hash)
	binary.BigEndian.PutUint64(n[:], uint64(e.Position))
	m.Write(n[:])
	binary.BigEndian.PutUint32(n[:4], uint32(len(e.StreamID)))
	m.Write(n[:4])
	m.Write([]byte(e.StreamID))
	binary.BigEndian.PutUint64(n[:], uint64(e.Version))
	m.Write(n[:])
	return m.Sum(nil)
}

// Sign adds the predecessor hash and the MAC of e (a ledger event, with its
// hash) to the record encoded from it.
func (a *RecordAuth) Sign(msg *sarama.ProducerMessage, e *Event) {
	prev := e.PrevHash
	if prev == nil {
		prev = []byte{}
	}
	msg.Headers = append(msg.Headers,
		sarama.RecordHeader{Key: keyPrevHash, Value: prev},
		sarama.RecordHeader{Key: keyMAC, Value: a.mac(e.Hash, e)})
}

// Verify decodes a consumed record and checks that it is a ledger event: its
// hash, recomputed from the record's contents, carries a valid MAC; or, for
// a record without one (published before records were signed, or under
// another master key), the ledger holds the same event (id, stream,
// version, position and hash). A failure wraps ErrUnauthenticated; a
// failure to reach the ledger is returned as it is (transient).
func (a *RecordAuth) Verify(ctx context.Context, m *sarama.ConsumerMessage) (Event, error) {
	e, err := FromKafka(m)
	if err != nil {
		return e, fmt.Errorf("%w: %v", ErrUnauthenticated, err)
	}
	var prev, mac []byte
	var hasPrev bool
	for _, h := range m.Headers {
		if h == nil {
			continue
		}
		switch string(h.Key) {
		case hdrPrevHash:
			prev, hasPrev = h.Value, true
		case hdrMAC:
			mac = h.Value
		}
	}
	if hasPrev && mac != nil {
		e.PrevHash = prev
		e.Hash = chainHash(prev, &e)
		if hmac.Equal(mac, a.mac(e.Hash, &e)) {
			return e, nil
		}
	}
	return e, a.inLedger(ctx, &e)
}

// inLedger checks a record against the ledger by event id.
func (a *RecordAuth) inLedger(ctx context.Context, e *Event) error {
	if a.pool == nil {
		return fmt.Errorf("%w: no valid MAC", ErrUnauthenticated)
	}
	var streamID string
	var version, position int64
	var prev, hash []byte
	err := a.pool.QueryRow(ctx, `SELECT stream_id, version, position, prev_hash, hash FROM events WHERE event_id = $1`, e.ID).
		Scan(&streamID, &version, &position, &prev, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: no valid MAC and event %s is not in the ledger", ErrUnauthenticated, e.ID)
	}
	if err != nil {
		return fmt.Errorf("eventstore: check record against the ledger: %w", err)
	}
	if streamID != e.StreamID || version != e.Version || position != e.Position || !bytes.Equal(chainHash(prev, e), hash) {
		return fmt.Errorf("%w: no valid MAC and event %s differs from the ledger's", ErrUnauthenticated, e.ID)
	}
	e.PrevHash, e.Hash = prev, hash
	return nil
}

// RecordHash recomputes the ledger hash of a record's event with the
// predecessor hash it carries (nil when it carries none).
func RecordHash(m *sarama.ConsumerMessage, e *Event) []byte {
	for _, h := range m.Headers {
		if h != nil && string(h.Key) == hdrPrevHash {
			return chainHash(h.Value, e)
		}
	}
	return nil
}

// ChainHash is the ledger hash of e given its predecessor's hash.
func ChainHash(prev []byte, e *Event) []byte { return chainHash(prev, e) }
