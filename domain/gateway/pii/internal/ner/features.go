package ner

import (
	"unicode"
	"unicode/utf8"
)

// Features are hashed: each is a template byte and the bytes it reads, hashed with FNV-1a (64 bits),
// so that extracting them allocates nothing and the model is a table keyed by the hash.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Feature templates.
const (
	fBias = iota + 1
	fWord
	fShape
	fLongShape
	fSuffix
	fPrefix
	fPrevWord
	fNextWord
	fPrev2Word
	fNext2Word
	fPrevShape
	fNextShape
	fPrevWordShape
	fShapes
	fGaz
	fPrevGaz
	fNextGaz
	fPhraseBegin
	fPhraseInside
	fLineStart
	fSentenceStart
	fDocCase
	fDigits
	fNextWordShape
	fSuffix2
	fSuffix4
	fPrev2Gaz
	fNext2Gaz
	fGazPair
	fGazPrevPair
	fWindow
	fHyphenParts
	fUnknownCap
)

func hashBytes(t byte, a []byte) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(t)) * fnvPrime
	for _, b := range a {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h | 1
}

func hashPair(t byte, a, b []byte) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(t)) * fnvPrime
	for _, c := range a {
		h = (h ^ uint64(c)) * fnvPrime
	}
	h = (h ^ 0xff) * fnvPrime
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h | 1
}

func hashInt(t byte, v int) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(t)) * fnvPrime
	for k := 0; k < 4; k++ {
		h = (h ^ uint64(byte(v>>(8*k)))) * fnvPrime
	}
	return h | 1
}

// gNames are the categories whose pairs between neighbours are features ("first last", "city
// country", "name Inc").
const gNames = GFirst | GLast | GCity | GCountry | GOrgSuffix | GStreet | GTitle

// doc is the per-text state of feature extraction; reused between texts.
type doc struct {
	text      string
	toks      []Token
	lowerBuf  []byte
	lowerEnd  []int32 // end of token i's lower case in lowerBuf
	shapeBuf  []byte
	shapeEnd  []int32
	longBuf   []byte
	longEnd   []int32
	gaz       []uint16
	begin     []uint16
	inside    []uint16
	caps      []bool
	lowers    [][]byte
	feats     []uint64
	featStart []int32
}

var (
	boundary = []byte("<s>")
	final    = []byte("</s>")
)

func (d *doc) lower(i int) []byte {
	switch {
	case i < 0:
		return boundary
	case i >= len(d.toks):
		return final
	}
	return d.lowers[i]
}

func (d *doc) shape(i int) []byte {
	switch {
	case i < 0:
		return boundary
	case i >= len(d.toks):
		return final
	}
	s := int32(0)
	if i > 0 {
		s = d.shapeEnd[i-1]
	}
	return d.shapeBuf[s:d.shapeEnd[i]]
}

func (d *doc) gazAt(i int) uint16 {
	if i < 0 || i >= len(d.toks) {
		return 0
	}
	return d.gaz[i]
}

// prepare tokenises text and computes the features of every token.
func (d *doc) prepare(text string, toks []Token, g *Gazetteer) {
	d.text, d.toks = text, toks
	n := len(toks)
	d.lowerBuf, d.lowerEnd = d.lowerBuf[:0], d.lowerEnd[:0]
	d.shapeBuf, d.shapeEnd = d.shapeBuf[:0], d.shapeEnd[:0]
	d.longBuf, d.longEnd = d.longBuf[:0], d.longEnd[:0]
	d.caps = d.caps[:0]
	hasLower, hasUpper := false, false
	for _, t := range toks {
		w := text[t.Start:t.End]
		d.lowerBuf = appendLower(d.lowerBuf, w)
		d.lowerEnd = append(d.lowerEnd, int32(len(d.lowerBuf)))
		short, long, up, lo := shapes(w, d.shapeBuf, d.longBuf)
		d.shapeBuf, d.longBuf = short, long
		d.shapeEnd = append(d.shapeEnd, int32(len(d.shapeBuf)))
		d.longEnd = append(d.longEnd, int32(len(d.longBuf)))
		r, _ := utf8.DecodeRuneInString(w)
		d.caps = append(d.caps, unicode.IsUpper(r))
		hasLower = hasLower || lo
		hasUpper = hasUpper || up
	}
	d.lowers = d.lowers[:0]
	for i := range n {
		s := int32(0)
		if i > 0 {
			s = d.lowerEnd[i-1]
		}
		d.lowers = append(d.lowers, d.lowerBuf[s:d.lowerEnd[i]])
	}
	d.gaz = grow16(d.gaz, n)
	d.begin = grow16(d.begin, n)
	d.inside = grow16(d.inside, n)
	for i := range n {
		d.gaz[i] = g.Word(d.lowers[i])
	}
	g.matchPhrases(d.lowers, d.begin, d.inside)
	docCase := 0
	switch {
	case hasUpper && !hasLower:
		docCase = 2
	case hasLower && !hasUpper:
		docCase = 1
	}

	d.feats, d.featStart = d.feats[:0], d.featStart[:0]
	for i := range n {
		d.featStart = append(d.featStart, int32(len(d.feats)))
		f := d.feats
		lw := d.lowers[i]
		sh := d.shape(i)
		cp := 0
		if d.caps[i] {
			cp = 1
		}
		f = append(f, hashInt(fBias, 0), hashBytes(fWord, lw), hashBytes(fShape, sh), hashBytes(fLongShape, d.long(i)))
		f = append(f, hashBytes(fSuffix, suffix(lw, 3)), hashBytes(fPrefix, prefix(lw, 3)),
			hashBytes(fSuffix2, suffix(lw, 2)), hashBytes(fSuffix4, suffix(lw, 4)))
		f = append(f, hashInt(fGazPair, int(d.gaz[i]&gNames)<<16|int(d.gazAt(i+1)&gNames)),
			hashInt(fGazPrevPair, int(d.gazAt(i-1)&gNames)<<16|int(d.gaz[i]&gNames)))
		f = append(f, hashBytes(fPrevWord, d.lower(i-1)), hashBytes(fNextWord, d.lower(i+1)),
			hashBytes(fPrev2Word, d.lower(i-2)), hashBytes(fNext2Word, d.lower(i+2)))
		f = append(f, hashBytes(fPrevShape, d.shape(i-1)), hashBytes(fNextShape, d.shape(i+1)),
			hashPair(fPrevWordShape, d.lower(i-1), sh), hashPair(fShapes, d.shape(i-1), sh),
			hashPair(fNextWordShape, d.lower(i+1), sh))
		for k := range numCategories {
			bit := uint16(1) << k
			if d.gaz[i]&bit != 0 {
				f = append(f, hashInt(fGaz, k*2+cp), hashInt(fDocCase, 64+k*4+docCase))
			}
			if d.gazAt(i-1)&bit != 0 {
				f = append(f, hashInt(fPrevGaz, k))
			}
			if d.gazAt(i+1)&bit != 0 {
				f = append(f, hashInt(fNextGaz, k))
			}
			if d.gazAt(i-2)&bit != 0 {
				f = append(f, hashInt(fPrev2Gaz, k))
			}
			if d.gazAt(i+2)&bit != 0 {
				f = append(f, hashInt(fNext2Gaz, k))
			}
			if d.begin[i]&bit != 0 {
				f = append(f, hashInt(fPhraseBegin, k))
			}
			if d.inside[i]&bit != 0 {
				f = append(f, hashInt(fPhraseInside, k))
			}
		}
		if toks[i].LineStart {
			f = append(f, hashInt(fLineStart, cp))
		}
		if i == 0 || toks[i].LineStart || isSentenceEnd(d.lower(i-1)) {
			f = append(f, hashInt(fSentenceStart, cp))
		}
		f = append(f, hashInt(fDocCase, docCase*2+cp))
		if isDigits(lw) {
			f = append(f, hashInt(fDigits, min(len(lw), 12)))
		}
		f = append(f, d.window(i))
		if cats := d.hyphenParts(i, g); cats != 0 {
			f = append(f, hashInt(fHyphenParts, int(cats)))
		}
		if d.caps[i] && d.gaz[i]&(GFirst|GLast|GCity|GRegion|GCountry) == 0 {
			f = append(f, hashInt(fUnknownCap, docCase))
		}
		d.feats = f
	}
	d.featStart = append(d.featStart, int32(len(d.feats)))
}

// window is the signature of tokens i-2 … i+2: function words as they are, other tokens by their
// short shape ("Xx , Xx and Xx" is a list of names; "x of Xx" a place or an organisation).
func (d *doc) window(i int) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ fWindow) * fnvPrime
	for k := i - 2; k <= i+2; k++ {
		part := d.shape(k)
		if lw := d.lower(k); k >= 0 && k < len(d.toks) && functionWords[string(lw)] {
			part = lw
		}
		for _, c := range part {
			h = (h ^ uint64(c)) * fnvPrime
		}
		h = (h ^ 0xff) * fnvPrime
	}
	return h | 1
}

// functionWords keep their spelling in window signatures.
var functionWords = map[string]bool{
	"and": true, "&": true, "of": true, "the": true, "for": true, "at": true, "in": true, "from": true, "to": true,
	"on": true, "with": true, "by": true, "de": true, "la": true, "le": true, "der": true, "die": true, "und": true,
	"y": true, "e": true, "et": true, "van": true, "von": true, "da": true, "di": true, "du": true,
}

// hyphenParts returns the categories both parts of a hyphenated token have ("Ellis-Ingram": two
// surnames, likely a firm), or 0.
func (d *doc) hyphenParts(i int, g *Gazetteer) uint16 {
	lw := d.lowers[i]
	k := -1
	for j, c := range lw {
		if c == '-' {
			k = j
			break
		}
	}
	if k <= 0 || k == len(lw)-1 {
		return 0
	}
	return g.Word(lw[:k]) & g.Word(lw[k+1:]) & (GFirst | GLast | GCity)
}

func (d *doc) long(i int) []byte {
	s := int32(0)
	if i > 0 {
		s = d.longEnd[i-1]
	}
	return d.longBuf[s:d.longEnd[i]]
}

// tokenFeatures returns the feature hashes of token i.
func (d *doc) tokenFeatures(i int) []uint64 { return d.feats[d.featStart[i]:d.featStart[i+1]] }

func grow16(s []uint16, n int) []uint16 {
	if cap(s) < n {
		return make([]uint16, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// shapes appends the short shape (runs of one class collapsed: "Xx", "d-d", "X.") and the long
// shape (runs cut at three: "Xxxx" → "Xxx") of w.
func shapes(w string, short, long []byte) (s, l []byte, up, lo bool) {
	var last byte
	run := 0
	for _, r := range w {
		var c byte
		switch {
		case unicode.IsUpper(r):
			c, up = 'X', true
		case unicode.IsLower(r):
			c, lo = 'x', true
		case unicode.IsLetter(r):
			c = 'l'
		case unicode.IsDigit(r):
			c = 'd'
		case r < utf8.RuneSelf:
			c = byte(r)
		default:
			c = 'o'
		}
		if c != last {
			short = append(short, c)
			run = 0
		}
		if run < 3 {
			long = append(long, c)
		}
		run++
		last = c
	}
	return short, long, up, lo
}

func suffix(lw []byte, n int) []byte {
	k := len(lw)
	for c := 0; c < n && k > 0; c++ {
		_, m := utf8.DecodeLastRune(lw[:k])
		k -= m
	}
	return lw[k:]
}

func prefix(lw []byte, n int) []byte {
	k := 0
	for c := 0; c < n && k < len(lw); c++ {
		_, m := utf8.DecodeRune(lw[k:])
		k += m
	}
	return lw[:k]
}

func isSentenceEnd(lw []byte) bool {
	return len(lw) == 1 && (lw[0] == '.' || lw[0] == '!' || lw[0] == '?' || lw[0] == ':')
}

func isDigits(lw []byte) bool {
	for _, b := range lw {
		if b < '0' || b > '9' {
			return false
		}
	}
	return len(lw) > 0
}
