package platform

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
)

const (
	schemaRefPrefix   = "#/components/schemas/"
	responseRefPrefix = "#/components/responses/"
	requestIDHeader   = "X-Request-ID"
	bearerScheme      = "bearerAuth"
	apiKeyScheme      = "apiKeyAuth"
)

// Names of the hand-written component schemas; generated Go types that
// happen to share a name are qualified with their package instead.
const (
	problemSchema    = "Problem"
	fieldErrorSchema = "FieldError"
	metaSchema       = "Meta"
	listMetaSchema   = "ListMeta"
	paginationSchema = "Pagination"
)

// paramSchemas maps Param.Schema to its OpenAPI schema.
var paramSchemas = map[string]func() *openapi3.Schema{
	"":          openapi3.NewStringSchema,
	"string":    openapi3.NewStringSchema,
	"integer":   openapi3.NewIntegerSchema,
	"number":    openapi3.NewFloat64Schema,
	"boolean":   openapi3.NewBoolSchema,
	"date-time": openapi3.NewDateTimeSchema,
	"uuid":      openapi3.NewUUIDSchema,
}

// OpenAPI builds the OpenAPI 3.0 document from the declarations. The result
// has been serialised, re-loaded and validated, so every $ref resolves and
// what is returned is exactly what clients receive.
func (r *Registry) OpenAPI() (*openapi3.T, error) {
	routes := r.Routes()
	gen := newSchemaGenerator()
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   r.title,
			Version: r.version,
			Description: "Successful JSON responses use the envelope {data, meta, errors}. " +
				"Errors are RFC 7807 application/problem+json documents whose error_code is listed in the error catalogue (docs/errors.md).",
		},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas:   gen.schemas,
			Responses: openapi3.ResponseBodies{},
			Headers: openapi3.Headers{
				requestIDHeader: &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
					Description: "Correlation id of the request (echoed from the request when valid, generated otherwise).",
					Required:    true,
					Schema:      openapi3.NewStringSchema().WithPattern(`^[A-Za-z0-9_-]{1,64}$`).NewRef(),
				}}},
				RateLimitLimitHeader:     rateLimitHeader("Requests the tightest budget of the request admits per window."),
				RateLimitRemainingHeader: rateLimitHeader("Requests that budget still admits now."),
				RateLimitResetHeader:     rateLimitHeader("Unix time (seconds) when the oldest request of that budget leaves the sliding window, freeing a slot."),
				RetryAfterHeader: &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
					Description: "Seconds to wait before retrying (sent with RATE-001).",
					Schema:      openapi3.NewIntegerSchema().WithMin(1).NewRef(),
				}}},
			},
			SecuritySchemes: openapi3.SecuritySchemes{
				bearerScheme: &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().
					WithDescription("An access token from POST /api/v1/auth/login (or an API key) as Authorization: Bearer.")},
				apiKeyScheme: &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("header").
					WithName("X-API-Key").WithDescription("An API key from POST /api/v1/iam/api-keys.")},
			},
		},
		Servers: openapi3.Servers{{URL: "/", Description: "The server that serves this document."}},
	}
	addPlatformSchemas(gen.schemas)

	tags := map[string]bool{}
	for _, rt := range routes {
		op, err := buildOperation(rt, gen, doc.Components)
		if err != nil {
			return nil, fmt.Errorf("openapi: route %s %s: %w", rt.Method, rt.Path, err)
		}
		path := openAPIPath(rt.Path)
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		item.SetOperation(rt.Method, op)
		if rt.Tag != "" {
			tags[rt.Tag] = true
		}
	}
	gen.describeFields()
	catalogueMu.Lock()
	for _, name := range sortedKeys(tags) {
		doc.Tags = append(doc.Tags, &openapi3.Tag{Name: name, Description: tagDescriptions[name]})
	}
	catalogueMu.Unlock()

	// Round-trip through JSON: it resolves the $refs the generator left
	// unresolved and guarantees the validated document is the served one.
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: marshal: %w", err)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi: load generated document: %w", err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: generated document is invalid: %w", err)
	}
	return loaded, nil
}

// openAPIPath converts Echo's ":id" parameters to OpenAPI's "{id}".
func openAPIPath(echoPath string) string {
	segs := strings.Split(echoPath, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func pathParamNames(echoPath string) []string {
	var names []string
	for _, s := range strings.Split(echoPath, "/") {
		if strings.HasPrefix(s, ":") {
			names = append(names, s[1:])
		}
	}
	return names
}

func buildOperation(rt Route, gen *schemaGenerator, comps *openapi3.Components) (*openapi3.Operation, error) {
	op := &openapi3.Operation{
		OperationID: rt.OperationID,
		Summary:     rt.Summary,
		Responses:   openapi3.NewResponses(),
	}
	if rt.Tag != "" {
		op.Tags = []string{rt.Tag}
	}

	for _, name := range pathParamNames(rt.Path) {
		op.AddParameter(openapi3.NewPathParameter(name).WithSchema(openapi3.NewStringSchema()))
	}
	query := slices.Clone(rt.Query)
	paged := rt.List && !rt.Complete
	if paged {
		query = addPageParams(query)
	}
	for _, p := range query {
		op.AddParameter(paramWithSchema(openapi3.NewQueryParameter(p.Name), p, paged))
	}
	for _, p := range rt.Headers {
		op.AddParameter(paramWithSchema(openapi3.NewHeaderParameter(p.Name), p, false))
	}

	if rt.Request != nil {
		ref, err := gen.ref(rt.Request)
		if err != nil {
			return nil, fmt.Errorf("request schema: %w", err)
		}
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().
			WithRequired(true).
			WithContent(openapi3.NewContentWithJSONSchemaRef(ref))}
	}

	success, err := successResponse(rt, gen)
	if err != nil {
		return nil, err
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: success})
	for _, f := range rt.Foreign {
		resp := openapi3.NewResponse().WithDescription(f.Description)
		resp.Headers = responseHeaders()
		anyValue := &openapi3.Schema{}
		setAnyValue(anyValue)
		resp.Content = openapi3.NewContentWithSchema(anyValue, f.ContentTypes)
		op.Responses.Set(strconv.Itoa(f.Status), &openapi3.ResponseRef{Value: resp})
	}

	for _, s := range errorStatuses(rt) {
		name := ensureErrorResponse(comps, s)
		if rt.Dialect != nil {
			name = ensureDialectResponse(comps, s)
		}
		op.Responses.Set(strconv.Itoa(s), &openapi3.ResponseRef{Ref: responseRefPrefix + name})
	}

	op.Security = &openapi3.SecurityRequirements{} // public: no credential
	if rt.Permission != PermissionPublic {
		op.Security = &openapi3.SecurityRequirements{{bearerScheme: []string{}}, {apiKeyScheme: []string{}}}
		op.Extensions = map[string]any{"x-permission": rt.Permission}
		if rt.BodyLimit > 0 {
			op.Extensions["x-max-body-bytes"] = rt.BodyLimit
		}
	}
	return op, nil
}

// addPageParams documents the parameters ListPage reads, unless the route
// declared them itself.
func addPageParams(query []Param) []Param {
	if !hasParam(query, "limit") {
		query = append(query, Param{Name: "limit", Schema: "integer",
			Description: fmt.Sprintf("Page size, %d to %d (default %d).", 1, MaxPageLimit, DefaultPageLimit)})
	}
	if !hasParam(query, "cursor") {
		query = append(query, Param{Name: "cursor",
			Description: "Opaque cursor from meta.pagination.cursor of the previous page."})
	}
	return query
}

// paramWithSchema documents one parameter; paged says it belongs to a paged
// list, whose limit has the page bounds.
func paramWithSchema(p *openapi3.Parameter, decl Param, paged bool) *openapi3.Parameter {
	schema := paramSchemas[decl.Schema]()
	if paged && decl.Name == "limit" && decl.Schema == "integer" {
		schema = schema.WithMin(1).WithMax(MaxPageLimit).WithDefault(DefaultPageLimit)
	}
	for _, v := range decl.Enum {
		if decl.Schema == "boolean" {
			schema.Enum = append(schema.Enum, v == "true")
			continue
		}
		schema.Enum = append(schema.Enum, v)
	}
	p.Description = decl.Description
	p.Required = decl.Required
	return p.WithSchema(schema)
}

func successResponse(rt Route, gen *schemaGenerator) (*openapi3.Response, error) {
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	resp := openapi3.NewResponse().WithDescription(http.StatusText(status))
	resp.Headers = responseHeaders()
	if slices.ContainsFunc(rt.Headers, func(p Param) bool { return strings.EqualFold(p.Name, "If-Match") }) {
		resp.Headers["ETag"] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: "Version of the resource, to send back in If-Match.",
			Schema:      openapi3.NewStringSchema().NewRef(),
		}}}
	}
	if status == http.StatusCreated {
		resp.Headers["Location"] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: "URL of the created resource.",
			Schema:      openapi3.NewStringSchema().NewRef(),
		}}}
	}

	var data *openapi3.SchemaRef
	if rt.Response != nil {
		ref, err := gen.ref(rt.Response)
		if err != nil {
			return nil, fmt.Errorf("response schema: %w", err)
		}
		data = ref
	}

	if rt.Raw {
		ct := rt.ContentType
		if ct == "" {
			ct = jsonContentType
		}
		schema := data
		switch {
		case schema == nil && strings.HasPrefix(ct, "text/"):
			schema = openapi3.NewStringSchema().NewRef()
		case schema == nil:
			schema = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
			setAnyValue(schema.Value)
		case strings.Contains(ct, "ndjson"):
			// Each line is one Response value; validators decode the stream
			// as an array of lines.
			schema = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: data}}
		}
		resp.Content = openapi3.NewContentWithSchemaRef(schema, []string{ct})
		addEventStream(resp, rt)
		return resp, nil
	}
	if data == nil {
		return resp, nil
	}
	resp.Content = openapi3.NewContentWithJSONSchemaRef(envelopeSchema(data, rt.List))
	addEventStream(resp, rt)
	return resp, nil
}

// addEventStream documents a route's other answers: the content types
// AlsoAnswers lists, and for a streaming route Server-Sent Events, each a
// `data:` line of JSON, ending as Streams says.
func addEventStream(resp *openapi3.Response, rt Route) {
	for _, ct := range rt.AlsoAnswers {
		resp.Content[ct] = &openapi3.MediaType{Schema: openapi3.NewStringSchema().NewRef()}
	}
	if rt.Streams == "" {
		return
	}
	s := openapi3.NewStringSchema()
	s.Description = "With \"stream\": true: Server-Sent Events. " + rt.Streams
	resp.Content["text/event-stream"] = &openapi3.MediaType{Schema: s.NewRef()}
}

const jsonContentType = "application/json"

// envelopeSchema wraps a data schema in {data, meta, errors}.
func envelopeSchema(data *openapi3.SchemaRef, list bool) *openapi3.SchemaRef {
	meta := metaSchema
	if list {
		data = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeArray}, Items: data}}
		meta = listMetaSchema
	}
	s := openapi3.NewObjectSchema()
	s.Required = []string{"data", "meta", "errors"}
	s.Properties = openapi3.Schemas{
		"data": data,
		"meta": openapi3.NewSchemaRef(schemaRefPrefix+meta, nil),
		"errors": {Value: &openapi3.Schema{
			Type:        &openapi3.Types{openapi3.TypeArray},
			Nullable:    true,
			Description: "Always null on success.",
			Items:       openapi3.NewSchemaRef(schemaRefPrefix+fieldErrorSchema, nil),
		}},
	}
	return s.NewRef()
}

func requestIDHeaderRef() *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Ref: "#/components/headers/" + requestIDHeader}
}

// The rate-limit headers http/ratelimit sets on every answer of a limited
// route, success and problem alike. They are documented on every operation
// but not required: the health checks, /metrics and this document are not
// limited, and while the limiter's store is down requests are served
// without them.
const (
	RateLimitLimitHeader     = "X-RateLimit-Limit"
	RateLimitRemainingHeader = "X-RateLimit-Remaining"
	RateLimitResetHeader     = "X-RateLimit-Reset"
	RetryAfterHeader         = "Retry-After"
)

func rateLimitHeader(description string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: description,
		Schema:      openapi3.NewIntegerSchema().WithMin(0).NewRef(),
	}}}
}

// responseHeaders are the headers every response documents.
func responseHeaders() openapi3.Headers {
	h := openapi3.Headers{requestIDHeader: requestIDHeaderRef()}
	for _, name := range []string{RateLimitLimitHeader, RateLimitRemainingHeader, RateLimitResetHeader} {
		h[name] = &openapi3.HeaderRef{Ref: "#/components/headers/" + name}
	}
	return h
}

// errorStatuses is the sorted set of problem statuses a route documents.
// Bind can always answer 413 and 415 for routes with a body.
func errorStatuses(rt Route) []int {
	set := map[int]bool{}
	for _, s := range defaultErrorStatuses {
		set[s] = true
	}
	for _, s := range rt.Errors {
		set[s] = true
	}
	if rt.Request != nil {
		set[http.StatusRequestEntityTooLarge] = true
		set[http.StatusUnsupportedMediaType] = true
	}
	statuses := make([]int, 0, len(set))
	for s := range set {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	return statuses
}

// ensureDialectResponse defines the shared error response of a Dialect
// route: JSON in the foreign API's shape (an object; see the Dialect).
func ensureDialectResponse(comps *openapi3.Components, status int) string {
	name := "DialectError" + strconv.Itoa(status)
	if _, ok := comps.Responses[name]; ok {
		return name
	}
	resp := openapi3.NewResponse().WithDescription(http.StatusText(status) + " in the route's API dialect (e.g. OpenAI's {\"error\":{message,type,param,code}})")
	resp.Headers = responseHeaders()
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		resp.Headers[RetryAfterHeader] = &openapi3.HeaderRef{Ref: "#/components/headers/" + RetryAfterHeader}
	}
	resp.Content = openapi3.NewContentWithJSONSchema(openapi3.NewObjectSchema())
	comps.Responses[name] = &openapi3.ResponseRef{Value: resp}
	return name
}

// ensureErrorResponse defines the shared problem response for status (once)
// and returns its component name.
func ensureErrorResponse(comps *openapi3.Components, status int) string {
	name := "Error" + strconv.Itoa(status)
	if _, ok := comps.Responses[name]; ok {
		return name
	}
	codes := CodesForStatus(status)
	if len(codes) == 0 {
		codes = []string{"HTTP-" + strconv.Itoa(status)}
	}
	resp := openapi3.NewResponse().WithDescription(http.StatusText(status))
	resp.Headers = responseHeaders()
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		resp.Headers[RetryAfterHeader] = &openapi3.HeaderRef{Ref: "#/components/headers/" + RetryAfterHeader}
	}
	resp.Content = openapi3.NewContentWithSchemaRef(
		openapi3.NewSchemaRef(schemaRefPrefix+problemSchema, nil), []string{ProblemContentType})
	resp.Extensions = map[string]any{"x-error-codes": codes}
	comps.Responses[name] = &openapi3.ResponseRef{Value: resp}
	return name
}

// addPlatformSchemas defines the envelope and problem schemas by hand, with
// exact required lists, rather than generating them from Go types.
func addPlatformSchemas(schemas openapi3.Schemas) {
	ref := func(name string) *openapi3.SchemaRef { return openapi3.NewSchemaRef(schemaRefPrefix+name, nil) }

	fieldErr := openapi3.NewObjectSchema().
		WithProperty("field", openapi3.NewStringSchema()).
		WithProperty("message", openapi3.NewStringSchema())
	fieldErr.Required = []string{"field", "message"}
	schemas[fieldErrorSchema] = fieldErr.NewRef()

	pagination := openapi3.NewObjectSchema().
		WithProperty("cursor", describedString("Cursor of the next page; absent on the last page.")).
		WithProperty("limit", openapi3.NewIntegerSchema()).
		WithProperty("has_more", openapi3.NewBoolSchema()).
		WithProperty("total_count", openapi3.NewInt64Schema()).
		WithProperty("total_count_estimated", describedBool("True when total_count is the planner's estimate: the list is too large to count exactly on every page."))
	pagination.Required = []string{"limit", "has_more"}
	schemas[paginationSchema] = pagination.NewRef()

	newMeta := func(list bool) *openapi3.SchemaRef {
		m := openapi3.NewObjectSchema().
			WithProperty("request_id", openapi3.NewStringSchema()).
			WithProperty("timestamp", openapi3.NewDateTimeSchema()).
			WithProperty("version", openapi3.NewStringSchema())
		m.Properties["pagination"] = ref(paginationSchema)
		m.Required = []string{"request_id", "timestamp", "version"}
		if list {
			m.Required = append(m.Required, "pagination")
		}
		return m.NewRef()
	}
	schemas[metaSchema] = newMeta(false)
	schemas[listMetaSchema] = newMeta(true)

	catalogue := make(map[string]any, len(Catalogue))
	for code, entry := range Catalogue {
		catalogue[code] = map[string]any{"status": entry.Status, "title": entry.Title}
	}
	problem := openapi3.NewObjectSchema().
		WithProperty("type", describedString(ProblemTypeBase+"<error_code>")).
		WithProperty("title", openapi3.NewStringSchema()).
		WithProperty("status", openapi3.NewIntegerSchema().WithMin(400).WithMax(599)).
		WithProperty("detail", openapi3.NewStringSchema()).
		WithProperty("instance", describedString("Path of the request.")).
		WithProperty("error_code", openapi3.NewStringSchema().WithPattern(`^[A-Z]+-[0-9]{3}$`)).
		WithProperty("request_id", openapi3.NewStringSchema()).
		WithProperty("timestamp", openapi3.NewDateTimeSchema())
	problem.Properties["errors"] = &openapi3.SchemaRef{Value: &openapi3.Schema{
		Type:  &openapi3.Types{openapi3.TypeArray},
		Items: ref(fieldErrorSchema),
	}}
	problem.Required = []string{"type", "title", "status", "detail", "instance", "error_code", "request_id", "timestamp"}
	problem.Description = "RFC 7807 problem details. error_code is a stable code from the catalogue in x-error-codes."
	problem.Extensions = map[string]any{"x-error-codes": catalogue}
	schemas[problemSchema] = problem.NewRef()
}

func describedString(description string) *openapi3.Schema {
	s := openapi3.NewStringSchema()
	s.Description = description
	return s
}

func describedBool(description string) *openapi3.Schema {
	s := openapi3.NewBoolSchema()
	s.Description = description
	return s
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// schemaGenerator turns Go types into component schemas with openapi3gen,
// adding what openapi3gen leaves out: UUIDs, text-marshalled types, enums,
// required fields from validate tags, and nullability of pointers, slices
// and maps (encoding/json writes null for nil ones).
type schemaGenerator struct {
	gen     *openapi3gen.Generator
	schemas openapi3.Schemas
	names   map[string]reflect.Type
	byType  map[reflect.Type]string
}

// describeFields gives each component's properties the doc comment of their
// Go field (fieldDocs, generated from the source by internal/fielddocs) where
// a doc:"…" tag gave none. A property that is a bare $ref keeps the
// referenced schema's description.
func (g *schemaGenerator) describeFields() {
	for name, t := range g.names {
		comp := g.schemas[name]
		if t == nil || comp == nil || comp.Value == nil || t.Kind() != reflect.Struct {
			continue
		}
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous || f.Tag.Get("json") == "-" {
				continue
			}
			prop := comp.Value.Properties[jsonFieldName(f)]
			if prop == nil || prop.Ref != "" || prop.Value == nil || prop.Value.Description != "" {
				continue
			}
			owner := t
			for _, i := range f.Index[:len(f.Index)-1] {
				owner = owner.Field(i).Type
				for owner.Kind() == reflect.Pointer {
					owner = owner.Elem()
				}
			}
			if d := fieldDocs[owner.PkgPath()+"."+owner.Name()+"."+f.Name]; d != "" {
				prop.Value.Description = d
			}
		}
	}
}

func newSchemaGenerator() *schemaGenerator {
	g := &schemaGenerator{
		schemas: openapi3.Schemas{},
		names:   map[string]reflect.Type{},
		byType:  map[reflect.Type]string{},
	}
	for _, reserved := range []string{problemSchema, fieldErrorSchema, metaSchema, listMetaSchema, paginationSchema} {
		g.names[reserved] = nil
	}
	g.gen = openapi3gen.NewGenerator(
		// Match encoding/json, which also serialises fields without tags.
		openapi3gen.UseAllExportedFields(),
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
			ExportComponentSchemas: true,
			ExportTopLevelSchema:   true,
		}),
		openapi3gen.CreateTypeNameGenerator(g.typeName),
		openapi3gen.SchemaCustomizer(customizeSchema),
	)
	return g
}

// ref returns the schema of v's type, registering components as needed.
func (g *schemaGenerator) ref(v any) (*openapi3.SchemaRef, error) {
	ref, err := g.gen.NewSchemaRefForValue(v, g.schemas)
	if err != nil {
		return nil, fmt.Errorf("generate schema for %T: %w", v, err)
	}
	g.markNullableRefs(reflect.TypeOf(v), ref, map[reflect.Type]bool{})
	return ref, nil
}

// Named is a type that names its OpenAPI component itself: where two
// packages use one Go name for different things (the gateway's envelope chat
// request and the OpenAI wire format, say), each says what it is.
type Named interface{ OpenAPIName() string }

// typeName gives each named Go type a unique component name: its own
// (Named), else the bare type name, qualified by package only when two
// packages use the same name.
func (g *schemaGenerator) typeName(t reflect.Type) string {
	if t.Name() == "" {
		return "" // anonymous types are inlined
	}
	if name, ok := g.byType[t]; ok {
		return name
	}
	name := sanitizeComponentName(t.Name())
	if n, ok := reflect.New(t).Elem().Interface().(Named); ok {
		name = sanitizeComponentName(n.OpenAPIName())
	}
	if other, taken := g.names[name]; taken && other != t {
		pkg := t.PkgPath()
		if i := strings.LastIndex(pkg, "/"); i >= 0 {
			pkg = pkg[i+1:]
		}
		base := sanitizeComponentName(pkg + "." + t.Name())
		name = base
		for i := 2; g.names[name] != nil || name == problemSchema; i++ {
			name = base + strconv.Itoa(i)
		}
	}
	g.names[name] = t
	g.byType[t] = name
	return name
}

// sanitizeComponentName keeps the characters OpenAPI allows in component
// keys (generic instantiations contain brackets and slashes).
func sanitizeComponentName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

var (
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
)

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// customizeSchema is the openapi3gen hook, called for every generated
// schema with the (dereferenced) Go type and the struct tag of the field.
func customizeSchema(_ string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	switch {
	case t == timeType:
		return nil
	case t == uuidType:
		schema.Type = &openapi3.Types{openapi3.TypeString}
		schema.Format = "uuid"
		return nil
	case t == rawMessageType || t.Kind() == reflect.Interface:
		setAnyValue(schema) // any JSON value, null included
		return nil
	case implements(t, jsonMarshalerType):
		// Custom JSON: the shape is unknown, document it as any value.
		setAnyValue(schema)
	case implements(t, textMarshalerType):
		*schema = openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Nullable: schema.Nullable}
	}

	switch t.Kind() {
	case reflect.Struct:
		if schema.Properties == nil {
			// openapi3gen only exports components that have properties; an
			// empty map keeps field-less and custom-marshalled structs from
			// becoming dangling $refs.
			schema.Properties = openapi3.Schemas{}
			if schema.Type == nil && schema.Format == "" && !schema.Nullable {
				schema.Type = &openapi3.Types{openapi3.TypeObject}
			}
		}
		schema.Required = requiredFields(t, schema)
	case reflect.Slice, reflect.Map:
		schema.Nullable = true
	}
	applyEnum(t, tag, schema)
	if d := tag.Get("doc"); d != "" {
		schema.Description = d // a field's description, from its doc:"…" tag
	}
	return nil
}

// setAnyValue makes schema accept any JSON value, null included, in the
// way OpenAPI 3.0 linters accept: every alternative has a type, and only the
// object one is nullable.
func setAnyValue(schema *openapi3.Schema) {
	typed := func(t string) *openapi3.SchemaRef {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{t}}}
	}
	object := typed(openapi3.TypeObject)
	object.Value.Nullable = true
	array := typed(openapi3.TypeArray)
	array.Value.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	*schema = openapi3.Schema{Description: schema.Description,
		AnyOf: openapi3.SchemaRefs{object, array, typed(openapi3.TypeString), typed(openapi3.TypeNumber), typed(openapi3.TypeBoolean)}}
}

// requiredFields lists the JSON names of fields tagged validate:"required".
func requiredFields(t reflect.Type, schema *openapi3.Schema) []string {
	var required []string
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || (f.Anonymous && f.Tag.Get("json") == "") {
			continue
		}
		name := jsonFieldName(f)
		if f.Tag.Get("json") == "-" || schema.Properties[name] == nil {
			continue
		}
		ownRules, _, _ := strings.Cut(f.Tag.Get("validate"), "dive")
		if slices.Contains(strings.Split(ownRules, ","), "required") && !slices.Contains(required, name) {
			required = append(required, name)
		}
	}
	return required
}

// applyEnum documents allowed values from an `enum:"a,b"` tag or a
// validate "oneof" rule. For containers the values apply to the elements
// (rules after "dive"), which openapi3gen visits with the same tag.
func applyEnum(t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) {
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Struct, reflect.Interface:
		return
	}
	var values []string
	if enum := tag.Get("enum"); enum != "" {
		values = strings.Split(enum, ",")
	} else {
		rules := tag.Get("validate")
		if before, after, dived := strings.Cut(rules, "dive"); dived {
			rules = after
		} else {
			rules = before
		}
		for _, rule := range strings.Split(rules, ",") {
			if params, ok := strings.CutPrefix(rule, "oneof="); ok {
				values = strings.Fields(params)
			}
		}
	}
	if len(values) == 0 {
		return
	}
	schema.Enum = nil
	for _, v := range values {
		v = strings.TrimSpace(strings.Trim(v, "'"))
		switch t.Kind() {
		case reflect.String:
			schema.Enum = append(schema.Enum, v)
		default:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			schema.Enum = append(schema.Enum, n)
		}
	}
}

// markNullableRefs wraps $ref properties of pointer fields as
// {nullable, allOf: [$ref]}: openapi3gen drops nullability for pointers to
// component structs, but encoding/json writes null for nil pointers.
func (g *schemaGenerator) markNullableRefs(t reflect.Type, ref *openapi3.SchemaRef, seen map[reflect.Type]bool) {
	if t == nil || ref == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	schema := ref.Value
	if name, ok := strings.CutPrefix(ref.Ref, schemaRefPrefix); ok {
		if comp := g.schemas[name]; comp != nil {
			schema = comp.Value
		}
	}
	if schema == nil {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType || seen[t] || schema.Properties == nil {
			return
		}
		seen[t] = true
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || (f.Anonymous && f.Tag.Get("json") == "") || f.Tag.Get("json") == "-" {
				continue
			}
			name := jsonFieldName(f)
			prop := schema.Properties[name]
			if prop == nil {
				continue
			}
			if f.Type.Kind() == reflect.Pointer && prop.Ref != "" {
				// OpenAPI 3.0 wants a type beside nullable: the referenced one's.
				var typ *openapi3.Types
				if comp := g.schemas[strings.TrimPrefix(prop.Ref, schemaRefPrefix)]; comp != nil && comp.Value != nil {
					typ = comp.Value.Type
				}
				if typ == nil {
					typ = &openapi3.Types{openapi3.TypeObject}
				}
				schema.Properties[name] = &openapi3.SchemaRef{Value: &openapi3.Schema{
					Type:     typ,
					Nullable: true,
					AllOf:    openapi3.SchemaRefs{prop},
				}}
			}
			g.markNullableRefs(f.Type, prop, seen)
		}
	case reflect.Slice, reflect.Array:
		g.markNullableRefs(t.Elem(), schema.Items, seen)
	case reflect.Map:
		g.markNullableRefs(t.Elem(), schema.AdditionalProperties.Schema, seen)
	}
}
