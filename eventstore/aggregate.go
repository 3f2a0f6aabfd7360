package eventstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/astrabastion/astra/domain/events"
)

// ErrVersionMismatch reports that the version a decision was based on is no
// longer the stream's: a stale If-Match, or a write that lost a race. The
// HTTP layer maps it, once, to 412 (with If-Match) or 409.
var ErrVersionMismatch = errors.New("eventstore: version mismatch")

// Fold is a typed apply table that folds a stream's events into a state S.
// Each event type is declared once with its payload type (see On); events of
// types the table does not know leave the state as it is, so that a stream
// can carry facts that other readers care about.
type Fold[S any] struct {
	on map[string]func(s *S, e *Event) error
}

// NewFold starts an empty table.
func NewFold[S any]() *Fold[S] { return &Fold[S]{on: map[string]func(*S, *Event) error{}} }

// On declares how an event of type t, with payload T, changes the state. It
// panics at start-up when T is not the payload type registered for t, or when
// t is declared twice: a table that disagrees with the registry must never
// fold history.
func On[S, T any](f *Fold[S], t events.Type, apply func(s *S, d *T, e *Event)) *Fold[S] {
	checkPayload[T](t)
	if _, dup := f.on[t.CEType()]; dup {
		panic("eventstore: " + t.CEType() + " declared twice in one fold")
	}
	f.on[t.CEType()] = func(s *S, e *Event) error {
		var d T
		if err := e.Decode(&d); err != nil {
			return fmt.Errorf("eventstore: fold %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
		}
		apply(s, &d, e)
		return nil
	}
	return f
}

// checkPayload panics when T is not the payload type registered for t.
func checkPayload[T any](t events.Type) {
	if t.New == nil {
		panic("eventstore: " + t.CEType() + " has no payload type")
	}
	if got, want := reflect.TypeOf(t.New()), reflect.TypeOf((*T)(nil)); got != want {
		panic(fmt.Sprintf("eventstore: %s carries %v, declared with %v", t.CEType(), got, want))
	}
}

// Apply folds events into s in order.
func (f *Fold[S]) Apply(s *S, evs []Event) error {
	for i := range evs {
		if apply, ok := f.on[evs[i].Type]; ok {
			if err := apply(s, &evs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Aggregate is a state folded from its stream, with the stream's version.
type Aggregate[S any] struct {
	StreamID string
	// Version is the stream's version (0: the stream does not exist).
	Version int64
	State   S
}

// Exists reports whether the stream has any event.
func (a *Aggregate[S]) Exists() bool { return a.Version > 0 }

// Load reads a stream and folds it.
func Load[S any](ctx context.Context, store *Store, f *Fold[S], streamID string) (*Aggregate[S], error) {
	evs, err := store.ReadStream(ctx, streamID)
	if err != nil {
		return nil, err
	}
	a := &Aggregate[S]{StreamID: streamID}
	if err := f.Apply(&a.State, evs); err != nil {
		return nil, err
	}
	if n := len(evs); n > 0 {
		a.Version = evs[n-1].Version
	}
	return a, nil
}

// Decision is what a command decided: the events to append to the
// aggregate's stream (none: nothing changes and nothing is appended).
type Decision = []Draft

// Update is the one command path: load the stream, let decide look at the
// folded state and return the events, and append them with the version the
// decision was based on. expected is the version the caller saw (If-Match),
// or AnyVersion; a stale one, or a write that raced this one, is
// ErrVersionMismatch. decide's own errors (domain errors) are returned as they
// are.
func Update[S any](ctx context.Context, store *Store, meta Metadata, f *Fold[S], streamID string, expected int64,
	decide func(a *Aggregate[S]) (Decision, error)) ([]Event, error) {
	a, err := Load(ctx, store, f, streamID)
	if err != nil {
		return nil, err
	}
	if expected != AnyVersion && expected != a.Version {
		return nil, ErrVersionMismatch
	}
	drafts, err := decide(a)
	if err != nil || len(drafts) == 0 {
		return nil, err
	}
	evs, err := store.Append(ctx, meta, StreamAppend{StreamID: streamID, Expected: a.Version, Events: drafts})
	var ce *ConcurrencyError
	if errors.As(err, &ce) {
		return nil, ErrVersionMismatch
	}
	return evs, err
}

// Create appends the first events of a new stream; a stream that already
// exists is ErrVersionMismatch (an id reused, or a retried create racing).
func Create(ctx context.Context, store *Store, meta Metadata, streamID string, drafts ...Draft) ([]Event, error) {
	evs, err := store.Append(ctx, meta, StreamAppend{StreamID: streamID, Expected: NoStream, Events: drafts})
	var ce *ConcurrencyError
	if errors.As(err, &ce) {
		return nil, ErrVersionMismatch
	}
	return evs, err
}
