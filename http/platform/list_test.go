package platform

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/http/platform/platformtest"
	"github.com/astrabastion/astra/projections"
)

// listRegistry declares a paged list over ten numbered items (its total an
// estimate, as a huge list's is), an in-memory catalogue, and a complete
// list that is never paged.
func listRegistry() *Registry {
	items := make([]string, 10)
	for i := range items {
		items[i] = fmt.Sprintf("item-%d", i)
	}
	r := NewRegistry("list test", "1.0.0")
	r.Add(
		Route{Method: http.MethodGet, Path: "/api/v1/items", OperationID: "listItems", Summary: "Items", Tag: "test",
			Permission: "test:read", Response: "", List: true,
			Handler: func(c echo.Context) error {
				return ListPage(c, func(p projections.PageRequest) (projections.Page[string], error) {
					page, err := projections.PageOf(items, p, func(s string) string { return s })
					page.Total, page.TotalEstimated = 123_456, true
					return page, err
				})
			}},
		Route{Method: http.MethodGet, Path: "/api/v1/catalogue", OperationID: "listCatalogue", Summary: "Catalogue", Tag: "test",
			Permission: "test:read", Response: "", List: true,
			Handler: func(c echo.Context) error { return MemoryPage(c, items[:3], func(s string) string { return s }) }},
		Route{Method: http.MethodGet, Path: "/api/v1/matrix", OperationID: "matrix", Summary: "Matrix", Tag: "test",
			Permission: "test:read", Response: "", List: true, Complete: true,
			Handler: func(c echo.Context) error { return RespondComplete(c, items[:5]) }},
		Route{Method: http.MethodGet, Path: "/api/v1/top", OperationID: "top", Summary: "Top", Tag: "test",
			Permission: "test:read", Response: "", List: true, Complete: true,
			Query: []Param{{Name: "limit", Schema: "integer", Description: "How many, 1 to 5"}},
			Handler: func(c echo.Context) error {
				n, err := QueryInt(c, "limit", 2, 1, 5)
				if err != nil {
					return err
				}
				return RespondComplete(c, items[:n])
			}},
	)
	return r
}

func TestListPage_PagesRefusesBadInputAndSaysWhenTheTotalIsEstimated(t *testing.T) {
	reg := listRegistry()
	srv := newTestServer(t, Config{}, func(e *echo.Echo) { reg.Mount(e, allowAll) })
	doc, err := reg.OpenAPI()
	if err != nil {
		t.Fatalf("OpenAPI: %v", err)
	}
	v := platformtest.ResponseValidator(t, doc)
	get := func(path string, wantStatus int) exchange {
		t.Helper()
		x := srv.do(t, http.MethodGet, path, "", nil)
		if x.resp.StatusCode != wantStatus {
			t.Fatalf("GET %s → %d, want %d: %s", path, x.resp.StatusCode, wantStatus, x.body)
		}
		v.Check(t, x.req, x.resp, x.body)
		return x
	}

	t.Run("pages through every item once, with the estimated total on every page", func(t *testing.T) {
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			var items []string
			meta := get("/api/v1/items?limit=4&cursor="+url.QueryEscape(cursor), http.StatusOK).envelope(t, http.StatusOK, &items)
			pg := meta.Pagination
			if pg == nil || pg.Limit != 4 || pg.TotalCount == nil || *pg.TotalCount != 123_456 || !pg.TotalCountEstimated {
				t.Fatalf("pagination %+v: want limit 4, total 123456 estimated", pg)
			}
			seen = append(seen, items...)
			if !pg.HasMore {
				if pg.Cursor != "" {
					t.Fatal("a last page with a cursor")
				}
				break
			}
			cursor = pg.Cursor
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if len(seen) != 10 || seen[0] != "item-0" || seen[9] != "item-9" {
			t.Fatalf("pages gave %v", seen)
		}
		x := get("/api/v1/items", http.StatusOK)
		var raw struct {
			Meta struct {
				Pagination map[string]any `json:"pagination"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(x.body, &raw); err != nil || raw.Meta.Pagination["total_count_estimated"] != true {
			t.Fatalf("total_count_estimated not rendered: %s", x.body)
		}
	})

	t.Run("a bad limit is VAL-005 naming limit", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=201", "limit=-1", "limit=ten"} {
			p := get("/api/v1/items?"+q, http.StatusBadRequest).problem(t, http.StatusBadRequest, "VAL-005")
			if len(p.Errors) != 1 || p.Errors[0].Field != "limit" {
				t.Errorf("%s: errors %+v should name limit", q, p.Errors)
			}
		}
	})

	t.Run("a cursor that is not one, or does not fit the list, is VAL-006", func(t *testing.T) {
		for _, cursor := range []string{"garbage", encodeCursor("item-1"), encodeCursor(nil), encodeCursor([]any{}),
			encodeCursor([]any{"no-such-item"}), encodeCursor([]any{7}), encodeCursor([]any{"item-1", "item-2"}),
			encodeCursor(map[string]string{"a": "item-1"})} {
			get("/api/v1/items?cursor="+url.QueryEscape(cursor), http.StatusBadRequest).problem(t, http.StatusBadRequest, "VAL-006")
		}
	})

	t.Run("an in-memory catalogue pages like a read model", func(t *testing.T) {
		var first, rest []string
		meta := get("/api/v1/catalogue?limit=2", http.StatusOK).envelope(t, http.StatusOK, &first)
		if len(first) != 2 || !meta.Pagination.HasMore || *meta.Pagination.TotalCount != 3 || meta.Pagination.TotalCountEstimated {
			t.Fatalf("first page %v %+v", first, meta.Pagination)
		}
		meta = get("/api/v1/catalogue?limit=2&cursor="+url.QueryEscape(meta.Pagination.Cursor), http.StatusOK).envelope(t, http.StatusOK, &rest)
		if len(rest) != 1 || rest[0] != "item-2" || meta.Pagination.HasMore {
			t.Fatalf("second page %v %+v", rest, meta.Pagination)
		}
	})

	t.Run("a complete list offers no paging and refuses it", func(t *testing.T) {
		matrix := doc.Paths.Value("/api/v1/matrix").Get
		if matrix.Parameters.GetByInAndName("query", "limit") != nil || matrix.Parameters.GetByInAndName("query", "cursor") != nil {
			t.Error("a complete list documents limit or cursor")
		}
		var items []string
		if meta := get("/api/v1/matrix", http.StatusOK).envelope(t, http.StatusOK, &items); len(items) != 5 || meta.Pagination.HasMore || *meta.Pagination.TotalCount != 5 {
			t.Fatalf("matrix %v %+v", items, meta.Pagination)
		}
		for _, q := range []string{"limit=5", "cursor=abc", "limit="} {
			p := get("/api/v1/matrix?"+q, http.StatusBadRequest).problem(t, http.StatusBadRequest, "VAL-005")
			name, _, _ := strings.Cut(q, "=")
			if len(p.Errors) != 1 || p.Errors[0].Field != name {
				t.Errorf("%s: errors %+v should name %s", q, p.Errors, name)
			}
		}
		// A complete list may give limit a meaning of its own (top N); the
		// cursor stays refused, and the document shows the route's own limit.
		top := doc.Paths.Value("/api/v1/top").Get
		if l := top.Parameters.GetByInAndName("query", "limit"); l == nil || l.Schema.Value.Max != nil || top.Parameters.GetByInAndName("query", "cursor") != nil {
			t.Error("top documents the page limit or a cursor")
		}
		if get("/api/v1/top?limit=3", http.StatusOK).envelope(t, http.StatusOK, &items); len(items) != 3 {
			t.Fatalf("top 3: %v", items)
		}
		get("/api/v1/top?cursor=abc", http.StatusBadRequest).problem(t, http.StatusBadRequest, "VAL-005")
	})
}
