package gateway

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// The injection step scans every place of a request text can hide in, each
// under its own rule (gw.DetectorRule.Place): message content and content
// parts, tool results, the name field, assistant tool calls, tool
// definitions and, when the policy says so, system and developer messages.
// A place the request does not have costs nothing; a plain chat scans its
// user and assistant messages only, as before.

// placeIdx indexes the places' resolved rules.
const (
	plMessages = iota
	plToolResults
	plToolCalls
	plTools
	plNames
	plSystem
	numPlaces
)

var placeNames = [numPlaces]string{gw.PlaceMessages, gw.PlaceToolResults, gw.PlaceToolCalls, gw.PlaceTools, gw.PlaceNames, gw.PlaceSystem}

// document says the detector reads the place as retrieved content.
var document = [numPlaces]bool{plToolResults: true, plTools: true, plSystem: true}

// redactedInjection replaces a text the policy redacts for injection.
const redactedInjection = "[REDACTED:prompt_injection]"

// segment is one scannable text of a part and the suffix naming it.
type segment struct {
	suffix string
	text   string
}

// placeScan collects one request's scores and findings.
type placeScan struct {
	r         *run
	action    [numPlaces]string
	threshold [numPlaces]float64
	score     float64
	patterns  []string
	findings  []gw.Finding
	blocked   []string // parts whose finding blocks
	redact    []int    // messages to redact
}

// scan scores one text of a place; part names the text (built only for a
// finding). It returns whether the text reached the place's threshold.
func (s *placeScan) scan(pl int, text string) (float64, []string, bool) {
	if strings.TrimSpace(text) == "" {
		return 0, nil, false
	}
	score, patterns := s.r.rt.Injection.ScanText(text, document[pl])
	s.score = max(s.score, score)
	for _, p := range patterns {
		if !slices.Contains(s.patterns, p) {
			s.patterns = append(s.patterns, p)
		}
	}
	return score, patterns, score >= s.threshold[pl]
}

// check scans a part made of segments (joined, so that an attack split
// across them is still seen) and, on a finding, names the segment that
// scores highest on its own.
func (s *placeScan) check(pl int, base func() string, segs []segment) bool {
	if s.action[pl] == gw.ActionOff || len(segs) == 0 {
		return false
	}
	text := segs[0].text
	if len(segs) > 1 {
		texts := make([]string, len(segs))
		for i, sg := range segs {
			texts[i] = sg.text
		}
		text = strings.Join(texts, "\n")
	}
	score, patterns, hit := s.scan(pl, text)
	if !hit {
		return false
	}
	part := base()
	if len(segs) == 1 {
		part += segs[0].suffix
	} else {
		best := -1.0
		for _, sg := range segs {
			if sc, _ := s.r.rt.Injection.ScanText(sg.text, document[pl]); sc >= s.threshold[pl] && sc > best {
				best, part = sc, base()+sg.suffix
			}
		}
	}
	verdict := s.action[pl]
	if verdict == gw.ActionBlock {
		s.blocked = append(s.blocked, part)
	}
	s.findings = append(s.findings, gw.Finding{Part: part, Verdict: verdict, Score: round3(score), Patterns: patterns})
	return true
}

// injection runs the injection detection step over every place.
func (r *run) injection(t time.Time) *Blocked {
	rt, req, rule := r.rt, &r.call.Req, &r.policy.policy.Injection
	if !rule.Enabled {
		r.step(gw.StepInjection, t, "skip", 0, "", "")
		return nil
	}
	s := placeScan{r: r}
	for i := range numPlaces {
		s.action[i], s.threshold[i] = rule.Place(placeNames[i])
	}
	var userSegs []segment
	var userIdx []int
	userHit := false
	for i := range req.Messages {
		m := &req.Messages[i]
		msg := func() string { return "messages[" + strconv.Itoa(i) + "]" }
		pl, kind := plMessages, ".content"
		switch m.Role {
		case "tool", "function":
			pl, kind = plToolResults, ".tool_result"
		case "system", "developer":
			pl, kind = plSystem, "."+m.Role
		}
		if s.action[pl] != gw.ActionOff {
			var segs []segment
			if m.Parts == nil {
				segs = []segment{{kind, m.Content}}
			} else {
				for j, p := range m.Parts {
					if p.Text != nil {
						segs = append(segs, segment{kind + "[" + strconv.Itoa(j) + "]", *p.Text})
					}
				}
			}
			hit := s.check(pl, msg, segs)
			if hit && s.action[pl] == gw.ActionRedact {
				s.redact = append(s.redact, i)
			}
			if m.Role == "user" {
				userHit = userHit || hit
				userIdx = append(userIdx, i)
				for _, sg := range segs {
					userSegs = append(userSegs, segment{"[" + strconv.Itoa(i) + "]" + sg.suffix, sg.text})
				}
			}
		}
		if m.Name != "" {
			s.check(plNames, msg, []segment{{".name", m.Name}})
		}
		if len(m.ToolCalls) > 0 && s.action[plToolCalls] != gw.ActionOff {
			for j, tc := range m.ToolCalls {
				if tc.Function == nil {
					continue
				}
				call := func() string { return msg() + ".tool_calls[" + strconv.Itoa(j) + "]" }
				s.check(plToolCalls, call, []segment{{".function.name", tc.Function.Name}, {".function.arguments", jsonStrings(tc.Function.Arguments)}})
			}
		}
	}
	// The user turns joined: an attack split over several messages is seen
	// whole (scanned only when no user message was flagged on its own).
	if len(userIdx) > 1 && !userHit && s.check(plMessages, func() string { return "messages" }, userSegs) && s.action[plMessages] == gw.ActionRedact {
		s.redact = append(s.redact, userIdx...)
	}
	if len(req.Tools) > 0 && s.action[plTools] != gw.ActionOff {
		for i, tool := range req.Tools {
			s.check(plTools, func() string { return "tools[" + strconv.Itoa(i) + "]" }, toolSegments(tool))
		}
	}

	slices.Sort(s.patterns)
	if s.patterns == nil {
		s.patterns = []string{}
	}
	r.sec.InjectionScore, r.sec.Patterns = round3(s.score), s.patterns
	detail := strings.Join(s.patterns, ",")
	switch {
	case len(s.findings) == 0:
		r.step(gw.StepInjection, t, "pass", s.score, "", rt.Injection.Version())
		return nil
	case len(s.blocked) > 0:
		r.sec.PolicyViolations = append(r.sec.PolicyViolations, "prompt_injection")
		r.step(gw.StepInjection, t, "block", s.score, detail, rt.Injection.Version())
		r.trace[len(r.trace)-1].Findings = s.findings
		r.blocked = &Blocked{Code: "GW-003", Step: gw.StepInjection, Detail: injectionDetail(s.patterns, s.blocked)}
		return r.blocked
	}
	r.sec.PolicyViolations = append(r.sec.PolicyViolations, "prompt_injection")
	verdict := "monitor"
	for _, i := range s.redact {
		m := &req.Messages[i]
		for _, text := range m.Texts() {
			*text = redactedInjection
		}
		m.Sync()
		verdict, r.sec.Redacted = "redact", true
	}
	r.step(gw.StepInjection, t, verdict, s.score, detail, rt.Injection.Version())
	r.trace[len(r.trace)-1].Findings = s.findings
	return nil
}

// mapJSONStrings rewrites every string value (not the keys) of the JSON
// document raw with f, and reports whether any changed; the document is
// re-encoded only then, numbers kept as written. Text that is not JSON is
// rewritten whole.
func mapJSONStrings(raw string, f func(string) string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		out := f(raw)
		return out, out != raw
	}
	changed := false
	v = walkJSON(v, "", nil, func(_, x string) string {
		out := f(x)
		changed = changed || out != x
		return out
	})
	if !changed {
		return raw, false
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return raw, false
	}
	return strings.TrimSuffix(b.String(), "\n"), true
}

// jsonStrings is the text a detector reads in a JSON value: its string
// values (keys included), one a line; the raw text when it is not JSON.
func jsonStrings(raw string) string {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return raw
	}
	var b strings.Builder
	line := func(x string) {
		b.WriteString(x)
		b.WriteByte('\n')
	}
	walkJSON(v, "", line, func(_, x string) string { line(x); return x })
	return b.String()
}

// schemaTexts collects the descriptions and titles of a JSON schema (and of
// anything else shaped like one), one a line.
func schemaTexts(raw []byte, b *strings.Builder) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return
	}
	walkJSON(v, "", nil, func(member, x string) string {
		if member == "description" || member == "title" {
			b.WriteString(x)
			b.WriteByte('\n')
		}
		return x
	})
}

// walkJSON visits a decoded JSON value depth first, the one walker of the
// places a prompt can hide text in: key sees each object member's name
// before its value (nil: names are not wanted), and str each string value
// with the name of the member holding it ("" in an array or at the top),
// its result replacing the value.
func walkJSON(v any, member string, key func(string), str func(member, s string) string) any {
	switch x := v.(type) {
	case string:
		return str(member, x)
	case []any:
		for i, e := range x {
			x[i] = walkJSON(e, "", key, str)
		}
	case map[string]any:
		for k, e := range x {
			if key != nil {
				key(k)
			}
			x[k] = walkJSON(e, k, key, str)
		}
	}
	return v
}

// toolSegments are the texts of a tool definition: the function's name,
// description and parameter schema texts, and the names and descriptions of
// any other tool type (kept as raw JSON).
func toolSegments(t providers.Tool) []segment {
	var segs []segment
	if f := t.Function; f != nil {
		segs = append(segs, segment{".function.name", f.Name}, segment{".function.description", f.Description})
		var b strings.Builder
		schemaTexts(f.Parameters, &b)
		if b.Len() > 0 {
			segs = append(segs, segment{".function.parameters", b.String()})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.Extra)) {
		var b strings.Builder
		schemaTexts(t.Extra[k], &b)
		if b.Len() > 0 {
			segs = append(segs, segment{"." + k, b.String()})
		}
	}
	return segs
}
