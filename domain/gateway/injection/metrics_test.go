package injection_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/gateway/injection"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/dataset"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/engine"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/pipeline"
)

// loadShared reads the development sets from ../shared/data (relative to the
// module root) or $ASTRA_SHARED_DATA. Missing data skips the test locally and
// fails it on CI.
func loadShared(t *testing.T) []dataset.Item {
	t.Helper()
	dir, err := dataset.Dir()
	if err == nil {
		var items []dataset.Item
		if items, err = dataset.Load(dir); err == nil {
			return items
		}
	}
	if os.Getenv("CI") == "true" || !errors.Is(err, dataset.ErrMissing) && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("shared data: %v", err)
	}
	t.Skipf("shared data not available: %v", err)
	return nil
}

// TestDetector_Metrics measures the detector on the shared development data.
//
// Asserted (held-out, grouped 5-fold cross-validation: every item is scored
// by a model trained without it or its near-duplicates, each fold choosing
// its own threshold by the shipped rule): overall ROC-AUC >= 0.95 and
// false-positive rate <= 3% on each benign set.
//
// Reported: leave-one-origin-out (each upstream data set scored by a model
// that never saw it; a regression floor is asserted), and the in-sample
// numbers of the shipped detector at DefaultThreshold (not held out).
func TestDetector_Metrics(t *testing.T) {
	items := loadShared(t)

	// In-sample: the shipped detector through the public API.
	var sc []pipeline.Scored
	for _, it := range items {
		r := det.Scan(it.Text)
		sc = append(sc, pipeline.Scored{Source: it.Source, Label: it.Label, Score: r.Score, Threshold: injection.DefaultThreshold})
	}
	overall, rows := pipeline.Table(sc)
	t.Log("\n" + pipeline.Format("IN-SAMPLE (shipped model, trained on these items) at DefaultThreshold", overall, rows))

	// Held-out evaluations retrain the same pipeline (deterministic).
	e, err := engine.New()
	if err != nil {
		t.Fatal(err)
	}
	all := append(items, dataset.Synthetic()...)
	samples := pipeline.Featurize(e, all)
	cfg := pipeline.Config()

	kf := pipeline.KFold(all, samples, 5, cfg)
	overall, rows = pipeline.Table(kf)
	t.Log("\n" + pipeline.Format("HELD-OUT grouped 5-fold CV (out-of-fold scores; per-fold thresholds "+fmtList(pipeline.Thresholds(kf))+")", overall, rows))
	ece, cal := pipeline.Calibration(kf)
	t.Logf("calibration of the out-of-fold scores, ECE %.3f\n%s", ece, cal)
	if overall < 0.95 {
		t.Errorf("held-out ROC-AUC %.4f < 0.95", overall)
	}
	for _, r := range rows {
		if r.Label == 0 && r.Rate > 0.03 {
			t.Errorf("held-out FPR on %s is %.1f%% > 3%%", r.Source, 100*r.Rate)
		}
	}

	if testing.Short() {
		t.Log("leave-one-origin-out skipped in -short mode")
		return
	}
	lo := pipeline.LOSO(all, samples, cfg)
	mean, rows := pipeline.LOSOTable(lo)
	t.Log("\n" + pipeline.Format("HELD-OUT leave-one-origin-out (mean of per-source AUCs; per-fold thresholds "+fmtList(pipeline.Thresholds(lo))+")", mean, rows))
	if mean < 0.93 {
		t.Errorf("leave-one-origin-out mean ROC-AUC %.4f < 0.93 (regression floor)", mean)
	}
}

func fmtList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}
