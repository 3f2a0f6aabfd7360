package platformmod_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

type run struct {
	ID          string `json:"id"`
	WorkflowID  string `json:"workflow_id"`
	TriggerType string `json:"trigger_type"`
	Subject     string `json:"subject"`
	Status      string `json:"status"`
	Role        string `json:"role"`
	Escalated   bool   `json:"escalated"`
	Summary     string `json:"summary"`
	Decisions   []struct {
		Decision string `json:"decision"`
		By       string `json:"by"`
	} `json:"decisions"`
}

func workflow(t *testing.T, in *testkit.Instance, token string, body map[string]any) string {
	t.Helper()
	r := in.Do(t, http.MethodPost, api+"/workflows", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("workflow: %d %s", r.Status, r.Body)
	}
	var w struct {
		ID string `json:"id"`
	}
	r.Data(t, &w)
	return w.ID
}

func runsOf(t *testing.T, in *testkit.Instance, token, workflowID string) []run {
	t.Helper()
	return testkit.GetPage[run](t, in, api+"/workflows/"+workflowID+"/runs", token).Data
}

// risky creates a risk as token, models it and simulates it; it answers its id.
func risky(t *testing.T, in *testkit.Instance, token, title string, low, high float64) string {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", token, map[string]any{"title": title, "owner": "ciso", "likelihood": 3, "impact": 4, "treatment": "mitigate"})
	if r.Status != http.StatusCreated {
		t.Fatalf("risk: %d %s", r.Status, r.Body)
	}
	var x struct {
		ID string `json:"id"`
	}
	r.Data(t, &x)
	fair := map[string]any{"frequency": map[string]any{"model": "poisson", "rate": 1}, "vulnerability": 1,
		"primary_loss": map[string]any{"model": "lognormal", "low": low, "high": high}}
	if r := in.Do(t, http.MethodPut, "/api/v1/risk/risks/"+x.ID+"/fair", token, fair); r.Status != http.StatusOK {
		t.Fatalf("fair: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks/"+x.ID+"/simulate", token, map[string]any{"iterations": 5000, "seed": 1}); r.Status != http.StatusCreated {
		t.Fatalf("simulate: %d %s", r.Status, r.Body)
	}
	return x.ID
}

// TestWorkflows_RiskAcceptanceAboveALENeedsASecondApprover: accepting a
// risk whose simulated ALE is above the threshold starts a run; its
// requester cannot approve it (four eyes), another risk manager can; a
// risk below the threshold, or not accepted, starts nothing.
func TestWorkflows_RiskAcceptanceAboveALENeedsASecondApprover(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, rm1 := in.SignIn(t, admin, "rm1@flows.test", "risk_manager")
	_, rm2 := in.SignIn(t, admin, "rm2@flows.test", "risk_manager")
	_, dev := in.SignIn(t, admin, "dev@flows.test", "developer")
	wf := workflow(t, in, admin, map[string]any{"name": "Risk acceptance over $50k", "trigger": "com.astra.risk.RiskUpdated",
		"conditions": []map[string]string{{"field": "treatment", "equals": "accept"}}, "min_ale": 50000, "approver_role": "risk_manager",
		"timeout_seconds": 3600})

	big := risky(t, in, rm1, "Model theft", 100000, 1000000)
	small := risky(t, in, rm1, "Typo in a prompt", 10, 100)
	for _, id := range []string{small, big} {
		if r := in.Do(t, http.MethodPatch, "/api/v1/risk/risks/"+id, rm1, map[string]any{"treatment": "accept"}); r.Status != http.StatusOK {
			t.Fatalf("accept: %d %s", r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodPatch, "/api/v1/risk/risks/"+big, rm1, map[string]any{"owner": "cfo"}); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	var x run
	testkit.Eventually(t, 20*time.Second, "a run for the accepted high-ALE risk", func() bool {
		rs := runsOf(t, in, admin, wf)
		if len(rs) > 0 {
			x = rs[0]
		}
		return len(rs) > 0
	})
	time.Sleep(time.Second)
	if rs := runsOf(t, in, admin, wf); len(rs) != 1 || x.Subject != big || x.Status != "pending" || !strings.Contains(x.Summary, "ALE") {
		t.Fatalf("runs %+v", rs)
	}
	// Four eyes; the role; the permission.
	r := in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/approve", rm1, nil)
	if p := r.Problem(t); r.Status != http.StatusForbidden || p.ErrorCode != "PLT-016" {
		t.Fatalf("requester approves: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/approve", dev, nil); r.Status != http.StatusForbidden {
		t.Fatalf("developer approves: %d", r.Status)
	}
	r = in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/approve", rm2, map[string]string{"comment": "insured"})
	var done run
	r.Data(t, &done)
	if r.Status != http.StatusOK || done.Status != "approved" || len(done.Decisions) != 1 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/reject", rm2, nil); r.Status != http.StatusConflict {
		t.Fatalf("reject after approval: %d", r.Status)
	}
	// The steps reached the notifications.
	testkit.Eventually(t, 15*time.Second, "approval notifications", func() bool {
		n := 0
		for _, x := range testkit.GetPage[notification](t, in, api+"/notifications", rm2).Data {
			if strings.HasPrefix(x.SourceType, "com.astra.platform.Workflow") {
				n++
			}
		}
		return n >= 2
	})
	// Another tenant sees and decides nothing.
	_, other := in.NewTenant(t, admin, "Flowsother")
	if r := in.Do(t, http.MethodGet, api+"/workflow-runs/"+x.ID, other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant reads the run: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/approve", other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant approves: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/workflows/"+wf+"/runs", other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant lists runs: %d", r.Status)
	}
	for _, c := range []struct {
		body map[string]any
		code int
		in   string
	}{
		{map[string]any{"name": "x", "trigger": "com.astra.risk.*", "approver_role": "risk_manager"}, 422, "trigger"},
		{map[string]any{"name": "x", "trigger": "com.astra.risk.RiskUpdated", "approver_role": "Risk Manager!"}, 422, "approver_role"},
		{map[string]any{"name": "x", "trigger": "com.astra.risk.RiskUpdated", "approver_role": "risk_manager", "approvals": 9}, 400, "approvals"},
		{map[string]any{"name": "x", "trigger": "com.astra.risk.RiskUpdated", "approver_role": "risk_manager", "when": "always"}, 400, "when"},
	} {
		r := in.Do(t, http.MethodPost, api+"/workflows", admin, c.body)
		if r.Status != c.code || !strings.Contains(string(r.Body), c.in) {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodPost, api+"/workflows", rm1, map[string]any{"name": "x", "trigger": "com.astra.risk.RiskUpdated", "approver_role": "risk_manager"}); r.Status != http.StatusForbidden {
		t.Errorf("risk manager defines a workflow: %d", r.Status)
	}
	rebuiltIdentical(t, in)
}

// TestWorkflows_GuardrailDisabledEscalatesOnTimeout: disabling a guardrail
// starts a run for security admins; nobody decides within the timeout, so
// it escalates to platform admins, and a platform admin rejects it.
func TestWorkflows_GuardrailDisabledEscalatesOnTimeout(t *testing.T) {
	scan := app.PlatformWorkflowScan
	app.PlatformWorkflowScan = 200 * time.Millisecond
	t.Cleanup(func() { app.PlatformWorkflowScan = scan })
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, sec := in.SignIn(t, admin, "sec@flows.test", "security_admin")
	_, boss := in.SignIn(t, admin, "boss@flows.test", "platform_admin")
	wf := workflow(t, in, admin, map[string]any{"name": "Guardrail off", "trigger": "com.astra.aegis.GuardrailDisabled", "approver_role": "security_admin",
		"timeout_seconds": 1, "escalation_role": "platform_admin", "escalation_timeout_seconds": 3600})
	r := in.Do(t, http.MethodPost, "/api/v1/aegis/guardrails", sec, map[string]any{"name": "no secrets", "type": "keyword",
		"config": map[string]any{"keywords": []string{"password"}}, "action": "block"})
	if r.Status != http.StatusCreated {
		t.Fatalf("guardrail: %d %s", r.Status, r.Body)
	}
	var g struct {
		ID string `json:"id"`
	}
	r.Data(t, &g)
	if r := in.Do(t, http.MethodPost, "/api/v1/aegis/guardrails/"+g.ID+"/disable", sec, nil); r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	var x run
	testkit.Eventually(t, 30*time.Second, "the run escalated to platform admins", func() bool {
		rs := runsOf(t, in, admin, wf)
		if len(rs) > 0 {
			x = rs[0]
		}
		return len(rs) == 1 && x.Escalated
	})
	if x.Role != "platform_admin" || x.Status != "pending" || x.Subject != g.ID {
		t.Fatalf("escalated run %+v", x)
	}
	_, sec2 := in.SignIn(t, admin, "sec2@flows.test", "security_admin")
	if r := in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/approve", sec2, nil); r.Status != http.StatusForbidden {
		t.Fatalf("security admin approves after escalation: %d", r.Status)
	}
	r = in.Do(t, http.MethodPost, api+"/workflow-runs/"+x.ID+"/reject", boss, map[string]string{"comment": "turn it back on"})
	var done run
	r.Data(t, &done)
	if r.Status != http.StatusOK || done.Status != "rejected" {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	// Without an escalation role a run times out.
	wf2 := workflow(t, in, admin, map[string]any{"name": "Guardrail on", "trigger": "com.astra.aegis.GuardrailEnabled", "approver_role": "security_admin",
		"timeout_seconds": 1})
	if r := in.Do(t, http.MethodPost, "/api/v1/aegis/guardrails/"+g.ID+"/enable", sec, nil); r.Status != http.StatusOK {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 30*time.Second, "the run timed out", func() bool {
		rs := runsOf(t, in, admin, wf2)
		return len(rs) == 1 && rs[0].Status == "timed_out"
	})
}
