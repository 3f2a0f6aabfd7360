package pii

import (
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
	it           norm.Iter
}

// fold prepares the folded form of text and returns it (text itself when nothing needs folding).
func (f *folding) fold(text string) string {
	f.identity = true
	if !needsFold(text) {
		return text
	}
	f.identity = false
	f.buf, f.starts, f.ends = f.buf[:0], f.starts[:0], f.ends[:0]
	f.it.InitString(norm.NFKC, text)
	// The iterator may return the output of one input segment in several pieces, advancing its
	// position only with the last: bytes are assigned their original span once the position moves.
	prev, pending := 0, 0
	for !f.it.Done() {
		seg := f.it.Next()
		for k := 0; k < len(seg); {
			r, n := utf8.DecodeRune(seg[k:])
			k += n
			if ignorable(r) {
				continue
			}
			if r == 0x2010 || r == 0x2011 || r == 0x2212 {
				r = '-'
			}
			f.buf = utf8.AppendRune(f.buf, r)
		}
		if pos := f.it.Pos(); pos > prev || f.it.Done() {
			if f.it.Done() {
				pos = len(text)
			}
			for range len(f.buf) - pending {
				f.starts = append(f.starts, int32(prev))
				f.ends = append(f.ends, int32(pos))
			}
			prev, pending = pos, len(f.buf)
		}
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
		if r >= utf8.RuneSelf && (ignorable(r) || lookalike(r) != 0 || r == 0x2010 || r == 0x2011 || r == 0x2212) {
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
