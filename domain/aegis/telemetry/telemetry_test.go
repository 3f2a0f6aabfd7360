package telemetry

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/astrabastion/astra/domain/aegis"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

func TestFromOTLPProto_GenAIConventions(t *testing.T) {
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
		{Name: "chat gpt-4o", StartTimeUnixNano: 2e18, EndTimeUnixNano: 2e18 + 3e8, Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "chat"),
			str("gen_ai.response.model", "gpt-4o-2024"), num("gen_ai.usage.input_tokens", 10), num("gen_ai.usage.output_tokens", 5), str("server.address", "API.OpenAI.com")}},
		{Name: "execute_tool get_weather", StartTimeUnixNano: 1e18, Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}},
		{Name: "SELECT", StartTimeUnixNano: 3e18, Attributes: []*commonpb.KeyValue{str("db.system.name", "postgresql"), str("db.namespace", "crm")}},
		{Name: "GET", Kind: tracepb.Span_SPAN_KIND_SERVER, Attributes: []*commonpb.KeyValue{str("http.request.method", "GET")}}, // a server span: not the agent's call
		{Name: "internal step"},
	}}}}}}
	raw, _ := proto.Marshal(td)
	as, err := FromOTLPProto(raw, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 3 || as[0].Kind != aegis.ActionToolCall || as[0].Tool != "get_weather" || !as[0].Error ||
		as[1].Kind != aegis.ActionLLMCall || as[1].Model != "gpt-4o-2024" || as[1].Tokens != 15 || as[1].Destination != "api.openai.com" || as[1].DurationMs != 300 ||
		as[2].Kind != aegis.ActionData || as[2].DataScope != "crm" {
		t.Fatalf("actions %+v", as)
	}
}

func TestFromBatch_ChecksAndOrders(t *testing.T) {
	as, err := FromBatch([]aegis.Action{{At: now, Tool: "b"}, {At: now.Add(-time.Minute), Kind: "http_request", Destination: "https://x.example:8443/p"}, {Kind: "other"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if as[0].Destination != "x.example" || as[1].Kind != aegis.ActionToolCall || as[2].At != now {
		t.Fatalf("%+v", as)
	}
	for _, bad := range [][]aegis.Action{nil, {{Kind: "teleport"}}, {{Kind: "other", Tokens: -1}}, {{Kind: "other", Destination: "a b/"}}} {
		if _, err := FromBatch(bad, now); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func FuzzFromOTLPJSON(f *testing.F) {
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"execute_tool x","attributes":[{"key":"gen_ai.tool.name","value":{"stringValue":"x"}}]}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		as, err := FromOTLPJSON(body, now)
		if err == nil && len(as) > MaxActions {
			t.Fatalf("%d actions", len(as))
		}
	})
}

func FuzzFromOTLPProto(f *testing.F) {
	raw, _ := proto.Marshal(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
		{Name: "execute_tool x", Attributes: []*commonpb.KeyValue{str("gen_ai.tool.name", "x")}}}}}}}})
	f.Add(raw)
	f.Fuzz(func(t *testing.T, body []byte) {
		as, err := FromOTLPProto(body, now)
		if err == nil {
			for _, a := range as {
				if a.Kind == "" || len(a.Tool) > 200 {
					t.Fatalf("action %+v", a)
				}
			}
		}
	})
}
