package platform

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
)

type docTagged struct {
	Name   string `json:"name" validate:"required"`
	Tenant string `json:"tenant,omitempty" doc:"The tenant, by id or by name."`
}

// TestOpenAPI_FieldDescriptionFromDocTag: a field's doc:"…" tag becomes the
// description of its property in the schema.
func TestOpenAPI_FieldDescriptionFromDocTag(t *testing.T) {
	r := NewRegistry("doc tag", "1.0.0")
	r.Add(Route{Method: http.MethodPost, Path: "/api/v1/x", OperationID: "x", Summary: "X", Tag: "x", Permission: "x:write",
		Request: docTagged{}, Response: docTagged{}, Handler: func(echo.Context) error { return nil }})
	doc, err := r.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range doc.Components.Schemas {
		if p := s.Value.Properties["tenant"]; p != nil {
			if p.Value.Description != "The tenant, by id or by name." {
				t.Fatalf("%s.tenant description %q", name, p.Value.Description)
			}
			if s.Value.Properties["name"].Value.Description != "" {
				t.Fatalf("%s.name got a description", name)
			}
			return
		}
	}
	t.Fatal("no schema with a tenant property")
}
