package behaviour

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
)

// RiskInput is what an agent's risk is computed from.
type RiskInput struct {
	Agent aegis.Agent
	// Baseline is nil before any activity.
	Baseline *Baseline
	// Anomalies are its recent anomalies (any age: older ones weigh less).
	Anomalies []Finding
	// OpenAlerts counts its unresolved alerts by severity.
	OpenAlerts map[string]int
}

// Reason is one contribution to a risk score.
type Reason struct {
	Factor string  `json:"factor"`
	Points float64 `json:"points"`
	Detail string  `json:"detail"`
}

// RiskScore is an agent's risk: 0 (none) to 100, its level and its reasons,
// largest first.
type RiskScore struct {
	Score   float64  `json:"score"`
	Level   string   `json:"level" enum:"low,medium,high,critical"`
	Reasons []Reason `json:"reasons"`
}

// riskHalfLife is how fast an anomaly's weight in the score fades.
const riskHalfLife = 72 * time.Hour

// sensitiveScopes are words in data scopes that raise the risk.
var sensitiveScopes = []string{"pii", "personal", "secret", "credential", "finance", "payment", "health", "hr", "admin", "prod"}

// Risk scores an agent at now.
func Risk(in RiskInput, now time.Time) RiskScore {
	var rs []Reason
	add := func(factor string, points float64, detail string) {
		if points > 0 {
			rs = append(rs, Reason{Factor: factor, Points: math.Round(points*10) / 10, Detail: detail})
		}
	}
	switch in.Agent.Status {
	case aegis.StatusKilled:
		add("containment", 100, "the agent was killed")
	case aegis.StatusQuarantined:
		add("containment", 35, "the agent is quarantined")
	}
	switch in.Agent.Autonomy {
	case "autonomous":
		add("autonomy", 15, "acts autonomously")
	case "supervised":
		add("autonomy", 5, "acts under supervision")
	}
	var sensitive []string
	for _, s := range in.Agent.DataScopes {
		l := strings.ToLower(s)
		if slices.ContainsFunc(sensitiveScopes, func(w string) bool { return strings.Contains(l, w) }) {
			sensitive = append(sensitive, s)
		}
	}
	if len(sensitive) > 0 {
		add("data_scopes", math.Min(20, 7*float64(len(sensitive))), "may touch sensitive data: "+strings.Join(sensitive, ", "))
	}
	if in.Baseline == nil || !in.Baseline.Warm() {
		add("baseline", 10, fmt.Sprintf("no learnt baseline yet (%d of %d hours)", hoursOf(in.Baseline), WarmupHours))
	}
	if in.Baseline != nil && len(in.Agent.Tools) > 0 {
		var undeclared []string
		for _, t := range Names(in.Baseline.Tools) {
			if !slices.Contains(in.Agent.Tools, t) {
				undeclared = append(undeclared, t)
			}
		}
		if len(undeclared) > 0 {
			add("undeclared_tools", math.Min(20, 5*float64(len(undeclared))), "uses tools it does not declare: "+strings.Join(undeclared, ", "))
		}
	}
	anomaly := 0.0
	kinds := map[string]int{}
	for _, f := range in.Anomalies {
		w := math.Pow(2, -now.Sub(f.At).Hours()/riskHalfLife.Hours())
		anomaly += w * float64(4+6*alerting.SeverityRank(f.Severity))
		kinds[f.Kind]++
	}
	if anomaly > 0 {
		add("anomalies", math.Min(45, anomaly), fmt.Sprintf("%d recent anomalies (%s)", len(in.Anomalies), counts(kinds)))
	}
	alerts := 0.0
	for sev, n := range in.OpenAlerts {
		alerts += float64(n) * float64(2+3*alerting.SeverityRank(sev))
	}
	if alerts > 0 {
		add("open_alerts", math.Min(25, alerts), fmt.Sprintf("unresolved alerts: %s", counts(in.OpenAlerts)))
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Points > rs[j].Points })
	total := 0.0
	for _, r := range rs {
		total += r.Points
	}
	total = math.Min(100, math.Round(total*10)/10)
	if rs == nil {
		rs = []Reason{}
	}
	return RiskScore{Score: total, Level: level(total), Reasons: rs}
}

func hoursOf(b *Baseline) int {
	if b == nil {
		return 0
	}
	return b.Hours
}

// level is a score's level: a quarter of the scale each.
func level(s float64) string {
	return []string{"low", "medium", "high", "critical"}[min(3, int(s/25))]
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}
