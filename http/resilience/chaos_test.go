package resilience_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

type experiment struct {
	ID     string  `json:"id"`
	Status string  `json:"status"`
	Reason *string `json:"reason"`
	Result *struct {
		Requests            int      `json:"requests"`
		Errors              int      `json:"errors"`
		ErrorRate           float64  `json:"error_rate"`
		Fallbacks           int      `json:"fallbacks"`
		FallbackSuccessRate float64  `json:"fallback_success_rate"`
		P50DuringMs         float64  `json:"p50_during_ms"`
		P99DuringMs         float64  `json:"p99_during_ms"`
		P50AfterMs          float64  `json:"p50_after_ms"`
		P99AfterMs          float64  `json:"p99_after_ms"`
		RecoveryMs          *float64 `json:"recovery_ms"`
	} `json:"result"`
}

// withinASecond polls ok from start and fails unless it held within one second.
func withinASecond(t *testing.T, what string, start time.Time, ok func() bool) {
	t.Helper()
	for !ok() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: never", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(start)
	t.Logf("%s after %s", what, d.Round(time.Millisecond))
	if d > time.Second {
		t.Fatalf("%s only after %s", what, d)
	}
}

// TestChaos_FaultsTheGatewayOnEveryInstanceAndAbortStopsItWithinASecond
// runs two instances on one database and broker, with real traffic through
// both: an outage of mock/mock-small is injected on both, a policy's fallback
// (mock/mock-large) serves the faulted calls, abort stops the fault on both
// within a second, and the result reports what the request log shows.
func TestChaos_FaultsTheGatewayOnEveryInstanceAndAbortStopsItWithinASecond(t *testing.T) {
	app.ChaosSettle = time.Second
	cfg := testkit.Config(t)
	cfg.ChaosMaxBlast = 1
	a := testkit.Start(t, &cfg)
	b := a.Join(t)
	admin := a.AdminToken(t)
	ws := b.DialWS(t, admin)
	ws.Subscribe("", "resilience.*")

	policy := func(body map[string]any) string {
		r := a.Do(t, http.MethodPost, "/api/v1/gateway/policies", admin, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("policy: %d %s", r.Status, r.Body)
		}
		var p struct {
			ID string `json:"id"`
		}
		r.Data(t, &p)
		return p.ID
	}
	withFallback := policy(map[string]any{"name": "falls-back", "fallbacks": []map[string]string{{"provider": "mock", "model": "mock-large"}}})
	without := policy(map[string]any{"name": "no-fallback"})
	chat := func(in *testkit.Instance, pol string) int {
		return in.DoRaw(t, http.MethodPost, "/api/v1/gateway/chat/completions", admin, map[string]any{"provider": "mock", "model": "mock-small",
			"policy_id": pol, "messages": []map[string]string{{"role": "user", "content": "status?"}}}).Status
	}
	testkit.Eventually(t, 10*time.Second, "both policies served by both instances", func() bool {
		return chat(a, without) == 200 && chat(b, without) == 200 && chat(b, withFallback) == 200
	})

	start := func(body map[string]any) experiment {
		t.Helper()
		r := a.Do(t, http.MethodPost, api+"/chaos/experiments", admin, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("start: %d %s", r.Status, r.Body)
		}
		var x experiment
		r.Data(t, &x)
		return x
	}
	outage := map[string]any{"name": "mock-small down", "fault": map[string]any{"kind": "outage"},
		"scope": map[string]any{"provider": "mock", "model": "mock-small", "share": 1}, "duration_seconds": 60, "max_error_rate": 1}
	began := time.Now()
	x := start(outage)
	if x.Status != "running" {
		t.Fatalf("started: %+v", x)
	}
	// The fault reaches both instances: calls without a fallback fail there.
	for _, in := range []*testkit.Instance{a, b} {
		withinASecond(t, "the fault on an instance", began, func() bool { return chat(in, without) != 200 })
	}
	// Real traffic through both: the fallback serves every faulted call.
	for i := 0; i < 20; i++ {
		for _, in := range []*testkit.Instance{a, b} {
			if s := chat(in, withFallback); s != 200 {
				t.Fatalf("a call with a fallback during the outage: %d", s)
			}
			chat(in, without)
		}
	}
	// Guard rails while it runs: the blast radius, the platform scope.
	if r := a.Do(t, http.MethodPost, api+"/chaos/experiments", admin, map[string]any{"name": "more", "fault": map[string]any{"kind": "error"},
		"scope": map[string]any{"share": 0.2}, "duration_seconds": 5}); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "RES-008" {
		t.Fatalf("past the blast radius: %d %s", r.Status, r.Body)
	}
	_, tenantAdmin := a.NewTenant(t, admin, "Chaos")
	if r := a.Do(t, http.MethodPost, api+"/chaos/experiments", tenantAdmin, map[string]any{"name": "everyone", "fault": map[string]any{"kind": "error"},
		"scope": map[string]any{"platform": true, "share": 0.1}, "duration_seconds": 5}); r.Status != http.StatusForbidden || r.Problem(t).ErrorCode != "RES-009" {
		t.Fatalf("platform scope without platform_admin: %d %s", r.Status, r.Body)
	}
	// Another tenant's traffic is untouched.
	for i := 0; i < 10; i++ {
		if s := b.DoRaw(t, http.MethodPost, "/api/v1/gateway/chat/completions", tenantAdmin, map[string]any{"provider": "mock", "model": "mock-small",
			"messages": []map[string]string{{"role": "user", "content": "other"}}}).Status; s != 200 {
			t.Fatalf("another tenant's call: %d", s)
		}
	}

	// Abort: the fault stops on both instances within a second.
	aborted := time.Now()
	r := a.Do(t, http.MethodPost, api+"/chaos/experiments/"+x.ID+"/abort", admin, map[string]any{"reason": "enough"})
	if r.Status != http.StatusOK {
		t.Fatalf("abort: %d %s", r.Status, r.Body)
	}
	r.Data(t, &x)
	for _, in := range []*testkit.Instance{a, b} {
		withinASecond(t, "the fault gone from an instance", aborted, func() bool { return chat(in, without) == 200 })
	}
	res := x.Result
	if x.Status != "aborted" || res == nil || res.Requests < 20 || res.Fallbacks < 10 || res.FallbackSuccessRate != 1 || math.Abs(res.ErrorRate-0.5) > 0.1 {
		t.Fatalf("aborted: %+v %+v", x, res)
	}
	t.Logf("outage at share 1 over %d faulted calls: error rate %.2f (calls without a fallback), fallback success %.2f over %d, p50/p99 during %.1f/%.1f ms",
		res.Requests, res.ErrorRate, res.FallbackSuccessRate, res.Fallbacks, res.P50DuringMs, res.P99DuringMs)
	if r := a.Do(t, http.MethodPost, api+"/chaos/experiments/"+x.ID+"/abort", admin, nil); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "RES-010" {
		t.Fatalf("abort twice: %d %s", r.Status, r.Body)
	}

	// A bounded experiment completes by itself and measures the recovery.
	y := start(map[string]any{"name": "short latency", "fault": map[string]any{"kind": "latency", "latency_ms": 50},
		"scope": map[string]any{"provider": "mock", "share": 0.5}, "duration_seconds": 2})
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		chat(a, withFallback)
		chat(b, withFallback)
	}
	for i := 0; i < 10; i++ {
		chat(b, withFallback)
		time.Sleep(50 * time.Millisecond)
	}
	testkit.Eventually(t, 15*time.Second, "the experiment completed", func() bool {
		a.Do(t, http.MethodGet, api+"/chaos/experiments/"+y.ID, admin, nil).Data(t, &y)
		return y.Status == "completed"
	})
	// Half the calls carry the fault, so the median of the window's calls
	// falls on either side of it; the tail always shows the 50 ms.
	if y.Result == nil || y.Result.Requests == 0 || y.Result.ErrorRate != 0 || y.Result.RecoveryMs == nil || y.Result.P99DuringMs < 50 {
		t.Fatalf("completed: %+v %+v", y, y.Result)
	}
	t.Logf("latency +50 ms at share 0.5: %d faulted calls, p50/p99 during %.1f/%.1f ms, after %.1f/%.1f ms, recovered after %.1f ms",
		y.Result.Requests, y.Result.P50DuringMs, y.Result.P99DuringMs, y.Result.P50AfterMs, y.Result.P99AfterMs, *y.Result.RecoveryMs)

	// The error-rate guard aborts an experiment whose faulted calls fail too often.
	z := start(map[string]any{"name": "errors", "fault": map[string]any{"kind": "error"}, "scope": map[string]any{"model": "mock-small", "share": 0.5},
		"duration_seconds": 60, "max_error_rate": 0.2})
	testkit.Eventually(t, 15*time.Second, "the guard aborted the experiment", func() bool {
		chat(a, without)
		chat(b, without)
		a.Do(t, http.MethodGet, api+"/chaos/experiments/"+z.ID, admin, nil).Data(t, &z)
		return z.Status == "aborted"
	})
	if z.Reason == nil || !strings.Contains(*z.Reason, "error rate") || z.Result.ErrorRate <= 0.2 {
		t.Fatalf("auto-abort: %+v", z)
	}

	// The live stream of the other instance carried every start and end.
	ws.Await(10*time.Second, x.ID, "com.astra.resilience.ChaosStarted", "com.astra.resilience.ChaosAborted")
	ws.Await(10*time.Second, y.ID, "com.astra.resilience.ChaosStarted", "com.astra.resilience.ChaosCompleted")

	// Denial paths and isolation.
	_, viewer := a.SignIn(t, admin, "viewer@chaos.test", "viewer")
	if r := a.DoRaw(t, http.MethodPost, api+"/chaos/experiments", viewer, outage); r.Status != http.StatusForbidden {
		t.Fatalf("viewer starts: %d", r.Status)
	}
	if r := a.DoRaw(t, http.MethodPost, api+"/chaos/experiments/"+z.ID+"/abort", viewer, nil); r.Status != http.StatusForbidden {
		t.Fatalf("viewer aborts: %d", r.Status)
	}
	if r := a.Do(t, http.MethodGet, api+"/chaos/experiments/"+x.ID, tenantAdmin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant read: %d", r.Status)
	}
	if r := a.Do(t, http.MethodPost, api+"/chaos/experiments/"+x.ID+"/abort", tenantAdmin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant abort: %d", r.Status)
	}
	for name, body := range map[string]map[string]any{
		"share 0":         {"name": "x", "fault": map[string]any{"kind": "error"}, "scope": map[string]any{"share": 0}, "duration_seconds": 5},
		"too long":        {"name": "x", "fault": map[string]any{"kind": "error"}, "scope": map[string]any{"share": 0.1}, "duration_seconds": 3600},
		"unknown fault":   {"name": "x", "fault": map[string]any{"kind": "fire"}, "scope": map[string]any{"share": 0.1}, "duration_seconds": 5},
		"latency without": {"name": "x", "fault": map[string]any{"kind": "latency"}, "scope": map[string]any{"share": 0.1}, "duration_seconds": 5},
	} {
		if r := a.Do(t, http.MethodPost, api+"/chaos/experiments", admin, body); r.Status/100 != 4 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if p := testkit.GetPage[experiment](t, a, api+"/chaos/experiments?status=aborted", admin); len(p.Data) != 2 {
		t.Fatalf("aborted experiments: %d", len(p.Data))
	}
}

// TestChaos_ALostProbeCountsAsFailed: calls faulted by a timeout whose
// callers give up before any answer (a client timeout drops the connection)
// are still recorded, and the experiment counts each as an error and as a
// fallback that failed.
func TestChaos_ALostProbeCountsAsFailed(t *testing.T) {
	app.ChaosSettle = time.Second
	cfg := testkit.Config(t)
	cfg.ChaosMaxBlast = 1
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", admin, map[string]any{"name": "falls-back",
		"fallbacks": []map[string]string{{"provider": "mock", "model": "mock-large"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	var pol struct {
		ID string `json:"id"`
	}
	r.Data(t, &pol)
	body, _ := json.Marshal(map[string]any{"provider": "mock", "model": "mock-small", "policy_id": pol.ID,
		"messages": []map[string]string{{"role": "user", "content": "status?"}}})
	if s := in.DoRaw(t, http.MethodPost, "/api/v1/gateway/chat/completions", admin, json.RawMessage(body)).Status; s != http.StatusOK {
		t.Fatalf("before the experiment: %d", s)
	}
	r = in.Do(t, http.MethodPost, api+"/chaos/experiments", admin, map[string]any{"name": "mock-small hangs",
		"fault": map[string]any{"kind": "timeout", "latency_ms": 20000}, "scope": map[string]any{"provider": "mock", "model": "mock-small", "share": 1},
		"duration_seconds": 60, "max_error_rate": 1})
	if r.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	var x experiment
	r.Data(t, &x)
	// Three callers that give up after 300 ms: no answer reaches them.
	impatient := &http.Client{Timeout: 300 * time.Millisecond}
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodPost, in.URL+"/api/v1/gateway/chat/completions", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := impatient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("a call under a 20 s timeout fault answered within 300 ms: %d", resp.StatusCode)
		}
	}
	testkit.Eventually(t, 15*time.Second, "the lost probes in the request log", func() bool {
		var reqs []struct {
			ID string `json:"id"`
		}
		in.Do(t, http.MethodGet, "/api/v1/gateway/requests?outcome=failed", admin, nil).Data(t, &reqs)
		return len(reqs) >= 3
	})
	r = in.Do(t, http.MethodPost, api+"/chaos/experiments/"+x.ID+"/abort", admin, map[string]any{"reason": "measured"})
	if r.Status != http.StatusOK {
		t.Fatalf("abort: %d %s", r.Status, r.Body)
	}
	var res struct {
		Result struct {
			Requests            int     `json:"requests"`
			Errors              int     `json:"errors"`
			ErrorRate           float64 `json:"error_rate"`
			Fallbacks           int     `json:"fallbacks"`
			FallbackSuccessRate float64 `json:"fallback_success_rate"`
			Probes              int     `json:"probes"`
			MissingProbes       int     `json:"missing_probes"`
		} `json:"result"`
	}
	r.Data(t, &res)
	m := res.Result
	if m.Requests != 3 || m.Probes != 3 || m.MissingProbes != 3 || m.Errors != 3 || m.ErrorRate != 1 || m.Fallbacks != 3 || m.FallbackSuccessRate != 0 {
		t.Fatalf("three lost probes: %+v", m)
	}
}
