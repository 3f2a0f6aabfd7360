package platform

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestRespondEnvelope(t *testing.T) {
	total := int64(3)
	srv := newTestServer(t, Config{Version: "v7"}, func(e *echo.Echo) {
		e.GET("/api/v1/one", func(c echo.Context) error {
			return Respond(c, http.StatusCreated, map[string]string{"id": "u1"})
		})
		e.GET("/api/v1/none", func(c echo.Context) error {
			return Respond(c, http.StatusNoContent, nil)
		})
		e.GET("/api/v1/list", func(c echo.Context) error {
			var items []string // nil on purpose
			return respondList(c, items, Pagination{Limit: 2, HasMore: true, Cursor: "abc", TotalCount: &total})
		})
		e.GET("/api/v1/notslice", func(c echo.Context) error {
			return respondList(c, 42, Pagination{})
		})
	})

	x := srv.do(t, http.MethodGet, "/api/v1/one", "", nil)
	var data map[string]string
	meta := x.envelope(t, http.StatusCreated, &data)
	if data["id"] != "u1" || meta.Version != "v7" || meta.Pagination != nil {
		t.Errorf("data %v meta %+v", data, meta)
	}
	if meta.RequestID != x.resp.Header.Get("X-Request-ID") || time.Since(meta.Timestamp) > time.Minute || meta.Timestamp.Location() != time.UTC {
		t.Errorf("meta %+v", meta)
	}
	if strings.Contains(string(x.body), "pagination") {
		t.Errorf("pagination must be omitted for single resources: %s", x.body)
	}
	if ct := x.resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}

	x = srv.do(t, http.MethodGet, "/api/v1/none", "", nil)
	if x.resp.StatusCode != http.StatusNoContent || len(x.body) != 0 {
		t.Errorf("204 → %d with body %q", x.resp.StatusCode, x.body)
	}

	x = srv.do(t, http.MethodGet, "/api/v1/list", "", nil)
	if !strings.Contains(string(x.body), `"data":[]`) {
		t.Errorf("nil slice must serialise as []: %s", x.body)
	}
	var items []string
	meta = x.envelope(t, http.StatusOK, &items)
	if p := meta.Pagination; p == nil || p.Limit != 2 || !p.HasMore || p.Cursor != "abc" || *p.TotalCount != 3 {
		t.Errorf("pagination %+v", meta.Pagination)
	}

	srv.do(t, http.MethodGet, "/api/v1/notslice", "", nil).problem(t, http.StatusInternalServerError, "SYS-001")
}

var generatedID = regexp.MustCompile(`^req_[0-9a-f]{20}$`)

func TestRequestID(t *testing.T) {
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.GET("/api/v1/id", func(c echo.Context) error {
			return Respond(c, http.StatusOK, map[string]string{
				"echo": RequestID(c),
				"ctx":  RequestIDFromContext(c.Request().Context()),
			})
		})
	})
	x := srv.do(t, http.MethodGet, "/api/v1/id", "", nil, "X-Request-ID", "client-ABC_123")
	var got map[string]string
	x.envelope(t, http.StatusOK, &got)
	if x.resp.Header.Get("X-Request-ID") != "client-ABC_123" || got["echo"] != "client-ABC_123" || got["ctx"] != "client-ABC_123" {
		t.Errorf("valid incoming id not honoured: header %q, %v", x.resp.Header.Get("X-Request-ID"), got)
	}
	for _, bad := range []string{"", "has space", "semi;colon", "x\u00e9", strings.Repeat("a", 65), "line\\nbreak"} {
		x := srv.do(t, http.MethodGet, "/api/v1/id", "", nil, "X-Request-ID", bad)
		id := x.resp.Header.Get("X-Request-ID")
		if !generatedID.MatchString(id) {
			t.Errorf("incoming %q: got id %q, want a generated req_ id", bad, id)
		}
	}
	a := srv.do(t, http.MethodGet, "/api/v1/id", "", nil).resp.Header.Get("X-Request-ID")
	b := srv.do(t, http.MethodGet, "/api/v1/id", "", nil).resp.Header.Get("X-Request-ID")
	if a == b {
		t.Errorf("generated ids repeat: %s", a)
	}
	// 64 characters is the documented maximum and is still honoured.
	max := strings.Repeat("a", 64)
	if got := srv.do(t, http.MethodGet, "/api/v1/id", "", nil, "X-Request-ID", max).resp.Header.Get("X-Request-ID"); got != max {
		t.Errorf("64-char id replaced by %q", got)
	}
}

func TestPanicIsContained(t *testing.T) {
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.GET("/api/v1/boom", func(c echo.Context) error {
			panic("secret-token-xyz SELECT * FROM users")
		})
	})
	x := srv.do(t, http.MethodGet, "/api/v1/boom", "", nil)
	p := x.problem(t, http.StatusInternalServerError, "SYS-001")
	for _, leak := range []string{"secret-token-xyz", "SELECT", "goroutine", ".go:", "panic"} {
		if strings.Contains(string(x.body), leak) {
			t.Fatalf("response leaks %q: %s", leak, x.body)
		}
	}
	logs := srv.logs.String()
	if !strings.Contains(logs, "secret-token-xyz") || !strings.Contains(logs, "goroutine") || !strings.Contains(logs, p.RequestID) {
		t.Errorf("panic and stack must be logged server-side with the request id:\n%s", logs)
	}
	// The access log and metrics see the panic as a 500.
	if !strings.Contains(logs, `"status":500`) {
		t.Errorf("access log does not record the 500:\n%s", logs)
	}
	// The server survives.
	srv.do(t, http.MethodGet, "/api/v1/boom", "", nil).problem(t, http.StatusInternalServerError, "SYS-001")
}

func TestSecurityHeaders(t *testing.T) {
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.GET("/api/v1/x", func(c echo.Context) error { return Respond(c, http.StatusOK, "x") })
		e.GET("/health", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	})
	for _, path := range []string{"/api/v1/x", "/api/v1/missing", "/health"} {
		h := srv.do(t, http.MethodGet, path, "", nil).resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: security headers missing: %v", path, h)
		}
		wantNoStore := strings.HasPrefix(path, "/api")
		if (h.Get("Cache-Control") == "no-store") != wantNoStore {
			t.Errorf("%s: Cache-Control = %q", path, h.Get("Cache-Control"))
		}
	}
}

func TestMetricsAndAccessLog(t *testing.T) {
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.GET("/api/v1/metrics-test/users/:id", func(c echo.Context) error { return Respond(c, http.StatusOK, c.Param("id")) })
	})
	srv.do(t, http.MethodGet, "/api/v1/metrics-test/users/secret-id-1", "", nil)
	srv.do(t, http.MethodGet, "/api/v1/metrics-test/random/secret-id-2", "", nil)
	x := srv.do(t, http.MethodGet, "/metrics", "", nil)
	if x.resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics → %d", x.resp.StatusCode)
	}
	body := string(x.body)
	for _, want := range []string{
		`astra_http_requests_total{method="GET",route="/api/v1/metrics-test/users/:id",status="200"}`,
		`astra_http_request_duration_seconds_bucket{method="GET",route="/api/v1/metrics-test/users/:id",status="200"`,
		`go_goroutines`,
		`process_`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "secret-id") {
		t.Error("metrics contain a raw URL")
	}
	logs := srv.logs.String()
	for _, want := range []string{`"msg":"http request"`, `"route":"/api/v1/metrics-test/users/:id"`, `"status":200`, `"duration":`, `"request_id":"req_`, `"method":"GET"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "secret-id") {
		t.Error("access log contains a raw URL")
	}
}

func TestTrustedProxies(t *testing.T) {
	register := func(e *echo.Echo) {
		e.GET("/ip", func(c echo.Context) error { return c.String(http.StatusOK, c.RealIP()) })
	}
	direct := newTestServer(t, Config{}, register)
	if got := string(direct.do(t, http.MethodGet, "/ip", "", nil, "X-Forwarded-For", "203.0.113.9").body); got != "127.0.0.1" {
		t.Errorf("without trusted proxies X-Forwarded-For must be ignored, got %q", got)
	}
	proxied := newTestServer(t, Config{TrustedProxies: []string{"127.0.0.1", "not-an-ip"}}, register)
	if got := string(proxied.do(t, http.MethodGet, "/ip", "", nil, "X-Forwarded-For", "203.0.113.9").body); got != "203.0.113.9" {
		t.Errorf("trusted proxy X-Forwarded-For not used, got %q", got)
	}
	if !strings.Contains(proxied.logs.String(), "not-an-ip") {
		t.Error("invalid trusted proxy entry not logged")
	}
}
