package gateway

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// mockAnswer is the provider's fixed, tiny OpenAI chat completion.
const mockAnswer = `{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"bench-model",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"Noted: the summary is ready."},"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49}}`

// Mock is an OpenAI-compatible provider on loopback: POST /v1/chat/completions
// reads the request and answers mockAnswer (after Latency, when set); GET
// /v1/models lists bench-model. Calls counts the chat completions served.
type Mock struct {
	URL     string // base URL, ending in /v1
	Latency time.Duration
	Calls   atomic.Int64

	srv *http.Server
	ln  net.Listener
}

// StartMock serves the mock on a free loopback port.
func StartMock(latency time.Duration) (*Mock, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &Mock{URL: "http://" + ln.Addr().String() + "/v1", Latency: latency, ln: ln}
	answer := []byte(mockAnswer)
	length := strconv.Itoa(len(answer))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if m.Latency > 0 {
			time.Sleep(m.Latency)
		}
		m.Calls.Add(1)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(answer)
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"bench-model","object":"model","created":1767225600,"owned_by":"bench"}]}`)
	})
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = m.srv.Serve(ln) }()
	return m, nil
}

// Close stops the mock.
func (m *Mock) Close() { _ = m.srv.Close() }
