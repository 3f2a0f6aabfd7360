// Package web is the dashboard: static pages (HTML, CSS and JavaScript
// modules, no build step) embedded in the binary and served by `astra serve`
// at / and /assets/{name}. The pages are a client of the public API and of
// the live stream at /ws; they hold no server-side state. The routes are
// declared by http/dashboard: web imports no http package (decision 0015).
package web

import (
	"embed"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every dashboard file: scripts, styles,
// images and fonts come from this origin only; the pages talk to this origin
// over HTTP and to the live stream over WebSocket.
const ContentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// DocsContentSecurityPolicy is the API reference page's: Redoc (embedded,
// same origin) styles itself with inline styles and searches in a worker it
// starts from a blob.
const DocsContentSecurityPolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Index serves the dashboard's page.
func Index() echo.HandlerFunc { return serveFile("index.html") }

// ConsolePages are the console's module pages: /<page> and its deep links
// /<page>/… answer the dashboard's page, which draws them (console.js).
var ConsolePages = []string{"gateway", "aegis", "compliance", "risk", "cybertwins", "resilience", "data-gov", "bastion-ai", "platform", "admin"}

// Docs serves the API reference: Redoc over /api/v1/openapi.json.
func Docs() echo.HandlerFunc { return serveFileWith("docs.html", DocsContentSecurityPolicy) }

// Asset serves one embedded file of static/ by its base name (the :name
// parameter); anything else is not found.
func Asset(c echo.Context) error { return asset(c) }

// asset serves one embedded file of static/ by its base name.
func asset(c echo.Context) error {
	name := c.Param("name")
	if name == "index.html" || name == "docs.html" || path.Base(name) != name {
		return echo.ErrNotFound
	}
	return serveFile(name)(c)
}

func serveFile(name string) echo.HandlerFunc { return serveFileWith(name, ContentSecurityPolicy) }

func serveFileWith(name, csp string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return echo.ErrNotFound
		}
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			return echo.ErrNotFound
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		// Revalidated on every load, so a new binary's files are picked up.
		h.Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, ct, b)
	}
}
