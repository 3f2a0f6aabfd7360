package engine

import (
	"fmt"
	"sort"
	"strings"
)

// Family indices. The first NumFamilies are reported; the others are
// internal cues used only as model features.
const (
	FamRoleOverride = iota
	FamInstructionLeak
	FamDelimiter
	FamObfuscation
	FamJailbreak
	FamIndirect
	FamExfiltration
	NumFamilies
)

// Internal cues (not reported as families).
const (
	cueDocument = NumFamilies + iota // the text looks like a document, e-mail or web page
	cueMeta                          // the text talks about attacks (questions, teaching)
	cueResponse                      // instructions about "your response/reply/answer" or inserted content
	trigRot13                        // a rot13-encoded trigger word: decode and rescan
	trigReverse                      // a reversed trigger word: reverse and rescan
	numGroups   = cueResponse + 1    // families and cues that become model features
)

// FamilyInfo names and describes a reported family.
type FamilyInfo struct{ Name, Description string }

// FamilyCatalog lists the reported families in index order.
var FamilyCatalog = [NumFamilies]FamilyInfo{
	{"role_override", "Instruction override: ignore/forget/replace previous instructions or rules, or reassign the assistant's role."},
	{"instruction_leak", "System prompt extraction: requests to reveal, repeat or translate hidden instructions or prior context."},
	{"delimiter_attack", "Fake conversation structure: chat-template tokens, forged system/assistant turns, fences or tags that close the context."},
	{"obfuscation", "Hidden payloads: base64/hex/URL/escape/rot13/reversed encodings, zero-width or tag characters, homoglyphs, leetspeak, spaced-out letters."},
	{"jailbreak_persona", "Jailbreak role-play: DAN-style unrestricted personas, developer mode, demands to never refuse or stay in character."},
	{"indirect_injection", "Instructions aimed at the AI embedded in documents, e-mails, web pages or tool output."},
	{"data_exfiltration", "Sending secrets, conversation or files to URLs or e-mail addresses, markdown-image and code exfiltration."},
}

// Rule is a sequence of slots; each slot is a set of alternative phrases and
// consecutive slots may be separated by at most Gap tokens.
type Rule struct {
	Family    int
	Name      string
	Lang      string
	Weight    float64
	Gap       int
	AnyOrder  bool   // two-slot rules: the slots may appear in either order
	Deny      string // "|"-separated tokens that must not appear in a gap
	NotAfter  string // "|"-separated tokens that must not directly precede the match
	NotBefore string // "|"-separated tokens that must not directly follow the match
	Slots     []string
}

type dictEntry struct {
	rule int32
	slot int8
	rest []string
}

type compiled struct {
	rules []Rule
	deny  []map[string]bool
	notAf []map[string]bool
	notBf []map[string]bool
	dict  map[string][]dictEntry
	seg   *segmenter
}

// expandBraces expands "ignor{e,es,ed}" into its forms.
func expandBraces(s string) []string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return []string{s}
	}
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return []string{s}
	}
	j += i
	var out []string
	for _, opt := range strings.Split(s[i+1:j], ",") {
		for _, rest := range expandBraces(s[j+1:]) {
			out = append(out, s[:i]+opt+rest)
		}
	}
	return out
}

// phraseTokens turns a phrase of a rule into lookup tokens using the same
// normalisation as the scanned text.
func phraseTokens(p string) []string {
	var out []string
	for _, w := range strings.Fields(p) {
		switch w {
		case "<url>":
			out = append(out, urlKey)
			continue
		case "<email>":
			out = append(out, emailKey)
			continue
		}
		var info normInfo
		ns := string(normalize(w, nil, &info))
		for _, t := range tokenize(ns, nil) {
			out = append(out, t.s)
		}
	}
	return out
}

var stopwords = strings.Fields("a an the all any my me you your yours to of in on and or is are be now this that it its i we from for with what who how do not no new")

func compile(rules []Rule) (*compiled, error) {
	c := &compiled{rules: rules, dict: map[string][]dictEntry{}, deny: make([]map[string]bool, len(rules)), notAf: make([]map[string]bool, len(rules)), notBf: make([]map[string]bool, len(rules))}
	vocab := map[string]bool{}
	for _, w := range stopwords {
		vocab[w] = true
	}
	for ri, r := range rules {
		if len(r.Slots) == 0 || r.Weight <= 0 || r.Weight > 1 {
			return nil, fmt.Errorf("rule %s: bad definition", r.Name)
		}
		if r.AnyOrder && len(r.Slots) != 2 {
			return nil, fmt.Errorf("rule %s: AnyOrder needs two slots", r.Name)
		}
		if r.Deny != "" {
			c.deny[ri] = map[string]bool{}
			for _, w := range strings.Split(r.Deny, "|") {
				for _, t := range phraseTokens(w) {
					c.deny[ri][t] = true
				}
			}
		}
		if r.NotBefore != "" {
			c.notBf[ri] = map[string]bool{}
			for _, w := range strings.Split(r.NotBefore, "|") {
				for _, t := range phraseTokens(w) {
					c.notBf[ri][t] = true
				}
			}
		}
		if r.NotAfter != "" {
			c.notAf[ri] = map[string]bool{}
			for _, w := range strings.Split(r.NotAfter, "|") {
				for _, t := range phraseTokens(w) {
					c.notAf[ri][t] = true
				}
			}
		}
		for si, slot := range r.Slots {
			seen := map[string]bool{}
			for _, alt := range strings.Split(slot, "|") {
				alt = strings.TrimSpace(alt)
				if alt == "" {
					return nil, fmt.Errorf("rule %s: empty alternative in slot %d", r.Name, si)
				}
				for _, form := range expandBraces(alt) {
					toks := phraseTokens(form)
					if len(toks) == 0 {
						return nil, fmt.Errorf("rule %s: alternative %q has no token", r.Name, form)
					}
					key := strings.Join(toks, " ")
					if seen[key] {
						continue
					}
					seen[key] = true
					c.dict[toks[0]] = append(c.dict[toks[0]], dictEntry{rule: int32(ri), slot: int8(si), rest: toks[1:]})
					for _, t := range toks {
						if len(t) >= 2 && isASCIIWord(t) {
							vocab[t] = true
						}
					}
				}
			}
		}
	}
	maxLen := 0
	for w := range vocab {
		maxLen = max(maxLen, len(w))
	}
	c.seg = &segmenter{vocab: vocab, maxLen: maxLen}
	return c, nil
}

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return true
}

type hit struct {
	slot     int8
	obf      bool
	from, to int32 // token indices, to exclusive
}

type ruleMatch struct {
	rule     int32
	from, to int32 // token indices
	obf      bool
}

// matchScratch is per-scan scratch space.
type matchScratch struct {
	hits    [][]hit // by rule
	touched []int32
}

func tokEq(t *token, w string) (ok, viaAlt bool) {
	if t.s == w {
		return true, false
	}
	if t.alt != "" && (t.alt == w || t.alt2 == w) {
		return true, true
	}
	return false, false
}

func (c *compiled) addHits(toks []token, i int, form string, viaAlt bool, ms *matchScratch) {
	entries := c.dict[form]
	for ei := range entries {
		e := &entries[ei]
		if i+1+len(e.rest) > len(toks) {
			continue
		}
		ok, obf := true, viaAlt || toks[i].obf
		for k, w := range e.rest {
			t := &toks[i+1+k]
			m, alt := tokEq(t, w)
			if !m {
				ok = false
				break
			}
			obf = obf || alt || t.obf
		}
		if !ok {
			continue
		}
		if len(ms.hits[e.rule]) == 0 {
			ms.touched = append(ms.touched, e.rule)
		}
		ms.hits[e.rule] = append(ms.hits[e.rule], hit{slot: e.slot, obf: obf, from: int32(i), to: int32(i + 1 + len(e.rest))})
	}
}

// match runs all token rules over toks and appends one match per rule that
// fired.
func (c *compiled) match(toks []token, ms *matchScratch, out []ruleMatch) []ruleMatch {
	if len(ms.hits) < len(c.rules) {
		ms.hits = make([][]hit, len(c.rules))
	}
	for i := range toks {
		t := &toks[i]
		c.addHits(toks, i, t.s, false, ms)
		if t.alt != "" {
			c.addHits(toks, i, t.alt, true, ms)
			if t.alt2 != "" {
				c.addHits(toks, i, t.alt2, true, ms)
			}
		}
	}
	sort.Slice(ms.touched, func(a, b int) bool { return ms.touched[a] < ms.touched[b] })
	for _, ri := range ms.touched {
		hs := ms.hits[ri]
		r := &c.rules[ri]
		if na := c.notAf[ri]; na != nil {
			k := 0
			for _, h := range hs {
				if h.slot == 0 && h.from > 0 && na[toks[h.from-1].s] {
					continue
				}
				hs[k] = h
				k++
			}
			hs = hs[:k]
		}
		if m, ok := seqMatch(hs, len(r.Slots), r.Gap, false, toks, c.deny[ri]); ok && !(c.notBf[ri] != nil && int(m.to) < len(toks) && c.notBf[ri][toks[m.to].s]) {
			m.rule = ri
			out = append(out, m)
		} else if r.AnyOrder {
			if m, ok := seqMatch(hs, 2, r.Gap, true, toks, c.deny[ri]); ok {
				m.rule = ri
				out = append(out, m)
			}
		}
		ms.hits[ri] = hs[:0]
	}
	ms.touched = ms.touched[:0]
	return out
}

// seqMatch finds the first occurrence of slots 0..n-1 in order (or 1,0 when
// reversed) with at most gap tokens between consecutive slots. hs is sorted
// by position, so each step is a binary search plus a scan of the hits
// inside the gap window: O(h log h) for h hits.
func seqMatch(hs []hit, n, gap int, reversed bool, toks []token, deny map[string]bool) (ruleMatch, bool) {
	slotAt := func(k int) int8 {
		if reversed {
			return int8(n - 1 - k)
		}
		return int8(k)
	}
	for a := range hs {
		h0 := hs[a]
		if h0.slot != slotAt(0) {
			continue
		}
		cur, obf, ok := h0.to, h0.obf, true
		for k := 1; k < n && ok; k++ {
			ok = false
			b := sort.Search(len(hs), func(i int) bool { return hs[i].from >= cur })
			for ; b < len(hs) && int(hs[b].from-cur) <= gap; b++ {
				h := hs[b]
				if h.slot == slotAt(k) && !denied(toks[cur:h.from], deny) {
					cur, obf, ok = h.to, obf || h.obf, true
					break
				}
			}
		}
		if ok {
			return ruleMatch{from: h0.from, to: cur, obf: obf}, true
		}
	}
	return ruleMatch{}, false
}

func denied(gap []token, deny map[string]bool) bool {
	if deny == nil {
		return false
	}
	for i := range gap {
		if deny[gap[i].s] {
			return true
		}
	}
	return false
}
