// Package dashboard declares the routes of the dashboard (package web): its
// page at / and its files at /assets/{name}, public, served from the files
// embedded in the binary. The route table lives here so that web, the
// pages, imports no http package (decision 0015).
package dashboard

import (
	"net/http"
	"strings"

	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/web"
)

// Routes declares the dashboard's public routes.
func Routes() []platform.Route {
	return append(consoleRoutes(), []platform.Route{
		{Method: http.MethodGet, Path: "/", OperationID: "dashboard", Tag: "dashboard",
			Summary: "The dashboard (HTML page; signs in through /api/v1/auth/login, reads the API, follows /ws)",
			Raw:     true, ContentType: "text/html", Handler: web.Index()},
		{Method: http.MethodGet, Path: "/docs", OperationID: "apiReference", Tag: "dashboard",
			Summary: "The API reference: Redoc over /api/v1/openapi.json, served from the binary (HTML page)",
			Raw:     true, ContentType: "text/html", Handler: web.Docs()},
		{Method: http.MethodGet, Path: "/assets/:name", OperationID: "dashboardAsset", Tag: "dashboard",
			Summary: "A dashboard file: JavaScript module, style sheet or icon (its own content type)",
			Raw:     true, ContentType: "application/octet-stream", Errors: []int{http.StatusNotFound}, Handler: web.Asset},
	}...)
}

// consoleRoutes answer the dashboard's page at each console page and its deep
// links (/gateway, /gateway/requests/{id}, …): the page draws the module's
// view from the path. Each page is a route of its own, so that no path of the
// API can fall through to the page.
func consoleRoutes() []platform.Route {
	var routes []platform.Route
	for _, p := range web.ConsolePages {
		var name string
		for _, w := range strings.Split(p, "-") {
			name += strings.ToUpper(w[:1]) + w[1:]
		}
		routes = append(routes,
			platform.Route{Method: http.MethodGet, Path: "/" + p, OperationID: "console" + name, Tag: "dashboard",
				Summary: "The console's " + p + " page (the dashboard's HTML page, which draws it)",
				Raw:     true, ContentType: "text/html", Handler: web.Index()},
			platform.Route{Method: http.MethodGet, Path: "/" + p + "/:section/:id", OperationID: "console" + name + "DeepLink", Tag: "dashboard",
				Summary: "A deep link to one item of a section of the console's " + p + " page (the dashboard's HTML page, which draws it)",
				Raw:     true, ContentType: "text/html", Handler: web.Index()})
	}
	return routes
}
