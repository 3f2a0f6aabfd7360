// Package cybertwins holds the command handlers of CyberTwins: assets and
// relationships of the tenant's graph (one stream per tenant, decided on
// the twin folded from it and appended with its version), bulk imports,
// attack-path computations and campaign simulations. What the module needs
// of the index and of other modules' configuration reaches it through the
// small interfaces below, wired by the composition root.
package cybertwins

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/eventstore"
)

// Twins is the per-tenant twin the commands decide on and the graphs the
// computations read.
type Twins interface {
	// With runs fn on the tenant's twin, current with the ledger, under the
	// tenant's lock; fn returning eventstore.ErrVersionMismatch runs once
	// more after catching up.
	With(ctx context.Context, tenant string, fn func(t *cybertwins.Twin) error) error
	// Graph is the tenant's current index.
	Graph(ctx context.Context, tenant string) (*cybertwins.Graph, error)
	// GraphAt is the tenant's graph as it stood at a past time.
	GraphAt(ctx context.Context, tenant string, at time.Time) (*cybertwins.Graph, error)
}

// Defences reads the tenant's real configuration as defences: AEGIS
// guardrails, gateway policies, MCP servers, compliance controls.
type Defences interface {
	Defences(ctx context.Context, tenant string, catalogue *cybertwins.Catalogue) ([]cybertwins.Defence, error)
}

// Handlers executes CyberTwins commands.
type Handlers struct {
	Store    *eventstore.Store
	Twins    Twins
	Defences Defences
	// Catalogue is the ATLAS catalogue (ErrCatalogueUnavailable when it could not be read).
	Catalogue func() (*cybertwins.Catalogue, error)
	Now       eventstore.Clock
}

// appendGraph appends drafts to the tenant's graph stream with the twin's
// version and folds what was appended into the twin.
func (h *Handlers) appendGraph(ctx context.Context, meta eventstore.Metadata, t *cybertwins.Twin, drafts ...eventstore.Draft) ([]eventstore.Event, error) {
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: cybertwins.StreamOfGraph(meta.TenantID), Expected: t.Version, Events: drafts})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, eventstore.ErrVersionMismatch
	}
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		switch p := d.Data.(type) {
		case *cybertwins.AssetAddedV1:
			t.Add(p.Asset)
		case *cybertwins.AssetUpdatedV1:
			t.Update(p)
		case *cybertwins.AssetRemovedV1:
			t.Remove(p)
		case *cybertwins.RelationshipAddedV1:
			t.Link(p.Relationship)
		case *cybertwins.RelationshipRemovedV1:
			t.Unlink(p)
		case *cybertwins.GraphImportedV1:
			t.Import(p)
		}
	}
	t.Version = evs[len(evs)-1].Version
	return evs, nil
}

// AddAsset records an asset and returns its id.
func (h *Handlers) AddAsset(ctx context.Context, meta eventstore.Metadata, a cybertwins.Asset) (string, []eventstore.Event, error) {
	a.ID = eventstore.NewID()
	a, err := cybertwins.CheckAsset(a)
	if err != nil {
		return "", nil, err
	}
	var evs []eventstore.Event
	err = h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		evs, err = h.appendGraph(ctx, meta, t, eventstore.Draft{Type: cybertwins.AssetAdded, Subject: a.ID, Data: &cybertwins.AssetAddedV1{Asset: a}})
		return err
	})
	return a.ID, evs, err
}

// UpdateAsset records an asset's changed fields (nothing when none changes).
func (h *Handlers) UpdateAsset(ctx context.Context, meta eventstore.Metadata, d cybertwins.AssetUpdatedV1) ([]eventstore.Event, error) {
	var evs []eventstore.Event
	err := h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		u, err := t.DecideUpdate(d)
		if err != nil || u == nil {
			return err
		}
		evs, err = h.appendGraph(ctx, meta, t, eventstore.Draft{Type: cybertwins.AssetUpdated, Subject: d.AssetID, Data: u})
		return err
	})
	return evs, err
}

// RemoveAsset records an asset's removal with its relationships.
func (h *Handlers) RemoveAsset(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	var evs []eventstore.Event
	err := h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		r, err := t.DecideRemove(id)
		if err != nil {
			return err
		}
		evs, err = h.appendGraph(ctx, meta, t, eventstore.Draft{Type: cybertwins.AssetRemoved, Subject: id, Data: r})
		return err
	})
	return evs, err
}

// Link records a relationship (or its new exploitability).
func (h *Handlers) Link(ctx context.Context, meta eventstore.Metadata, r cybertwins.Relationship) ([]eventstore.Event, error) {
	var evs []eventstore.Event
	err := h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		d, err := t.DecideLink(r)
		if err != nil || d == nil {
			return err
		}
		evs, err = h.appendGraph(ctx, meta, t, eventstore.Draft{Type: cybertwins.RelationshipAdded, Subject: r.Source, Data: d})
		return err
	})
	return evs, err
}

// Unlink records a relationship's removal.
func (h *Handlers) Unlink(ctx context.Context, meta eventstore.Metadata, k cybertwins.LinkKey) ([]eventstore.Event, error) {
	var evs []eventstore.Event
	err := h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		d, err := t.DecideUnlink(k)
		if err != nil {
			return err
		}
		evs, err = h.appendGraph(ctx, meta, t, eventstore.Draft{Type: cybertwins.RelationshipRemoved, Subject: k.Source, Data: d})
		return err
	})
	return evs, err
}

// ComputePaths asks for the k most likely attack paths; no sources means
// every entry point, no targets every crown jewel; At reads the graph as it
// stood at a past time.
type ComputePaths struct {
	K                int
	Sources, Targets []string
	At               *time.Time
}

// ComputePaths computes the paths and records AttackPathsComputed.
func (h *Handlers) ComputePaths(ctx context.Context, meta eventstore.Metadata, c ComputePaths) (string, []eventstore.Event, error) {
	if c.K < 1 || c.K > cybertwins.MaxK {
		return "", nil, fmt.Errorf("%w: k must be 1 to %d", cybertwins.ErrInvalidQuery, cybertwins.MaxK)
	}
	var g *cybertwins.Graph
	var err error
	if c.At != nil {
		if c.At.After(h.Now.Read()) {
			return "", nil, fmt.Errorf("%w: at is in the future", cybertwins.ErrInvalidQuery)
		}
		g, err = h.Twins.GraphAt(ctx, meta.TenantID, *c.At)
	} else {
		g, err = h.Twins.Graph(ctx, meta.TenantID)
	}
	if err != nil {
		return "", nil, err
	}
	sources, err := endpoints(g, c.Sources, "sources", func(a *cybertwins.Asset) bool { return a.EntryPoint })
	if err != nil {
		return "", nil, err
	}
	targets, err := endpoints(g, c.Targets, "targets", func(a *cybertwins.Asset) bool { return a.CrownJewel })
	if err != nil {
		return "", nil, err
	}
	start := time.Now()
	paths, critical := g.AttackPaths(sources, targets, c.K)
	took := float64(time.Since(start).Microseconds()) / 1000
	id := eventstore.NewID()
	d := &cybertwins.AttackPathsComputedV1{ComputationID: id, TenantID: meta.TenantID, K: c.K, Sources: sources, Targets: targets, At: c.At,
		GraphVersion: g.Version, Assets: g.Nodes(), Links: g.Links(), Paths: paths, Critical: critical, TookMs: took}
	evs, err := eventstore.Create(ctx, h.Store, meta, cybertwins.StreamOfComputation(id), eventstore.Draft{Type: cybertwins.AttackPathsComputed, Subject: id, Data: d})
	return id, evs, err
}

// endpoints are the given assets (each must be in the graph), or the graph's
// assets that mark holds for.
func endpoints(g *cybertwins.Graph, given []string, field string, mark func(*cybertwins.Asset) bool) ([]string, error) {
	if len(given) == 0 {
		out := []string{}
		for i := range g.AssetList() {
			if a := &g.AssetList()[i]; mark(a) {
				out = append(out, a.ID)
			}
		}
		return out, nil
	}
	for _, id := range given {
		if !g.Has(id) {
			return nil, fmt.Errorf("%w: %s names no asset of the graph: %s", cybertwins.ErrInvalidQuery, field, id)
		}
	}
	out := slices.Clone(given)
	slices.Sort(out)
	return slices.Compact(out), nil
}

// SimulateCampaign simulates a campaign of ATLAS techniques against the
// tenant's defences and records CampaignSimulated.
func (h *Handlers) SimulateCampaign(ctx context.Context, meta eventstore.Metadata, name string, techniques []string) (string, []eventstore.Event, error) {
	cat, err := h.Catalogue()
	if err != nil {
		return "", nil, err
	}
	defences, err := h.Defences.Defences(ctx, meta.TenantID, cat)
	if err != nil {
		return "", nil, err
	}
	res, err := cybertwins.SimulateCampaign(cat, techniques, defences)
	if err != nil {
		return "", nil, err
	}
	id := eventstore.NewID()
	evs, err := eventstore.Create(ctx, h.Store, meta, cybertwins.StreamOfCampaign(id), eventstore.Draft{Type: cybertwins.CampaignSimulated, Subject: id,
		Data: &cybertwins.CampaignSimulatedV1{CampaignID: id, TenantID: meta.TenantID, Name: name, Result: res}})
	return id, evs, err
}

// importNamespace derives the ids of assets imported under a key of their own.
var importNamespace = uuid.MustParse("8a3f0f4e-56a1-4a6c-9d55-2f3b8e1c7d16")

// AssetIDOf is the id of an asset named by key in a tenant's import: a UUID
// is the id itself; any other key derives a stable id (the same key names
// the same asset in every import).
func AssetIDOf(tenant, key string) string {
	if u, err := uuid.Parse(key); err == nil && len(key) == 36 {
		return u.String()
	}
	return uuid.NewSHA1(importNamespace, []byte(tenant+"\x00"+key)).String()
}

// SyncPlatformAsset keeps the asset that stands for an object the platform
// knows (ref, e.g. "gateway.provider:<id>") in the tenant's twin: added when
// the object appears, renamed with it, removed with its relationships when
// it goes. The asset's id derives from ref, so a redelivered event changes
// nothing.
func (h *Handlers) SyncPlatformAsset(ctx context.Context, meta eventstore.Metadata, ref, name, typ string, present bool) ([]eventstore.Event, error) {
	id := AssetIDOf(meta.TenantID, ref)
	var evs []eventstore.Event
	err := h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		a, exists := t.Asset(id)
		var draft *eventstore.Draft
		switch {
		case present && !exists:
			x, err := cybertwins.CheckAsset(cybertwins.Asset{ID: id, Name: name, Type: typ, Ref: ref})
			if err != nil {
				return err
			}
			draft = &eventstore.Draft{Type: cybertwins.AssetAdded, Subject: id, Data: &cybertwins.AssetAddedV1{Asset: x}}
		case present && a.Name != name:
			u, err := t.DecideUpdate(cybertwins.AssetUpdatedV1{AssetID: id, Name: &name})
			if err != nil || u == nil {
				return err
			}
			draft = &eventstore.Draft{Type: cybertwins.AssetUpdated, Subject: id, Data: u}
		case !present && exists:
			r, err := t.DecideRemove(id)
			if err != nil {
				return err
			}
			draft = &eventstore.Draft{Type: cybertwins.AssetRemoved, Subject: id, Data: r}
		default:
			return nil
		}
		var err error
		evs, err = h.appendGraph(ctx, meta, t, *draft)
		return err
	})
	return evs, err
}
