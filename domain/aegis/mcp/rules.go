package mcp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Kinds of firewall rules.
const (
	// KindAccess allows or denies calls of the tools in its scope (allow/deny per server and tool).
	KindAccess = "access"
	// KindArguments constrains a call's arguments: a JSON Schema they must satisfy and/or a CEL expression that must hold.
	KindArguments = "arguments"
	// KindDataFlow refuses a call of a tool in its scope (a tool that sends data out) once the session received a result carrying the labels.
	KindDataFlow = "data_flow"
	// KindRateLimit refuses calls past max_calls in window_seconds, per agent (or per session) and tool.
	KindRateLimit = "rate_limit"
)

// RuleKinds lists the kinds of rules.
var RuleKinds = []string{KindAccess, KindArguments, KindDataFlow, KindRateLimit}

// Labels a tool result can carry (what the data-flow rules read).
const (
	LabelPII    = "pii"
	LabelSecret = "secret"
)

// RuleSpec is a firewall rule as an administrator writes it.
type RuleSpec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        string `json:"kind" enum:"access,arguments,data_flow,rate_limit"`
	// Action of an access rule: allow or deny (other kinds deny when violated).
	Action string `json:"action,omitempty" enum:"allow,deny"`
	// Priority orders the rules (lower first); an access rule decides at the first match.
	Priority int `json:"priority"`
	// Servers, Tools (glob patterns, path.Match syntax) and Agents narrow the rule; empty matches any.
	Servers []string `json:"servers"`
	Tools   []string `json:"tools"`
	Agents  []string `json:"agents"`
	// Schema is the JSON Schema a call's arguments must satisfy (arguments).
	Schema json.RawMessage `json:"schema,omitempty" swaggertype:"object"`
	// Expression is CEL over args, tool, server_id, agent_id and labels that must hold (arguments)
	// or, for an access rule, that must hold for the rule to apply.
	Expression string `json:"expression,omitempty"`
	// Labels a data-flow rule watches (pii, secret).
	Labels []string `json:"labels,omitempty"`
	// MaxCalls in WindowSeconds, counted Per agent or session (rate_limit).
	MaxCalls      int    `json:"max_calls,omitempty"`
	WindowSeconds int    `json:"window_seconds,omitempty"`
	Per           string `json:"per,omitempty" enum:"agent,session"`
	Enabled       bool   `json:"enabled"`
}

// Rule is a spec with its identity.
type Rule struct {
	ID      string   `json:"id"`
	Version int      `json:"version"`
	Spec    RuleSpec `json:"spec"`
}

func invalid(field, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidRule, field, why)
}

// Validate checks a spec and fills its defaults.
func Validate(s *RuleSpec) error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 200 {
		return invalid("name", "1 to 200 characters")
	}
	for _, p := range append(append([]string{}, s.Tools...), s.Servers...) {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return invalid("tools", fmt.Sprintf("%q is not a glob pattern", p))
		}
	}
	switch s.Kind {
	case KindAccess:
		if s.Action != "allow" && s.Action != "deny" {
			return invalid("action", "allow or deny")
		}
	case KindArguments:
		if len(bytes.TrimSpace(s.Schema)) == 0 && strings.TrimSpace(s.Expression) == "" {
			return invalid("schema", "an arguments rule needs a schema or an expression")
		}
		s.Action = "deny"
	case KindDataFlow:
		if len(s.Labels) == 0 {
			return invalid("labels", "name at least one of pii, secret")
		}
		for _, l := range s.Labels {
			if l != LabelPII && l != LabelSecret {
				return invalid("labels", fmt.Sprintf("%q is not pii or secret", l))
			}
		}
		if len(s.Tools) == 0 {
			return invalid("tools", "name the tools that send data out")
		}
		s.Action = "deny"
	case KindRateLimit:
		if s.MaxCalls < 1 || s.WindowSeconds < 1 || s.WindowSeconds > 86400 {
			return invalid("max_calls", "max_calls ≥ 1 within window_seconds of 1 to 86400")
		}
		if s.Per == "" {
			s.Per = "agent"
		}
		if s.Per != "agent" && s.Per != "session" {
			return invalid("per", "agent or session")
		}
		s.Action = "deny"
	default:
		return invalid("kind", "one of "+strings.Join(RuleKinds, ", "))
	}
	_, err := compile(Rule{Spec: *s})
	return err
}

// Call is what a decision is about.
type Call struct {
	TenantID, ServerID, SessionID, AgentID, Tool string
	Arguments                                    map[string]any
	// RawArguments are the arguments as sent, when known: a JSON Schema
	// reads them without encoding Arguments again.
	RawArguments json.RawMessage
	// Labels the session's earlier results carried (pii, secret).
	Labels []string
	At     time.Time
}

// Counter counts a tenant's allowed calls of a tool in a window (per agent or session).
type Counter interface {
	Count(key string, window time.Duration, now time.Time) int
}

// Decision is the firewall's verdict on a call, a list or a result.
type Decision struct {
	Outcome string `json:"outcome" enum:"allowed,blocked"`
	// RuleID and RuleName name the rule that decided ("builtin:…" for the firewall's own: pins, approval, containment, poisoning).
	RuleID   string    `json:"rule_id,omitempty"`
	RuleName string    `json:"rule_name,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Findings []Finding `json:"findings"`
}

// Blocked reports whether the decision refuses.
func (d Decision) Blocked() bool { return d.Outcome == OutcomeBlocked }

// Outcomes.
const (
	OutcomeAllowed = "allowed"
	OutcomeBlocked = "blocked"
)

// Block makes a refusal by one of the firewall's own rules.
func Block(rule, reason string, findings ...Finding) Decision {
	if findings == nil {
		findings = []Finding{}
	}
	return Decision{Outcome: OutcomeBlocked, RuleID: "builtin:" + rule, RuleName: rule, Reason: reason, Findings: findings}
}

// Allow is the default verdict.
func Allow() Decision { return Decision{Outcome: OutcomeAllowed, Findings: []Finding{}} }

type compiled struct {
	Rule
	schema *jsonschema.Schema
	prg    cel.Program
}

var (
	celOnce sync.Once
	celEnv  *cel.Env
	celErr  error
)

func environment() (*cel.Env, error) {
	celOnce.Do(func() {
		celEnv, celErr = cel.NewEnv(
			cel.Variable("args", cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable("tool", cel.StringType), cel.Variable("server_id", cel.StringType),
			cel.Variable("agent_id", cel.StringType), cel.Variable("labels", cel.ListType(cel.StringType)))
	})
	return celEnv, celErr
}

func compile(r Rule) (*compiled, error) {
	c := &compiled{Rule: r}
	if raw := bytes.TrimSpace(r.Spec.Schema); len(raw) > 0 && string(raw) != "null" {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, invalid("schema", "not JSON: "+err.Error())
		}
		comp := jsonschema.NewCompiler()
		if err := comp.AddResource("rule.json", doc); err != nil {
			return nil, invalid("schema", err.Error())
		}
		if c.schema, err = comp.Compile("rule.json"); err != nil {
			return nil, invalid("schema", strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	if e := strings.TrimSpace(r.Spec.Expression); e != "" {
		if len(e) > 4000 {
			return nil, invalid("expression", "at most 4000 characters")
		}
		env, err := environment()
		if err != nil {
			return nil, err
		}
		ast, iss := env.Compile(e)
		if iss.Err() != nil {
			return nil, invalid("expression", strings.ReplaceAll(iss.Err().Error(), "\n", " "))
		}
		if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
			return nil, invalid("expression", "a CEL expression of type bool")
		}
		if c.prg, err = env.Program(ast, cel.CostLimit(100_000)); err != nil {
			return nil, invalid("expression", err.Error())
		}
	}
	return c, nil
}

// RuleSet is a tenant's enabled rules, compiled, in evaluation order.
type RuleSet struct {
	rules []*compiled
}

// Compile builds a rule set from rules (disabled ones left out). A rule
// that no longer compiles is skipped (it compiled when it was written).
func Compile(rules []Rule) *RuleSet {
	rs := &RuleSet{}
	for _, r := range rules {
		if !r.Spec.Enabled {
			continue
		}
		if c, err := compile(r); err == nil {
			rs.rules = append(rs.rules, c)
		}
	}
	sort.SliceStable(rs.rules, func(i, j int) bool { return rs.rules[i].Spec.Priority < rs.rules[j].Spec.Priority })
	return rs
}

// Len is how many rules the set holds.
func (rs *RuleSet) Len() int { return len(rs.rules) }

func matchAny(patterns []string, v string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, v); ok {
			return true
		}
	}
	return false
}

func (c *compiled) applies(call *Call) bool {
	s := &c.Spec
	return matchAny(s.Servers, call.ServerID) && matchAny(s.Tools, call.Tool) && (len(s.Agents) == 0 || contains(s.Agents, call.AgentID))
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (c *compiled) holds(call *Call) (bool, error) {
	labels := call.Labels
	if labels == nil {
		labels = []string{}
	}
	args := call.Arguments
	if args == nil {
		args = map[string]any{}
	}
	out, _, err := c.prg.Eval(map[string]any{"args": args, "tool": call.Tool, "server_id": call.ServerID, "agent_id": call.AgentID, "labels": labels})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	return ok && b, nil
}

// RateKey is the counter key of a rate-limit rule for a call.
func RateKey(r Rule, call *Call) string {
	who := call.AgentID
	if r.Spec.Per == "session" || who == "" {
		who = "session:" + call.SessionID
	}
	return call.TenantID + "|" + r.ID + "|" + who + "|" + call.Tool
}

// Decide judges a call with the rule set: the first access rule that
// applies allows or denies; every arguments, data-flow and rate-limit
// rule that applies must hold. No rule: allowed.
func (rs *RuleSet) Decide(call *Call, counter Counter) Decision {
	accessDecided := false
	for _, c := range rs.rules {
		if !c.applies(call) {
			continue
		}
		s := &c.Spec
		blocked := func(reason string) Decision {
			return Decision{Outcome: OutcomeBlocked, RuleID: c.ID, RuleName: s.Name, Reason: reason, Findings: []Finding{}}
		}
		switch s.Kind {
		case KindAccess:
			if accessDecided {
				continue
			}
			if c.prg != nil {
				ok, err := c.holds(call)
				if err != nil || !ok {
					continue
				}
			}
			accessDecided = true
			if s.Action == "deny" {
				return blocked(fmt.Sprintf("the tool %s is denied by the rule %q", call.Tool, s.Name))
			}
		case KindArguments:
			if c.schema != nil {
				if err := c.schema.Validate(call.schemaValue()); err != nil {
					return blocked(fmt.Sprintf("the arguments of %s break the rule %q: %s", call.Tool, s.Name, firstLine(err.Error())))
				}
			}
			if c.prg != nil {
				ok, err := c.holds(call)
				if err != nil {
					return blocked(fmt.Sprintf("the arguments of %s cannot be checked by the rule %q: %v", call.Tool, s.Name, err))
				}
				if !ok {
					return blocked(fmt.Sprintf("the arguments of %s break the rule %q: its expression does not hold", call.Tool, s.Name))
				}
			}
		case KindDataFlow:
			for _, l := range s.Labels {
				if contains(call.Labels, l) {
					return blocked(fmt.Sprintf("the session received %s data from a tool result, which the rule %q forbids passing to %s", l, s.Name, call.Tool))
				}
			}
		case KindRateLimit:
			if counter == nil {
				continue
			}
			w := time.Duration(s.WindowSeconds) * time.Second
			if n := counter.Count(RateKey(c.Rule, call), w, call.At); n >= s.MaxCalls {
				return blocked(fmt.Sprintf("%s was called %d times in %ds, the most the rule %q allows per %s", call.Tool, n, s.WindowSeconds, s.Name, s.Per))
			}
		}
	}
	return Allow()
}

// RateRules are the rate-limit rules that apply to a call (the counters an allowed call advances).
func (rs *RuleSet) RateRules(call *Call) []Rule {
	var out []Rule
	for _, c := range rs.rules {
		if c.Spec.Kind == KindRateLimit && c.applies(call) {
			out = append(out, c.Rule)
		}
	}
	return out
}

func firstLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// schemaValue is the call's arguments as the schema validator reads them.
func (call *Call) schemaValue() any {
	if raw := bytes.TrimSpace(call.RawArguments); len(raw) > 0 && raw[0] == '{' {
		if v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err == nil {
			return v
		}
	}
	return toJSONValue(call.Arguments)
}

// toJSONValue turns decoded arguments into what the schema validator reads
// (numbers as json.Number).
func toJSONValue(args map[string]any) any {
	if args == nil {
		return map[string]any{}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return args
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return args
	}
	return v
}
