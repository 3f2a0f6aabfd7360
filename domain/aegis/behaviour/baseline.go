// Package behaviour learns how each agent normally behaves and finds what
// falls outside it. A Baseline is folded from the agent's activity, hour by
// hour: rates of actions, tokens, errors and bytes sent by hour of week and
// hour of day (exponentially weighted means and mean absolute deviations,
// updated with winsorised values so that an anomaly barely moves what is
// normal), every tool, destination host and data scope seen with its own
// hourly rate, and a warm-up before anything is judged. Detect compares a
// batch with the baseline as it stood before the batch; Risk turns an
// agent's state into a score with its reasons. Pure: no clock, no I/O; the
// same fold runs in the read model and in the evaluation test.
package behaviour

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
)

// Tuning of the baseline.
const (
	// WarmupHours of activity (hours since the first action) before anomalies are judged.
	WarmupHours = 72
	// alphaWeek and alphaDay weight the newest hour in the weekly (hour of
	// a working day or of a weekend day) and daily statistics; alphaEntity
	// in a tool's or host's rate.
	alphaWeek   = 0.2
	alphaDay    = 0.15
	alphaEntity = 0.1
	// alphaNovelty weighs the newest hour in the rate of new hosts (about a week's memory).
	alphaNovelty = 0.01
	// maxEntities bounds the tools, hosts and scopes a baseline keeps.
	maxEntities = 500
	// maxGapHours bounds how many silent hours are folded in one go.
	maxGapHours = 24 * 14
)

// Stat is an exponentially weighted mean and mean absolute deviation of an
// hourly count.
type Stat struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	Dev  float64 `json:"dev"`
}

// add folds one hourly value with weight alpha; once the statistic has seen
// a few values, the value is winsorised at mean ± 4·spread first.
func (s *Stat) add(x, alpha float64) {
	if s.N == 0 {
		s.N, s.Mean, s.Dev = 1, x, math.Sqrt(math.Max(x, 1))/2
		return
	}
	if s.N >= 3 {
		lim := 4 * s.Spread()
		x = math.Max(s.Mean-lim, math.Min(s.Mean+lim, x))
	}
	d := x - s.Mean
	s.Mean += alpha * d
	s.Dev += alpha * (math.Abs(d) - s.Dev)
	s.N++
}

// Spread is the statistic's scale: its mean absolute deviation as a
// standard deviation (×1.25), at least the Poisson spread of its mean and 1.
func (s *Stat) Spread() float64 {
	return math.Max(1.25*s.Dev, math.Max(math.Sqrt(math.Max(s.Mean, 0)), 1))
}

// Series are the hourly statistics of one metric: by hour of day (24),
// learnt within days, and for the agent's action rate by hour of the week's
// two kinds of day, working days and weekends (48), its weekly seasonality:
// a bucket per hour of week would see one value a week, too few to learn
// a spread from in any reasonable time.
type Series struct {
	Week []Stat `json:"week,omitempty"`
	Day  []Stat `json:"day"`
}

func newSeries(weekly bool) Series {
	s := Series{Day: make([]Stat, 24)}
	if weekly {
		s.Week = make([]Stat, 48)
	}
	return s
}

func (s *Series) add(at time.Time, x float64) {
	if s.Week != nil {
		s.Week[hourOfWeek(at)].add(x, alphaWeek)
	}
	s.Day[at.Hour()].add(x, alphaDay)
}

// Expected is what the series expects of the hour at: the mean of the hour
// of week once it has been seen twice, else of the hour of day; the spread
// is the larger of the two (an hour of week has few samples to learn its
// spread from, the hour of day many).
func (s *Series) Expected(at time.Time) Stat {
	d := s.Day[at.Hour()]
	if s.Week != nil {
		if w := s.Week[hourOfWeek(at)]; w.N >= 3 {
			if w.Mean > 0 && d.Mean > 0 {
				w.Dev = math.Max(w.Dev, d.Dev*w.Mean/d.Mean)
			}
			return w
		}
	}
	return d
}

// hourOfWeek is the weekly bucket of an hour: its hour of a working day
// (0–23) or of a weekend day (24–47).
func hourOfWeek(t time.Time) int {
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return 24 + t.Hour()
	}
	return t.Hour()
}

// Entity is a tool, host or data scope the agent used.
type Entity struct {
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Calls     int64     `json:"calls"`
	Bytes     int64     `json:"bytes_out,omitempty"`
	// Rate is its hourly calls over every hour since it was first seen;
	// Volume its hourly bytes sent over the hours it was contacted.
	Rate   Stat `json:"rate"`
	Volume Stat `json:"volume"`
}

// Hour is the open hour's counts.
type Hour struct {
	Start     time.Time        `json:"start"`
	Actions   int64            `json:"actions"`
	Tokens    int64            `json:"tokens"`
	Errors    int64            `json:"errors"`
	BytesOut  int64            `json:"bytes_out"`
	Tools     map[string]int64 `json:"tools,omitempty"`
	HostBytes map[string]int64 `json:"host_bytes,omitempty"`
	// NewHosts counts hosts first contacted this hour.
	NewHosts int64 `json:"new_hosts,omitempty"`
	// Flagged are the anomalies already raised this hour (kind/subject), so
	// that one burst raises one anomaly.
	Flagged []string `json:"flagged,omitempty"`
}

// Baseline is an agent's learnt behaviour.
type Baseline struct {
	Since   time.Time          `json:"since"`
	Hours   int                `json:"hours"`
	Total   int64              `json:"total_actions"`
	Current Hour               `json:"current"`
	Actions Series             `json:"actions"`
	Tokens  Series             `json:"tokens"`
	Errors  Series             `json:"errors"`
	Bytes   Series             `json:"bytes_out"`
	Tools   map[string]*Entity `json:"tools"`
	Hosts   map[string]*Entity `json:"hosts"`
	Scopes  map[string]*Entity `json:"data_scopes"`
	// Recent counts the actions of the last hour in five-minute buckets
	// (newest last), the window a burst is judged on, whatever the clock.
	Recent Window `json:"recent"`
	// Novelty is the hourly rate of hosts contacted for the first time: an
	// agent that browses meets new hosts all day, and one of them is news
	// only when it is sent a lot.
	Novelty Stat `json:"host_novelty"`
}

// New starts an empty baseline.
func New() *Baseline {
	return &Baseline{Actions: newSeries(true), Tokens: newSeries(false), Errors: newSeries(false), Bytes: newSeries(false),
		Tools: map[string]*Entity{}, Hosts: map[string]*Entity{}, Scopes: map[string]*Entity{}}
}

// Fill completes a baseline decoded from storage (nil maps and series).
func (b *Baseline) Fill() *Baseline {
	if len(b.Actions.Week) != 48 || len(b.Actions.Day) != 24 {
		b.Actions = newSeries(true)
	}
	for _, s := range []*Series{&b.Tokens, &b.Errors, &b.Bytes} {
		if len(s.Day) != 24 {
			*s = newSeries(false)
		}
	}
	for _, m := range []*map[string]*Entity{&b.Tools, &b.Hosts, &b.Scopes} {
		if *m == nil {
			*m = map[string]*Entity{}
		}
	}
	return b
}

// Warm reports whether the baseline has learnt enough to judge.
func (b *Baseline) Warm() bool { return b.Hours >= WarmupHours }

// Observe folds actions (in time order) into the baseline and returns
// what fell outside it, judged against the baseline as it stood before
// each action. Actions older than the open hour count in it (a late report
// does not reopen an hour).
func (b *Baseline) Observe(actions []aegis.Action) []Finding {
	var out []Finding
	for i := range actions {
		out = b.observe(&actions[i], out)
	}
	return out
}

func (b *Baseline) observe(a *aegis.Action, out []Finding) []Finding {
	at := a.At.UTC().Truncate(time.Hour)
	if b.Since.IsZero() {
		b.Since, b.Current = at, Hour{Start: at}
	}
	b.advance(at)
	warm := b.Warm()
	if warm {
		out = b.novelty(a, out)
	}
	b.Recent.add(a.At)
	h := &b.Current
	h.Actions++
	h.Tokens += a.Tokens
	if a.Error {
		h.Errors++
	}
	h.BytesOut += a.BytesOut
	b.Total++
	if a.Tool != "" {
		if h.Tools == nil {
			h.Tools = map[string]int64{}
		}
		h.Tools[a.Tool]++
		b.touch(b.Tools, a.Tool, a.At, 0)
	}
	if a.Destination != "" {
		if h.HostBytes == nil {
			h.HostBytes = map[string]int64{}
		}
		h.HostBytes[a.Destination] += a.BytesOut
		if b.touch(b.Hosts, a.Destination, a.At, a.BytesOut) {
			h.NewHosts++
		}
	}
	if a.DataScope != "" {
		b.touch(b.Scopes, a.DataScope, a.At, 0)
	}
	if warm {
		out = b.rates(a, out)
	}
	return out
}

// touch counts a use of a tool, host or scope; true when it is new.
func (b *Baseline) touch(m map[string]*Entity, name string, at time.Time, bytes int64) bool {
	e, ok := m[name]
	if !ok {
		if len(m) >= maxEntities {
			return false
		}
		e = &Entity{FirstSeen: at}
		m[name] = e
	}
	e.Calls++
	e.Bytes += bytes
	if at.After(e.LastSeen) {
		e.LastSeen = at
	}
	return !ok
}

// advance closes the open hour, and the silent hours after it, up to the
// hour at.
func (b *Baseline) advance(at time.Time) {
	if !at.After(b.Current.Start) {
		return
	}
	b.close(&b.Current)
	gap := int(at.Sub(b.Current.Start)/time.Hour) - 1
	start := b.Current.Start.Add(time.Hour)
	if gap > maxGapHours {
		// A long silence: fold a fortnight of silent hours (every hour of the
		// week twice) rather than every one of them.
		start = at.Add(-maxGapHours * time.Hour)
		b.Hours += gap - maxGapHours
		gap = maxGapHours
	}
	for i := 0; i < gap; i++ {
		b.close(&Hour{Start: start.Add(time.Duration(i) * time.Hour)})
	}
	b.Current = Hour{Start: at}
}

// close folds a finished hour into the statistics. An hour found anomalous
// is not learnt from: a burst's hour leaves the rates as they were, an
// exfiltration's host keeps its usual volume.
func (b *Baseline) close(h *Hour) {
	b.Hours++
	burst := slices.Contains(h.Flagged, Burst+"/")
	if !burst {
		b.Actions.add(h.Start, float64(h.Actions))
		b.Tokens.add(h.Start, float64(h.Tokens))
		b.Errors.add(h.Start, float64(h.Errors))
		b.Bytes.add(h.Start, float64(h.BytesOut))
	}
	if b.Hours > 24 { // the first day meets every host for the first time
		b.Novelty.add(float64(h.NewHosts), alphaNovelty)
	}
	for name, e := range b.Tools {
		if !burst && !slices.Contains(h.Flagged, Burst+"/"+name) && !e.FirstSeen.After(h.Start.Add(time.Hour)) {
			e.Rate.add(float64(h.Tools[name]), alphaEntity)
		}
	}
	for name, n := range h.HostBytes {
		if e := b.Hosts[name]; e != nil && !slices.Contains(h.Flagged, Exfiltration+"/"+name) {
			e.Volume.add(float64(n), alphaEntity)
		}
	}
}

// Window counts actions in the last hour, in five-minute buckets.
type Window struct {
	// Newest is the start of the newest bucket.
	Newest  time.Time `json:"newest"`
	Buckets []int64   `json:"buckets"`
}

const (
	bucket  = 5 * time.Minute
	buckets = int(time.Hour / bucket)
)

// add counts an action at at (one older than the window counts in its oldest bucket).
func (w *Window) add(at time.Time) {
	t := at.UTC().Truncate(bucket)
	if len(w.Buckets) != buckets {
		w.Buckets, w.Newest = make([]int64, buckets), t
	}
	if shift := int(t.Sub(w.Newest) / bucket); shift > 0 {
		if shift >= buckets {
			clear(w.Buckets)
		} else {
			copy(w.Buckets, w.Buckets[shift:])
			clear(w.Buckets[buckets-shift:])
		}
		w.Newest = t
	}
	i := buckets - 1 - int(w.Newest.Sub(t)/bucket)
	w.Buckets[max(i, 0)]++
}

// Sum is the actions of the last hour.
func (w *Window) Sum() int64 {
	var n int64
	for _, c := range w.Buckets {
		n += c
	}
	return n
}

// TypicalHostVolume is the hourly bytes the agent usually sends to one host
// (the largest of its established hosts' usual volumes: a host met a few
// times only, an exfiltration's destination say, is no yardstick), the
// yardstick of a new host.
func (b *Baseline) TypicalHostVolume() float64 {
	v := 0.0
	for _, e := range b.Hosts {
		if e.Volume.N >= 3 {
			v = math.Max(v, e.Volume.Mean+2*e.Volume.Spread())
		}
	}
	return v
}

// Names lists a map's keys, sorted.
func Names(m map[string]*Entity) []string { return slices.Sorted(maps.Keys(m)) }
