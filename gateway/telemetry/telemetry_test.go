package telemetry

import (
	"context"
	"net/http"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	gw "github.com/astrabastion/astra/domain/gateway"
)

func TestProviderCause(t *testing.T) {
	for detail, want := range map[string]string{
		"loop answered 503 (circuit open)":    "circuit_open",
		"loop: timeout":                       "timeout",
		"loop: connection failed":             "connection",
		"loop answered 429 (slow down)":       "rate_limited",
		"loop answered 504 (gateway timeout)": "timeout",
		"loop answered 500 (loop is failing)": "http_5xx",
		"loop answered 401 (invalid key)":     "http_4xx",
		"no provider":                         "other",
		"loop answered 5 (not a status)":      "other",
	} {
		if got := ProviderCause(detail); got != want {
			t.Errorf("ProviderCause(%q) = %q, want %q", detail, got, want)
		}
	}
}

// TestFromEnv: no endpoint, OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none
// is tracing off (nil); an unsupported protocol or exporter is an error;
// both OTLP protocols build (exporters connect lazily).
func TestFromEnv(t *testing.T) {
	ctx := context.Background()
	on := func(t *testing.T, kv ...string) (*Tracing, error) {
		for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
			"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
			t.Setenv(k, "")
		}
		for i := 0; i+1 < len(kv); i += 2 {
			t.Setenv(kv[i], kv[i+1])
		}
		tr, err := FromEnv(ctx, "test")
		t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
		return tr, err
	}
	for name, kv := range map[string][]string{
		"no endpoint":   nil,
		"sdk disabled":  {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_SDK_DISABLED", "true"},
		"exporter none": {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER", "none"},
	} {
		if tr, err := on(t, kv...); tr != nil || err != nil {
			t.Errorf("%s: %v, %v: want tracing off", name, tr, err)
		}
	}
	for name, kv := range map[string][]string{
		"http/json": {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
		"zipkin":    {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER", "zipkin"},
	} {
		if _, err := on(t, kv...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, kv := range map[string][]string{
		"http":        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"},
		"grpc":        {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
		"traces only": {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces"},
	} {
		if tr, err := on(t, kv...); tr == nil || err != nil {
			t.Errorf("%s: %v, %v: want tracing on", name, tr, err)
		}
	}
}

// BenchmarkBeginOff is the cost tracing off adds to a gateway request.
func BenchmarkBeginOff(b *testing.B) {
	var tr *Tracing
	h := http.Header{"Content-Type": {"application/json"}}
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		c := tr.Begin(ctx, h, "POST", "/api/v1/gateway/chat/completions", now)
		tr.End(c, &Request{})
		tr.Abandon(c, 200)
	}
}

type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// BenchmarkRequestOn is the CPU tracing on costs a request: its span,
// fourteen step spans and the batch processor's share (the export
// discarded); End does this part off the request's path.
func BenchmarkRequestOn(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithIDGenerator(idGenerator{}))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr := &Tracing{tp: tp, tracer: tp.Tracer("bench")}
	h := http.Header{"Content-Type": {"application/json"}}
	steps := make([]gw.StepTrace, 0, 14)
	for _, s := range []string{gw.StepAuthenticate, gw.StepTenant, gw.StepKillSwitch, gw.StepRateBudget, gw.StepValidate, gw.StepPolicy,
		gw.StepAllowList, gw.StepInjection, gw.StepPII, gw.StepContentRules, gw.StepCache, gw.StepProvider, gw.StepResponseScan, gw.StepAuditAndUsage} {
		steps = append(steps, gw.StepTrace{Step: s, Verdict: "pass", DurationUs: 20, FailMode: "closed"})
	}
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		c := tr.Begin(context.Background(), h, "POST", "/api/v1/gateway/chat/completions", now)
		tr.end(c, c.Value(requestTraceKey{}).(*requestTrace), Request{RequestID: "r", TenantID: "t", Endpoint: "chat", Provider: "p", ProviderKind: "openai", Model: "gpt-4o-mini",
			ResponseModel: "gpt-4o-mini", InputTokens: 10, OutputTokens: 20, Status: 200, Steps: steps, Started: now}, time.Now())
	}
}
