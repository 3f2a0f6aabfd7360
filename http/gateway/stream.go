package gateway

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/platform"
)

// chunkStyle says how a stream's chunks are framed.
type chunkStyle int

const (
	// envelopeChunks: OpenAI chunk objects, with the security block on the last one.
	envelopeChunks chunkStyle = iota
	// openaiChunks: plain OpenAI chunks; the verdict goes in a final "astra" field only.
	openaiChunks
)

// sseSink writes server-sent events.
type sseSink struct {
	c       echo.Context
	id      string
	model   string
	created int64
	style   chunkStyle
	usage   bool // the client asked for stream_options.include_usage
}

type chunkDelta struct {
	Role      string               `json:"role,omitempty"`
	Content   string               `json:"content,omitempty"`
	Refusal   string               `json:"refusal,omitempty"`
	ToolCalls []providers.ToolCall `json:"tool_calls,omitempty"`
}

type chunkChoice struct {
	Index        int             `json:"index"`
	Delta        chunkDelta      `json:"delta"`
	Logprobs     json.RawMessage `json:"logprobs,omitempty"`
	FinishReason *string         `json:"finish_reason"`
}

type chunkObject struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Created  int64             `json:"created"`
	Model    string            `json:"model"`
	Choices  []chunkChoice     `json:"choices"`
	Usage    *providers.Usage  `json:"usage,omitempty"`
	Security *gateway.Security `json:"security,omitempty"`
}

func (s *sseSink) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w := s.c.Response()
	if _, err := w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
		return err
	}
	w.Flush()
	return nil
}

// Start implements gateway.StreamSink: headers, then the role chunk.
func (s *sseSink) Start() error {
	h := s.c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	s.c.Response().WriteHeader(http.StatusOK)
	return s.write(chunkObject{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []chunkChoice{{Delta: chunkDelta{Role: "assistant"}}}})
}

// Chunk implements gateway.StreamSink.
func (s *sseSink) Chunk(text string) error {
	return s.write(chunkObject{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []chunkChoice{{Delta: chunkDelta{Content: text}}}})
}

// Parts implements gateway.StreamSink: tool-call deltas, refusal and logprobs as the provider streamed them.
func (s *sseSink) Parts(ch providers.Chunk) error {
	return s.write(chunkObject{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []chunkChoice{{Delta: chunkDelta{Refusal: ch.Refusal, ToolCalls: ch.ToolCalls}, Logprobs: ch.Logprobs}}})
}

// Done implements gateway.StreamSink: the finish chunk (with usage and, in the
// envelope style, the security verdict), then [DONE].
func (s *sseSink) Done(finish string, usage providers.Usage, sec gateway.Security) error {
	last := chunkObject{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: []chunkChoice{{Delta: chunkDelta{}, FinishReason: &finish}}}
	if s.style == envelopeChunks {
		last.Usage, last.Security = &usage, &sec
	}
	if err := s.write(last); err != nil {
		return err
	}
	if s.style == openaiChunks && s.usage {
		if err := s.write(chunkObject{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
			Choices: []chunkChoice{}, Usage: &usage}); err != nil {
			return err
		}
	}
	_, err := s.c.Response().Write([]byte("data: [DONE]\n\n"))
	s.c.Response().Flush()
	return err
}

// Abort implements gateway.StreamSink: an error event with the problem, then the end.
func (s *sseSink) Abort(b *gateway.Blocked, sec gateway.Security) error {
	entry := platform.Catalogue[b.Code]
	body := map[string]any{"error": map[string]any{"message": b.Detail, "type": openaiErrorType(b.Code), "code": b.Code,
		"title": entry.Title, "request_id": sec.RequestID}}
	if s.style == envelopeChunks {
		body["security"] = sec
	}
	raw, _ := json.Marshal(body)
	w := s.c.Response()
	if _, err := w.Write(append(append([]byte("event: error\ndata: "), raw...), '\n', '\n')); err != nil {
		return err
	}
	_, err := w.Write([]byte("data: [DONE]\n\n"))
	w.Flush()
	return err
}

func (a *API) stream(c echo.Context, call *gateway.Call, style chunkStyle) error {
	return a.streamWith(c, call, &sseSink{c: c, id: "chatcmpl-" + call.RequestID, model: call.Req.Model, created: time.Now().Unix(), style: style})
}

func (a *API) streamWith(c echo.Context, call *gateway.Call, sink *sseSink) error {
	res, err := a.Runtime.ChatStream(c.Request().Context(), call, sink)
	if err != nil {
		if c.Response().Committed {
			platform.Logger(c).Warn("stream ended with an error", "err", err)
			return nil
		}
		return err
	}
	if res.Blocked != nil && !c.Response().Committed {
		return Problem(res.Blocked)
	}
	return nil
}
