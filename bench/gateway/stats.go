package gateway

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Dist is a latency distribution.
type Dist struct {
	sorted []time.Duration
}

// NewDist sorts a copy of samples.
func NewDist(samples []time.Duration) Dist {
	s := slices.Clone(samples)
	slices.Sort(s)
	return Dist{sorted: s}
}

// N is the number of samples.
func (d Dist) N() int { return len(d.sorted) }

// P is the nearest-rank percentile (p in [0,1]).
func (d Dist) P(p float64) time.Duration {
	n := len(d.sorted)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(float64(n)*p)) - 1
	return d.sorted[min(max(i, 0), n-1)]
}

// Mean is the arithmetic mean.
func (d Dist) Mean() time.Duration {
	if len(d.sorted) == 0 {
		return 0
	}
	var sum time.Duration
	for _, v := range d.sorted {
		sum += v
	}
	return sum / time.Duration(len(d.sorted))
}

// Max is the largest sample.
func (d Dist) Max() time.Duration {
	if len(d.sorted) == 0 {
		return 0
	}
	return d.sorted[len(d.sorted)-1]
}

// ms renders a duration in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/1e6) }

// Ms is a duration in milliseconds.
func Ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
