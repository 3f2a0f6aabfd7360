package aegis_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// BenchmarkTelemetryIngestion posts our batch format (1,000 actions a
// batch) through real HTTP for 8 agents, 4 concurrent clients, and stops
// the clock once the read model folded every action into the agents'
// baselines; it reports actions/s end to end (HTTP, ledger, broker,
// projection).
//
//	CI=true go test -run '^$' -bench TelemetryIngestion -benchtime 200x ./http/aegis/
func BenchmarkTelemetryIngestion(b *testing.B) {
	in := testkit.Start(b, nil)
	admin := in.AdminToken(b)
	const agents, size, clients = 8, 1000, 4
	ids := make([]string, agents)
	for i := range ids {
		ids[i] = register(b, in, admin, fmt.Sprintf("bench-%d", i)).ID
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	body := func(n int) []byte {
		acts := make([]map[string]any, size)
		for j := range acts {
			acts[j] = map[string]any{"at": start.Add(time.Duration(n*size+j) * 100 * time.Millisecond), "kind": "tool_call",
				"tool": fmt.Sprintf("tool_%d", j%7), "destination": fmt.Sprintf("api%d.example.com", j%3), "bytes_out": 1000 + j, "tokens": 100}
		}
		raw, _ := json.Marshal(map[string]any{"actions": acts})
		return raw
	}
	bodies := make([][]byte, 16)
	for i := range bodies {
		bodies[i] = body(i)
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	next := make(chan int)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				req, _ := http.NewRequest(http.MethodPost, in.URL+api+"/agents/"+ids[n%agents]+"/telemetry", bytes.NewReader(bodies[n%len(bodies)]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+admin)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != http.StatusAccepted {
					b.Errorf("telemetry: %v %v", err, resp)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	for n := 0; n < b.N; n++ {
		next <- n
	}
	close(next)
	wg.Wait()
	want := int64(b.N * size)
	testkit.Eventually(b, 5*time.Minute, "every action in the baselines", func() bool {
		var total int64
		for _, id := range ids {
			var bl struct {
				Baseline *struct {
					Total int64 `json:"total_actions"`
				} `json:"baseline"`
			}
			in.Do(b, http.MethodGet, api+"/agents/"+id+"/baseline", admin, nil).Data(b, &bl)
			if bl.Baseline != nil {
				total += bl.Baseline.Total
			}
		}
		return total >= want
	})
	b.ReportMetric(float64(want)/b.Elapsed().Seconds(), "actions/s")
}
