package projections

import (
	"context"
	"fmt"
	"reflect"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// Applier writes one event of a known payload type to the read model's
// tables in schema.
type Applier[T any] func(ctx context.Context, tx pgx.Tx, schema string, e *eventstore.Event, d *T) error

// Table is a projection's typed apply table: each event type it consumes is
// declared once with its payload type (see On), and Apply dispatches a batch
// through it. Event types it does not declare are skipped.
type Table struct {
	on map[string]func(ctx context.Context, tx pgx.Tx, schema string, e *eventstore.Event) error
	// order keeps the declaration order (documentation, tests).
	order []events.Type
}

// NewTable starts an empty table.
func NewTable() *Table {
	return &Table{on: map[string]func(context.Context, pgx.Tx, string, *eventstore.Event) error{}}
}

// On declares how an event of type t, with payload T, is applied. It panics
// at start-up when T is not the payload type registered for t, or when t is
// declared twice.
func On[T any](tbl *Table, t events.Type, apply Applier[T]) *Table {
	if t.New == nil {
		panic("projections: " + t.CEType() + " has no payload type")
	}
	if got, want := reflect.TypeOf(t.New()), reflect.TypeOf((*T)(nil)); got != want {
		panic(fmt.Sprintf("projections: %s carries %v, declared with %v", t.CEType(), got, want))
	}
	if _, dup := tbl.on[t.CEType()]; dup {
		panic("projections: " + t.CEType() + " declared twice in one table")
	}
	tbl.on[t.CEType()] = func(ctx context.Context, tx pgx.Tx, schema string, e *eventstore.Event) error {
		var d T
		if err := e.Decode(&d); err != nil {
			return err
		}
		return apply(ctx, tx, schema, e, &d)
	}
	tbl.order = append(tbl.order, t)
	return tbl
}

// Types lists the declared event types in declaration order.
func (tbl *Table) Types() []events.Type { return append([]events.Type(nil), tbl.order...) }

// Handles reports whether the table declares the CloudEvents type.
func (tbl *Table) Handles(ceType string) bool {
	_, ok := tbl.on[ceType]
	return ok
}

// Apply applies a batch in order; the first failure names the event (the
// runner then isolates it, see the dead-letter handling of the worker).
func (tbl *Table) Apply(ctx context.Context, tx pgx.Tx, schema string, evs []eventstore.Event) error {
	for i := range evs {
		e := &evs[i]
		apply, ok := tbl.on[e.Type]
		if !ok {
			continue
		}
		if err := apply(ctx, tx, schema, e); err != nil {
			return fmt.Errorf("projections: %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
		}
	}
	return nil
}

// Tabled is the plumbing of a projection built on one typed apply table: its
// name, the topics it consumes, and (from the table) the types it declares
// and Apply. A module's projection embeds it and adds Setup.
type Tabled struct {
	*Table
	name   string
	topics []string
}

// NewTabled starts a projection's table.
func NewTabled(name string, topics ...string) Tabled {
	return Tabled{Table: NewTable(), name: name, topics: topics}
}

// Name implements Projection.
func (t Tabled) Name() string { return t.name }

// Topics implements Projection.
func (t Tabled) Topics() []string { return append([]string(nil), t.topics...) }
