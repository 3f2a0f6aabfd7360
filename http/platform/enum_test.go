package platform

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestEnumQuery_RefusesAValueOutsideTheEnumBeforeTheHandlerRuns(t *testing.T) {
	reg := NewRegistry("enum test", "1.0.0")
	var handled []string
	reg.Add(Route{Method: http.MethodGet, Path: "/api/v1/things", OperationID: "listThings", Summary: "Things", Tag: "test",
		Permission: "test:read", Response: "",
		Query: []Param{{Name: "status", Description: "Only things in this status", Enum: []string{"open", "closed"}},
			{Name: "q", Description: "Free text"}},
		Handler: func(c echo.Context) error {
			handled = append(handled, c.QueryParam("status"))
			return Respond(c, http.StatusOK, "ok")
		}})
	srv := newTestServer(t, Config{}, func(e *echo.Echo) { reg.Mount(e, allowAll) })

	for _, path := range []string{"/api/v1/things", "/api/v1/things?status=open", "/api/v1/things?status=closed&q=any", "/api/v1/things?status="} {
		if x := srv.do(t, http.MethodGet, path, "", nil); x.resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s → %d: %s", path, x.resp.StatusCode, x.body)
		}
	}
	for _, path := range []string{"/api/v1/things?status=sleeping", "/api/v1/things?status=OPEN", "/api/v1/things?status=open&status=maybe"} {
		p := srv.do(t, http.MethodGet, path, "", nil).problem(t, http.StatusBadRequest, "VAL-005")
		if !strings.Contains(p.Detail, `"status"`) || !strings.Contains(p.Detail, "open, closed") ||
			len(p.Errors) != 1 || p.Errors[0].Field != "status" {
			t.Fatalf("GET %s: the problem does not name the parameter and its values: %+v", path, p)
		}
	}
	if strings.Join(handled, ",") != ",open,closed," {
		t.Fatalf("the handler ran for %q, want only the accepted requests", handled)
	}
}

func TestEnumQuery_RefusesAUUIDParameterThatIsNotOne(t *testing.T) {
	reg := NewRegistry("uuid test", "1.0.0")
	handled := 0
	reg.Add(Route{Method: http.MethodGet, Path: "/api/v1/links", OperationID: "listLinks", Summary: "Links", Tag: "test",
		Permission: "test:read", Response: "",
		Query: []Param{{Name: "source", Description: "Only links from this thing", Schema: "uuid"}},
		Handler: func(c echo.Context) error {
			handled++
			return Respond(c, http.StatusOK, "ok")
		}})
	srv := newTestServer(t, Config{}, func(e *echo.Echo) { reg.Mount(e, allowAll) })
	for _, path := range []string{"/api/v1/links", "/api/v1/links?source=", "/api/v1/links?source=01a25207-43b4-76fa-9b4f-f8047705b24a"} {
		if x := srv.do(t, http.MethodGet, path, "", nil); x.resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s → %d: %s", path, x.resp.StatusCode, x.body)
		}
	}
	for _, path := range []string{"/api/v1/links?source=web-1", "/api/v1/links?source={01a25207-43b4-76fa-9b4f-f8047705b24a}"} {
		p := srv.do(t, http.MethodGet, path, "", nil).problem(t, http.StatusBadRequest, "VAL-005")
		if len(p.Errors) != 1 || p.Errors[0].Field != "source" || !strings.Contains(p.Detail, "UUID") {
			t.Fatalf("GET %s: the problem does not name the parameter: %+v", path, p)
		}
	}
	if handled != 3 {
		t.Fatalf("the handler ran %d times, want only the 3 accepted requests", handled)
	}
}
