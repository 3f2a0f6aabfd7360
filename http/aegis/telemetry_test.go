package aegis_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/astrabastion/astra/testkit"
)

type action struct {
	Source      string `json:"source"`
	Kind        string `json:"kind"`
	Tool        string `json:"tool"`
	Destination string `json:"destination"`
	Model       string `json:"model"`
	Tokens      int64  `json:"tokens"`
	Error       bool   `json:"error"`
}

func activity(t *testing.T, in *testkit.Instance, token, agentID, query string) []action {
	t.Helper()
	out, _ := testkit.Walk[action](t, in, api+"/agents/"+agentID+"/activity?limit=200"+query, token)
	return out
}

// TestAegis_TelemetryFromTheOpenTelemetrySDK: GenAI spans exported by the
// official OpenTelemetry Go SDK's OTLP/HTTP exporter, pointed at the
// telemetry endpoint, are recorded as the agent's activity; so are OTLP
// JSON exports, our batch format, and gateway requests made with the
// agent's key. A key no agent claims is listed as a discovered agent.
func TestAegis_TelemetryFromTheOpenTelemetrySDK(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	secret, keyID := in.NewAPIKey(t, admin, "agent-key", "gateway:read", "gateway:write", "aegis:write", "aegis:read")
	a := register(t, in, admin, "research-agent", keyID)

	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(in.URL+api+"/agents/"+a.ID+"/telemetry"),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + secret}), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(resource.Empty()))
	tr := tp.Tracer("genai-agent")
	root, span := tr.Start(ctx, "invoke_agent research-agent", trace.WithAttributes(attribute.String("gen_ai.operation.name", "invoke_agent"),
		attribute.String("gen_ai.agent.name", "research-agent")))
	_, llm := tr.Start(root, "chat gpt-4o", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o"),
		attribute.Int("gen_ai.usage.input_tokens", 120), attribute.Int("gen_ai.usage.output_tokens", 30), attribute.String("server.address", "api.openai.com")))
	llm.End()
	_, tool := tr.Start(root, "execute_tool web_search", trace.WithAttributes(attribute.String("gen_ai.operation.name", "execute_tool"),
		attribute.String("gen_ai.tool.name", "web_search")))
	tool.SetStatus(codes.Error, "timeout")
	tool.End()
	_, get := tr.Start(root, "GET", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("http.request.method", "GET"),
		attribute.String("url.full", "https://docs.example.org/page?q=1"), attribute.Int("http.request.body.size", 512)))
	get.End()
	_, internal := tr.Start(root, "parse results") // no convention AEGIS counts
	internal.End()
	span.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("the SDK's exporter failed against the endpoint: %v", err)
	}

	var acts []action
	testkit.Eventually(t, 10*time.Second, "the exported spans as activity", func() bool {
		acts = activity(t, in, admin, a.ID, "&source=otlp")
		return len(acts) == 4
	})
	byKind := map[string]action{}
	for _, x := range acts {
		if x.Source != "otlp" {
			t.Fatalf("source %+v", x)
		}
		byKind[x.Kind] = x
	}
	if byKind["llm_call"].Model != "gpt-4o" || byKind["llm_call"].Tokens != 150 || byKind["llm_call"].Destination != "api.openai.com" ||
		byKind["tool_call"].Tool != "web_search" || !byKind["tool_call"].Error || byKind["http_request"].Destination != "docs.example.org" ||
		byKind["agent_invoke"].Kind == "" {
		t.Fatalf("activity %+v", acts)
	}

	// OTLP JSON, by hand, and our batch format.
	otlpJSON := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}}]},"scopeSpans":[{"scope":{"name":"x"},
		"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"execute_tool crm_lookup","kind":1,
		"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000",
		"attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},{"key":"gen_ai.tool.name","value":{"stringValue":"crm_lookup"}}]}]}]}]}`
	r := in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", admin, otlpJSON)
	if r.Status != http.StatusOK || string(r.Body) != "{}" {
		t.Fatalf("OTLP JSON: %d %s", r.Status, r.Body)
	}
	r = in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", secret, map[string]any{"batch_id": "b-1", "actions": []map[string]any{
		{"kind": "tool_call", "tool": "send_email", "destination": "https://smtp.example.com:587/x", "bytes_out": 2048},
		{"kind": "data_access", "data_scope": "crm:read"}}})
	wantStatus(t, r, http.StatusAccepted)
	var res struct {
		BatchID string `json:"batch_id"`
		Actions int    `json:"actions"`
	}
	r.Data(t, &res)
	if res.BatchID != "b-1" || res.Actions != 2 {
		t.Fatalf("batch %+v", res)
	}
	// The same batch id again records nothing twice.
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", secret, map[string]any{"batch_id": "b-1", "actions": []map[string]any{
		{"kind": "tool_call", "tool": "send_email", "destination": "https://smtp.example.com:587/x", "bytes_out": 2048},
		{"kind": "data_access", "data_scope": "crm:read"}}}), http.StatusAccepted)
	if got := activity(t, in, admin, a.ID, "&tool=send_email"); len(got) != 1 || got[0].Destination != "smtp.example.com" {
		t.Fatalf("batch activity %+v", got)
	}
	for _, bad := range []any{map[string]any{"actions": []map[string]any{}}, map[string]any{"actions": []map[string]any{{"kind": "teleport"}}},
		map[string]any{"actions": []map[string]any{{"kind": "http_request", "destination": "not a host/"}}}} {
		if r := in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", admin, bad); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad batch %v: %d %s", bad, r.Status, r.Body)
		}
	}
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", admin, `{"resourceSpans":[]}`), http.StatusOK) // nothing to count
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", admin, `{"resourceSpans":{}}`), http.StatusUnprocessableEntity, "AEG-006")
	_, other := in.NewTenant(t, admin, "Telemetry")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", other, map[string]any{"actions": []map[string]any{{"kind": "other"}}}),
		http.StatusNotFound, "AEG-001")

	// Gateway requests with the agent's key count as its activity.
	wantStatus(t, chat(t, in, secret, "hello"), http.StatusOK)
	testkit.Eventually(t, 10*time.Second, "the gateway request as activity", func() bool {
		return len(activity(t, in, admin, a.ID, "&source=gateway")) == 1
	})

	// The baseline learns (not yet warm), the risk names its reasons.
	var bl struct {
		Warm     bool `json:"warm"`
		Baseline struct {
			Total int64                     `json:"total_actions"`
			Tools map[string]map[string]any `json:"tools"`
			Hosts map[string]map[string]any `json:"hosts"`
		} `json:"baseline"`
	}
	in.Do(t, http.MethodGet, api+"/agents/"+a.ID+"/baseline", admin, nil).Data(t, &bl)
	if bl.Warm || bl.Baseline.Total != 8 || bl.Baseline.Tools["web_search"] == nil || bl.Baseline.Hosts["smtp.example.com"] == nil {
		t.Fatalf("baseline %+v", bl)
	}
	var risk struct {
		Score   float64 `json:"score"`
		Level   string  `json:"level"`
		Reasons []struct {
			Factor string `json:"factor"`
		} `json:"reasons"`
	}
	in.Do(t, http.MethodGet, api+"/agents/"+a.ID+"/risk", admin, nil).Data(t, &risk)
	if risk.Score <= 0 || len(risk.Reasons) == 0 {
		t.Fatalf("risk %+v", risk)
	}

	// A key no agent claims: a discovered agent, until an agent claims it.
	loose, looseID := in.NewAPIKey(t, admin, "shadow-app", "gateway:read", "gateway:write")
	wantStatus(t, chat(t, in, loose, "hello"), http.StatusOK)
	var found []struct {
		KeyID string `json:"key_id"`
		Model string `json:"model"`
	}
	testkit.Eventually(t, 10*time.Second, "the unclaimed key discovered", func() bool {
		found, _ = testkit.Walk[struct {
			KeyID string `json:"key_id"`
			Model string `json:"model"`
		}](t, in, api+"/agents/discovered", admin)
		return len(found) == 1
	})
	if found[0].KeyID != looseID || found[0].Model != "mock-small" {
		t.Fatalf("discovered %+v", found)
	}
	register(t, in, admin, "claimed", looseID)
	if got := testkit.GetPage[map[string]any](t, in, api+"/agents/discovered", admin); len(got.Data) != 0 {
		t.Fatalf("a claimed key is still listed: %v", got.Data)
	}
}

// TestAegis_AnomalyRaisesAlertAndQuarantines: once an agent's baseline is
// warm, a tool it never used is an anomaly (aegis.agent.anomaly on the live
// stream, with what deviated), raises the built-in alert, and quarantines
// the agent that asks for it at that severity: its keys are refused.
func TestAegis_AnomalyRaisesAlertAndQuarantines(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	secret, keyID := in.NewAPIKey(t, admin, "auto-key", "gateway:read", "gateway:write")
	r := in.Do(t, http.MethodPost, api+"/agents", admin, map[string]any{"name": "auto", "owner": "sre", "model": "mock-small",
		"api_key_ids": []string{keyID}, "auto_quarantine": "medium", "tools": []string{"search", "crm_lookup"}})
	wantStatus(t, r, http.StatusCreated)
	var a agent
	r.Data(t, &a)
	ws := in.DialWS(t, admin)
	ws.Subscribe("", "aegis.agent.anomaly")

	// Four days of ordinary activity: the warm-up.
	now := time.Now().UTC()
	var history []map[string]any
	for h := 96; h >= 1; h-- {
		for i := 0; i < 10; i++ {
			tool := []string{"search", "crm_lookup"}[i%2]
			history = append(history, map[string]any{"at": now.Add(-time.Duration(h)*time.Hour + time.Duration(i)*time.Minute), "kind": "tool_call",
				"tool": tool, "destination": "api.crm.example"})
		}
	}
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", admin, map[string]any{"actions": history}), http.StatusAccepted)
	if got := testkit.GetPage[map[string]any](t, in, api+"/agents/"+a.ID+"/anomalies", admin); len(got.Data) != 0 {
		t.Fatalf("anomalies during the warm-up: %v", got.Data)
	}
	var bl struct {
		Warm bool `json:"warm"`
	}
	in.Do(t, http.MethodGet, api+"/agents/"+a.ID+"/baseline", admin, nil).Data(t, &bl)
	if !bl.Warm {
		t.Fatal("four days of activity did not warm the baseline")
	}

	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/telemetry", admin, map[string]any{"actions": []map[string]any{
		{"at": now, "kind": "tool_call", "tool": "shell_exec"}}}), http.StatusAccepted)
	evs := ws.Events(15*time.Second, func(e []map[string]any) bool { return len(e) > 0 })
	d, _ := evs[0]["data"].(map[string]any)
	if evs[0]["type"] != "com.astra.aegis.AgentAnomalyDetected" || d["kind"] != "new_tool" || d["subject"] != "shell_exec" || d["severity"] != "high" ||
		!strings.Contains(d["detail"].(string), "first call") {
		t.Fatalf("anomaly on the live stream: %v", evs)
	}
	testkit.Eventually(t, 10*time.Second, "the agent quarantined automatically", func() bool {
		in.Do(t, http.MethodGet, api+"/agents/"+a.ID, admin, nil).Data(t, &a)
		return a.Status == "quarantined"
	})
	if !strings.Contains(a.StatusReason, "automatic") {
		t.Fatalf("reason %q", a.StatusReason)
	}
	wantProblem(t, chat(t, in, secret, "hello"), http.StatusForbidden, "AEG-013")
	awaitAlert(t, in, admin, "&agent_id="+a.ID, func(x alertOut) bool { return x.RuleID == "builtin.agent_anomaly" && x.Severity == "high" })
	var an []struct {
		Kind      string  `json:"kind"`
		Observed  float64 `json:"observed"`
		Deviation float64 `json:"deviation"`
	}
	in.Do(t, http.MethodGet, api+"/agents/"+a.ID+"/anomalies", admin, nil).Data(t, &an)
	if len(an) != 1 || an[0].Kind != "new_tool" {
		t.Fatalf("anomalies %+v", an)
	}
	var risk struct {
		Score   float64 `json:"score"`
		Reasons []struct {
			Factor string `json:"factor"`
		} `json:"reasons"`
	}
	in.Do(t, http.MethodGet, api+"/agents/"+a.ID+"/risk", admin, nil).Data(t, &risk)
	factors := map[string]bool{}
	for _, r := range risk.Reasons {
		factors[r.Factor] = true
	}
	if !factors["containment"] || !factors["anomalies"] || !factors["undeclared_tools"] || factors["baseline"] {
		t.Fatalf("risk %+v", risk)
	}
}
