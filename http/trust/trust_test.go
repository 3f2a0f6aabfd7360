package trust_test

import (
	"context"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// clock is an injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type current struct {
	CompositeScore *float64 `json:"composite_score"`
	Grade          string   `json:"grade"`
	Pillars        map[string]struct {
		Score  *float64 `json:"score"`
		Status string   `json:"status"`
		Weight float64  `json:"weight"`
	} `json:"pillars"`
	DecayModel string `json:"decay_model"`
}

func TestTrust_DecayHalvesASignalAfterOneHalfLife(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	clk := &clock{t: time.Now().UTC()}
	in.Running.Trust.Now = clk.Now

	// No signals yet: every pillar is unknown and the composite is not 100.
	r := in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", admin, nil)
	var c0 current
	r.Data(t, &c0)
	if c0.CompositeScore != nil || c0.Grade != "unknown" || c0.Pillars["risk"].Status != "unknown" {
		t.Fatalf("empty score: %+v", c0)
	}

	// A low risk is a risk-pillar signal of 100; the risk pillar decays to 50 with a 30-day half-life.
	if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "minor", "likelihood": 1, "impact": 1}); r.Status != http.StatusCreated {
		t.Fatalf("risk: %d %s", r.Status, r.Body)
	}
	ws := in.DialWS(t, admin)
	ws.Subscribe("", "trust.*")
	testkit.Eventually(t, 10*time.Second, "risk signal projected", func() bool {
		var c current
		in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", admin, nil).Data(t, &c)
		return c.CompositeScore != nil
	})
	if n, err := in.Running.Trust.Tick(context.Background()); err != nil || n != 1 {
		t.Fatalf("first tick: %d %v", n, err)
	}
	var c1 current
	in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", admin, nil).Data(t, &c1)
	if math.Abs(*c1.CompositeScore-100) > 0.2 || c1.Grade != "A+" || c1.Pillars["security"].Status != "unknown" {
		t.Fatalf("after the signal: %+v", c1)
	}

	clk.Add(30 * 24 * time.Hour) // one half-life of the risk pillar
	var c2 current
	in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", admin, nil).Data(t, &c2)
	if math.Abs(*c2.Pillars["risk"].Score-75) > 0.2 || math.Abs(*c2.CompositeScore-75) > 0.2 || c2.Grade != "C" {
		t.Fatalf("after one half-life: risk %v composite %v grade %s", *c2.Pillars["risk"].Score, *c2.CompositeScore, c2.Grade)
	}
	// Decay alone is recorded by the scheduler and reaches the live stream.
	if n, err := in.Running.Trust.Tick(context.Background()); err != nil || n != 1 {
		t.Fatalf("decay tick: %d %v", n, err)
	}
	evs := ws.Events(5*time.Second, func(e []map[string]any) bool {
		for _, x := range e {
			if d, ok := x["data"].(map[string]any); ok && x["type"] == "com.astra.trust.ScoreUpdated" && d["reason"] == "decay" {
				return true
			}
		}
		return false
	})
	found := false
	for _, x := range evs {
		if d, ok := x["data"].(map[string]any); ok && d["reason"] == "decay" && math.Abs(d["score"].(float64)-75) < 0.2 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no decay ScoreUpdated on the stream: %v", evs)
	}
	// Nothing moved: no new event.
	if n, _ := in.Running.Trust.Tick(context.Background()); n != 0 {
		t.Fatalf("unmoved tick recorded %d", n)
	}
	// History and explain.
	testkit.Eventually(t, 10*time.Second, "two points of history", func() bool {
		h := in.Do(t, http.MethodGet, "/api/v1/trust/scores/history?granularity=hour&from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)+"&to="+clk.Now().Add(time.Hour).Format(time.RFC3339), admin, nil)
		var pts []map[string]any
		h.Data(t, &pts)
		return len(pts) == 2
	})
	if e := in.Do(t, http.MethodGet, "/api/v1/trust/scores/explain?from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), admin, nil); e.Status != http.StatusOK {
		t.Fatalf("explain: %d %s", e.Status, e.Body)
	}
}

func TestTrust_ConfigurationIsValidatedAndTenantScoped(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	bad := in.Do(t, http.MethodPut, "/api/v1/trust/weights", admin, map[string]any{"weights": map[string]float64{"security": 0.5, "risk": 0.6}})
	if bad.Status != http.StatusBadRequest || bad.Problem(t).ErrorCode != "VAL-001" {
		t.Fatalf("bad weights: %d %s", bad.Status, bad.Body)
	}
	good := map[string]any{"weights": map[string]float64{"security": 0.3, "compliance": 0.2, "risk": 0.2, "resilience": 0.1, "ai_governance": 0.2}}
	if r := in.Do(t, http.MethodPut, "/api/v1/trust/weights", admin, good); r.Status != http.StatusOK {
		t.Fatalf("weights: %d %s", r.Status, r.Body)
	}
	_, other := in.NewTenant(t, admin, "Epsilon")
	var w struct {
		Weights map[string]float64 `json:"weights"`
	}
	in.Do(t, http.MethodGet, "/api/v1/trust/weights", other, nil).Data(t, &w)
	if w.Weights["security"] != 0.25 {
		t.Fatalf("other tenant sees %v", w.Weights)
	}
	decay := map[string]any{"model": "exponential", "pillars": map[string]any{"security": map[string]any{"half_life_hours": 1, "floor": 10},
		"compliance": map[string]any{"half_life_hours": 1, "floor": 10}, "risk": map[string]any{"half_life_hours": 1, "floor": 10},
		"resilience": map[string]any{"half_life_hours": 1, "floor": 10}, "ai_governance": map[string]any{"half_life_hours": 1, "floor": 10}}}
	if r := in.Do(t, http.MethodPut, "/api/v1/trust/decay", admin, decay); r.Status != http.StatusOK {
		t.Fatalf("decay: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/trust/pillars/nope", admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("unknown pillar: %d", r.Status)
	}
	var pillars []map[string]any
	in.Do(t, http.MethodGet, "/api/v1/trust/pillars", admin, nil).Data(t, &pillars)
	if len(pillars) != 5 {
		t.Fatalf("pillars: %v", pillars)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/trust/pillars/risk", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("risk pillar: %d", r.Status)
	}
	var d struct {
		Model   string                    `json:"model"`
		Pillars map[string]map[string]any `json:"pillars"`
	}
	in.Do(t, http.MethodGet, "/api/v1/trust/decay", admin, nil).Data(t, &d)
	if d.Model != "exponential" || d.Pillars["risk"]["floor"].(float64) != 10 {
		t.Fatalf("decay after PUT: %+v", d)
	}
	// Recalculate records a ScoreUpdated even when nothing moved, in the caller's tenant only.
	if r := in.Do(t, http.MethodPost, "/api/v1/trust/scores/recalculate", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("recalculate: %d %s", r.Status, r.Body)
	}
	var evs []map[string]any
	in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?type=com.astra.trust.ScoreUpdated", admin, nil).Data(t, &evs)
	if len(evs) != 1 {
		t.Fatalf("ScoreUpdated events: %d", len(evs))
	}
	var otherEvs []map[string]any
	in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?type=com.astra.trust.ScoreUpdated", other, nil).Data(t, &otherEvs)
	if len(otherEvs) != 0 {
		t.Fatalf("other tenant sees %d ScoreUpdated", len(otherEvs))
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/trust/scores/recalculate", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous recalculate: %d", r.Status)
	}
	// A viewer reads but cannot configure.
	in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": "v@trust.test", "name": "v", "role": "viewer", "password": "viewer-password-1"})
	viewer := in.Login(t, "v@trust.test", "viewer-password-1")
	if r := in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", viewer, nil); r.Status != http.StatusOK {
		t.Fatalf("viewer read: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPut, "/api/v1/trust/weights", viewer, good); r.Status != http.StatusForbidden {
		t.Fatalf("viewer write: %d", r.Status)
	}
}
