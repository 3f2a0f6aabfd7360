package platform

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/projections"
)

func TestListPage_ReadsLimitWithinBounds(t *testing.T) {
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.GET("/api/v1/page", func(c echo.Context) error {
			return ListPage(c, func(p projections.PageRequest) (projections.Page[int], error) {
				return projections.Page[int]{Items: []int{p.Limit}}, nil
			})
		})
	})
	for _, tc := range []struct {
		query string
		limit int
	}{{"", DefaultPageLimit}, {"?limit=1", 1}, {"?limit=200", 200}, {"?limit=", DefaultPageLimit}} {
		var got []int
		meta := srv.do(t, http.MethodGet, "/api/v1/page"+tc.query, "", nil).envelope(t, http.StatusOK, &got)
		if len(got) != 1 || got[0] != tc.limit || meta.Pagination == nil || meta.Pagination.Limit != tc.limit {
			t.Errorf("%q: limit %v (meta %+v), want %d", tc.query, got, meta.Pagination, tc.limit)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=201", "?limit=-5", "?limit=ten", "?limit=1e2"} {
		p := srv.do(t, http.MethodGet, "/api/v1/page"+q, "", nil).problem(t, http.StatusBadRequest, "VAL-005")
		if len(p.Errors) != 1 || p.Errors[0].Field != "limit" {
			t.Errorf("%s: errors %+v should name limit", q, p.Errors)
		}
	}
	long := make([]byte, maxCursorLen+1)
	for i := range long {
		long[i] = 'a'
	}
	srv.do(t, http.MethodGet, "/api/v1/page?cursor="+string(long), "", nil).problem(t, http.StatusBadRequest, "VAL-006")
}

func TestCursorRoundTrip(t *testing.T) {
	type position struct {
		CreatedAt time.Time `json:"c"`
		ID        string    `json:"i"`
	}
	in := position{CreatedAt: time.Date(2024, 5, 6, 7, 8, 9, 123, time.UTC), ID: "usr_1/2+3"}
	cursor := encodeCursor(in)
	if u := url.QueryEscape(cursor); u != cursor {
		t.Errorf("cursor %q is not URL-safe", cursor)
	}
	var out position
	if err := decodeCursor(cursor, &out); err != nil {
		t.Fatalf("decodeCursor: %v", err)
	}
	if !out.CreatedAt.Equal(in.CreatedAt) || out.ID != in.ID {
		t.Errorf("round trip: %+v != %+v", out, in)
	}
	for _, bad := range []string{"", "!!!", encodeCursor("a string"), encodeCursor(map[string]int{"zz": 1}), cursor + "AAAA"} {
		err := decodeCursor(bad, &out)
		if p, ok := err.(*Error); !ok || p.Code != "VAL-006" {
			t.Errorf("decodeCursor(%q) = %v, want VAL-006", bad, err)
		}
	}
}

func TestQueryHelpers(t *testing.T) {
	e := echo.New()
	c := e.NewContext(httptestRequest("/?since=2024-01-02T03:04:05%2B02:00&bad=yesterday&n=7"), nil)
	since, err := QueryTime(c, "since")
	if err != nil || since == nil || since.Location() != time.UTC || since.Hour() != 1 {
		t.Fatalf("QueryTime = %v, %v", since, err)
	}
	if none, err := QueryTime(c, "absent"); none != nil || err != nil {
		t.Errorf("absent QueryTime = %v, %v", none, err)
	}
	if _, err := QueryTime(c, "bad"); err == nil || err.(*Error).Code != "VAL-005" {
		t.Errorf("bad QueryTime err = %v", err)
	}
	if n, err := QueryInt(c, "n", 1, 0, 10); n != 7 || err != nil {
		t.Errorf("QueryInt = %d, %v", n, err)
	}
	if _, err := QueryInt(c, "n", 1, 0, 5); err == nil {
		t.Error("out-of-range QueryInt accepted")
	}
}

func httptestRequest(target string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		panic(err)
	}
	return req
}
