package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// openAIServer is a loopback OpenAI-compatible server that records what it got.
func openAIServer(t *testing.T, failFirst int) (*httptest.Server, *atomic.Int32, *http.Request) {
	t.Helper()
	var calls atomic.Int32
	var last http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		last = *r
		if int(n) <= failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":{"message":"overloaded"}}`)
			return
		}
		var req map[string]any
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch {
		case strings.HasSuffix(r.URL.Path, "/models"):
			_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"m1"},{"id":"m2"}]}`)
		case strings.HasSuffix(r.URL.Path, "/embeddings"):
			_, _ = io.WriteString(w, `{"object":"list","model":"e","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"usage":{"prompt_tokens":2,"total_tokens":2}}`)
		case req["stream"] == true:
			w.Header().Set("Content-Type", "text/event-stream")
			for _, p := range []string{"Hel", "lo"} {
				fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", p)
			}
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
			fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n")
			fmt.Fprint(w, "data: [DONE]\n\n")
		default:
			_, _ = io.WriteString(w, `{"id":"x","object":"chat.completion","model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls, &last
}

func TestOpenAI_ChatStreamEmbedModels(t *testing.T) {
	srv, _, last := openAIServer(t, 0)
	o := &OpenAI{Name: "o", Kind: KindOpenAICompatible, BaseURL: srv.URL + "/v1", APIKey: "sk-test", Client: srv.Client()}
	ctx := context.Background()
	resp, err := o.Chat(ctx, ChatRequest{Model: "m1", Messages: []Message{{Role: "user", Content: "hello"}}})
	if err != nil || resp.Choices[0].Message.Content != "hi" || resp.Usage.TotalTokens != 4 {
		t.Fatalf("chat: %+v %v", resp, err)
	}
	if last.Header.Get("Authorization") != "Bearer sk-test" {
		t.Fatalf("auth header %q", last.Header.Get("Authorization"))
	}
	var text strings.Builder
	var usage *Usage
	err = o.ChatStream(ctx, ChatRequest{Model: "m1", Messages: []Message{{Role: "user", Content: "hello"}}}, func(c Chunk) error {
		text.WriteString(c.Delta)
		if c.Usage != nil {
			usage = c.Usage
		}
		return nil
	})
	if err != nil || text.String() != "Hello" || usage == nil || usage.TotalTokens != 5 {
		t.Fatalf("stream: %q %+v %v", text.String(), usage, err)
	}
	emb, err := o.Embed(ctx, "e", []string{"x"})
	if err != nil || len(emb.Data) != 1 {
		t.Fatalf("embed: %+v %v", emb, err)
	}
	ms, err := o.Models(ctx)
	if err != nil || len(ms) != 2 {
		t.Fatalf("models: %v %v", ms, err)
	}
}

func TestAzure_UsesDeploymentURLAndAPIKeyHeader(t *testing.T) {
	srv, _, last := openAIServer(t, 0)
	o := &OpenAI{Name: "az", Kind: KindAzureOpenAI, BaseURL: srv.URL, APIKey: "azkey", Deployment: "prod-gpt", APIVersion: "2024-06-01", Client: srv.Client()}
	if _, err := o.Chat(context.Background(), ChatRequest{Model: "gpt-4o", Messages: []Message{{Role: "user", Content: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if last.URL.Path != "/openai/deployments/prod-gpt/chat/completions" || last.URL.Query().Get("api-version") != "2024-06-01" || last.Header.Get("api-key") != "azkey" {
		t.Fatalf("azure request: %s ? %s, api-key %q", last.URL.Path, last.URL.RawQuery, last.Header.Get("api-key"))
	}
}

func TestResilient_RetriesThenOpensTheBreaker(t *testing.T) {
	srv, calls, _ := openAIServer(t, 2)
	o := &OpenAI{Name: "flaky", Kind: KindOpenAICompatible, BaseURL: srv.URL + "/v1", Client: srv.Client()}
	r := NewResilient("flaky", o, time.Second, 2, 3, time.Minute)
	if _, err := r.Chat(context.Background(), ChatRequest{Model: "m1", Messages: []Message{{Role: "user", Content: "x"}}}); err != nil {
		t.Fatalf("after two retryable failures the third attempt should succeed: %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("calls %d", calls.Load())
	}
	down := NewResilient("down", &OpenAI{Name: "down", Kind: KindOpenAICompatible, BaseURL: "http://127.0.0.1:1/v1", Client: http.DefaultClient}, time.Second, 0, 3, time.Minute)
	for i := 0; i < 3; i++ {
		_, _ = down.Chat(context.Background(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "x"}}})
	}
	if down.Health().State != "open" {
		t.Fatalf("breaker %s after 3 failures", down.Health().State)
	}
	_, err := down.Chat(context.Background(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "x"}}})
	if pe, ok := err.(*Error); !ok || pe.Message != "circuit open" {
		t.Fatalf("open breaker answered %v", err)
	}
}

func TestAnthropic_TranslatesRequestsAndStreams(t *testing.T) {
	var got anthropicRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "ak" || r.Header.Get("anthropic-version") == "" || r.URL.Path != "/v1/messages" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		if got.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, ev := range []string{
				`{"type":"message_start","message":{"usage":{"input_tokens":7}}}`,
				`{"type":"content_block_delta","delta":{"type":"text_delta","text":"Bon"}}`,
				`{"type":"content_block_delta","delta":{"type":"text_delta","text":"jour"}}`,
				`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`,
				`{"type":"message_stop"}`,
			} {
				fmt.Fprintf(w, "event: x\ndata: %s\n\n", ev)
			}
			return
		}
		_, _ = io.WriteString(w, `{"id":"msg_1","model":"claude-3-5-haiku-latest","stop_reason":"max_tokens","content":[{"type":"text","text":"Salut"}],"usage":{"input_tokens":7,"output_tokens":1}}`)
	}))
	defer srv.Close()
	a := &Anthropic{Name: "a", BaseURL: srv.URL, APIKey: "ak", Client: srv.Client()}
	req := ChatRequest{Model: "claude-3-5-haiku-latest", Messages: []Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}, {Role: "user", Content: "again"}}}
	resp, err := a.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.System != "Be brief." || len(got.Messages) != 1 || got.Messages[0].Content != "Hi\n\nagain" || got.MaxTokens != 1024 {
		t.Fatalf("translated request %+v", got)
	}
	if resp.Choices[0].Message.Content != "Salut" || resp.Choices[0].FinishReason != "length" || resp.Usage.TotalTokens != 8 {
		t.Fatalf("translated response %+v", resp)
	}
	var text strings.Builder
	var usage *Usage
	if err := a.ChatStream(context.Background(), req, func(c Chunk) error {
		text.WriteString(c.Delta)
		if c.Usage != nil {
			usage = c.Usage
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if text.String() != "Bonjour" || usage == nil || usage.PromptTokens != 7 || usage.CompletionTokens != 2 {
		t.Fatalf("stream %q %+v", text.String(), usage)
	}
}

func TestMock_IsDeterministic(t *testing.T) {
	m := &Mock{}
	req := ChatRequest{Model: "mock-small", Messages: []Message{{Role: "user", Content: "What is 2+2?"}}}
	a, _ := m.Chat(context.Background(), req)
	b, _ := m.Chat(context.Background(), req)
	if a.Choices[0].Message.Content != b.Choices[0].Message.Content || a.Usage.TotalTokens == 0 {
		t.Fatalf("%+v vs %+v", a, b)
	}
	echo, _ := m.Chat(context.Background(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "MOCK_ECHO: card 4111 1111 1111 1111"}}})
	if echo.Choices[0].Message.Content != "card 4111 1111 1111 1111" {
		t.Fatalf("echo %q", echo.Choices[0].Message.Content)
	}
}
