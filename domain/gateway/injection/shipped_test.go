package injection_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/gateway/injection"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/dataset"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/learn"
)

// shippedFigure is one source's figure of the shipped detector.
type shippedFigure struct {
	Source string  `json:"source"`
	Label  int     `json:"label"`
	N      int     `json:"n"`
	Rate   float64 `json:"rate"` // recall (attacks) or FPR (benign) at DefaultThreshold
	AUC    float64 `json:"auc"`  // against every item of the other class
}

// shippedFigures scores every development item through the public API
// (documents with ScanDocument) at DefaultThreshold.
func shippedFigures(items []dataset.Item) []shippedFigure {
	scores := make([]float64, len(items))
	var pos, neg []float64
	for i, it := range items {
		var r injection.Result
		if it.Kind == "document" {
			r = det.ScanDocument(it.Text)
		} else {
			r = det.Scan(it.Text)
		}
		scores[i] = r.Score
		if it.Label == 1 {
			pos = append(pos, r.Score)
		} else {
			neg = append(neg, r.Score)
		}
	}
	var out []shippedFigure
	for _, src := range dataset.Sources() {
		var mine []float64
		for i, it := range items {
			if it.Source == src.Name {
				mine = append(mine, scores[i])
			}
		}
		if len(mine) == 0 {
			continue
		}
		f := shippedFigure{Source: src.Name, Label: src.Label, N: len(mine), Rate: learn.Rate(mine, injection.DefaultThreshold)}
		if src.Label == 1 {
			f.AUC = learn.AUC(mine, neg)
		} else {
			f.AUC = learn.AUC(pos, mine)
		}
		out = append(out, f)
	}
	// Benign prompts arriving as tool results (read as documents, with the
	// document calibration): the typed instructions of the benign sources.
	for _, src := range dataset.Sources() {
		if src.Label != 0 {
			continue
		}
		var mine []float64
		for _, it := range items {
			if it.Source == src.Name && it.Kind != "document" {
				mine = append(mine, det.ScanDocument(it.Text).Score)
			}
		}
		if len(mine) == 0 {
			continue
		}
		out = append(out, shippedFigure{Source: src.Name + " as tool result", Label: 0, N: len(mine), Rate: learn.Rate(mine, injection.DefaultThreshold), AUC: learn.AUC(pos, mine)})
	}
	return out
}

// TestShippedFigures is the CI check on a fixed split, the whole development
// set: the shipped model, through the public API, must stay at the figures
// recorded when it was trained (testdata/shipped_figures.json, written by the
// training command with INJECTION_WRITE_FIGURES=1): per source, recall or
// false-positive rate within 1 point and ROC-AUC within 0.005. These are
// in-sample figures (the model was trained on these items); the held-out
// ones are TestDetector_Metrics'.
func TestShippedFigures(t *testing.T) {
	items := loadShared(t)
	got := shippedFigures(items)
	path := filepath.Join("testdata", "shipped_figures.json")
	if os.Getenv("INJECTION_WRITE_FIGURES") == "1" {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		var md strings.Builder
		fmt.Fprintf(&md, "## Shipped model on the development data (in-sample, not held out)\n\nThe detector as shipped (%s), through the public API (`Scan`, `ScanDocument` for tool outputs), at `DefaultThreshold` = %.2f. `TestShippedFigures` holds the model to these figures in CI.\n\n| source | class | n | ROC-AUC | at DefaultThreshold |\n|---|---|---|---|---|\n", injection.Version, injection.DefaultThreshold)
		for _, f := range got {
			what, cls := "recall", "attack"
			if f.Label == 0 {
				what, cls = "FPR", "benign"
			}
			fmt.Fprintf(&md, "| %s | %s | %d | %.4f | %s %.1f%% |\n", f.Source, cls, f.N, f.AUC, what, 100*f.Rate)
		}
		if err := os.WriteFile(filepath.Join("testdata", "shipped_figures.md"), []byte(md.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("recorded figures: %v (run the training command)", err)
	}
	var want []shippedFigure
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%d sources measured, %d recorded", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		t.Logf("%-28s n=%4d AUC %.4f rate %.1f%%", g.Source, g.N, g.AUC, 100*g.Rate)
		if g.Source != w.Source || g.N != w.N {
			t.Errorf("source %d: measured %s (n=%d), recorded %s (n=%d)", i, g.Source, g.N, w.Source, w.N)
			continue
		}
		if math.Abs(g.Rate-w.Rate) > 0.01 {
			t.Errorf("%s: rate %.1f%%, recorded %.1f%%", g.Source, 100*g.Rate, 100*w.Rate)
		}
		if math.Abs(g.AUC-w.AUC) > 0.005 {
			t.Errorf("%s: ROC-AUC %.4f, recorded %.4f", g.Source, g.AUC, w.AUC)
		}
	}
}
