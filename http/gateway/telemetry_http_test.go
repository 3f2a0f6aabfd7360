package gateway_test

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/testkit"
)

// otlpReceiver is an OTLP/HTTP trace endpoint served by the test: it decodes
// every export (protobuf) and keeps the spans with their resource.
type otlpReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	res   [][]*commonpb.KeyValue
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rc := &otlpReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "not an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					rc.spans = append(rc.spans, s)
					rc.res = append(rc.res, rs.GetResource().GetAttributes())
				}
			}
		}
		rc.mu.Unlock()
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// trace is the spans received of one trace id, and their resources.
func (rc *otlpReceiver) trace(traceID []byte) ([]*tracepb.Span, [][]*commonpb.KeyValue) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var spans []*tracepb.Span
	var res [][]*commonpb.KeyValue
	for i, s := range rc.spans {
		if bytes.Equal(s.TraceId, traceID) {
			spans, res = append(spans, s), append(res, rc.res[i])
		}
	}
	return spans, res
}

func attr(kvs []*commonpb.KeyValue, key string) (*commonpb.AnyValue, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

func attrString(kvs []*commonpb.KeyValue, key string) string {
	v, _ := attr(kvs, key)
	return v.GetStringValue()
}

// traceUpstream is an OpenAI-compatible upstream (the loopback's answers)
// that records the trace context headers it receives.
type traceUpstream struct {
	*loopback
	srv         *httptest.Server
	mu          sync.Mutex
	traceparent []string
	tracestate  []string
}

func newTraceUpstream(t *testing.T, name string, models ...string) *traceUpstream {
	t.Helper()
	up := &traceUpstream{loopback: newLoopback(t, name, models...)}
	up.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.mu.Lock()
		up.traceparent = append(up.traceparent, r.Header.Get("traceparent"))
		up.tracestate = append(up.tracestate, r.Header.Get("tracestate"))
		up.mu.Unlock()
		up.serve(w, r)
	}))
	t.Cleanup(up.srv.Close)
	return up
}

func (up *traceUpstream) last() (string, string) {
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.traceparent) == 0 {
		return "", ""
	}
	return up.traceparent[len(up.traceparent)-1], up.tracestate[len(up.tracestate)-1]
}

func (up *traceUpstream) register(t *testing.T, in *testkit.Instance, token string) {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", token, map[string]any{"name": up.name, "kind": "openai_compatible",
		"base_url": up.srv.URL + "/v1", "models": up.models, "settings": map[string]any{"max_retries": 0}})
	wantStatus(t, r, http.StatusCreated)
}

// TestTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, a chat that carries a
// traceparent is exported to the test's OTLP receiver as one trace that
// continues the caller's: a server span for the request (child of the
// caller's span), a child span per pipeline step, and the provider call as a
// GenAI client span, whose id is the parent the upstream receives in its
// traceparent. /metrics then shows the GenAI token usage and operation
// duration and the gateway's own metrics.
func TestTelemetry(t *testing.T) {
	rc := newOTLPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rc.srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "astra-telemetry-test")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	in := startLoopbackInstance(t)
	_, ta := in.NewTenant(t, in.AdminToken(t), "Telemetry")
	up := newTraceUpstream(t, "traced", "traced-chat")
	up.register(t, in, ta)

	callerTrace, callerSpan := "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", ta, map[string]any{"provider": "traced", "model": "traced-chat",
		"messages": []map[string]string{{"role": "user", "content": "LOOPBACK_SAY: traced answer"}}},
		"traceparent", "00-"+callerTrace+"-"+callerSpan+"-01", "tracestate", "vendor=opaque")
	wantStatus(t, r, http.StatusOK)

	tp, ts := up.last()
	parts := strings.Split(tp, "-")
	if len(parts) != 4 || parts[0] != "00" || parts[1] != callerTrace || parts[3] != "01" || parts[2] == callerSpan {
		t.Fatalf("upstream traceparent %q: want the caller's trace %s, a span of the gateway's, sampled", tp, callerTrace)
	}
	if ts != "vendor=opaque" {
		t.Fatalf("upstream tracestate %q, want the caller's", ts)
	}

	tid, _ := hex.DecodeString(callerTrace)
	var spans []*tracepb.Span
	var res [][]*commonpb.KeyValue
	testkit.Eventually(t, 10*time.Second, "the request's spans in the OTLP receiver", func() bool {
		spans, res = rc.trace(tid)
		for _, s := range spans {
			if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
				return true
			}
		}
		return false
	})
	var root *tracepb.Span
	for i, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			root = s
			if got := attrString(res[i], "service.name"); got != "astra-telemetry-test" {
				t.Errorf("service.name %q, want OTEL_SERVICE_NAME", got)
			}
		}
	}
	if hex.EncodeToString(root.ParentSpanId) != callerSpan {
		t.Fatalf("request span's parent %x, want the caller's span %s", root.ParentSpanId, callerSpan)
	}
	if root.Name != "POST /api/v1/gateway/chat/completions" || attrString(root.Attributes, "astra.gateway.endpoint") != "chat" {
		t.Fatalf("request span %q %v", root.Name, root.Attributes)
	}
	children := map[string]*tracepb.Span{}
	for _, s := range spans {
		if s != root {
			if !bytes.Equal(s.ParentSpanId, root.SpanId) {
				t.Fatalf("span %q: parent %x, want the request span %x", s.Name, s.ParentSpanId, root.SpanId)
			}
			if s.StartTimeUnixNano < root.StartTimeUnixNano || s.EndTimeUnixNano > root.EndTimeUnixNano {
				t.Errorf("span %q [%d, %d] outside the request's [%d, %d]", s.Name, s.StartTimeUnixNano, s.EndTimeUnixNano,
					root.StartTimeUnixNano, root.EndTimeUnixNano)
			}
			children[attrString(s.Attributes, "astra.gateway.step")] = s
		}
	}
	for _, step := range []string{gw.StepAuthenticate, gw.StepTenant, gw.StepKillSwitch, gw.StepRateBudget, gw.StepValidate, gw.StepPolicy,
		gw.StepAllowList, gw.StepInjection, gw.StepPII, gw.StepContentRules, gw.StepCache, gw.StepProvider, gw.StepResponseScan, gw.StepAuditAndUsage} {
		if children[step] == nil {
			t.Errorf("no span for the step %s (have %d spans)", step, len(children))
		}
	}
	call := children[gw.StepProvider]
	if call == nil {
		t.FailNow()
	}
	if call.Name != "chat traced-chat" || call.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Fatalf("provider span %q kind %v, want \"chat traced-chat\" client", call.Name, call.Kind)
	}
	if hex.EncodeToString(call.SpanId) != parts[2] {
		t.Fatalf("provider span %x, but the upstream was told its parent is %s", call.SpanId, parts[2])
	}
	for k, want := range map[string]string{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai_compatible",
		"gen_ai.request.model": "traced-chat", "gen_ai.response.model": "traced-chat"} {
		if got := attrString(call.Attributes, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v, _ := attr(call.Attributes, "gen_ai.usage.input_tokens"); v.GetIntValue() != 7 {
		t.Errorf("gen_ai.usage.input_tokens %v, want 7 (the upstream's count)", v)
	}
	if v, _ := attr(call.Attributes, "gen_ai.usage.output_tokens"); v.GetIntValue() != 2 {
		t.Errorf("gen_ai.usage.output_tokens %v, want 2", v)
	}

	// A request without a traceparent starts a trace of its own, which the upstream continues.
	okChat(t, in, ta, "traced", "traced-chat", "no caller trace", nil)
	if tp2, _ := up.last(); len(tp2) != 55 || strings.Contains(tp2, callerTrace) {
		t.Fatalf("upstream traceparent %q for a request without one: want a new trace", tp2)
	}

	metrics := in.DoRaw(t, http.MethodGet, "/metrics", "", nil)
	wantStatus(t, metrics, http.StatusOK)
	for _, want := range []string{
		`gen_ai_client_token_usage_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai_compatible",gen_ai_request_model="traced-chat",gen_ai_response_model="traced-chat",gen_ai_token_type="input",le="16"} 2`,
		`gen_ai_client_token_usage_sum{gen_ai_operation_name="chat",gen_ai_provider_name="openai_compatible",gen_ai_request_model="traced-chat",gen_ai_response_model="traced-chat",gen_ai_token_type="output"}`,
		`gen_ai_client_operation_duration_seconds_count{error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="openai_compatible",gen_ai_request_model="traced-chat",gen_ai_response_model="traced-chat"} 2`,
		`astra_gateway_provider_latency_seconds_count{outcome="ok",provider="traced"} 2`,
	} {
		if !strings.Contains(string(metrics.Body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestTraceContextForwardedWithTracingOff: without an OTLP endpoint nothing
// is exported, but the caller's trace context still reaches the provider as
// it was sent.
func TestTraceContextForwardedWithTracingOff(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	in := startLoopbackInstance(t)
	_, ta := in.NewTenant(t, in.AdminToken(t), "Untraced")
	up := newTraceUpstream(t, "untraced", "untraced-chat")
	up.register(t, in, ta)
	sent := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", ta, map[string]any{"provider": "untraced", "model": "untraced-chat",
		"messages": []map[string]string{{"role": "user", "content": "hello"}}}, "traceparent", sent, "tracestate", "vendor=opaque")
	wantStatus(t, r, http.StatusOK)
	if tp, ts := up.last(); tp != sent || ts != "vendor=opaque" {
		t.Fatalf("upstream got traceparent %q tracestate %q, want the caller's %q", tp, ts, sent)
	}
	okChat(t, in, ta, "untraced", "untraced-chat", "no caller trace", nil)
	if tp, _ := up.last(); tp != "" {
		t.Fatalf("upstream got traceparent %q with tracing off and none sent", tp)
	}
}
