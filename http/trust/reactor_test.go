package trust_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// scoreUpdated finds a trust.ScoreUpdated of the given reason among CloudEvents.
func scoreUpdated(evs []map[string]any, reason string) map[string]any {
	for _, x := range evs {
		if d, ok := x["data"].(map[string]any); ok && x["type"] == "com.astra.trust.ScoreUpdated" && d["reason"] == reason {
			return d
		}
	}
	return nil
}

func TestTrustReactor_ASignalIsScoredWithinSecondsNotAtTheNextPeriod(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.TrustRecalcInterval = 24 * time.Hour // the periodic recalculation never runs in this test
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	ws := in.DialWS(t, admin)
	ws.Subscribe("", "trust.*")

	// A critical risk moves the risk pillar from unknown to 4.
	start := time.Now()
	if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "critical", "likelihood": 5, "impact": 5}); r.Status != http.StatusCreated {
		t.Fatalf("risk: %d %s", r.Status, r.Body)
	}
	evs := ws.Events(10*time.Second, func(e []map[string]any) bool { return scoreUpdated(e, "signal") != nil })
	d := scoreUpdated(evs, "signal")
	if d == nil {
		t.Fatalf("no trust.ScoreUpdated after the signal within 10 s: %v", evs)
	}
	if pillars, _ := d["pillars"].(map[string]any); pillars["risk"] != 4.0 || d["score"] != 4.0 || d["grade"] != "F" {
		t.Fatalf("score after the signal: %v", d)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("scored after %s", took)
	}
	// Idempotent: nothing moved since, so a recalculation records nothing.
	if n, err := in.Running.Trust.Tick(context.Background()); err != nil || n != 0 {
		t.Fatalf("tick after the reactor: %d %v", n, err)
	}

	// A burst of signals is scored too, coalesced: far fewer scores than signals.
	for range 20 {
		if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "minor", "likelihood": 1, "impact": 1}); r.Status != http.StatusCreated {
			t.Fatalf("risk: %d %s", r.Status, r.Body)
		}
	}
	var last map[string]any
	burst := ws.Events(10*time.Second, func(e []map[string]any) bool {
		for _, x := range e {
			if d, ok := x["data"].(map[string]any); ok && x["type"] == "com.astra.trust.ScoreUpdated" {
				last = d
			}
		}
		return last != nil && last["signals"] == 21.0
	})
	if last == nil || last["signals"] != 21.0 {
		t.Fatalf("the burst was not scored: %v", burst)
	}
	n := 0
	for _, x := range burst {
		if x["type"] == "com.astra.trust.ScoreUpdated" {
			n++
		}
	}
	if n >= 20 {
		t.Fatalf("%d scores for 20 signals: not coalesced", n)
	}
}
