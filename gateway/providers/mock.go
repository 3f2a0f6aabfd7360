package providers

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
)

// Mock is the built-in deterministic provider: the same request always gets
// the same answer, after a configurable latency, so the gateway works offline
// and tests and benchmarks are repeatable.
type Mock struct {
	Name    string
	Latency time.Duration
}

func (m *Mock) sleep(ctx context.Context) error {
	if m.Latency <= 0 {
		return nil
	}
	t := time.NewTimer(m.Latency)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Reply is the mock's deterministic completion for a request. A user message
// that contains "MOCK_ECHO:" makes the mock repeat what follows it, which lets
// tests make the "model" say something specific (e.g. leak PII).
func (m *Mock) Reply(req ChatRequest) string {
	last := ""
	for _, msg := range req.Messages {
		if msg.Role == "user" {
			last = msg.Content
		}
	}
	if _, after, ok := strings.Cut(last, "MOCK_ECHO:"); ok {
		return strings.TrimSpace(after)
	}
	sum := sha256.Sum256([]byte(req.Model + "\x00" + last))
	words := strings.Fields(last)
	if len(words) > 12 {
		words = words[:12]
	}
	return fmt.Sprintf("Mock answer %x to: %s", sum[:4], strings.Join(words, " "))
}

// Chat implements Provider.
func (m *Mock) Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error) {
	if err := m.sleep(ctx); err != nil {
		return nil, err
	}
	text := m.Reply(req)
	n := 1
	if req.N != nil && *req.N > 1 {
		n = *req.N // n choices, as asked (the same deterministic answer)
	}
	u := Usage{PromptTokens: PromptTokens(req.Messages), CompletionTokens: n * EstimateTokens(text)}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	out := &ChatResponse{ID: "chatcmpl-mock", Object: "chat.completion", Created: 0, Model: req.Model, Usage: u}
	for i := range n {
		out.Choices = append(out.Choices, Choice{Index: i, Message: Message{Role: "assistant", Content: text}, FinishReason: "stop"})
	}
	return out, nil
}

// ChatStream implements Provider: the reply in word-sized chunks.
func (m *Mock) ChatStream(ctx context.Context, req ChatRequest, emit func(Chunk) error) error {
	if err := m.sleep(ctx); err != nil {
		return err
	}
	text := m.Reply(req)
	parts := strings.SplitAfter(text, " ")
	for _, p := range parts {
		if err := emit(Chunk{Delta: p}); err != nil {
			return err
		}
	}
	u := Usage{PromptTokens: PromptTokens(req.Messages), CompletionTokens: EstimateTokens(text)}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return emit(Chunk{FinishReason: "stop", Usage: &u})
}

// Embed implements Provider: a deterministic unit vector of 64 dimensions per input.
func (m *Mock) Embed(ctx context.Context, model string, input []string) (*EmbeddingResponse, error) {
	if err := m.sleep(ctx); err != nil {
		return nil, err
	}
	out := &EmbeddingResponse{Object: "list", Model: model}
	for i, s := range input {
		v := make([]float64, 64)
		var norm float64
		for d := range v {
			h := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s", d, s)))
			v[d] = float64(int32(binary.BigEndian.Uint32(h[:4]))) / math.MaxInt32
			norm += v[d] * v[d]
		}
		for d := range v {
			v[d] /= math.Sqrt(norm)
		}
		out.Data = append(out.Data, Embedding{Object: "embedding", Index: i, Embedding: v})
		out.Usage.PromptTokens += EstimateTokens(s)
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}

// Models implements Provider.
func (m *Mock) Models(context.Context) ([]string, error) {
	return []string{"mock-small", "mock-large", "mock-embed"}, nil
}
