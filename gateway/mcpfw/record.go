package mcpfw

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/mcp"
	rm "github.com/astrabastion/astra/projections/aegis"
)

// rates counts allowed calls per rate-limit key on this instance (a sliding
// window of call times).
type rates struct {
	mu sync.Mutex
	m  map[string][]time.Time
}

// Count implements mcp.Counter.
func (r *rates) Count(key string, window time.Duration, now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.m[key] {
		if now.Sub(t) < window {
			n++
		}
	}
	return n
}

func (r *rates) add(key string, at time.Time, window time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string][]time.Time{}
	}
	ts := r.m[key]
	i := 0
	for i < len(ts) && at.Sub(ts[i]) >= window {
		i++
	}
	r.m[key] = append(ts[i:], at)
}

type pending struct {
	tenant string
	d      aegis.McpDecisionV1
	args   map[string]any
}

// recorder records allowed decisions in batches in the background, so that
// the proxy's answer never waits for them; refusals are recorded before
// they are answered. A call appends to a buffer under a mutex; only the
// first call of a batch wakes the writer, which gathers for RecordLinger:
// handing each decision to a goroutine cost the calling request a wake-up
// and, on a busy two-core machine, a wait for a processor in the tail.
type recorder struct {
	w    Writer
	log  *slog.Logger
	mu   sync.Mutex
	buf  []pending
	shut bool
	kick chan struct{} // one token: a batch has started
	done chan struct{}
	once sync.Once
}

// recordCap is how many allowed decisions may wait for the writer; past it
// a call records in line rather than dropping one.
const recordCap = 8192

func newRecorder(w Writer, log *slog.Logger) *recorder {
	r := &recorder{w: w, log: log, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) now(ctx context.Context, tenant string, d aegis.McpDecisionV1, args map[string]any) {
	if err := r.w.Record(context.WithoutCancel(ctx), tenant, []aegis.McpDecisionV1{d}, []map[string]any{args}); err != nil {
		r.log.Error("mcp firewall: decision not recorded", "decision", d.DecisionID, "error", err)
	}
}

func (r *recorder) later(tenant string, d aegis.McpDecisionV1, args map[string]any) {
	r.mu.Lock()
	if r.shut || len(r.buf) >= recordCap {
		r.mu.Unlock()
		r.now(context.Background(), tenant, d, args) // closing, or a full buffer: record in line rather than drop
		return
	}
	r.buf = append(r.buf, pending{tenant, d, args})
	if len(r.buf) == 1 {
		select { // under the lock: close cannot close kick in between
		case r.kick <- struct{}{}:
		default:
		}
	}
	r.mu.Unlock()
}

// take hands the writer what is buffered.
func (r *recorder) take() []pending {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.buf
	r.buf = nil
	return out
}

func (r *recorder) run() {
	defer close(r.done)
	for range r.kick {
		// Gather what comes within the linger: one append per tenant and
		// batch, not per call (each append costs a commit, a relay,
		// projections and consumers, on the cores that serve the calls too).
		time.Sleep(RecordLinger)
		r.flush(r.take())
	}
	r.flush(r.take())
}

func (r *recorder) flush(ps []pending) {
	byTenant := map[string][]pending{}
	for _, p := range ps {
		byTenant[p.tenant] = append(byTenant[p.tenant], p)
	}
	for tenant, ps := range byTenant {
		for len(ps) > 0 {
			n := min(len(ps), 500)
			ds := make([]aegis.McpDecisionV1, n)
			args := make([]map[string]any, n)
			for i, p := range ps[:n] {
				ds[i], args[i] = p.d, p.args
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := r.w.Record(ctx, tenant, ds, args); err != nil {
				r.log.Error("mcp firewall: decisions not recorded", "count", len(ds), "error", err)
			}
			cancel()
			ps = ps[n:]
		}
	}
}

// RecordLinger is how long the recorder gathers allowed decisions before it
// appends them (at most 500 in one append): the delay an allowance may take
// to reach the ledger, on top of its append.
var RecordLinger = 50 * time.Millisecond

func (r *recorder) close() {
	r.once.Do(func() {
		r.mu.Lock()
		r.shut = true
		r.mu.Unlock()
		close(r.kick)
	})
	<-r.done
}

// Inspection is a call or result a gateway that only asks submits.
type Inspection struct {
	Caller    Caller
	ServerID  string
	SessionID string
	AgentID   string
	Stage     string // call or result
	Tool      string
	Arguments map[string]any
	// Result is the tool result's text (stage result).
	Result string
	// Labels the caller's session carries already (pii, secret).
	Labels []string
}

// Inspect decides like the proxy, from the pins the tenant holds (no
// upstream is contacted), and records the decision.
func (f *Firewall) Inspect(ctx context.Context, in Inspection) (aegis.McpDecisionV1, error) {
	f.init()
	st, err := f.tenant(ctx, in.Caller.TenantID)
	if err != nil {
		return aegis.McpDecisionV1{}, err
	}
	srv, ok := st.servers[in.ServerID]
	if !ok {
		return aegis.McpDecisionV1{}, mcp.ErrServerNotFound
	}
	agent, status := in.AgentID, ""
	if f.Agent != nil {
		if a, s := f.Agent(in.Caller.TenantID, in.Caller.APIKeyID); a != "" && agent == "" {
			agent, status = a, s
		}
	}
	cc := &callCtx{caller: in.Caller, agent: agent, status: status, serverID: srv.ID, sess: &session{id: in.SessionID}, started: time.Now()}
	cc.sess.addLabels(in.Labels)
	var d mcp.Decision
	var labels []string
	hash := ""
	if p, ok := srv.Tools[in.Tool]; ok {
		hash = p.Hash
	}
	if g, blocked := gate(cc, srv); blocked {
		d = g
	} else if in.Stage == aegis.StageResult {
		findings := mcp.ScanResult(in.Result)
		labels = mcp.ResultLabels(in.Result)
		d = mcp.Allow()
		d.Findings = findings
		if len(findings) > 0 {
			d = mcp.Block("result_injection", "the result of "+in.Tool+" carries instructions for the model ("+findings[0].Rule+")", findings...)
		}
	} else {
		var pin *mcp.Pinned
		if p, ok := srv.Tools[in.Tool]; ok && p.State != mcp.PinRemoved {
			pin = &p
		}
		call := &mcp.Call{TenantID: in.Caller.TenantID, ServerID: srv.ID, SessionID: in.SessionID, AgentID: agent, Tool: in.Tool,
			Arguments: in.Arguments, Labels: cc.sess.labelsNow(), At: f.now()}
		d = Judge(st, srv, call, pin, &f.rates)
		labels = call.Labels
		if !d.Blocked() {
			for _, r := range st.rules.RateRules(call) {
				f.rates.add(mcp.RateKey(r, call), call.At, time.Duration(r.Spec.WindowSeconds)*time.Second)
			}
		}
	}
	dec := f.decision(cc, in.Stage, in.Tool, hash, d, labels)
	dec.Source = "inspect"
	f.rec.now(ctx, in.Caller.TenantID, dec, in.Arguments)
	return dec, nil
}

// DraftRules compiles a draft rule set (for a backtest).
func DraftRules(rules []mcp.Rule) *mcp.RuleSet { return mcp.Compile(rules) }

var _ = rm.Name
