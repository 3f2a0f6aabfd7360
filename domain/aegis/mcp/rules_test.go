package mcp

import (
	"encoding/json"
	"testing"
)

// TestDecide_ASchemaReadsTheArgumentsAsSentOrAsDecoded: an arguments rule
// decides the same whether the call carries its arguments as sent (the
// proxy) or only decoded (inspect, backtest).
func TestDecide_ASchemaReadsTheArgumentsAsSentOrAsDecoded(t *testing.T) {
	spec := RuleSpec{Name: "small", Kind: KindArguments, Enabled: true,
		Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer","maximum":10}},"required":["a"]}`)}
	if err := Validate(&spec); err != nil {
		t.Fatal(err)
	}
	rs := Compile([]Rule{{ID: "r1", Version: 1, Spec: spec}})
	for _, tc := range []struct {
		raw     string
		blocked bool
	}{
		{`{"a":3}`, false}, {`{"a":11}`, true}, {`{"a":2.5}`, true}, {`{}`, true}, {`{"a":3,"b":"x"}`, false},
	} {
		var args map[string]any
		if err := json.Unmarshal([]byte(tc.raw), &args); err != nil {
			t.Fatal(err)
		}
		decoded := rs.Decide(&Call{Tool: "add", Arguments: args}, nil)
		sent := rs.Decide(&Call{Tool: "add", Arguments: args, RawArguments: json.RawMessage(tc.raw)}, nil)
		if decoded.Blocked() != tc.blocked || sent.Blocked() != tc.blocked || decoded.Reason != sent.Reason {
			t.Errorf("%s: decoded %v (%s), as sent %v (%s), want blocked %v", tc.raw, decoded.Blocked(), decoded.Reason, sent.Blocked(), sent.Reason, tc.blocked)
		}
	}
}
