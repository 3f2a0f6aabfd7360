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

	gw "github.com/astrabastion/astra/domain/gateway"
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

// OpenAIChatRequest is the OpenAI chat completions body (unknown fields are ignored, as OpenAI does).
type OpenAIChatRequest struct {
	Model         string              `json:"model"`
	Messages      []providers.Message `json:"messages"`
	Temperature   *float64            `json:"temperature,omitempty"`
	TopP          *float64            `json:"top_p,omitempty"`
	MaxTokens     *int                `json:"max_tokens,omitempty"`
	MaxCompletion *int                `json:"max_completion_tokens,omitempty"`
	Stop          any                 `json:"stop,omitempty"`
	Stream        bool                `json:"stream,omitempty"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options,omitempty"`
	User string `json:"user,omitempty"`
	N    *int   `json:"n,omitempty"`
}

// OpenAIChatResponse is the OpenAI chat completion object.
type OpenAIChatResponse struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []providers.Choice `json:"choices"`
	Usage   providers.Usage    `json:"usage"`
}

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

// OpenAIError is OpenAI's error envelope.
type OpenAIError struct {
	Error OpenAIErrorBody `json:"error"`
}

// OpenAIErrorBody is the error object.
type OpenAIErrorBody struct {
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      string `json:"code"`
	Param     any    `json:"param"`
	RequestID string `json:"request_id,omitempty"`
}

// OpenAIRoutes declares the drop-in routes.
func (a *API) OpenAIRoutes() []platform.Route {
	return withDependencyErrors([]platform.Route{
		{Method: http.MethodPost, Path: "/api/v1/gateway/openai/v1/chat/completions", OperationID: "openaiChat", Tag: "gateway-openai",
			Summary:    "OpenAI-compatible chat completions through the pipeline (plain OpenAI JSON or SSE; verdict in X-Astra-* headers)",
			Permission: "gateway:write", Raw: true, Request: OpenAIChatRequest{}, Response: OpenAIChatResponse{}, Handler: a.openaiChat},
		{Method: http.MethodGet, Path: "/api/v1/gateway/openai/v1/models", OperationID: "openaiModels", Tag: "gateway-openai",
			Summary: "OpenAI-compatible model list", Permission: "gateway:read", Raw: true, Response: OpenAIModelList{}, Handler: a.openaiModels},
		{Method: http.MethodPost, Path: "/api/v1/gateway/openai/v1/embeddings", OperationID: "openaiEmbeddings", Tag: "gateway-openai",
			Summary: "OpenAI-compatible embeddings through the pipeline", Permission: "gateway:write", Raw: true,
			Request: OpenAIEmbeddingsRequest{}, Response: OpenAIEmbeddingList{}, Handler: a.openaiEmbeddings},
	})
}

func openaiError(c echo.Context, status int, code, typ, msg string) error {
	return c.JSON(status, OpenAIError{Error: OpenAIErrorBody{Message: msg, Type: typ, Code: code, RequestID: platform.RequestID(c)}})
}

func openaiBlocked(c echo.Context, b *gateway.Blocked) error {
	typ := "astra_policy_violation"
	switch b.Code {
	case "SYS-002":
		// Not a verdict on the request: the platform's own 503, as on every route.
		return Problem(b)
	case gateway.CodeProviderFailed, gateway.CodeProviderTimeout, gateway.CodeProviderCircuit:
		typ = "upstream_error"
	case gateway.CodeProviderRejected:
		typ = "invalid_request_error"
	case "VAL-001", "GW-020":
		typ = "invalid_request_error"
	}
	for k, v := range b.Headers {
		c.Response().Header().Set(k, v)
	}
	title := platform.Catalogue[b.Code].Title
	return openaiError(c, gateway.StatusOf(b.Code), b.Code, typ, title+": "+b.Detail)
}

// lenientBind decodes an OpenAI body: limited to the configured body limit
// (ASTRA_BODY_LIMIT, like every other route; beyond it 413 problem+json
// VAL-004), one JSON value, unknown fields ignored. When the body is otherwise
// unacceptable it answers with OpenAI's error shape itself and reports
// answered, so the handler stops there.
func lenientBind(c echo.Context, v any) (answered bool, err error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, "application/json") {
		return true, openaiError(c, http.StatusUnsupportedMediaType, "VAL-003", "invalid_request_error", "Content-Type must be application/json.")
	}
	limit := platform.BodyLimit(c)
	if c.Request().ContentLength > limit {
		return true, tooLarge(limit)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return true, tooLarge(limit)
	}
	if err != nil {
		return true, openaiError(c, http.StatusBadRequest, "VAL-002", "invalid_request_error", "The request body could not be read.")
	}
	// The same text check as platform.Bind: NUL, control characters, lone
	// surrogates and invalid UTF-8 never reach the ledger.
	if p := platform.CheckJSONText(raw); p != nil {
		pe := platform.InvalidText(p)
		return true, openaiError(c, http.StatusBadRequest, pe.Code, "invalid_request_error", pe.Detail)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return true, openaiError(c, http.StatusBadRequest, "VAL-002", "invalid_request_error", "The request body is not valid JSON for this endpoint.")
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return true, tooLarge(limit)
		}
		return true, openaiError(c, http.StatusBadRequest, "VAL-002", "invalid_request_error", "Unexpected data after the JSON body.")
	}
	return false, nil
}

// tooLarge is the 413 of a body beyond the limit, as problem+json like every other route's.
func tooLarge(limit int64) error {
	return platform.Problem("VAL-004", "The request body exceeds the limit of "+strconv.FormatInt(limit, 10)+" bytes.")
}

func (a *API) route(c echo.Context, model string) (provider, m string, err error) {
	if p := c.Request().Header.Get("X-Astra-Provider"); p != "" {
		return p, model, nil
	}
	if p, rest, ok := strings.Cut(model, "/"); ok && p != "" && rest != "" {
		return p, rest, nil
	}
	ms, err := a.Runtime.ModelsFor(c.Request().Context(), Caller(c).TenantID)
	if err != nil {
		return "", "", err
	}
	// Matched as the pipeline matches models: normalised (the pipeline refuses
	// an id that does not normalise, whichever provider it goes to).
	want, err := gw.NormaliseModel(model)
	if err != nil {
		return providers.KindMock, model, nil
	}
	for _, x := range ms {
		if x.Provider != providers.KindMock && gw.ModelIn([]string{x.ID}, want) {
			return x.Provider, model, nil
		}
	}
	return providers.KindMock, model, nil
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

func stopList(v any) []string {
	switch s := v.(type) {
	case string:
		return []string{s}
	case []any:
		var out []string
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func (a *API) openaiChat(c echo.Context) error {
	var req OpenAIChatRequest
	if answered, err := lenientBind(c, &req); answered || err != nil {
		return err
	}
	if req.Model == "" || len(req.Messages) == 0 {
		return openaiError(c, http.StatusBadRequest, "VAL-001", "invalid_request_error", "model and messages are required.")
	}
	if req.N != nil && *req.N != 1 {
		return openaiError(c, http.StatusBadRequest, "VAL-001", "invalid_request_error", "Only n=1 is supported through the gateway.")
	}
	provider, model, err := a.route(c, req.Model)
	if err != nil {
		return err
	}
	maxTokens := req.MaxTokens
	if maxTokens == nil {
		maxTokens = req.MaxCompletion
	}
	call := &gateway.Call{Caller: Caller(c), Endpoint: "openai_chat", Provider: provider, PolicyID: c.Request().Header.Get("X-Astra-Policy-Id"),
		RequestID: platform.RequestID(c), Correlation: platform.RequestID(c), Started: requestStart(c),
		Req: providers.ChatRequest{Model: model, Messages: req.Messages, Temperature: req.Temperature, TopP: req.TopP, MaxTokens: maxTokens,
			Stop: stopList(req.Stop), User: req.User, Stream: req.Stream}}
	if req.Stream {
		sink := &sseSink{c: c, id: "chatcmpl-" + call.RequestID, model: req.Model, created: time.Now().Unix(), style: openaiChunks,
			usage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
		res, err := a.Runtime.ChatStream(c.Request().Context(), call, &verdictSink{sseSink: sink})
		if err != nil {
			if c.Response().Committed {
				return nil
			}
			return err
		}
		if res.Blocked != nil && !c.Response().Committed {
			setVerdictHeaders(c, res.Security)
			return openaiBlocked(c, res.Blocked)
		}
		return nil
	}
	res, err := a.Runtime.Chat(c.Request().Context(), call)
	if err != nil {
		return err
	}
	setVerdictHeaders(c, res.Security)
	if res.Blocked != nil {
		return openaiBlocked(c, res.Blocked)
	}
	r := res.Response
	return c.JSON(http.StatusOK, OpenAIChatResponse{ID: "chatcmpl-" + call.RequestID, Object: "chat.completion", Created: time.Now().Unix(),
		Model: req.Model, Choices: r.Choices, Usage: r.Usage})
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
	if answered, err := lenientBind(c, &req); answered || err != nil {
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
				return openaiError(c, http.StatusBadRequest, "VAL-001", "invalid_request_error", "input must be a string or a list of strings.")
			}
			input = append(input, s)
		}
	}
	if req.Model == "" || len(input) == 0 || len(input) > 2048 {
		return openaiError(c, http.StatusBadRequest, "VAL-001", "invalid_request_error", "model and 1 to 2048 inputs are required.")
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		return openaiError(c, http.StatusBadRequest, "VAL-001", "invalid_request_error", "encoding_format must be float or base64.")
	}
	provider, model, err := a.route(c, req.Model)
	if err != nil {
		return err
	}
	res, err := a.Runtime.Embeddings(c.Request().Context(), &gateway.Call{Caller: Caller(c), Endpoint: "openai_embeddings", Provider: provider,
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
