package cybertwins

import (
	"math"
	"slices"
	"sync"
)

// Link is one directed relationship as the path engine sees it: its two
// endpoints, its type and the probability an attacker crosses it.
type Link struct {
	ID             string
	Source, Target string
	Type           string
	Exploitability float64
}

// Graph is a tenant's asset graph as a compact in-memory index: nodes are
// numbered, and out- and in-adjacency are kept in compressed sparse rows
// (CSR), so that a traversal touches contiguous memory and no map. Weights
// are −log(exploitability), so that the most likely path is the shortest.
// A Graph is immutable once built and safe for concurrent readers.
type Graph struct {
	ids   []string
	index map[string]int32
	// out: edges of node v are outTo[outOff[v]:outOff[v+1]] (edge numbers in outEdge).
	outOff, outTo, outEdge []int32
	// in: the reverse rows, for upstream traversal and the distance-to-target bound.
	inOff, inFrom, inEdge []int32
	// from and to are each link's endpoints by node number.
	from, to []int32
	weight   []float64
	links    []Link
	scratch  sync.Pool
	// assets are the nodes' assets, by node number (empty for a bare graph).
	assets []Asset
	// Version is the graph stream's version the index was built at.
	Version int64
}

// NewGraphOf builds the index of a twin's assets and links.
func NewGraphOf(assets []Asset, links []Link) *Graph {
	ids := make([]string, len(assets))
	for i, a := range assets {
		ids[i] = a.ID
	}
	g := NewGraph(ids, links)
	g.assets = assets
	return g
}

// Asset returns the asset of a node.
func (g *Graph) Asset(id string) (*Asset, bool) {
	v, ok := g.index[id]
	if !ok || g.assets == nil {
		return nil, false
	}
	return &g.assets[v], true
}

// AssetList is the graph's assets in id order.
func (g *Graph) AssetList() []Asset { return g.assets }

// LinkList is the graph's links.
func (g *Graph) LinkList() []Link { return g.links }

// Out lists the links leaving an asset.
func (g *Graph) Out(id string) []Link { return g.linksAt(id, g.outOff, g.outEdge) }

// In lists the links arriving at an asset.
func (g *Graph) In(id string) []Link { return g.linksAt(id, g.inOff, g.inEdge) }

// linksAt lists an asset's links in one direction of the CSR index.
func (g *Graph) linksAt(id string, off, edge []int32) []Link {
	v, ok := g.index[id]
	if !ok {
		return nil
	}
	links := make([]Link, 0, off[v+1]-off[v])
	for p := off[v]; p < off[v+1]; p++ {
		links = append(links, g.links[edge[p]])
	}
	return links
}

// NewGraph builds the index of nodes and links. Links naming a node that is
// not among nodes are skipped (a dangling edge has nowhere to go).
func NewGraph(nodes []string, links []Link) *Graph {
	g := &Graph{ids: nodes, index: make(map[string]int32, len(nodes))}
	for i, id := range nodes {
		g.index[id] = int32(i)
	}
	n := len(nodes)
	kept := make([]Link, 0, len(links))
	src := make([]int32, 0, len(links))
	dst := make([]int32, 0, len(links))
	for _, l := range links {
		s, ok1 := g.index[l.Source]
		t, ok2 := g.index[l.Target]
		if !ok1 || !ok2 || !(l.Exploitability > 0) || l.Exploitability > 1 {
			continue
		}
		kept = append(kept, l)
		src, dst = append(src, s), append(dst, t)
	}
	g.links, g.from, g.to = kept, src, dst
	m := len(kept)
	g.weight = make([]float64, m)
	for i, l := range kept {
		g.weight[i] = -math.Log(l.Exploitability)
	}
	g.outOff, g.outTo, g.outEdge = csr(n, src, dst)
	g.inOff, g.inFrom, g.inEdge = csr(n, dst, src)
	return g
}

// csr lays out edges i (from[i] → to[i]) by their from node.
func csr(n int, from, to []int32) (off, other, edge []int32) {
	off = make([]int32, n+1)
	for _, f := range from {
		off[f+1]++
	}
	for i := 0; i < n; i++ {
		off[i+1] += off[i]
	}
	next := slices.Clone(off[:n])
	other = make([]int32, len(from))
	edge = make([]int32, len(from))
	for i, f := range from {
		p := next[f]
		next[f]++
		other[p], edge[p] = to[i], int32(i)
	}
	return off, other, edge
}

// Nodes is the number of nodes; Links the number of links kept.
func (g *Graph) Nodes() int { return len(g.ids) }

// Links is the number of links in the index.
func (g *Graph) Links() int { return len(g.links) }

// Link returns link number i.
func (g *Graph) Link(i int32) Link { return g.links[i] }

// Has reports whether the graph holds the node.
func (g *Graph) Has(id string) bool { _, ok := g.index[id]; return ok }

// Directions of a neighbourhood walk.
const (
	Downstream = "out"
	Upstream   = "in"
	Both       = "both"
)

// Reached is one node of a neighbourhood, with its distance in hops from the root.
type Reached struct {
	ID    string
	Depth int
}

// walkScratch marks what one walk has seen; kept in a pool so that a walk
// allocates nothing in proportion to the graph.
type walkScratch struct {
	depth    []int32 // depth+1 of a node seen (0: not seen)
	edgeSeen []bool
	nodes    []int32
	edges    []int32
}

// Neighbourhood walks breadth-first from root up to depth hops along the
// direction, visiting at most limit nodes (0: no limit); it returns the
// nodes in the order reached (root first), the links between them, and
// whether the limit cut the walk short. Links are returned by number (Link). accept filters the links followed
// (nil: all).
func (g *Graph) Neighbourhood(root string, depth int, direction string, limit int, accept func(*Link) bool) ([]Reached, []int32, bool, error) {
	r, ok := g.index[root]
	if !ok {
		return nil, nil, false, ErrAssetNotFound
	}
	w, _ := g.scratch.Get().(*walkScratch)
	if w == nil {
		w = &walkScratch{depth: make([]int32, len(g.ids)), edgeSeen: make([]bool, len(g.links))}
	}
	defer func() {
		for _, v := range w.nodes {
			w.depth[v] = 0
		}
		for _, e := range w.edges {
			w.edgeSeen[e] = false
		}
		w.nodes, w.edges = w.nodes[:0], w.edges[:0]
		g.scratch.Put(w)
	}()
	w.depth[r] = 1
	w.nodes = append(w.nodes, r)
	truncated := false
	visit := func(off, other, edge []int32, v int32, d int32) {
		for p := off[v]; p < off[v+1]; p++ {
			e, u := edge[p], other[p]
			if w.edgeSeen[e] || (accept != nil && !accept(&g.links[e])) {
				continue
			}
			if w.depth[u] == 0 {
				if limit > 0 && len(w.nodes) >= limit {
					truncated = true
					continue
				}
				w.depth[u] = d + 1
				w.nodes = append(w.nodes, u)
			}
			w.edgeSeen[e] = true
			w.edges = append(w.edges, e)
		}
	}
	lo := 0
	for d := int32(1); int(d) <= depth && lo < len(w.nodes); d++ {
		hi := len(w.nodes)
		for _, v := range w.nodes[lo:hi] {
			if direction != Upstream {
				visit(g.outOff, g.outTo, g.outEdge, v, d)
			}
			if direction != Downstream {
				visit(g.inOff, g.inFrom, g.inEdge, v, d)
			}
		}
		lo = hi
	}
	out := make([]Reached, len(w.nodes))
	for i, v := range w.nodes {
		out[i] = Reached{ID: g.ids[v], Depth: int(w.depth[v] - 1)}
	}
	return out, slices.Clone(w.edges), truncated, nil
}
