// Package trust computes the composite trust score: pillar signals that decay
// exponentially towards a floor, pillars weighted into a composite (pillars
// without signals are unknown and their weight is renormalised away), grades,
// and the rule for when a change is worth an event.
package trust

import (
	"errors"
	"math"
	"sort"
	"time"
)

// Pillars of the score.
const (
	Security     = "security"
	Compliance   = "compliance"
	Risk         = "risk"
	Resilience   = "resilience"
	AIGovernance = "ai_governance"
)

// Pillars lists the pillars in display order.
var Pillars = []string{Security, Compliance, Risk, Resilience, AIGovernance}

// Sources names the module that feeds each pillar today (see the signal
// declarations: the gateway's blocks and kill switches make the security
// signals, its provider failures the resilience ones, until AEGIS and
// Resilience declare theirs).
var Sources = map[string]string{Security: "gateway", Compliance: "compliance", Risk: "risk", Resilience: "gateway", AIGovernance: "gateway"}

// DefaultWeights are the seed's weights.
var DefaultWeights = map[string]float64{Security: 0.25, Compliance: 0.25, Risk: 0.20, Resilience: 0.15, AIGovernance: 0.15}

// Decay configures one pillar's decay.
type Decay struct {
	HalfLife time.Duration `json:"half_life"`
	Floor    float64       `json:"floor"`
}

// Models of decay.
const (
	ModelExponential = "exponential"
	ModelNone        = "none"
)

// DecayConfig is the decay model and each pillar's parameters.
type DecayConfig struct {
	Model   string           `json:"model"`
	Pillars map[string]Decay `json:"pillars"`
}

// DefaultDecay halves a signal's distance to its floor in 30 days (security in 7).
func DefaultDecay() DecayConfig {
	return DecayConfig{Model: ModelExponential, Pillars: map[string]Decay{
		Security: {HalfLife: 7 * 24 * time.Hour, Floor: 50}, Compliance: {HalfLife: 30 * 24 * time.Hour, Floor: 50},
		Risk: {HalfLife: 30 * 24 * time.Hour, Floor: 50}, Resilience: {HalfLife: 30 * 24 * time.Hour, Floor: 50},
		AIGovernance: {HalfLife: 14 * 24 * time.Hour, Floor: 50}}}
}

// Errors of configuration.
var (
	// ErrPillarNotFound reports a pillar name that is none of Pillars.
	ErrPillarNotFound = errors.New("trust: no such pillar")
	ErrWeights        = errors.New("trust: weights must cover the five pillars, be non-negative and sum to 1")
	ErrDecay          = errors.New("trust: decay needs a model (exponential, none), and per pillar a half-life of at least a minute and a floor in [0, 100]")
)

// ValidateWeights checks weights.
func ValidateWeights(w map[string]float64) error {
	if len(w) != len(Pillars) {
		return ErrWeights
	}
	sum := 0.0
	for _, p := range Pillars {
		v, ok := w[p]
		if !ok || v < 0 || v > 1 {
			return ErrWeights
		}
		sum += v
	}
	if math.Abs(sum-1) > 1e-6 {
		return ErrWeights
	}
	return nil
}

// Validate checks a decay configuration.
func (c DecayConfig) Validate() error {
	if c.Model != ModelExponential && c.Model != ModelNone {
		return ErrDecay
	}
	for _, p := range Pillars {
		d, ok := c.Pillars[p]
		if !ok || d.HalfLife < time.Minute || d.Floor < 0 || d.Floor > 100 {
			return ErrDecay
		}
	}
	return nil
}

// Signal is one observation about a pillar: a score in [0, 100] at a time.
type Signal struct {
	ID     string    `json:"id"`
	Pillar string    `json:"pillar"`
	Score  float64   `json:"score"`
	Weight float64   `json:"weight"` // relative importance within the pillar (default 1)
	At     time.Time `json:"at"`
	Source string    `json:"source"` // event type
	Reason string    `json:"reason"`
}

// Decayed is a signal's effect at now: floor + (s − floor)·2^(−Δt/half_life).
func Decayed(s float64, at, now time.Time, d Decay, model string) float64 {
	if model == ModelNone || !now.After(at) {
		return s
	}
	dt := now.Sub(at).Seconds()
	return d.Floor + (s-d.Floor)*math.Exp2(-dt/d.HalfLife.Seconds())
}

// PillarScore is a pillar's current score; Known is false when it has no signals.
type PillarScore struct {
	Score   float64 `json:"score"`
	Weight  float64 `json:"weight"`
	Source  string  `json:"source"`
	Known   bool    `json:"known"`
	Signals int     `json:"signals"`
}

// Score is the composite at a moment.
type Score struct {
	Composite float64                `json:"composite_score"`
	Grade     string                 `json:"grade"`
	Pillars   map[string]PillarScore `json:"pillars"`
	Known     bool                   `json:"known"`
	At        time.Time              `json:"at"`
}

// PillarState is the running aggregate of a pillar's signals, kept so that
// the score can be computed in constant time however many signals there are:
// with exponential decay, Σ wᵢ·(sᵢ − floor)·2^(−(now−tᵢ)/h) factors into
// 2^(−(now−t₀)/h) · Σ wᵢ·(sᵢ − floor)·2^((tᵢ−t₀)/h) for a reference time t₀.
type PillarState struct {
	Ref       time.Time `json:"ref"`        // t₀
	WeightSum float64   `json:"weight_sum"` // Σ wᵢ
	Excess    float64   `json:"excess"`     // Σ wᵢ·(sᵢ − floor)·2^((tᵢ−t₀)/h)
	Plain     float64   `json:"plain"`      // Σ wᵢ·sᵢ (for model none)
	Count     int       `json:"count"`
	Floor     float64   `json:"floor"`
	HalfLife  float64   `json:"half_life_s"`
}

// Add folds one signal into the aggregate.
func (p *PillarState) Add(s Signal, d Decay) {
	w := s.Weight
	if w <= 0 {
		w = 1
	}
	if p.Count == 0 || p.Floor != d.Floor || p.HalfLife != d.HalfLife.Seconds() {
		if p.Count > 0 {
			// Configuration changed: rebase lossy-free is not possible, so the
			// caller rebuilds from signals; here we just reset the reference.
			p.Excess, p.WeightSum, p.Plain, p.Count = 0, 0, 0, 0
		}
		p.Ref, p.Floor, p.HalfLife = s.At, d.Floor, d.HalfLife.Seconds()
	}
	// Keep exponents bounded: rebase when signals drift far from the reference.
	if e := s.At.Sub(p.Ref).Seconds() / p.HalfLife; e > 500 {
		shift := math.Exp2(-e)
		p.Excess *= shift
		p.Ref = s.At
	}
	p.Excess += w * (s.Score - d.Floor) * math.Exp2(s.At.Sub(p.Ref).Seconds()/p.HalfLife)
	p.WeightSum += w
	p.Plain += w * s.Score
	p.Count++
}

// At is the pillar's score at now.
func (p *PillarState) At(now time.Time, model string) (float64, bool) {
	if p.Count == 0 || p.WeightSum == 0 {
		return 0, false
	}
	if model == ModelNone {
		return p.Plain / p.WeightSum, true
	}
	excess := p.Excess * math.Exp2(-now.Sub(p.Ref).Seconds()/p.HalfLife)
	return clamp(p.Floor + excess/p.WeightSum), true
}

func clamp(v float64) float64 { return math.Max(0, math.Min(100, v)) }

// Compose weights the known pillars into the composite, renormalising the
// weights of the known ones (an unknown pillar is never counted as 100).
func Compose(states map[string]*PillarState, weights map[string]float64, cfg DecayConfig, now time.Time) Score {
	out := Score{Pillars: map[string]PillarScore{}, At: now}
	var wsum, total float64
	for _, p := range Pillars {
		ps := PillarScore{Weight: weights[p], Source: Sources[p]}
		if st, ok := states[p]; ok {
			if v, known := st.At(now, cfg.Model); known {
				ps.Score, ps.Known, ps.Signals = round1(v), true, st.Count
				wsum += weights[p]
				total += weights[p] * v
			}
		}
		out.Pillars[p] = ps
	}
	if wsum > 0 {
		out.Composite = round1(total / wsum)
		out.Known = true
		out.Grade = Grade(out.Composite)
	} else {
		out.Grade = "unknown"
	}
	return out
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// Grade maps a score to a letter grade.
func Grade(s float64) string {
	switch {
	case s >= 97:
		return "A+"
	case s >= 93:
		return "A"
	case s >= 90:
		return "A-"
	case s >= 87:
		return "B+"
	case s >= 83:
		return "B"
	case s >= 80:
		return "B-"
	case s >= 77:
		return "C+"
	case s >= 73:
		return "C"
	case s >= 70:
		return "C-"
	case s >= 60:
		return "D"
	}
	return "F"
}

// Moved reports whether a new score is worth a trust.ScoreUpdated event: the
// composite moved by at least 0.1 or the grade changed.
func Moved(prev, next Score) bool {
	if prev.Known != next.Known || prev.Grade != next.Grade {
		return true
	}
	return math.Abs(prev.Composite-next.Composite) >= 0.1-1e-9 // composites are rounded to 0.1
}

// TopMovers returns the signals whose current effect on their pillar deviates
// most from the pillar's floor (what moved the score most), at most n.
func TopMovers(signals []Signal, cfg DecayConfig, now time.Time, n int) []Signal {
	type scored struct {
		s Signal
		m float64
	}
	var xs []scored
	for _, s := range signals {
		d := cfg.Pillars[s.Pillar]
		v := Decayed(s.Score, s.At, now, d, cfg.Model)
		xs = append(xs, scored{s, math.Abs(v - d.Floor)})
	}
	sort.SliceStable(xs, func(i, j int) bool { return xs[i].m > xs[j].m })
	var out []Signal
	for i := 0; i < len(xs) && i < n; i++ {
		out = append(out, xs[i].s)
	}
	return out
}

// Snapshot is what computing a tenant's score needs: its pillar aggregates,
// configuration and the last recorded score.
type Snapshot struct {
	States  map[string]*PillarState
	Decay   DecayConfig
	Weights map[string]float64
	Last    *LastScore
	Signals int
}

// LastScore is the last recorded score and its stream version.
type LastScore struct {
	Score   float64
	Grade   string
	Known   bool
	At      time.Time
	Version int64
	Signals int
}
