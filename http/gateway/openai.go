package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/platform"
)

// The OpenAI drop-in: base_url = …/api/v1/gateway/openai/v1 makes an
// unmodified OpenAI SDK go through the pipeline. Answers are plain OpenAI JSON
// (and SSE); the security verdict travels in X-Astra-* headers; errors use
// OpenAI's error shape. The provider is the model's prefix ("anthropic/claude-…"),
// the X-Astra-Provider header, or the first of the tenant's providers that
// lists the model (else the built-in mock); X-Astra-Policy-Id picks a policy.

// OpenAIChatRequest is the OpenAI chat completions body: the gateway's one
// request model, every field of the API carried, unknown fields passed through.
type OpenAIChatRequest = providers.ChatRequest

// OpenAIChatResponse is the OpenAI chat completion object, every field the provider answered.
type OpenAIChatResponse = providers.ChatResponse

// OpenAIModelList is the OpenAI models list.
type OpenAIModelList struct {
	Object string        `json:"object"`
	Data   []OpenAIModel `json:"data"`
}

// OpenAIModel is one entry of the models list.
type OpenAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// OpenAIEmbeddingsRequest is the OpenAI embeddings body; input is a string or a list of strings.
// encoding_format "base64" (what the official SDKs ask for by default) answers
// each vector as the base64 of its little-endian float32 values.
type OpenAIEmbeddingsRequest struct {
	Model          string `json:"model"`
	Input          any    `json:"input"`
	EncodingFormat string `json:"encoding_format,omitempty"`
	Dimensions     *int   `json:"dimensions,omitempty"`
	User           string `json:"user,omitempty"`
}

// OpenAIEmbeddingList is the OpenAI embeddings answer.
type OpenAIEmbeddingList struct {
	Object string            `json:"object"`
	Data   []OpenAIEmbedding `json:"data"`
	Model  string            `json:"model"`
	Usage  providers.Usage   `json:"usage"`
}

// OpenAIEmbedding is one vector: a list of numbers, or with
// encoding_format=base64 a base64 string of little-endian float32 values.
type OpenAIEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

// OpenAIRoutes declares the drop-in routes.
func (a *API) OpenAIRoutes() []platform.Route {
	return withDependencyErrors([]platform.Route{
		{Method: http.MethodPost, Path: "/api/v1/gateway/openai/v1/chat/completions", OperationID: "openaiChat", Tag: "gateway-openai",
			Streams:    "As OpenAI streams: chat.completion.chunk events, then data: [DONE].",
			Summary:    "OpenAI-compatible chat completions through the pipeline (plain OpenAI JSON or SSE; verdict in X-Astra-* headers)",
			Permission: "gateway:write", Raw: true, Dialect: platform.OpenAIDialect, Request: OpenAIChatRequest{}, Response: OpenAIChatResponse{},
			Headers: []platform.Param{routeHeader}, Errors: []int{400, 404, 413, 422, 429, 502}, Handler: a.openaiChat},
		{Method: http.MethodGet, Path: "/api/v1/gateway/openai/v1/models", OperationID: "openaiModels", Tag: "gateway-openai",
			Summary: "OpenAI-compatible model list", Permission: "gateway:read", Raw: true, Dialect: platform.OpenAIDialect, Response: OpenAIModelList{}, Handler: a.openaiModels},
		{Method: http.MethodPost, Path: "/api/v1/gateway/openai/v1/embeddings", OperationID: "openaiEmbeddings", Tag: "gateway-openai",
			Summary: "OpenAI-compatible embeddings through the pipeline", Permission: "gateway:write", Raw: true, Dialect: platform.OpenAIDialect,
			Request: OpenAIEmbeddingsRequest{}, Response: OpenAIEmbeddingList{}, Handler: a.openaiEmbeddings},
	})
}

// openaiBlocked is a refusal of the pipeline on the drop-in. A model no
// provider offers is OpenAI's model_not_found; a policy block is typed
// astra_policy_violation; the rest take their type from the status.
func openaiBlocked(c echo.Context, b *gateway.Blocked) error {
	e := Problem(b)
	switch b.Code {
	case "SYS-002":
	case gateway.CodeProviderFailed, gateway.CodeProviderTimeout, gateway.CodeProviderCircuit, gateway.CodeProviderRejected:
		e.DialectType = openaiErrorType(b.Code)
	case "GW-020":
		e = e.WithDialectCode("model_not_found")
	case gateway.CodeNoProvider:
		e = e.WithDialectCode("no_provider_configured")
	case "VAL-001":
	default:
		e.DialectType = "astra_policy_violation"
	}
	for k, v := range b.Headers {
		c.Response().Header().Set(k, v)
	}
	return e
}

// openaiErrorType is the OpenAI error type of a refusal, in an answer or in
// a stream's error event: a provider's failure is upstream_error, its
// refusal of the request invalid_request_error, and the pipeline's own
// blocks astra_policy_violation.
func openaiErrorType(code string) string {
	switch code {
	case gateway.CodeProviderFailed, gateway.CodeProviderTimeout, gateway.CodeProviderCircuit:
		return "upstream_error"
	case gateway.CodeProviderRejected:
		return "invalid_request_error"
	}
	return "astra_policy_violation"
}

// lenientBind decodes an OpenAI body: limited to the configured body limit
// (ASTRA_BODY_LIMIT, like every other route; beyond it 413 VAL-004), one
// JSON value; unknown fields are the decoder's to keep (the request model
// keeps them as raw JSON and passes them on).
func lenientBind(c echo.Context, v any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, "application/json") {
		return platform.Problem("VAL-003", "Content-Type must be application/json.")
	}
	limit := platform.BodyLimit(c)
	if c.Request().ContentLength > limit {
		return tooLarge(limit)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(limit)
	}
	if err != nil {
		return platform.Problem("VAL-002", "The request body could not be read.")
	}
	// The same text check as platform.Bind: NUL, control characters, lone
	// surrogates and invalid UTF-8 never reach the ledger.
	if p := platform.CheckJSONText(raw); p != nil {
		return platform.InvalidText(p)
	}
	// The pipeline's request decodes itself in one pass (the same result as
	// below when it succeeds); anything else, errors included, takes the
	// general path.
	if r, ok := v.(*providers.ChatRequest); ok {
		orig := *r
		if r.UnmarshalJSON(raw) == nil {
			return nil
		}
		*r = orig
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		detail := "The request body is not valid JSON for this endpoint."
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return platform.Problem("VAL-002", detail+" The field '"+te.Field+"' has the wrong type.").
				WithFields(platform.FieldError{Field: te.Field, Message: "wrong type"})
		}
		return platform.Problem("VAL-002", detail)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(limit)
		}
		return platform.Problem("VAL-002", "Unexpected data after the JSON body.")
	}
	return nil
}

// tooLarge is the 413 of a body beyond the limit, as problem+json like every other route's.
func tooLarge(limit int64) *platform.Error {
	return platform.Problem("VAL-004", "The request body exceeds the limit of "+strconv.FormatInt(limit, 10)+" bytes.")
}

func setVerdictHeaders(c echo.Context, sec gateway.Security) {
	h := c.Response().Header()
	h.Set("X-Astra-Request-Id", sec.RequestID)
	h.Set("X-Astra-Injection-Score", strconv.FormatFloat(sec.InjectionScore, 'f', 3, 64))
	h.Set("X-Astra-PII-Detected", strconv.FormatBool(sec.PIIDetected))
	h.Set("X-Astra-Policy-Violations", strings.Join(sec.PolicyViolations, ","))
	h.Set("X-Astra-Pipeline-Latency-Ms", strconv.FormatFloat(sec.PipelineLatencyMs, 'f', 3, 64))
	h.Set("X-Astra-Cache", map[bool]string{true: "hit", false: "miss"}[sec.CacheHit])
	h.Set("X-Astra-Provider", sec.Provider)
	if sec.PolicyID != "" {
		h.Set("X-Astra-Policy", sec.PolicyID+"@"+strconv.Itoa(sec.PolicyVersion))
	}
}

func (a *API) openaiChat(c echo.Context) error {
	var req providers.ChatRequest
	if err := lenientBind(c, &req); err != nil {
		return err
	}
	if req.Model == "" || len(req.Messages) == 0 {
		return platform.Problem("VAL-001", "model and messages are required.")
	}
	requested := req.Model
	rt, err := a.routeFor(c, req.Model)
	if err != nil {
		return err
	}
	return a.runDropIn(c, rt, req, dropIn{endpoint: "openai_chat", stream: req.Stream, blocked: openaiBlocked,
		sink: func(call *gateway.Call) gateway.StreamSink {
			return &verdictSink{sseSink: &sseSink{c: c, id: "chatcmpl-" + call.RequestID, model: requested, created: time.Now().Unix(), style: openaiChunks,
				usage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}}
		},
		answer: func(call *gateway.Call, resp *providers.ChatResponse) error {
			out := *resp
			out.ID, out.Object, out.Created, out.Model = "chatcmpl-"+call.RequestID, "chat.completion", time.Now().Unix(), requested
			return c.JSON(http.StatusOK, out)
		}})
}

// verdictSink sets the X-Astra-* headers it can know before the first chunk.
type verdictSink struct{ *sseSink }

func (v *verdictSink) Start() error {
	h := v.c.Response().Header()
	h.Set("X-Astra-Request-Id", strings.TrimPrefix(v.id, "chatcmpl-"))
	return v.sseSink.Start()
}

func (a *API) openaiModels(c echo.Context) error {
	ms, err := a.Runtime.ModelsFor(c.Request().Context(), Caller(c).TenantID)
	if err != nil {
		return err
	}
	out := OpenAIModelList{Object: "list", Data: []OpenAIModel{}}
	for _, m := range ms {
		id := m.ID
		if m.Provider != providers.KindMock {
			id = m.Provider + "/" + m.ID
		}
		out.Data = append(out.Data, OpenAIModel{ID: id, Object: "model", Created: 0, OwnedBy: m.Provider})
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) openaiEmbeddings(c echo.Context) error {
	var req OpenAIEmbeddingsRequest
	if err := lenientBind(c, &req); err != nil {
		return err
	}
	var input []string
	switch v := req.Input.(type) {
	case string:
		input = []string{v}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return platform.Problem("VAL-001", "input must be a string or a list of strings.")
			}
			input = append(input, s)
		}
	}
	if req.Model == "" || len(input) == 0 || len(input) > 2048 {
		return platform.Problem("VAL-001", "model and 1 to 2048 inputs are required.")
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		return platform.Problem("VAL-001", "encoding_format must be float or base64.")
	}
	rt, err := a.routeFor(c, req.Model)
	if err != nil {
		return err
	}
	model := rt.Model
	res, err := a.Runtime.Embeddings(c.Request().Context(), &gateway.Call{Caller: Caller(c), Endpoint: "openai_embeddings", Provider: rt.Provider,
		PolicyID: c.Request().Header.Get("X-Astra-Policy-Id"), RequestID: platform.RequestID(c), Correlation: platform.RequestID(c),
		Started: requestStart(c)}, model, input)
	if err != nil {
		return err
	}
	setVerdictHeaders(c, res.Security)
	if res.Blocked != nil {
		return openaiBlocked(c, res.Blocked)
	}
	out := OpenAIEmbeddingList{Object: "list", Data: make([]OpenAIEmbedding, 0, len(res.Embeddings.Data)), Model: req.Model, Usage: res.Embeddings.Usage}
	for _, e := range res.Embeddings.Data {
		vec := any(e.Embedding)
		if e.Embedding == nil {
			vec = []float64{}
		}
		if req.EncodingFormat == "base64" {
			vec = float32Base64(e.Embedding)
		}
		out.Data = append(out.Data, OpenAIEmbedding{Object: "embedding", Index: e.Index, Embedding: vec})
	}
	return c.JSON(http.StatusOK, out)
}

// float32Base64 encodes a vector as OpenAI does for encoding_format=base64:
// little-endian IEEE 754 float32 values, base64 (standard, padded).
func float32Base64(v []float64) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(f)))
	}
	return base64.StdEncoding.EncodeToString(b)
}
