package behaviour

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
)

// Kinds of anomalies.
const (
	NewTool        = "new_tool"
	NewDestination = "new_destination"
	Burst          = "burst"
	Exfiltration   = "exfiltration"
)

// Kinds lists the anomaly kinds.
var Kinds = []string{NewTool, NewDestination, Burst, Exfiltration}

// Thresholds of detection.
const (
	// burstSpreads and burstFactor: an hour's actions above the expected
	// mean by this many spreads, and above this multiple of it (plus
	// burstFloor), are a burst.
	burstSpreads = 4.5
	burstFactor  = 2.0
	burstFloor   = 10.0
	// MinExfilBytes is the least an hour's volume to one host must reach
	// to count as exfiltration, whatever the baseline.
	MinExfilBytes = 1 << 20
	// exfilSpreads and exfilFactor: an hour's bytes to a known host above
	// its usual volume by this many spreads and this multiple; a new host
	// is compared with the agent's typical host volume (×newHostFactor).
	exfilSpreads  = 8.0
	exfilFactor   = 5.0
	newHostFactor = 10.0
	// browsingNovelty is the hourly rate of new hosts (about two a day)
	// above which a new host alone is not news.
	browsingNovelty = 0.1
)

// Finding is one anomaly (aegis.Finding).
type Finding = aegis.Finding

// sensitiveTools are words in tool names that make a new tool more severe.
var sensitiveTools = []string{"exec", "shell", "bash", "delete", "drop", "transfer", "payment", "sudo", "admin", "write_file", "email", "upload"}

// novelty judges a tool or host the baseline has never seen, before the
// action is counted.
func (b *Baseline) novelty(a *aegis.Action, out []Finding) []Finding {
	if a.Tool != "" && b.Tools[a.Tool] == nil && len(b.Tools) < maxEntities && b.flag(NewTool, a.Tool) {
		sev := "medium"
		lower := strings.ToLower(a.Tool)
		if slices.ContainsFunc(sensitiveTools, func(w string) bool { return strings.Contains(lower, w) }) {
			sev = "high"
		}
		out = append(out, Finding{Kind: NewTool, Severity: sev, Subject: a.Tool, Metric: "calls of the tool before", Observed: 1,
			Detail: fmt.Sprintf("first call of tool %q after %d hours and %d actions without it (%d known tools)", a.Tool, b.Hours, b.Total, len(b.Tools)),
			At:     a.At})
	}
	if a.Destination != "" && b.Hosts[a.Destination] == nil && len(b.Hosts) < maxEntities && b.Novelty.Mean < browsingNovelty &&
		b.flag(NewDestination, a.Destination) {
		out = append(out, Finding{Kind: NewDestination, Severity: "medium", Subject: a.Destination, Metric: "contacts of the host before",
			Observed: 1, Expected: b.Novelty.Mean, Detail: fmt.Sprintf("first contact with %s (the agent meets %.2f new hosts an hour; %d known hosts)",
				a.Destination, b.Novelty.Mean, len(b.Hosts)), At: a.At})
	}
	return out
}

// rates judges the open hour, with the action counted: the agent's rate,
// the tool's rate, and the bytes sent to the host.
func (b *Baseline) rates(a *aegis.Action, out []Finding) []Finding {
	h := &b.Current
	if e := b.windowExpected(a.At); e.N >= 2 {
		x := float64(b.Recent.Sum())
		if x > e.Mean+burstSpreads*e.Spread() && x > burstFactor*e.Mean+burstFloor && b.flag(Burst, "") {
			out = append(out, Finding{Kind: Burst, Severity: ratioSeverity(x, e.Mean, 10), Metric: "actions in the last hour", Observed: x,
				Expected: round(e.Mean), Deviation: round((x - e.Mean) / e.Spread()),
				Detail: fmt.Sprintf("%.0f actions in the hour to %s, where %.1f ± %.1f are usual", x, a.At.Format("Mon 15:04"), e.Mean, e.Spread()),
				At:     a.At})
		}
	}
	if t := b.Tools[a.Tool]; a.Tool != "" && t != nil && t.Rate.N >= 24 {
		x := float64(h.Tools[a.Tool])
		if lim := 4*(t.Rate.Mean+2*t.Rate.Spread()) + 20; x > lim && b.flag(Burst, a.Tool) {
			out = append(out, Finding{Kind: Burst, Severity: ratioSeverity(x, t.Rate.Mean, 20), Subject: a.Tool, Metric: "calls of the tool this hour",
				Observed: x, Expected: round(t.Rate.Mean), Deviation: round((x - t.Rate.Mean) / t.Rate.Spread()),
				Detail: fmt.Sprintf("%.0f calls of %q within the hour, where %.1f an hour are usual", x, a.Tool, t.Rate.Mean), At: a.At})
		}
	}
	if a.Destination != "" && a.BytesOut > 0 {
		out = b.exfiltration(a, out)
	}
	return out
}

// windowExpected is what the last hour to at usually holds: the expected
// counts of the two clock hours it overlaps, weighted by the overlap, with
// the larger spread.
func (b *Baseline) windowExpected(at time.Time) Stat {
	cur, prev := b.Actions.Expected(at), b.Actions.Expected(at.Add(-time.Hour))
	w := float64(at.Minute()+1) / 60
	return Stat{N: min(cur.N, prev.N), Mean: w*cur.Mean + (1-w)*prev.Mean, Dev: math.Max(cur.Dev, prev.Dev)}
}

func (b *Baseline) exfiltration(a *aegis.Action, out []Finding) []Finding {
	x := float64(b.Current.HostBytes[a.Destination])
	if x < MinExfilBytes {
		return out
	}
	e := b.Hosts[a.Destination]
	var expected, spread float64
	var fire bool
	if e != nil && e.Volume.N >= 3 {
		expected, spread = e.Volume.Mean, e.Volume.Spread()
		fire = x > expected+exfilSpreads*spread && x > exfilFactor*expected
	} else {
		expected = b.TypicalHostVolume()
		spread = math.Max(expected, 1)
		fire = x > newHostFactor*expected
	}
	if !fire || !b.flag(Exfiltration, a.Destination) {
		return out
	}
	sev := "high"
	if x >= 100<<20 || x > 50*math.Max(expected, 1) {
		sev = "critical"
	}
	return append(out, Finding{Kind: Exfiltration, Severity: sev, Subject: a.Destination, Metric: "bytes sent to the host this hour",
		Observed: x, Expected: round(expected), Deviation: round((x - expected) / spread),
		Detail: fmt.Sprintf("%s sent to %s within the hour, where %s is usual", bytesOf(x), a.Destination, bytesOf(expected)), At: a.At})
}

// flag marks an anomaly raised this hour; false when it was raised already.
func (b *Baseline) flag(kind, subject string) bool {
	k := kind + "/" + subject
	if slices.Contains(b.Current.Flagged, k) {
		return false
	}
	b.Current.Flagged = append(b.Current.Flagged, k)
	return true
}

func ratioSeverity(x, mean, high float64) string {
	if x >= high*math.Max(mean, 1) {
		return "high"
	}
	return "medium"
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

func bytesOf(x float64) string {
	switch {
	case x >= 1<<30:
		return fmt.Sprintf("%.1f GiB", x/(1<<30))
	case x >= 1<<20:
		return fmt.Sprintf("%.1f MiB", x/(1<<20))
	case x >= 1<<10:
		return fmt.Sprintf("%.1f KiB", x/(1<<10))
	}
	return fmt.Sprintf("%.0f B", x)
}
