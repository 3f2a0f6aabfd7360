package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token kinds.
const (
	kindWord  uint8 = iota
	kindCJK         // one Han/Kana character
	kindURL         // http(s)://…, www.…
	kindEmail       // local@domain.tld
)

// Special lookup forms for URL and e-mail tokens; rules refer to them as
// <url> and <email>.
const (
	urlKey   = "\x01url"
	emailKey = "\x01email"
)

type token struct {
	s      string // lookup form
	alt    string // homoglyph/leet skeleton, "" when identical
	alt2   string // second leet reading ('1' as 'l'), "" when none
	sep    string // separator text before the token
	start  int32  // byte offsets in the normalised text
	end    int32
	kind   uint8
	obf    bool // produced by collapsing spaced-out letters
	mixed  bool // mixes Latin letters with look-alike letters or digits
	cjk    bool
	single bool // one letter, candidate for collapsing
}

func isCJK(r rune) bool {
	return (r >= 0x3040 && r <= 0x30FF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x20000 && r <= 0x2FA1F) || r == 0x30FC ||
		(r >= 0x0E00 && r <= 0x0EFF) || (r >= 0x1000 && r <= 0x109F) || (r >= 0x1780 && r <= 0x17FF) // Thai, Lao, Burmese, Khmer: no spaces between words
}

func isWordRune(r rune) bool {
	if r < 0x80 {
		return ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r == '@' || r == '$' || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// tokenize splits the normalised text into tokens, appending to toks.
func tokenize(ns string, toks []token) []token {
	toks = toks[:0]
	prevEnd := 0
	i := 0
	for i < len(ns) {
		c := ns[i]
		var r rune
		size := 1
		if c < 0x80 {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(ns[i:])
		}
		if r >= 0x80 && isCJK(r) {
			toks = append(toks, token{s: ns[i : i+size], sep: ns[prevEnd:i], start: int32(i), end: int32(i + size), kind: kindCJK, cjk: true})
			i += size
			prevEnd = i
			continue
		}
		if !isWordRune(r) {
			i += size
			continue
		}
		start := i
		for i < len(ns) {
			c := ns[i]
			if c < 0x80 {
				if !(('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '@' || c == '$') {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(ns[i:])
			if isCJK(r) || !isWordRune(r) {
				break
			}
			i += size
		}
		word := ns[start:i]
		t := token{s: word, sep: ns[prevEnd:start], start: int32(start), kind: kindWord}
		switch {
		case (word == "http" || word == "https" || word == "ftp") && strings.HasPrefix(ns[i:], "://"):
			i = urlEnd(ns, i)
			t.s, t.kind = urlKey, kindURL
		case word == "www" && i+1 < len(ns) && ns[i] == '.' && isAlnum(ns[i+1]):
			i = urlEnd(ns, i)
			t.s, t.kind = urlKey, kindURL
		case strings.IndexByte(word, '@') > 0 && i+1 < len(ns) && (ns[i] == '.' || ns[i] == '-') && isAlnum(ns[i+1]) && hasDomainDot(ns[i:]):
			for i < len(ns) && (isAlnum(ns[i]) || ns[i] == '.' || ns[i] == '-') {
				i++
			}
			for i > start && (ns[i-1] == '.' || ns[i-1] == '-') {
				i--
			}
			t.s, t.kind = emailKey, kindEmail
		default:
			t.single = len(word) == 1 && isAlpha(word[0]) || (utf8.RuneCountInString(word) == 1 && unicode.Is(unicode.Cyrillic, []rune(word)[0]))
			t.alt, t.alt2, t.mixed = skeleton(word)
		}
		t.end = int32(i)
		toks = append(toks, t)
		prevEnd = i
	}
	return toks
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || ('0' <= c && c <= '9') }

func urlEnd(ns string, i int) int {
	for i < len(ns) {
		c := ns[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>' || c == ')' || c == ']' || c == '`' {
			break
		}
		i++
	}
	return i
}

// skeleton folds look-alike letters and leetspeak in a token that mixes them
// with Latin letters. It returns "" when the token needs no folding.
func skeleton(w string) (alt, alt2 string, mixed bool) {
	letters, odd, ones := 0, 0, 0
	for _, r := range w {
		switch {
		case r < 0x80 && 'a' <= r && r <= 'z':
			letters++
		case r < 0x80:
			if leet(byte(r), false) == byte(r) {
				return "", "", false // a digit without a letter reading
			}
			if r == '1' {
				ones++
			}
			odd++
		default:
			if _, ok := confusable[r]; !ok {
				return "", "", false
			}
			odd++
			letters++
		}
	}
	if odd == 0 || letters < 2 {
		return "", "", false
	}
	b := make([]byte, 0, len(w))
	for _, r := range w {
		if r < 0x80 {
			b = append(b, leet(byte(r), false))
		} else {
			b = append(b, confusable[r])
		}
	}
	alt = string(b)
	if ones > 0 {
		j := 0 // every rune became one byte of b
		b2 := []byte(alt)
		for _, r := range w {
			if r == '1' {
				b2[j] = 'l'
			}
			j++
		}
		alt2 = string(b2)
	}
	return alt, alt2, true
}

// collapse merges runs of single letters separated by the same separator
// ("i g n o r e", "r.e.v.e.a.l", "f·o·r·g·e·t") into words. A merged run of
// letters without word breaks is split with the rule vocabulary.
func collapse(toks []token, seg func(string) []string) []token {
	n := len(toks)
	first := -1
	for i := 0; i+1 < n && first < 0; i++ {
		if toks[i].single && toks[i+1].single && toks[i+1].sep != "" && len(toks[i+1].sep) <= 3 {
			first = i
		}
	}
	if first < 0 {
		return toks
	}
	out := append(make([]token, 0, n), toks[:first]...)
	changed := false
	lastRunEnd := -1
	for i := first; i < n; {
		if !toks[i].single {
			out = append(out, toks[i])
			i++
			continue
		}
		j := i + 1
		var sep string
		if j < n {
			sep = toks[j].sep
		}
		for j < n && toks[j].single && toks[j].sep == sep && len(sep) > 0 && len(sep) <= 3 && strings.IndexByte(sep, '\n') < 0 {
			j++
		}
		minRun := 4
		switch {
		case i == lastRunEnd:
			minRun = 2 // a word right after a collapsed one ("i g n o r e  a l l")
		case strings.Trim(sep, " ") != "":
			minRun = 3 // punctuated letters ("a.l.l"), but not "p.s." or "e.g."
		}
		if j-i < minRun {
			out = append(out, toks[i])
			i++
			continue
		}
		changed = true
		var b strings.Builder
		for k := i; k < j; k++ {
			b.WriteString(toks[k].s)
		}
		merged := b.String()
		parts := []string{merged}
		if strings.Trim(sep, " ") == "" && len(merged) >= 8 && seg != nil {
			parts = parts[:0]
			for k := 0; k < len(merged); k += maxSegment { // bound the dynamic programme
				parts = append(parts, seg(merged[k:min(len(merged), k+maxSegment)])...)
			}
		}
		for _, p := range parts {
			out = append(out, token{s: p, sep: " ", start: toks[i].start, end: toks[j-1].end, kind: kindWord, obf: true})
		}
		i = j
		lastRunEnd = j
	}
	if !changed {
		return toks
	}
	return out
}

const maxSegment = 256

// segmenter splits a run of letters into known words by dynamic programming
// (fewest unknown letters, then fewest words).
type segmenter struct {
	vocab  map[string]bool
	maxLen int
}

func (sg *segmenter) split(s string) []string {
	n := len(s)
	type cell struct {
		cost int
		prev int
		word bool
	}
	best := make([]cell, n+1)
	for i := 1; i <= n; i++ {
		best[i] = cell{cost: best[i-1].cost + 10, prev: i - 1}
		for l := 2; l <= sg.maxLen && l <= i; l++ {
			if sg.vocab[s[i-l:i]] {
				if c := best[i-l].cost + 1; c < best[i].cost {
					best[i] = cell{cost: c, prev: i - l, word: true}
				}
			}
		}
	}
	var parts []string
	end := n
	unknownEnd := -1
	for end > 0 {
		c := best[end]
		if c.word {
			if unknownEnd >= 0 {
				parts = append(parts, s[end:unknownEnd])
				unknownEnd = -1
			}
			parts = append(parts, s[c.prev:end])
		} else if unknownEnd < 0 {
			unknownEnd = end
		}
		end = c.prev
	}
	if unknownEnd >= 0 {
		parts = append(parts, s[0:unknownEnd])
	}
	for l, r := 0, len(parts)-1; l < r; l, r = l+1, r-1 {
		parts[l], parts[r] = parts[r], parts[l]
	}
	return parts
}

// hasDomainDot reports whether the domain continuation s contains a dot
// followed by a letter before it ends.
func hasDomainDot(s string) bool {
	for i := 0; i < len(s) && i < 256; i++ {
		c := s[i]
		if c == '.' && i+1 < len(s) && isAlpha(s[i+1]) {
			return true
		}
		if !isAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return false
}
