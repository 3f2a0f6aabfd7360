package web

import (
	"net/http"

	"github.com/astrabastion/astra/http/platform"
)

// Routes declares the dashboard's public routes.
//
// Deprecated: http/dashboard.Routes declares them; this copy stays only
// while http/server still registers web.Routes(), and goes (with the
// import-direction exception "web → http/platform") once it registers
// dashboard.Routes().
func Routes() []platform.Route {
	return []platform.Route{
		{Method: http.MethodGet, Path: "/", OperationID: "dashboard", Tag: "dashboard",
			Summary: "The dashboard (HTML page; signs in through /api/v1/auth/login, reads the API, follows /ws)",
			Raw:     true, ContentType: "text/html", Handler: Index()},
		{Method: http.MethodGet, Path: "/assets/:name", OperationID: "dashboardAsset", Tag: "dashboard",
			Summary: "A dashboard file: JavaScript module, style sheet or icon (its own content type)",
			Raw:     true, ContentType: "application/octet-stream", Errors: []int{http.StatusNotFound}, Handler: Asset},
	}
}
