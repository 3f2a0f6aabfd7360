package pii

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalisation: the recognizers read a folded copy of the text in which Unicode tricks are undone,
// and every byte of the copy remembers the span of the original text it came from, so that entities
// are reported (and redacted) at their exact original offsets.
//
//  1. NFKC, segment by segment: full-width and styled letters and digits become ASCII, compatibility
//     spaces become spaces, ligatures are split.
//  2. Format characters are removed: zero-width spaces and joiners, word joiner, BOM, soft hyphen, bidi
//     controls, variation selectors, tag characters and the other default-ignorable code points.
//  3. Unicode hyphens (U+2010, U+2011) and the minus sign become '-'.
//  4. Cyrillic, Greek and Armenian letters that look like Latin letters become those letters, in
//     tokens (runs between white space) that also hold a Latin letter or an ASCII digit (mixed
//     scripts: the mark of a look-alike substitution) or consist of look-alikes only; words
//     genuinely written in those scripts keep their letters.
//
// Texts that need none of this (all ASCII, the common case, or NFKC-normal without format characters
// and look-alikes) are read as they are, at no cost beyond one pass over the bytes.

// folding is the folded text of one Find and its map back to the original text.
type folding struct {
	identity bool
	buf      []byte
	// starts[i] and ends[i] are the original span of the segment that produced byte i of buf.
	starts, ends []int32
	seg          []byte
}

// emit appends one byte that stands for the original [start, end).
func (f *folding) emit(b byte, start, end int) {
	f.buf = append(f.buf, b)
	f.starts, f.ends = append(f.starts, int32(start)), append(f.ends, int32(end))
}

// segmentEnds reports whether a normalisation segment may end at byte j: j is the end of the text
// or the start of a rune that starts a new segment.
func segmentEnds(text string, j int) bool {
	if j >= len(text) || text[j] < utf8.RuneSelf {
		return true
	}
	r, _ := utf8.DecodeRuneInString(text[j:])
	if r <= 0xFFFF {
		return bmpProps()[r]&propBoundary != 0
	}
	return norm.NFKC.PropertiesString(text[j:]).BoundaryBefore()
}

// stableAlone reports whether NFKC leaves the rune r (at the start of s) as it is when it stands
// alone in its segment.
func stableAlone(r rune, s string) bool {
	if r <= 0xFFFF {
		return bmpProps()[r]&propStable != 0
	}
	p := norm.NFKC.PropertiesString(s)
	return len(p.Decomposition()) == 0 && p.BoundaryBefore()
}

func ignorableFast(r rune) bool {
	if r <= 0xFFFF {
		return bmpProps()[r]&propIgnorable != 0
	}
	return ignorable(r)
}

// Properties of the runes of the Basic Multilingual Plane, computed once (a few milliseconds), by
// New.
const (
	propBoundary  = 1 << iota // starts a normalisation segment
	propStable                // NFKC leaves it alone when alone in its segment
	propIgnorable             // removed
)

var bmpProps = sync.OnceValue(func() *[0x10000]uint8 {
	var t [0x10000]uint8
	var buf []byte
	for r := rune(0); r <= 0xFFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		buf = utf8.AppendRune(buf[:0], r)
		p := norm.NFKC.Properties(buf)
		if p.BoundaryBefore() {
			t[r] |= propBoundary
			if len(p.Decomposition()) == 0 {
				t[r] |= propStable
			}
		}
		if ignorable(r) {
			t[r] |= propIgnorable
		}
	}
	return &t
})

// fold prepares the folded form of text and returns it (text itself when nothing needs folding).
func (f *folding) fold(text string) string {
	f.identity = true
	if !needsFold(text) {
		return text
	}
	f.identity = false
	f.buf, f.starts, f.ends = f.buf[:0], f.starts[:0], f.ends[:0]
	for i := 0; i < len(text); {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		// Fast paths for a rune that is a segment of its own (the next one starts a new segment):
		// ASCII, full-width ASCII (NFKC maps U+FF01–U+FF5E to U+0021–U+007E and U+3000 to a space),
		// removed characters, and runes NFKC leaves alone.
		if segmentEnds(text, i+n) {
			switch {
			case r < utf8.RuneSelf:
				f.emit(byte(r), i, i+n)
				i += n
				continue
			case r >= 0xFF01 && r <= 0xFF5E:
				f.emit(byte(r-0xFEE0), i, i+n)
				i += n
				continue
			case r == 0x3000:
				f.emit(' ', i, i+n)
				i += n
				continue
			case ignorableFast(r):
				i += n
				continue
			case r == 0x2010 || r == 0x2011 || r == 0x2212:
				f.emit('-', i, i+n)
				i += n
				continue
			}
			if stableAlone(r, text[i:]) {
				f.buf = append(f.buf, text[i:i+n]...)
				for range n {
					f.starts, f.ends = append(f.starts, int32(i)), append(f.ends, int32(i+n))
				}
				i += n
				continue
			}
		}
		// The general path: normalise the whole segment, every output byte mapped to all of it.
		e := i + n
		if e < len(text) {
			e = i + norm.NFKC.NextBoundaryInString(text[i:], true)
		}
		f.seg = norm.NFKC.AppendString(f.seg[:0], text[i:e])
		for k := 0; k < len(f.seg); {
			c, m := utf8.DecodeRune(f.seg[k:])
			k += m
			if ignorable(c) {
				continue
			}
			if c == 0x2010 || c == 0x2011 || c == 0x2212 {
				c = '-'
			}
			f.buf = utf8.AppendRune(f.buf, c)
			for range utf8.RuneLen(c) {
				f.starts, f.ends = append(f.starts, int32(i)), append(f.ends, int32(e))
			}
		}
		i = e
	}
	f.foldLookalikes()
	return string(f.buf)
}

// foldLookalikes rewrites look-alike letters in place, token by token (see the rules above).
func (f *folding) foldLookalikes() {
	b := f.buf
	w := 0
	for r := 0; r < len(b); {
		// One token: [r, e).
		e := r
		latin, onlyLookalikes, any := false, true, false
		for e < len(b) {
			c, n := utf8.DecodeRune(b[e:])
			if unicode.IsSpace(c) {
				break
			}
			switch {
			case c < utf8.RuneSelf:
				if isAlnum(byte(c)) {
					latin = true
				}
			case lookalike(c) != 0:
				any = true
			case unicode.Is(unicode.Latin, c):
				latin, onlyLookalikes = true, false
			case unicode.IsLetter(c):
				onlyLookalikes = false
			}
			e += n
		}
		fold := any && (latin || onlyLookalikes)
		for r < e {
			c, n := utf8.DecodeRune(b[r:])
			if a := lookalike(c); fold && a != 0 {
				b[w], f.starts[w], f.ends[w] = a, f.starts[r], f.ends[r+n-1]
				w++
			} else {
				for k := range n {
					b[w+k], f.starts[w+k], f.ends[w+k] = b[r+k], f.starts[r+k], f.ends[r+k]
				}
				w += n
			}
			r += n
		}
		// The white space after the token.
		for r < len(b) {
			c, n := utf8.DecodeRune(b[r:])
			if !unicode.IsSpace(c) {
				break
			}
			for k := range n {
				b[w+k], f.starts[w+k], f.ends[w+k] = b[r+k], f.starts[r+k], f.ends[r+k]
			}
			w += n
			r += n
		}
	}
	f.buf, f.starts, f.ends = b[:w], f.starts[:w], f.ends[:w]
}

// span maps a span of the folded text back to the original text.
func (f *folding) span(start, end int) (int, int) {
	if f.identity {
		return start, end
	}
	return int(f.starts[start]), int(f.ends[end-1])
}

// needsFold reports whether text holds anything the folding changes.
func needsFold(text string) bool {
	i := 0
	for i < len(text) && text[i] < utf8.RuneSelf {
		i++
	}
	if i == len(text) {
		return false
	}
	for _, r := range text[i:] {
		if r >= utf8.RuneSelf && (ignorableFast(r) || lookalike(r) != 0 || r == 0x2010 || r == 0x2011 || r == 0x2212) {
			return true
		}
	}
	// From the ASCII character before the first other one: a combining mark composes with it.
	return !norm.NFKC.IsNormalString(text[max(0, i-1):])
}

// ignorable reports the characters that render as nothing (or only steer rendering) and are removed.
func ignorable(r rune) bool {
	if r < 0xAD {
		return false
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

const lookalikeLo, lookalikeHi = 0x131, 0x588

// lookalike returns the ASCII letter that r is drawn like, or 0.
func lookalike(r rune) byte {
	if r < lookalikeLo || r >= lookalikeHi {
		return 0
	}
	return lookalikeTable[r-lookalikeLo]
}

var lookalikeTable = func() (t [lookalikeHi - lookalikeLo]byte) {
	for r, a := range lookalikes {
		t[r-lookalikeLo] = a
	}
	return t
}()

// lookalikes lists letters of other scripts that are drawn like a Latin letter in common fonts
// (after Unicode's confusables for Latin, restricted to whole-letter look-alikes).
var lookalikes = map[rune]byte{
	// Cyrillic
	'а': 'a', 'с': 'c', 'е': 'e', 'о': 'o', 'р': 'p', 'х': 'x', 'у': 'y', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'һ': 'h', 'ӏ': 'l', 'ү': 'y',
	'А': 'A', 'В': 'B', 'С': 'C', 'Е': 'E', 'Н': 'H', 'І': 'I', 'Ј': 'J', 'К': 'K', 'М': 'M', 'О': 'O',
	'Р': 'P', 'Ѕ': 'S', 'Т': 'T', 'Х': 'X', 'У': 'Y', 'Ү': 'Y', 'Ӏ': 'I', 'Ԛ': 'Q', 'Ԝ': 'W',
	// Greek
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'ο': 'o', 'ν': 'v', 'ι': 'i', 'α': 'a', 'κ': 'k', 'ρ': 'p',
	'υ': 'u', 'ϲ': 'c', 'ϳ': 'j',
	// Armenian
	'օ': 'o', 'ս': 'u', 'հ': 'h', 'ո': 'n', 'զ': 'q',
	// Latin letters without their dot
	'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɡ': 'g',
}
