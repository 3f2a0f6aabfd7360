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
// they are answered.
type recorder struct {
	w    Writer
	log  *slog.Logger
	in   chan pending
	done chan struct{}
	once sync.Once
}

func newRecorder(w Writer, log *slog.Logger) *recorder {
	r := &recorder{w: w, log: log, in: make(chan pending, 8192), done: make(chan struct{})}
	go r.run()
	return r
}

func (r *recorder) now(ctx context.Context, tenant string, d aegis.McpDecisionV1, args map[string]any) {
	if err := r.w.Record(context.WithoutCancel(ctx), tenant, []aegis.McpDecisionV1{d}, []map[string]any{args}); err != nil {
		r.log.Error("mcp firewall: decision not recorded", "decision", d.DecisionID, "error", err)
	}
}

func (r *recorder) later(tenant string, d aegis.McpDecisionV1, args map[string]any) {
	select {
	case r.in <- pending{tenant, d, args}:
	default:
		r.now(context.Background(), tenant, d, args) // a full queue records in line rather than dropping
	}
}

func (r *recorder) run() {
	defer close(r.done)
	batch := map[string][]pending{}
	flush := func() {
		for tenant, ps := range batch {
			ds := make([]aegis.McpDecisionV1, len(ps))
			args := make([]map[string]any, len(ps))
			for i, p := range ps {
				ds[i], args[i] = p.d, p.args
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := r.w.Record(ctx, tenant, ds, args); err != nil {
				r.log.Error("mcp firewall: decisions not recorded", "count", len(ds), "error", err)
			}
			cancel()
		}
		clear(batch)
	}
	for p := range r.in {
		batch[p.tenant] = append(batch[p.tenant], p)
		// Gather what comes within the linger: one append per batch, not
		// per call (each append costs a commit, a relay, projections and
		// consumers, on the cores that serve the calls too).
		linger := time.NewTimer(RecordLinger)
	gather:
		for n := 1; n < 500; n++ {
			select {
			case q, ok := <-r.in:
				if !ok {
					break gather
				}
				batch[q.tenant] = append(batch[q.tenant], q)
			case <-linger.C:
				break gather
			}
		}
		linger.Stop()
		flush()
	}
	flush()
}

// RecordLinger is how long the recorder gathers allowed decisions before it
// appends them (at most 500 at once): the delay an allowance may take to
// reach the ledger, on top of its append.
var RecordLinger = 50 * time.Millisecond

func (r *recorder) close() {
	r.once.Do(func() { close(r.in) })
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
