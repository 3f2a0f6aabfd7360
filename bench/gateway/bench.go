// Package gateway benchmarks the AI gateway end to end: the whole product
// started in-process on a fresh database (API, relay, projections, embedded
// broker; detectors on; every request's audit event appended durably before
// the answer), an OpenAI-compatible mock provider on loopback registered as an
// openai_compatible provider, and a client that calls the mock directly and
// through the gateway with an API key (or a JWT), as an application would.
//
// It reports the latency the gateway adds over calling the same mock
// directly — at concurrency 1 (p50, p99) and in an open-loop rate sweep — and
// the highest rate whose p99 added latency stays under a bound (5 ms).
// `astra bench gateway` and BenchmarkGateway run it.
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Options configure a run. Zero values take the defaults.
type Options struct {
	// Requests is the number of requests per target at concurrency 1 (default 2000).
	Requests int
	// Warmup requests per target before measuring (default 300).
	Warmup int
	// Rates of the sweep, requests per second (default 500, 1000, 2000, 3000, 4000, 5000, 6000); none skips it.
	Rates []int
	// NoSweep skips the rate sweep.
	NoSweep bool
	// Step is how long each rate is sent (default 5s).
	Step time.Duration
	// Workers bounds the requests in flight in the sweep (default 256).
	Workers int
	// Auth is how the client authenticates: "apikey" (default, an ab_live_ key) or "jwt" (an RS256 access token).
	Auth string
	// Endpoint is "chat" (default, POST /api/v1/gateway/chat/completions) or
	// "openai" (the drop-in, POST /api/v1/gateway/openai/v1/chat/completions).
	Endpoint string
	// Cached also measures cache hits at concurrency 1 (a few prompts repeated).
	Cached bool
	// AddedBound is the p99 added latency a rate must stay under (default 5 ms).
	AddedBound time.Duration
	// MockLatency delays every mock answer (default 0: the provider's own time is nil).
	MockLatency time.Duration
	// CPUProfile writes a CPU profile of the measured phases (the process
	// holds the gateway, the mock and the client) to this file.
	CPUProfile string
	// PGSample samples pg_stat_activity during the sweep's gateway steps and
	// reports where Postgres spent its time.
	PGSample bool
	// Instance options (database server, Redis).
	Instance InstanceOptions
	// Log receives progress lines (default: discarded).
	Log io.Writer
}

func (o *Options) defaults() {
	if o.Requests <= 0 {
		o.Requests = 2000
	}
	if o.Warmup <= 0 {
		o.Warmup = 300
	}
	if len(o.Rates) == 0 && !o.NoSweep {
		o.Rates = []int{500, 1000, 2000, 3000, 4000, 5000, 6000}
	}
	if o.NoSweep {
		o.Rates = nil
	}
	if o.Step <= 0 {
		o.Step = 5 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 256
	}
	if o.Auth == "" {
		o.Auth = "apikey"
	}
	if o.Endpoint == "" {
		o.Endpoint = "chat"
	}
	if o.AddedBound <= 0 {
		o.AddedBound = 5 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Percentiles of one distribution, in milliseconds.
type Percentiles struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func percentiles(d Dist) Percentiles {
	return Percentiles{N: d.N(), P50: Ms(d.P(0.5)), P90: Ms(d.P(0.9)), P99: Ms(d.P(0.99)), Max: Ms(d.Max()), Mean: Ms(d.Mean())}
}

// SequentialResult is the concurrency-1 result of one variant (uncached or cached).
type SequentialResult struct {
	Variant  string      `json:"variant"`
	Direct   Percentiles `json:"direct"`
	Gateway  Percentiles `json:"gateway"`
	Pipeline Percentiles `json:"pipeline"` // the gateway's own pipeline_latency_ms
	AddedP50 float64     `json:"added_p50_ms"`
	AddedP99 float64     `json:"added_p99_ms"`
	// Server is the gateway's own account of the measured requests, read
	// from the request log: from arrival to just before the audit append
	// (latency), of which the provider call (provider).
	ServerLatency  Percentiles `json:"server_latency"`
	ServerProvider Percentiles `json:"server_provider"`
	Store          StoreStats  `json:"eventstore"`
}

// StoreStats are the event store's appends during a phase (every append, not
// only the gateway's).
type StoreStats struct {
	Appends         uint64  `json:"appends"`
	MeanAppendMs    float64 `json:"mean_append_ms"`
	Commits         uint64  `json:"commits"`
	EventsPerCommit float64 `json:"events_per_commit"`
}

// RateResult is one rate of the sweep.
type RateResult struct {
	Rate            int         `json:"rate"`
	DirectAchieved  float64     `json:"direct_achieved_rps"`
	GatewayAchieved float64     `json:"gateway_achieved_rps"`
	Direct          Percentiles `json:"direct"`
	Gateway         Percentiles `json:"gateway"`
	Pipeline        Percentiles `json:"pipeline"`
	AddedP50        float64     `json:"added_p50_ms"`
	AddedP99        float64     `json:"added_p99_ms"`
	// CPU per answered request, in microseconds: this process (client, mock
	// and, through the gateway, the whole product) and the Postgres backends of
	// the bench database, measured until the relay and the request-log
	// projection had caught up (so the asynchronous work counts too).
	DirectCPUUs   float64 `json:"direct_cpu_us_per_request"`
	GatewayCPUUs  float64 `json:"gateway_cpu_us_per_request"`
	PostgresCPUUs float64 `json:"postgres_cpu_us_per_request"`
	// CPUCeiling is NumCPU divided by the CPU one request costs through the
	// gateway (process + Postgres): the rate a dedicated machine of this size
	// could sustain at most, whatever the other tenants of this one do.
	CPUCeiling float64    `json:"cpu_ceiling_rps"`
	CatchUpMs  float64    `json:"projection_catch_up_ms"`
	Store      StoreStats `json:"eventstore"`
	Errors     int64      `json:"errors"`
	FirstError string     `json:"first_error,omitempty"`
	Pass       bool       `json:"pass"`
}

// Report is the outcome of a run.
type Report struct {
	Started     time.Time          `json:"started"`
	GoMaxProcs  int                `json:"gomaxprocs"`
	NumCPU      int                `json:"num_cpu"`
	LoadBefore  string             `json:"loadavg_before"`
	LoadAfter   string             `json:"loadavg_after"`
	Auth        string             `json:"auth"`
	Endpoint    string             `json:"endpoint"`
	Redis       bool               `json:"redis"`
	Sequential  []SequentialResult `json:"concurrency_1"`
	Sweep       []RateResult       `json:"sweep,omitempty"`
	HighestRate int                `json:"highest_rate_under_bound"`
	BoundMs     float64            `json:"added_p99_bound_ms"`
	PGSamples   []PGSample         `json:"postgres_samples,omitempty"`
	AuditEvents int64              `json:"audit_events"`
	MockCalls   int64              `json:"mock_calls"`
}

// Loadavg reads /proc/loadavg (the 1, 5 and 15 minute load averages).
func Loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

// prompts are benign requests of a realistic size; %d makes each unique, so
// that the response cache does not hide the work.
var prompts = []string{
	"Summarize the key points of meeting note %d for the product team in three bullet points. Focus on deadlines, owners and open risks, and keep the tone neutral.",
	"Draft a short, friendly reply to customer ticket %d thanking them for their feedback about the dashboard loading time and explaining that a fix ships next week.",
	"Explain in plain language what the p99 latency of request batch %d means for an engineering manager, with one concrete example from a web service.",
	"Write a product description (variant %d) for a lightweight travel mug that keeps drinks hot for twelve hours and fits every car cup holder.",
	"List five questions a new hire on team %d should ask in their first week to understand how code review and releases work.",
}

const systemPrompt = "You are a concise assistant for an internal engineering team."

// bodyBuilder renders request i: prefix, the prompt, suffix.
func bodyBuilder(prefix string, cached bool) func(i int64) []byte {
	return func(i int64) []byte {
		if cached {
			i %= 8
		}
		p := fmt.Sprintf(prompts[i%int64(len(prompts))], i)
		b := make([]byte, 0, len(prefix)+len(p)+64)
		b = append(b, prefix...)
		b = strconv.AppendQuote(b, p)
		b = append(b, "}]}"...)
		return b
	}
}

func openAIPrefix(model string) string {
	return `{"model":` + strconv.Quote(model) + `,"messages":[{"role":"system","content":` + strconv.Quote(systemPrompt) +
		`},{"role":"user","content":`
}

// env is a started instance with the mock registered and a client credential.
type env struct {
	in         *Instance
	mock       *Mock
	credential map[string]string
}

func call(ctx context.Context, method, url, token string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		var envl struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &envl); err != nil {
			return err
		}
		return json.Unmarshal(envl.Data, out)
	}
	return nil
}

// setup starts the mock and the instance, registers the mock as provider
// "benchmock" and makes the client's credential.
func setup(ctx context.Context, o *Options) (*env, error) {
	mock, err := StartMock(o.MockLatency)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(o.Log, "starting the product (fresh database, embedded broker)…")
	in, err := StartInstance(ctx, o.Instance)
	if err != nil {
		mock.Close()
		return nil, err
	}
	e := &env{in: in, mock: mock}
	fail := func(err error) (*env, error) { e.close(); return nil, err }
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(ctx, http.MethodPost, in.URL+"/api/v1/auth/login", "", map[string]string{"email": adminEmail, "password": adminPassword}, &tok); err != nil {
		return fail(fmt.Errorf("login: %w", err))
	}
	if err := call(ctx, http.MethodPost, in.URL+"/api/v1/gateway/providers", tok.AccessToken, map[string]any{
		"name": "benchmock", "kind": "openai_compatible", "base_url": mock.URL, "models": []string{"bench-model"},
		"settings": map[string]any{"timeout_ms": 10000, "max_retries": 0}}, nil); err != nil {
		return fail(fmt.Errorf("register provider: %w", err))
	}
	switch o.Auth {
	case "jwt":
		e.credential = map[string]string{"Authorization": "Bearer " + tok.AccessToken}
	case "apikey":
		var key struct {
			Key string `json:"key"`
		}
		if err := call(ctx, http.MethodPost, in.URL+"/api/v1/iam/api-keys", tok.AccessToken, map[string]any{
			"name": "bench", "permissions": []string{"gateway:write", "gateway:read"}}, &key); err != nil {
			return fail(fmt.Errorf("api key: %w", err))
		}
		e.credential = map[string]string{"Authorization": "Bearer " + key.Key}
	default:
		return fail(fmt.Errorf("auth must be apikey or jwt, not %q", o.Auth))
	}
	return e, nil
}

func (e *env) close() {
	e.in.Close()
	e.mock.Close()
}

func (e *env) targets(o *Options, cached bool) (direct, through *Target) {
	direct = &Target{Name: "direct", URL: e.mock.URL + "/chat/completions", Body: bodyBuilder(openAIPrefix("bench-model"), cached)}
	headers := map[string]string{}
	for k, v := range e.credential {
		headers[k] = v
	}
	through = &Target{Name: "gateway", Headers: headers, Pipeline: true}
	if o.Endpoint == "openai" {
		through.URL = e.in.URL + "/api/v1/gateway/openai/v1/chat/completions"
		headers["X-Astra-Provider"] = "benchmock"
		through.Body = bodyBuilder(openAIPrefix("bench-model"), cached)
	} else {
		through.URL = e.in.URL + "/api/v1/gateway/chat/completions"
		through.Body = bodyBuilder(`{"provider":"benchmock","model":"bench-model","messages":[{"role":"system","content":`+
			strconv.Quote(systemPrompt)+`},{"role":"user","content":`, cached)
	}
	return direct, through
}

// auditEvents counts the gateway's request events in the ledger.
func (e *env) auditEvents(ctx context.Context) int64 {
	var n int64
	_ = e.in.Running.Stack.Pool.QueryRow(ctx,
		`SELECT count(*) FROM events WHERE type IN ('com.astra.gateway.RequestCompleted', 'com.astra.gateway.RequestBlocked', 'com.astra.gateway.RequestFailed')`).Scan(&n)
	return n
}

// storeStats reads the event store's histograms: cumulative appends with
// their summed latency, commits with their summed events.
func (e *env) storeStats() storeTotals {
	var t storeTotals
	for _, c := range e.in.Running.Stack.Store.Collectors() {
		h, ok := c.(prometheus.Histogram)
		if !ok {
			continue
		}
		var m dto.Metric
		if h.Write(&m) != nil {
			continue
		}
		switch desc := h.Desc().String(); {
		case strings.Contains(desc, "append_seconds"):
			t.appends, t.appendSeconds = m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
		case strings.Contains(desc, "group_commit_events"):
			t.commits, t.events = m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
		}
	}
	return t
}

type storeTotals struct {
	appends, commits      uint64
	appendSeconds, events float64
}

func (t storeTotals) since(before storeTotals) StoreStats {
	s := StoreStats{Appends: t.appends - before.appends, Commits: t.commits - before.commits}
	if s.Appends > 0 {
		s.MeanAppendMs = math.Round((t.appendSeconds-before.appendSeconds)/float64(s.Appends)*1e6) / 1e3
	}
	if s.Commits > 0 {
		s.EventsPerCommit = round1((t.events - before.events) / float64(s.Commits))
	}
	return s
}

// head is the ledger head.
func (e *env) head(ctx context.Context) int64 {
	h, _ := e.in.Running.Stack.Store.Head(ctx)
	return h
}

// serverSide reads the request log's latency and provider time of the
// requests recorded after ledger position from.
func (e *env) serverSide(ctx context.Context, from int64) (latency, provider Percentiles) {
	rows, err := e.in.Running.Stack.Pool.Query(ctx, `SELECT latency_ms, provider_ms FROM `+
		e.in.Running.Stack.Runner.Schema("gateway")+`.requests WHERE position > $1`, from)
	if err != nil {
		return
	}
	defer rows.Close()
	var l, p []time.Duration
	for rows.Next() {
		var a, b float64
		if rows.Scan(&a, &b) == nil {
			l, p = append(l, time.Duration(a*1e6)), append(p, time.Duration(b*1e6))
		}
	}
	return percentiles(NewDist(l)), percentiles(NewDist(p))
}

// Run benchmarks the gateway and returns the report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	rep := &Report{Started: time.Now().UTC(), GoMaxProcs: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), LoadBefore: Loadavg(),
		Auth: o.Auth, Endpoint: o.Endpoint, Redis: o.Instance.RedisURL != "", BoundMs: Ms(o.AddedBound)}
	e, err := setup(ctx, &o)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	var seq atomic.Int64
	variants := []bool{false}
	if o.Cached {
		variants = append(variants, true)
	}
	for _, cached := range variants {
		direct, through := e.targets(&o, cached)
		name := "uncached"
		if cached {
			name = "cached"
		}
		fmt.Fprintf(o.Log, "concurrency 1, %s: %d warm-up + %d measured requests per target…\n", name, o.Warmup, o.Requests)
		if _, err := Sequential(ctx, o.Warmup, &seq, direct, through); err != nil {
			return nil, err
		}
		from, st := e.head(ctx), e.storeStats()
		s, err := Sequential(ctx, o.Requests, &seq, direct, through)
		if err != nil {
			return nil, err
		}
		sr := sequentialResult(name, s[0], s[1])
		sr.Store = e.storeStats().since(st)
		waitCaughtUp(ctx, e.in.Running.Stack.Pool, time.Minute)
		sr.ServerLatency, sr.ServerProvider = e.serverSide(ctx, from)
		rep.Sequential = append(rep.Sequential, sr)
	}
	direct, through := e.targets(&o, false)
	var sampler *pgSampler
	for _, rate := range o.Rates {
		settle(ctx, 2*time.Second)
		fmt.Fprintf(o.Log, "rate %d/s for %s: direct, then through the gateway…\n", rate, o.Step)
		meter := cpuMeter{pool: e.in.Running.Stack.Pool}
		before := meter.snapshot(ctx)
		d := OpenLoop(ctx, direct, rate, o.Step, o.Workers, 10*time.Second, &seq)
		dSelf, _ := meter.since(ctx, before)
		settle(ctx, time.Second)
		before, st := meter.snapshot(ctx), e.storeStats()
		if o.PGSample && sampler == nil {
			sampler = startPGSampler(e.in.Running.Stack.Pool)
		}
		g := OpenLoop(ctx, through, rate, o.Step, o.Workers, 10*time.Second, &seq)
		appends := e.storeStats().since(st)
		catchUp := waitCaughtUp(ctx, e.in.Running.Stack.Pool, time.Minute)
		gSelf, gPG := meter.since(ctx, before)
		r := RateResult{Rate: rate, DirectAchieved: round1(d.Achieved), GatewayAchieved: round1(g.Achieved),
			Direct: percentiles(d.Latency), Gateway: percentiles(g.Latency), Pipeline: percentiles(g.Pipeline),
			AddedP50: Ms(g.Latency.P(0.5) - d.Latency.P(0.5)), AddedP99: Ms(g.Latency.P(0.99) - d.Latency.P(0.99)),
			Errors: g.Errors + d.Errors + g.Unstarted + d.Unstarted, CatchUpMs: Ms(catchUp), Store: appends}
		if d.OK > 0 && g.OK > 0 {
			r.DirectCPUUs = round1(float64(dSelf.Microseconds()) / float64(d.OK))
			r.GatewayCPUUs = round1(float64(gSelf.Microseconds()) / float64(g.OK))
			r.PostgresCPUUs = round1(float64(gPG.Microseconds()) / float64(g.OK))
			r.CPUCeiling = round1(float64(runtime.NumCPU()) * 1e6 / (r.GatewayCPUUs + r.PostgresCPUUs))
		}
		if g.FirstErr != nil {
			r.FirstError = g.FirstErr.Error()
		} else if d.FirstErr != nil {
			r.FirstError = d.FirstErr.Error()
		}
		kept := r.Errors == 0 && g.Achieved >= 0.95*float64(rate)
		r.Pass = kept && g.Latency.P(0.99)-d.Latency.P(0.99) < o.AddedBound
		rep.Sweep = append(rep.Sweep, r)
		fmt.Fprintf(o.Log, "  achieved %.0f/s, p99 %s ms (direct %s ms), added p99 %s ms, errors %d; CPU/request %.0f µs + Postgres %.0f µs\n",
			g.Achieved, ms(g.Latency.P(0.99)), ms(d.Latency.P(0.99)), ms(g.Latency.P(0.99)-d.Latency.P(0.99)), r.Errors, r.GatewayCPUUs, r.PostgresCPUUs)
		// Far past the bound or not keeping up: higher rates only queue more.
		if !kept || g.Latency.P(0.99)-d.Latency.P(0.99) > 10*o.AddedBound {
			break
		}
	}
	if sampler != nil {
		rep.PGSamples = sampler.result(25)
	}
	for _, r := range rep.Sweep {
		if !r.Pass {
			break
		}
		rep.HighestRate = r.Rate
	}
	rep.AuditEvents = e.auditEvents(ctx)
	rep.MockCalls = e.mock.Calls.Load()
	rep.LoadAfter = Loadavg()
	return rep, nil
}

func settle(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func sequentialResult(name string, direct, through []sample) SequentialResult {
	var dl, gl, pl []time.Duration
	for _, s := range direct {
		dl = append(dl, s.latency)
	}
	for _, s := range through {
		gl = append(gl, s.latency)
		if s.pipeline > 0 {
			pl = append(pl, s.pipeline)
		}
	}
	d, g, p := NewDist(dl), NewDist(gl), NewDist(pl)
	return SequentialResult{Variant: name, Direct: percentiles(d), Gateway: percentiles(g), Pipeline: percentiles(p),
		AddedP50: Ms(g.P(0.5) - d.P(0.5)), AddedP99: Ms(g.P(0.99) - d.P(0.99))}
}

// Print renders a report as text.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "gateway benchmark  %s  GOMAXPROCS=%d  CPUs=%d  load average before %s, after %s\n",
		r.Started.Format(time.RFC3339), r.GoMaxProcs, r.NumCPU, r.LoadBefore, r.LoadAfter)
	rl := "in-process"
	if r.Redis {
		rl = "Redis"
	}
	fmt.Fprintf(w, "auth %s, endpoint %s, rate limiter and budgets %s; audit events appended %d, mock calls %d\n\n", r.Auth, r.Endpoint, rl, r.AuditEvents, r.MockCalls)
	fmt.Fprintln(w, "Concurrency 1 (ms)       n      p50     p90     p99     max    mean")
	for _, s := range r.Sequential {
		row := func(label string, p Percentiles) {
			fmt.Fprintf(w, "  %-20s %6d %8.3f %7.3f %7.3f %7.3f %7.3f\n", label, p.N, p.P50, p.P90, p.P99, p.Max, p.Mean)
		}
		fmt.Fprintf(w, " %s\n", s.Variant)
		row("direct", s.Direct)
		row("through gateway", s.Gateway)
		row("pipeline (server)", s.Pipeline)
		row("server, to the append", s.ServerLatency)
		row("  of which provider", s.ServerProvider)
		fmt.Fprintf(w, "  added: p50 %.3f ms, p99 %.3f ms; event store: %d appends, mean %.3f ms, %.1f events per commit\n",
			s.AddedP50, s.AddedP99, s.Store.Appends, s.Store.MeanAppendMs, s.Store.EventsPerCommit)
	}
	if len(r.Sweep) == 0 {
		return
	}
	fmt.Fprintln(w, "\nOpen-loop sweep (latency from the scheduled send, ms)")
	fmt.Fprintln(w, "  rate/s  achieved  direct p50/p99     gateway p50/p99    pipeline p50/p99   added p50/p99     errors  pass   CPU µs/req direct|gateway+pg  ceiling/s  catch-up ms")
	for _, s := range r.Sweep {
		fmt.Fprintf(w, "  %6d  %8.0f  %7.3f/%-8.3f  %7.3f/%-9.3f  %7.3f/%-8.3f  %7.3f/%-8.3f  %6d  %-5v  %6.0f | %6.0f + %-6.0f  %9.0f  %8.0f\n", s.Rate, s.GatewayAchieved,
			s.Direct.P50, s.Direct.P99, s.Gateway.P50, s.Gateway.P99, s.Pipeline.P50, s.Pipeline.P99, s.AddedP50, s.AddedP99, s.Errors, s.Pass,
			s.DirectCPUUs, s.GatewayCPUUs, s.PostgresCPUUs, s.CPUCeiling, s.CatchUpMs)
		if s.FirstError != "" {
			fmt.Fprintf(w, "          first error: %.200s\n", s.FirstError)
		}
	}
	if len(r.PGSamples) > 0 {
		fmt.Fprintln(w, "\nPostgres during the sweep (share of samples of active backends: on CPU, or waiting)")
		for _, p := range r.PGSamples {
			fmt.Fprintf(w, "  %5.1f%%  %-28s %s\n", p.Share, p.Wait, p.Statement)
		}
	}
	fmt.Fprintf(w, "\nhighest rate with p99 added < %.0f ms (and every request answered at the rate): %d/s\n", r.BoundMs, r.HighestRate)
}
