// Package gateway serves the AI gateway over HTTP: chat completions in the
// product's envelope, the OpenAI drop-in, scans, and the administration of
// providers, policies, kill switches, cache and budgets.
package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// API serves the gateway routes.
type API struct {
	Runtime *gateway.Runtime
	Queries *rmgw.Queries
}

// ChatRequest is the body of POST /gateway/chat/completions: the Chat
// Completions request (the gateway's one request model, providers.ChatRequest)
// plus the provider and policy to use. This struct documents and validates
// it; the request that goes through the pipeline is decoded from the same
// body into providers.ChatRequest.
type ChatRequest struct {
	Provider            string                   `json:"provider" validate:"required,max=100"`
	Model               string                   `json:"model" validate:"required,max=200"`
	Messages            []providers.Message      `json:"messages" validate:"required,min=1,max=1000,dive"`
	Temperature         *float64                 `json:"temperature,omitempty" validate:"omitempty,min=0,max=2"`
	TopP                *float64                 `json:"top_p,omitempty" validate:"omitempty,min=0,max=1"`
	MaxTokens           *int                     `json:"max_tokens,omitempty" validate:"omitempty,min=1,max=1000000"`
	MaxCompletionTokens *int                     `json:"max_completion_tokens,omitempty" validate:"omitempty,min=1,max=1000000"`
	Stop                []string                 `json:"stop,omitempty" validate:"max=4"`
	Stream              bool                     `json:"stream,omitempty"`
	StreamOptions       *providers.StreamOptions `json:"stream_options,omitempty"`
	User                string                   `json:"user,omitempty" validate:"max=256"`
	PolicyID            string                   `json:"policy_id,omitempty" validate:"max=100"`
	N                   *int                     `json:"n,omitempty" validate:"omitempty,min=1,max=128"`
	Seed                *int64                   `json:"seed,omitempty"`
	Tools               []providers.Tool         `json:"tools,omitempty" validate:"max=128"`
	ToolChoice          json.RawMessage          `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool                    `json:"parallel_tool_calls,omitempty"`
	ResponseFormat      json.RawMessage          `json:"response_format,omitempty"`
	Logprobs            *bool                    `json:"logprobs,omitempty"`
	TopLogprobs         *int                     `json:"top_logprobs,omitempty" validate:"omitempty,min=0,max=20"`
	LogitBias           json.RawMessage          `json:"logit_bias,omitempty"`
	PresencePenalty     *float64                 `json:"presence_penalty,omitempty" validate:"omitempty,min=-2,max=2"`
	FrequencyPenalty    *float64                 `json:"frequency_penalty,omitempty" validate:"omitempty,min=-2,max=2"`
	Metadata            json.RawMessage          `json:"metadata,omitempty"`
	ReasoningEffort     string                   `json:"reasoning_effort,omitempty" validate:"max=32"`

	// decoded is the body as the pipeline's request, when UnmarshalJSON
	// took the envelope from it.
	decoded *providers.ChatRequest
}

// UnmarshalJSON decodes the envelope. A body that is the pipeline's request
// plus provider and policy_id, and nothing unusual (nearly every one), is
// decoded once, as that request, and the envelope's fields are taken from
// it. Any other body, errors included, is decoded by encoding/json with
// unknown members refused, as before, so that what it is answered does not
// change.
func (r *ChatRequest) UnmarshalJSON(data []byte) error {
	if cr, v, ok := providers.DecodeChatRequestWith(data, "provider", "policy_id"); ok {
		*r = ChatRequest{Provider: v[0], PolicyID: v[1], Model: cr.Model, Messages: cr.Messages, Temperature: cr.Temperature, TopP: cr.TopP,
			MaxTokens: cr.MaxTokens, MaxCompletionTokens: cr.MaxCompletionTokens, Stop: cr.Stop, Stream: cr.Stream, StreamOptions: cr.StreamOptions,
			User: cr.User, N: cr.N, Seed: cr.Seed, Tools: cr.Tools, ToolChoice: cr.ToolChoice, ParallelToolCalls: cr.ParallelToolCalls,
			ResponseFormat: cr.ResponseFormat, Logprobs: cr.Logprobs, TopLogprobs: cr.TopLogprobs, LogitBias: cr.LogitBias,
			PresencePenalty: cr.PresencePenalty, FrequencyPenalty: cr.FrequencyPenalty, Metadata: cr.Metadata, ReasoningEffort: cr.ReasoningEffort,
			decoded: &cr}
		return nil
	}
	type envelope ChatRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode((*envelope)(r))
}

// ChatResponse is the answer of POST /gateway/chat/completions.
type ChatResponse struct {
	ID       string             `json:"id"`
	Object   string             `json:"object"`
	Created  int64              `json:"created"`
	Model    string             `json:"model"`
	Choices  []providers.Choice `json:"choices"`
	Usage    providers.Usage    `json:"usage"`
	Security gateway.Security   `json:"security"`
}

// ScanRequest is the body of POST /gateway/scan: a prompt or messages.
type ScanRequest struct {
	Prompt   string              `json:"prompt,omitempty" validate:"max=1000000"`
	Messages []providers.Message `json:"messages,omitempty" validate:"max=1000,dive"`
	PolicyID string              `json:"policy_id,omitempty" validate:"max=100"`
}

// PIIFinding is one personal-data span found by a scan.
type PIIFinding struct {
	Type    string  `json:"type"`
	Message int     `json:"message"`
	Start   int     `json:"start"`
	End     int     `json:"end"`
	Score   float64 `json:"score"`
}

// ScanResponse is the answer of POST /gateway/scan.
type ScanResponse struct {
	InjectionScore float64      `json:"injection_score"`
	Threshold      float64      `json:"threshold"`
	Blocked        bool         `json:"blocked"`
	BlockedBy      string       `json:"blocked_by,omitempty"`
	ErrorCode      string       `json:"error_code,omitempty"`
	Patterns       []string     `json:"patterns"`
	PII            []PIIFinding `json:"pii"`
	Redacted       []string     `json:"redacted,omitempty"`
	Violations     []string     `json:"policy_violations"`
	PolicyID       string       `json:"policy_id,omitempty"`
	PolicyVersion  int          `json:"policy_version"`
	ScanID         string       `json:"scan_id"`
	LatencyMs      float64      `json:"latency_ms"`
}

// Routes declares the gateway's traffic routes.
func (a *API) Routes() []platform.Route {
	return withDependencyErrors([]platform.Route{
		{Method: http.MethodPost, Path: "/api/v1/gateway/chat/completions", OperationID: "gatewayChat", Tag: "gateway",
			Streams: "Each event is an OpenAI chat.completion.chunk; the last is data: [DONE]. A block found in the response stream ends it with an error event.",
			Summary: "Chat completion through the security pipeline (stream: true gives SSE)", Permission: "gateway:write",
			Request: ChatRequest{}, Response: ChatResponse{}, Handler: a.chat, Errors: []int{400, 404, 422, 429, 502, 503, 504}},
		{Method: http.MethodPost, Path: "/api/v1/gateway/scan", OperationID: "gatewayScan", Tag: "gateway",
			Summary: "Run the input side of the pipeline without calling a provider", Permission: "gateway:write",
			Request: ScanRequest{}, Response: ScanResponse{}, Handler: a.scan, Errors: []int{404, 422, 503}},
	})
}

// withDependencyErrors answers an outage of the gateway's own dependencies
// (Postgres, Redis) on every route as what it is — 503 SYS-002 with
// Retry-After — rather than as an internal error, a security block or a
// credential problem.
func withDependencyErrors(routes []platform.Route) []platform.Route {
	for i := range routes {
		h := routes[i].Handler
		routes[i].Handler = func(c echo.Context) error {
			err := h(c)
			if err != nil && !c.Response().Committed && gateway.IsDependencyFailure(err) {
				var perr *platform.Error
				if errors.As(err, &perr) {
					return err
				}
				platform.Logger(c).Warn("gateway: dependency unavailable", "err", err)
				return dependencyProblem("A service the gateway depends on is unavailable; retry shortly.")
			}
			return err
		}
		if !slices.Contains(routes[i].Errors, http.StatusServiceUnavailable) {
			routes[i].Errors = append(routes[i].Errors, http.StatusServiceUnavailable)
		}
	}
	return routes
}

func dependencyProblem(detail string) error {
	return platform.Problem("SYS-002", detail).WithHeader("Retry-After", gateway.RetryAfterSeconds)
}

// Caller turns the authenticated principal into the pipeline's caller.
func Caller(c echo.Context) gateway.Caller {
	p := auth.PrincipalOf(c)
	out := gateway.Caller{TenantID: p.ActingTenant, Subject: p.Subject, Kind: p.Kind}
	if p.Kind == "api_key" {
		out.APIKeyID = p.Subject
	}
	return out
}

// Problem renders a blocked request as problem+json.
func Problem(b *gateway.Blocked) *platform.Error {
	e := platform.Problem(b.Code, b.Detail)
	for k, v := range b.Headers {
		e = e.WithHeader(k, v)
	}
	return e
}

func (a *API) chat(c echo.Context) error {
	// The body is read once and validated as the envelope (unknown members
	// refused, naming them); the pipeline's request is what the envelope
	// was taken from (see ChatRequest.UnmarshalJSON), or else decoded again.
	limit := platform.BodyLimit(c)
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(limit)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(raw))
	var req ChatRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	var cr providers.ChatRequest
	if req.decoded != nil {
		cr = *req.decoded
	} else if err := cr.UnmarshalJSON(raw); err != nil {
		return platform.Problem("VAL-002", "The request body is not valid JSON for this endpoint.")
	}
	delete(cr.Extra, "provider")
	delete(cr.Extra, "policy_id")
	call := &gateway.Call{Caller: Caller(c), Endpoint: "chat", Provider: req.Provider, PolicyID: req.PolicyID,
		RequestID: platform.RequestID(c), Correlation: platform.RequestID(c), Started: requestStart(c), Req: cr}
	if req.Stream {
		return a.stream(c, call, envelopeChunks)
	}
	res, err := a.Runtime.Chat(c.Request().Context(), call)
	if err != nil {
		return err
	}
	if res.Blocked != nil {
		return Problem(res.Blocked)
	}
	r := res.Response
	return platform.Respond(c, http.StatusOK, ChatResponse{ID: "chatcmpl-" + call.RequestID, Object: "chat.completion",
		Created: time.Now().Unix(), Model: r.Model, Choices: r.Choices, Usage: r.Usage, Security: res.Security})
}

// requestStart is when the request arrived (the platform middleware records it).
func requestStart(c echo.Context) time.Time {
	if t, ok := c.Get("platform.start").(time.Time); ok {
		return t
	}
	return time.Now()
}

func (a *API) scan(c echo.Context) error {
	var req ScanRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	msgs := req.Messages
	if req.Prompt != "" {
		msgs = append(msgs, providers.Message{Role: "user", Content: req.Prompt})
	}
	if len(msgs) == 0 {
		return platform.Problem("VAL-001", "Give a prompt or messages.").WithFields(platform.FieldError{Field: "prompt", Message: "prompt or messages is required"})
	}
	start := time.Now()
	out, err := a.Runtime.Scan(c.Request().Context(), &gateway.Call{Caller: Caller(c), Endpoint: "scan", Provider: "scan", PolicyID: req.PolicyID,
		RequestID: platform.RequestID(c), Correlation: platform.RequestID(c), Req: providers.ChatRequest{Model: "scan", Messages: msgs}})
	if err != nil {
		return err
	}
	if out.Blocked != nil && out.Blocked.Code == "GW-006" {
		return Problem(out.Blocked)
	}
	resp := ScanResponse{InjectionScore: out.Security.InjectionScore, Threshold: out.Threshold, Blocked: out.Blocked != nil,
		Patterns: nonNil(out.Security.Patterns), PII: []PIIFinding{}, Violations: out.Security.PolicyViolations,
		PolicyID: out.Security.PolicyID, PolicyVersion: out.Security.PolicyVersion, ScanID: out.Security.RequestID,
		LatencyMs: float64(time.Since(start).Microseconds()) / 1000, Redacted: out.Redacted}
	if out.Blocked != nil {
		resp.BlockedBy, resp.ErrorCode = out.Blocked.Step, out.Blocked.Code
	}
	for _, f := range out.PII {
		resp.PII = append(resp.PII, PIIFinding{Type: f.Type, Message: f.Message, Start: f.Start, End: f.End, Score: f.Score})
	}
	return platform.Respond(c, http.StatusOK, resp)
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
