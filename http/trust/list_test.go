package trust_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// bucket is one hour (or day) of the score history.
type bucket struct {
	At      time.Time `json:"at"`
	Updates int       `json:"updates"`
}

// historyPage is a page of the score history with its pagination.
type historyPage = testkit.ListPage[bucket]

func TestTrustHistory_PagesBucketsNewestFirstWithACursorAndTheTotal(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-3*time.Hour + 10*time.Minute)
	clk := &clock{t: t0}
	in.Running.Trust.Now = clk.Now
	// Recorded scores in three hours, the last hour twice.
	for _, d := range []time.Duration{0, time.Hour, time.Hour, time.Second} {
		clk.Add(d)
		if r := in.Do(t, http.MethodPost, "/api/v1/trust/scores/recalculate", admin, nil); r.Status != http.StatusOK {
			t.Fatalf("recalculate: %d %s", r.Status, r.Body)
		}
	}
	get := func(query string) historyPage {
		t.Helper()
		return testkit.GetPage[bucket](t, in, "/api/v1/trust/scores/history?granularity=hour"+query, admin)
	}
	var first historyPage
	testkit.Eventually(t, 10*time.Second, "three buckets", func() bool {
		first = get("&limit=2")
		return first.Meta.Pagination.TotalCount != nil && *first.Meta.Pagination.TotalCount == 3
	})
	pg := first.Meta.Pagination
	if len(first.Data) != 2 || !pg.HasMore || pg.Cursor == "" || pg.Limit != 2 ||
		!first.Data[0].At.Equal(t0.Add(2*time.Hour).Truncate(time.Hour)) || first.Data[0].Updates != 2 ||
		!first.Data[1].At.Equal(t0.Add(time.Hour).Truncate(time.Hour)) || first.Data[1].Updates != 1 {
		t.Fatalf("first page: %+v", first)
	}
	second := get("&limit=2&cursor=" + url.QueryEscape(pg.Cursor))
	if len(second.Data) != 1 || !second.Data[0].At.Equal(t0.Truncate(time.Hour)) || second.Meta.Pagination.HasMore ||
		second.Meta.Pagination.Cursor != "" || *second.Meta.Pagination.TotalCount != 3 {
		t.Fatalf("second page: %+v", second)
	}
	if all := get(""); len(all.Data) != 3 || all.Meta.Pagination.Limit != 25 || all.Meta.Pagination.HasMore {
		t.Fatalf("default page: %+v", all)
	}
	// The period narrows the buckets and the total.
	from := t0.Add(time.Hour).Truncate(time.Hour).Format(time.RFC3339)
	if p := get("&from=" + url.QueryEscape(from)); len(p.Data) != 2 || *p.Meta.Pagination.TotalCount != 2 {
		t.Fatalf("from %s: %+v", from, p)
	}

	for path, code := range map[string]string{
		"/api/v1/trust/scores/history?limit=0":          "VAL-005",
		"/api/v1/trust/scores/history?limit=201":        "VAL-005",
		"/api/v1/trust/scores/history?cursor=x":         "VAL-006",
		"/api/v1/trust/scores/history?granularity=year": "VAL-005",
		"/api/v1/trust/signals?pillar=luck":             "VAL-005",
		"/api/v1/trust/signals?cursor=x":                "VAL-006",
	} {
		r := in.Do(t, http.MethodGet, path, admin, nil)
		if r.Status != http.StatusBadRequest || r.Problem(t).ErrorCode != code {
			t.Errorf("%s: %d %s, want 400 %s", path, r.Status, r.Body, code)
		}
	}
	// Another tenant has no history; no token is 401.
	_, other := in.NewTenant(t, admin, "Eta")
	r := in.Do(t, http.MethodGet, "/api/v1/trust/scores/history", other, nil)
	var o historyPage
	r.JSON(t, &o)
	if r.Status != http.StatusOK || len(o.Data) != 0 || *o.Meta.Pagination.TotalCount != 0 {
		t.Fatalf("other tenant: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/trust/scores/history", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", r.Status)
	}
}

func TestTrustSignals_PageNewestFirstByPillar(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	for _, li := range [][2]int{{1, 1}, {2, 2}, {3, 3}} {
		if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "r", "likelihood": li[0], "impact": li[1]}); r.Status != http.StatusCreated {
			t.Fatalf("risk: %d %s", r.Status, r.Body)
		}
	}
	type signal struct {
		ID     string  `json:"id"`
		Pillar string  `json:"pillar"`
		Score  float64 `json:"score"`
	}
	type sigPage = testkit.ListPage[signal]
	var first sigPage
	testkit.Eventually(t, 10*time.Second, "three risk signals", func() bool {
		in.Do(t, http.MethodGet, "/api/v1/trust/signals?pillar=risk&limit=2", admin, nil).JSON(t, &first)
		return first.Meta.Pagination.TotalCount != nil && *first.Meta.Pagination.TotalCount == 3
	})
	// Newest first: 3×3 → 68, then 2×2 → 88, then 1×1 → 100.
	if len(first.Data) != 2 || first.Data[0].Score != 68 || first.Data[1].Score != 88 || !first.Meta.Pagination.HasMore {
		t.Fatalf("first page: %+v", first)
	}
	var second sigPage
	in.Do(t, http.MethodGet, "/api/v1/trust/signals?pillar=risk&limit=2&cursor="+url.QueryEscape(first.Meta.Pagination.Cursor), admin, nil).JSON(t, &second)
	if len(second.Data) != 1 || second.Data[0].Score != 100 || second.Meta.Pagination.HasMore {
		t.Fatalf("second page: %+v", second)
	}
	var sec sigPage
	in.Do(t, http.MethodGet, "/api/v1/trust/signals?pillar=security", admin, nil).JSON(t, &sec)
	if len(sec.Data) != 0 || *sec.Meta.Pagination.TotalCount != 0 {
		t.Fatalf("security: %+v", sec)
	}
}
