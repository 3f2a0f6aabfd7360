package providers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// OpenAI speaks the OpenAI chat completions protocol: OpenAI itself, Azure
// OpenAI (deployment URLs, api-key header, api-version), Ollama's /v1 and any
// OpenAI-compatible server.
type OpenAI struct {
	Name       string
	Kind       string
	BaseURL    string // e.g. https://api.openai.com/v1
	APIKey     string
	APIVersion string // azure_openai
	Deployment string // azure_openai: the deployment replaces the model in the path
	Headers    map[string]string
	Client     *http.Client
}

func (o *OpenAI) endpoint(path, model string) string {
	base := strings.TrimRight(o.BaseURL, "/")
	if o.Kind == KindAzureOpenAI {
		dep := o.Deployment
		if dep == "" {
			dep = model
		}
		v := o.APIVersion
		if v == "" {
			v = "2024-06-01"
		}
		return base + "/openai/deployments/" + url.PathEscape(dep) + path + "?api-version=" + url.QueryEscape(v)
	}
	return base + path
}

// do sends body (already JSON; nil for none).
func (o *OpenAI) do(ctx context.Context, method, u string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.APIKey != "" {
		if o.Kind == KindAzureOpenAI {
			req.Header.Set("api-key", o.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+o.APIKey)
		}
	}
	for k, v := range o.Headers {
		req.Header.Set(k, v)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, &Error{Provider: o.Name, Message: transportMessage(ctx, err), Retryable: ctx.Err() == nil, Err: err}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, &Error{Provider: o.Name, Status: resp.StatusCode, Message: upstreamMessage(b), Retryable: retryableStatus(resp.StatusCode)}
	}
	return resp, nil
}

func transportMessage(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "timeout"
	}
	return "connection failed"
}

// upstreamMessage extracts an OpenAI-style error message without echoing
// anything long or unexpected.
func upstreamMessage(b []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		m := e.Error.Message
		if len(m) > 300 {
			m = m[:300]
		}
		return m
	}
	return "upstream error"
}

// Chat implements Provider.
func (o *OpenAI) Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error) {
	req.Stream, req.StreamOptions = false, nil
	if err := o.refuse(req); err != nil {
		return nil, err
	}
	body, err := req.AppendJSON(nil)
	if err != nil {
		return nil, err
	}
	resp, err := o.do(ctx, http.MethodPost, o.endpoint("/chat/completions", req.Model), body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// Read whole (so that the connection is reused), then decoded in one
	// pass. As with a json.Decoder, what follows the answer's JSON value, or
	// a read error after it, does not matter.
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	out, err := DecodeChatResponse(raw)
	if err != nil {
		return nil, &Error{Provider: o.Name, Status: resp.StatusCode, Message: "malformed response", Retryable: true}
	}
	if out.Usage.TotalTokens == 0 {
		out.Usage = estimateUsage(req, out)
	}
	return out, nil
}

func estimateUsage(req ChatRequest, out *ChatResponse) Usage {
	u := Usage{PromptTokens: PromptTokens(req.Messages)}
	for _, c := range out.Choices {
		u.CompletionTokens += EstimateTokens(c.Message.Content)
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

type streamChunk struct {
	Choices []struct {
		Delta struct {
			Content   string     `json:"content"`
			Refusal   string     `json:"refusal"`
			ToolCalls []ToolCall `json:"tool_calls"`
		} `json:"delta"`
		Logprobs     json.RawMessage `json:"logprobs"`
		FinishReason *string         `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage `json:"usage"`
}

// ChatStream implements Provider over server-sent events, asking for usage in
// the last chunk (stream_options.include_usage) whatever the client asked:
// usage and budgets need it.
func (o *OpenAI) ChatStream(ctx context.Context, req ChatRequest, emit func(Chunk) error) error {
	if err := o.refuse(req); err != nil {
		return err
	}
	req.Stream = true
	if o.Kind != KindOllama {
		so := StreamOptions{IncludeUsage: true}
		if req.StreamOptions != nil {
			so.Extra = req.StreamOptions.Extra
		}
		req.StreamOptions = &so
	}
	body, err := req.AppendJSON(nil)
	if err != nil {
		return err
	}
	resp, err := o.do(ctx, http.MethodPost, o.endpoint("/chat/completions", req.Model), body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			return nil
		}
		var c streamChunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return &Error{Provider: o.Name, Status: resp.StatusCode, Message: "malformed stream chunk"}
		}
		ch := Chunk{Usage: c.Usage}
		if len(c.Choices) > 0 {
			d := c.Choices[0]
			ch.Delta, ch.Refusal, ch.ToolCalls = d.Delta.Content, d.Delta.Refusal, d.Delta.ToolCalls
			if len(d.Logprobs) > 0 && string(d.Logprobs) != "null" {
				ch.Logprobs = d.Logprobs
			}
			if d.FinishReason != nil {
				ch.FinishReason = *d.FinishReason
			}
		}
		if ch.Delta == "" && ch.FinishReason == "" && ch.Usage == nil && len(ch.ToolCalls) == 0 && ch.Refusal == "" && ch.Logprobs == nil {
			continue
		}
		if err := emit(ch); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &Error{Provider: o.Name, Message: fmt.Sprintf("stream interrupted: %v", transportMessage(ctx, err))}
	}
	return nil
}

// refuse names a field the upstream cannot take (Ollama's OpenAI
// compatibility ignores some silently): a precise 400, never a silent drop.
func (o *OpenAI) refuse(req ChatRequest) error {
	if o.Kind != KindOllama {
		return nil
	}
	switch {
	case len(req.LogitBias) > 0:
		return Unsupported(o.Name, "logit_bias")
	case req.N != nil && *req.N != 1:
		return Unsupported(o.Name, "n")
	case len(req.ToolChoice) > 0 && string(req.ToolChoice) != `"auto"`:
		return Unsupported(o.Name, "tool_choice")
	}
	return nil
}

// Embed implements Provider.
func (o *OpenAI) Embed(ctx context.Context, model string, input []string) (*EmbeddingResponse, error) {
	body, err := json.Marshal(map[string]any{"model": model, "input": input})
	if err != nil {
		return nil, err
	}
	resp, err := o.do(ctx, http.MethodPost, o.endpoint("/embeddings", model), body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out EmbeddingResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return nil, &Error{Provider: o.Name, Status: resp.StatusCode, Message: "malformed response"}
	}
	return &out, nil
}

// Models implements Provider.
func (o *OpenAI) Models(ctx context.Context) ([]string, error) {
	if o.Kind == KindAzureOpenAI {
		if o.Deployment != "" {
			return []string{o.Deployment}, nil
		}
		return nil, nil
	}
	resp, err := o.do(ctx, http.MethodGet, o.endpoint("/models", ""), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&out); err != nil {
		return nil, &Error{Provider: o.Name, Status: resp.StatusCode, Message: "malformed response"}
	}
	ids := make([]string, 0, len(out.Data))
	for _, d := range out.Data {
		ids = append(ids, d.ID)
	}
	return ids, nil
}
