package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/astrabastion/astra/http/platform/platformtest"
	"github.com/astrabastion/astra/testkit"
)

// TestAPI_ServedDocumentCoversEveryRouteAndValidates holds the product to its
// published contract: every route Echo serves is in the OpenAPI document, and
// the document served at /api/v1/openapi.json is a valid OpenAPI 3 document.
func TestAPI_ServedDocumentCoversEveryRouteAndValidates(t *testing.T) {
	in := testkit.Start(t, nil)

	t.Run("EveryServedRouteIsDocumented", func(t *testing.T) {
		routes := in.Running.Echo.Routes()
		if len(routes) < 10 {
			t.Fatalf("only %d routes are served", len(routes))
		}
		platformtest.ResponseValidator(t, in.Doc).AssertAllRoutesDocumented(t, in.Running.Echo)
	})

	t.Run("ServedDocumentValidates", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/openapi.json", "", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("openapi.json: %d %s", r.Status, r.Body)
		}
		doc, err := openapi3.NewLoader().LoadFromData(r.Body)
		if err != nil {
			t.Fatalf("load served document: %v", err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("served document is invalid: %v", err)
		}
		// The served document is the one the tests validate answers against.
		for _, path := range []string{"/api/v1/iam/users", "/api/v1/iam/users/{id}", "/api/v1/admin/audit/events", "/ws", "/.well-known/jwks.json"} {
			if doc.Paths.Find(path) == nil {
				t.Errorf("served document lacks %s", path)
			}
			if in.Doc.Paths.Find(path) == nil {
				t.Errorf("registry document lacks %s", path)
			}
		}
		if doc.Paths.Len() != in.Doc.Paths.Len() {
			t.Fatalf("served document has %d paths, the registry's %d", doc.Paths.Len(), in.Doc.Paths.Len())
		}
		// Protected operations declare their permission and the bearer scheme.
		op := doc.Paths.Find("/api/v1/iam/users").Post
		if op == nil || op.Security == nil || op.Extensions["x-permission"] != "iam:write" {
			t.Fatalf("POST /api/v1/iam/users does not declare bearer auth and iam:write: %+v", op)
		}
	})
}
