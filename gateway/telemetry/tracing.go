// Package telemetry exports the gateway's requests as OpenTelemetry traces
// (over OTLP, configured by the standard OTEL_* variables) and as Prometheus
// metrics (the GenAI client metrics and the gateway's own).
//
// Traces are built when a request finishes, from the step trace the pipeline
// records anyway (each step's name, verdict and duration): the request is a
// server span, each pipeline step a child span, and the provider call a
// client span named and attributed after the GenAI semantic conventions. The
// pipeline itself carries no tracing code. With no OTLP endpoint configured
// tracing is off: no span is started and the only work left on a request is
// forwarding an incoming traceparent to the provider.
package telemetry

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// Tracing exports gateway requests as traces. A nil *Tracing is tracing
// off: every method is a no-op on it.
type Tracing struct {
	tp     *sdktrace.TracerProvider
	tracer trace.Tracer
}

// propagator reads and writes W3C trace context (traceparent, tracestate).
var propagator = propagation.TraceContext{}

// FromEnv configures tracing from the standard OpenTelemetry variables:
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turn it
// on (neither set: nil, tracing off), OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL
// chooses http/protobuf (the default) or grpc, OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none turn it off. The exporters read their own
// variables (headers, timeout, compression, certificates), the SDK reads
// OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_* and OTEL_SERVICE_NAME /
// OTEL_RESOURCE_ATTRIBUTES (service.name defaults to "astra").
func FromEnv(ctx context.Context, version string) (*Tracing, error) {
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	switch exp := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return nil, nil
	case "", "otlp":
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not supported (otlp or none)", exp)
	}
	if env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT") == "" {
		return nil, nil
	}
	var (
		exporter sdktrace.SpanExporter
		err      error
	)
	switch proto := env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"); proto {
	case "", "http/protobuf":
		exporter, err = otlptracehttp.New(ctx)
	case "grpc":
		exporter, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not supported (http/protobuf or grpc)", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", "astra"), attribute.String("service.version", version)))
	if err != nil {
		return nil, err
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults.
	if fromEnv, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, fromEnv); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res), sdktrace.WithIDGenerator(idGenerator{}))
	return &Tracing{tp: tp, tracer: tp.Tracer("github.com/astrabastion/astra/gateway", trace.WithInstrumentationVersion(version))}, nil
}

func env(keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}

// Shutdown exports what is buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// Flush exports what is buffered.
func (t *Tracing) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.ForceFlush(ctx)
}

// requestTrace is a gateway request's tracing state, in its context from
// Begin to End.
type requestTrace struct {
	span trace.Span
	// provider is the span id the provider call's span will have, known
	// before the call so that the upstream's trace context names it.
	provider trace.SpanID
	// providerStart is when the first outbound call left (unix ns; 0: none).
	providerStart atomic.Int64
	// ended is set by whichever of End and Abandon ends the span.
	ended atomic.Bool
}

// Abandon ends the request span of a request that End did not end (one
// refused before the pipeline, or a route that records no request), with
// its HTTP status.
func (t *Tracing) Abandon(ctx context.Context, status int) {
	rt, ok := ctx.Value(requestTraceKey{}).(*requestTrace)
	if t == nil || !ok || !rt.ended.CompareAndSwap(false, true) {
		return
	}
	rt.span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		rt.span.SetStatus(codes.Error, http.StatusText(status))
	}
	rt.span.End()
}

type requestTraceKey struct{}

// Begin starts a gateway request's trace: it continues the caller's W3C
// trace context when the headers carry one. With tracing off it only keeps
// an incoming trace context, so that the provider receives it.
func (t *Tracing) Begin(ctx context.Context, h http.Header, method, route string, start time.Time) context.Context {
	if t == nil {
		if h.Get("traceparent") == "" {
			return ctx
		}
		return propagator.Extract(ctx, propagation.HeaderCarrier(h))
	}
	ctx = propagator.Extract(ctx, propagation.HeaderCarrier(h))
	ctx, span := t.tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route)))
	if !span.IsRecording() {
		return ctx // not sampled: the upstream is told so through the request span's context
	}
	return context.WithValue(ctx, requestTraceKey{}, &requestTrace{span: span, provider: newSpanID()})
}

// Transport forwards the request's trace context to the provider: a
// traceparent naming the provider call's span (tracing on), or the caller's
// own trace context unchanged (tracing off). Requests without one pass as
// they are.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base}
}

type transport struct{ base http.RoundTripper }

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	sc := trace.SpanContextFromContext(ctx)
	if rt, ok := ctx.Value(requestTraceKey{}).(*requestTrace); ok {
		rt.providerStart.CompareAndSwap(0, time.Now().UnixNano())
		sc = sc.WithSpanID(rt.provider)
	}
	if !sc.IsValid() {
		return tr.base.RoundTrip(req)
	}
	out := req.Clone(ctx)
	propagator.Inject(trace.ContextWithSpanContext(ctx, sc), propagation.HeaderCarrier(out.Header))
	return tr.base.RoundTrip(out)
}

// Request is what a finished gateway request tells telemetry.
type Request struct {
	RequestID, TenantID, Endpoint, PolicyID string
	// Provider is the tenant's name for the provider; ProviderKind its kind
	// (openai, anthropic, azure_openai, ollama, openai_compatible, mock).
	Provider, ProviderKind string
	Model, ResponseModel   string
	InputTokens            int
	OutputTokens           int
	CostUSD                float64
	CacheHit, Stream       bool
	Status                 int
	// BlockedBy and ErrorCode are set when the request was refused or failed.
	BlockedBy, ErrorCode string
	Steps                []gw.StepTrace
	Started              time.Time
}

// OperationName is the GenAI operation (gen_ai.operation.name) of an endpoint.
func OperationName(endpoint string) string {
	if strings.Contains(endpoint, "embedding") {
		return "embeddings"
	}
	return "chat"
}

// ProviderName is the GenAI provider (gen_ai.provider.name) of a provider
// kind: the well-known value where the conventions have one.
func ProviderName(kind string) string {
	switch kind {
	case "azure_openai":
		return "azure.ai.openai"
	case "mock":
		return "astra.mock"
	case "":
		return "unknown"
	}
	return kind
}

// End ends the request's trace: a child span per pipeline step (from the
// recorded durations, laid out in pipeline order; the provider call at the
// moment it left), then the request span. r is not kept.
func (t *Tracing) End(ctx context.Context, r *Request) {
	if t == nil {
		return
	}
	rt, ok := ctx.Value(requestTraceKey{}).(*requestTrace)
	if !ok || !rt.ended.CompareAndSwap(false, true) {
		return
	}
	// The spans are made off the request's path (some 40 µs of CPU for a
	// chat's fifteen spans): the answer does not wait for them.
	req := *r
	req.Steps = append([]gw.StepTrace(nil), r.Steps...)
	go t.end(ctx, rt, req, time.Now())
}

func (t *Tracing) end(ctx context.Context, rt *requestTrace, req Request, now time.Time) {
	r := &req
	cursor := r.Started
	var providerAt time.Time
	if ns := rt.providerStart.Load(); ns != 0 {
		providerAt = time.Unix(0, ns)
	}
	for _, s := range r.Steps {
		name, kind := s.Step, trace.SpanKindInternal
		sctx := ctx
		attrs := []attribute.KeyValue{attribute.String("astra.gateway.step", s.Step), attribute.String("astra.gateway.verdict", s.Verdict)}
		if s.FailMode != "" {
			attrs = append(attrs, attribute.String("astra.gateway.fail_mode", s.FailMode))
		}
		if s.Score != 0 {
			attrs = append(attrs, attribute.Float64("astra.gateway.score", s.Score))
		}
		if s.Detail != "" {
			attrs = append(attrs, attribute.String("astra.gateway.detail", s.Detail))
		}
		if s.Detector != "" {
			attrs = append(attrs, attribute.String("astra.gateway.detector_version", s.Detector))
		}
		called := s.Step == gw.StepProvider && (s.Verdict == "pass" || s.Verdict == "error")
		if called {
			if !providerAt.IsZero() && providerAt.After(cursor) {
				cursor = providerAt
			}
			op := OperationName(r.Endpoint)
			name, kind = op+" "+r.Model, trace.SpanKindClient
			sctx = context.WithValue(ctx, spanIDKey{}, rt.provider)
			attrs = append(attrs, genAIAttrs(op, r, s)...)
		}
		end := cursor.Add(time.Duration(s.DurationUs) * time.Microsecond)
		_, span := t.tracer.Start(sctx, name, trace.WithSpanKind(kind), trace.WithTimestamp(cursor), trace.WithAttributes(attrs...))
		if s.Verdict == "error" {
			span.SetStatus(codes.Error, s.Detail)
		}
		span.End(trace.WithTimestamp(end))
		cursor = end
	}
	span := rt.span
	attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", r.Status), attribute.String("astra.request_id", r.RequestID),
		attribute.String("astra.tenant_id", r.TenantID), attribute.String("astra.gateway.endpoint", r.Endpoint),
		attribute.Bool("astra.gateway.cache_hit", r.CacheHit), attribute.Bool("astra.gateway.stream", r.Stream)}
	if r.PolicyID != "" {
		attrs = append(attrs, attribute.String("astra.gateway.policy_id", r.PolicyID))
	}
	if r.BlockedBy != "" {
		attrs = append(attrs, attribute.String("astra.gateway.blocked_by", r.BlockedBy), attribute.String("astra.gateway.error_code", r.ErrorCode))
	}
	span.SetAttributes(attrs...)
	if r.Status >= 500 {
		span.SetStatus(codes.Error, r.ErrorCode)
		span.SetAttributes(attribute.String("error.type", r.ErrorCode))
	}
	if cursor.After(now) {
		now = cursor
	}
	span.End(trace.WithTimestamp(now))
}

// genAIAttrs are the GenAI semantic conventions' attributes of a provider call.
func genAIAttrs(op string, r *Request, s gw.StepTrace) []attribute.KeyValue {
	prov := ProviderName(r.ProviderKind)
	attrs := []attribute.KeyValue{attribute.String("gen_ai.operation.name", op), attribute.String("gen_ai.provider.name", prov),
		// gen_ai.system is the name before semantic conventions v1.37; kept for backends that read it.
		attribute.String("gen_ai.system", prov), attribute.String("gen_ai.request.model", r.Model),
		attribute.String("astra.gateway.provider", r.Provider)}
	if s.Verdict == "pass" {
		if r.ResponseModel != "" {
			attrs = append(attrs, attribute.String("gen_ai.response.model", r.ResponseModel))
		}
		attrs = append(attrs, attribute.Int("gen_ai.usage.input_tokens", r.InputTokens))
		if op != "embeddings" {
			attrs = append(attrs, attribute.Int("gen_ai.usage.output_tokens", r.OutputTokens))
		}
	} else {
		attrs = append(attrs, attribute.String("error.type", ProviderCause(s.Detail)))
	}
	return attrs
}

// spanIDKey asks the id generator for a given span id (the provider call's,
// announced to the upstream before its span was made).
type spanIDKey struct{}

// idGenerator makes random ids, or the span id the context asks for.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	for !tid.IsValid() {
		putUint64(tid[:8], rand.Uint64())
		putUint64(tid[8:], rand.Uint64())
	}
	return tid, spanIDFor(ctx)
}

func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	return spanIDFor(ctx)
}

func spanIDFor(ctx context.Context) trace.SpanID {
	if id, ok := ctx.Value(spanIDKey{}).(trace.SpanID); ok && id.IsValid() {
		return id
	}
	return newSpanID()
}

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		putUint64(sid[:], rand.Uint64())
	}
	return sid
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}
