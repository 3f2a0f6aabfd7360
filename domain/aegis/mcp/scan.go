package mcp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/astrabastion/astra/domain/gateway/injection"
)

// ScannerVersion names the poisoning scan's rules: an approval records it,
// so that a decision can be traced to the scan its tool passed.
const ScannerVersion = "mcp-scan-1.0.0+" + injection.Version

// MITRE ATLAS techniques the firewall's findings carry.
const (
	// TechniqueToolPoisoning is AML.T0110, AI Agent Tool Poisoning.
	TechniqueToolPoisoning = "AML.T0110"
	// TechniquePublishPoisoned is AML.T0104, Publish Poisoned AI Agent Tool (a tool that turned poisonous after approval).
	TechniquePublishPoisoned = "AML.T0104"
	// TechniqueExfiltration is AML.T0086, Exfiltration via AI Agent Tool Invocation.
	TechniqueExfiltration = "AML.T0086"
	// TechniqueIndirectInjection is AML.T0051.001, indirect prompt injection (in a tool's result).
	TechniqueIndirectInjection = "AML.T0051.001"
	// TechniqueDataLeakage is AML.T0057, LLM Data Leakage (personal data or a secret in a tool's result).
	TechniqueDataLeakage = "AML.T0057"
)

// Categories of findings.
const (
	CategoryPseudoTag     = "pseudo_tag"
	CategoryInvisible     = "invisible_text"
	CategorySensitivePath = "sensitive_path"
	CategoryCredential    = "credential_request"
	CategoryConcealment   = "concealment"
	CategoryCrossTool     = "cross_tool"
	CategoryExfiltration  = "exfiltration"
	CategoryInjection     = "injection"
)

// Categories lists the scan's categories.
var Categories = []string{CategoryPseudoTag, CategoryInvisible, CategorySensitivePath, CategoryCredential, CategoryConcealment,
	CategoryCrossTool, CategoryExfiltration, CategoryInjection}

// Finding is one sign of poisoning in a tool's definition or result.
type Finding struct {
	Category string `json:"category" enum:"pseudo_tag,invisible_text,sensitive_path,credential_request,concealment,cross_tool,exfiltration,injection"`
	// Rule names the scan rule that fired.
	Rule     string `json:"rule"`
	Severity string `json:"severity" enum:"low,medium,high,critical"`
	// Technique is the MITRE ATLAS technique id (AML.T0110 …); Techniques every one that applies.
	Technique  string   `json:"technique"`
	Techniques []string `json:"techniques"`
	// Field is where it was found: description, input_schema, output_schema or result.
	Field string `json:"field"`
	// Evidence is the text that matched, cut at 200 bytes, invisible characters shown as \u escapes.
	Evidence string `json:"evidence"`
}

type textRule struct {
	name, category, severity, technique string
	re                                  *regexp.Regexp
}

// rules are the deterministic text rules. Each aims at wording a benign
// tool has no reason to use: the benign corpus in testdata holds the false
// positive rate to account.
var rules = []textRule{
	{"pseudo_tag", CategoryPseudoTag, "high", TechniqueToolPoisoning,
		regexp.MustCompile(`(?i)<\s*/?\s*(important|system|instructions?|secret|admin|critical|hidden|context|sys|override|assistant|note_to_ai|ai_note)\b[^>]{0,40}>|\[\s*(important|system|instructions?|hidden)\s*\]|\{\{\s*(system|important|instructions?)\s*\}\}`)},
	{"sensitive_path", CategorySensitivePath, "high", TechniqueToolPoisoning,
		regexp.MustCompile(`(?i)~/\.ssh|\bid_(rsa|dsa|ecdsa|ed25519)\b|(^|[\s'"\x60(/])\.env\b|\bmcp\.json\b|claude_desktop_config\.json|\.aws/credentials|\.git-credentials|\.npmrc\b|\.pypirc\b|\.kube/config|/etc/(passwd|shadow)\b|\.netrc\b|\.docker/config\.json|\.bash_history|\bwallet\.dat\b|\.cursor/mcp|authorized_keys`)},
	{"credential_request", CategoryCredential, "high", TechniqueExfiltration,
		regexp.MustCompile(`(?i)\b(read|include|pass|send|append|attach|provide|copy|upload|put|insert|add|collect|extract|dump)\b[^.\n]{0,60}\b(ssh keys?|private keys?|passwords?|credentials|secret keys?|access tokens?|api keys?|session cookies?|seed phrase|mnemonic)\b[^.\n]{0,40}\b(into|in|as|to|with)\b[^.\n]{0,30}\b(parameter|param|argument|field|sidenote|notes?|request|url|query)`)},
	{"concealment", CategoryConcealment, "critical", TechniqueToolPoisoning,
		regexp.MustCompile(`(?i)\b(do\s+not|don'?t|never|must\s+not|should\s+not)\s+(tell|inform|mention|reveal|notify|show|alert|disclose|let)\b[^.\n]{0,20}\b(the\s+)?(user|human|operator|client|them)\b|without\s+(telling|informing|notifying|asking|alerting)\s+(the\s+)?(user|human)|\b(hide|conceal|keep)\b[^.\n]{0,30}\b(from\s+the\s+(user|human))|\bthe\s+user\s+(must|should|will)\s+(not|never)\s+(know|see|notice|be\s+told)|\bsilently\s+(send|forward|copy|upload|include|read|call)|\bthis\s+is\s+(very\s+|extremely\s+)?(important|critical)\b[^.\n]{0,40}\b(otherwise|or\s+the|will\s+(crash|fail|break))`)},
	{"cross_tool", CategoryCrossTool, "high", TechniqueToolPoisoning,
		regexp.MustCompile(`(?i)\b(before|after|instead\s+of|prior\s+to|whenever|every\s+time)\s+(using|calling|invoking|running|executing)\s+(any|every|all|other|another|the\s+\w+)\s*(other\s+)?(tools?|functions?)\b|\b(all|any|every)\s+(other\s+)?tools?\s+(must|should|have\s+to|need\s+to)\b|\b(override|replace|ignore|supersede)s?\b[^.\n]{0,30}\b(behaviou?r|instructions?|descriptions?|rules?)\s+of\s+(the\s+)?(all\s+|any\s+|every\s+)?(other\s+)?(\w+\s+)?tools?|\bwhen\s+(the\s+)?\w+\s+tool\s+is\s+(available|present|called)|\bchange\s+the\s+recipient\b|\bmust\s+(first|always)\s+(call|use|invoke)\s+this\s+tool`)},
	{"exfiltration_url", CategoryExfiltration, "high", TechniqueExfiltration,
		regexp.MustCompile(`(?i)\b(send|post|upload|forward|transmit|exfiltrate|report|submit|copy|mirror|leak|beacon)\b[^\n]{0,80}\bhttps?://[^\s"'<>)]+|https?://[^\s"'<>)]+[^\n]{0,40}\b(with|including|containing)\b[^\n]{0,30}\b(conversation|history|contents?|data|keys?|tokens?|messages?|files?)\b`)},
	{"exfiltration_context", CategoryExfiltration, "high", TechniqueExfiltration,
		regexp.MustCompile(`(?i)\b(entire|full|whole|complete|previous|all)\s+(conversation|chat|message)s?(\s+history)?\b[^.\n]{0,60}\b(parameter|param|argument|field|here|into|in\s+this)\b|\b(parameter|param|argument|field)\b[^.\n]{0,40}\b(contain|include|hold|carry)s?\b[^.\n]{0,20}\b(entire|full|whole|complete|all)\s+(conversation|chat|message)|\b(include|pass|put|append|insert|provide)\b[^.\n]{0,40}\b(system\s+prompt|conversation\s+history|chat\s+history|previous\s+messages|user'?s?\s+(messages|conversation))\b`)},
}

var (
	detectorOnce sync.Once
	detector     *injection.Detector
)

func injectionDetector() *injection.Detector {
	detectorOnce.Do(func() { detector = injection.New() })
	return detector
}

// ScanTool scans a tool's description and every text of its schemas
// (property names, descriptions, titles, enums, defaults) for poisoning.
func ScanTool(t Tool) []Finding {
	var out []Finding
	out = append(out, ScanText("description", t.Name+"\n"+t.Description)...)
	for _, f := range []struct {
		field string
		raw   json.RawMessage
	}{{"input_schema", t.InputSchema}, {"output_schema", t.OutputSchema}} {
		if texts := schemaTexts(f.raw); texts != "" {
			out = append(out, ScanText(f.field, texts)...)
		}
	}
	return dedupe(out)
}

// ScanText runs the rules and the injection detector (as on a document:
// instructions addressed to the model count) on one text.
func ScanText(field, text string) []Finding {
	var out []Finding
	if f, ok := invisible(field, text); ok {
		out = append(out, f)
	}
	for _, r := range rules {
		if m := r.re.FindString(text); m != "" {
			out = append(out, Finding{Category: r.category, Rule: r.name, Severity: r.severity, Technique: r.technique,
				Techniques: []string{r.technique}, Field: field, Evidence: evidence(m)})
		}
	}
	// A tool description is an instruction to the model by design ("list
	// the tables …"): judged as a document, every imperative would count
	// as an indirect injection (17 of 135 benign tools flagged). It is
	// judged as a message instead, which still catches overrides ("ignore
	// previous instructions"); results are judged as documents.
	d := injectionDetector()
	res := d.Scan(text)
	if field == "result" {
		res = d.ScanDocument(text)
	}
	if d.Blocked(res) {
		ev := strings.Join(res.Patterns, ",")
		if len(res.Signals) > 0 {
			ev = res.Signals[0].Evidence
		}
		tech := TechniqueToolPoisoning
		if field == "result" {
			tech = TechniqueIndirectInjection
		}
		out = append(out, Finding{Category: CategoryInjection, Rule: "injection_detector", Severity: "high", Technique: tech,
			Techniques: []string{tech}, Field: field, Evidence: evidence(ev)})
	}
	return out
}

// invisible finds Unicode tag characters (text a person cannot see but a
// model reads), zero-width and bidirectional controls.
func invisible(field, text string) (Finding, bool) {
	tags, hidden := 0, 0
	var sample strings.Builder
	for _, r := range text {
		switch {
		case r >= 0xE0000 && r <= 0xE007F:
			tags++
			if sample.Len() < 120 && r >= 0xE0020 && r <= 0xE007E {
				sample.WriteRune(r - 0xE0000) // what the tags spell
			}
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0x2061 || r == 0x2062 || r == 0x2063 || r == 0x2064 ||
			r == 0xFEFF || r == 0x180E || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x00AD:
			hidden++
		}
	}
	switch {
	case tags > 0:
		return Finding{Category: CategoryInvisible, Rule: "unicode_tags", Severity: "critical", Technique: TechniqueToolPoisoning,
			Techniques: []string{TechniqueToolPoisoning}, Field: field, Evidence: evidence("tag characters spell: " + sample.String())}, true
	case hidden > 0:
		return Finding{Category: CategoryInvisible, Rule: "invisible_characters", Severity: "high", Technique: TechniqueToolPoisoning,
			Techniques: []string{TechniqueToolPoisoning}, Field: field, Evidence: fmt.Sprintf("%d invisible characters", hidden)}, true
	}
	return Finding{}, false
}

// evidence cuts a match at 200 bytes on a rune boundary and shows
// invisible characters as escapes.
func evidence(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 200 {
			b.WriteString("…")
			break
		}
		if (r >= 0xE0000 && r <= 0xE007F) || (r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2060 && r <= 0x2069) || r == 0xFEFF {
			fmt.Fprintf(&b, "\\u%04X", r)
			continue
		}
		if r == utf8.RuneError {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// schemaTexts gathers the texts of a JSON Schema a model reads: property
// names, titles, descriptions, enum values, defaults and examples.
func schemaTexts(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var parts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				switch k {
				case "description", "title", "default", "examples", "enum", "const", "$comment":
					collect(x[k], &parts)
				case "properties", "patternProperties", "$defs", "definitions":
					if props, ok := x[k].(map[string]any); ok {
						names := make([]string, 0, len(props))
						for n := range props {
							names = append(names, n)
						}
						sort.Strings(names)
						for _, n := range names {
							parts = append(parts, n)
							walk(props[n])
						}
					}
				default:
					walk(x[k])
				}
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return strings.Join(parts, "\n")
}

func collect(v any, parts *[]string) {
	switch x := v.(type) {
	case string:
		*parts = append(*parts, x)
	case []any:
		for _, y := range x {
			collect(y, parts)
		}
	}
}

func dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := f.Rule + "|" + f.Field
		if !seen[k] {
			seen[k] = true
			out = append(out, f)
		}
	}
	if out == nil {
		return []Finding{}
	}
	return out
}

// Worst is the highest severity among findings ("" when none).
func Worst(fs []Finding) string {
	rank := map[string]int{"low": 1, "medium": 2, "high": 3, "critical": 4}
	w := ""
	for _, f := range fs {
		if rank[f.Severity] > rank[w] {
			w = f.Severity
		}
	}
	return w
}
