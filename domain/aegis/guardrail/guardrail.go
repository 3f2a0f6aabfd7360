// Package guardrail is the one guardrail engine of the product: AEGIS
// guardrails (keyword, regex, topic, pii, injection, length, tool allow-list
// and CEL expressions) and a gateway policy's content rules are compiled into
// the same rules and evaluated by the same code, whether the gateway pipeline
// judges a request, POST /aegis/guardrails/evaluate judges a sample, or a
// guardrail is tested on one. It holds no state of its own and reads no
// clock: the gateway runtime caches compiled sets per tenant.
package guardrail

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Types of guardrails.
const (
	Keyword       = "keyword"
	Regex         = "regex"
	Topic         = "topic"
	PII           = "pii"
	Injection     = "injection"
	Length        = "length"
	ToolAllowlist = "tool_allowlist"
	CEL           = "cel"
)

// Types lists every guardrail type.
var Types = []string{Keyword, Regex, Topic, PII, Injection, Length, ToolAllowlist, CEL}

// Actions a guardrail takes when it matches.
const (
	ActionBlock  = "block"
	ActionRedact = "redact"
	ActionAlert  = "alert"
)

// Actions lists every action.
var Actions = []string{ActionBlock, ActionRedact, ActionAlert}

// Severities of a guardrail (and of the alerts it raises).
var Severities = []string{"low", "medium", "high", "critical"}

// Limits of a guardrail's configuration.
const (
	MaxTerms      = 500
	MaxTermLength = 200
	MaxPattern    = 1000
	MaxExpression = 2000
)

// ErrInvalid reports a guardrail that cannot be compiled; the error's text
// names the field.
var ErrInvalid = errors.New("guardrail: invalid")

// Spec is a guardrail as an administrator writes it.
type Spec struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type" enum:"keyword,regex,topic,pii,injection,length,tool_allowlist,cel"`
	Config      Config `json:"config"`
	Action      string `json:"action" enum:"block,redact,alert"`
	Severity    string `json:"severity" enum:"low,medium,high,critical"`
	Scope       Scope  `json:"scope"`
}

// Config holds what each type reads; fields of other types are ignored.
type Config struct {
	// Keywords (keyword) deny words and phrases, matched as whole words.
	Keywords []string `json:"keywords,omitempty"`
	// Patterns (regex) are RE2 regular expressions.
	Patterns []string `json:"patterns,omitempty"`
	// Topics (topic) are deny-listed subjects, each a set of keywords.
	Topics []TopicSpec `json:"topics,omitempty"`
	// CaseSensitive (keyword, topic) matches letters as written.
	CaseSensitive bool `json:"case_sensitive,omitempty"`
	// PIITypes (pii) are the entity types that count (empty: every type).
	PIITypes []string `json:"pii_types,omitempty"`
	// MinScore (pii) is the least confidence that counts.
	MinScore float64 `json:"min_score,omitempty"`
	// Threshold (injection) is the score at and above which the guardrail
	// matches (0: the detector's default).
	Threshold float64 `json:"threshold,omitempty"`
	// MaxChars and MaxMessages (length) bound the request.
	MaxChars    int `json:"max_chars,omitempty"`
	MaxMessages int `json:"max_messages,omitempty"`
	// Tools (tool_allowlist) are the only tools a request may declare or call.
	Tools []string `json:"tools,omitempty"`
	// Expression (cel) is a CEL expression over `request` that is true when
	// the request violates the guardrail.
	Expression string `json:"expression,omitempty"`
	// Roles restrict the messages inspected by text guardrails (empty: all).
	Roles []string `json:"roles,omitempty"`
}

// TopicSpec is one deny-listed subject.
type TopicSpec struct {
	Name     string   `json:"name"`
	Keywords []string `json:"keywords"`
}

// Scope narrows where a guardrail applies within its tenant; an empty list
// does not narrow.
type Scope struct {
	AgentIDs  []string `json:"agent_ids,omitempty"`
	APIKeyIDs []string `json:"api_key_ids,omitempty"`
	// Models are model ids, a trailing * matching a prefix.
	Models []string `json:"models,omitempty"`
}

// Rule is a guardrail as the engine evaluates it: its identity and version
// (what a verdict names) and its spec.
type Rule struct {
	ID      string
	Version int
	// Origin says where it comes from: "guardrail" (AEGIS) or "content_rule" (a gateway policy).
	Origin string
	Spec   Spec
}

// Origins of a rule.
const (
	OriginGuardrail   = "guardrail"
	OriginContentRule = "content_rule"
)

// Span is one finding of the PII detector (byte offsets).
type Span struct {
	Type       string
	Start, End int
	Score      float64
}

// Detectors are the product's detectors, which pii and injection
// guardrails use (the gateway's own, so that a guardrail and the pipeline's
// detection steps see the same findings).
type Detectors struct {
	FindPII   func(text string, types []string) []Span
	RedactPII func(text string, spans []Span) string
	// Injection scores a text in [0, 1] and names the patterns it matched.
	Injection          func(text string) (float64, []string)
	InjectionThreshold float64
}

// Message is one message of the input; Texts point into the caller's
// request, so that a redacting guardrail rewrites what is sent on.
type Message struct {
	Role  string
	Texts []*string
}

// Input is what guardrails judge.
type Input struct {
	AgentID, APIKeyID, Model, Provider string
	Messages                           []Message
	// Tools are the tools the request declares and the tool calls it carries.
	Tools []string
}

// Hit is one guardrail that matched.
type Hit struct {
	GuardrailID string `json:"guardrail_id"`
	Name        string `json:"name"`
	Version     int    `json:"version"`
	Type        string `json:"type"`
	Origin      string `json:"origin"`
	// Action is what the guardrail did: block, redact or alert.
	Action   string `json:"action"`
	Severity string `json:"severity,omitempty"`
	// Detail says what matched (never the matched personal data itself).
	Detail string `json:"detail"`
}

// Verdict is the outcome of a set of guardrails over one input.
type Verdict struct {
	// Outcome is pass, alert (matched without blocking or rewriting), redact or block.
	Outcome string `json:"outcome"`
	// Blocked is the hit that blocked, when one did.
	Blocked *Hit `json:"blocked,omitempty"`
	// Hits are every guardrail that matched, in evaluation order.
	Hits []Hit `json:"hits"`
	// Evaluated counts the guardrails that applied to the input.
	Evaluated int `json:"evaluated"`
}

// Outcomes of a verdict.
const (
	OutcomePass   = "pass"
	OutcomeAlert  = "alert"
	OutcomeRedact = "redact"
	OutcomeBlock  = "block"
)

// matcher is a compiled guardrail's check: what matched (ok false: nothing).
// A redacting matcher rewrites the input's texts itself.
type matcher func(in *Input, redact bool) (detail string, ok bool)

type compiled struct {
	rule  Rule
	roles []string
	match matcher
}

// Set is a compiled, immutable list of rules.
type Set struct {
	rules []compiled
}

// Len is the number of rules in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// Validate checks a spec (defaults filled in: action block, severity medium)
// by compiling it; the error wraps ErrInvalid and names the field.
func Validate(sp *Spec) error {
	sp.Name = strings.TrimSpace(sp.Name)
	if sp.Name == "" || len(sp.Name) > 200 {
		return invalid("name", "1 to 200 characters")
	}
	if len(sp.Description) > 2000 {
		return invalid("description", "at most 2000 characters")
	}
	if sp.Action == "" {
		sp.Action = ActionBlock
	}
	if !slices.Contains(Actions, sp.Action) {
		return invalid("action", "block, redact or alert")
	}
	if sp.Severity == "" {
		sp.Severity = "medium"
	}
	if !slices.Contains(Severities, sp.Severity) {
		return invalid("severity", "low, medium, high or critical")
	}
	if len(sp.Scope.AgentIDs) > 100 || len(sp.Scope.APIKeyIDs) > 100 || len(sp.Scope.Models) > 100 {
		return invalid("scope", "at most 100 agents, API keys and models each")
	}
	if sp.Action == ActionRedact && !redactable(sp.Type) {
		return invalid("action", "redact applies to keyword, regex, topic and pii guardrails")
	}
	_, err := compile(Rule{Spec: *sp}, Detectors{
		FindPII: func(string, []string) []Span { return nil }, RedactPII: func(s string, _ []Span) string { return s },
		Injection: func(string) (float64, []string) { return 0, nil }})
	return err
}

func redactable(typ string) bool {
	return typ == Keyword || typ == Regex || typ == Topic || typ == PII
}

func invalid(field, want string) error {
	return fmt.Errorf("%w: %s must be %s", ErrInvalid, field, want)
}

// Compile compiles rules in order. A rule that does not compile (which
// Validate refused when it was written) is left out and reported.
func Compile(rules []Rule, d Detectors) (*Set, error) {
	s := &Set{rules: make([]compiled, 0, len(rules))}
	var errs []error
	for _, r := range rules {
		c, err := compile(r, d)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", r.Origin, r.ID, err))
			continue
		}
		s.rules = append(s.rules, c)
	}
	return s, errors.Join(errs...)
}

func compile(r Rule, d Detectors) (compiled, error) {
	c := compiled{rule: r, roles: r.Spec.Config.Roles}
	cfg := r.Spec.Config
	var err error
	switch r.Spec.Type {
	case Keyword:
		c.match, err = termsMatcher(r.Spec.Name, "config.keywords", cfg.Keywords, cfg.CaseSensitive)
	case Topic:
		c.match, err = topicMatcher(r.Spec.Name, cfg.Topics, cfg.CaseSensitive)
	case Regex:
		c.match, err = regexMatcher(r.Spec.Name, cfg.Patterns)
	case PII:
		c.match, err = piiMatcher(cfg, d)
	case Injection:
		c.match, err = injectionMatcher(cfg, d)
	case Length:
		c.match, err = lengthMatcher(cfg)
	case ToolAllowlist:
		c.match, err = toolMatcher(cfg)
	case CEL:
		c.match, err = celMatcher(cfg.Expression)
	default:
		return c, invalid("type", strings.Join(Types, ", "))
	}
	return c, err
}

// Applies reports whether a rule's scope covers the input.
func (sc Scope) Applies(in *Input) bool {
	if len(sc.AgentIDs) > 0 && !slices.Contains(sc.AgentIDs, in.AgentID) {
		return false
	}
	if len(sc.APIKeyIDs) > 0 && !slices.Contains(sc.APIKeyIDs, in.APIKeyID) {
		return false
	}
	if len(sc.Models) > 0 && !slices.ContainsFunc(sc.Models, func(m string) bool { return modelMatches(m, in.Model) }) {
		return false
	}
	return true
}

func modelMatches(pattern, model string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(strings.ToLower(model), strings.ToLower(p))
	}
	return strings.EqualFold(pattern, model)
}

// Evaluate judges the input with every set in order, as one list: the
// first blocking match ends the evaluation; redacting matches rewrite the
// input's texts (later rules see the rewritten text); alerting ones are
// recorded.
func Evaluate(in *Input, sets ...*Set) Verdict {
	v := Verdict{Outcome: OutcomePass, Hits: []Hit{}}
	for _, s := range sets {
		if s == nil {
			continue
		}
		for i := range s.rules {
			c := &s.rules[i]
			if !c.rule.Spec.Scope.Applies(in) {
				continue
			}
			v.Evaluated++
			view := in
			if len(c.roles) > 0 {
				view = in.only(c.roles)
			}
			detail, ok := c.match(view, c.rule.Spec.Action == ActionRedact)
			if !ok {
				continue
			}
			h := Hit{GuardrailID: c.rule.ID, Name: c.rule.Spec.Name, Version: c.rule.Version, Type: c.rule.Spec.Type, Origin: c.rule.Origin,
				Action: c.rule.Spec.Action, Severity: c.rule.Spec.Severity, Detail: detail}
			v.Hits = append(v.Hits, h)
			switch h.Action {
			case ActionBlock:
				v.Outcome, v.Blocked = OutcomeBlock, &v.Hits[len(v.Hits)-1]
				return v
			case ActionRedact:
				v.Outcome = OutcomeRedact
			case ActionAlert:
				if v.Outcome == OutcomePass {
					v.Outcome = OutcomeAlert
				}
			}
		}
	}
	return v
}

// only is the input with the messages of the given roles.
func (in *Input) only(roles []string) *Input {
	out := *in
	out.Messages = nil
	for _, m := range in.Messages {
		if slices.Contains(roles, m.Role) {
			out.Messages = append(out.Messages, m)
		}
	}
	return &out
}

// texts calls f on every text of the input until it returns true.
func (in *Input) texts(f func(t *string) bool) bool {
	for _, m := range in.Messages {
		for _, t := range m.Texts {
			if t != nil && f(t) {
				return true
			}
		}
	}
	return false
}

func checkTerms(field string, terms []string) error {
	if len(terms) == 0 || len(terms) > MaxTerms {
		return invalid(field, fmt.Sprintf("1 to %d terms", MaxTerms))
	}
	for i, k := range terms {
		if strings.TrimSpace(k) == "" || len(k) > MaxTermLength {
			return invalid(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("a term of 1 to %d characters", MaxTermLength))
		}
	}
	return nil
}

// termsRegexp matches any of the terms as whole words (a term that starts
// or ends with a non-word character is matched as written there).
func termsRegexp(terms []string, caseSensitive bool) *regexp.Regexp {
	alts := make([]string, len(terms))
	for i, k := range terms {
		k = strings.TrimSpace(k)
		q := strings.Join(strings.Fields(regexp.QuoteMeta(k)), `\s+`)
		if isWord(k[0]) {
			q = `\b` + q
		}
		if isWord(k[len(k)-1]) {
			q += `\b`
		}
		alts[i] = q
	}
	flags := "(?i)"
	if caseSensitive {
		flags = ""
	}
	return regexp.MustCompile(flags + "(?:" + strings.Join(alts, "|") + ")")
}

func isWord(b byte) bool {
	return b == '_' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') || b >= 0x80
}

// textMatcher matches re in the input's texts, redacting every match as
// [REDACTED:<label>] when asked; detail names what matched.
func textMatcher(re *regexp.Regexp, label string, detail func(match string) string) matcher {
	return func(in *Input, redact bool) (string, bool) {
		found, matched := "", false
		in.texts(func(t *string) bool {
			loc := re.FindStringIndex(*t)
			if loc == nil {
				return false
			}
			if !matched {
				found, matched = detail((*t)[loc[0]:loc[1]]), true
			}
			if redact {
				*t = re.ReplaceAllLiteralString(*t, "[REDACTED:"+label+"]")
				return false // rewrite every text
			}
			return true
		})
		return found, matched
	}
}

func termsMatcher(name, field string, terms []string, caseSensitive bool) (matcher, error) {
	if err := checkTerms(field, terms); err != nil {
		return nil, err
	}
	return textMatcher(termsRegexp(terms, caseSensitive), name, func(m string) string { return "keyword " + quote(m) }), nil
}

func topicMatcher(name string, topics []TopicSpec, caseSensitive bool) (matcher, error) {
	if len(topics) == 0 || len(topics) > 50 {
		return nil, invalid("config.topics", "1 to 50 topics")
	}
	type topic struct {
		name string
		re   *regexp.Regexp
	}
	ts := make([]topic, len(topics))
	for i, t := range topics {
		if strings.TrimSpace(t.Name) == "" || len(t.Name) > 200 {
			return nil, invalid(fmt.Sprintf("config.topics[%d].name", i), "1 to 200 characters")
		}
		if err := checkTerms(fmt.Sprintf("config.topics[%d].keywords", i), t.Keywords); err != nil {
			return nil, err
		}
		ts[i] = topic{name: t.Name, re: termsRegexp(t.Keywords, caseSensitive)}
	}
	return func(in *Input, redact bool) (string, bool) {
		detail := ""
		for _, t := range ts {
			if d, ok := textMatcher(t.re, name, func(m string) string { return "topic " + quote(t.name) + " (" + quote(m) + ")" })(in, redact); ok {
				if detail == "" {
					detail = d
				}
				if !redact {
					return detail, true
				}
			}
		}
		return detail, detail != ""
	}, nil
}

func regexMatcher(name string, patterns []string) (matcher, error) {
	if len(patterns) == 0 || len(patterns) > 100 {
		return nil, invalid("config.patterns", "1 to 100 regular expressions")
	}
	res := make([]*regexp.Regexp, len(patterns))
	for i, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil || p == "" || len(p) > MaxPattern {
			return nil, invalid(fmt.Sprintf("config.patterns[%d]", i), fmt.Sprintf("a valid regular expression (RE2) of at most %d characters", MaxPattern))
		}
		res[i] = re
	}
	return func(in *Input, redact bool) (string, bool) {
		detail := ""
		for i, re := range res {
			if _, ok := textMatcher(re, name, func(string) string { return "" })(in, redact); ok {
				if detail == "" {
					detail = fmt.Sprintf("pattern %d", i)
				}
				if !redact {
					return detail, true
				}
			}
		}
		return detail, detail != ""
	}, nil
}

func piiMatcher(cfg Config, d Detectors) (matcher, error) {
	if cfg.MinScore < 0 || cfg.MinScore > 1 {
		return nil, invalid("config.min_score", "between 0 and 1")
	}
	if len(cfg.PIITypes) > 100 {
		return nil, invalid("config.pii_types", "at most 100 types")
	}
	if d.FindPII == nil {
		return nil, errors.New("guardrail: no PII detector")
	}
	return func(in *Input, redact bool) (string, bool) {
		found := map[string]bool{}
		in.texts(func(t *string) bool {
			var keep []Span
			for _, s := range d.FindPII(*t, cfg.PIITypes) {
				if s.Score < cfg.MinScore || (len(cfg.PIITypes) > 0 && !slices.Contains(cfg.PIITypes, s.Type)) {
					continue
				}
				keep = append(keep, s)
				found[s.Type] = true
			}
			if redact && len(keep) > 0 {
				*t = d.RedactPII(*t, keep)
			}
			return !redact && len(keep) > 0
		})
		if len(found) == 0 {
			return "", false
		}
		types := make([]string, 0, len(found))
		for t := range found {
			types = append(types, t)
		}
		slices.Sort(types)
		return "personal data: " + strings.Join(types, ", "), true
	}, nil
}

func injectionMatcher(cfg Config, d Detectors) (matcher, error) {
	if cfg.Threshold < 0 || cfg.Threshold > 1 {
		return nil, invalid("config.threshold", "between 0 and 1 (0: the detector's default)")
	}
	if d.Injection == nil {
		return nil, errors.New("guardrail: no injection detector")
	}
	return func(in *Input, _ bool) (string, bool) {
		threshold := cfg.Threshold
		if threshold == 0 {
			threshold = d.InjectionThreshold
		}
		detail := ""
		hit := in.texts(func(t *string) bool {
			score, patterns := d.Injection(*t)
			if score < threshold || score == 0 {
				return false
			}
			detail = fmt.Sprintf("injection score %.2f ≥ %.2f", score, threshold)
			if len(patterns) > 0 {
				detail += " (" + strings.Join(patterns, ", ") + ")"
			}
			return true
		})
		return detail, hit
	}, nil
}

func lengthMatcher(cfg Config) (matcher, error) {
	if cfg.MaxChars < 0 || cfg.MaxMessages < 0 || (cfg.MaxChars == 0 && cfg.MaxMessages == 0) {
		return nil, invalid("config", "max_chars and/or max_messages, positive")
	}
	return func(in *Input, _ bool) (string, bool) {
		if cfg.MaxMessages > 0 && len(in.Messages) > cfg.MaxMessages {
			return fmt.Sprintf("%d messages > %d", len(in.Messages), cfg.MaxMessages), true
		}
		n := 0
		in.texts(func(t *string) bool { n += len([]rune(*t)); return false })
		if cfg.MaxChars > 0 && n > cfg.MaxChars {
			return fmt.Sprintf("%d characters > %d", n, cfg.MaxChars), true
		}
		return "", false
	}, nil
}

func toolMatcher(cfg Config) (matcher, error) {
	if len(cfg.Tools) > MaxTerms {
		return nil, invalid("config.tools", fmt.Sprintf("at most %d tools", MaxTerms))
	}
	allowed := map[string]bool{}
	for i, t := range cfg.Tools {
		if strings.TrimSpace(t) == "" || len(t) > MaxTermLength {
			return nil, invalid(fmt.Sprintf("config.tools[%d]", i), "a tool name")
		}
		allowed[t] = true
	}
	return func(in *Input, _ bool) (string, bool) {
		for _, t := range in.Tools {
			if !allowed[t] {
				return "tool " + quote(t) + " is not allowed", true
			}
		}
		return "", false
	}, nil
}

func quote(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return "'" + s + "'"
}
