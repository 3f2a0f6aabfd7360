package gateway

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDistPercentiles(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	d := NewDist(s)
	if d.P(0.5) != 50*time.Millisecond || d.P(0.99) != 99*time.Millisecond || d.P(1) != 100*time.Millisecond || d.P(0) != time.Millisecond {
		t.Fatalf("p50 %v p99 %v p100 %v p0 %v", d.P(0.5), d.P(0.99), d.P(1), d.P(0))
	}
	if d.Mean() != 50500*time.Microsecond || d.Max() != 100*time.Millisecond || d.N() != 100 {
		t.Fatalf("mean %v max %v n %d", d.Mean(), d.Max(), d.N())
	}
	if (Dist{}).P(0.99) != 0 || Ms(1500*time.Microsecond) != 1.5 {
		t.Fatal("empty distribution or Ms")
	}
}

func TestPipelineLatencyFromTheEnvelope(t *testing.T) {
	b := []byte(`{"data":{"security":{"injection_score":0.01,"pipeline_latency_ms":0.734,"policy_violations":[]}}}`)
	if got := pipelineLatency(b); got != 734*time.Microsecond {
		t.Fatalf("%v", got)
	}
	if pipelineLatency([]byte(`{}`)) != 0 {
		t.Fatal("no field")
	}
}

func TestBodiesAreUniqueUnlessCached(t *testing.T) {
	body := bodyBuilder(openAIPrefix("m"), false)
	if string(body(1)) == string(body(2)) || !strings.HasSuffix(string(body(1)), `"}]}`) {
		t.Fatalf("%s / %s", body(1), body(2))
	}
	cached := bodyBuilder(openAIPrefix("m"), true)
	if string(cached(3)) != string(cached(11)) {
		t.Fatal("cached bodies should repeat every 8 requests")
	}
}

// TestLoadAgainstTheMock drives the mock (loopback only, bounded) with both
// load shapes and checks their accounting.
func TestLoadAgainstTheMock(t *testing.T) {
	m, err := StartMock(0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	target := &Target{Name: "direct", URL: m.URL + "/chat/completions", Body: bodyBuilder(openAIPrefix("bench-model"), false)}
	var seq atomic.Int64
	s, err := Sequential(context.Background(), 50, &seq, target, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || len(s[0]) != 50 || len(s[1]) != 50 || m.Calls.Load() != 100 {
		t.Fatalf("sequential: %d targets, %d calls", len(s), m.Calls.Load())
	}
	res := OpenLoop(context.Background(), target, 400, 500*time.Millisecond, 16, 5*time.Second, &seq)
	if res.OK != 200 || res.Errors != 0 || res.Unstarted != 0 || res.Latency.N() != 200 {
		t.Fatalf("open loop: %+v", res)
	}
	if res.Achieved < 100 || res.Achieved > 450 { // generous: CI machines are busy
		t.Fatalf("achieved %.0f/s at 400/s", res.Achieved)
	}
	bad := &Target{Name: "missing", URL: m.URL + "/nowhere", Body: target.Body}
	if res := OpenLoop(context.Background(), bad, 100, 100*time.Millisecond, 4, 5*time.Second, &seq); res.Errors != 10 || res.FirstErr == nil {
		t.Fatalf("errors not counted: %+v", res)
	}
}
