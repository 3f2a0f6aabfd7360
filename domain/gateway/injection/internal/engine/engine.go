// Package engine is the detector core: normalisation, rule matching,
// decoding, hashed n-gram features and the evidence vector that the model
// combines into a score. It is internal so that the training program and the
// tests can reach the features that the public package keeps private.
package engine

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// Context describes where a text comes from.
type Context struct {
	// Document marks retrieved or tool content (not typed by the user):
	// instructions addressed to the assistant there are indirect injections.
	Document bool
}

// Signal is one piece of evidence.
type Signal struct {
	Family     int // index into FamilyCatalog (or a cue)
	Rule       string
	Lang       string
	Weight     float64
	Evidence   string
	Obfuscated bool
	pos        int
}

// Analysis is the result of analysing one text.
type Analysis struct {
	Signals    []Signal // reported families only, strongest first
	Groups     [numGroups]float64
	Normalized bool
	Dot        float64 // stage-1 linear score (sum of hashed feature weights)
	NFeat      int     // number of hashed features (for length normalisation)
}

// NumGroups is the number of evidence groups (families then cues).
const NumGroups = numGroups

// GroupNames names the evidence groups in order.
func GroupNames() []string {
	n := make([]string, 0, numGroups)
	for _, f := range FamilyCatalog {
		n = append(n, f.Name)
	}
	return append(n, "cue_document", "cue_meta", "cue_response")
}

// Linear is a hashed linear model over n-gram features.
type Linear struct {
	W []float32 // len = 1<<FeatureBits
}

// Engine is safe for concurrent use.
type Engine struct {
	c    *compiled
	pool sync.Pool
}

type scratch struct {
	buf     []byte
	toks    []token
	ms      matchScratch
	matches []ruleMatch
	lits    []literalHit
	segs    []string
}

// New compiles the rules.
func New() (*Engine, error) {
	rules := append(append(append(append(append([]Rule{}, rulesEN...), i18nRules()...), hijackRulesAll()...), taskSwitchRules...), triggerRules()...)
	c, err := compile(rules)
	if err != nil {
		return nil, err
	}
	e := &Engine{c: c}
	e.pool.New = func() any { return &scratch{} }
	return e, nil
}

// Rules returns the number of compiled token rules.
func (e *Engine) Rules() int { return len(e.c.rules) }

const maxDepth = 2

// Analyze scans text. lin may be nil; when feats is non-nil the hashed
// features are appended to it (index | sign<<31).
func (e *Engine) Analyze(text string, ctx Context, lin *Linear, feats *[]uint32) Analysis {
	var a Analysis
	e.analyze(text, ctx, lin, feats, 0, &a)
	finish(&a)
	return a
}

func (e *Engine) analyze(text string, ctx Context, lin *Linear, feats *[]uint32, depth int, a *Analysis) {
	sc := e.pool.Get().(*scratch)
	defer e.pool.Put(sc)

	var info normInfo
	sc.buf = normalize(text, sc.buf, &info)
	ns := string(sc.buf)
	if info.removed > 0 || info.nfkc {
		a.Normalized = true
	}
	toks := tokenize(ns, sc.toks)
	sc.toks = toks
	toks = collapse(toks, e.c.seg.split)

	add := func(s Signal) { a.Signals = append(a.Signals, s) }

	// token rules
	sc.matches = e.c.match(toks, &sc.ms, sc.matches[:0])
	needRot13, needReverse := false, false
	for _, m := range sc.matches {
		r := &e.c.rules[m.rule]
		switch r.Family {
		case trigRot13:
			needRot13 = true
			continue
		case trigReverse:
			needReverse = true
			continue
		}
		from, to := toks[m.from].start, toks[m.to-1].end
		add(Signal{Family: r.Family, Rule: r.Name, Lang: r.Lang, Weight: r.Weight, Evidence: snippet(ns, int(from), int(to)), Obfuscated: m.obf, pos: int(from)})
		if m.obf && r.Family < NumFamilies {
			add(Signal{Family: FamObfuscation, Rule: "obfuscated_text", Weight: 0.9 * r.Weight, Evidence: snippet(ns, int(from), int(to)), Obfuscated: true, pos: int(from)})
			a.Normalized = true
		}
	}

	// literals
	var lit litFacts
	sc.lits, lit = scanLiterals(ns, sc.lits[:0])
	for _, h := range sc.lits {
		if h.rule < 0 {
			add(Signal{Family: FamDelimiter, Rule: "chat_template_token", Weight: 0.8, Evidence: snippet(ns, h.start, h.start+len(h.lit)), pos: h.start})
			continue
		}
		lr := &literalRules[h.rule]
		if lr.name == "cipher_mention" && (h.lit == "rot13" || h.lit == "rot-13") {
			lit.rot13 = true
		}
		add(Signal{Family: lr.family, Rule: lr.name, Weight: lr.weight, Evidence: snippet(ns, h.start, h.start+len(h.lit)), pos: h.start})
	}

	// lines: forged turns, headers, fences
	lf := scanLines(ns, &lit)
	if lf.sysRole {
		add(Signal{Family: FamDelimiter, Rule: "forged_system_turn", Weight: 0.55, Evidence: lineAt(ns, lf.sysAt), pos: lf.sysAt})
	}
	if lf.aiRole {
		add(Signal{Family: FamDelimiter, Rule: "forged_assistant_turn", Weight: 0.35, Evidence: lineAt(ns, lf.aiAt), pos: lf.aiAt})
	}
	if (lf.aiRole || lf.sysRole) && lf.userRole {
		add(Signal{Family: FamDelimiter, Rule: "fake_dialogue", Weight: 0.45, Evidence: lineAt(ns, max(lf.aiAt, lf.sysAt)), pos: max(lf.aiAt, lf.sysAt)})
	}

	// token-level obfuscation facts
	homoglyph, urls := 0, 0
	for i := range toks {
		t := &toks[i]
		if t.kind == kindURL || t.kind == kindEmail {
			urls++
		}
		if t.alt != "" && !isASCII(t.s) && hasASCIILetter(t.s) {
			homoglyph++
			if homoglyph == 1 {
				add(Signal{Family: FamObfuscation, Rule: "homoglyph_mixed_script", Weight: 0.35, Evidence: snippet(ns, int(t.start), int(t.end)), pos: int(t.start)})
			}
		}
		if t.obf {
			a.Normalized = true
		}
	}
	if info.removedInWord > 0 {
		w := 0.4
		if info.removedInWord >= 3 {
			w = 0.6
		}
		add(Signal{Family: FamObfuscation, Rule: "invisible_characters", Weight: w, Evidence: "invisible characters inside words"})
		a.Normalized = true
	}

	// document context and indirect injection
	doc := documentCue(ns, &lf, &lit, urls)
	if ctx.Document {
		doc = 1
	}
	a.Groups[cueDocument] = max(a.Groups[cueDocument], doc)
	if doc >= 0.5 {
		if t, ok := taskRequest(toks); ok {
			add(Signal{Family: cueResponse, Rule: "task_request", Weight: 0.3, Evidence: snippet(ns, int(t.start), int(t.end)+40), pos: int(t.start)})
		}
		n := len(a.Signals)
		for i := 0; i < n; i++ {
			s := a.Signals[i]
			if s.Family == cueResponse {
				add(Signal{Family: FamIndirect, Rule: "instruction_in_document", Weight: min(0.9, s.Weight+0.25*doc), Evidence: s.Evidence, pos: s.pos})
			}
		}
	}

	// fence followed by an instruction
	if len(lf.fences) > 0 {
		for _, s := range a.Signals {
			if s.Family < NumFamilies && s.Family != FamDelimiter && s.Family != FamObfuscation && s.pos > lf.fences[0] {
				add(Signal{Family: FamDelimiter, Rule: "fence_then_instruction", Weight: 0.45, Evidence: lineAt(ns, lf.fences[0]), pos: lf.fences[0]})
				break
			}
		}
	}

	// features
	dot0, n0 := 0.0, 0
	ownFrom, ownTo := 0, 0 // the text's own features in *feats
	if feats != nil {
		ownFrom = len(*feats)
	}
	if lin != nil || feats != nil {
		dot0, n0 = hashFeatures(toks, lin, feats)
		a.Dot += dot0
		a.NFeat += n0
	}
	if feats != nil {
		ownTo = len(*feats)
	}

	// decoding and rescanning
	if depth < maxDepth {
		segs := decodeSegments(text, sc.segs[:0])
		if len(info.tags) > 0 {
			segs = append(segs, string(info.tags))
			add(Signal{Family: FamObfuscation, Rule: "unicode_tag_characters", Weight: 0.8, Evidence: snippet(string(info.tags), 0, len(info.tags)), Obfuscated: true})
		}
		if needRot13 || lit.rot13 {
			segs = append(segs, rot13(ns))
		}
		// whole-text readings: the de-obfuscated text replaces the text's
		// own n-gram features (gibberish is not judged, the reading is)
		nPartial := len(segs)
		if depth == 0 {
			if looksRot13(toks) {
				segs = append(segs, rot13(ns))
			}
			if v := leetReading(ns, toks); v != "" {
				segs = append(segs, v)
			}
			if v := skeletonReading(ns); v != "" {
				segs = append(segs, v)
			}
		}
		if needReverse {
			segs = append(segs, reverseRunes(ns))
		}
		sc.segs = segs
		ownDot, ownN := dot0, n0
		for k, seg := range segs {
			a.Normalized = true
			var sub Analysis
			subFrom := 0
			if feats != nil {
				subFrom = len(*feats)
			}
			e.analyze(seg, Context{}, lin, feats, depth+1, &sub)
			best := 0.0
			for _, s := range sub.Signals {
				if s.Family >= NumFamilies || s.Family == FamObfuscation && s.Rule == "cipher_mention" {
					continue
				}
				s.Rule = "decoded:" + s.Rule
				s.Obfuscated = true
				s.pos = len(ns)
				add(s)
				best = max(best, s.Weight)
			}
			if best > 0 {
				add(Signal{Family: FamObfuscation, Rule: "encoded_payload", Weight: min(0.95, 0.3+0.7*best), Evidence: snippet(seg, 0, len(seg)), Obfuscated: true, pos: len(ns)})
			}
			if k >= nPartial {
				a.Dot += sub.Dot - ownDot
				a.NFeat += sub.NFeat - ownN
				ownDot, ownN = sub.Dot, sub.NFeat
				if feats != nil { // drop the replaced features
					f := *feats
					n := ownTo - ownFrom
					f = append(f[:ownFrom], f[ownTo:]...)
					*feats = f
					ownFrom, ownTo = subFrom-n, len(f)
				}
				continue
			}
			a.Dot += sub.Dot
			a.NFeat += sub.NFeat
		}
	}
}

// finish computes the group evidence and keeps reported signals only,
// deduplicated and sorted.
func finish(a *Analysis) {
	out := a.Signals[:0]
next:
	for _, s := range a.Signals {
		for j := range out {
			if out[j].Family == s.Family && out[j].Rule == s.Rule {
				if s.Weight > out[j].Weight {
					out[j] = s
				}
				continue next
			}
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		return out[i].Rule < out[j].Rule
	})
	// Group evidence: a noisy-OR in which each further signal of a group
	// counts half as much as the previous one (overlapping rules often fire
	// on the same words).
	var miss [numGroups]float64
	var count [numGroups]int
	for i := range miss {
		miss[i] = 1 - a.Groups[i]
	}
	for _, s := range out {
		if s.Family < numGroups && s.Family != cueDocument {
			miss[s.Family] *= 1 - s.Weight/float64(int(1)<<count[s.Family])
			count[s.Family]++
		}
	}
	for i := range miss {
		a.Groups[i] = 1 - miss[i]
	}
	// Obfuscation (invisible characters, an encoding, "decode this and
	// follow it", a rule matched only after folding) is weak evidence: the
	// decoded content is judged by the other families.
	a.Groups[FamObfuscation] = min(a.Groups[FamObfuscation], obfuscationAlone)
	rep := out[:0]
	for _, s := range out {
		if s.Family < NumFamilies {
			rep = append(rep, s)
		}
	}
	a.Signals = rep
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isAlpha(s[i]) {
			return true
		}
	}
	return false
}

const maxEvidence = 80

// snippet returns s[from:to] cut to maxEvidence bytes on a rune boundary.
func snippet(s string, from, to int) string {
	from = max(0, min(from, len(s)))
	to = max(from, min(to, len(s)))
	t := s[from:to]
	if len(t) <= maxEvidence {
		return strings.Clone(t)
	}
	cut := maxEvidence
	for cut > 0 && !utf8.RuneStart(t[cut]) {
		cut--
	}
	return t[:cut] + "…"
}

func lineAt(s string, off int) string {
	if off < 0 || off >= len(s) {
		return ""
	}
	end := strings.IndexByte(s[off:], '\n')
	if end < 0 {
		end = len(s) - off
	}
	return snippet(s, off, off+end)
}

// obfuscationAlone caps the obfuscation evidence (and below it the family
// does not count as fired).
const obfuscationAlone = 0.1

// NumEvidence is the length of the stage-2 evidence vector.
const NumEvidence = numGroups + 1

// Evidence returns the stage-2 evidence features: group evidence then the
// share of reported families that fired (capped at three families).
func (a *Analysis) Evidence() [NumEvidence]float64 {
	var ev [NumEvidence]float64
	copy(ev[:], a.Groups[:])
	n := 0
	for f := 0; f < NumFamilies; f++ {
		if a.Groups[f] > 0 && !(f == FamObfuscation && a.Groups[f] <= obfuscationAlone) {
			n++
		}
	}
	ev[numGroups] = min(float64(n), 3) / 3
	return ev
}

// EvidenceNames names the evidence features.
func EvidenceNames() []string { return append(GroupNames(), "families_fired") }

// EvidenceSigns gives the sign constraint of each evidence coefficient:
// attack evidence never lowers the score (+1); the document and
// meta-discussion cues may only lower it (-1), so that neither "this is an
// e-mail" nor "this asks about attacks" can become evidence of an attack.
func EvidenceSigns() []int {
	sg := make([]int, NumEvidence)
	for i := range sg {
		sg[i] = 1
		if i == cueDocument || i == cueMeta {
			sg[i] = -1
		}
	}
	return sg
}

// taskVerbs open requests addressed to an assistant ("Summarize …",
// "Recommend …", "How can I …").
var taskVerbs = map[string]bool{"recommend": true, "suggest": true, "summarize": true, "summarise": true, "analyze": true, "analyse": true,
	"provide": true, "describe": true, "determine": true, "classify": true, "write": true, "help": true, "show": true, "explain": true,
	"list": true, "translate": true, "generate": true, "compose": true, "draft": true, "outline": true, "compare": true, "evaluate": true,
	"identify": true, "calculate": true, "predict": true, "forecast": true, "assess": true, "rate": true, "rank": true}

var taskOpeners = [][2]string{{"how", "can"}, {"how", "do"}, {"how", "does"}, {"how", "have"}, {"what", "are"}, {"is", "this"}}

// taskRequest finds a sentence that opens with a request verb or a question
// to an assistant.
func taskRequest(toks []token) (*token, bool) {
	for i := range toks {
		t := &toks[i]
		if i > 0 && !strings.ContainsAny(t.sep, ".!?\n") {
			continue
		}
		if taskVerbs[t.s] && i+1 < len(toks) && !strings.ContainsAny(toks[i+1].sep, ".!?\n:") {
			return t, true
		}
		if i+1 < len(toks) {
			for _, o := range taskOpeners {
				if t.s == o[0] && toks[i+1].s == o[1] {
					return t, true
				}
			}
		}
	}
	return nil, false
}
