package ner

import "math"

// Tagger labels the names of people, places and organisations and street addresses in a text: a
// first-order sequence model (averaged structured perceptron, Viterbi decoding under BIO
// constraints) over hashed features of each token and its neighbours (word, shape, affixes,
// gazetteer categories, position in the line).
type Tagger struct {
	gaz   *Gazetteer
	model *Model
}

// NewTagger pairs a gazetteer with a model trained over it.
func NewTagger(g *Gazetteer, m *Model) *Tagger { return &Tagger{gaz: g, model: m} }

// Span is one labelled span of a text (byte offsets) with its score: the tagger's decision puts a
// span at 0.5 at least, and half of the calibrated probability that the span is right (overlaps a
// true span of its label, as measured on held-out data) comes on top.
type Span struct {
	Start, End int
	Label      Label
	Score      float64
}

// Scratch is the reusable state of Tag; one per goroutine.
type Scratch struct {
	toks  []Token
	d     doc
	emit  []float32
	score []float32
	back  []uint8
	tags  []uint8
}

// Tag returns the spans of text, in order, appended to out.
func (t *Tagger) Tag(text string, sc *Scratch, out []Span) []Span {
	sc.toks = Tokenize(text, sc.toks)
	if len(sc.toks) == 0 {
		return out
	}
	sc.d.prepare(text, sc.toks, t.gaz)
	t.emissions(sc)
	sc.tags = t.viterbi(sc, sc.tags)
	return t.spans(sc, out)
}

// emissions sums the weight rows of each token's features.
func (t *Tagger) emissions(sc *Scratch) {
	n := len(sc.toks)
	if cap(sc.emit) < n*NumTags {
		sc.emit = make([]float32, n*NumTags)
	}
	sc.emit = sc.emit[:n*NumTags]
	for i := range n {
		var acc [NumTags]int32
		for _, h := range sc.d.tokenFeatures(i) {
			if r := t.model.row(h); r != nil {
				for k := range NumTags {
					acc[k] += int32(r[k])
				}
			}
		}
		e := (*[NumTags]float32)(sc.emit[i*NumTags:])
		for k := range NumTags {
			e[k] = float32(acc[k]) * t.model.scale
		}
	}
}

var negInf = float32(math.Inf(-1))

// viterbi returns the best tag sequence under the transition constraints.
func (t *Tagger) viterbi(sc *Scratch, tags []uint8) []uint8 {
	return decode(len(sc.toks), sc.emit, &t.model.trans, sc, tags)
}

// decode is Viterbi over emissions emit (n × NumTags) and transitions trans.
func decode(n int, emit []float32, trans *[NumTags + 1][NumTags]float32, sc *Scratch, tags []uint8) []uint8 {
	if cap(sc.score) < n*NumTags {
		sc.score = make([]float32, n*NumTags)
		sc.back = make([]uint8, n*NumTags)
	}
	score, back := sc.score[:n*NumTags], sc.back[:n*NumTags]
	for k := range NumTags {
		if allowed(NumTags, uint8(k)) {
			score[k] = trans[NumTags][k] + emit[k]
		} else {
			score[k] = negInf
		}
	}
	for i := 1; i < n; i++ {
		prev := (*[NumTags]float32)(score[(i-1)*NumTags:])
		cur := (*[NumTags]float32)(score[i*NumTags:])
		em := (*[NumTags]float32)(emit[i*NumTags:])
		bk := (*[NumTags]uint8)(back[i*NumTags:])
		for k := range NumTags {
			best, arg := negInf, uint8(0)
			if k == 0 || isBegin(uint8(k)) {
				// O and B- follow any tag.
				for p := range NumTags {
					if v := prev[p] + trans[p][k]; v > best {
						best, arg = v, uint8(p)
					}
				}
			} else {
				// I-X follows B-X or I-X only.
				for _, p := range [2]int{k - 1, k} {
					if v := prev[p] + trans[p][k]; v > best {
						best, arg = v, uint8(p)
					}
				}
			}
			cur[k] = best + em[k]
			bk[k] = arg
		}
	}
	if cap(tags) < n {
		tags = make([]uint8, n)
	}
	tags = tags[:n]
	last := score[(n-1)*NumTags:]
	best := uint8(0)
	for k := range NumTags {
		if last[k] > last[best] {
			best = uint8(k)
		}
	}
	for i := n - 1; i >= 0; i-- {
		tags[i] = best
		best = back[i*NumTags+int(best)]
	}
	return tags
}

// spans turns the tags into spans, trimming punctuation at their ends, with a calibrated score from
// the mean margin of their tokens (how much better each token's tag is than its best alternative,
// given the tag before it).
func (t *Tagger) spans(sc *Scratch, out []Span) []Span {
	toks, text := sc.toks, sc.d.text
	eachSpan(sc.tags, func(i, j int, label Label) {
		margin := float32(0)
		for k := i; k < j; k++ {
			margin += t.margin(sc, k)
		}
		margin /= float32(j - i)
		a, b := t.model.calA[label], t.model.calB[label]
		score := 0.5 + 0.5/(1+math.Exp(-float64(a*margin+b)))
		s, e := i, j
		for e > s && trimmable(text[toks[e-1].Start:toks[e-1].End], e-1 > s && isAbbrev(text, toks, e-2)) {
			e--
		}
		for s < e && trimmable(text[toks[s].Start:toks[s].End], false) {
			s++
		}
		if s < e {
			out = append(out, Span{Start: int(toks[s].Start), End: int(toks[e-1].End), Label: label, Score: score})
		}
	})
	return out
}

// margin is how much the chosen tag of token i beats the best other tag, given the tag before it.
func (t *Tagger) margin(sc *Scratch, i int) float32 {
	prev := uint8(NumTags)
	if i > 0 {
		prev = sc.tags[i-1]
	}
	e := sc.emit[i*NumTags : (i+1)*NumTags]
	tr := &t.model.trans[prev]
	chosen := sc.tags[i]
	best := negInf
	for k := range NumTags {
		if uint8(k) == chosen || !allowed(prev, uint8(k)) {
			continue
		}
		best = max(best, e[k]+tr[k])
	}
	return e[chosen] + tr[chosen] - best
}

// trimmable reports punctuation that does not end or start a span; a full stop after an
// abbreviation ("Inc.", "U.N.") stays.
func trimmable(tok string, afterAbbrev bool) bool {
	if len(tok) != 1 {
		return false
	}
	switch tok[0] {
	case '.':
		return !afterAbbrev
	case ',', ';', ':', '(', '[', '"', '\'', '-', '!', '?', '/', '|', '>', '<', '*', '#', '@':
		return true
	case ')':
		return true
	}
	return false
}

// isAbbrev reports whether token i is a short word that a full stop after it abbreviates.
func isAbbrev(text string, toks []Token, i int) bool {
	if i < 0 || toks[i+1].Start != toks[i].End {
		return false
	}
	w := text[toks[i].Start:toks[i].End]
	if len(w) == 1 {
		return true
	}
	switch w {
	case "Inc", "inc", "INC", "Ltd", "ltd", "LTD", "Co", "co", "CO", "Corp", "corp", "Jr", "Sr", "St", "Ave", "Rd", "Dr", "Apt", "apt", "Blvd", "Ln", "Mt", "Ft":
		return true
	}
	return false
}
