package platform

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
)

// syncBuffer is a log sink safe for the server goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a real HTTP server around NewEcho.
type testServer struct {
	*httptest.Server
	e    *echo.Echo
	logs *syncBuffer
}

func newTestServer(t *testing.T, cfg Config, register func(e *echo.Echo)) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e := NewEcho(cfg)
	if register != nil {
		register(e)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, e: e, logs: logs}
}

type exchange struct {
	req  *http.Request
	resp *http.Response
	body []byte
}

// do sends a request; a non-empty contentType is set as Content-Type.
func (s *testServer) do(t *testing.T, method, path, contentType string, body io.Reader, headers ...string) exchange {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return exchange{req: req, resp: resp, body: data}
}

func (s *testServer) postJSON(t *testing.T, path, body string) exchange {
	t.Helper()
	return s.do(t, http.MethodPost, path, "application/json", strings.NewReader(body))
}

// problem decodes and sanity-checks a problem+json response.
func (x exchange) problem(t *testing.T, wantStatus int, wantCode string) ProblemDetails {
	t.Helper()
	if x.resp.StatusCode != wantStatus {
		t.Fatalf("status = %d, want %d; body: %s", x.resp.StatusCode, wantStatus, x.body)
	}
	if ct := x.resp.Header.Get("Content-Type"); ct != ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, ProblemContentType)
	}
	dec := json.NewDecoder(bytes.NewReader(x.body))
	dec.DisallowUnknownFields()
	var p ProblemDetails
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode problem: %v; body: %s", err, x.body)
	}
	if p.ErrorCode != wantCode {
		t.Fatalf("error_code = %q, want %q; body: %s", p.ErrorCode, wantCode, x.body)
	}
	if p.Status != wantStatus || p.Type != ProblemTypeBase+wantCode || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem: %+v", p)
	}
	if p.RequestID == "" || p.RequestID != x.resp.Header.Get("X-Request-ID") {
		t.Fatalf("request_id %q does not match X-Request-ID %q", p.RequestID, x.resp.Header.Get("X-Request-ID"))
	}
	if p.Instance != x.req.URL.Path {
		t.Fatalf("instance = %q, want %q", p.Instance, x.req.URL.Path)
	}
	if _, err := parseRFC3339(p.Timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", p.Timestamp, err)
	}
	return p
}

// envelope decodes a success envelope, failing on unexpected members.
func (x exchange) envelope(t *testing.T, wantStatus int, data any) Meta {
	t.Helper()
	if x.resp.StatusCode != wantStatus {
		t.Fatalf("status = %d, want %d; body: %s", x.resp.StatusCode, wantStatus, x.body)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(x.body, &raw); err != nil {
		t.Fatalf("decode envelope: %v; body: %s", err, x.body)
	}
	if len(raw) != 3 || string(raw["errors"]) != "null" || raw["data"] == nil || raw["meta"] == nil {
		t.Fatalf("envelope must be exactly {data, meta, errors:null}; got %s", x.body)
	}
	if data != nil {
		if err := json.Unmarshal(raw["data"], data); err != nil {
			t.Fatalf("decode data: %v", err)
		}
	}
	var meta Meta
	if err := json.Unmarshal(raw["meta"], &meta); err != nil {
		t.Fatalf("decode meta: %v", err)
	}
	return meta
}
