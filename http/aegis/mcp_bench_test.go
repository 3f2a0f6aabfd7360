package aegis_test

import (
	"context"
	"net/http"
	"sort"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/astrabastion/astra/testkit"
	"github.com/astrabastion/astra/testkit/mcptest"
)

// BenchmarkMcpProxyAddedLatency measures what the inline firewall adds to
// a tools/call, at concurrency 1, with every inspection on (session lookup,
// containment, approval, the tool's pin checked against the upstream's
// current definition, an arguments rule with a JSON Schema, a data-flow
// rule, a rate limit, the result scanned for injection and labelled for
// personal data, the decision recorded): each iteration makes one direct
// SDK call to the upstream and one through the proxy, and the added latency
// is the difference of their percentiles.
//
//	CI=true go test -run '^$' -bench McpProxyAddedLatency -benchtime 20000x ./http/aegis/
func BenchmarkMcpProxyAddedLatency(b *testing.B) {
	up := mcptest.NewCalc(b)
	cfg := testkit.Config(b)
	cfg.AllowPrivateURLs = []string{"loopback"}
	// Past the default 6,000 calls a minute, so that a run can take enough
	// calls for a steady p99 (at 3,000 it rests on the 30 slowest).
	cfg.RateLimitPerMinute = 1_000_000
	in := testkit.Start(b, &cfg)
	admin := in.AdminToken(b)
	r := in.Do(b, http.MethodPost, api+"/mcp/servers", admin, map[string]any{"name": "calc", "url": up.URL})
	var srv mcpServerOut
	r.Data(b, &srv)
	approve(b, in, admin, srv.ID)
	for _, rule := range []map[string]any{
		{"name": "small numbers", "kind": "arguments", "tools": []string{"add"}, "schema": map[string]any{"type": "object",
			"properties": map[string]any{"a": map[string]any{"type": "integer", "maximum": 1000000}}}},
		{"name": "no pii out", "kind": "data_flow", "labels": []string{"pii"}, "tools": []string{"send_*"}},
		{"name": "rate", "kind": "rate_limit", "tools": []string{"*"}, "max_calls": 1000000, "window_seconds": 60},
	} {
		wantStatus(b, in.Do(b, http.MethodPost, api+"/mcp/rules", admin, rule), http.StatusCreated)
	}
	ctx := context.Background()
	proxied, _ := connect(b, in, admin, srv.ID)
	direct, err := sdk.NewClient(&sdk.Implementation{Name: "direct", Version: "1"}, nil).Connect(ctx,
		&sdk.StreamableClientTransport{Endpoint: up.URL, DisableStandaloneSSE: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	args := &sdk.CallToolParams{Name: "add", Arguments: map[string]any{"a": 2, "b": 3}}
	for range 50 { // warm both paths (connections, caches, the upstream session)
		if _, err := proxied.CallTool(ctx, args); err != nil {
			b.Fatal(err)
		}
		_, _ = direct.CallTool(ctx, args)
	}
	d, p := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := direct.CallTool(ctx, args); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := proxied.CallTool(ctx, args); err != nil {
			b.Fatal(err)
		}
		d, p = append(d, t1.Sub(t0)), append(p, time.Since(t1))
	}
	b.StopTimer()
	pct := func(xs []time.Duration, q float64) float64 {
		s := append([]time.Duration(nil), xs...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(d, 0.5), "direct_p50_ms")
	b.ReportMetric(pct(p, 0.5), "proxied_p50_ms")
	b.ReportMetric(pct(p, 0.5)-pct(d, 0.5), "added_p50_ms")
	b.ReportMetric(pct(p, 0.99)-pct(d, 0.99), "added_p99_ms")
	b.ReportMetric(pct(d, 0.99), "direct_p99_ms")
	b.ReportMetric(pct(p, 0.99), "proxied_p99_ms")
}
