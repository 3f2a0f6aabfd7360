package cybertwins

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/eventstore"
)

// fold is how a tenant's graph stream folds into its twin.
var fold = func() *eventstore.Fold[cybertwins.Twin] {
	f := eventstore.NewFold[cybertwins.Twin]()
	eventstore.On(f, cybertwins.AssetAdded, func(t *cybertwins.Twin, d *cybertwins.AssetAddedV1, _ *eventstore.Event) { t.Add(d.Asset) })
	eventstore.On(f, cybertwins.AssetUpdated, func(t *cybertwins.Twin, d *cybertwins.AssetUpdatedV1, _ *eventstore.Event) { t.Update(d) })
	eventstore.On(f, cybertwins.AssetRemoved, func(t *cybertwins.Twin, d *cybertwins.AssetRemovedV1, _ *eventstore.Event) { t.Remove(d) })
	eventstore.On(f, cybertwins.RelationshipAdded, func(t *cybertwins.Twin, d *cybertwins.RelationshipAddedV1, _ *eventstore.Event) {
		t.Link(d.Relationship)
	})
	eventstore.On(f, cybertwins.RelationshipRemoved, func(t *cybertwins.Twin, d *cybertwins.RelationshipRemovedV1, _ *eventstore.Event) { t.Unlink(d) })
	eventstore.On(f, cybertwins.GraphImported, func(t *cybertwins.Twin, d *cybertwins.GraphImportedV1, _ *eventstore.Event) { t.Import(d) })
	return f
}()

// Index keeps, per tenant, the twin folded from the tenant's graph stream
// in the ledger, and its compact index. Every use first reads what the
// ledger holds past the version folded (one indexed query when nothing
// changed), so that every instance sees every write, whichever instance
// made it. A tenant's twin is used under its own lock.
type Index struct {
	Store *eventstore.Store
	mu    sync.Mutex
	twins map[string]*held
}

type held struct {
	mu   sync.Mutex
	twin *cybertwins.Twin
}

// NewIndex starts an empty index over the ledger.
func NewIndex(store *eventstore.Store) *Index {
	return &Index{Store: store, twins: map[string]*held{}}
}

func (x *Index) of(tenant string) *held {
	x.mu.Lock()
	defer x.mu.Unlock()
	h, ok := x.twins[tenant]
	if !ok {
		h = &held{twin: cybertwins.NewTwin()}
		x.twins[tenant] = h
	}
	return h
}

// catchUp folds the ledger's events past the twin's version.
func (x *Index) catchUp(ctx context.Context, tenant string, t *cybertwins.Twin) error {
	stream := cybertwins.StreamOfGraph(tenant)
	v, err := x.Store.StreamVersion(ctx, stream)
	if err != nil || v <= t.Version {
		return err
	}
	evs, err := x.Store.ReadStreamAfter(ctx, stream, t.Version)
	if err != nil {
		return err
	}
	return Fold(t, evs)
}

// Fold folds events of a graph stream into a twin and advances its version.
func Fold(t *cybertwins.Twin, evs []eventstore.Event) error {
	if err := fold.Apply(t, evs); err != nil {
		return err
	}
	if n := len(evs); n > 0 && evs[n-1].Version > t.Version {
		t.Version = evs[n-1].Version
	}
	return nil
}

// With runs fn on the tenant's twin, current with the ledger, under the
// tenant's lock. A command decides in fn and appends with the twin's
// version; when that append lost a race with another instance, fn returns
// eventstore.ErrVersionMismatch and runs once more on the twin caught up.
// fn must not keep the twin.
func (x *Index) With(ctx context.Context, tenant string, fn func(t *cybertwins.Twin) error) error {
	h := x.of(tenant)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := x.catchUp(ctx, tenant, h.twin); err != nil {
		return err
	}
	err := fn(h.twin)
	if errors.Is(err, eventstore.ErrVersionMismatch) {
		// Another instance wrote first: fold its events and decide again, once.
		if err := x.catchUp(ctx, tenant, h.twin); err != nil {
			return err
		}
		err = fn(h.twin)
	}
	return err
}

// Graph is the tenant's current index (an immutable snapshot).
func (x *Index) Graph(ctx context.Context, tenant string) (*cybertwins.Graph, error) {
	var g *cybertwins.Graph
	err := x.With(ctx, tenant, func(t *cybertwins.Twin) error { g = t.Graph(); return nil })
	return g, err
}

// GraphAt is the tenant's graph as it stood at a past time, folded from
// the ledger (not cached).
func (x *Index) GraphAt(ctx context.Context, tenant string, at time.Time) (*cybertwins.Graph, error) {
	evs, err := x.Store.ReadStreamUntil(ctx, cybertwins.StreamOfGraph(tenant), at)
	if err != nil {
		return nil, err
	}
	t := cybertwins.NewTwin()
	if err := Fold(t, evs); err != nil {
		return nil, err
	}
	return t.Graph(), nil
}
