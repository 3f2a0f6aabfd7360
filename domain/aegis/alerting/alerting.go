// Package alerting decides when events raise alerts, in the manner of
// Prometheus' Alertmanager: a rule matches an event type and fields of the
// event, fires when a threshold of matching events falls within a window,
// per group (group-by fields, which also make the alert's dedup key), then
// stays quiet for a cooldown; silences mute matching events until they end.
// Pure: the caller passes the time and keeps the Evaluator.
package alerting

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Severities, least first.
var Severities = []string{"low", "medium", "high", "critical"}

// SeverityInherit takes the severity from the event's `severity` field
// (medium when it has none).
const SeverityInherit = "inherit"

// SeverityRank orders severities (0 for an unknown one).
func SeverityRank(s string) int { return slices.Index(Severities, s) + 1 }

// ErrInvalidRule reports a rule that cannot be evaluated; its text names the field.
var ErrInvalidRule = errors.New("alerting: invalid rule")

// Rule says which events raise an alert.
type Rule struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// EventType is the CloudEvents type watched; a trailing * matches a prefix.
	EventType string `json:"event_type"`
	// Match requires fields of the event to hold values: a dotted path in the
	// event's data (or "subject"), and the value as written, or a regular
	// expression after "~", or anything but the value after "!".
	Match map[string]string `json:"match,omitempty"`
	// Threshold matching events within WindowSeconds fire the rule (1: each one).
	Threshold     int `json:"threshold"`
	WindowSeconds int `json:"window_seconds"`
	// GroupBy are the fields whose values make separate alerts (and the dedup key).
	GroupBy []string `json:"group_by,omitempty"`
	// CooldownSeconds is how long a group stays quiet after it fired.
	CooldownSeconds int `json:"cooldown_seconds"`
	// Severity of the alert, or "inherit" (the event's own severity).
	Severity string `json:"severity"`
	// Title of the alert; {field} is replaced by the event's field.
	Title    string    `json:"title,omitempty"`
	Enabled  bool      `json:"enabled"`
	Silences []Silence `json:"silences,omitempty"`
}

// Silence mutes a rule's matching events that also match its fields, until it ends.
type Silence struct {
	Match   map[string]string `json:"match,omitempty"`
	EndsAt  time.Time         `json:"ends_at"`
	Comment string            `json:"comment,omitempty"`
}

// Check validates a rule and fills its defaults (threshold 1, window 300 s,
// cooldown 0, severity medium, title its name); types are the event types
// a rule may watch.
func Check(r *Rule, types []string) error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 200 {
		return bad("name", "1 to 200 characters")
	}
	if len(r.Description) > 2000 {
		return bad("description", "at most 2000 characters")
	}
	if !slices.ContainsFunc(types, func(t string) bool { return typeMatches(r.EventType, t) }) || r.EventType == "" {
		return bad("event_type", "an alertable event type (GET /aegis/alert-rules lists them in its description), or a prefix ending in *")
	}
	if len(r.Match) > 20 || len(r.GroupBy) > 10 || len(r.Silences) > 50 {
		return bad("rule", "at most 20 match fields, 10 group-by fields and 50 silences")
	}
	if err := checkMatch("match", r.Match); err != nil {
		return err
	}
	for i, s := range r.Silences {
		if s.EndsAt.IsZero() || len(s.Comment) > 1000 {
			return bad(fmt.Sprintf("silences[%d]", i), "a silence with ends_at (and a comment of at most 1000 characters)")
		}
		if err := checkMatch(fmt.Sprintf("silences[%d].match", i), s.Match); err != nil {
			return err
		}
	}
	for i, g := range r.GroupBy {
		if !validPath(g) {
			return bad(fmt.Sprintf("group_by[%d]", i), "a dotted field path")
		}
	}
	if r.Threshold == 0 {
		r.Threshold = 1
	}
	if r.WindowSeconds == 0 {
		r.WindowSeconds = 300
	}
	if r.Threshold < 1 || r.Threshold > 100000 || r.WindowSeconds < 1 || r.WindowSeconds > 7*86400 || r.CooldownSeconds < 0 || r.CooldownSeconds > 7*86400 {
		return bad("threshold", "1 to 100000 events within 1 s to 7 days, with a cooldown of 0 to 7 days")
	}
	if r.Severity == "" {
		r.Severity = "medium"
	}
	if r.Severity != SeverityInherit && SeverityRank(r.Severity) == 0 {
		return bad("severity", "low, medium, high, critical or inherit")
	}
	if len(r.Title) > 300 {
		return bad("title", "at most 300 characters")
	}
	return nil
}

func bad(field, want string) error {
	return fmt.Errorf("%w: %s must be %s", ErrInvalidRule, field, want)
}

var pathRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$`)

func validPath(p string) bool { return len(p) <= 200 && pathRE.MatchString(p) }

func checkMatch(field string, m map[string]string) error {
	for k, v := range m {
		if !validPath(k) || len(v) > 500 {
			return bad(field, "dotted field paths with values of at most 500 characters")
		}
		if re, ok := strings.CutPrefix(v, "~"); ok {
			if _, err := regexp.Compile(re); err != nil {
				return bad(field+"."+k, "a valid regular expression after ~")
			}
		}
	}
	return nil
}

func typeMatches(pattern, t string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(t, p)
	}
	return pattern == t
}

// Fact is one event as rules see it.
type Fact struct {
	ID, Type, Subject, TenantID string
	Time                        time.Time
	// Data is the event's payload, decoded generically.
	Data map[string]any
}

// Field reads a dotted path of the fact ("subject", "type", or data fields);
// ok is false when absent. Lists are joined with commas, numbers printed as
// written.
func (f *Fact) Field(path string) (string, bool) {
	switch path {
	case "subject":
		return f.Subject, true
	case "type":
		return f.Type, true
	}
	var cur any = f.Data
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[part]; !ok {
			return "", false
		}
	}
	return render(cur), true
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// matches reports whether the fact holds every field of m.
func (f *Fact) matches(m map[string]string) bool {
	for k, want := range m {
		got, ok := f.Field(k)
		switch {
		case strings.HasPrefix(want, "~"):
			re, err := compiledRE(want[1:])
			if err != nil || !ok || !re.MatchString(got) {
				return false
			}
		case strings.HasPrefix(want, "!"):
			if ok && got == want[1:] {
				return false
			}
		default:
			if !ok || got != want {
				return false
			}
		}
	}
	return true
}

// Firing is what an alert records of the rule that raised it.
type Firing struct {
	RuleID   string `json:"rule_id"`
	RuleName string `json:"rule_name"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	// DedupKey identifies the alert: the rule and its group's values.
	DedupKey string `json:"dedup_key"`
	// Source is the module whose event fired it; EventType that event's type.
	Source    string            `json:"source"`
	EventType string            `json:"event_type"`
	Subject   string            `json:"subject,omitempty"`
	Labels    map[string]string `json:"labels"`
	CauseID   string            `json:"cause_id"`
	// Count is how many matching events within the window made it fire.
	Count int       `json:"count"`
	At    time.Time `json:"at"`
}

// Ref is a rule with its id.
type Ref struct {
	ID   string
	Rule Rule
}

// Evaluator keeps the windows and cooldowns of rules' groups.
type Evaluator struct {
	windows map[string][]time.Time
	fired   map[string]time.Time
}

// maxGroups bounds the groups an evaluator keeps (oldest forgotten first).
const maxGroups = 100_000

// NewEvaluator starts an empty evaluator.
func NewEvaluator() *Evaluator {
	return &Evaluator{windows: map[string][]time.Time{}, fired: map[string]time.Time{}}
}

// Observe feeds one fact to the rules and returns what fires at now.
func (ev *Evaluator) Observe(rules []Ref, f *Fact, now time.Time) []Firing {
	var out []Firing
	for _, r := range rules {
		if !r.Rule.Enabled || !typeMatches(r.Rule.EventType, f.Type) || !f.matches(r.Rule.Match) {
			continue
		}
		if slices.ContainsFunc(r.Rule.Silences, func(s Silence) bool { return now.Before(s.EndsAt) && f.matches(s.Match) }) {
			continue
		}
		labels := map[string]string{}
		for _, g := range r.Rule.GroupBy {
			v, _ := f.Field(g)
			labels[g] = v
		}
		key := dedupKey(r.ID, labels)
		window := time.Duration(r.Rule.WindowSeconds) * time.Second
		ts := append(prune(ev.windows[key], now.Add(-window)), f.Time)
		if len(ts) < r.Rule.Threshold {
			ev.remember(key, ts)
			continue
		}
		if last, ok := ev.fired[key]; ok && now.Sub(last) < time.Duration(r.Rule.CooldownSeconds)*time.Second {
			ev.remember(key, ts)
			continue
		}
		ev.fired[key] = now
		ev.remember(key, nil) // a firing starts the next window afresh
		out = append(out, Firing{RuleID: r.ID, RuleName: r.Rule.Name, Severity: severityOf(r.Rule.Severity, f),
			Title: title(r.Rule, f), DedupKey: key, Source: moduleOf(f.Type), EventType: f.Type, Subject: f.Subject,
			Labels: labels, CauseID: f.ID, Count: len(ts), At: now})
	}
	return out
}

func (ev *Evaluator) remember(key string, ts []time.Time) {
	if len(ts) == 0 {
		delete(ev.windows, key)
		return
	}
	if _, ok := ev.windows[key]; !ok && len(ev.windows) >= maxGroups {
		for k := range ev.windows { // forget an arbitrary group rather than grow without bound
			delete(ev.windows, k)
			break
		}
	}
	ev.windows[key] = ts
	if len(ev.fired) > maxGroups {
		for k := range ev.fired {
			delete(ev.fired, k)
			break
		}
	}
}

func prune(ts []time.Time, after time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(after) {
		i++
	}
	return append([]time.Time(nil), ts[i:]...)
}

func dedupKey(ruleID string, labels map[string]string) string {
	var b strings.Builder
	b.WriteString(ruleID)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString("|" + k + "=" + labels[k])
	}
	return b.String()
}

func severityOf(s string, f *Fact) string {
	if s != SeverityInherit {
		return s
	}
	if v, ok := f.Field("severity"); ok && SeverityRank(v) > 0 {
		return v
	}
	return "medium"
}

var placeholder = regexp.MustCompile(`\{([a-zA-Z0-9_.]+)\}`)

func title(r Rule, f *Fact) string {
	t := r.Title
	if t == "" {
		t = r.Name
	}
	return placeholder.ReplaceAllStringFunc(t, func(m string) string {
		v, _ := f.Field(m[1 : len(m)-1])
		return v
	})
}

func moduleOf(ceType string) string {
	rest := strings.TrimPrefix(ceType, "com.astra.")
	m, _, _ := strings.Cut(rest, ".")
	return m
}

var reCache sync.Map // expression → *regexp.Regexp

// compiledRE compiles a match expression once (rules are checked when
// written; the cache holds the expressions of the rules in use).
func compiledRE(expr string) (*regexp.Regexp, error) {
	if re, ok := reCache.Load(expr); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(expr)
	if err == nil {
		reCache.Store(expr, re)
	}
	return re, err
}
