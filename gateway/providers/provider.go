// Package providers adapts LLM providers (OpenAI, Anthropic, Azure OpenAI,
// Ollama, any OpenAI-compatible endpoint and a built-in deterministic mock) to
// one OpenAI-shaped interface, with timeouts, retries with backoff and a
// circuit breaker per provider.
package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Chunk is one piece of a streamed completion.
type Chunk struct {
	Delta        string
	FinishReason string
	Usage        *Usage // on the last chunk when the provider reports it
	// ToolCalls are tool-call deltas (Index says which call a fragment extends).
	ToolCalls []ToolCall
	// Refusal is a fragment of the model's refusal text.
	Refusal string
	// Logprobs is the choice's logprobs object of this chunk, as the provider sent it.
	Logprobs json.RawMessage
}

// EmbeddingResponse is an OpenAI-shaped embeddings answer.
type EmbeddingResponse struct {
	Object string      `json:"object"`
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  Usage       `json:"usage"`
}

// Embedding is one vector.
type Embedding struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

// Provider is one LLM backend.
type Provider interface {
	Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error)
	// ChatStream calls emit for each chunk in order; emit's error aborts the stream.
	ChatStream(ctx context.Context, req ChatRequest, emit func(Chunk) error) error
	Embed(ctx context.Context, model string, input []string) (*EmbeddingResponse, error)
	Models(ctx context.Context) ([]string, error)
}

// Error is a provider failure.
type Error struct {
	Provider  string
	Status    int // upstream HTTP status (0: transport)
	Message   string
	Retryable bool
	// Err is the transport's own error (a refused connection, a DNS or TLS
	// failure, a deadline), for the gateway to name the cause.
	Err error
	// Attempts is how many calls were made, retries included (0: one).
	Attempts int
}

// Unwrap gives the transport's error.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	return fmt.Sprintf("provider %s: %d %s", e.Provider, e.Status, e.Message)
}

// UnsupportedError is a request field the provider cannot take: the gateway
// refuses the request (400) rather than drop the field.
type UnsupportedError struct {
	Provider, Field, Why string
}

func (e *UnsupportedError) Error() string {
	msg := "provider " + e.Provider + " does not support the field '" + e.Field + "'"
	if e.Why != "" {
		msg += " (" + e.Why + ")"
	}
	return msg
}

// Unsupported names a field a provider cannot take.
func Unsupported(provider, field string, why ...string) error {
	e := &UnsupportedError{Provider: provider, Field: field}
	if len(why) > 0 {
		e.Why = why[0]
	}
	return e
}

// ErrCircuitOpen reports a provider whose breaker is open.
var ErrCircuitOpen = errors.New("providers: circuit open")

// retryableStatus reports statuses worth retrying (rate limits and server errors).
func retryableStatus(s int) bool {
	return s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500
}

// Kinds of provider.
const (
	KindOpenAI           = "openai"
	KindAnthropic        = "anthropic"
	KindAzureOpenAI      = "azure_openai"
	KindOllama           = "ollama"
	KindOpenAICompatible = "openai_compatible"
	KindMock             = "mock"
)

// Kinds lists the supported provider kinds.
func Kinds() []string {
	return []string{KindOpenAI, KindAnthropic, KindAzureOpenAI, KindOllama, KindOpenAICompatible, KindMock}
}

// EstimateTokens approximates a token count (about four characters a token),
// for providers that do not report usage and for pre-flight limits.
func EstimateTokens(s string) int {
	if s == "" {
		return 0
	}
	return (len(s) + 3) / 4
}

// PromptTokens estimates a request's prompt tokens.
func PromptTokens(msgs []Message) int {
	n := 0
	for _, m := range msgs {
		n += EstimateTokens(m.Content) + 4
	}
	return n
}
