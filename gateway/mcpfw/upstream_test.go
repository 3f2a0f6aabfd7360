package mcpfw

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestUpstreams_ADeadUpstreamIsNeverStormed: 200 calls to a dead upstream
// over 1.5 s make a handful of connection attempts (the breaker opens at
// the first failure and lets one probe through per jittered backoff), and
// the upstream is used again once it is back.
func TestUpstreams_ADeadUpstreamIsNeverStormed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var hits atomic.Int64
	dead := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusBadGateway)
	})}
	go func() { _ = dead.Serve(ln) }()
	u := &Upstreams{HTTP: &http.Client{Timeout: 2 * time.Second}}
	url := "http://" + addr + "/mcp"
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 7 * time.Millisecond)
			_, _, _ = u.Tools(context.Background(), "s1", url, false)
		}()
	}
	wg.Wait()
	attempts := u.Attempts("s1")
	t.Logf("200 calls over %s: %d connection attempts, %d upstream requests", time.Since(start).Round(time.Millisecond), attempts, hits.Load())
	if attempts > 8 {
		t.Fatalf("%d connection attempts for 200 calls: a storm", attempts)
	}
	// The upstream comes back: once the backoff ends, the next call connects.
	_ = dead.Close()
	srv := sdk.NewServer(&sdk.Implementation{Name: "back", Version: "1"}, nil)
	sdk.AddTool(srv, &sdk.Tool{Name: "ping", Description: "Ping."}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
		return &sdk.CallToolResult{}, nil, nil
	})
	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the address was taken meanwhile: %v", err)
	}
	back := httptest.NewUnstartedServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, nil))
	back.Listener = ln2
	back.Start()
	defer back.Close()
	defer u.Close()
	deadline := time.Now().Add(40 * time.Second)
	for {
		tools, _, err := u.Tools(context.Background(), "s1", url, true)
		if err == nil && len(tools) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the upstream never came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
