package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/http/platform/platformtest"
	"github.com/astrabastion/astra/projections"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

type userRef struct {
	ID    uuid.UUID `json:"id"`
	Email string    `json:"email"`
}

type userDTO struct {
	ID            uuid.UUID         `json:"id"`
	Email         string            `json:"email"`
	Role          string            `json:"role" enum:"admin,analyst,viewer"`
	CreatedAt     time.Time         `json:"created_at"`
	DeactivatedAt *time.Time        `json:"deactivated_at"`
	Manager       *userRef          `json:"manager"`
	Tags          []string          `json:"tags"`
	Attributes    map[string]string `json:"attributes,omitempty"`
	Version       int64             `json:"version"`
}

type createUserRequest struct {
	Email string   `json:"email" validate:"required,email"`
	Role  string   `json:"role" validate:"required,oneof=admin analyst viewer"`
	Tags  []string `json:"tags,omitempty" validate:"dive,oneof=red blue"`
}

func sampleUser(email string) userDTO {
	return userDTO{ID: uuid.New(), Email: email, Role: "viewer", CreatedAt: time.Now().UTC(), Version: 1}
}

// testRegistry declares a small API: a list, a create with a body and a
// documented conflict, a single-resource read, and a streaming export.
func testRegistry() *Registry {
	r := NewRegistry("ASTRA BASTION test API", "1.0.0")
	r.Add(
		Route{
			Method: http.MethodGet, Path: "/api/v1/iam/users", OperationID: "listUsers", Summary: "List users", Tag: "iam",
			Permission: "iam:read", Response: userDTO{}, List: true,
			Query: []Param{{Name: "created_after", Schema: "date-time", Description: "Only users created after this instant."}},
			Handler: func(c echo.Context) error {
				if _, err := QueryTime(c, "created_after"); err != nil {
					return err
				}
				manager := userRef{ID: uuid.New(), Email: "boss@example.com"}
				deactivated := time.Now().UTC()
				u1 := sampleUser("ada@example.com")
				u1.Manager, u1.DeactivatedAt, u1.Tags = &manager, &deactivated, []string{"x"}
				u2 := sampleUser("bob@example.com") // nil pointers and nil slice → null
				return ListPage(c, func(projections.PageRequest) (projections.Page[userDTO], error) {
					return projections.Page[userDTO]{Items: []userDTO{u1, u2}, HasMore: true, Next: []any{u2.ID.String()}, Total: 3}, nil
				})
			},
		},
		Route{
			Method: http.MethodPost, Path: "/api/v1/iam/users", OperationID: "createUser", Summary: "Create a user", Tag: "iam",
			Permission: "iam:write", Request: createUserRequest{}, Response: userDTO{}, Status: http.StatusCreated,
			Headers: []Param{{Name: "Idempotency-Key", Description: "Makes retries safe."}},
			Errors:  []int{http.StatusConflict},
			Handler: func(c echo.Context) error {
				var req createUserRequest
				if err := Bind(c, &req); err != nil {
					return err
				}
				if req.Email == "taken@example.com" {
					return Problem("TST-002", "That e-mail address is already registered.")
				}
				u := sampleUser(req.Email)
				c.Response().Header().Set("Location", "/api/v1/iam/users/"+u.ID.String())
				return Respond(c, http.StatusCreated, u)
			},
		},
		Route{
			Method: http.MethodGet, Path: "/api/v1/iam/users/:id", OperationID: "getUser", Summary: "Get a user", Tag: "iam",
			Permission: "authenticated", Response: userDTO{}, Errors: []int{http.StatusNotFound},
			Handler: func(c echo.Context) error {
				return Problem("TST-001", fmt.Sprintf("No user %q.", c.Param("id")))
			},
		},
		Route{
			Method: http.MethodDelete, Path: "/api/v1/iam/users/:id", OperationID: "deleteUser", Summary: "Delete a user", Tag: "iam",
			Permission: "iam:write", Status: http.StatusNoContent,
			Headers: []Param{{Name: "If-Match", Required: true}},
			Errors:  []int{http.StatusPreconditionFailed, http.StatusPreconditionRequired},
			Handler: func(c echo.Context) error {
				if c.Request().Header.Get("If-Match") != `"1"` {
					return Problem("CON-001", "The user changed since it was read.")
				}
				return Respond(c, http.StatusNoContent, nil)
			},
		},
		Route{
			Method: http.MethodGet, Path: "/api/v1/audit/export", OperationID: "exportAudit", Summary: "Stream the audit log", Tag: "audit",
			Permission: "audit:read", Raw: true, ContentType: platformtest.NDJSONContentType, Response: userRef{},
			Handler: func(c echo.Context) error {
				c.Response().Header().Set("Content-Type", platformtest.NDJSONContentType)
				c.Response().WriteHeader(http.StatusOK)
				enc := json.NewEncoder(c.Response())
				for i := 0; i < 2; i++ {
					if err := enc.Encode(userRef{ID: uuid.New(), Email: "a@example.com"}); err != nil {
						return err
					}
				}
				return nil
			},
		},
	)
	return r
}

// allowAll stands in for the real auth middleware.
func allowAll(rt Route) []echo.MiddlewareFunc {
	if rt.Permission == PermissionPublic {
		return nil
	}
	return []echo.MiddlewareFunc{func(next echo.HandlerFunc) echo.HandlerFunc { return next }}
}

func TestOpenAPIDocumentValidates(t *testing.T) {
	doc, err := testRegistry().OpenAPI()
	if err != nil {
		t.Fatalf("OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("document does not validate: %v", err)
	}
	if doc.OpenAPI != "3.0.3" || doc.Info.Title != "ASTRA BASTION test API" {
		t.Errorf("header %s %+v", doc.OpenAPI, doc.Info)
	}

	item := doc.Paths.Value("/api/v1/iam/users/{id}")
	if item == nil || item.Get == nil || item.Delete == nil {
		t.Fatalf("path params not converted: %v", doc.Paths.InMatchingOrder())
	}
	get := item.Get
	if p := get.Parameters.GetByInAndName("path", "id"); p == nil || !p.Required {
		t.Error("path parameter id not documented as required")
	}
	// A bearer token or an API key: either requirement admits the request.
	if get.Extensions["x-permission"] != "authenticated" || get.Security == nil || len(*get.Security) != 2 ||
		(*get.Security)[0]["bearerAuth"] == nil || (*get.Security)[1]["apiKeyAuth"] == nil {
		t.Errorf("authenticated route lacks security: %+v %v", get.Security, get.Extensions)
	}
	// Public: an explicit empty list, so linters see security defined on every operation.
	if s := doc.Paths.Value("/metrics").Get.Security; s == nil || len(*s) != 0 {
		t.Errorf("public route must require no credential: %+v", s)
	}
	if k := doc.Components.SecuritySchemes["apiKeyAuth"]; k == nil || k.Value.In != "header" || k.Value.Name != "X-API-Key" {
		t.Error("apiKeyAuth scheme missing")
	}
	if doc.Components.SecuritySchemes["bearerAuth"].Value.BearerFormat != "JWT" {
		t.Error("bearerAuth scheme missing")
	}

	// Every operation documents the default problems via the Problem schema.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, status := range []string{"400", "401", "403", "429", "500"} {
				ref := op.Responses.Value(status)
				if ref == nil || ref.Value.Content.Get(ProblemContentType).Schema.Ref != "#/components/schemas/Problem" {
					t.Errorf("%s %s: %s problem response missing", method, path, status)
				}
			}
		}
	}
	create := doc.Paths.Value("/api/v1/iam/users").Post
	for _, status := range []string{"409", "413", "415"} {
		if create.Responses.Value(status) == nil {
			t.Errorf("createUser lacks %s", status)
		}
	}
	codes, _ := create.Responses.Value("409").Value.Extensions["x-error-codes"].([]any)
	if !containsAny(codes, "TST-002") {
		t.Errorf("409 x-error-codes = %v", codes)
	}

	// Request schema: required and enums come from validate tags.
	req := doc.Components.Schemas["createUserRequest"].Value
	if fmt.Sprint(req.Required) != "[email role]" {
		t.Errorf("required = %v", req.Required)
	}
	if fmt.Sprint(req.Properties["role"].Value.Enum) != "[admin analyst viewer]" ||
		fmt.Sprint(req.Properties["tags"].Value.Items.Value.Enum) != "[red blue]" {
		t.Errorf("enums not derived from oneof: %+v", req.Properties["role"].Value)
	}

	// Response schema: uuid, date-time, nullable pointers, enum tag.
	user := doc.Components.Schemas["userDTO"].Value
	if s := user.Properties["id"].Value; s.Type.Is("string") == false || s.Format != "uuid" {
		t.Errorf("uuid schema %+v", s)
	}
	if s := user.Properties["created_at"].Value; s.Format != "date-time" {
		t.Errorf("time schema %+v", s)
	}
	if s := user.Properties["deactivated_at"].Value; !s.Nullable {
		t.Error("*time.Time must be nullable")
	}
	if s := user.Properties["manager"].Value; !s.Nullable || len(s.AllOf) != 1 || s.AllOf[0].Ref != "#/components/schemas/userRef" {
		t.Errorf("*struct must be a nullable $ref, got %+v", s)
	}
	if fmt.Sprint(user.Properties["role"].Value.Enum) != "[admin analyst viewer]" {
		t.Errorf("enum tag ignored: %v", user.Properties["role"].Value.Enum)
	}

	// List: limit/cursor documented and the envelope uses ListMeta.
	list := doc.Paths.Value("/api/v1/iam/users").Get
	if list.Parameters.GetByInAndName("query", "limit") == nil || list.Parameters.GetByInAndName("query", "cursor") == nil {
		t.Error("pagination parameters not documented")
	}
	env := list.Responses.Value("200").Value.Content.Get("application/json").Schema.Value
	if env.Properties["meta"].Ref != "#/components/schemas/ListMeta" || !env.Properties["data"].Value.Type.Is("array") {
		t.Errorf("list envelope %+v", env.Properties)
	}
}

func containsAny(list []any, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

func TestResponsesMatchDocument(t *testing.T) {
	reg := testRegistry()
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		reg.Mount(e, allowAll)
		reg.ServeOpenAPI(e, "/api/v1/openapi.json")
	})
	doc, err := reg.OpenAPI()
	if err != nil {
		t.Fatalf("OpenAPI: %v", err)
	}
	v := platformtest.ResponseValidator(t, doc)
	v.AssertAllRoutesDocumented(t, srv.e)

	check := func(x exchange, wantStatus int) {
		t.Helper()
		if x.resp.StatusCode != wantStatus {
			t.Fatalf("%s %s → %d, want %d: %s", x.req.Method, x.req.URL, x.resp.StatusCode, wantStatus, x.body)
		}
		v.Check(t, x.req, x.resp, x.body)
	}
	check(srv.do(t, http.MethodGet, "/api/v1/iam/users?limit=2", "", nil), http.StatusOK)
	check(srv.do(t, http.MethodGet, "/api/v1/iam/users?limit=999", "", nil), http.StatusBadRequest)
	check(srv.postJSON(t, "/api/v1/iam/users", `{"email":"new@example.com","role":"admin"}`), http.StatusCreated)
	check(srv.postJSON(t, "/api/v1/iam/users", `{"email":"taken@example.com","role":"admin"}`), http.StatusConflict)
	check(srv.postJSON(t, "/api/v1/iam/users", `{"email":"x","role":"god"}`), http.StatusBadRequest)
	check(srv.do(t, http.MethodPost, "/api/v1/iam/users", "text/plain", strings.NewReader("hi")), http.StatusUnsupportedMediaType)
	check(srv.do(t, http.MethodGet, "/api/v1/iam/users/"+uuid.NewString(), "", nil), http.StatusNotFound)
	check(srv.do(t, http.MethodDelete, "/api/v1/iam/users/u1", "", nil, "If-Match", `"1"`), http.StatusNoContent)
	check(srv.do(t, http.MethodDelete, "/api/v1/iam/users/u1", "", nil, "If-Match", `"0"`), http.StatusPreconditionFailed)
	check(srv.do(t, http.MethodGet, "/api/v1/audit/export", "", nil), http.StatusOK)
	check(srv.do(t, http.MethodGet, "/metrics", "", nil), http.StatusOK)

	served := srv.do(t, http.MethodGet, "/api/v1/openapi.json", "", nil)
	check(served, http.StatusOK)
	loaded, err := openapi3.NewLoader().LoadFromData(served.body)
	if err != nil {
		t.Fatalf("served document does not load: %v", err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("served document invalid: %v", err)
	}
	if loaded.Paths.Value("/api/v1/openapi.json") == nil {
		t.Error("the OpenAPI route does not document itself")
	}
}

// recordingTB captures failures so the validator itself can be tested.
type recordingTB struct {
	testing.TB
	failures []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestValidatorRejectsUndocumentedBehaviour(t *testing.T) {
	reg := NewRegistry("t", "1")
	reg.Add(
		Route{Method: http.MethodGet, Path: "/api/v1/lying", OperationID: "lying", Response: userRef{},
			Handler: func(c echo.Context) error { return Respond(c, http.StatusOK, map[string]int{"id": 7}) }},
		Route{Method: http.MethodGet, Path: "/api/v1/undocumented-status", OperationID: "status", Response: userRef{},
			Handler: func(c echo.Context) error { return Problem("SYS-003", "x") }},
		Route{Method: http.MethodGet, Path: "/api/v1/bodyless", OperationID: "bodyless",
			Handler: func(c echo.Context) error { return Respond(c, http.StatusOK, "surprise") }},
	)
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		reg.Mount(e, nil)
		e.GET("/api/v1/rogue", func(c echo.Context) error { return nil })
	})
	doc, err := reg.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	v := platformtest.ResponseValidator(t, doc)
	for _, path := range []string{"/api/v1/lying", "/api/v1/undocumented-status", "/api/v1/bodyless", "/api/v1/rogue"} {
		rec := &recordingTB{TB: t}
		x := srv.do(t, http.MethodGet, path, "", nil)
		v.Check(rec, x.req, x.resp, x.body)
		if len(rec.failures) == 0 {
			t.Errorf("%s: validator accepted an undocumented response: %s", path, x.body)
		}
	}
	rec := &recordingTB{TB: t}
	v.AssertAllRoutesDocumented(rec, srv.e)
	if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "/api/v1/rogue") {
		t.Errorf("AssertAllRoutesDocumented failures = %v", rec.failures)
	}
}

func TestMountFailsClosed(t *testing.T) {
	reg := NewRegistry("t", "1")
	reg.Add(Route{Method: http.MethodGet, Path: "/api/v1/secret", OperationID: "secret", Permission: "x:read",
		Handler: func(c echo.Context) error { return nil }})
	defer func() {
		if recover() == nil {
			t.Fatal("mounting a permissioned route without auth middleware must panic")
		}
	}()
	reg.Mount(NewEcho(Config{}), nil)
}

func TestRegistryRejectsBadDeclarations(t *testing.T) {
	h := func(c echo.Context) error { return nil }
	cases := map[string][]Route{
		"duplicate route":     {{Method: "GET", Path: "/a", OperationID: "a", Handler: h}, {Method: "GET", Path: "/a", OperationID: "b", Handler: h}},
		"duplicate operation": {{Method: "GET", Path: "/a", OperationID: "a", Handler: h}, {Method: "GET", Path: "/b", OperationID: "a", Handler: h}},
		"no handler":          {{Method: "GET", Path: "/a", OperationID: "a"}},
		"no operation id":     {{Method: "GET", Path: "/a", Handler: h}},
		"wildcard":            {{Method: "GET", Path: "/static/*", OperationID: "a", Handler: h}},
		"bad param schema":    {{Method: "GET", Path: "/a", OperationID: "a", Handler: h, Query: []Param{{Name: "q", Schema: "float"}}}},
	}
	for name, routes := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			NewRegistry("t", "1").Add(routes...)
		})
	}
}

// Two packages may both have a type called User; both must be documented.
type collisionA struct {
	User struct {
		A string `json:"a"`
	} `json:"user"`
}

func TestComponentNamesDoNotCollide(t *testing.T) {
	type Meta struct {
		X string `json:"x"`
	}
	reg := NewRegistry("t", "1")
	reg.Add(Route{Method: "GET", Path: "/a", OperationID: "a", Response: Meta{}, Handler: func(c echo.Context) error { return nil }})
	doc, err := reg.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Components.Schemas["platform.Meta"]; !ok {
		t.Errorf("user type Meta should be qualified, components: %v", keysOf(doc.Components.Schemas))
	}
	if doc.Components.Schemas["Meta"].Value.Properties["request_id"] == nil {
		t.Error("platform Meta schema was overwritten")
	}
}

func keysOf(s openapi3.Schemas) []string {
	var out []string
	for k := range s {
		out = append(out, k)
	}
	return out
}
