// Command train builds the injection detector's model and reports honest
// metrics. It is not run by the tests.
//
//	go run ./domain/gateway/injection/internal/train            # evaluate, train, write the model
//	go run ./domain/gateway/injection/internal/train -eval=false # train and write only
//
// Data: the development files under ../shared/data/prompt_injection (or
// $ASTRA_SHARED_DATA) plus the synthetic items of internal/dataset. The
// BIPIA attack instructions are inserted into the clean e-mails to build
// indirect-injection positives.
//
// Model: stage 1 is a logistic regression (Adagrad, 6 epochs, L2) over
// 2^18 signed hashed features: word unigrams and bigrams and character
// 4-grams of the normalised tokens. Stage 2 is a logistic combiner of the
// stage-1 logit and the rule evidence (family and cue scores), fitted on
// out-of-fold stage-1 logits (4 inner folds) with non-negative coefficients
// for attack evidence, so scores read as probabilities under balanced
// classes. Each context has its own threshold, set on the out-of-origin
// training scores of its own negatives (see learn.Fit). Samples are weighted by
// 1/sqrt(source size) and the classes balanced. Every step is deterministic.
//
// Evaluation: leave-one-source-out (the model never sees the held-out file;
// each fold picks its own threshold by the same rule) and grouped 5-fold
// cross-validation; the in-sample table of the shipped model is printed last.
//
// Output: internal/engine/model.bin (int16 stage-1 weights, 512 KiB) and
// internal/engine/model_gen.go (bias, scale, stage-2 coefficients, threshold).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/gateway/injection/internal/dataset"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/engine"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/learn"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/pipeline"
)

func main() {
	eval := flag.Bool("eval", true, "run the leave-one-source-out evaluation and write docs/detectors-injection.md")
	write := flag.Bool("write", true, "write the model files")
	kfold := flag.Bool("kfold", false, "also run the pooled grouped 5-fold cross-validation (for information only: never tune on it)")
	flag.Parse()
	start := time.Now()
	_, file, _, _ := runtime.Caller(0)
	pkgDir := filepath.Join(filepath.Dir(file), "..", "..")
	root := filepath.Join(pkgDir, "..", "..", "..")

	dir, err := dataset.Dir()
	if err != nil {
		log.Fatal(err)
	}
	items, err := dataset.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	items = append(items, dataset.Synthetic()...)
	e, err := engine.New()
	if err != nil {
		log.Fatal(err)
	}
	samples := pipeline.Featurize(e, items)
	cfg := pipeline.Config()
	log.Printf("%d items featurised in %v", len(items), time.Since(start))

	var doc strings.Builder
	if *eval {
		t0 := time.Now()
		sc := pipeline.LOSO(items, samples, cfg)
		mean, rows := pipeline.LOSOTable(sc)
		fmt.Print(pipeline.Format("HELD-OUT: leave-one-source-out (each data set scored by a model that never saw it; AUC against the same model's held-out items of the other class; overall = mean)", mean, rows))
		fmt.Printf("  fold thresholds: %v (%v)\n\n", pipeline.Thresholds(sc), time.Since(t0))
		langs := pipeline.LangTable(sc)
		if src := os.Getenv("INJ_DUMP"); src != "" { // development aid: print held-out errors of one source
			for _, s := range sc {
				if s.HeldOrigin && s.Source == src && (s.Score >= s.Threshold) != (s.Label == 1) {
					fmt.Printf("MISS %.3f %.160q\n", s.Score, s.Text)
				}
			}
		}
		minRec, maxFPR, minLang := 1.0, 0.0, 1.0
		for _, r := range rows {
			if r.Label == 1 {
				minRec = min(minRec, r.Rate)
			} else {
				maxFPR = max(maxFPR, r.Rate)
			}
		}
		for _, l := range langs {
			if l.NAttack >= 20 {
				minLang = min(minLang, l.Recall)
			}
		}
		fmt.Printf("SUMMARY mean AUC %.4f, min recall %.3f, max FPR %.3f, min language recall %.3f\n", mean, minRec, maxFPR, minLang)
		fmt.Print(pipeline.FormatLang("HELD-OUT by language (leave-one-source-out scores)", langs))
		fmt.Fprintf(&doc, "## Leave-one-source-out, per source\n\nMean ROC-AUC over sources: **%.4f**. Recall (attack sources) and false-positive rate (benign sources) at the threshold that each fold's model chose by the shipped rule, from its own out-of-origin training scores only: typed texts against the user threshold (the lowest value >= %.2f at which every benign origin of typed texts has a false-positive rate <= 3%% and all of them together <= 1%%), tool outputs against the document threshold (every origin of benign documents <= 3%%, and the typed benign texts read as documents <= 3%% averaged over their origins). These figures score each text whole through the engine (no segment windows); the robustness and shipped-model figures go through the public API.\n\n%s\n", mean, cfg.MinThresh, pipeline.Markdown(rows))
		fmt.Fprintf(&doc, "## Leave-one-source-out, per language\n\nEvery item scored by the model trained without its source; recall over the attacks and false-positive rate over the benign items written in that language (languages from the source's labels; deepset rows told apart as en/de by function words, promptwall rows by script).\n\n%s\n", pipeline.MarkdownLang(langs))
		if *kfold {
			sc = pipeline.KFold(items, samples, 5, cfg)
			o, rows := pipeline.Table(sc)
			fmt.Print(pipeline.Format("POOLED grouped 5-fold cross-validation (out-of-fold scores; information only)", o, rows))
		}
	}

	all := make([]int, len(items))
	for i := range all {
		all[i] = i
	}
	m := learn.Fit(samples, all, cfg)
	var sc []pipeline.Scored
	for i, it := range items {
		sc = append(sc, pipeline.Scored{Source: it.Source, Label: it.Label, Score: m.Score(&samples[i]), Threshold: m.ThresholdFor(&samples[i])})
	}
	o, rows := pipeline.Table(sc)
	fmt.Print(pipeline.Format(fmt.Sprintf("IN-SAMPLE: shipped model on its own training data (threshold %.2f; documents %.2f)", m.Threshold, m.ThresholdDoc), o, rows))
	fmt.Printf("stage-2 coefficients: bias %.3f, stage1 %.3f\n", m.C[0], m.C[1])
	for i, n := range engine.EvidenceNames() {
		fmt.Printf("  %-20s %.3f\n", n, m.C[2+i])
	}

	if *write {
		out := filepath.Join(pkgDir, "internal", "engine")
		bin, scale := engine.EncodeWeights(m.W)
		if err := os.WriteFile(filepath.Join(out, "model.bin"), bin, 0o644); err != nil {
			log.Fatal(err)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "// Code generated by internal/train; DO NOT EDIT.\n\npackage engine\n\nconst (\n")
		fmt.Fprintf(&b, "\tmodel1Bias = %v\n\tmodel1Scale = %v\n\tModelThreshold = %v\n\tModelThresholdDoc = %v\n)\n\n", m.B, scale, m.Threshold, m.ThresholdDoc)
		fmt.Fprintf(&b, "var model2 = [2 + NumEvidence]float64{")
		for i, c := range m.C {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%v", c)
		}
		b.WriteString("}\n")
		src, err := format.Source(b.Bytes())
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, "model_gen.go"), src, 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("model written to %s", out)
	}
	if *eval && *write {
		// The shipped model's figures through the public API (segments,
		// decoding, contexts) are measured and recorded by the package test,
		// which CI then holds the model to.
		cmd := exec.Command("go", "test", "-count=1", "-run", "^TestShippedFigures$", "./domain/gateway/injection/")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "INJECTION_WRITE_FIGURES=1")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			log.Fatal(err)
		}
		shipped, err := os.ReadFile(filepath.Join(pkgDir, "testdata", "shipped_figures.md"))
		if err != nil {
			log.Fatal(err)
		}
		head := fmt.Sprintf("# Prompt-injection detector: measured figures\n\nGenerated by `go run ./domain/gateway/injection/internal/train` (detector %s, %d items from `../shared/data/prompt_injection` plus %d synthetic training items; %v on one core). Data, labels and protocol: [domain/gateway/injection/README.md](../domain/gateway/injection/README.md#evaluation).\n\n", engine.ModelVersion, len(items)-len(dataset.Synthetic()), len(dataset.Synthetic()), time.Since(start).Round(time.Second))
		if err := os.WriteFile(filepath.Join(root, "docs", "detectors-injection.md"), []byte(head+doc.String()+string(shipped)), 0o644); err != nil {
			log.Fatal(err)
		}
		log.Printf("figures written to docs/detectors-injection.md")
	}
	log.Printf("done in %v", time.Since(start))
}
