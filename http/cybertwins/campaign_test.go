package cybertwins_test

import (
	"net/http"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

type campaign struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Result struct {
		Steps []struct {
			TechniqueID string `json:"technique_id"`
			Name        string `json:"name"`
			Outcome     string `json:"outcome"`
			Defences    []struct {
				Kind   string `json:"kind"`
				ID     string `json:"id"`
				Effect string `json:"effect"`
			} `json:"defences"`
		} `json:"steps"`
		StoppedAt   *int    `json:"stopped_at"`
		GetsThrough bool    `json:"gets_through"`
		Coverage    float64 `json:"coverage"`
	} `json:"result"`
}

// TestCampaign_CoverageComesFromTheTenantsRealGuardrails: a campaign's steps
// are met by the tenant's enabled AEGIS guardrails as configured now;
// enabling, changing or disabling a guardrail changes the result.
func TestCampaign_CoverageComesFromTheTenantsRealGuardrails(t *testing.T) {
	in := testkit.Start(t, config(t))
	admin := in.AdminToken(t)
	steps := []string{"AML.T0040", "AML.T0053", "AML.T0029"}
	simulate := func(token string) campaign {
		t.Helper()
		r := in.Do(t, http.MethodPost, api+"/campaigns", token, map[string]any{"name": "tool abuse", "techniques": steps})
		if r.Status != http.StatusCreated {
			t.Fatalf("simulate: %d %s", r.Status, r.Body)
		}
		var c campaign
		r.Data(t, &c)
		return c
	}
	outcome := func(c campaign, i int) string { return c.Result.Steps[i].Outcome }

	before := simulate(admin)
	if outcome(before, 1) != "undetected" || before.Result.Steps[1].Name != "AI Agent Tool Invocation" {
		t.Fatalf("before any guardrail: %+v", before.Result.Steps[1])
	}

	// A tool allow-list guardrail that alerts detects the plugin step.
	r := in.Do(t, http.MethodPost, "/api/v1/aegis/guardrails", admin, map[string]any{"name": "tools", "type": "tool_allowlist",
		"config": map[string]any{"tools": []string{"search"}}, "action": "alert"})
	if r.Status != http.StatusCreated {
		t.Fatalf("guardrail: %d %s", r.Status, r.Body)
	}
	var g struct {
		ID string `json:"id"`
	}
	r.Data(t, &g)
	alerting := simulate(admin)
	if outcome(alerting, 1) != "detected" || alerting.Result.Steps[1].Defences[0].ID != g.ID || alerting.Result.Coverage <= before.Result.Coverage {
		t.Fatalf("with an alerting guardrail: %+v", alerting.Result)
	}

	// Changed to block: the campaign is stopped at that step.
	if r := in.Do(t, http.MethodPatch, "/api/v1/aegis/guardrails/"+g.ID, admin, map[string]any{"action": "block"}); r.Status != http.StatusOK {
		t.Fatalf("patch guardrail: %d %s", r.Status, r.Body)
	}
	blocking := simulate(admin)
	if outcome(blocking, 1) != "stopped" || blocking.Result.GetsThrough || blocking.Result.StoppedAt == nil || *blocking.Result.StoppedAt != 1 {
		t.Fatalf("with a blocking guardrail: %+v", blocking.Result)
	}

	// Disabled: the step is open again.
	if r := in.Do(t, http.MethodPost, "/api/v1/aegis/guardrails/"+g.ID+"/disable", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	disabled := simulate(admin)
	if outcome(disabled, 1) != "undetected" {
		t.Fatalf("with the guardrail disabled: %+v", disabled.Result.Steps[1])
	}

	// Recorded and readable; another tenant sees neither the campaign nor the guardrail.
	var got campaign
	in.Do(t, http.MethodGet, api+"/campaigns/"+blocking.ID, admin, nil).Data(t, &got)
	if got.Result.Steps[1].Outcome != "stopped" {
		t.Fatalf("recorded: %+v", got)
	}
	if items, _ := testkit.Walk[campaign](t, in, api+"/campaigns?limit=3", admin); len(items) != 4 {
		t.Fatalf("%d campaigns", len(items))
	}
	_, other := in.NewTenant(t, admin, "Lima")
	if r := in.Do(t, http.MethodGet, api+"/campaigns/"+blocking.ID, other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant campaign: %d", r.Status)
	}
	if c := simulate(other); outcome(c, 1) != "undetected" {
		t.Fatalf("another tenant met by this tenant's guardrail: %+v", c.Result.Steps[1])
	}
	if n := ceTypes(t, in)["CampaignSimulated"]; n != 5 {
		t.Fatalf("%d CampaignSimulated", n)
	}
}
