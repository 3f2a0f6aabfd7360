package mcp

import (
	"sort"
	"strings"
	"time"
)

// Recorded is a recorded decision on a call, as a backtest replays it.
type Recorded struct {
	DecisionID string
	Call       Call
	Decision   Decision
}

// Change is a recorded decision that a draft rule set would have decided otherwise.
type BacktestChange struct {
	DecisionID string    `json:"decision_id"`
	At         time.Time `json:"at"`
	ServerID   string    `json:"server_id"`
	Tool       string    `json:"tool"`
	AgentID    string    `json:"agent_id,omitempty"`
	Before     Decision  `json:"before"`
	After      Decision  `json:"after"`
}

// BacktestReport says what a draft rule set would have changed.
type BacktestReport struct {
	// Replayed counts the recorded call decisions replayed.
	Replayed int `json:"replayed"`
	// Unchanged, NewlyBlocked and NewlyAllowed split them by what the draft would have done.
	Unchanged    int `json:"unchanged"`
	NewlyBlocked int `json:"newly_blocked"`
	NewlyAllowed int `json:"newly_allowed"`
	// ByRule counts the draft's blocks by rule name.
	ByRule map[string]int `json:"by_rule"`
	// Changes lists the changed decisions, oldest first (at most 200).
	Changes []BacktestChange `json:"changes"`
	// Truncated is set when more changes than listed exist.
	Truncated bool `json:"truncated"`
}

// windowCounter counts replayed allowed calls per key within a window.
type windowCounter struct{ seen map[string][]time.Time }

func (w *windowCounter) Count(key string, window time.Duration, now time.Time) int {
	ts := w.seen[key]
	n := 0
	for _, t := range ts {
		if now.Sub(t) < window && !t.After(now) {
			n++
		}
	}
	return n
}

// Backtest replays recorded call decisions, oldest first, against a draft
// rule set. A decision made by the firewall itself (approval, pins,
// containment, poisoning: rule ids "builtin:…") stands as recorded: rules
// do not change it.
func Backtest(recorded []Recorded, draft *RuleSet) BacktestReport {
	sort.SliceStable(recorded, func(i, j int) bool { return recorded[i].Call.At.Before(recorded[j].Call.At) })
	rep := BacktestReport{ByRule: map[string]int{}, Changes: []BacktestChange{}}
	counter := &windowCounter{seen: map[string][]time.Time{}}
	for _, r := range recorded {
		rep.Replayed++
		after := r.Decision
		if !strings.HasPrefix(r.Decision.RuleID, "builtin:") {
			call := r.Call
			after = draft.Decide(&call, counter)
			if !after.Blocked() {
				for _, rr := range draft.RateRules(&call) {
					k := RateKey(rr, &call)
					counter.seen[k] = append(counter.seen[k], call.At)
				}
			}
		}
		if after.Blocked() {
			rep.ByRule[after.RuleName]++
		}
		switch {
		case after.Blocked() == r.Decision.Blocked():
			rep.Unchanged++
			continue
		case after.Blocked():
			rep.NewlyBlocked++
		default:
			rep.NewlyAllowed++
		}
		if len(rep.Changes) >= 200 {
			rep.Truncated = true
			continue
		}
		rep.Changes = append(rep.Changes, BacktestChange{DecisionID: r.DecisionID, At: r.Call.At, ServerID: r.Call.ServerID, Tool: r.Call.Tool,
			AgentID: r.Call.AgentID, Before: r.Decision, After: after})
	}
	return rep
}
