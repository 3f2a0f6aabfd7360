package pii

import (
	"slices"
	"sort"
	"unicode/utf8"
)

// A transform rewrites a text the way an evasion would (full-width letters, zero-width characters
// between letters, look-alike letters of other scripts) and maps the byte offsets of the original
// text to those of the rewritten one, so that gold spans can follow.
type transform struct {
	name string
	// rune rewrites one rune; between is inserted between two runes ("" for nothing).
	rune    func(r rune, i int) string
	between func(i int) string
}

// transformed is a rewritten text with the new offsets of every rune boundary of the original.
type transformed struct {
	text string
	// bounds are the rune boundaries of the original text (0 … len); starts[k] is where the rune that
	// starts at bounds[k] starts in text (len(text) for the last), ends[k] where the rune that ends
	// at bounds[k] ends in text (0 for the first).
	bounds, starts, ends []int
}

func (tr transform) apply(s string) transformed {
	var out transformed
	var b []byte
	k := 0
	out.bounds, out.ends = append(out.bounds, 0), append(out.ends, 0)
	for i, r := range s {
		if k > 0 && tr.between != nil {
			b = append(b, tr.between(k)...)
		}
		out.starts = append(out.starts, len(b))
		if tr.rune != nil {
			b = append(b, tr.rune(r, k)...)
		} else {
			b = utf8.AppendRune(b, r)
		}
		out.bounds = append(out.bounds, i+utf8.RuneLen(r))
		out.ends = append(out.ends, len(b))
		k++
	}
	out.starts = append(out.starts, len(b))
	out.text = string(b)
	return out
}

// span maps an original span [start, end) (at rune boundaries) to the rewritten text.
func (t transformed) span(start, end int) (int, int) {
	i, _ := slices.BinarySearch(t.bounds, start)
	j, _ := slices.BinarySearch(t.bounds, end)
	return t.starts[i], t.ends[j]
}

// back maps a span of the rewritten text to the smallest original span whose rewriting covers it.
func (t transformed) back(start, end int) (int, int) {
	i := sort.Search(len(t.starts), func(k int) bool { return t.starts[k] > start }) - 1
	j := sort.Search(len(t.ends), func(k int) bool { return t.ends[k] >= end })
	return t.bounds[max(0, i)], t.bounds[min(j, len(t.bounds)-1)]
}

// zeroWidths are inserted in turn between characters by the zero-width transform.
var zeroWidths = []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}

// homoglyphOf maps Latin letters to look-alikes of other scripts (Cyrillic first, Greek where
// Cyrillic has none).
var homoglyphOf = map[rune]rune{
	'a': 'а', 'c': 'с', 'e': 'е', 'o': 'о', 'p': 'р', 'x': 'х', 'y': 'у', 'i': 'і', 'j': 'ј', 's': 'ѕ',
	'd': 'ԁ', 'h': 'һ', 'l': 'ӏ', 'v': 'ν', 'k': 'κ', 'u': 'υ',
	'A': 'А', 'B': 'В', 'C': 'С', 'E': 'Е', 'H': 'Н', 'I': 'І', 'J': 'Ј', 'K': 'К', 'M': 'М', 'O': 'О',
	'P': 'Р', 'S': 'Ѕ', 'T': 'Т', 'X': 'Х', 'Y': 'У', 'N': 'Ν', 'Z': 'Ζ',
}

// transforms are the evasions the detector must see through.
var transforms = []transform{
	{name: "full-width", rune: func(r rune, _ int) string {
		switch {
		case r == ' ':
			return "\u3000"
		case r > 0x20 && r < 0x7f:
			return string(r + 0xFEE0)
		}
		return string(r)
	}},
	{name: "zero-width", between: func(i int) string { return zeroWidths[i%len(zeroWidths)] }},
	{name: "homoglyph", rune: func(r rune, _ int) string {
		if h, ok := homoglyphOf[r]; ok {
			return string(h)
		}
		return string(r)
	}},
}
