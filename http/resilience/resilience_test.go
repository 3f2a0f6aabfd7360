package resilience_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/resilience"

type impact struct {
	AssetID    string   `json:"asset_id"`
	CausedBy   []string `json:"caused_by"`
	PBreachRTO *float64 `json:"p_breach_rto"`
	PBreachRPO *float64 `json:"p_breach_rpo"`
	Downtime   struct {
		Mean float64 `json:"mean"`
		P99  float64 `json:"p99"`
	} `json:"downtime_seconds"`
	DataLoss *struct {
		Mean float64 `json:"mean"`
	} `json:"data_loss_seconds"`
}

type simulation struct {
	ID         string `json:"id"`
	ScenarioID string `json:"scenario_id"`
	Iterations int    `json:"iterations"`
	Results    struct {
		Impacted       []impact `json:"impacted"`
		ImpactedTotal  int      `json:"impacted_total"`
		WithObjectives int      `json:"with_objectives"`
		Score          float64  `json:"score"`
	} `json:"results"`
}

func asset(t *testing.T, in *testkit.Instance, token, name, typ string) string {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/cybertwins/assets", token, map[string]any{"name": name, "type": typ})
	if r.Status != http.StatusCreated {
		t.Fatalf("asset: %d %s", r.Status, r.Body)
	}
	var a struct {
		ID string `json:"id"`
	}
	r.Data(t, &a)
	return a.ID
}

func TestResilience_ScenariosSimulatedOverTheTwinFeedTheTrustScore(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, viewer := in.SignIn(t, admin, "viewer@res.test", "viewer")
	_, developer := in.SignIn(t, admin, "dev@res.test", "developer")

	// The graph is CyberTwins': an app calls a service that calls an LLM provider; a vector store holds documents.
	app, svc, llm := asset(t, in, admin, "checkout", "application"), asset(t, in, admin, "assistant", "service"), asset(t, in, admin, "openai", "provider")
	store, docs := asset(t, in, admin, "pgvector", "vector_store"), asset(t, in, admin, "kb", "dataset")
	for _, l := range [][3]string{{app, svc, "calls"}, {svc, llm, "calls"}, {store, docs, "stores"}, {svc, docs, "connects_to"}} {
		if r := in.Do(t, http.MethodPost, "/api/v1/cybertwins/relationships", admin, map[string]any{"source": l[0], "target": l[1], "type": l[2], "exploitability": 0.5}); r.Status != http.StatusCreated {
			t.Fatalf("link: %d %s", r.Status, r.Body)
		}
	}

	// Objectives: on assets of the twin only.
	r := in.Do(t, http.MethodPut, api+"/objectives/"+app, admin, map[string]any{"rto_seconds": 200, "rpo_seconds": 0})
	if r.Status != http.StatusOK {
		t.Fatalf("objective: %d %s", r.Status, r.Body)
	}
	in.Do(t, http.MethodPut, api+"/objectives/"+docs, admin, map[string]any{"rto_seconds": 3600, "rpo_seconds": 250})
	if r := in.Do(t, http.MethodPut, api+"/objectives/"+"0190a0a0-0000-7000-8000-000000000000", admin, map[string]any{"rto_seconds": 1, "rpo_seconds": 1}); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "RES-005" {
		t.Fatalf("objective of no asset: %d %s", r.Status, r.Body)
	}
	if r := in.DoRaw(t, http.MethodPut, api+"/objectives/"+app, admin, map[string]any{"rto_seconds": 1, "rpo": 1}); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "rpo") {
		t.Fatalf("unknown field: %d %s", r.Status, r.Body)
	}
	if p := testkit.GetPage[struct{ ServiceID string }](t, in, api+"/objectives", viewer); len(p.Data) != 2 {
		t.Fatalf("objectives: %+v", p.Data)
	}

	// The provider down for PERT(100, 200, 300) s: the app breaches its 200 s RTO half the time.
	var sc struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	r = in.Do(t, http.MethodPost, api+"/scenarios", admin, map[string]any{"name": "provider down",
		"disruptions": []map[string]any{{"asset_id": llm, "kind": "outage", "recovery": map[string]any{"model": "pert", "min": 100, "mode": 200, "max": 300}}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("scenario: %d %s", r.Status, r.Body)
	}
	r.Data(t, &sc)
	var sim simulation
	r = in.Do(t, http.MethodPost, api+"/scenarios/"+sc.ID+"/simulate", admin, map[string]any{"iterations": 20000, "seed": 42})
	if r.Status != http.StatusCreated {
		t.Fatalf("simulate: %d %s", r.Status, r.Body)
	}
	r.Data(t, &sim)
	if sim.Results.ImpactedTotal != 3 || sim.Results.WithObjectives != 1 || sim.Results.Impacted[0].AssetID != app ||
		math.Abs(*sim.Results.Impacted[0].PBreachRTO-0.5) > 0.02 || math.Abs(sim.Results.Score-50) > 2 {
		t.Fatalf("provider down: %+v", sim.Results)
	}
	var again simulation
	in.Do(t, http.MethodGet, api+"/simulations/"+sim.ID, viewer, nil).Data(t, &again)
	if again.Results.Score != sim.Results.Score || again.Iterations != 20000 {
		t.Fatalf("recorded: %+v", again)
	}

	// The store corrupted, saved hourly: the documents lose data past their 250 s RPO most of the time.
	r = in.Do(t, http.MethodPatch, api+"/scenarios/"+sc.ID, admin, map[string]any{"name": "store corrupted",
		"disruptions": []map[string]any{{"asset_id": store, "kind": "corruption", "backup_interval_seconds": 3600,
			"recovery": map[string]any{"model": "lognormal", "low": 60, "high": 600}}}}, "If-Match", `"1"`)
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPatch, api+"/scenarios/"+sc.ID, admin, map[string]any{"name": "stale"}, "If-Match", `"1"`); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", r.Status, r.Body)
	}
	in.Do(t, http.MethodPost, api+"/scenarios/"+sc.ID+"/simulate", admin, map[string]any{"seed": 7}).Data(t, &sim)
	var kb *impact
	for i := range sim.Results.Impacted {
		if sim.Results.Impacted[i].AssetID == docs {
			kb = &sim.Results.Impacted[i]
		}
	}
	// P(uniform over 3,600 s > 250 s) ≈ 0.93.
	if kb == nil || kb.PBreachRPO == nil || math.Abs(*kb.PBreachRPO-(1-250.0/3600)) > 0.02 || kb.DataLoss == nil || sim.Iterations != 10000 {
		t.Fatalf("corruption: %+v", sim.Results)
	}

	// The simulations feed the resilience pillar.
	testkit.Eventually(t, 15*time.Second, "resilience signals of the simulations", func() bool {
		var sig []struct {
			Source string  `json:"source"`
			Score  float64 `json:"score"`
		}
		in.Do(t, http.MethodGet, "/api/v1/trust/signals?pillar=resilience&limit=100", admin, nil).Data(t, &sig)
		n := 0
		for _, s := range sig {
			if s.Source == "com.astra.resilience.SimulationCompleted" {
				n++
			}
		}
		return n == 2
	})

	// Bad input, denial paths, tenant isolation.
	for name, c := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"bad pert":      {map[string]any{"name": "x", "disruptions": []map[string]any{{"asset_id": llm, "kind": "outage", "recovery": map[string]any{"model": "pert", "min": 5, "mode": 1, "max": 9}}}}, 422, "RES-002"},
		"no asset":      {map[string]any{"name": "x", "disruptions": []map[string]any{{"asset_id": "0190a0a0-0000-7000-8000-000000000000", "kind": "outage", "recovery": map[string]any{"model": "pert", "min": 1, "mode": 2, "max": 3}}}}, 422, "RES-002"},
		"unknown kind":  {map[string]any{"name": "x", "disruptions": []map[string]any{{"asset_id": llm, "kind": "flood", "recovery": map[string]any{"model": "pert", "min": 1, "mode": 2, "max": 3}}}}, 400, "VAL-001"},
		"no disruption": {map[string]any{"name": "x", "disruptions": []any{}}, 400, "VAL-001"},
	} {
		if r := in.Do(t, http.MethodPost, api+"/scenarios", admin, c.body); r.Status != c.status || r.Problem(t).ErrorCode != c.code {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodPost, api+"/scenarios/"+sc.ID+"/simulate", admin, map[string]any{"iterations": 5}); r.Status != http.StatusBadRequest {
		t.Fatalf("5 iterations: %d", r.Status)
	}
	for _, p := range []string{"/objectives", "/scenarios", "/scenarios/" + sc.ID, "/simulations", "/simulations/" + sim.ID} {
		if r := in.Do(t, http.MethodGet, api+p, developer, nil); r.Status != http.StatusForbidden {
			t.Fatalf("developer (no resilience:read) GET %s: %d", p, r.Status)
		}
	}
	for _, w := range []struct{ method, path string }{{"POST", "/scenarios"}, {"PUT", "/objectives/" + app}, {"POST", "/scenarios/" + sc.ID + "/simulate"},
		{"PATCH", "/scenarios/" + sc.ID}, {"DELETE", "/scenarios/" + sc.ID}} {
		if r := in.DoRaw(t, w.method, api+w.path, viewer, map[string]any{"name": "x"}); r.Status != http.StatusForbidden {
			t.Fatalf("viewer %s %s: %d", w.method, w.path, r.Status)
		}
	}
	_, other := in.NewTenant(t, admin, "Mike")
	for _, p := range []string{"/scenarios/" + sc.ID, "/simulations/" + sim.ID} {
		if r := in.Do(t, http.MethodGet, api+p, other, nil); r.Status != http.StatusNotFound {
			t.Fatalf("cross-tenant GET %s: %d", p, r.Status)
		}
	}
	if r := in.Do(t, http.MethodPost, api+"/scenarios/"+sc.ID+"/simulate", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant simulate: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPut, api+"/objectives/"+app, other, map[string]any{"rto_seconds": 1, "rpo_seconds": 1}); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant objective: %d", r.Status)
	}
	if r := in.Do(t, http.MethodDelete, api+"/scenarios/"+sc.ID, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/scenarios/"+sc.ID, admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("deleted scenario: %d", r.Status)
	}
	if items, _ := testkit.Walk[simulation](t, in, api+"/simulations?limit=1&scenario_id="+sc.ID, admin); len(items) != 2 {
		t.Fatalf("simulations of the deleted scenario: %d", len(items))
	}
}
