package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/http/dashboard"
	"github.com/astrabastion/astra/http/platform"
)

// TestDashboard_FilesAndHeaders checks what the browser is given: the page
// and its assets with their content types, the Content-Security-Policy, and
// 404 for anything else under /assets, through http/dashboard's routes.
func TestDashboard_FilesAndHeaders(t *testing.T) {
	testFilesAndHeaders(t, dashboard.Routes())
}

func testFilesAndHeaders(t *testing.T, routes []platform.Route) {
	e := platform.NewEcho(platform.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	reg := platform.NewRegistry("test", "v1")
	reg.Add(routes...)
	reg.Mount(e, func(platform.Route) []echo.MiddlewareFunc { return nil })
	srv := httptest.NewServer(e)
	defer srv.Close()

	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for path, ct := range map[string]string{
		"/":                   "text/html",
		"/assets/app.js":      "text/javascript",
		"/assets/api.js":      "text/javascript",
		"/assets/charts.js":   "text/javascript",
		"/assets/feed.js":     "text/javascript",
		"/assets/app.css":     "text/css",
		"/assets/favicon.svg": "image/svg+xml",
	} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ct) || len(body) < 100 {
			t.Errorf("%s: %d %q (%d bytes)", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "default-src 'self'; connect-src 'self' ws: wss:") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	_, page := get("/")
	for _, ref := range []string{`src="/assets/app.js"`, `href="/assets/app.css"`, `type="module"`} {
		if !strings.Contains(page, ref) {
			t.Errorf("index.html lacks %s", ref)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("index.html refers to another origin")
	}
	for _, path := range []string{"/assets/index.html", "/assets/nope.js", "/assets/web.go", "/assets/..%2fweb.go"} {
		if resp, _ := get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}
