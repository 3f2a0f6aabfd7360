package trust

import (
	"math"
	"testing"
	"time"
)

func TestDecay_HalvesTheDistanceToTheFloorEachHalfLife(t *testing.T) {
	d := Decay{HalfLife: 24 * time.Hour, Floor: 40}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if v := Decayed(90, t0, t0.Add(24*time.Hour), d, ModelExponential); math.Abs(v-65) > 1e-9 {
		t.Fatalf("after one half-life: %v, want 65", v)
	}
	if v := Decayed(90, t0, t0.Add(48*time.Hour), d, ModelExponential); math.Abs(v-52.5) > 1e-9 {
		t.Fatalf("after two: %v", v)
	}
	if v := Decayed(90, t0, t0.Add(48*time.Hour), d, ModelNone); v != 90 {
		t.Fatalf("no decay: %v", v)
	}
}

func TestAggregate_EqualsTheSumOfDecayedSignals(t *testing.T) {
	cfg := DefaultDecay()
	d := cfg.Pillars[Security]
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var st PillarState
	var sum, w float64
	now := t0.Add(50 * 24 * time.Hour) // after every signal
	for i := 0; i < 1000; i++ {
		s := Signal{Pillar: Security, Score: float64(i % 100), Weight: 1 + float64(i%3), At: t0.Add(time.Duration(i) * time.Hour)}
		st.Add(s, d)
		sum += s.Weight * Decayed(s.Score, s.At, now, d, cfg.Model)
		w += s.Weight
	}
	got, _ := st.At(now, cfg.Model)
	if math.Abs(got-sum/w) > 1e-6 {
		t.Fatalf("aggregate %v vs direct %v", got, sum/w)
	}
}

func TestCompose_RenormalisesAwayUnknownPillars(t *testing.T) {
	cfg := DefaultDecay()
	now := time.Now()
	st := map[string]*PillarState{}
	st[Security] = &PillarState{}
	st[Security].Add(Signal{Pillar: Security, Score: 80, At: now}, cfg.Pillars[Security])
	sc := Compose(st, DefaultWeights, cfg, now)
	if sc.Composite != 80 || sc.Grade != "B-" || sc.Pillars[Compliance].Known {
		t.Fatalf("%+v", sc)
	}
	empty := Compose(map[string]*PillarState{}, DefaultWeights, cfg, now)
	if empty.Known || empty.Grade != "unknown" {
		t.Fatalf("no signals: %+v", empty)
	}
}

func TestGrades(t *testing.T) {
	for s, g := range map[float64]string{97: "A+", 93: "A", 90.1: "A-", 87.5: "B+", 83: "B", 80: "B-", 77: "C+", 73: "C", 70: "C-", 60: "D", 59.9: "F"} {
		if Grade(s) != g {
			t.Errorf("%v → %s, want %s", s, Grade(s), g)
		}
	}
}

func TestMoved(t *testing.T) {
	a := Score{Composite: 87.0, Grade: "B+", Known: true}
	if Moved(a, Score{Composite: 87.05, Grade: "B+", Known: true}) || !Moved(a, Score{Composite: 87.1, Grade: "B+", Known: true}) ||
		!Moved(a, Score{Composite: 86.95, Grade: "B", Known: true}) {
		t.Fatal("moved rule")
	}
}
