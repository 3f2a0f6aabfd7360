package engine

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalisation produces one matching form of the input: NFKC, lower case,
// zero-width/bidi/format characters removed, Latin diacritics and Arabic
// letter variants folded. Homoglyph and leetspeak folding are per token (see
// tokenize.go) so that genuine Cyrillic or Greek words keep their letters for
// the multilingual rules.

// normInfo reports what the normaliser removed or found.
type normInfo struct {
	removedInWord int    // invisible characters removed between two letters
	removed       int    // invisible characters removed anywhere
	tags          []byte // text hidden in Unicode tag characters (U+E0020..U+E007E)
	nfkc          bool   // NFKC changed the text (compatibility forms, full-width, styled letters)
}

// isInvisible reports format characters that render as nothing and are used
// to split trigger words or reorder text.
func isInvisible(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x061C, r == 0x115F, r == 0x1160, r == 0x17B4, r == 0x17B5, r == 0x180E:
		return true
	case r >= 0x200B && r <= 0x200F: // zero width space, ZWNJ, ZWJ, LRM, RLM
		return true
	case r >= 0x202A && r <= 0x202E: // bidi embeddings and overrides
		return true
	case r >= 0x2060 && r <= 0x206F: // word joiner, invisible operators, bidi isolates
		return true
	case r == 0xFEFF, r == 0x3164, r == 0xFFA0:
		return true
	case r >= 0xFE00 && r <= 0xFE0F: // variation selectors
		return true
	case r >= 0xE0000 && r <= 0xE007F: // tag characters
		return true
	case r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return false
}

// latinFold maps accented Latin letters (U+00C0..U+024F) to their base
// letter; built from the canonical decompositions at init.
var latinFold [0x250 - 0xC0]rune

func init() {
	for r := rune(0xC0); r < 0x250; r++ {
		latinFold[r-0xC0] = r
		d := norm.NFD.String(string(r))
		base, n := utf8.DecodeRuneInString(d)
		if n < len(d) && base < 0x80 {
			latinFold[r-0xC0] = unicode.ToLower(base)
		}
	}
	for r, to := range map[rune]rune{'ø': 'o', 'Ø': 'o', 'đ': 'd', 'Đ': 'd', 'ł': 'l', 'Ł': 'l', 'ı': 'i', 'æ': 'a', 'œ': 'o', 'ħ': 'h'} {
		latinFold[r-0xC0] = to
	}
}

// foldRune lower-cases and folds one rune for matching; it returns -1 for
// runes to drop (Arabic diacritics and tatweel).
func foldRune(r rune) rune {
	if r < 0x80 {
		if 'A' <= r && r <= 'Z' {
			return r + 32
		}
		return r
	}
	if r >= 0xC0 && r < 0x250 {
		if r == 'ß' || r == 'ẞ' {
			return r // handled by caller (expands to "ss")
		}
		return latinFold[r-0xC0]
	}
	switch {
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640: // tashkeel, tatweel
		return -1
	case r == 'أ', r == 'إ', r == 'آ', r == 'ٱ':
		return 'ا'
	case r == 'ى':
		return 'ي'
	case r == 'ة':
		return 'ه'
	case r == 'ё':
		return 'е'
	case r == 'ς':
		return 'σ'
	}
	return unicode.ToLower(r)
}

// normalize returns the matching form of s. buf is reused scratch space.
func normalize(s string, buf []byte, info *normInfo) []byte {
	buf = buf[:0]
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 32
			}
			buf = append(buf, c)
		}
		return buf
	}
	if !norm.NFKC.IsNormalString(s) {
		s = norm.NFKC.String(s)
		info.nfkc = true
	}
	prevLetter := false
	pendingInvisible := 0
	for _, r := range s {
		if isInvisible(r) {
			info.removed++
			if r >= 0xE0020 && r <= 0xE007E {
				info.tags = append(info.tags, byte(r-0xE0000))
			}
			if prevLetter {
				pendingInvisible++
			}
			continue
		}
		isL := unicode.IsLetter(r)
		if isL && pendingInvisible > 0 {
			info.removedInWord += pendingInvisible
		}
		pendingInvisible = 0
		prevLetter = isL
		f := foldRune(r)
		switch {
		case f < 0:
			continue
		case f == 'ß' || f == 'ẞ':
			buf = append(buf, 's', 's')
		case f < 0x80:
			buf = append(buf, byte(f))
		default:
			buf = utf8.AppendRune(buf, f)
		}
	}
	return buf
}

// confusable maps Cyrillic and Greek letters (already lower-cased) that look
// like Latin letters to those letters.
var confusable = map[rune]byte{
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't',
	'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ɡ': 'g', 'һ': 'h', 'ӏ': 'l', 'ԛ': 'q', 'ԝ': 'w',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't',
	'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w', 'μ': 'u', 'ɑ': 'a', 'ᴀ': 'a', 'ʀ': 'r', 'ꜱ': 's', 'ɪ': 'i', 'ᴏ': 'o',
	'ℓ': 'l', 'ı': 'i',
}

// leet maps digits and symbols used as letters.
func leet(c byte, alt bool) byte {
	switch c {
	case '0':
		return 'o'
	case '1':
		if alt {
			return 'l'
		}
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7', '+':
		return 't'
	case '8':
		return 'b'
	case '9':
		return 'g'
	case '!':
		return 'i'
	}
	return c
}
