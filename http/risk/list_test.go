package risk_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// item is a list item of the risk module: its id and status.
type item struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func TestRiskList_PagesNewestFirstWithACursorAndTheTotal(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	var ids []string
	for i := range 3 {
		r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": fmt.Sprintf("risk %d", i), "likelihood": 2, "impact": 3})
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var x struct {
			ID string `json:"id"`
		}
		r.Data(t, &x)
		ids = append(ids, x.ID)
	}
	if r := in.Do(t, http.MethodDelete, "/api/v1/risk/risks/"+ids[0], admin, nil); r.Status != http.StatusOK {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}

	first := testkit.GetPage[item](t, in, "/api/v1/risk/risks?limit=2", admin)
	pg := first.Meta.Pagination
	if len(first.Data) != 2 || first.Data[0].ID != ids[2] || first.Data[1].ID != ids[1] || !pg.HasMore || pg.Cursor == "" ||
		pg.Limit != 2 || pg.TotalCount == nil || *pg.TotalCount != 3 {
		t.Fatalf("first page: %+v", first)
	}
	second := testkit.GetPage[item](t, in, "/api/v1/risk/risks?limit=2&cursor="+url.QueryEscape(pg.Cursor), admin)
	pg = second.Meta.Pagination
	if len(second.Data) != 1 || second.Data[0].ID != ids[0] || pg.HasMore || pg.Cursor != "" || pg.TotalCount == nil || *pg.TotalCount != 3 {
		t.Fatalf("second page: %+v", second)
	}
	// The default page is 25; filters narrow the total.
	if all := testkit.GetPage[item](t, in, "/api/v1/risk/risks", admin); len(all.Data) != 3 || all.Meta.Pagination.Limit != 25 || all.Meta.Pagination.HasMore {
		t.Fatalf("default page: %+v", all)
	}
	closed := testkit.GetPage[item](t, in, "/api/v1/risk/risks?status=closed", admin)
	if len(closed.Data) != 1 || closed.Data[0].ID != ids[0] || *closed.Meta.Pagination.TotalCount != 1 {
		t.Fatalf("closed: %+v", closed)
	}
	if open := testkit.GetPage[item](t, in, "/api/v1/risk/risks?status=open&limit=1", admin); len(open.Data) != 1 || *open.Meta.Pagination.TotalCount != 2 || !open.Meta.Pagination.HasMore {
		t.Fatalf("open: %+v", open)
	}

	// Query validation: limit bounds, a foreign cursor, values outside the enums.
	for path, code := range map[string]string{
		"/api/v1/risk/risks?limit=0":                             "VAL-005",
		"/api/v1/risk/risks?limit=201":                           "VAL-005",
		"/api/v1/risk/risks?cursor=not-ours":                     "VAL-006",
		"/api/v1/risk/risks?status=archived":                     "VAL-005",
		"/api/v1/risk/risks?treatment=pray":                      "VAL-005",
		"/api/v1/risk/risks/" + ids[1] + "/simulations?cursor=x": "VAL-006",
	} {
		r := in.Do(t, http.MethodGet, path, admin, nil)
		if r.Status != http.StatusBadRequest || r.Problem(t).ErrorCode != code {
			t.Errorf("%s: %d %s, want 400 %s", path, r.Status, r.Body, code)
		}
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/risk/risks?limit=200", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("limit 200: %d", r.Status)
	}

	// Another tenant's list is empty; no token is 401.
	_, other := in.NewTenant(t, admin, "Zeta")
	if o := testkit.GetPage[item](t, in, "/api/v1/risk/risks", other); len(o.Data) != 0 || *o.Meta.Pagination.TotalCount != 0 {
		t.Fatalf("other tenant: %+v", o)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/risk/risks", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", r.Status)
	}
}

func TestRiskList_SimulationsAndThreatsPageWithTheirTotals(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "modelled", "likelihood": 3, "impact": 3})
	var x struct {
		ID string `json:"id"`
	}
	r.Data(t, &x)
	fair := map[string]any{"frequency": map[string]any{"model": "poisson", "rate": 0.5}, "vulnerability": 0.5,
		"primary_loss": map[string]any{"model": "lognormal", "low": 1000, "high": 10000}}
	if r := in.Do(t, http.MethodPut, "/api/v1/risk/risks/"+x.ID+"/fair", admin, fair); r.Status != http.StatusOK {
		t.Fatalf("fair: %d %s", r.Status, r.Body)
	}
	var sims []string
	for i := range 3 {
		s := in.Do(t, http.MethodPost, "/api/v1/risk/risks/"+x.ID+"/simulate", admin, map[string]any{"iterations": 1000, "seed": i})
		var sim struct {
			ID string `json:"id"`
		}
		s.Data(t, &sim)
		sims = append(sims, sim.ID)
	}
	// A portfolio simulation is not one of the risk's own.
	if p := in.Do(t, http.MethodPost, "/api/v1/risk/portfolio/simulate", admin, map[string]any{"iterations": 1000}); p.Status != http.StatusCreated {
		t.Fatalf("portfolio: %d %s", p.Status, p.Body)
	}
	base := "/api/v1/risk/risks/" + x.ID + "/simulations"
	first := testkit.GetPage[item](t, in, base+"?limit=2", admin)
	if len(first.Data) != 2 || first.Data[0].ID != sims[2] || first.Data[1].ID != sims[1] || !first.Meta.Pagination.HasMore || *first.Meta.Pagination.TotalCount != 3 {
		t.Fatalf("simulations, first page: %+v", first)
	}
	second := testkit.GetPage[item](t, in, base+"?limit=2&cursor="+url.QueryEscape(first.Meta.Pagination.Cursor), admin)
	if len(second.Data) != 1 || second.Data[0].ID != sims[0] || second.Meta.Pagination.HasMore {
		t.Fatalf("simulations, second page: %+v", second)
	}

	// Threats: the 22 built-in ones, then the tenant's own, across pages.
	for i := range 2 {
		if r := in.Do(t, http.MethodPost, "/api/v1/risk/threats", admin, map[string]any{"name": fmt.Sprintf("custom %d", i)}); r.Status != http.StatusCreated {
			t.Fatalf("threat: %d %s", r.Status, r.Body)
		}
	}
	threats, pages := testkit.Walk[item](t, in, "/api/v1/risk/threats?limit=10", admin)
	if total := testkit.SameTotal(t, "threats", pages); total != 24 || len(pages) > 5 || pages[0].Limit != 10 {
		t.Fatalf("threat pages: total_count %d, %+v", total, pages)
	}
	seen := map[string]bool{}
	for _, th := range threats {
		if seen[th.ID] {
			t.Fatalf("threat %s twice", th.ID)
		}
		seen[th.ID] = true
	}
	if len(seen) != 24 || !seen["LLM01:2025"] || !seen["AML.T0040"] {
		t.Fatalf("threats over the pages: %d", len(seen))
	}
}
