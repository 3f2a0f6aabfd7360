package resilience

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/domain/risk"
)

// Bounds of scenarios and simulations.
const (
	MaxDisruptions   = 50
	MaxIterations    = 100_000
	DefaultIteration = 10_000
	MaxImpacted      = 1000
)

// CheckScenario validates a scenario's name and disruptions.
func CheckScenario(name string, ds []Disruption) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n == 0 || n > 300 {
		return fmt.Errorf("%w: name needs 1 to 300 characters", ErrInvalidScenario)
	}
	if len(ds) == 0 || len(ds) > MaxDisruptions {
		return fmt.Errorf("%w: a scenario disrupts 1 to %d assets", ErrInvalidScenario, MaxDisruptions)
	}
	seen := map[string]bool{}
	for i, d := range ds {
		field := fmt.Sprintf("disruptions[%d]", i)
		if seen[d.AssetID] {
			return fmt.Errorf("%w: %s: asset %s is disrupted twice", ErrInvalidScenario, field, d.AssetID)
		}
		seen[d.AssetID] = true
		if !slices.Contains(DisruptionKinds, d.Kind) {
			return fmt.Errorf("%w: %s.kind must be one of %s", ErrInvalidScenario, field, strings.Join(DisruptionKinds, ", "))
		}
		if err := d.Recovery.Check(field + ".recovery"); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidScenario, strings.TrimPrefix(err.Error(), risk.ErrInvalidInputs.Error()+": "))
		}
		if d.BackupIntervalSeconds < 0 || (d.Kind != Corruption && d.BackupIntervalSeconds != 0) {
			return fmt.Errorf("%w: %s.backup_interval_seconds belongs to a corruption and is not negative", ErrInvalidScenario, field)
		}
	}
	return nil
}

// Objective is a service's recovery objectives, in seconds.
type Objective struct {
	RTO int64
	RPO int64
}

// Distribution summarises sampled seconds.
type Distribution struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

func summarise(x []float64) Distribution {
	slices.Sort(x)
	sum := 0.0
	for _, v := range x {
		sum += v
	}
	q := func(p float64) float64 { return x[min(len(x)-1, int(p*float64(len(x))))] }
	return Distribution{Mean: sum / float64(len(x)), P50: q(0.5), P90: q(0.9), P99: q(0.99), Max: x[len(x)-1]}
}

// Impact is what a scenario does to one asset.
type Impact struct {
	AssetID     string `json:"asset_id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Criticality int    `json:"criticality"`
	// CausedBy are the disrupted assets the impact comes from.
	CausedBy []string `json:"caused_by"`
	// Compromised is true when the asset falls to a compromise (not only an outage).
	Compromised bool         `json:"compromised"`
	Downtime    Distribution `json:"downtime_seconds"`
	// RTOSeconds and PBreachRTO are set when the asset has an objective.
	RTOSeconds *int64   `json:"rto_seconds"`
	PBreachRTO *float64 `json:"p_breach_rto"`
	// DataLoss is set when a corruption reaches the asset.
	DataLoss   *Distribution `json:"data_loss_seconds"`
	RPOSeconds *int64        `json:"rpo_seconds"`
	PBreachRPO *float64      `json:"p_breach_rpo"`
}

// Results are a simulation's outcome.
type Results struct {
	Impacted []Impact `json:"impacted"`
	// ImpactedTotal counts every impacted asset (Impacted lists at most 1,000).
	ImpactedTotal int `json:"impacted_total"`
	// WithObjectives counts impacted assets that have objectives.
	WithObjectives int `json:"with_objectives"`
	// ExpectedRTOBreaches is the expected number of objectives breached.
	ExpectedRTOBreaches float64 `json:"expected_rto_breaches"`
	ExpectedRPOBreaches float64 `json:"expected_rpo_breaches"`
	// WorstPBreachRTO is the highest probability of breaching an RTO.
	WorstPBreachRTO float64 `json:"worst_p_breach_rto"`
	// Score is the resilience this scenario shows, 0 to 100: 100 × (1 − mean
	// probability of breaching an objective); 100 when no objective is at stake.
	Score float64 `json:"score"`
}

// How a failure travels along each relationship type: an outage of the
// target takes the source down (A runs_on / calls / connects_to B), an
// outage of a store takes what it stores down (A stores B); a compromise
// travels to what the compromised asset has access to, to what trusts it,
// and to what runs on it.
func dependents(g *cybertwins.Graph) (down, spread map[string][]string) {
	down, spread = map[string][]string{}, map[string][]string{}
	for _, l := range g.LinkList() {
		switch l.Type {
		case "runs_on":
			down[l.Target] = append(down[l.Target], l.Source)
			spread[l.Target] = append(spread[l.Target], l.Source)
		case "calls", "connects_to":
			down[l.Target] = append(down[l.Target], l.Source)
		case "stores":
			down[l.Source] = append(down[l.Source], l.Target)
		case "has_access":
			spread[l.Source] = append(spread[l.Source], l.Target)
		case "trusts":
			spread[l.Target] = append(spread[l.Target], l.Source)
		}
	}
	return down, spread
}

func closure(from []string, next map[string][]string) []string {
	seen := map[string]bool{}
	queue := slices.Clone(from)
	for _, x := range from {
		seen[x] = true
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, u := range next[v] {
			if !seen[u] {
				seen[u] = true
				queue = append(queue, u)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Simulate runs the Monte Carlo: each iteration draws every disrupted
// asset's recovery time (and, for a corruption, the data lost since its last
// save); an impacted asset is down while any disruption it depends on lasts,
// and loses the most data any corruption it depends on loses. A disrupted
// asset the graph no longer holds is ErrInvalidScenario.
func Simulate(g *cybertwins.Graph, ds []Disruption, objectives map[string]Objective, iterations int, seed uint64) (Results, error) {
	if iterations < 100 || iterations > MaxIterations {
		return Results{}, fmt.Errorf("%w: iterations must be 100 to %d", ErrInvalidScenario, MaxIterations)
	}
	down, spread := dependents(g)
	causes := map[string][]int{}
	compromised := map[string]bool{}
	recovery := make([][]float64, len(ds))
	loss := make([][]float64, len(ds))
	sampler := risk.NewSampler(seed)
	uniform := rand.New(rand.NewPCG(seed^0x5bd1e995, seed))
	for i, d := range ds {
		if !g.Has(d.AssetID) {
			return Results{}, fmt.Errorf("%w: disruptions[%d]: asset %s is not in the twin", ErrInvalidScenario, i, d.AssetID)
		}
		roots := []string{d.AssetID}
		if d.Kind == Compromise {
			roots = closure(roots, spread)
			for _, r := range roots {
				compromised[r] = true
			}
		}
		for _, v := range closure(roots, down) {
			causes[v] = append(causes[v], i)
		}
		recovery[i] = sampler.Draw(d.Recovery, iterations)
		if d.Kind == Corruption {
			loss[i] = make([]float64, iterations)
			interval := float64(d.BackupIntervalSeconds)
			if interval == 0 {
				interval = 86400
			}
			for k := range loss[i] {
				loss[i][k] = uniform.Float64() * interval
			}
		}
	}
	res := Results{ImpactedTotal: len(causes), Impacted: []Impact{}}
	ids := make([]string, 0, len(causes))
	for v := range causes {
		ids = append(ids, v)
	}
	slices.Sort(ids)
	downtime := make([]float64, iterations)
	lost := make([]float64, iterations)
	breaches, count := 0.0, 0
	for _, v := range ids {
		a, _ := g.Asset(v)
		im := Impact{AssetID: v, Name: a.Name, Type: a.Type, Criticality: a.Criticality, Compromised: compromised[v], CausedBy: []string{}}
		anyLoss := false
		for k := 0; k < iterations; k++ {
			downtime[k], lost[k] = 0, 0
		}
		for _, i := range causes[v] {
			im.CausedBy = append(im.CausedBy, ds[i].AssetID)
			for k := 0; k < iterations; k++ {
				downtime[k] = math.Max(downtime[k], recovery[i][k])
				if loss[i] != nil {
					lost[k] = math.Max(lost[k], loss[i][k])
				}
			}
			anyLoss = anyLoss || loss[i] != nil
		}
		o, hasObjective := objectives[v]
		if hasObjective {
			p := exceed(downtime, float64(o.RTO))
			im.RTOSeconds, im.PBreachRTO = &o.RTO, &p
			res.WithObjectives++
			res.ExpectedRTOBreaches += p
			res.WorstPBreachRTO = math.Max(res.WorstPBreachRTO, p)
			breaches += p
			count++
		}
		im.Downtime = summarise(downtime)
		if anyLoss {
			if hasObjective {
				p := exceed(lost, float64(o.RPO))
				im.RPOSeconds, im.PBreachRPO = &o.RPO, &p
				res.ExpectedRPOBreaches += p
				breaches += p
				count++
			}
			dl := summarise(lost)
			im.DataLoss = &dl
		}
		res.Impacted = append(res.Impacted, im)
	}
	res.Score = 100
	if count > 0 {
		res.Score = 100 * (1 - breaches/float64(count))
	}
	// The most at stake first: breach probability, then criticality.
	sort.SliceStable(res.Impacted, func(i, j int) bool {
		pi, pj := 0.0, 0.0
		if res.Impacted[i].PBreachRTO != nil {
			pi = *res.Impacted[i].PBreachRTO
		}
		if res.Impacted[j].PBreachRTO != nil {
			pj = *res.Impacted[j].PBreachRTO
		}
		if pi != pj {
			return pi > pj
		}
		return res.Impacted[i].Criticality > res.Impacted[j].Criticality
	})
	if len(res.Impacted) > MaxImpacted {
		res.Impacted = res.Impacted[:MaxImpacted]
	}
	return res, nil
}

// exceed is the share of samples above bound.
func exceed(x []float64, bound float64) float64 {
	n := 0
	for _, v := range x {
		if v > bound {
			n++
		}
	}
	return float64(n) / float64(len(x))
}
