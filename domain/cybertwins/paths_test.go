package cybertwins

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// randomGraph builds a graph of n nodes with about m random links, each
// with an exploitability in (0, 1] (some of them exactly 1, a zero weight).
func randomGraph(r *rand.Rand, n, m int) ([]string, []Link) {
	nodes := make([]string, n)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("n%06d", i)
	}
	links := make([]Link, 0, m)
	for i := 0; i < m; i++ {
		s, t := r.IntN(n), r.IntN(n)
		if s == t {
			continue
		}
		p := 0.05 + 0.95*r.Float64()
		if r.IntN(10) == 0 {
			p = 1
		}
		links = append(links, Link{ID: fmt.Sprintf("l%07d", i), Source: nodes[s], Target: nodes[t], Type: "connects_to", Exploitability: p})
	}
	return nodes, links
}

// bruteForce enumerates every loopless path from a source that crosses at
// least one link and ends at the first target it reaches, by depth-first
// search, and returns their weights sorted.
func bruteForce(nodes []string, links []Link, sources, targets []string) []float64 {
	isT := map[string]bool{}
	for _, t := range targets {
		isT[t] = true
	}
	out := map[string][]Link{}
	for _, l := range links {
		out[l.Source] = append(out[l.Source], l)
	}
	var weights []float64
	var walk func(v string, onPath map[string]bool, w float64, hops int)
	walk = func(v string, onPath map[string]bool, w float64, hops int) {
		if hops > 0 && isT[v] {
			weights = append(weights, w)
			return
		}
		for _, l := range out[v] {
			if onPath[l.Target] {
				continue
			}
			onPath[l.Target] = true
			walk(l.Target, onPath, w-math.Log(l.Exploitability), hops+1)
			delete(onPath, l.Target)
		}
	}
	for _, s := range uniq(sources) {
		walk(s, map[string]bool{s: true}, 0, 0)
	}
	sort.Float64s(weights)
	return weights
}

func uniq(s []string) []string { s = slices.Clone(s); slices.Sort(s); return slices.Compact(s) }

// TestAttackPaths_MatchBruteForceOnSmallGraphs is a property over random
// small graphs (parallel links, cycles, zero weights, starts that are
// targets): the engine returns min(k, all) paths, each a real loopless path
// from a source to a target with its weight and probability right, no path
// twice, and their weights are exactly the k smallest of every path.
func TestAttackPaths_MatchBruteForceOnSmallGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 2026))
	for trial := 0; trial < 1500; trial++ {
		n := 2 + r.IntN(8)
		nodes, links := randomGraph(r, n, r.IntN(4*n))
		pick := func() []string {
			var out []string
			for c := 1 + r.IntN(3); c > 0; c-- {
				out = append(out, nodes[r.IntN(n)])
			}
			return out
		}
		sources, targets := pick(), pick()
		k := 1 + r.IntN(12)
		g := NewGraph(nodes, links)
		paths, crit := g.AttackPaths(sources, targets, k)
		want := bruteForce(nodes, links, sources, targets)
		if len(paths) != min(k, len(want)) {
			t.Fatalf("trial %d: %d paths, want %d (of %d)\nsources %v targets %v\nlinks %+v", trial, len(paths), min(k, len(want)), len(want), sources, targets, links)
		}
		byID := map[string]Link{}
		for _, l := range links {
			byID[l.ID] = l
		}
		seen := map[string]bool{}
		for i, p := range paths {
			if math.Abs(p.Weight-want[i]) > 1e-9 {
				t.Fatalf("trial %d: path %d weighs %v, want %v (all %v)\n%+v", trial, i, p.Weight, want[i], want, paths)
			}
			if i > 0 && p.Weight < paths[i-1].Weight-1e-12 {
				t.Fatalf("trial %d: paths out of order", trial)
			}
			if !slices.Contains(sources, p.Assets[0]) || !slices.Contains(targets, p.Assets[len(p.Assets)-1]) || len(p.Links) == 0 {
				t.Fatalf("trial %d: path %v does not go from a source to a target", trial, p.Assets)
			}
			on := map[string]bool{}
			w := 0.0
			for j, h := range p.Links {
				id := h.ID
				l := byID[id]
				if l.Source != p.Assets[j] || l.Target != p.Assets[j+1] {
					t.Fatalf("trial %d: link %s does not join %s → %s", trial, id, p.Assets[j], p.Assets[j+1])
				}
				w -= math.Log(l.Exploitability)
			}
			for _, a := range p.Assets {
				if on[a] {
					t.Fatalf("trial %d: path %v loops", trial, p.Assets)
				}
				on[a] = true
			}
			if math.Abs(w-p.Weight) > 1e-9 || math.Abs(p.Probability-math.Exp(-w)) > 1e-12 {
				t.Fatalf("trial %d: weight %v / probability %v, links give %v", trial, p.Weight, p.Probability, w)
			}
			kk := fmt.Sprint(p.Links)
			if seen[kk] {
				t.Fatalf("trial %d: path %v twice", trial, p.Links)
			}
			seen[kk] = true
		}
		// The cut meets every path.
		cut := map[string]bool{}
		for _, c := range crit {
			if c.InCut {
				cut[c.ID] = true
			}
		}
		for _, p := range paths {
			if !slices.ContainsFunc(p.Links, func(h Hop) bool { return cut[h.ID] }) {
				t.Fatalf("trial %d: the cut misses path %v", trial, p.Links)
			}
		}
	}
}

func TestNeighbourhood_DepthDirectionAndLimit(t *testing.T) {
	nodes := []string{"a", "b", "c", "d", "e"}
	links := []Link{{ID: "1", Source: "a", Target: "b", Exploitability: 1}, {ID: "2", Source: "b", Target: "c", Exploitability: 1},
		{ID: "3", Source: "c", Target: "d", Exploitability: 1}, {ID: "4", Source: "e", Target: "a", Exploitability: 1}}
	g := NewGraph(nodes, links)
	got := func(root string, depth int, dir string, limit int) string {
		r, l, trunc, err := g.Neighbourhood(root, depth, dir, limit, nil)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(r, len(l), trunc)
	}
	for _, c := range []struct {
		root  string
		depth int
		dir   string
		limit int
		want  string
	}{
		{"a", 2, Downstream, 0, "[{a 0} {b 1} {c 2}] 2 false"},
		{"a", 1, Upstream, 0, "[{a 0} {e 1}] 1 false"},
		{"b", 1, Both, 0, "[{b 0} {c 1} {a 1}] 2 false"},
		{"a", 3, Downstream, 2, "[{a 0} {b 1}] 1 true"},
	} {
		if s := got(c.root, c.depth, c.dir, c.limit); s != c.want {
			t.Errorf("%s depth %d %s limit %d: %s, want %s", c.root, c.depth, c.dir, c.limit, s, c.want)
		}
	}
	if _, _, _, err := g.Neighbourhood("zz", 1, Both, 0, nil); err != ErrAssetNotFound {
		t.Fatalf("unknown root: %v", err)
	}
}

// big is the benchmark's generated graph: 100,000 nodes, 1,000,000 links,
// 50 entry points and 50 crown jewels.
var big struct {
	g                *Graph
	sources, targets []string
}

func bigGraph(b *testing.B) {
	if big.g != nil {
		return
	}
	r := rand.New(rand.NewPCG(100000, 1000000))
	nodes, links := randomGraph(r, 100_000, 1_000_000)
	for len(links) < 1_000_000 {
		s, t := r.IntN(len(nodes)), r.IntN(len(nodes))
		if s != t {
			links = append(links, Link{ID: fmt.Sprintf("x%07d", len(links)), Source: nodes[s], Target: nodes[t], Exploitability: 0.05 + 0.95*r.Float64()})
		}
	}
	start := time.Now()
	big.g = NewGraph(nodes, links)
	b.Logf("index of %d nodes, %d links built in %v", big.g.Nodes(), big.g.Links(), time.Since(start))
	for i := 0; i < 50; i++ {
		big.sources = append(big.sources, nodes[r.IntN(len(nodes))])
		big.targets = append(big.targets, nodes[r.IntN(len(nodes))])
	}
}

// BenchmarkAttackPaths_Top10_100kNodes1MLinks: the 10 most likely paths
// from 50 entry points to 50 crown jewels (goal: < 1 s).
func BenchmarkAttackPaths_Top10_100kNodes1MLinks(b *testing.B) {
	bigGraph(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		paths, _ := big.g.AttackPaths(big.sources, big.targets, 10)
		if len(paths) != 10 {
			b.Fatalf("%d paths", len(paths))
		}
	}
}

// BenchmarkNeighbourhood_Depth3_100kNodes1MLinks: a depth-3 walk both ways
// from random roots, capped at 10,000 nodes; reports p50 and p99 (goal: p99 < 20 ms).
func BenchmarkNeighbourhood_Depth3_100kNodes1MLinks(b *testing.B) {
	bigGraph(b)
	r := rand.New(rand.NewPCG(3, 3))
	var took []time.Duration
	reached, links := 0, 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		root := big.g.ids[r.IntN(big.g.Nodes())]
		start := time.Now()
		nodes, edges, _, err := big.g.Neighbourhood(root, 3, Both, 10_000, nil)
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		reached, links = reached+len(nodes), links+len(edges)
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(reached)/float64(b.N), "nodes/op")
	b.ReportMetric(float64(links)/float64(b.N), "links/op")
}
