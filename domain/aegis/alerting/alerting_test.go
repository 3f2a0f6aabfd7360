package alerting

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func fact(i int, principal, blockedBy string) *Fact {
	return &Fact{ID: fmt.Sprint(i), Type: "com.astra.gateway.RequestBlocked", TenantID: "t", Time: t0.Add(time.Duration(i) * time.Second),
		Data: map[string]any{"principal": principal, "blocked_by": blockedBy, "usage": map[string]any{"total_tokens": 12.0}}}
}

func TestEvaluator_ThresholdWindowGroupCooldown(t *testing.T) {
	r := Rule{Name: "blocks", EventType: "com.astra.gateway.*", Match: map[string]string{"blocked_by": "~^(content|pii)"}, Threshold: 3, WindowSeconds: 60,
		GroupBy: []string{"principal"}, CooldownSeconds: 300, Severity: "high", Title: "blocks by {principal}", Enabled: true}
	if err := Check(&r, []string{"com.astra.gateway.RequestBlocked"}); err != nil {
		t.Fatal(err)
	}
	ev, rules := NewEvaluator(), []Ref{{ID: "r1", Rule: r}}
	fire := func(i int, p, by string) []Firing { f := fact(i, p, by); return ev.Observe(rules, f, f.Time) }
	for i, c := range []struct {
		p, by string
		want  int
	}{{"a", "content_rules", 0}, {"a", "content_rules", 0}, {"b", "content_rules", 0}, {"a", "injection_detection", 0}, {"a", "pii_detection", 1}} {
		if got := fire(i, c.p, c.by); len(got) != c.want {
			t.Fatalf("event %d: %d firings, want %d", i, len(got), c.want)
		}
	}
	// The window restarts after a firing, and the group is quiet for the cooldown.
	for i := 5; i < 11; i++ {
		if got := fire(i, "a", "content_rules"); len(got) != 0 {
			t.Fatalf("within the cooldown: %+v", got)
		}
	}
	f := fact(400, "a", "content_rules")
	ev.Observe(rules, fact(398, "a", "content_rules"), f.Time)
	ev.Observe(rules, fact(399, "a", "content_rules"), f.Time)
	got := ev.Observe(rules, f, f.Time)
	if len(got) != 1 || got[0].Title != "blocks by a" || got[0].DedupKey != "r1|principal=a" || got[0].Labels["principal"] != "a" || got[0].Source != "gateway" {
		t.Fatalf("after the cooldown: %+v", got)
	}
	// Events older than the window do not count.
	ev2 := NewEvaluator()
	for i := 0; i < 3; i++ {
		f := fact(i*100, "c", "content_rules")
		if got := ev2.Observe(rules, f, f.Time); len(got) != 0 {
			t.Fatalf("spread over minutes: %+v", got)
		}
	}
}

func TestEvaluator_SilencesAndInheritedSeverity(t *testing.T) {
	r := Rule{Name: "anomaly", EventType: "com.astra.aegis.AgentAnomalyDetected", Severity: SeverityInherit, Enabled: true,
		Silences: []Silence{{Match: map[string]string{"kind": "burst"}, EndsAt: t0.Add(time.Hour)}}}
	if err := Check(&r, []string{"com.astra.aegis.AgentAnomalyDetected"}); err != nil {
		t.Fatal(err)
	}
	rules := []Ref{{ID: "r", Rule: r}}
	f := &Fact{ID: "1", Type: "com.astra.aegis.AgentAnomalyDetected", Time: t0, Data: map[string]any{"kind": "burst", "severity": "critical"}}
	if got := NewEvaluator().Observe(rules, f, t0); len(got) != 0 {
		t.Fatalf("silenced: %+v", got)
	}
	if got := NewEvaluator().Observe(rules, f, t0.Add(2*time.Hour)); len(got) != 1 || got[0].Severity != "critical" {
		t.Fatalf("after the silence: %+v", got)
	}
	f.Data["kind"] = "new_tool"
	if got := NewEvaluator().Observe(rules, f, t0); len(got) != 1 {
		t.Fatalf("another kind: %+v", got)
	}
}

func TestCheck_NamesTheField(t *testing.T) {
	types := []string{"com.astra.gateway.RequestBlocked"}
	for _, c := range []struct {
		r     Rule
		field string
	}{
		{Rule{Name: "x", EventType: "com.astra.iam.UserCreated"}, "event_type"},
		{Rule{Name: "x", EventType: "com.astra.gateway.RequestBlocked", Match: map[string]string{"a": "~("}}, "match.a"},
		{Rule{Name: "x", EventType: "com.astra.gateway.RequestBlocked", GroupBy: []string{"a b"}}, "group_by[0]"},
		{Rule{Name: "x", EventType: "com.astra.gateway.RequestBlocked", Severity: "urgent"}, "severity"},
		{Rule{Name: "x", EventType: "com.astra.gateway.RequestBlocked", Threshold: -1}, "threshold"},
	} {
		if err := Check(&c.r, types); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: %v, want it to name %s", c.r, err, c.field)
		}
	}
}
