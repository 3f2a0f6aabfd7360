package injection_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

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

// TestDetector_Metrics retrains the model leave-one-source-out on the shared
// development data (every upstream data set scored by a model that never saw
// it, each fold choosing its threshold by the shipped rule) and asserts the
// floors measured when the shipped model was trained (docs/detectors-injection.md):
// the mean ROC-AUC over sources and, per source, recall or false-positive rate.
func TestDetector_Metrics(t *testing.T) {
	if testing.Short() {
		t.Skip("leave-one-source-out retrains 13 models; skipped in -short mode")
	}
	items := loadShared(t)
	e, err := engine.New()
	if err != nil {
		t.Fatal(err)
	}
	all := append(items, dataset.Synthetic()...)
	samples := pipeline.Featurize(e, all)
	cfg := pipeline.Config()
	lo := pipeline.LOSO(all, samples, cfg)
	mean, rows := pipeline.LOSOTable(lo)
	t.Log("\n" + pipeline.Format("HELD-OUT leave-one-source-out (mean of per-source AUCs; per-fold thresholds "+fmtList(pipeline.Thresholds(lo))+")", mean, rows))
	langs := pipeline.LangTable(lo)
	t.Log("\n" + pipeline.FormatLang("HELD-OUT by language", langs))
	for _, l := range langs {
		if l.NAttack < 20 {
			continue
		}
		floor, ok := losoLangFloor[l.Lang]
		if !ok {
			t.Errorf("language %s has %d held-out attacks and no recall floor", l.Lang, l.NAttack)
		} else if l.Recall < floor {
			t.Errorf("held-out recall in %s is %.1f%% < %.1f%% (floor)", l.Lang, 100*l.Recall, 100*floor)
		}
	}
	if mean < losoMeanFloor {
		t.Errorf("leave-one-source-out mean ROC-AUC %.4f < %.3f (floor)", mean, losoMeanFloor)
	}
	for _, r := range rows {
		if r.Label == 1 && r.Rate < losoRecallFloor[r.Source] {
			t.Errorf("held-out recall on %s is %.1f%% < %.1f%% (floor)", r.Source, 100*r.Rate, 100*losoRecallFloor[r.Source])
		}
		if r.Label == 0 && r.Rate > losoFPRCeiling {
			t.Errorf("held-out FPR on %s is %.1f%% > %.1f%%", r.Source, 100*r.Rate, 100*losoFPRCeiling)
		}
	}
}

func fmtList(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

// Floors of the leave-one-source-out evaluation, set from the figures
// measured when the model was trained (docs/detectors-injection.md), a
// little below them so that the deterministic retraining passes and a
// regression does not.
const (
	losoMeanFloor  = 0.962 // measured 0.9659
	losoFPRCeiling = 0.03  // the target; measured at most 3.0% (wildguard_benign)
)

// measured recall minus about 3 points (docs/detectors-injection.md); all
// but promptguard and bipia_code are below the 80% target, which the
// README reports
var losoRecallFloor = map[string]float64{
	dataset.SrcGarak: 0.74, dataset.SrcGarakSys: 0.68, dataset.SrcPGAttacks: 0.92, dataset.SrcBIPIAText: 0.65,
	dataset.SrcBIPIACode: 0.93, dataset.SrcDeepsetInj: 0.28, dataset.SrcXSafetyHij: 0.64, dataset.SrcAgentDojoInj: 0.71,
	dataset.SrcPromptwallA: 0.62,
}

// losoLangFloor: held-out recall per language (those with at least 20
// held-out attacks), measured minus about 3 points; the target is 70%.
var losoLangFloor = map[string]float64{
	"ar": 0.60, "bn": 0.31, "de": 0.55, "en": 0.68, "es": 0.69, "fr": 0.69, "hi": 0.71, "ja": 0.62, "ru": 0.63, "zh": 0.70,
}
