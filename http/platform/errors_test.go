package platform

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func parseRFC3339(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

func TestProblemUsesCatalogue(t *testing.T) {
	for code, entry := range Catalogue {
		p := Problem(code, "d")
		if p.Status != entry.Status || p.Title != entry.Title || p.Code != code {
			t.Errorf("Problem(%s) = %+v, want %+v", code, p, entry)
		}
		if entry.Description == "" {
			t.Errorf("%s has no description", code)
		}
	}
}

func TestProblemPanicsOnUnknownCode(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Problem with an unknown code did not panic")
		}
	}()
	Problem("NOPE-999", "")
}

func TestErrorHandlerRendering(t *testing.T) {
	const secret = "pq: password authentication failed for user astra at 10.0.0.7"
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.GET("/api/v1/problem", func(c echo.Context) error {
			return Problem("TST-001", "User 42 does not exist.").WithHeader("X-Extra", "yes")
		})
		e.GET("/api/v1/wrapped", func(c echo.Context) error {
			return fmt.Errorf("load user: %w", Problem("TST-001", "gone"))
		})
		e.GET("/api/v1/unknown", func(c echo.Context) error {
			return errors.New(secret)
		})
		e.GET("/api/v1/echo413", func(c echo.Context) error {
			return echo.ErrStatusRequestEntityTooLarge
		})
		e.GET("/api/v1/echo406", func(c echo.Context) error {
			return echo.NewHTTPError(http.StatusNotAcceptable)
		})
		e.GET("/api/v1/echo500", func(c echo.Context) error {
			return echo.NewHTTPError(http.StatusInternalServerError, secret)
		})
		e.GET("/api/v1/unauth", func(c echo.Context) error {
			return Problem("AUTH-001", "Send a bearer token.")
		})
		e.GET("/api/v1/fields", func(c echo.Context) error {
			return Problem("VAL-001", "bad").WithFields(FieldError{Field: "email", Message: "is required"})
		})
	})

	t.Run("catalogue error with headers", func(t *testing.T) {
		x := srv.do(t, http.MethodGet, "/api/v1/problem", "", nil)
		p := x.problem(t, http.StatusNotFound, "TST-001")
		if p.Detail != "User 42 does not exist." || p.Title != "User not found" {
			t.Errorf("unexpected problem %+v", p)
		}
		if x.resp.Header.Get("X-Extra") != "yes" {
			t.Error("Error.Headers not applied")
		}
		if strings.Contains(string(x.body), `"errors"`) {
			t.Errorf("empty errors must be omitted: %s", x.body)
		}
	})
	t.Run("wrapped catalogue error keeps its code", func(t *testing.T) {
		srv.do(t, http.MethodGet, "/api/v1/wrapped", "", nil).problem(t, http.StatusNotFound, "TST-001")
	})
	t.Run("unknown error is generic and logged", func(t *testing.T) {
		x := srv.do(t, http.MethodGet, "/api/v1/unknown", "", nil)
		p := x.problem(t, http.StatusInternalServerError, "SYS-001")
		if strings.Contains(string(x.body), "pq:") || strings.Contains(string(x.body), "10.0.0.7") {
			t.Fatalf("internal error leaked: %s", x.body)
		}
		logs := srv.logs.String()
		if !strings.Contains(logs, "password authentication failed") || !strings.Contains(logs, p.RequestID) {
			t.Fatalf("internal error not logged with request id %s:\n%s", p.RequestID, logs)
		}
	})
	t.Run("echo 5xx message is not disclosed", func(t *testing.T) {
		x := srv.do(t, http.MethodGet, "/api/v1/echo500", "", nil)
		x.problem(t, http.StatusInternalServerError, "SYS-001")
		if strings.Contains(string(x.body), "pq:") {
			t.Fatalf("leaked: %s", x.body)
		}
	})
	t.Run("echo 413 maps to VAL-004", func(t *testing.T) {
		srv.do(t, http.MethodGet, "/api/v1/echo413", "", nil).problem(t, http.StatusRequestEntityTooLarge, "VAL-004")
	})
	t.Run("unmapped 4xx keeps status with HTTP-nnn", func(t *testing.T) {
		srv.do(t, http.MethodGet, "/api/v1/echo406", "", nil).problem(t, http.StatusNotAcceptable, "HTTP-406")
	})
	t.Run("401 carries a bearer challenge", func(t *testing.T) {
		x := srv.do(t, http.MethodGet, "/api/v1/unauth", "", nil)
		x.problem(t, http.StatusUnauthorized, "AUTH-001")
		if !strings.HasPrefix(x.resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("WWW-Authenticate = %q", x.resp.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("field errors", func(t *testing.T) {
		p := srv.do(t, http.MethodGet, "/api/v1/fields", "", nil).problem(t, http.StatusBadRequest, "VAL-001")
		if len(p.Errors) != 1 || p.Errors[0] != (FieldError{Field: "email", Message: "is required"}) {
			t.Errorf("errors = %+v", p.Errors)
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		x := srv.do(t, http.MethodGet, "/api/v1/does/not/exist?token=abc", "", nil)
		p := x.problem(t, http.StatusNotFound, "SYS-003")
		if strings.Contains(p.Instance, "token") {
			t.Errorf("instance must not include the query string: %q", p.Instance)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		x := srv.do(t, http.MethodDelete, "/api/v1/problem", "", nil)
		x.problem(t, http.StatusMethodNotAllowed, "SYS-004")
		if !strings.Contains(x.resp.Header.Get("Allow"), http.MethodGet) {
			t.Errorf("Allow = %q", x.resp.Header.Get("Allow"))
		}
	})
	t.Run("HEAD gets no body", func(t *testing.T) {
		x := srv.do(t, http.MethodHead, "/api/v1/nothing-here", "", nil)
		if x.resp.StatusCode != http.StatusNotFound || len(x.body) != 0 {
			t.Errorf("HEAD → %d with %d body bytes", x.resp.StatusCode, len(x.body))
		}
	})
}

func TestErrorString(t *testing.T) {
	if got := Problem("VAL-005", "limit").Error(); got != "VAL-005 Invalid query parameter: limit" {
		t.Errorf("Error() = %q", got)
	}
	if got := NewError(418, "TEA-001", "Teapot", "").Error(); got != "TEA-001 Teapot" {
		t.Errorf("Error() = %q", got)
	}
}
