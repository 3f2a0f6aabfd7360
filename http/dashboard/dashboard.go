// Package dashboard declares the routes of the dashboard (package web): its
// page at / and its files at /assets/{name}, public, served from the files
// embedded in the binary. The route table lives here so that web, the
// pages, imports no http package (decision 0015).
package dashboard

import (
	"net/http"

	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/web"
)

// Routes declares the dashboard's public routes.
func Routes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: "/", OperationID: "dashboard", Tag: "dashboard",
			Summary: "The dashboard (HTML page; signs in through /api/v1/auth/login, reads the API, follows /ws)",
			Raw:     true, ContentType: "text/html", Handler: web.Index()},
		{Method: http.MethodGet, Path: "/docs", OperationID: "apiReference", Tag: "dashboard",
			Summary: "The API reference: Redoc over /api/v1/openapi.json, served from the binary (HTML page)",
			Raw:     true, ContentType: "text/html", Handler: web.Docs()},
		{Method: http.MethodGet, Path: "/assets/:name", OperationID: "dashboardAsset", Tag: "dashboard",
			Summary: "A dashboard file: JavaScript module, style sheet or icon (its own content type)",
			Raw:     true, ContentType: "application/octet-stream", Errors: []int{http.StatusNotFound}, Handler: web.Asset},
	}
}
