// Package eventstore is the append-only ledger of ASTRA BASTION: CloudEvent
// encoding, the group-committed append path with expected-version checks and a
// per-stream SHA-256 hash chain, crypto-shredding of personal fields, the relay
// of committed events to Kafka in commit order, and the embedded broker.
package eventstore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"
	fastjson "github.com/segmentio/encoding/json"

	"github.com/astrabastion/astra/domain/events"
)

// Expected-version sentinels for appends.
const (
	// AnyVersion skips the expected-version check.
	AnyVersion int64 = -1
	// NoStream expects the stream not to exist yet.
	NoStream int64 = 0
)

// Event is one recorded fact as it sits in the ledger.
type Event struct {
	ID            uuid.UUID
	Type          string // CloudEvents type, com.astra.<module>.<Name>
	Source        string
	Subject       string
	Time          time.Time
	TenantID      string
	Actor         string
	StreamID      string
	Version       int64
	CorrelationID string
	CausationID   string
	SchemaVersion int
	Data          []byte // JSON; personal fields are sealed (see Keyring)
	Position      int64  // gapless ledger position, in commit order
	PrevHash      []byte
	Hash          []byte
}

// Module is the module part of the event type.
func (e *Event) Module() string {
	rest := strings.TrimPrefix(e.Type, "com.astra.")
	module, _, _ := strings.Cut(rest, ".")
	return module
}

// Name is the past-tense name part of the event type.
func (e *Event) Name() string {
	return e.Type[strings.LastIndexByte(e.Type, '.')+1:]
}

// Topic is the Kafka topic the event is relayed to.
func (e *Event) Topic() string { return events.TopicOf(e.Type) }

// Channel is the WebSocket channel of the event.
func (e *Event) Channel() string { return events.ChannelOf(e.Type) }

// Decode unmarshals the payload. Every projection and reactor decodes each
// event it reads, so this is the consumers' hottest path: segmentio's
// decoder keeps encoding/json's behaviour (its test suite) at about a fifth
// of the time for a gateway request record (~100 µs → ~20 µs, 81 → 71
// allocations).
func (e *Event) Decode(v any) error {
	if err := fastjson.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("eventstore: decode %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
	}
	return nil
}

// CloudEvent renders the event as a CloudEvents 1.0 event with ASTRA's extensions.
// data replaces the payload when not nil (e.g. with personal fields opened).
func (e *Event) CloudEvent(data []byte) cloudevents.Event {
	ce := cloudevents.NewEvent(cloudevents.VersionV1)
	ce.SetID(e.ID.String())
	ce.SetType(e.Type)
	ce.SetSource(e.Source)
	ce.SetSubject(e.Subject)
	ce.SetTime(e.Time)
	ce.SetExtension("tenantid", e.TenantID)
	ce.SetExtension("actor", e.Actor)
	ce.SetExtension("streamversion", e.Version)
	ce.SetExtension("partitionkey", e.StreamID)
	ce.SetExtension("schemaversion", e.SchemaVersion)
	ce.SetExtension("position", e.Position)
	if e.CorrelationID != "" {
		ce.SetExtension("correlationid", e.CorrelationID)
	}
	if e.CausationID != "" {
		ce.SetExtension("causationid", e.CausationID)
	}
	if data == nil {
		data = e.Data
	}
	ce.DataEncoded = data
	ce.SetDataContentType(cloudevents.ApplicationJSON)
	return ce
}

// Draft is an event a command wants to append.
type Draft struct {
	// ID makes a retried append idempotent; a UUIDv7 is generated when zero.
	ID      uuid.UUID
	Type    events.Type
	Subject string
	Data    any
}

// StreamAppend is the events for one stream with the version the decision was based on.
type StreamAppend struct {
	StreamID string
	Expected int64
	Events   []Draft
}

// Metadata is what every event of one append shares.
type Metadata struct {
	TenantID      string
	Actor         string
	CorrelationID string
	CausationID   string
}

// ConcurrencyError reports that a stream moved on since the decision was made.
type ConcurrencyError struct {
	StreamID string
	Expected int64
	Actual   int64
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("eventstore: stream %s is at version %d, expected %d", e.StreamID, e.Actual, e.Expected)
}

// ErrIdempotencyMismatch reports an event id reused for a different event.
var ErrIdempotencyMismatch = errors.New("eventstore: event id already used by another append")

// ErrClosed reports an append after Close.
var ErrClosed = errors.New("eventstore: store closed")
