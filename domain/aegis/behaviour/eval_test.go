package behaviour

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
)

// The evaluation: a synthetic but non-trivial workload of agents with daily
// (and for some, weekly) seasonality, over-dispersed arrivals (Poisson with
// log-normal day and hour factors), Zipf-like tool use,
// log-normal payload sizes, and agents that browse (meeting new hosts all
// day); a week to learn, then four weeks with injected anomalies of each
// kind. It reports precision and recall per kind, and the false alerts per
// agent-week on normal traffic.

type profile struct {
	peak     float64 // actions an hour at the daily peak
	weekend  float64 // factor of the rate on Saturday and Sunday
	tools    []string
	weights  []float64
	hosts    []string
	browsing bool // contacts hosts never seen before, every day
}

type injection struct {
	kind    string
	agent   int
	start   time.Time
	subject string
	found   bool
}

// covers reports whether an injection explains what is found at at: from
// its start to the end of the clock hour it ends in (an hour's count still
// holds the injected actions until that hour closes).
func (inj *injection) covers(at time.Time) bool {
	return !at.Before(inj.start) && at.Before(inj.start.Add(time.Hour).Truncate(time.Hour).Add(time.Hour))
}

// active reports whether the injection is under way at at.
func (inj *injection) active(at time.Time) bool {
	return !at.Before(inj.start) && at.Before(inj.start.Add(time.Hour))
}

// rateAt is the agent's expected actions in the hour at.
func (p *profile) rateAt(at time.Time) float64 {
	h := float64(at.Hour()) + float64(at.Minute())/60
	day := 0.12 + 0.88*math.Max(0, math.Sin(math.Pi*(h-7)/13)) // a working day, 07:00–20:00, peaking at 13:30
	if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
		day *= p.weekend
	}
	return p.peak * day
}

func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 60 { // normal approximation
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func pick(r *rand.Rand, weights []float64) int {
	x := r.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func lognormal(r *rand.Rand, median, sigma float64) int64 {
	return int64(median * math.Exp(sigma*r.NormFloat64()))
}

// normalAction is one ordinary action of the agent at at.
func (p *profile) normalAction(r *rand.Rand, at time.Time, n int) aegis.Action {
	i := pick(r, p.weights)
	a := aegis.Action{At: at, Kind: aegis.ActionToolCall, Tool: p.tools[i], Tokens: lognormal(r, 300, 0.6)}
	switch {
	case p.browsing && r.Float64() < 0.25:
		a.Kind, a.Tool = aegis.ActionHTTP, ""
		a.Destination = fmt.Sprintf("site-%d-%d.example", n, r.IntN(1<<30))
		a.BytesOut = lognormal(r, 800, 0.8)
	case r.Float64() < 0.7:
		a.Destination = p.hosts[i%len(p.hosts)]
		a.BytesOut = lognormal(r, 4096, 1)
	}
	a.Error = r.Float64() < 0.02
	return a
}

func newProfile(r *rand.Rand, n int) profile {
	p := profile{peak: 8 + r.Float64()*70, weekend: 0.3 + 0.7*r.Float64(), browsing: n%6 == 5}
	if n%4 == 0 {
		p.weekend = 1 // always on
	}
	for i := range 3 + r.IntN(6) {
		p.tools = append(p.tools, fmt.Sprintf("tool_%d_%d", n, i))
	}
	total := 0.0
	for i := range p.tools {
		w := 1 / float64(i+1)
		p.weights = append(p.weights, w)
		total += w
	}
	for i := range p.weights {
		p.weights[i] = math.Max(p.weights[i]/total, 0.04)
	}
	for i := range 2 + r.IntN(5) {
		p.hosts = append(p.hosts, fmt.Sprintf("api%d.svc-%d.example", i, n))
	}
	return p
}

type evalResult struct {
	injected, detected, findings, truePositives map[string]int
	falseAlerts                                 int
	falseByKind                                 map[string]int
	agentWeeks                                  float64
}

func evaluate(seed uint64, agents, learnDays, evalWeeks int) evalResult {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	evalStart := start.Add(time.Duration(learnDays) * 24 * time.Hour)
	end := evalStart.Add(time.Duration(evalWeeks) * 7 * 24 * time.Hour)
	const slot = 5 * time.Minute
	res := evalResult{injected: map[string]int{}, detected: map[string]int{}, findings: map[string]int{}, truePositives: map[string]int{},
		agentWeeks: float64(agents * evalWeeks), falseByKind: map[string]int{}}
	for n := range agents {
		p := newProfile(r, n)
		// Two injections of each kind per agent-week, at random hours, apart.
		var injs []*injection
		taken := map[int64]bool{}
		for range evalWeeks * 2 {
			for _, kind := range Kinds {
				if kind == NewDestination && p.browsing {
					continue // a browsing agent meets new hosts all day: a new host alone is not news there
				}
				var at time.Time
				for {
					at = evalStart.Add(time.Duration(r.IntN(int(end.Sub(evalStart)/time.Hour)-1)) * time.Hour)
					h := at.Unix() / 3600
					if !taken[h] && !taken[h-1] && !taken[h+1] {
						taken[h] = true
						break
					}
				}
				at = at.Add(time.Duration(r.IntN(30)) * time.Minute)
				inj := &injection{kind: kind, agent: n, start: at}
				switch kind {
				case NewTool:
					inj.subject = fmt.Sprintf("unexpected_tool_%d", len(injs))
				case NewDestination:
					inj.subject = fmt.Sprintf("drop-%d.attacker.example", len(injs))
				case Exfiltration:
					inj.subject = p.hosts[r.IntN(len(p.hosts))]
					if r.IntN(3) == 0 {
						inj.subject = fmt.Sprintf("paste-%d.attacker.example", len(injs)) // to a new host
					}
				}
				injs = append(injs, inj)
			}
		}
		b := New()
		dayNoise, hourNoise := 1.0, 1.0
		for t := start; t.Before(end); t = t.Add(slot) {
			// Real traffic is burstier than Poisson: each day and each hour
			// is busier or quieter than the profile (log-normal factors).
			if t.Hour() == 0 && t.Minute() == 0 {
				dayNoise = math.Exp(0.2 * r.NormFloat64())
			}
			if t.Minute() == 0 {
				hourNoise = math.Exp(0.25 * r.NormFloat64())
			}
			var batch []aegis.Action
			lambda := p.rateAt(t) / 12 * dayNoise * hourNoise
			for _, inj := range injs {
				if inj.kind == Burst && inj.active(t) {
					// 5× to 10× the rate for the hour, and at least 40 more
					// actions in it: a burst, not a quiet hour doubled.
					factor := 5 + 5*float64(inj.start.Minute())/30
					lambda = math.Max(lambda*factor, lambda+40.0/12)
				}
			}
			k := poisson(r, lambda)
			for i := range k {
				batch = append(batch, p.normalAction(r, t.Add(time.Duration(i)*slot/time.Duration(k+1)), n))
			}
			for _, inj := range injs {
				if !(inj.active(t) || inj.active(t.Add(slot-time.Nanosecond))) {
					continue
				}
				at := t.Add(slot / 2)
				if inj.start.After(at) {
					at = inj.start
				}
				first := !inj.start.Before(t) && inj.start.Before(t.Add(slot)) // the slot the injection starts in
				switch inj.kind {
				case NewTool:
					if first {
						batch = append(batch, aegis.Action{At: inj.start, Kind: aegis.ActionToolCall, Tool: inj.subject})
					}
				case NewDestination:
					if first {
						batch = append(batch, aegis.Action{At: inj.start, Kind: aegis.ActionHTTP, Destination: inj.subject, BytesOut: lognormal(r, 2000, 0.5)})
					}
				case Exfiltration:
					// 8–150 MiB over the hour, in slices of the five-minute slots.
					total := float64(8<<20) * math.Exp(r.Float64()*math.Log(150.0/8))
					batch = append(batch, aegis.Action{At: at, Kind: aegis.ActionHTTP, Destination: inj.subject, BytesOut: int64(total / 12)})
				}
			}
			sort.SliceStable(batch, func(i, j int) bool { return batch[i].At.Before(batch[j].At) })
			for _, f := range b.Observe(batch) {
				if f.At.Before(evalStart) {
					continue
				}
				res.findings[f.Kind]++
				explained, same := false, false
				for _, inj := range injs {
					if !inj.covers(f.At) && !inj.covers(f.At.Add(-time.Minute)) {
						continue
					}
					explained = true
					if inj.kind == f.Kind || (inj.kind == Exfiltration && f.Kind == NewDestination && f.Subject == inj.subject) {
						same = true
						if inj.kind == f.Kind {
							inj.found = true
						}
					}
				}
				if same {
					res.truePositives[f.Kind]++
				}
				if !explained {
					res.falseAlerts++
					res.falseByKind[f.Kind]++
				}
			}
		}
		for _, inj := range injs {
			res.injected[inj.kind]++
			if inj.found {
				res.detected[inj.kind]++
			}
		}
	}
	return res
}

// TestBaseline_DetectsInjectedAnomalies is the evaluation, on two seeds:
// recall ≥ 0.9 for every kind and at most one false alert per agent-week on
// normal traffic.
func TestBaseline_DetectsInjectedAnomalies(t *testing.T) {
	const agents, learnDays, weeks = 36, 7, 4
	for _, seed := range []uint64{20261207, 2} {
		res := evaluate(seed, agents, learnDays, weeks)
		var b strings.Builder
		fmt.Fprintf(&b, "seed %d: %d agents (%d browsing), %d days learning, %d weeks evaluated\n", seed, agents, agents/6, learnDays, weeks)
		fmt.Fprintf(&b, "%-16s %8s %8s %8s %10s %9s\n", "kind", "injected", "detected", "recall", "findings", "precision")
		for _, k := range Kinds {
			recall := float64(res.detected[k]) / float64(max(1, res.injected[k]))
			precision := float64(res.truePositives[k]) / float64(max(1, res.findings[k]))
			fmt.Fprintf(&b, "%-16s %8d %8d %8.3f %10d %9.3f\n", k, res.injected[k], res.detected[k], recall, res.findings[k], precision)
			if recall < 0.9 {
				t.Errorf("seed %d: recall of %s is %.3f, below 0.9", seed, k, recall)
			}
		}
		perWeek := float64(res.falseAlerts) / res.agentWeeks
		fmt.Fprintf(&b, "false alerts on normal traffic: %d over %.0f agent-weeks = %.3f per agent-week (by kind: %v)\n", res.falseAlerts, res.agentWeeks,
			perWeek, res.falseByKind)
		t.Log("\n" + b.String())
		if perWeek > 1 {
			t.Errorf("seed %d: %.3f false alerts per agent-week, above 1", seed, perWeek)
		}
	}
}
