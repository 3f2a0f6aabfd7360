package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
)

// experiment is the tuning protocol that reads neither test set: each presidio template fold 0–3 is
// held out in turn (the tagger learns from the other three, never fold 4), and the WNUT-17 dev file
// is split by sentence parity: the even sentences may be learnt from (devFit), the odd ones are only
// measured. It prints the pooled token F1 of PERSON, LOCATION and ORGANIZATION on the held-out
// presidio folds and the mean over the four models on the odd dev sentences.
func experiment(presidio [5][]ner.Example, wnut map[string][]ner.Example, synthetic []ner.Example, gaz *ner.Gazetteer, weight, epochs int, devFit bool) {
	devEven, devOdd := splitParity(wnut["emerging.dev.conll"])
	var pooled, wn ner.Eval
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			train := slices.Concat(wnut["wnut17train.conll"], synthetic)
			if devFit {
				train = append(train, devEven...)
			}
			for range weight {
				for j := range 4 {
					if j != k {
						train = append(train, presidio[j]...)
					}
				}
			}
			t := ner.Train(train, gaz, ner.TrainConfig{Epochs: epochs, MinCount: 2, Seed: trainSeed, Prune: 0.05, WordDropout: wordDropout, Unlisted: unlisted})
			ep, ew := t.Evaluate(presidio[k], 0), t.Evaluate(devOdd, 0)
			mu.Lock()
			addEval(&pooled, ep)
			addEval(&wn, ew)
			mu.Unlock()
		}()
	}
	wg.Wait()
	line := func(name string, ev ner.Eval) float64 {
		fmt.Printf("%-34s", name)
		sum := 0.0
		for _, l := range []ner.Label{ner.Person, ner.Location, ner.Organization} {
			p, r, f := ev.Tokens[l].F1()
			sum += f
			fmt.Printf(" | %s P %.3f R %.3f F1 %.3f", ner.LabelNames[l], p, r, f)
		}
		fmt.Printf(" | mean %.4f\n", sum/3)
		return sum / 3
	}
	a := line("presidio folds 0-3 held out", pooled)
	b := line("WNUT-17 dev, odd sentences", wn)
	fmt.Printf("EXP score (mean of both means) %.4f\n", (a+b)/2)
}
