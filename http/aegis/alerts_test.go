package aegis_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type alertOut struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Severity   string            `json:"severity"`
	Status     string            `json:"status"`
	Source     string            `json:"source"`
	EventType  string            `json:"event_type"`
	RuleID     string            `json:"rule_id"`
	DedupKey   string            `json:"dedup_key"`
	Labels     map[string]string `json:"labels"`
	Count      int               `json:"count"`
	Occurrence int               `json:"occurrence"`
	Assignee   string            `json:"assignee"`
	Resolution string            `json:"resolution"`
}

func alerts(t *testing.T, in *testkit.Instance, token, query string) []alertOut {
	t.Helper()
	out, _ := testkit.Walk[alertOut](t, in, api+"/alerts?limit=50"+query, token)
	return out
}

func awaitAlert(t *testing.T, in *testkit.Instance, token, query string, ok func(alertOut) bool) alertOut {
	t.Helper()
	var got alertOut
	testkit.Eventually(t, 15*time.Second, "an alert "+query, func() bool {
		for _, a := range alerts(t, in, token, query) {
			if ok(a) {
				got = a
				return true
			}
		}
		return false
	})
	return got
}

// TestAegis_AlertsFromDetectorsAndRules: a quarantine raises the built-in
// detector's alert, which goes through its lifecycle; a tenant's rule (event
// type and fields, threshold in a window, group-by) raises its own alert and
// groups later occurrences into it; silences mute; alerts feed the trust
// score's security pillar.
func TestAegis_AlertsFromDetectorsAndRules(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	sec := user(t, in, admin, "sec@alerts.test", "security_admin")
	dev := user(t, in, admin, "dev@alerts.test", "developer")

	// A built-in detector: containment raises a high alert about the agent.
	a := register(t, in, sec, "alerted-bot")
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/quarantine", sec, map[string]string{"reason": "odd hours"}), http.StatusOK)
	q := awaitAlert(t, in, sec, "&source=aegis", func(x alertOut) bool { return x.RuleID == "builtin.agent_quarantined" })
	if q.Severity != "high" || q.Status != "open" || q.Labels["agent_id"] != a.ID || !strings.Contains(q.Title, "odd hours") {
		t.Fatalf("quarantine alert %+v", q)
	}
	if got := alerts(t, in, sec, "&agent_id="+a.ID); len(got) != 1 {
		t.Fatalf("alerts of the agent %+v", got)
	}

	// Lifecycle: acknowledge, assign, resolve; a resolved alert is not acknowledged again.
	r := in.Do(t, http.MethodPost, api+"/alerts/"+q.ID+"/acknowledge", sec, map[string]string{"note": "looking"})
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &q)
	if q.Status != "acknowledged" {
		t.Fatalf("acknowledged %+v", q)
	}
	if r := in.Do(t, http.MethodPost, api+"/alerts/"+q.ID+"/assign", sec, map[string]string{}); r.Status != http.StatusBadRequest {
		t.Fatalf("assign without assignee: %d", r.Status)
	}
	in.Do(t, http.MethodPost, api+"/alerts/"+q.ID+"/assign", sec, map[string]string{"assignee": "oncall@alerts.test"}).Data(t, &q)
	in.Do(t, http.MethodPost, api+"/alerts/"+q.ID+"/resolve", sec, map[string]string{"resolution": "false_positive"}).Data(t, &q)
	if q.Status != "resolved" || q.Assignee != "oncall@alerts.test" || q.Resolution != "false_positive" {
		t.Fatalf("resolved %+v", q)
	}
	wantProblem(t, in.Do(t, http.MethodPost, api+"/alerts/"+q.ID+"/acknowledge", sec, nil), http.StatusConflict, "AEG-010")
	if r := in.DoRaw(t, http.MethodPost, api+"/alerts/"+q.ID+"/acknowledge", dev, nil); r.Status != http.StatusForbidden {
		t.Fatalf("developer acknowledges: %d", r.Status)
	}
	_, other := in.NewTenant(t, admin, "AlertsElsewhere")
	wantProblem(t, in.Do(t, http.MethodGet, api+"/alerts/"+q.ID, other, nil), http.StatusNotFound, "AEG-009")
	if len(alerts(t, in, other, "")) != 0 {
		t.Fatal("another tenant lists this tenant's alerts")
	}

	// A rule: two guardrail blocks of one principal within five minutes.
	for _, bad := range []map[string]any{{"name": "x", "event_type": "com.astra.iam.UserCreated"}, {"name": "x", "event_type": "com.astra.gateway.RequestBlocked",
		"match": map[string]string{"blocked_by": "~("}}, {"name": "x", "event_type": "com.astra.gateway.*", "group_by": []string{"not a path"}}} {
		if r := in.Do(t, http.MethodPost, api+"/alert-rules", sec, bad); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
			t.Fatalf("bad rule %v: %d %s", bad, r.Status, r.Body)
		}
	}
	wantProblem(t, in.Do(t, http.MethodPost, api+"/alert-rules", sec, map[string]any{"name": "x", "event_type": "com.astra.iam.UserCreated"}),
		http.StatusUnprocessableEntity, "AEG-012")
	r = in.Do(t, http.MethodPost, api+"/alert-rules", sec, map[string]any{"name": "Repeated guardrail blocks", "event_type": "com.astra.gateway.RequestBlocked",
		"match": map[string]string{"blocked_by": "content_rules"}, "threshold": 2, "window_seconds": 300, "group_by": []string{"principal"},
		"severity": "critical", "title": "Guardrail blocks by {principal}"})
	wantStatus(t, r, http.StatusCreated)
	var rule struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
		Enabled bool   `json:"enabled"`
	}
	r.Data(t, &rule)
	if !rule.Enabled || rule.Version != 1 {
		t.Fatalf("rule %+v", rule)
	}
	if r := in.DoRaw(t, http.MethodPost, api+"/alert-rules", dev, map[string]any{"name": "x", "event_type": "com.astra.gateway.RequestBlocked"}); r.Status != http.StatusForbidden {
		t.Fatalf("developer creates a rule: %d", r.Status)
	}
	wantProblem(t, in.Do(t, http.MethodGet, api+"/alert-rules/"+rule.ID, other, nil), http.StatusNotFound, "AEG-011")
	builtin := testkit.GetPage[struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}](t, in, api+"/alert-rules/builtin", dev)
	if len(builtin.Data) < 8 {
		t.Fatalf("builtin rules %+v", builtin.Data)
	}

	createGuardrail(t, in, sec, map[string]any{"name": "no-secrets", "type": "keyword", "config": map[string]any{"keywords": []string{"launch codes"}}})
	block := func() {
		wantProblem(t, chat(t, in, sec, "what are the launch codes"), http.StatusUnprocessableEntity, "GW-008")
	}
	block()
	time.Sleep(500 * time.Millisecond)
	if got := alerts(t, in, sec, "&severity=critical"); len(got) != 0 {
		t.Fatalf("one block fired a threshold-2 rule: %+v", got)
	}
	block()
	ra := awaitAlert(t, in, sec, "&severity=critical", func(x alertOut) bool { return x.RuleID == rule.ID })
	if ra.Source != "gateway" || ra.EventType != "com.astra.gateway.RequestBlocked" || !strings.HasPrefix(ra.Title, "Guardrail blocks by ") || ra.Count != 2 {
		t.Fatalf("rule alert %+v", ra)
	}
	// Two more: grouped into the open alert, not a second one.
	block()
	block()
	awaitAlert(t, in, sec, "&severity=critical", func(x alertOut) bool { return x.ID == ra.ID && x.Count == 4 })
	if got := alerts(t, in, sec, "&severity=critical"); len(got) != 1 {
		t.Fatalf("grouping: %+v", got)
	}

	// A silence mutes the rule's matching events.
	r = in.Do(t, http.MethodPatch, api+"/alert-rules/"+rule.ID, sec, map[string]any{"silences": []map[string]any{{"match": map[string]string{"blocked_by": "content_rules"},
		"ends_at": time.Now().Add(time.Hour), "comment": "maintenance"}}}, "If-Match", `"1"`)
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, in.Do(t, http.MethodPost, api+"/alerts/"+ra.ID+"/resolve", sec, map[string]string{}), http.StatusOK)
	block()
	block()
	time.Sleep(time.Second)
	if got := alerts(t, in, sec, "&severity=critical&status=open"); len(got) != 0 {
		t.Fatalf("silenced rule fired: %+v", got)
	}

	// Stats.
	var st struct {
		Total          int            `json:"total"`
		ByStatus       map[string]int `json:"by_status"`
		BySource       map[string]int `json:"by_source"`
		OpenBySeverity map[string]int `json:"open_by_severity"`
		MeanAck        *float64       `json:"mean_seconds_to_acknowledge"`
	}
	in.Do(t, http.MethodGet, api+"/alerts/stats", dev, nil).Data(t, &st)
	if st.Total < 2 || st.ByStatus["resolved"] != 2 || st.BySource["gateway"] != 1 || st.BySource["aegis"] != 1 || st.MeanAck == nil {
		t.Fatalf("stats %+v", st)
	}

	// Alerts feed the security pillar.
	sigs, _ := testkit.Walk[struct {
		Source string `json:"source"`
	}](t, in, "/api/v1/trust/signals?pillar=security&limit=200", admin)
	seen := map[string]bool{}
	for _, s := range sigs {
		seen[s.Source] = true
	}
	if !seen["com.astra.aegis.AlertRaised"] || !seen["com.astra.aegis.AgentQuarantined"] {
		t.Fatalf("security signals %v", seen)
	}

	// Delete the rule.
	wantStatus(t, in.Do(t, http.MethodDelete, api+"/alert-rules/"+rule.ID, admin, nil), http.StatusNoContent)
	wantProblem(t, in.Do(t, http.MethodGet, api+"/alert-rules/"+rule.ID, sec, nil), http.StatusNotFound, "AEG-011")
}
