package trust

import (
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/astrabastion/astra/domain/events"
)

// Declaration is a module's promise that its events of one type are trust
// signals: the type, and how a payload maps to a signal. Producers declare
// theirs in their own domain package (see Declare), so that this package
// knows no producer and a payload field is read by its Go name, not by a
// string key.
type Declaration struct {
	// Type is the producing event type.
	Type   events.Type
	signal func(decode func(any) error) (Signal, bool, error)
	// payload is the Go type the declaration was made with.
	payload reflect.Type
}

// Signal decodes an event's payload with decode (the event's own decoder)
// and maps it: false when this event makes no signal. The signal's Source is
// the event type, its Weight defaults to 1 and its Score is clamped to
// [0, 100]; At and ID are the event's, set by the caller.
func (d Declaration) Signal(decode func(any) error) (Signal, bool, error) {
	s, ok, err := d.signal(decode)
	if err != nil || !ok {
		return Signal{}, false, err
	}
	s.Source = d.Type.CEType()
	if s.Weight == 0 {
		s.Weight = 1
	}
	s.Score = clamp(s.Score)
	return s, true, nil
}

// Registry holds the declared signals.
type Registry struct {
	mu     sync.RWMutex
	byType map[string]Declaration
}

// NewRegistry starts an empty registry (tests; the product uses Signals).
func NewRegistry() *Registry { return &Registry{byType: map[string]Declaration{}} }

// Signals are the product's declared trust signals.
var Signals = NewRegistry()

// Declare declares, in Signals, that events of type t (payload T) are trust
// signals mapped by signal. Producers call it from an init func of their
// domain package, next to the event's registration.
func Declare[T any](t events.Type, signal func(d *T) (Signal, bool)) { DeclareIn(Signals, t, signal) }

// DeclareIn declares a signal in r. It panics when T is not t's payload type
// or t is declared twice: a mapping that disagrees with the event registry
// must never score history.
func DeclareIn[T any](r *Registry, t events.Type, signal func(d *T) (Signal, bool)) {
	if t.New == nil {
		panic("trust: signal " + t.CEType() + " has no payload type")
	}
	if got, want := reflect.TypeOf(t.New()), reflect.TypeOf((*T)(nil)); got != want {
		panic(fmt.Sprintf("trust: signal %s carries %v, declared with %v", t.CEType(), got, want))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.byType[t.CEType()]; dup {
		panic("trust: signal " + t.CEType() + " declared twice")
	}
	r.byType[t.CEType()] = Declaration{Type: t, payload: reflect.TypeOf((*T)(nil)), signal: func(decode func(any) error) (Signal, bool, error) {
		var d T
		if err := decode(&d); err != nil {
			return Signal{}, false, err
		}
		s, ok := signal(&d)
		return s, ok, nil
	}}
}

// Of finds the declaration of a CloudEvents type.
func (r *Registry) Of(ceType string) (Declaration, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, ok := r.byType[ceType]
	return d, ok
}

// All lists the declarations, sorted by event type.
func (r *Registry) All() []Declaration {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Declaration, 0, len(r.byType))
	for _, d := range r.byType {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type.CEType() < out[j].Type.CEType() })
	return out
}

// Topics are the topics carrying declared signals (what the trust
// projection consumes besides its own), sorted.
func (r *Registry) Topics() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range r.All() {
		for _, topic := range d.Type.Topics() {
			if !seen[topic] {
				seen[topic] = true
				out = append(out, topic)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Verify checks every declaration against the event registry: its type is
// registered (a producer exists and records it) with the payload the
// declaration decodes. The product refuses to start otherwise.
func (r *Registry) Verify() error {
	for _, d := range r.All() {
		reg, ok := events.Lookup(d.Type.CEType())
		if !ok {
			return fmt.Errorf("trust: signal %s is declared but no module registers that event", d.Type.CEType())
		}
		if reg.New == nil || reflect.TypeOf(reg.New()) != d.payload {
			return fmt.Errorf("trust: signal %s is declared with %v, registered with another payload", d.Type.CEType(), d.payload)
		}
	}
	return nil
}
