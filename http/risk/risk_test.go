package risk_test

import (
	"math"
	"net/http"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

func TestRisk_RegisterFairAndSimulation(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "Prompt injection exfiltrates customer data",
		"owner": "ciso", "likelihood": 4, "impact": 5, "treatment": "mitigate", "threats": []string{"LLM01:2025", "AML.T0051"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var risk struct {
		ID      string `json:"id"`
		Level   string `json:"level"`
		Version int64  `json:"version"`
	}
	r.Data(t, &risk)
	if risk.Level != "critical" {
		t.Fatalf("level %s", risk.Level)
	}
	fair := map[string]any{"frequency": map[string]any{"model": "poisson", "rate": 0.1}, "vulnerability": 1,
		"primary_loss": map[string]any{"model": "lognormal", "low": 100000, "high": 1000000}}
	if st := in.Do(t, http.MethodPut, "/api/v1/risk/risks/"+risk.ID+"/fair", admin, fair, "If-Match", `"1"`); st.Status != http.StatusOK {
		t.Fatalf("fair: %d %s", st.Status, st.Body)
	}
	if st := in.Do(t, http.MethodPatch, "/api/v1/risk/risks/"+risk.ID, admin, map[string]any{"owner": "x"}, "If-Match", `"1"`); st.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale: %d", st.Status)
	}
	sim := in.Do(t, http.MethodPost, "/api/v1/risk/risks/"+risk.ID+"/simulate", admin, map[string]any{"iterations": 100000, "seed": 7})
	if sim.Status != http.StatusCreated {
		t.Fatalf("simulate: %d %s", sim.Status, sim.Body)
	}
	var out struct {
		ID      string `json:"id"`
		Results struct {
			MeanALE float64 `json:"mean_ale"`
			P99     float64 `json:"p99"`
			LEC     []struct {
				Loss        float64 `json:"loss"`
				Probability float64 `json:"probability"`
			} `json:"loss_exceedance_curve"`
		} `json:"results"`
	}
	sim.Data(t, &out)
	if math.Abs(out.Results.MeanALE-40400)/40400 > 0.01 || len(out.Results.LEC) == 0 {
		t.Fatalf("results: %+v", out.Results)
	}
	if g := in.Do(t, http.MethodGet, "/api/v1/risk/simulations/"+out.ID, admin, nil); g.Status != http.StatusOK {
		t.Fatalf("get simulation: %d", g.Status)
	}
	if h := in.Do(t, http.MethodGet, "/api/v1/risk/heatmap", admin, nil); h.Status != http.StatusOK {
		t.Fatalf("heatmap: %d", h.Status)
	}
	if p := in.Do(t, http.MethodPost, "/api/v1/risk/portfolio/simulate", admin, map[string]any{"iterations": 10000}); p.Status != http.StatusCreated {
		t.Fatalf("portfolio: %d %s", p.Status, p.Body)
	}
	// Tenant isolation and permissions.
	_, other := in.NewTenant(t, admin, "Delta")
	if g := in.Do(t, http.MethodGet, "/api/v1/risk/risks/"+risk.ID, other, nil); g.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant read: %d", g.Status)
	}
	if g := in.Do(t, http.MethodGet, "/api/v1/risk/simulations/"+out.ID, other, nil); g.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant simulation: %d", g.Status)
	}
	// Threat catalogue: built-in entries plus the tenant's own, not another tenant's.
	if r := in.Do(t, http.MethodPost, "/api/v1/risk/threats", admin, map[string]any{"name": "Vendor model swap", "category": "supply chain"}); r.Status != http.StatusCreated {
		t.Fatalf("add threat: %d %s", r.Status, r.Body)
	}
	var threats []map[string]any
	in.Do(t, http.MethodGet, "/api/v1/risk/threats", admin, nil).Data(t, &threats)
	names := map[string]bool{}
	for _, th := range threats {
		names[th["id"].(string)+"|"+th["name"].(string)] = true
	}
	if !names["LLM01:2025|Prompt Injection"] || !names["AML.T0051|LLM Prompt Injection"] || len(threats) != 23 {
		t.Fatalf("threats: %d", len(threats))
	}
	var otherThreats []map[string]any
	in.Do(t, http.MethodGet, "/api/v1/risk/threats", other, nil).Data(t, &otherThreats)
	if len(otherThreats) != 22 {
		t.Fatalf("other tenant sees %d threats", len(otherThreats))
	}
	// A viewer reads the register but cannot change it.
	in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": "rv@risk.test", "name": "v", "role": "viewer", "password": "viewer-password-1"})
	viewer := in.Login(t, "rv@risk.test", "viewer-password-1")
	if r := in.Do(t, http.MethodGet, "/api/v1/risk/risks", viewer, nil); r.Status != http.StatusOK {
		t.Fatalf("viewer read: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", viewer, map[string]any{"title": "x", "likelihood": 1, "impact": 1}); r.Status != http.StatusForbidden {
		t.Fatalf("viewer write: %d", r.Status)
	}
	bad := map[string]any{"frequency": map[string]any{"model": "poisson", "rate": 1}, "vulnerability": 2,
		"primary_loss": map[string]any{"model": "lognormal", "low": 10, "high": 100}}
	if b := in.Do(t, http.MethodPut, "/api/v1/risk/risks/"+risk.ID+"/fair", admin, bad); b.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid fair: %d %s", b.Status, b.Body)
	}
}
