package ner

import (
	"unicode"
	"unicode/utf8"
)

// Features are hashed, so that extracting them allocates nothing and the model is a table keyed
// by the hash: each token's word, shapes and affixes are hashed once (FNV-1a, 64 bits), and a
// feature mixes its template number with the hashes it reads.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv(a []byte) uint64 {
	h := uint64(fnvOffset)
	for _, b := range a {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// mix combines a template with a value (splitmix64's finaliser); never 0, the model's empty key.
func mix(t int, v uint64) uint64 {
	z := v ^ uint64(t)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return (z ^ (z >> 31)) | 1
}

func mix2(t int, a, b uint64) uint64 { return mix(t, a*0x9E3779B97F4A7C15^b) }

func mixInt(t, v int) uint64 { return mix(t, uint64(v)) }

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
	fCueLeft
	fCueRight
	fRunPos
	fRunPrevWord
	fRunNextWord
	fRunLastGaz
	fRunFirstGaz
	fRunJoined
	fRunLen
	fGazCombo
	fRunCue
	fWordCase
	fLineCaps
)

// gNames are the categories whose pairs between neighbours are features ("first last", "city
// country", "name Inc").
const gNames = GFirst | GLast | GCity | GCountry | GOrgSuffix | GStreet | GTitle | GCommonFirst

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
	hw, hs    []uint64 // hashes of each token's lower case and short shape
	hwin      []uint64 // hash of each token's part in window signatures
	feats     []uint64
	featStart []int32
	cues      []uint8 // cue classes of each token's word (cueOrg, cueLoc, cuePer)
	runStart  []int32 // first token of the capitalised run token i is in (-1: none)
	runEnd    []int32 // one past its last token
	lineCaps  []uint8 // bucket of the share of capitalised words on token i's line (lineCapsBucket)
	// unlisted, in training only, marks tokens whose open-class gazetteer categories are hidden
	// (see TrainConfig.Unlisted); nil otherwise.
	unlisted []bool
}

// openClasses are the gazetteer categories no list can hold completely (people's names, cities,
// regions): a name of another origin is often missing from them.
const openClasses = GFirst | GLast | GCommonFirst | GCity | GRegion

var (
	boundaryHash = fnv([]byte("<s>"))
	finalHash    = fnv([]byte("</s>"))
)

// at returns h[i], or the hash of the text's start or end outside it.
func at(h []uint64, i int) uint64 {
	switch {
	case i < 0:
		return boundaryHash
	case i >= len(h):
		return finalHash
	}
	return h[i]
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
	for i, u := range d.unlisted {
		if u && i < n {
			d.gaz[i] &^= openClasses
			d.begin[i] &^= openClasses
			d.inside[i] &^= openClasses
		}
	}
	docCase := 0
	switch {
	case hasUpper && !hasLower:
		docCase = 2
	case hasLower && !hasUpper:
		docCase = 1
	}

	d.hw, d.hs, d.hwin = d.hw[:0], d.hs[:0], d.hwin[:0]
	for i := range n {
		d.hw = append(d.hw, fnv(d.lowers[i]))
		d.hs = append(d.hs, fnv(d.shape(i)))
		if functionWords[string(d.lowers[i])] {
			d.hwin = append(d.hwin, d.hw[i])
		} else {
			d.hwin = append(d.hwin, d.hs[i])
		}
	}

	d.cues = d.cues[:0]
	for i := range n {
		d.cues = append(d.cues, cueWords[string(d.lowers[i])])
	}
	d.capRuns(docCase)
	d.lineCapShares()

	d.feats, d.featStart = d.feats[:0], d.featStart[:0]
	for i := range n {
		d.featStart = append(d.featStart, int32(len(d.feats)))
		f := d.feats
		lw := d.lowers[i]
		hw, hs := d.hw[i], d.hs[i]
		cp := 0
		if d.caps[i] {
			cp = 1
		}
		f = append(f, mix(fBias, 0), mix(fWord, hw), mix(fShape, hs), mix(fLongShape, fnv(d.long(i))))
		f = append(f, mix(fSuffix, fnv(suffix(lw, 3))), mix(fPrefix, fnv(prefix(lw, 3))),
			mix(fSuffix2, fnv(suffix(lw, 2))), mix(fSuffix4, fnv(suffix(lw, 4))))
		f = append(f, mix(fGazPair, uint64(d.gaz[i]&gNames)<<16|uint64(d.gazAt(i+1)&gNames)),
			mix(fGazPrevPair, uint64(d.gazAt(i-1)&gNames)<<16|uint64(d.gaz[i]&gNames)))
		f = append(f, mix(fPrevWord, at(d.hw, i-1)), mix(fNextWord, at(d.hw, i+1)),
			mix(fPrev2Word, at(d.hw, i-2)), mix(fNext2Word, at(d.hw, i+2)))
		f = append(f, mix(fPrevShape, at(d.hs, i-1)), mix(fNextShape, at(d.hs, i+1)),
			mix2(fPrevWordShape, at(d.hw, i-1), hs), mix2(fShapes, at(d.hs, i-1), hs),
			mix2(fNextWordShape, at(d.hw, i+1), hs))
		win := uint64(fWindow)
		for k := i - 2; k <= i+2; k++ {
			win = win*0x100000001B3 ^ at(d.hwin, k)
		}
		f = append(f, mix(fWindow, win))
		for k := range numCategories {
			bit := uint16(1) << k
			if d.gaz[i]&bit != 0 {
				f = append(f, mixInt(fGaz, k*2+cp), mixInt(fDocCase, 64+k*4+docCase))
			}
			if d.gazAt(i-1)&bit != 0 {
				f = append(f, mixInt(fPrevGaz, k))
			}
			if d.gazAt(i+1)&bit != 0 {
				f = append(f, mixInt(fNextGaz, k))
			}
			if d.gazAt(i-2)&bit != 0 {
				f = append(f, mixInt(fPrev2Gaz, k))
			}
			if d.gazAt(i+2)&bit != 0 {
				f = append(f, mixInt(fNext2Gaz, k))
			}
			if d.begin[i]&bit != 0 {
				f = append(f, mixInt(fPhraseBegin, k))
			}
			if d.inside[i]&bit != 0 {
				f = append(f, mixInt(fPhraseInside, k))
			}
		}
		if toks[i].LineStart {
			f = append(f, mixInt(fLineStart, cp))
		}
		if i == 0 || toks[i].LineStart || isSentenceEnd(d.lower(i-1)) {
			f = append(f, mixInt(fSentenceStart, cp))
		}
		f = append(f, mixInt(fDocCase, docCase*2+cp))
		if isDigits(lw) {
			f = append(f, mixInt(fDigits, min(len(lw), 12)))
		}
		if cats := d.hyphenParts(i, g); cats != 0 {
			f = append(f, mixInt(fHyphenParts, int(cats)))
		}
		if d.caps[i] && d.gaz[i]&(GFirst|GLast|GCity|GRegion|GCountry) == 0 {
			f = append(f, mixInt(fUnknownCap, docCase))
		}
		if g := d.gaz[i] & (GFirst | GLast | GCity | GRegion | GCountry | GOrgWord | GStreet | GCommonFirst); g != 0 {
			f = append(f, mixInt(fGazCombo, int(g)<<1|cp), mix2(fGazCombo, uint64(g), at(d.hs, i+1)))
		}
		f = append(f, mix2(fWordCase, hw, uint64(cp)), mixInt(fLineCaps, int(d.lineCaps[i])*2+cp))
		f = d.contextFeatures(f, i, cp)
		d.feats = f
	}
	d.featStart = append(d.featStart, int32(len(d.feats)))
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

// Cue classes: words that often stand near an organisation, a place or a person. The lists are the
// team's own; the tagger learns how much each class counts, on which side and how near.
const (
	cueOrg uint8 = 1 << iota
	cueLoc
	cuePer
	cueDir // a compass adjective ("Southern"), which names a part of a place rather than the place
)

var cueWords = func() map[string]uint8 {
	m := map[string]uint8{}
	add := func(c uint8, ws ...string) {
		for _, w := range ws {
			m[w] |= c
		}
	}
	add(cueOrg, "company", "companies", "firm", "agency", "office", "offices", "employer", "employed", "employs",
		"works", "worked", "working", "work", "joined", "join", "ceo", "cto", "cfo", "founder", "founded", "headquarters",
		"hq", "invested", "invests", "acquired", "acquisition", "subsidiary", "startup", "brand", "organisation",
		"organization", "shares", "stock", "products", "product", "department", "board", "contract", "hired", "hiring",
		"client", "clients", "customers", "vendor", "supplier", "partnered", "merger", "announced", "launched",
		"employees", "staff", "corporate", "business", "businesses", "industry", "manufacturer", "bank", "at", "for",
		"intern", "internship", "salary", "job", "position", "team", "recorded", "label", "sponsor", "sponsored")
	add(cueLoc, "in", "near", "city", "town", "village", "based", "lives", "live", "living", "lived", "moved",
		"move", "born", "located", "visit", "visited", "visiting", "travel", "travelled", "traveled", "trip", "from",
		"country", "region", "capital", "province", "state", "downtown", "suburb", "suburbs", "flight", "flew",
		"fly", "to", "across", "throughout", "around", "serving", "resident", "residents", "citizen", "native",
		"area", "district", "county", "embassy", "border", "relocated", "holiday", "vacation", "streets")
	add(cuePer, "mr", "mrs", "ms", "miss", "dr", "prof", "name", "named", "called", "he", "she", "his", "her",
		"him", "says", "said", "told", "asked", "wife", "husband", "son", "daughter", "mother", "father", "brother",
		"sister", "friend", "colleague", "manager", "dear", "hi", "hello", "hey", "thanks", "regards", "sincerely",
		"beneficiary", "patient", "user", "username", "contact", "signed", "wrote", "writes", "met", "meet", "by",
		"i'm", "am", "my", "married", "boss", "uncle", "aunt", "cousin", "grandmother", "grandfather", "sir", "madam")
	add(cueDir, "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
		"northeast", "northwest", "southeast", "southwest", "northeastern", "northwestern", "southeastern",
		"southwestern", "upper", "lower", "greater", "nord", "sud", "süd", "ost", "est", "ouest", "norte", "sur")
	return m
}()

// cuePhrases are two-word cues just before a name ("works at X", "based in X").
var cuePhrases = func() map[string]uint8 {
	m := map[string]uint8{}
	for _, v := range []string{"work", "works", "worked", "working", "job", "position", "intern", "internship",
		"employed", "hired", "contract", "ceo", "cto", "cfo", "founder", "cofounder", "director", "manager", "engineer",
		"analyst", "consultant", "partner", "employee", "staff", "joined", "joining", "join", "left", "quit"} {
		for _, p := range []string{"at", "for", "by", "of", "with"} {
			m[v+" "+p] |= cueOrg
		}
	}
	for _, v := range []string{"live", "lives", "lived", "living", "based", "located", "born", "raised", "grew",
		"stay", "staying", "stayed", "moved", "move", "moving", "relocated", "trip", "flight", "fly", "flew", "travel",
		"travelling", "traveling", "travelled", "traveled", "vacation", "holiday", "holidays", "arrived", "arrive",
		"city", "town", "village", "capital", "region", "province", "state", "country", "near", "outside"} {
		for _, p := range []string{"in", "to", "of", "near", "from", "at"} {
			m[v+" "+p] |= cueLoc
		}
	}
	for _, v := range []string{"name", "named", "called", "dear", "thanks", "thank", "meet", "met", "ask", "asked",
		"told", "tell", "call", "email", "message", "wife", "husband", "son", "daughter", "friend", "colleague"} {
		for _, p := range []string{"is", "to", "you", "me", "with", ",", "from"} {
			m[v+" "+p] |= cuePer
		}
	}
	return m
}()

// runJoiner reports words that may join the capitalised words of one name ("Smith and Sons",
// "Bank of America", "Clark, Romero and Hall").
func runJoiner(lw []byte) bool {
	switch string(lw) {
	case "and", "&", ",", "of", "de", "del", "der", "du", "la", "le", "van", "von", "y", "e", "für", "-":
		return true
	}
	return false
}

// capRuns finds runs of capitalised words (joined by runJoiner words between capitalised words).
// In a text that is all upper or all lower case capitals say nothing, and there are no runs.
func (d *doc) capRuns(docCase int) {
	n := len(d.toks)
	d.runStart, d.runEnd = growInt32(d.runStart, n), growInt32(d.runEnd, n)
	for i := range n {
		d.runStart[i], d.runEnd[i] = -1, -1
	}
	if docCase != 0 {
		return
	}
	for i := 0; i < n; {
		if !d.caps[i] {
			i++
			continue
		}
		j := i + 1
		for j < n {
			if d.toks[j].LineStart {
				break
			}
			if d.caps[j] {
				j++
				continue
			}
			if runJoiner(d.lowers[j]) && j+1 < n && d.caps[j+1] && !d.toks[j+1].LineStart {
				j += 2
				continue
			}
			break
		}
		for k := i; k < j; k++ {
			d.runStart[k], d.runEnd[k] = int32(i), int32(j)
		}
		i = j
	}
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// contextFeatures appends the cue and capitalised-run features of token i.
func (d *doc) contextFeatures(f []uint64, i, cp int) []uint64 {
	n := len(d.toks)
	var left, right uint8
	for k := max(0, i-3); k < i; k++ {
		left |= d.cues[k]
	}
	for k := i + 1; k < min(n, i+5); k++ {
		right |= d.cues[k]
	}
	for c := range 4 {
		bit := uint8(1) << c
		if left&bit != 0 {
			f = append(f, mixInt(fCueLeft, c*2+cp))
		}
		if right&bit != 0 {
			f = append(f, mixInt(fCueRight, c*2+cp))
		}
	}
	if d.cues[i]&cueDir != 0 {
		f = append(f, mixInt(fCueLeft, 100+cp))
	}
	s, e := int(d.runStart[i]), int(d.runEnd[i])
	if s < 0 {
		return f
	}
	pos := 0 // single
	switch {
	case e-s == 1:
	case i == s:
		pos = 1
	case i == e-1:
		pos = 3
	default:
		pos = 2
	}
	if s >= 2 {
		if c := cuePhrases[string(d.lowers[s-2])+" "+string(d.lowers[s-1])]; c != 0 {
			f = append(f, mixInt(fRunCue, int(c)<<3|pos))
		}
	}
	if s >= 1 && d.cues[s-1] != 0 {
		f = append(f, mixInt(fRunCue, 256+int(d.cues[s-1])<<3|pos))
	}
	length := min(e-s, 5)
	f = append(f, mixInt(fRunPos, pos), mixInt(fRunLen, length*4+pos))
	f = append(f, mix2(fRunPrevWord, at(d.hw, s-1), uint64(pos)), mix2(fRunNextWord, at(d.hw, e), uint64(pos)))
	f = append(f, mixInt(fRunLastGaz, int(d.gaz[e-1]&(GOrgSuffix|GOrgWord|GStreet|GCountry|GCity|GLast))<<2|pos))
	f = append(f, mixInt(fRunFirstGaz, int(d.gaz[s]&(GFirst|GTitle|GCity|GCountry|GOrgWord))<<2|pos))
	joined := 0
	for k := s; k < e; k++ {
		if !d.caps[k] {
			joined = 1
			if d.lowers[k][0] == ',' || d.lowers[k][0] == '&' || string(d.lowers[k]) == "and" {
				joined = 2
				break
			}
		}
	}
	if joined != 0 {
		f = append(f, mixInt(fRunJoined, joined*4+pos))
	}
	return f
}

// lineCapShares buckets, for each line, the share of its words (of two letters or more, the first
// word of a sentence excepted) that are capitalised: a headline or a title-cased prompt ("Please
// Summarise This Report") capitalises words that are not names, so capitals say less there.
// Buckets: 0 no such word, 1 under a quarter, 2 under a half, 3 under three quarters, 4 more.
func (d *doc) lineCapShares() {
	n := len(d.toks)
	if cap(d.lineCaps) < n {
		d.lineCaps = make([]uint8, n)
	}
	d.lineCaps = d.lineCaps[:n]
	for s := 0; s < n; {
		e := s + 1
		for e < n && !d.toks[e].LineStart {
			e++
		}
		words, capsN := 0, 0
		for k := s; k < e; k++ {
			if len(d.lowers[k]) < 2 || !isLetterByte(d.lowers[k][0]) || k == s || isSentenceEnd(d.lowers[k-1]) {
				continue
			}
			words++
			if d.caps[k] {
				capsN++
			}
		}
		b := uint8(0)
		switch {
		case words == 0:
		case capsN*4 < words:
			b = 1
		case capsN*2 < words:
			b = 2
		case capsN*4 < words*3:
			b = 3
		default:
			b = 4
		}
		for k := s; k < e; k++ {
			d.lineCaps[k] = b
		}
		s = e
	}
}

// isLetterByte reports whether the first byte of a lower-case word starts a letter (ASCII letters
// and any multi-byte rune, which are letters in names far more often than not).
func isLetterByte(c byte) bool { return ('a' <= c && c <= 'z') || c >= 0x80 }
