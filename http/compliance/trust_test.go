package compliance_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestCompliance_CompletingAnAssessmentMovesTheCompliancePillar: the
// compliance pillar reads unknown until an assessment completes; then the
// trust reactor scores it at once and trust.score.updated reaches a live
// subscriber, with the pillar at the assessment's score.
func TestCompliance_CompletingAnAssessmentMovesTheCompliancePillar(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.TrustRecalcInterval = 24 * time.Hour // only the reactor can score within this test
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)

	pillar := func() map[string]any {
		var sc struct {
			Pillars map[string]any `json:"pillars"`
		}
		in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", admin, nil).Data(t, &sc)
		p, _ := sc.Pillars["compliance"].(map[string]any)
		return p
	}
	if p := pillar(); p == nil || p["status"] != "unknown" {
		t.Fatalf("compliance pillar known before any assessment: %v", p)
	}

	ws := in.DialWS(t, admin)
	ws.Subscribe("", "trust.score.updated")

	var a struct {
		ID string `json:"id"`
	}
	in.Do(t, http.MethodPost, api+"/assessments", admin, map[string]string{"framework_id": "owasp-llm-top10-2025", "name": "pillar"}).Data(t, &a)
	for i, rid := range []string{"LLM01:2025", "LLM02:2025", "LLM03:2025", "LLM04:2025"} {
		result := "compliant"
		if i == 3 {
			result = "non_compliant"
		}
		if r := in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/"+url.PathEscape(rid), admin, map[string]any{"result": result}); r.Status != http.StatusOK {
			t.Fatalf("assess %s: %d %s", rid, r.Status, r.Body)
		}
	}
	var done struct {
		Score float64 `json:"score"`
	}
	r := in.Do(t, http.MethodPost, api+"/assessments/"+a.ID+"/complete", admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.Status, r.Body)
	}
	r.Data(t, &done)

	evs := ws.Events(15*time.Second, func(e []map[string]any) bool {
		for _, x := range e {
			if d, ok := x["data"].(map[string]any); ok && x["type"] == "com.astra.trust.ScoreUpdated" {
				if p, _ := d["pillars"].(map[string]any); p["compliance"] != nil {
					return true
				}
			}
		}
		return false
	})
	var got map[string]any
	for _, x := range evs {
		if d, ok := x["data"].(map[string]any); ok && x["type"] == "com.astra.trust.ScoreUpdated" {
			got = d
		}
	}
	if got == nil {
		t.Fatalf("no trust.score.updated with the compliance pillar within 15 s: %v", evs)
	}
	p := pillar()
	if p == nil || p["status"] != "known" {
		t.Fatalf("compliance pillar still unknown after the assessment: %v (event %v)", p, got)
	}
	// Three of the ten risks compliant, one not, six unassessed (which count
	// against): 30, on the dashboard's pillar and in the event.
	if s, _ := p["score"].(float64); s != 30 || done.Score != 30 {
		t.Fatalf("compliance pillar score %v (assessment %v)", p["score"], done.Score)
	}
	if pillars, _ := got["pillars"].(map[string]any); pillars["compliance"] != 30.0 {
		t.Fatalf("trust.score.updated pillars: %v", got)
	}
}
