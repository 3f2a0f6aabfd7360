// Package pipeline turns labelled items into model samples and runs the
// evaluations (leave-one-source-out, grouped k-fold, in-sample) shared by the
// training program and the metric tests.
package pipeline

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
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
	if v, err := strconv.ParseFloat(os.Getenv("INJ_L2"), 64); err == nil {
		cfg.L2 = v
	}
	if v, err := strconv.ParseFloat(os.Getenv("INJ_LR"), 64); err == nil {
		cfg.LR = v
	}
	// Stage 2 is fitted on stage-1 scores of origins that stage 1 never
	// saw, so it learns how far the n-gram model carries to a new data set
	// (and leans on the rule evidence where it does not).
	cfg.StackByOrigin = os.Getenv("INJ_STACK_ORIGIN") != "0"
	if v, err := strconv.Atoi(os.Getenv("INJ_EPOCHS")); err == nil {
		cfg.Epochs = v
	}
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

// Featurize analyses every item once (documents in the document context).
// Sample weights balance sources (weight ∝ 1/sqrt(source size)) and then
// the two classes.
func Featurize(e *engine.Engine, items []dataset.Item) []learn.Sample {
	samples := make([]learn.Sample, len(items))
	groups := map[string]int{}
	origins := map[string]int{}
	var feats []uint32
	for i, it := range items {
		feats = feats[:0]
		a := e.Analyze(it.Text, engine.Context{Document: it.Kind == "document"}, nil, &feats)
		ev := a.Evidence()
		evDoc := ev
		if it.Kind != "document" {
			d := e.Analyze(it.Text, engine.Context{Document: true}, nil, nil)
			evDoc = d.Evidence()
		}
		g, ok := groups[it.Group]
		if !ok {
			g = len(groups)
			groups[it.Group] = g
		}
		samples[i] = learn.NewSample(feats, ev[:], float64(it.Label), g)
		samples[i].EvDoc = append([]float64(nil), evDoc[:]...)
		o, ok := origins[it.Origin]
		if !ok {
			o = len(origins) + 1
			origins[it.Origin] = o
		}
		samples[i].Origin = o
		samples[i].Synthetic = it.Origin == "synthetic"
		samples[i].Doc = it.Kind == "document"
	}
	Reweight(items, samples)
	return samples
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
	// leave-one-source-out only
	HeldOrigin bool   // the item belongs to the held-out origin
	Fold       int    // which held-out origin's model scored it
	Lang       string // the item's language
	Origin     string
	Text       string
}

// Origins lists the upstream data sets in the items (synthetic excluded), sorted.
func Origins(items []dataset.Item) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if it.Origin != "synthetic" && !seen[it.Origin] {
			seen[it.Origin] = true
			out = append(out, it.Origin)
		}
	}
	sort.Strings(out)
	return out
}

// LOSO is leave-one-source-out: for each upstream data set (every file of
// ../shared/data/prompt_injection belongs to one; the BIPIA attack files and
// the e-mails they are inserted into form one, as do a file's attack and
// benign rows) a model is trained without it and without a grouped fifth of
// the remaining development items, and it scores both. The held-out fifth
// supplies the other class for the AUC of single-class sources, scored by
// the same model. Every fold picks its own threshold by the shipped rule.
func LOSO(items []dataset.Item, samples []learn.Sample, cfg learn.Config) []Scored {
	var out []Scored
	for oi, o := range Origins(items) {
		train, test := LOSOSplit(items, samples, oi, o, cfg)
		m := learn.Fit(samples, train, cfg)
		for _, i := range test {
			it := &items[i]
			out = append(out, Scored{Source: it.Source, Label: it.Label, Score: m.Score(&samples[i]), Threshold: m.ThresholdFor(&samples[i]),
				HeldOrigin: it.Origin == o, Fold: oi, Lang: it.Lang, Origin: it.Origin, Text: it.Text})
		}
	}
	return out
}

// LOSOSplit returns the training and test items of fold oi (origin o held
// out, with a grouped fifth of the rest for the other class of the AUC).
func LOSOSplit(items []dataset.Item, samples []learn.Sample, oi int, o string, cfg learn.Config) (train, test []int) {
	var rest []int
	for i, it := range items {
		if it.Origin != o && it.Origin != "synthetic" {
			rest = append(rest, i)
		}
	}
	slice := learn.Folds(samples, rest, 5, cfg.Seed+uint64(oi)+1)[0]
	out1 := map[int]bool{}
	for _, i := range slice {
		out1[i] = true
	}
	for i, it := range items {
		if it.Origin == o || out1[i] {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	return train, test
}

// LOSOTable summarises a leave-one-source-out run: one row per source of
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

// LangRow is one language of a leave-one-source-out run.
type LangRow struct {
	Lang            string
	NAttack, NBenig int
	Recall, FPR     float64
	AUC             float64 // attacks against benign items of the language (NaN when one class is missing)
}

// LangTable summarises held-out items by language (each scored by the model
// that never saw its source).
func LangTable(sc []Scored) []LangRow {
	type acc struct {
		pos, neg  []float64
		hit, fals int
	}
	m := map[string]*acc{}
	for _, s := range sc {
		if !s.HeldOrigin {
			continue
		}
		a := m[s.Lang]
		if a == nil {
			a = &acc{}
			m[s.Lang] = a
		}
		if s.Label == 1 {
			a.pos = append(a.pos, s.Score)
			if s.Score >= s.Threshold {
				a.hit++
			}
		} else {
			a.neg = append(a.neg, s.Score)
			if s.Score >= s.Threshold {
				a.fals++
			}
		}
	}
	var rows []LangRow
	for l, a := range m {
		r := LangRow{Lang: l, NAttack: len(a.pos), NBenig: len(a.neg), Recall: math.NaN(), FPR: math.NaN(), AUC: learn.AUC(a.pos, a.neg)}
		if len(a.pos) > 0 {
			r.Recall = float64(a.hit) / float64(len(a.pos))
		}
		if len(a.neg) > 0 {
			r.FPR = float64(a.fals) / float64(len(a.neg))
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Lang < rows[j].Lang })
	return rows
}

// FormatLang renders a language table.
func FormatLang(title string, rows []LangRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n  %-5s %8s %8s %8s %8s %7s\n", title, "lang", "attacks", "recall", "benign", "FPR", "AUC")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-5s %8d %7.1f%% %8d %7.1f%% %7.4f\n", r.Lang, r.NAttack, 100*r.Recall, r.NBenig, 100*r.FPR, r.AUC)
	}
	return b.String()
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
			out = append(out, Scored{Source: items[i].Source, Label: items[i].Label, Score: m.Score(&samples[i]), Threshold: m.ThresholdFor(&samples[i])})
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

// Markdown renders a source table as Markdown.
func Markdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| source | class | n | ROC-AUC | at the threshold | fold threshold |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		what, cls := "recall", "attack"
		if r.Label == 0 {
			what, cls = "FPR", "benign"
		}
		thr := ""
		if r.Thr > 0 {
			thr = fmt.Sprintf("%.2f", r.Thr)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %.4f | %s %.1f%% | %s |\n", r.Source, cls, r.N, r.AUC, what, 100*r.Rate, thr)
	}
	return b.String()
}

// MarkdownLang renders a language table as Markdown.
func MarkdownLang(rows []LangRow) string {
	var b strings.Builder
	b.WriteString("| language | attacks | recall | benign | FPR | ROC-AUC |\n|---|---|---|---|---|---|\n")
	pct := func(v float64) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	for _, r := range rows {
		auc := "–"
		if !math.IsNaN(r.AUC) {
			auc = fmt.Sprintf("%.4f", r.AUC)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %s | %s |\n", r.Lang, r.NAttack, pct(r.Recall), r.NBenig, pct(r.FPR), auc)
	}
	return b.String()
}
