package gateway

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// RouteHeader is the per-request routing header. Its syntax:
//
//	X-Astra-Route: <group> [> <group> …]
//	<group>       = <target> [| <target> …]
//	<target>      = <provider>/<model> [*<weight>]
//
// The first group is load-balanced: one of its targets is picked in
// proportion to its weight (default 1), deterministically from the request
// id (the same request id always picks the same target; see Pick); the group's other targets follow
// as fallbacks (by descending weight), then every later group's targets in
// order. For example
//
//	X-Astra-Route: openai/gpt-4o*3 | azure/gpt-4o > anthropic/claude-3-5-sonnet-latest
//
// sends three requests in four to openai and one to azure, and falls back to
// the other of the two, then to anthropic. Every target passes the policy's
// allow-lists and kill switches like any other; at most 8 targets. A
// policy's routing.aliases are ordered by the same code (see
// Runtime.ResolveRoute); the header replaces the policy's routing for the
// request unless the policy's routing.route_header is "refuse" (403 GW-040).
const RouteHeader = "X-Astra-Route"

// WeightedTarget is a target with its load-balancing weight.
type WeightedTarget struct {
	gw.Target
	Weight int
}

// ParseRoute parses an X-Astra-Route value into groups of weighted targets.
func ParseRoute(v string) ([][]WeightedTarget, error) {
	var groups [][]WeightedTarget
	n := 0
	for _, g := range strings.Split(v, ">") {
		var group []WeightedTarget
		for _, t := range strings.Split(g, "|") {
			t = strings.TrimSpace(t)
			w := 1
			if spec, weight, ok := strings.Cut(t, "*"); ok {
				x, err := strconv.Atoi(strings.TrimSpace(weight))
				if err != nil || x < 1 || x > 1000 {
					return nil, fmt.Errorf("the weight of %q must be a whole number from 1 to 1000", t)
				}
				t, w = strings.TrimSpace(spec), x
			}
			p, m, ok := strings.Cut(t, "/")
			if !ok || p == "" || m == "" {
				return nil, fmt.Errorf("target %q must be provider/model", t)
			}
			if _, err := gw.NormaliseModel(m); err != nil {
				return nil, fmt.Errorf("target %q: %v", t, err)
			}
			group = append(group, WeightedTarget{Target: gw.Target{Provider: p, Model: m}, Weight: w})
			n++
		}
		groups = append(groups, group)
	}
	if n == 0 || n > gw.MaxRouteTargets {
		return nil, fmt.Errorf("a route names 1 to 8 targets")
	}
	return groups, nil
}

// Order is OrderFor with a random pick.
func Order(groups [][]WeightedTarget) []gw.Target { return OrderFor(groups, "") }

// OrderFor flattens routing groups into the order targets are tried: a
// weighted pick from the first group (Pick, seeded with the request id), the
// rest of it by weight, then the other groups.
func OrderFor(groups [][]WeightedTarget, seed string) []gw.Target {
	var out []gw.Target
	for gi, g := range groups {
		rest := append([]WeightedTarget(nil), g...)
		if gi == 0 && len(rest) > 1 {
			total := 0
			for _, t := range rest {
				total += t.Weight
			}
			weights := make([]int, len(rest))
			for i, t := range rest {
				weights[i] = t.Weight
			}
			pick := Pick(weights, seed)
			out = append(out, rest[pick].Target)
			rest = append(rest[:pick], rest[pick+1:]...)
			for i := 1; i < len(rest); i++ { // by descending weight, stable
				for j := i; j > 0 && rest[j].Weight > rest[j-1].Weight; j-- {
					rest[j], rest[j-1] = rest[j-1], rest[j]
				}
			}
		}
		for _, t := range rest {
			out = append(out, t.Target)
		}
	}
	return out
}

// Pick chooses an index in proportion to its weight: from the seed (a
// request id) when there is one — the same seed always picks the same index,
// and distinct request ids spread as the weights say — else at random.
func Pick(weights []int, seed string) int {
	total := 0
	for _, w := range weights {
		total += max(w, 0)
	}
	if total == 0 {
		return 0
	}
	var x int
	if seed == "" {
		x = rand.IntN(total)
	} else {
		x = int(spread(seed) % uint64(total))
	}
	for i, w := range weights {
		if x < max(w, 0) {
			return i
		}
		x -= max(w, 0)
	}
	return len(weights) - 1
}

// spread hashes a seed to 64 well-mixed bits: FNV-1a, then SplitMix64's
// finaliser (request ids differ in a few characters; FNV alone leaves
// their low bits correlated).
func spread(seed string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(seed); i++ {
		h ^= uint64(seed[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
