package cybertwins

import (
	"fmt"
	"slices"
)

// LinkKey names a relationship: one per source, target and type.
type LinkKey struct {
	Source, Target, Type string
}

// Twin is a tenant's asset graph folded from its stream: the state commands
// decide on and the index queries read. It is not safe for concurrent use;
// Graph returns an immutable snapshot that is.
type Twin struct {
	// Version is the graph stream's version folded so far.
	Version int64
	assets  map[string]*Asset
	links   map[LinkKey]float64
	graph   *Graph
}

// NewTwin is an empty twin.
func NewTwin() *Twin { return &Twin{assets: map[string]*Asset{}, links: map[LinkKey]float64{}} }

// Assets is the number of assets; Relationships the number of relationships.
func (t *Twin) Assets() int { return len(t.assets) }

// Relationships is the number of relationships.
func (t *Twin) Relationships() int { return len(t.links) }

// Asset returns a copy of an asset.
func (t *Twin) Asset(id string) (Asset, bool) {
	a, ok := t.assets[id]
	if !ok {
		return Asset{}, false
	}
	return *a, true
}

// Relationship returns a relationship's exploitability.
func (t *Twin) Relationship(k LinkKey) (float64, bool) { p, ok := t.links[k]; return p, ok }

// Add folds an added asset.
func (t *Twin) Add(a Asset) {
	c := a
	t.assets[c.ID] = &c
	t.graph = nil
}

// Update folds an asset's changed fields.
func (t *Twin) Update(d *AssetUpdatedV1) {
	a, ok := t.assets[d.AssetID]
	if !ok {
		return
	}
	set(&a.Name, d.Name)
	set(&a.Type, d.Type)
	set(&a.Criticality, d.Criticality)
	set(&a.Owner, d.Owner)
	set(&a.Tags, d.Tags)
	set(&a.EntryPoint, d.EntryPoint)
	set(&a.CrownJewel, d.CrownJewel)
	t.graph = nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Remove folds a removed asset and its relationships.
func (t *Twin) Remove(d *AssetRemovedV1) {
	delete(t.assets, d.AssetID)
	for _, r := range d.Relationships {
		delete(t.links, LinkKey{r.Source, r.Target, r.Type})
	}
	t.graph = nil
}

// Link folds an added (or replaced) relationship. Endpoints share the
// assets' own id strings.
func (t *Twin) Link(r Relationship) {
	s, ok1 := t.assets[r.Source]
	d, ok2 := t.assets[r.Target]
	if !ok1 || !ok2 {
		return
	}
	t.links[LinkKey{s.ID, d.ID, internType(r.Type)}] = r.Exploitability
	t.graph = nil
}

// Unlink folds a removed relationship.
func (t *Twin) Unlink(d *RelationshipRemovedV1) {
	delete(t.links, LinkKey{d.Source, d.Target, d.Type})
	t.graph = nil
}

// Import folds one chunk of a bulk import.
func (t *Twin) Import(d *GraphImportedV1) {
	for _, a := range d.Assets {
		t.Add(a)
	}
	for _, r := range d.Relationships {
		t.Link(r)
	}
}

// Graph is the twin's index, built once per change (assets in id order).
func (t *Twin) Graph() *Graph {
	if t.graph != nil {
		return t.graph
	}
	assets := make([]Asset, 0, len(t.assets))
	for _, a := range t.assets {
		assets = append(assets, *a)
	}
	slices.SortFunc(assets, func(a, b Asset) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	links := make([]Link, 0, len(t.links))
	for k, p := range t.links {
		links = append(links, Link{Source: k.Source, Target: k.Target, Type: k.Type, Exploitability: p})
	}
	slices.SortFunc(links, func(a, b Link) int {
		switch {
		case a.Source != b.Source:
			return cmpString(a.Source, b.Source)
		case a.Target != b.Target:
			return cmpString(a.Target, b.Target)
		}
		return cmpString(a.Type, b.Type)
	})
	t.graph = NewGraphOf(assets, links)
	t.graph.Version = t.Version
	return t.graph
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DecideUpdate decides an asset's update: only fields that change are
// recorded; nil when nothing changes.
func (t *Twin) DecideUpdate(d AssetUpdatedV1) (*AssetUpdatedV1, error) {
	a, ok := t.assets[d.AssetID]
	if !ok {
		return nil, ErrAssetNotFound
	}
	next := *a
	set(&next.Name, d.Name)
	set(&next.Type, d.Type)
	set(&next.Criticality, d.Criticality)
	set(&next.Owner, d.Owner)
	set(&next.Tags, d.Tags)
	set(&next.EntryPoint, d.EntryPoint)
	set(&next.CrownJewel, d.CrownJewel)
	checked, err := CheckAsset(next)
	if err != nil {
		return nil, err
	}
	out := AssetUpdatedV1{AssetID: a.ID}
	changed := false
	pick := func(same bool, assign func()) {
		if !same {
			assign()
			changed = true
		}
	}
	pick(checked.Name == a.Name, func() { out.Name = &checked.Name })
	pick(checked.Type == a.Type, func() { out.Type = &checked.Type })
	pick(checked.Criticality == a.Criticality, func() { out.Criticality = &checked.Criticality })
	pick(checked.Owner == a.Owner, func() { out.Owner = &checked.Owner })
	pick(slices.Equal(checked.Tags, a.Tags), func() { out.Tags = &checked.Tags })
	pick(checked.EntryPoint == a.EntryPoint, func() { out.EntryPoint = &checked.EntryPoint })
	pick(checked.CrownJewel == a.CrownJewel, func() { out.CrownJewel = &checked.CrownJewel })
	if !changed {
		return nil, nil
	}
	return &out, nil
}

// DecideRemove decides an asset's removal with every relationship it has.
func (t *Twin) DecideRemove(id string) (*AssetRemovedV1, error) {
	if _, ok := t.assets[id]; !ok {
		return nil, ErrAssetNotFound
	}
	g := t.Graph()
	v := g.index[id]
	rels := []Relationship{}
	for _, rows := range [][2][]int32{{g.outOff, g.outEdge}, {g.inOff, g.inEdge}} {
		off, edge := rows[0], rows[1]
		for p := off[v]; p < off[v+1]; p++ {
			l := g.links[edge[p]]
			rels = append(rels, Relationship{Source: l.Source, Target: l.Target, Type: l.Type, Exploitability: l.Exploitability})
		}
	}
	return &AssetRemovedV1{AssetID: id, Relationships: rels}, nil
}

// DecideLink decides a relationship: both assets must exist; nil when the
// same relationship with the same exploitability exists already.
func (t *Twin) DecideLink(r Relationship) (*RelationshipAddedV1, error) {
	if err := CheckRelationship(r); err != nil {
		return nil, err
	}
	for _, id := range []string{r.Source, r.Target} {
		if _, ok := t.assets[id]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrAssetNotFound, id)
		}
	}
	if p, ok := t.links[LinkKey{r.Source, r.Target, r.Type}]; ok && p == r.Exploitability {
		return nil, nil
	}
	return &RelationshipAddedV1{Relationship: r}, nil
}

// DecideUnlink decides a relationship's removal.
func (t *Twin) DecideUnlink(k LinkKey) (*RelationshipRemovedV1, error) {
	if _, ok := t.links[k]; !ok {
		return nil, ErrRelationshipNotFound
	}
	return &RelationshipRemovedV1{Source: k.Source, Target: k.Target, Type: k.Type}, nil
}
