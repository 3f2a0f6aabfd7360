package providers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// Anthropic translates the OpenAI shape to and from the Messages API: system
// messages become the top-level system prompt, max_tokens is mandatory there,
// usage is input/output tokens, and streaming is a sequence of typed events.
type Anthropic struct {
	Name    string
	BaseURL string // e.g. https://api.anthropic.com
	APIKey  string
	Version string // anthropic-version header
	Client  *http.Client
}

type anthropicRequest struct {
	Model       string             `json:"model"`
	System      string             `json:"system,omitempty"`
	Messages    []anthropicMessage `json:"messages"`
	MaxTokens   int                `json:"max_tokens"`
	Temperature *float64           `json:"temperature,omitempty"`
	TopP        *float64           `json:"top_p,omitempty"`
	Stop        []string           `json:"stop_sequences,omitempty"`
	Stream      bool               `json:"stream,omitempty"`
}

type anthropicMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type anthropicResponse struct {
	ID         string `json:"id"`
	Model      string `json:"model"`
	StopReason string `json:"stop_reason"`
	Content    []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	Usage struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// ToAnthropic converts an OpenAI-shaped request.
func ToAnthropic(req ChatRequest) anthropicRequest {
	out := anthropicRequest{Model: req.Model, Temperature: req.Temperature, TopP: req.TopP, Stop: req.Stop, MaxTokens: 1024}
	if req.MaxTokens != nil && *req.MaxTokens > 0 {
		out.MaxTokens = *req.MaxTokens
	}
	var system []string
	for _, m := range req.Messages {
		switch m.Role {
		case "system", "developer":
			system = append(system, m.Content)
		case "assistant":
			out.Messages = append(out.Messages, anthropicMessage{Role: "assistant", Content: m.Content})
		default: // user, tool: Anthropic has only user and assistant turns
			if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == "user" {
				out.Messages[n-1].Content += "\n\n" + m.Content // consecutive user turns merge
				continue
			}
			out.Messages = append(out.Messages, anthropicMessage{Role: "user", Content: m.Content})
		}
	}
	out.System = strings.Join(system, "\n\n")
	return out
}

func finishReason(stop string) string {
	switch stop {
	case "max_tokens":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "":
		return ""
	default:
		return "stop"
	}
}

// FromAnthropic converts a Messages API answer to the OpenAI shape.
func FromAnthropic(r anthropicResponse) *ChatResponse {
	var text strings.Builder
	for _, c := range r.Content {
		if c.Type == "text" {
			text.WriteString(c.Text)
		}
	}
	return &ChatResponse{ID: r.ID, Object: "chat.completion", Model: r.Model,
		Choices: []Choice{{Index: 0, Message: Message{Role: "assistant", Content: text.String()}, FinishReason: finishReason(r.StopReason)}},
		Usage:   Usage{PromptTokens: r.Usage.InputTokens, CompletionTokens: r.Usage.OutputTokens, TotalTokens: r.Usage.InputTokens + r.Usage.OutputTokens}}
}

func (a *Anthropic) post(ctx context.Context, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(a.BaseURL, "/")+"/v1/messages", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	v := a.Version
	if v == "" {
		v = "2023-06-01"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", a.APIKey)
	req.Header.Set("anthropic-version", v)
	resp, err := a.Client.Do(req)
	if err != nil {
		return nil, &Error{Provider: a.Name, Message: transportMessage(ctx, err), Retryable: ctx.Err() == nil, Err: err}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, &Error{Provider: a.Name, Status: resp.StatusCode, Message: upstreamMessage(raw), Retryable: retryableStatus(resp.StatusCode) || resp.StatusCode == 529}
	}
	return resp, nil
}

// Chat implements Provider.
func (a *Anthropic) Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error) {
	resp, err := a.post(ctx, ToAnthropic(req))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r anthropicResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&r); err != nil {
		return nil, &Error{Provider: a.Name, Status: resp.StatusCode, Message: "malformed response", Retryable: true}
	}
	return FromAnthropic(r), nil
}

// ChatStream implements Provider over the Messages API's event stream.
func (a *Anthropic) ChatStream(ctx context.Context, req ChatRequest, emit func(Chunk) error) error {
	ar := ToAnthropic(req)
	ar.Stream = true
	resp, err := a.post(ctx, ar)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var usage Usage
	stop := ""
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue
		}
		var ev struct {
			Type  string `json:"type"`
			Delta struct {
				Type       string `json:"type"`
				Text       string `json:"text"`
				StopReason string `json:"stop_reason"`
			} `json:"delta"`
			Message struct {
				Usage struct {
					InputTokens int `json:"input_tokens"`
				} `json:"usage"`
			} `json:"message"`
			Usage struct {
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &ev); err != nil {
			return &Error{Provider: a.Name, Message: "malformed stream event"}
		}
		switch ev.Type {
		case "message_start":
			usage.PromptTokens = ev.Message.Usage.InputTokens
		case "content_block_delta":
			if ev.Delta.Text != "" {
				if err := emit(Chunk{Delta: ev.Delta.Text}); err != nil {
					return err
				}
			}
		case "message_delta":
			usage.CompletionTokens = ev.Usage.OutputTokens
			stop = ev.Delta.StopReason
		case "message_stop":
			usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
			return emit(Chunk{FinishReason: finishReason(stop), Usage: &usage})
		case "error":
			return &Error{Provider: a.Name, Message: "upstream stream error", Retryable: false}
		}
	}
	if err := sc.Err(); err != nil {
		return &Error{Provider: a.Name, Message: "stream interrupted"}
	}
	return errors.New("providers: anthropic stream ended without message_stop")
}

// Embed implements Provider: Anthropic has no embeddings API.
func (a *Anthropic) Embed(context.Context, string, []string) (*EmbeddingResponse, error) {
	return nil, &Error{Provider: a.Name, Status: http.StatusNotImplemented, Message: "anthropic has no embeddings API"}
}

// Models implements Provider.
func (a *Anthropic) Models(context.Context) ([]string, error) {
	return []string{"claude-3-5-sonnet-latest", "claude-3-5-haiku-latest", "claude-3-opus-latest"}, nil
}
