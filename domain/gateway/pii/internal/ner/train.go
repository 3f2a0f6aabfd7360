package ner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Example is a text with the gold label of each of its tokens (BIO tags).
type Example struct {
	Text   string
	Tokens []Token
	Tags   []uint8
}

// GoldSpan is a labelled byte span of a text.
type GoldSpan struct {
	Start, End int
	Label      Label
}

// NewExample tokenises text and tags its tokens from labelled spans: a token overlapping a span
// gets its label, B- on the first such token.
func NewExample(text string, spans []GoldSpan) Example {
	ex := Example{Text: text, Tokens: Tokenize(text, nil)}
	ex.Tags = make([]uint8, len(ex.Tokens))
	for _, sp := range spans {
		first := true
		for i, t := range ex.Tokens {
			if int(t.Start) < sp.End && sp.Start < int(t.End) && ex.Tags[i] == 0 {
				if first {
					ex.Tags[i] = beginTag(sp.Label)
					first = false
				} else {
					ex.Tags[i] = beginTag(sp.Label) + 1
				}
			}
		}
	}
	return ex
}

// TrainConfig sets the training.
type TrainConfig struct {
	Epochs   int
	MinCount int    // features seen fewer times are dropped
	Seed     uint64 // shuffling
	// Prune drops features whose largest averaged weight (in absolute value) is below it.
	Prune float32
	// AfterEpoch, when set, is called with the averaged model after each epoch; it is not called
	// when Bags > 1 (it is meant for choosing the number of epochs).
	AfterEpoch func(epoch int, t *Tagger)
	// Bags is the number of shuffling orders whose models are averaged (0 or 1: one).
	Bags int
	// WordDropout is the probability that a token's word features (its lower case, alone and with
	// its capitalisation) are hidden for one training pass over it, so that the tagger learns to
	// read a name's context, shape and gazetteer categories rather than remember the name itself.
	WordDropout float64
	// Unlisted is the share of training sentences with names that are also learnt a second time as
	// if their names were in no list: the open-class gazetteer categories (forenames, surnames,
	// cities, regions) of their PER, LOC and ORG tokens are hidden, so that the tagger does not
	// count on the lists to know a name.
	Unlisted float64
}

type prepared struct {
	feats [][]uint64
	gold  []uint8
}

// wordFeatures returns the hashes of token i's word features (those WordDropout hides).
func (d *doc) wordFeatures(i int) [2]uint64 {
	cp := uint64(0)
	if d.caps[i] {
		cp = 1
	}
	return [2]uint64{mix(fWord, d.hw[i]), mix2(fWordCase, d.hw[i], cp)}
}

// Train fits the tagger's weights on examples with the averaged structured perceptron.
func Train(examples []Example, g *Gazetteer, cfg TrainConfig) *Tagger {
	var d doc
	data := make([]prepared, 0, len(examples))
	counts := map[uint64]int32{}
	wordKeys := map[uint64]bool{}
	urng := rand.New(rand.NewPCG(cfg.Seed, 0x0115))
	add := func(ex Example) {
		d.prepare(ex.Text, ex.Tokens, g)
		p := prepared{gold: ex.Tags, feats: make([][]uint64, len(ex.Tokens))}
		for i := range ex.Tokens {
			for _, h := range d.wordFeatures(i) {
				wordKeys[h] = true
			}
			p.feats[i] = append([]uint64(nil), d.tokenFeatures(i)...)
			for _, h := range p.feats[i] {
				counts[h]++
			}
		}
		data = append(data, p)
	}
	for _, ex := range examples {
		add(ex)
	}
	if cfg.Unlisted > 0 {
		for _, ex := range examples {
			var mask []bool
			for i, t := range ex.Tags {
				if l := tagLabel(t); t != 0 && l != Address {
					if mask == nil {
						mask = make([]bool, len(ex.Tags))
					}
					mask[i] = true
				}
			}
			if mask == nil || urng.Float64() >= cfg.Unlisted {
				continue
			}
			d.unlisted = mask
			add(ex)
			d.unlisted = nil
		}
	}
	index := map[uint64]int32{}
	var keys []uint64
	for h, c := range counts {
		if int(c) >= cfg.MinCount {
			keys = append(keys, h)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	isWord := make([]bool, len(keys))
	for i, h := range keys {
		index[h] = int32(i)
		isWord[i] = wordKeys[h]
	}
	for k := range data {
		for i, fs := range data[k].feats {
			kept := fs[:0]
			for _, h := range fs {
				if _, ok := index[h]; ok {
					kept = append(kept, h)
				}
			}
			data[k].feats[i] = kept
		}
	}

	bags := max(cfg.Bags, 1)
	if bags == 1 {
		rows, trans := trainOnce(data, index, isWord, g, keys, cfg, cfg.Seed)
		return &Tagger{gaz: g, model: build(keys, rows, &trans, cfg.Prune)}
	}
	// Bagging of the shuffling order: the averaged weights of models trained on different orders are
	// averaged again, which steadies the result against the order of the examples.
	var sum []float32
	var sumTrans [NumTags + 1][NumTags]float32
	one := cfg
	one.AfterEpoch = nil
	for b := range bags {
		rows, trans := trainOnce(data, index, isWord, g, keys, one, cfg.Seed+uint64(b)*7919)
		if sum == nil {
			sum = make([]float32, len(rows))
		}
		for i, v := range rows {
			sum[i] += v / float32(bags)
		}
		for p := range NumTags + 1 {
			for t := range NumTags {
				sumTrans[p][t] += trans[p][t] / float32(bags)
			}
		}
	}
	return &Tagger{gaz: g, model: build(keys, sum, &sumTrans, cfg.Prune)}
}

// trainOnce runs the structured perceptron over the prepared data in an order shuffled by seed and
// returns the averaged weights of the features (keys order) and of the transitions.
func trainOnce(data []prepared, index map[uint64]int32, isWord []bool, g *Gazetteer, keys []uint64, cfg TrainConfig, seed uint64) ([]float32, [NumTags + 1][NumTags]float32) {
	nf := len(isWord)
	w := make([]float32, nf*NumTags)
	u := make([]float32, nf*NumTags) // Σ c·Δ, for averaging
	var tw, tu [NumTags + 1][NumTags]float32
	c := float32(1)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	var sc Scratch
	var emit []float32
	var pred []uint8
	var hide []bool // per token of the current example: its word features are hidden
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			ex := data[k]
			n := len(ex.gold)
			if n == 0 {
				continue
			}
			emit = emit[:0]
			hide = hide[:0]
			for range n {
				hide = append(hide, cfg.WordDropout > 0 && rng.Float64() < cfg.WordDropout)
			}
			for i := range n {
				var e [NumTags]float32
				for _, h := range ex.feats[i] {
					x := int(index[h])
					if hide[i] && isWord[x] {
						continue
					}
					r := x * NumTags
					for t := range NumTags {
						e[t] += w[r+t]
					}
				}
				emit = append(emit, e[:]...)
			}
			pred = decode(n, emit, &tw, &sc, pred)
			prevG, prevP := uint8(NumTags), uint8(NumTags)
			for i := range n {
				gt, pt := ex.gold[i], pred[i]
				if gt != pt {
					for _, h := range ex.feats[i] {
						x := int(index[h])
						if hide[i] && isWord[x] {
							continue
						}
						r := x * NumTags
						w[r+int(gt)]++
						w[r+int(pt)]--
						u[r+int(gt)] += c
						u[r+int(pt)] -= c
					}
				}
				if gt != pt || prevG != prevP {
					tw[prevG][gt]++
					tw[prevP][pt]--
					tu[prevG][gt] += c
					tu[prevP][pt] -= c
				}
				prevG, prevP = gt, pt
			}
			c++
		}
		if cfg.AfterEpoch != nil && epoch < cfg.Epochs {
			rows, trans := averagedRows(w, u, &tw, &tu, c)
			cfg.AfterEpoch(epoch, &Tagger{gaz: g, model: build(keys, rows, &trans, cfg.Prune)})
		}
	}
	rows, trans := averagedRows(w, u, &tw, &tu, c)
	if cfg.AfterEpoch != nil {
		cfg.AfterEpoch(cfg.Epochs, &Tagger{gaz: g, model: build(keys, rows, &trans, cfg.Prune)})
	}
	return rows, trans
}

// averagedRows returns the averaged perceptron's weights: w − u/c.
func averagedRows(w, u []float32, tw, tu *[NumTags + 1][NumTags]float32, c float32) ([]float32, [NumTags + 1][NumTags]float32) {
	rows := make([]float32, len(w))
	for i := range w {
		rows[i] = w[i] - u[i]/c
	}
	var trans [NumTags + 1][NumTags]float32
	for p := range NumTags + 1 {
		for t := range NumTags {
			trans[p][t] = tw[p][t] - tu[p][t]/c
		}
	}
	return rows, trans
}

// build quantises weight rows into a model, dropping features whose largest weight (in absolute
// value) is below prune.
func build(keys []uint64, rows []float32, trans *[NumTags + 1][NumTags]float32, prune float32) *Model {
	var kept []int
	maxAbs := float32(0)
	for i := range keys {
		big := false
		for t := range NumTags {
			abs := float32(math.Abs(float64(rows[i*NumTags+t])))
			big = big || abs >= prune
			maxAbs = max(maxAbs, abs)
		}
		if big {
			kept = append(kept, i)
		}
	}
	scale := maxAbs / 32767
	if scale == 0 {
		scale = 1
	}
	m := newModel(len(kept), scale)
	for _, i := range kept {
		m.put(keys[i], quantise(rows[i*NumTags:(i+1)*NumTags], scale))
	}
	m.trans = *trans
	for l := range NumLabels {
		m.calA[l], m.calB[l] = 1, 0
	}
	return m
}

// Model returns the tagger's model.
func (t *Tagger) Model() *Model { return t.model }

// Calibrate fits, per label, the logistic map from a span's mean margin to the probability that it
// overlaps a gold span of its label, on labelled examples (a held-out set).
func (t *Tagger) Calibrate(examples []Example) {
	type obs struct {
		m  float64
		ok bool
	}
	byLabel := make([][]obs, NumLabels)
	var sc Scratch
	for _, ex := range examples {
		sc.toks = append(sc.toks[:0], ex.Tokens...)
		if len(sc.toks) == 0 {
			continue
		}
		sc.d.prepare(ex.Text, sc.toks, t.gaz)
		t.emissions(&sc)
		sc.tags = t.viterbi(&sc, sc.tags)
		gold := spansOf(ex.Tags)
		// In text order (not the map's), so that the fit, a floating-point sum, is reproducible.
		eachSpan(sc.tags, func(start, end int, label Label) {
			m := float32(0)
			for k := start; k < end; k++ {
				m += t.margin(&sc, k)
			}
			m /= float32(end - start)
			ok := false
			for g := range gold {
				ok = ok || (g.Label == label && g.Start < end && start < g.End)
			}
			byLabel[label] = append(byLabel[label], obs{float64(m), ok})
		})
	}
	for l := 1; l < NumLabels; l++ {
		a, b := 1.0, 0.0
		os := byLabel[l]
		if len(os) < 10 {
			t.model.calA[l], t.model.calB[l] = 1, 0
			continue
		}
		// Logistic regression in one variable, by gradient descent on the log-loss (with a small
		// prior pulling a toward 1 and b toward 0).
		for it := 0; it < 2000; it++ {
			var ga, gb float64
			for _, o := range os {
				p := 1 / (1 + math.Exp(-(a*o.m + b)))
				y := 0.0
				if o.ok {
					y = 1
				}
				ga += (p - y) * o.m
				gb += p - y
			}
			ga = ga/float64(len(os)) + 0.01*(a-1)
			gb = gb/float64(len(os)) + 0.01*b
			a -= 0.05 * ga
			b -= 0.5 * gb
		}
		t.model.calA[l], t.model.calB[l] = float32(a), float32(b)
	}
}

// tokenSpan is a span of tokens [Start, End) with its label.
type tokenSpan struct {
	Start, End int
	Label      Label
}

// spansOf reads the spans of a tag sequence.
func spansOf(tags []uint8) map[tokenSpan]bool {
	out := map[tokenSpan]bool{}
	eachSpan(tags, func(i, j int, l Label) { out[tokenSpan{i, j, l}] = true })
	return out
}

// eachSpan calls f for each span of a tag sequence: tokens [i, j) with label l.
func eachSpan(tags []uint8, f func(i, j int, l Label)) {
	for i := 0; i < len(tags); {
		if tags[i] == 0 {
			i++
			continue
		}
		l := tagLabel(tags[i])
		j := i + 1
		for j < len(tags) && tags[j] != 0 && !isBegin(tags[j]) && tagLabel(tags[j]) == l {
			j++
		}
		f(i, j, l)
		i = j
	}
}

// Counts are the entity-level counts of one label.
type Counts struct{ Gold, Predicted, Correct int }

// F1 is the harmonic mean of precision and recall.
func (c Counts) F1() (p, r, f float64) {
	if c.Predicted > 0 {
		p = float64(c.Correct) / float64(c.Predicted)
	}
	if c.Gold > 0 {
		r = float64(c.Correct) / float64(c.Gold)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

// Eval holds the counts of an evaluation per label: spans equal to a gold span, spans overlapping
// one (one-to-one), and word tokens inside gold and predicted spans.
type Eval struct {
	Exact, Overlap, Tokens [NumLabels]Counts
	// Places counts word tokens with locations and street addresses taken as one label, as
	// presidio-research's evaluation maps GPE and STREET_ADDRESS to LOCATION.
	Places Counts
}

// goldChars returns an example's gold spans in bytes.
func (ex Example) goldChars() []Span {
	var out []Span
	for g := range spansOf(ex.Tags) {
		out = append(out, Span{Start: int(ex.Tokens[g.Start].Start), End: int(ex.Tokens[g.End-1].End), Label: g.Label})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// Evaluate tags the examples' texts as the detector does (spans trimmed, scores calibrated, spans
// scoring below minScore dropped) and counts against the gold spans.
func (t *Tagger) Evaluate(examples []Example, minScore float64) Eval {
	var ev Eval
	var sc Scratch
	var pred []Span
	for _, ex := range examples {
		gold := ex.goldChars()
		pred = t.Tag(ex.Text, &sc, pred[:0])
		pred = slicesDeleteLow(pred, minScore)
		for _, g := range gold {
			ev.Exact[g.Label].Gold++
			ev.Overlap[g.Label].Gold++
		}
		usedE := make([]bool, len(gold))
		usedO := make([]bool, len(gold))
		for _, p := range pred {
			ev.Exact[p.Label].Predicted++
			ev.Overlap[p.Label].Predicted++
			for k, g := range gold {
				if !usedE[k] && g.Label == p.Label && g.Start == p.Start && g.End == p.End {
					usedE[k] = true
					ev.Exact[p.Label].Correct++
					break
				}
			}
			for k, g := range gold {
				if !usedO[k] && g.Label == p.Label && g.Start < p.End && p.Start < g.End {
					usedO[k] = true
					ev.Overlap[p.Label].Correct++
					break
				}
			}
		}
		for _, tk := range ex.Tokens {
			if tk.End-tk.Start == 1 && !isWordRune(rune(ex.Text[tk.Start])) {
				continue
			}
			g, p := labelAt(gold, tk), labelAt(pred, tk)
			ev.Tokens[g].Gold++
			ev.Tokens[p].Predicted++
			if g == p {
				ev.Tokens[g].Correct++
			}
			gp, pp := g == Location || g == Address, p == Location || p == Address
			if gp {
				ev.Places.Gold++
			}
			if pp {
				ev.Places.Predicted++
			}
			if gp && pp {
				ev.Places.Correct++
			}
		}
	}
	return ev
}

func labelAt(spans []Span, tk Token) Label {
	for _, s := range spans {
		if s.Start < int(tk.End) && int(tk.Start) < s.End {
			return s.Label
		}
	}
	return None
}

func slicesDeleteLow(spans []Span, minScore float64) []Span {
	out := spans[:0]
	for _, s := range spans {
		if s.Score >= minScore {
			out = append(out, s)
		}
	}
	return out
}

// Mismatches describes, for each example whose predicted spans (at minScore) differ from the gold
// ones, the text with both (for error analysis).
func (t *Tagger) Mismatches(examples []Example, minScore float64) []string {
	var out []string
	var sc Scratch
	show := func(text string, spans []Span) string {
		var parts []string
		for _, s := range spans {
			parts = append(parts, fmt.Sprintf("%s:%q(%.2f)", LabelNames[s.Label], text[s.Start:s.End], s.Score))
		}
		return strings.Join(parts, " ")
	}
	for _, ex := range examples {
		gold := ex.goldChars()
		for i := range gold {
			gold[i].Score = 1
		}
		pred := slicesDeleteLow(t.Tag(ex.Text, &sc, nil), minScore)
		g, p := show(ex.Text, gold), show(ex.Text, pred)
		if strings.ReplaceAll(g, "(1.00)", "") != stripScores(p) {
			out = append(out, fmt.Sprintf("%q\n   gold %s\n   pred %s", ex.Text, g, p))
		}
	}
	return out
}

func stripScores(s string) string {
	var b strings.Builder
	skip := false
	for _, r := range s {
		switch {
		case r == '(' && !skip:
			skip = true
		case r == ')' && skip:
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}
