// Package telemetry reads what agents report about themselves into AEGIS
// actions: our batch format, and OpenTelemetry traces (OTLP/HTTP, as JSON or
// protobuf) following the GenAI semantic conventions (`invoke_agent`,
// `execute_tool`, `chat` … spans with `gen_ai.*` attributes), so that an
// agent instrumented with any OpenTelemetry GenAI library reports without
// code of ours. Pure: it parses bytes.
package telemetry

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/astrabastion/astra/domain/aegis"
)

// MaxActions is the most actions one batch may carry.
const MaxActions = 5000

// ErrInvalid reports telemetry that cannot be read; its text says why.
var ErrInvalid = aegis.ErrInvalidTelemetry

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// FromBatch checks actions reported in our batch format (a destination may
// be a URL, whose host is kept) and returns them in time order; an action
// without a time happened at now.
func FromBatch(in []aegis.Action, now time.Time) ([]aegis.Action, error) {
	if len(in) == 0 || len(in) > MaxActions {
		return nil, invalid("a batch carries 1 to %d actions", MaxActions)
	}
	out := make([]aegis.Action, 0, len(in))
	for i, r := range in {
		if r.Kind == "" {
			r.Kind = aegis.ActionOtherKind
			if r.Tool != "" {
				r.Kind = aegis.ActionToolCall
			}
		}
		if !slices.Contains(aegis.ActionKinds, r.Kind) {
			return nil, invalid("actions[%d].kind must be one of %s", i, strings.Join(aegis.ActionKinds, ", "))
		}
		if r.Tokens < 0 || r.BytesOut < 0 || r.BytesIn < 0 || r.DurationMs < 0 {
			return nil, invalid("actions[%d]: counts are never negative", i)
		}
		if len(r.Tool) > 200 || len(r.Model) > 200 || len(r.DataScope) > 200 || len(r.Destination) > 2000 {
			return nil, invalid("actions[%d]: tool, model and data_scope have at most 200 characters, destination 2000", i)
		}
		a := r
		a.Destination = Host(r.Destination)
		if r.Destination != "" && a.Destination == "" {
			return nil, invalid("actions[%d].destination must be a host name or a URL", i)
		}
		out = append(out, a)
	}
	return ordered(out, now), nil
}

// ordered fills missing times with now (UTC) and sorts by time, stably.
func ordered(as []aegis.Action, now time.Time) []aegis.Action {
	for i := range as {
		if as[i].At.IsZero() {
			as[i].At = now
		}
		as[i].At = as[i].At.UTC()
	}
	sort.SliceStable(as, func(i, j int) bool { return as[i].At.Before(as[j].At) })
	return as
}

// Host is the lower-case host of a host name, host:port or URL ("" when
// there is none).
func Host(dest string) string {
	d := strings.TrimSpace(dest)
	if d == "" {
		return ""
	}
	if strings.Contains(d, "://") {
		u, err := url.Parse(d)
		if err != nil {
			return ""
		}
		return strings.ToLower(u.Hostname())
	}
	if h, _, err := net.SplitHostPort(d); err == nil {
		d = h
	}
	d = strings.ToLower(strings.Trim(d, "[]"))
	if strings.ContainsAny(d, "/ ?#@") {
		return ""
	}
	return d
}

// FromOTLPJSON reads an OTLP/HTTP JSON trace export. Spans of no convention
// AEGIS counts (a framework's internal spans) are left out; an export of
// nothing else gives no action and no error.
func FromOTLPJSON(body []byte, now time.Time) ([]aegis.Action, error) {
	var td tracepb.TracesData
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &td); err != nil {
		return nil, invalid("not an OTLP JSON trace export: %v", err)
	}
	return fromTraces(&td, now)
}

// FromOTLPProto reads an OTLP/HTTP protobuf trace export. An
// ExportTraceServiceRequest and a TracesData share their wire format.
func FromOTLPProto(body []byte, now time.Time) ([]aegis.Action, error) {
	var td tracepb.TracesData
	if err := proto.Unmarshal(body, &td); err != nil {
		return nil, invalid("not an OTLP protobuf trace export: %v", err)
	}
	return fromTraces(&td, now)
}

// IsOTLPJSON reports whether a JSON body is an OTLP export (its first
// member names resourceSpans) rather than our batch.
func IsOTLPJSON(body []byte) bool {
	head := body
	if len(head) > 512 {
		head = head[:512]
	}
	s := string(head)
	return strings.Contains(s, `"resourceSpans"`) || strings.Contains(s, `"resource_spans"`)
}

func fromTraces(td *tracepb.TracesData, now time.Time) ([]aegis.Action, error) {
	var out []aegis.Action
	spans := 0
	for _, rs := range td.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				spans++
				if a, ok := actionOf(sp); ok {
					out = append(out, a)
				}
			}
		}
	}
	if spans > MaxActions*4 {
		return nil, invalid("an export carries at most %d spans", MaxActions*4)
	}
	if len(out) > MaxActions {
		return nil, invalid("an export carries at most %d actions", MaxActions)
	}
	return ordered(out, now), nil
}

// attrs is a span's attributes by key.
type attrs map[string]*commonpb.AnyValue

func (a attrs) str(keys ...string) string {
	for _, k := range keys {
		if v, ok := a[k]; ok {
			switch x := v.GetValue().(type) {
			case *commonpb.AnyValue_StringValue:
				return x.StringValue
			case *commonpb.AnyValue_IntValue:
				return fmt.Sprint(x.IntValue)
			}
		}
	}
	return ""
}

func (a attrs) num(keys ...string) int64 {
	var n int64
	for _, k := range keys {
		if v, ok := a[k]; ok {
			switch x := v.GetValue().(type) {
			case *commonpb.AnyValue_IntValue:
				n += x.IntValue
			case *commonpb.AnyValue_DoubleValue:
				n += int64(x.DoubleValue)
			}
		}
	}
	return n
}

// GenAI operations (gen_ai.operation.name) that are model calls.
var llmOperations = []string{"chat", "text_completion", "generate_content", "embeddings", "create_agent"}

// actionOf maps a span to an action by the GenAI, HTTP and database
// semantic conventions; ok is false for spans of none of them.
func actionOf(sp *tracepb.Span) (aegis.Action, bool) {
	at := attrs{}
	for _, kv := range sp.GetAttributes() {
		at[kv.GetKey()] = kv.GetValue()
	}
	a := aegis.Action{At: time.Unix(0, int64(sp.GetStartTimeUnixNano())).UTC()}
	if sp.GetStartTimeUnixNano() == 0 {
		a.At = time.Time{}
	}
	if end := sp.GetEndTimeUnixNano(); end > sp.GetStartTimeUnixNano() && sp.GetStartTimeUnixNano() > 0 {
		a.DurationMs = int64(end-sp.GetStartTimeUnixNano()) / 1e6
	}
	a.Error = sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR || at.str("error.type") != ""
	a.Destination = Host(at.str("server.address", "net.peer.name"))
	if a.Destination == "" {
		a.Destination = Host(at.str("url.full", "http.url"))
	}
	a.DataScope = at.str("astra.data_scope", "db.namespace", "db.system.name", "db.system")
	op := at.str("gen_ai.operation.name")
	if op == "" {
		op, _, _ = strings.Cut(sp.GetName(), " ")
	}
	switch {
	case op == "execute_tool":
		a.Kind = aegis.ActionToolCall
		a.Tool = at.str("gen_ai.tool.name")
		if a.Tool == "" {
			_, a.Tool, _ = strings.Cut(sp.GetName(), " ")
		}
	case op == "invoke_agent":
		a.Kind = aegis.ActionInvoke
	case slices.Contains(llmOperations, op):
		a.Kind = aegis.ActionLLMCall
		a.Model = at.str("gen_ai.response.model", "gen_ai.request.model")
		a.Tokens = at.num("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens")
	case at.str("http.request.method", "http.method") != "" && sp.GetKind() != tracepb.Span_SPAN_KIND_SERVER:
		a.Kind = aegis.ActionHTTP
		a.BytesOut = at.num("http.request.body.size", "http.request_content_length")
		a.BytesIn = at.num("http.response.body.size", "http.response_content_length")
	case at.str("db.system.name", "db.system") != "":
		a.Kind = aegis.ActionData
	default:
		return a, false
	}
	if len(a.Tool) > 200 || len(a.Model) > 200 || len(a.DataScope) > 200 {
		return a, false
	}
	return a, true
}
