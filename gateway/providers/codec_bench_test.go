package providers

import (
	"encoding/json"
	"testing"
)

// Bodies of the benchmarks: the gateway benchmark's plain chat (a system and a
// user message), an agent's tool-call round trip, and the mock's answer.
const (
	benchPlainRequest = `{"model":"bench-model","messages":[{"role":"system","content":"You are a concise assistant for an internal engineering team."},` +
		`{"role":"user","content":"Summarize the key points of meeting note 1234 for the product team in three bullet points. Focus on deadlines, owners and open risks, and keep the tone neutral."}]}`
	benchToolRequest = `{"model":"gpt-4o","messages":[{"role":"system","content":"You are a travel agent. Use the tools."},` +
		`{"role":"user","content":[{"type":"text","text":"What is the weather in Paris? Book a table if it is sunny."},{"type":"image_url","image_url":{"url":"https://example.com/paris.png","detail":"low"}}]},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}}]},` +
		`{"role":"tool","tool_call_id":"call_abc123","content":"{\"temp\":21,\"sky\":\"sunny\"}"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]},"strict":true}},` +
		`{"type":"function","function":{"name":"book_table","description":"Book a restaurant table","parameters":{"type":"object","properties":{"restaurant":{"type":"string"},"time":{"type":"string"}}}}}],` +
		`"tool_choice":"auto","parallel_tool_calls":true,"temperature":0.2,"max_completion_tokens":512,"seed":42,"metadata":{"session":"s-1"},"store":false}`
	benchResponse = `{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"bench-model",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Noted: the summary is ready."},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":42,"completion_tokens":7,"total_tokens":49}}`
)

// The benchmarks decode and encode as the gateway does (UnmarshalJSON and
// AppendJSON straight on the body), and, for comparison, as the reflective
// codec of dd1bade did through encoding/json.

// BenchmarkChatRequest_DecodeEncode decodes a client's request and encodes it for the upstream.
func BenchmarkChatRequest_DecodeEncode(b *testing.B) {
	for _, c := range []struct{ name, body string }{{"plain", benchPlainRequest}, {"tools", benchToolRequest}} {
		b.Run(c.name+"/codec", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			var buf []byte
			for b.Loop() {
				var r ChatRequest
				if err := r.UnmarshalJSON([]byte(c.body)); err != nil {
					b.Fatal(err)
				}
				var err error
				if buf, err = r.AppendJSON(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/reflective", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			for b.Loop() {
				var r refChatRequest
				if err := json.Unmarshal([]byte(c.body), &r); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkChatResponse_DecodeEncode decodes an upstream's answer and encodes it for the client.
func BenchmarkChatResponse_DecodeEncode(b *testing.B) {
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchResponse)))
		var buf []byte
		for b.Loop() {
			r, err := DecodeChatResponse([]byte(benchResponse))
			if err != nil {
				b.Fatal(err)
			}
			if buf, err = r.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reflective", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchResponse)))
		for b.Loop() {
			var r refChatResponse
			if err := json.Unmarshal([]byte(benchResponse), &r); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
