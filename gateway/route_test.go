package gateway

import (
	"fmt"
	"testing"
)

func TestPick_DeterministicPerRequestIDAndProportional(t *testing.T) {
	weights := []int{3, 1}
	counts := [2]int{}
	for i := range 10000 {
		id := fmt.Sprintf("req_%020x", i)
		k := Pick(weights, id)
		if Pick(weights, id) != k {
			t.Fatalf("%s picked differently twice", id)
		}
		counts[k]++
	}
	// 7,500 expected; 4 standard deviations (≈43) either side.
	if counts[0] < 7330 || counts[0] > 7670 {
		t.Fatalf("split %v, want about 7500:2500", counts)
	}
	groups := [][]WeightedTarget{{{Weight: 1}}}
	groups[0][0].Provider, groups[0][0].Model = "a", "m"
	if o := OrderFor(groups, "x"); len(o) != 1 || o[0].Provider != "a" {
		t.Fatalf("order %v", o)
	}
}
