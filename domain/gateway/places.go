package gateway

import "fmt"

// Places where text can hide in a chat request, each scanned by the
// injection detector under its own rule (DetectorRule.Places).
const (
	// PlaceMessages: user and assistant message content (string or text parts).
	PlaceMessages = "messages"
	// PlaceToolResults: the content of role tool (and function) messages,
	// scanned as retrieved content.
	PlaceToolResults = "tool_results"
	// PlaceToolCalls: the function names and arguments of assistant tool calls.
	PlaceToolCalls = "tool_calls"
	// PlaceTools: tool definitions (names, descriptions, the descriptions and
	// titles in their parameter schemas), scanned as retrieved content.
	PlaceTools = "tools"
	// PlaceNames: the name field of messages.
	PlaceNames = "names"
	// PlaceSystem: system and developer messages (the operator's; off unless
	// the policy scans them, e.g. a RAG context placed in the system prompt),
	// scanned as retrieved content.
	PlaceSystem = "system"
)

// ActionOff turns a place's scan off.
const ActionOff = "off"

// DocumentThreshold is the default injection threshold for retrieved content
// (tool results, tool definitions, scanned system messages) when the policy
// names none: the detector reads such text as a document, where instructions
// addressed to the assistant count as evidence, so benign documents score
// higher than the same text typed by a user. Since injection-2.0.0 the
// detector calibrates documents separately, so this floor is a margin on top:
// the false-positive rate on the benign documents of ../shared/data
// (AgentDojo clean tool outputs and BIPIA e-mails, 198 texts) scanned as tool
// results is 0.5% here and at the detector's default threshold, against 1.0%
// for the same texts as user messages; see TestDocumentThreshold.
const DocumentThreshold = 0.85

// PlaceRule is one place's injection rule. An empty action or a missing
// threshold takes the place's default (see DetectorRule.Place).
type PlaceRule struct {
	Action    string   `json:"action,omitempty" enum:"block,redact,monitor,off" doc:"block, redact (replace the text with a placeholder; messages, tool_results and system only), monitor (record only) or off; empty = the place's default"`
	Threshold *float64 `json:"threshold,omitempty" doc:"score at and above which the action applies (0 to 1); empty = the place's default"`
}

// ScanPlaces holds the injection rule of every place text can hide in.
// Defaults: messages, tool_calls and names follow injection.action and
// injection.threshold; tool_results and tools follow injection.action at
// max(injection.threshold, 0.85); system is off (at max(injection.threshold,
// 0.85) when an action is set).
type ScanPlaces struct {
	Messages    PlaceRule `json:"messages"`
	ToolResults PlaceRule `json:"tool_results"`
	ToolCalls   PlaceRule `json:"tool_calls"`
	Tools       PlaceRule `json:"tools"`
	Names       PlaceRule `json:"names"`
	System      PlaceRule `json:"system"`
}

// Place is the action and threshold the rule gives a place, defaults
// applied. A disabled detector gives every place ActionOff.
func (r *DetectorRule) Place(place string) (action string, threshold float64) {
	if !r.Enabled {
		return ActionOff, 0
	}
	var pr PlaceRule
	action, threshold = r.Action, r.Threshold
	if action == "" {
		action = ActionBlock
	}
	switch place {
	case PlaceMessages:
		pr = r.Places.Messages
	case PlaceToolCalls:
		pr = r.Places.ToolCalls
	case PlaceNames:
		pr = r.Places.Names
	case PlaceToolResults:
		pr, threshold = r.Places.ToolResults, max(threshold, DocumentThreshold)
	case PlaceTools:
		pr, threshold = r.Places.Tools, max(threshold, DocumentThreshold)
	case PlaceSystem:
		pr, action, threshold = r.Places.System, ActionOff, max(threshold, DocumentThreshold)
	}
	if pr.Action != "" {
		action = pr.Action
	}
	if pr.Threshold != nil {
		threshold = *pr.Threshold
	}
	return action, threshold
}

// normalize validates the places of an injection rule.
func (p *ScanPlaces) normalize() error {
	for _, x := range []struct {
		name   string
		rule   *PlaceRule
		redact bool
	}{{PlaceMessages, &p.Messages, true}, {PlaceToolResults, &p.ToolResults, true}, {PlaceToolCalls, &p.ToolCalls, false},
		{PlaceTools, &p.Tools, false}, {PlaceNames, &p.Names, false}, {PlaceSystem, &p.System, true}} {
		field := "injection.places." + x.name
		switch x.rule.Action {
		case "", ActionBlock, ActionMonitor, ActionOff:
		case ActionRedact:
			if !x.redact {
				return &InvalidPolicyError{field + ".action", "block, monitor or off (a " + x.name + " text cannot be redacted without breaking the request)"}
			}
		default:
			if x.redact {
				return &InvalidPolicyError{field + ".action", "block, redact, monitor or off"}
			}
			return &InvalidPolicyError{field + ".action", "block, monitor or off"}
		}
		if t := x.rule.Threshold; t != nil && (*t < 0 || *t > 1) {
			return &InvalidPolicyError{field + ".threshold", fmt.Sprintf("between 0 and 1 (got %g)", *t)}
		}
	}
	return nil
}

// Finding is one place of a request a detector found something in, as the
// step trace records it (e.g. part "messages[3].tool_result").
type Finding struct {
	Part     string   `json:"part"`
	Verdict  string   `json:"verdict"` // block | redact | monitor
	Score    float64  `json:"score,omitempty"`
	Patterns []string `json:"patterns,omitempty"`
}
