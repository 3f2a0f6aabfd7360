package behaviour

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/telemetry"
)

// BenchmarkIngest measures telemetry ingestion into the baseline as the
// read model does it, per batch of 500 actions: our batch format decoded
// and checked, the agent's stored baseline decoded, the batch folded and
// judged, the baseline encoded again. It reports actions/s.
func BenchmarkIngest(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	p := newProfile(r, 1)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	warm := New()
	var at time.Time
	for i := 0; i < 20000; i++ { // a learnt baseline: a week of activity
		at = start.Add(time.Duration(i) * 30 * time.Second)
		warm.Observe([]aegis.Action{p.normalAction(r, at, 1)})
	}
	const size = 500
	bodies := make([][]byte, 64)
	for i := range bodies {
		batch := make([]aegis.Action, size)
		for j := range batch {
			at = at.Add(500 * time.Millisecond)
			batch[j] = p.normalAction(r, at, 1)
		}
		bodies[i], _ = json.Marshal(map[string]any{"actions": batch})
	}
	state, _ := json.Marshal(warm)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var req struct {
			Actions []aegis.Action `json:"actions"`
		}
		if err := json.Unmarshal(bodies[i%len(bodies)], &req); err != nil {
			b.Fatal(err)
		}
		actions, err := telemetry.FromBatch(req.Actions, at)
		if err != nil {
			b.Fatal(err)
		}
		bl := &Baseline{}
		if err := json.Unmarshal(state, bl); err != nil {
			b.Fatal(err)
		}
		bl.Fill().Observe(actions)
		if state, err = json.Marshal(bl); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "actions/s")
	b.ReportMetric(float64(len(state)), "baseline-bytes")
	_ = fmt.Sprint()
}
