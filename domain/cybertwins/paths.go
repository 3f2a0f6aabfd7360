package cybertwins

import (
	"math"
	"slices"
	"sort"
)

// Path is one attack path: the assets in order, the links crossed, and its
// probability (the product of the links' exploitabilities).
type Path struct {
	Assets      []string `json:"assets"`
	Links       []Hop    `json:"links"`
	Probability float64  `json:"probability"`
	// Weight is −log(probability): the path's length for the engine.
	Weight float64 `json:"weight"`
}

// Hop is one link of a path.
type Hop struct {
	// ID is the engine's name of the link (not part of the API).
	ID             string  `json:"-"`
	Source         string  `json:"source"`
	Target         string  `json:"target"`
	Type           string  `json:"type"`
	Exploitability float64 `json:"exploitability"`
}

// CriticalLink is a link that many of the most likely paths cross: cutting
// it removes them all.
type CriticalLink struct {
	// ID is the engine's name of the link (not part of the API).
	ID     string `json:"-"`
	Source string `json:"source"`
	Target string `json:"target"`
	Type   string `json:"type"`
	// Paths is how many of the returned paths cross it; Mass the sum of their probabilities.
	Paths int     `json:"paths"`
	Mass  float64 `json:"mass"`
	// InCut is true when the link belongs to the smallest cut found (a set of
	// links that every returned path crosses one of).
	InCut bool `json:"in_cut"`
}

// MaxK bounds the paths one computation returns.
const MaxK = 100

// search is the scratch state of one shortest-path search, reused across
// the searches of one computation (stamps instead of clearing arrays).
type search struct {
	dist  []float64
	prev  []int32 // edge number into the node, -1 at a start
	stamp []uint32
	done  []uint32
	gen   uint32
	h     []float64 // a lower bound of the distance to a target (A*)
	// bannedNode and bannedEdge are stamped with ban generations.
	bannedNode []uint32
	bannedEdge []uint32
	ban        uint32
	pq         queue
}

type item struct {
	node int32
	f    float64
}

// queue is a binary min-heap of items by f, typed (no interface boxing:
// the searches push and pop millions of items).
type queue []item

func (q *queue) push(it item) {
	*q = append(*q, it)
	h := *q
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].f <= it.f {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
}

func (q *queue) pop() item {
	h := *q
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	*q = h
	n := len(h)
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].f < h[c].f {
			c++
		}
		if last.f <= h[c].f {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = last
	return top
}

func (g *Graph) newSearch() *search {
	n, m := len(g.ids), len(g.links)
	return &search{dist: make([]float64, n), prev: make([]int32, n), stamp: make([]uint32, n), done: make([]uint32, n),
		h: make([]float64, n), bannedNode: make([]uint32, n), bannedEdge: make([]uint32, m)}
}

// toTargets fills h with the exact distance from every node to the nearest
// target (a reverse Dijkstra over the whole graph): the A* bound of every
// later search, admissible and consistent because bans only lengthen paths.
func (g *Graph) toTargets(s *search, targets []int32) {
	for i := range s.h {
		s.h[i] = math.Inf(1)
	}
	s.pq = s.pq[:0]
	for _, t := range targets {
		s.h[t] = 0
		s.pq.push(item{t, 0})
	}
	for len(s.pq) > 0 {
		it := s.pq.pop()
		if it.f > s.h[it.node] {
			continue
		}
		v := it.node
		for p := g.inOff[v]; p < g.inOff[v+1]; p++ {
			u, e := g.inFrom[p], g.inEdge[p]
			if d := it.f + g.weight[e]; d < s.h[u] {
				s.h[u] = d
				s.pq.push(item{u, d})
			}
		}
	}
}

// shortest finds the shortest path from any of starts (each at its initial
// distance base) to any target, avoiding banned nodes and edges; it returns
// the edges of the path in order and its length, or nil when none exists.
func (g *Graph) shortest(s *search, starts []int32, base float64, isTarget []bool) ([]int32, int32, float64) {
	s.gen++
	s.pq = s.pq[:0]
	for _, v := range starts {
		if s.bannedNode[v] == s.ban || math.IsInf(s.h[v], 1) {
			continue
		}
		s.dist[v], s.prev[v], s.stamp[v] = base, -1, s.gen
		s.pq.push(item{v, base + s.h[v]})
	}
	for len(s.pq) > 0 {
		it := s.pq.pop()
		v := it.node
		if s.done[v] == s.gen {
			continue
		}
		s.done[v] = s.gen
		if isTarget[v] {
			var edges []int32
			for u := v; s.prev[u] >= 0; {
				e := s.prev[u]
				edges = append(edges, e)
				u = g.from[e]
			}
			slices.Reverse(edges)
			return edges, v, s.dist[v]
		}
		for p := g.outOff[v]; p < g.outOff[v+1]; p++ {
			u, e := g.outTo[p], g.outEdge[p]
			if s.bannedNode[u] == s.ban || s.bannedEdge[e] == s.ban || s.done[u] == s.gen || math.IsInf(s.h[u], 1) {
				continue
			}
			d := s.dist[v] + g.weight[e]
			if s.stamp[u] != s.gen || d < s.dist[u] {
				s.dist[u], s.prev[u], s.stamp[u] = d, e, s.gen
				s.pq.push(item{u, d + s.h[u]})
			}
		}
	}
	return nil, -1, 0
}

// candidate is a path found by a spur search, not yet accepted.
type candidate struct {
	start  int32
	edges  []int32
	weight float64
}

func (g *Graph) nodesOf(start int32, edges []int32) []int32 {
	out := make([]int32, 0, len(edges)+1)
	out = append(out, start)
	for _, e := range edges {
		out = append(out, g.to[e])
	}
	return out
}

// AttackPaths returns the k most likely loopless paths from any of sources
// to any of targets (Yen's algorithm over A* searches bounded by the exact
// distance to the targets), most likely first, with the links that matter
// most. A path from a node that is both a source and a target is not a path
// (at least one link is crossed).
func (g *Graph) AttackPaths(sources, targets []string, k int) ([]Path, []CriticalLink) {
	if k <= 0 {
		return []Path{}, []CriticalLink{}
	}
	k = min(k, MaxK)
	var src, dst []int32
	isTarget := make([]bool, len(g.ids))
	for _, id := range sources {
		if v, ok := g.index[id]; ok {
			src = append(src, v)
		}
	}
	for _, id := range targets {
		if v, ok := g.index[id]; ok && !isTarget[v] {
			dst, isTarget[v] = append(dst, v), true
		}
	}
	slices.Sort(src)
	src = slices.Compact(src)
	if len(src) == 0 || len(dst) == 0 {
		return []Path{}, []CriticalLink{}
	}
	s := g.newSearch()
	g.toTargets(s, dst)
	// A path crosses at least one link and ends at the first target it
	// reaches; a start that is itself a target leaves it first.
	first := func(starts []int32) (candidate, bool) {
		edges, _, w := g.shortestNonEmpty(s, starts, 0, isTarget)
		if edges == nil {
			return candidate{}, false
		}
		return candidate{start: g.from[edges[0]], edges: edges, weight: w}, true
	}
	s.ban++
	c, ok := first(src)
	if !ok {
		return []Path{}, []CriticalLink{}
	}
	accepted := []candidate{c}
	var pending []candidate
	seen := map[string]bool{key(c): true}
	for len(accepted) < k {
		last := accepted[len(accepted)-1]
		nodes := g.nodesOf(last.start, last.edges)
		// Spur at each node of the last path but its end.
		for i := 0; i < len(nodes)-1; i++ {
			s.ban++
			rootW := 0.0
			for j := 0; j < i; j++ {
				rootW += g.weight[last.edges[j]]
			}
			// Ban the root's nodes (loopless) and the next link of every
			// accepted path sharing this root.
			for j := 0; j < i; j++ {
				s.bannedNode[nodes[j]] = s.ban
			}
			for _, a := range accepted {
				if a.start == last.start && len(a.edges) > i && slices.Equal(a.edges[:i], last.edges[:i]) {
					s.bannedEdge[a.edges[i]] = s.ban
				}
			}
			edges, _, w := g.shortestNonEmptyFrom(s, nodes[i], rootW, isTarget, i == 0)
			if edges == nil {
				continue
			}
			cand := candidate{start: last.start, edges: append(slices.Clone(last.edges[:i]), edges...), weight: w}
			if kk := key(cand); !seen[kk] {
				seen[kk] = true
				pending = append(pending, cand)
			}
		}
		// Another start altogether (the spur at the virtual source): the best
		// path from a start that no accepted path leaves from.
		s.ban++
		var fresh []int32
		for _, v := range src {
			if !slices.ContainsFunc(accepted, func(a candidate) bool { return a.start == v }) {
				fresh = append(fresh, v)
			}
		}
		if c, ok := first(fresh); len(fresh) > 0 && ok {
			if kk := key(c); !seen[kk] {
				seen[kk] = true
				pending = append(pending, c)
			}
		}
		if len(pending) == 0 {
			break
		}
		best := 0
		for i := range pending {
			if pending[i].weight < pending[best].weight-1e-12 ||
				(math.Abs(pending[i].weight-pending[best].weight) <= 1e-12 && key(pending[i]) < key(pending[best])) {
				best = i
			}
		}
		accepted = append(accepted, pending[best])
		pending = slices.Delete(pending, best, best+1)
	}
	paths := make([]Path, len(accepted))
	for i, a := range accepted {
		p := Path{Assets: make([]string, 0, len(a.edges)+1), Links: make([]Hop, len(a.edges)), Weight: a.weight}
		for _, v := range g.nodesOf(a.start, a.edges) {
			p.Assets = append(p.Assets, g.ids[v])
		}
		for j, e := range a.edges {
			l := g.links[e]
			p.Links[j] = Hop{ID: l.ID, Source: l.Source, Target: l.Target, Type: l.Type, Exploitability: l.Exploitability}
		}
		p.Probability = math.Exp(-a.weight)
		paths[i] = p
	}
	return paths, g.critical(accepted)
}

// shortestNonEmpty is shortest from several starts, where a start that is a
// target still needs one link (its successors are searched at their weight).
func (g *Graph) shortestNonEmpty(s *search, starts []int32, base float64, isTarget []bool) ([]int32, int32, float64) {
	var plain, spur []int32
	for _, v := range starts {
		if isTarget[v] {
			spur = append(spur, v)
		} else {
			plain = append(plain, v)
		}
	}
	if len(spur) == 0 {
		return g.shortest(s, plain, base, isTarget)
	}
	best, bestEnd, bestW := g.shortest(s, plain, base, isTarget)
	for _, v := range spur {
		if s.bannedNode[v] == s.ban {
			continue
		}
		edges, end, w := g.shortestNonEmptyFrom(s, v, base, isTarget, true)
		if edges != nil && (best == nil || w < bestW) {
			best, bestEnd, bestW = edges, end, w
		}
	}
	return best, bestEnd, bestW
}

// shortestNonEmptyFrom searches from one spur node v at distance base. When
// v is a target and the path must still cross a link (the spur is the path's
// start), the search starts from v's successors and v is banned.
func (g *Graph) shortestNonEmptyFrom(s *search, v int32, base float64, isTarget []bool, atStart bool) ([]int32, int32, float64) {
	if !isTarget[v] || !atStart {
		if isTarget[v] {
			return nil, -1, 0
		}
		return g.shortest(s, []int32{v}, base, isTarget)
	}
	// v is a start and a target: the path leaves v by one link e, then goes
	// on without coming back (v is banned for these searches only).
	saved := s.bannedNode[v]
	s.bannedNode[v] = s.ban
	defer func() { s.bannedNode[v] = saved }()
	var best []int32
	bestEnd, bestW := int32(-1), 0.0
	for p := g.outOff[v]; p < g.outOff[v+1]; p++ {
		u, e := g.outTo[p], g.outEdge[p]
		if s.bannedEdge[e] == s.ban || s.bannedNode[u] == s.ban {
			continue
		}
		var rest []int32
		end, w := u, base+g.weight[e]
		if !isTarget[u] {
			rest, end, w = g.shortest(s, []int32{u}, base+g.weight[e], isTarget)
			if rest == nil {
				continue
			}
		}
		if best == nil || w < bestW {
			best, bestEnd, bestW = append([]int32{e}, rest...), end, w
		}
	}
	return best, bestEnd, bestW
}

func key(c candidate) string {
	b := make([]byte, 0, 4*(len(c.edges)+1))
	for _, x := range append([]int32{c.start}, c.edges...) {
		b = append(b, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
	}
	return string(b)
}

// critical ranks the links the paths cross by how many paths cross them,
// then by the probability they carry, and marks a smallest cut found
// greedily (each round takes the link on the most paths not yet cut).
func (g *Graph) critical(paths []candidate) []CriticalLink {
	count := map[int32]int{}
	mass := map[int32]float64{}
	for _, p := range paths {
		for _, e := range p.edges {
			count[e]++
			mass[e] += math.Exp(-p.weight)
		}
	}
	cut := map[int32]bool{}
	open := make([]bool, len(paths))
	for i := range open {
		open[i] = true
	}
	for {
		n := map[int32]float64{}
		for i, p := range paths {
			if open[i] {
				for _, e := range p.edges {
					n[e] += 1 + math.Exp(-p.weight)*1e-9
				}
			}
		}
		if len(n) == 0 {
			break
		}
		best, bestN := int32(-1), -1.0
		for e, v := range n {
			if v > bestN || (v == bestN && e < best) {
				best, bestN = e, v
			}
		}
		cut[best] = true
		for i, p := range paths {
			if open[i] && slices.Contains(p.edges, best) {
				open[i] = false
			}
		}
	}
	out := make([]CriticalLink, 0, len(count))
	for e, c := range count {
		l := g.links[e]
		out = append(out, CriticalLink{ID: l.ID, Source: l.Source, Target: l.Target, Type: l.Type, Paths: c, Mass: mass[e], InCut: cut[e]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Paths != out[j].Paths {
			return out[i].Paths > out[j].Paths
		}
		if out[i].Mass != out[j].Mass {
			return out[i].Mass > out[j].Mass
		}
		return out[i].ID+out[i].Source+out[i].Target+out[i].Type < out[j].ID+out[j].Source+out[j].Target+out[j].Type
	})
	return out
}
