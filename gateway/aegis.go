package gateway

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/guardrail"
	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// AEGIS in the gateway: the agents whose API keys send traffic, with their
// containment (a quarantined or killed agent's keys are refused at the
// kill-switch step), and each tenant's guardrails compiled into the one
// guardrail engine, which the content-rules step evaluates together with
// the policy's content rules. Both are held per instance and kept current by
// the runtime's reactor (React) from AEGIS's events.

// Codes of containment at the gateway.
const (
	CodeAgentQuarantined = "AEG-013"
	CodeAgentKilled      = "AEG-014"
)

// agentState is what the gateway holds of an agent.
type agentState struct {
	id, tenant string
	keys       []string
	status     string
	version    int64
}

// aegisState is the runtime's AEGIS state.
type aegisState struct {
	mu sync.RWMutex
	// agents by id; owner of each tenant/key.
	agents map[string]agentState
	owner  map[string]string
	// guardrails are each tenant's compiled guardrails (loaded on first use).
	guardrails projections.PerTenant[*guardrail.Set]
}

// InitAegis loads every agent's keys and status; guardrails load per
// tenant on first use. Without Aegis queries the gateway knows no agents.
func (rt *Runtime) InitAegis(ctx context.Context) error {
	rt.aegis.mu.Lock()
	rt.aegis.agents, rt.aegis.owner = map[string]agentState{}, map[string]string{}
	rt.aegis.mu.Unlock()
	if rt.Aegis == nil {
		return nil
	}
	ks, err := rt.Aegis.AllAgentKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range ks {
		rt.applyAgent(agentState{id: k.ID, tenant: k.TenantID, keys: k.Keys, status: k.Status, version: k.Version})
	}
	return nil
}

// applyAgent records an agent's state unless a later one is held (events
// and the read model may arrive in either order; the stream version decides).
func (rt *Runtime) applyAgent(s agentState) {
	a := &rt.aegis
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.agents == nil {
		a.agents, a.owner = map[string]agentState{}, map[string]string{}
	}
	old, ok := a.agents[s.id]
	if ok && old.version >= s.version {
		return
	}
	for _, k := range old.keys {
		if a.owner[old.tenant+"/"+k] == s.id {
			delete(a.owner, old.tenant+"/"+k)
		}
	}
	a.agents[s.id] = s
	if s.status == aegis.StatusRetired {
		return
	}
	for _, k := range s.keys {
		a.owner[s.tenant+"/"+strings.ToLower(k)] = s.id
	}
}

// agentOf is the agent that sends traffic with an API key ("" when none).
func (rt *Runtime) agentOf(tenantID, keyID string) (agentState, bool) {
	if keyID == "" {
		return agentState{}, false
	}
	a := &rt.aegis
	a.mu.RLock()
	defer a.mu.RUnlock()
	id, ok := a.owner[tenantID+"/"+strings.ToLower(keyID)]
	if !ok {
		return agentState{}, false
	}
	return a.agents[id], true
}

// AgentOf names the agent that sends traffic with an API key of a tenant
// ("" when none): activity and discovery use it.
func (rt *Runtime) AgentOf(tenantID, keyID string) string {
	s, _ := rt.agentOf(tenantID, keyID)
	return s.id
}

// contained blocks a request whose API key is a quarantined or killed agent's.
func (r *run) contained(t time.Time) bool {
	s, ok := r.rt.agentOf(r.call.TenantID, r.call.APIKeyID)
	if !ok || (s.status != aegis.StatusQuarantined && s.status != aegis.StatusKilled) {
		return false
	}
	code, what := CodeAgentQuarantined, "quarantined"
	if s.status == aegis.StatusKilled {
		code, what = CodeAgentKilled, "killed"
	}
	r.step(gw.StepKillSwitch, t, "block", 0, "agent:"+s.id, "")
	r.block(gw.StepKillSwitch, code, "The AI agent "+s.id+" that uses this API key is "+what+" in AEGIS; its requests are refused.")
	return true
}

// agentOfEvent reads an agent's state from each AEGIS event about it.
var agentOfEvent = map[string]func(e *eventstore.Event) (agentState, error){
	aegis.AgentRegistered.CEType(): decodeAgent(func(d *aegis.AgentRegisteredV1) (string, []string, string) {
		return d.AgentID, d.APIKeyIDs, aegis.StatusActive
	}),
	aegis.AgentUpdated.CEType(): decodeAgent(func(d *aegis.AgentUpdatedV1) (string, []string, string) { return d.AgentID, d.Keys, d.Status }),
	aegis.AgentRetired.CEType(): decodeAgent(func(d *aegis.AgentRetiredV1) (string, []string, string) {
		return d.AgentID, d.Keys, aegis.StatusRetired
	}),
	aegis.AgentQuarantined.CEType():    contained(aegis.StatusQuarantined),
	aegis.AgentReleased.CEType():       contained(aegis.StatusActive),
	aegis.KillSwitchActivated.CEType(): contained(aegis.StatusKilled),
}

func decodeAgent[T any](of func(*T) (id string, keys []string, status string)) func(e *eventstore.Event) (agentState, error) {
	return func(e *eventstore.Event) (agentState, error) {
		var d T
		if err := e.Decode(&d); err != nil {
			return agentState{}, err
		}
		id, keys, status := of(&d)
		return agentState{id: id, tenant: e.TenantID, keys: keys, status: status, version: e.Version}, nil
	}
}

func contained(status string) func(e *eventstore.Event) (agentState, error) {
	return decodeAgent(func(d *aegis.ContainmentV1) (string, []string, string) { return d.AgentID, d.Keys, status })
}

// guardrailEvents are AEGIS's events that change a tenant's guardrails.
var guardrailEvents = map[string]bool{aegis.GuardrailCreated.CEType(): true, aegis.GuardrailUpdated.CEType(): true,
	aegis.GuardrailEnabled.CEType(): true, aegis.GuardrailDisabled.CEType(): true, aegis.GuardrailDeleted.CEType(): true}

// reactAegis brings the AEGIS state up to an event; ok is false for
// events that are not AEGIS's. An agent's state is taken from the event
// itself (containment holds before the write answers); a tenant's
// guardrails are dropped, to be compiled again from the read model.
func (rt *Runtime) reactAegis(ctx context.Context, e *eventstore.Event) (bool, error) {
	if of, ok := agentOfEvent[e.Type]; ok {
		s, err := of(e)
		if err == nil {
			rt.applyAgent(s)
		}
		return true, err
	}
	if guardrailEvents[e.Type] {
		rt.Invalidate(ctx, "guardrail:"+e.TenantID)
		rt.afterReadModel(e, []string{"guardrail"})
		return true, nil
	}
	return false, nil
}

// AegisEvents are AEGIS's events that change what the runtime holds.
var AegisEvents = []events.Type{aegis.AgentRegistered, aegis.AgentUpdated, aegis.AgentRetired, aegis.AgentQuarantined, aegis.AgentReleased,
	aegis.KillSwitchActivated, aegis.GuardrailCreated, aegis.GuardrailUpdated, aegis.GuardrailEnabled, aegis.GuardrailDisabled, aegis.GuardrailDeleted}

// detectors are the gateway's detectors as the guardrail engine takes them.
func (rt *Runtime) guardrailDetectors() guardrail.Detectors {
	return guardrail.Detectors{
		FindPII: func(text string, types []string) []guardrail.Span {
			ents := rt.PII.Find(text, PIIScope{Include: types})
			out := make([]guardrail.Span, len(ents))
			for i, e := range ents {
				out[i] = guardrail.Span{Type: e.Type, Start: e.Start, End: e.End, Score: e.Score}
			}
			return out
		},
		RedactPII: func(text string, spans []guardrail.Span) string {
			ents := make([]PIIEntity, len(spans))
			for i, s := range spans {
				ents[i] = PIIEntity{Type: s.Type, Start: s.Start, End: s.End, Score: s.Score}
			}
			return rt.PII.Redact(text, ents)
		},
		Injection:          func(text string) (float64, []string) { return rt.Injection.ScanText(text, false) },
		InjectionThreshold: rt.Injection.DefaultThreshold(),
	}
}

// tenantGuardrails are the tenant's enabled guardrails, compiled (nil when
// AEGIS is absent or has none).
func (rt *Runtime) tenantGuardrails(ctx context.Context, tenantID string) (*guardrail.Set, error) {
	if rt.Aegis == nil {
		return nil, nil
	}
	return rt.aegis.guardrails.Get(tenantID, func() (*guardrail.Set, error) {
		rules, err := rt.Aegis.EnabledGuardrails(ctx, tenantID)
		if err != nil {
			return nil, dependency("guardrails", err)
		}
		s, err := guardrail.Compile(rules, rt.guardrailDetectors())
		if err != nil && rt.Log != nil {
			rt.Log.Warn("gateway: a guardrail does not compile and is left out", "tenant", tenantID, "err", err)
		}
		return s, nil
	})
}

// dropGuardrails forgets a tenant's compiled guardrails.
func (rt *Runtime) dropGuardrails(tenantID string) { rt.aegis.guardrails.Drop(tenantID) }

// EvaluateGuardrails judges an input with the tenant's enabled guardrails,
// as the content-rules step does (POST /aegis/guardrails/evaluate).
func (rt *Runtime) EvaluateGuardrails(ctx context.Context, tenantID string, in *guardrail.Input) (guardrail.Verdict, error) {
	s, err := rt.tenantGuardrails(ctx, tenantID)
	if err != nil {
		return guardrail.Verdict{}, err
	}
	if in.AgentID == "" {
		in.AgentID = rt.AgentOf(tenantID, in.APIKeyID)
	}
	return guardrail.Evaluate(in, s), nil
}

// TestGuardrail judges an input with one guardrail (POST /aegis/guardrails/{id}/test).
func (rt *Runtime) TestGuardrail(rule guardrail.Rule, in *guardrail.Input) (guardrail.Verdict, error) {
	s, err := guardrail.Compile([]guardrail.Rule{rule}, rt.guardrailDetectors())
	if err != nil {
		return guardrail.Verdict{}, err
	}
	return guardrail.Evaluate(in, s), nil
}

// contentRules is a policy's content rules compiled once, on first use.
type contentRules struct {
	once sync.Once
	set  *guardrail.Set
}

// rulesOf compiles a policy's content rules as regex guardrails of the
// one engine: each is named by the policy and its version.
func rulesOf(policyID string, version int, p *gw.Policy) []guardrail.Rule {
	if policyID == "" {
		policyID = "builtin"
	}
	out := make([]guardrail.Rule, len(p.ContentRules))
	for i, cr := range p.ContentRules {
		action := cr.Action
		if action == "" {
			action = gw.ActionBlock
		}
		out[i] = guardrail.Rule{ID: "policy/" + policyID + "/" + cr.Name, Version: version, Origin: guardrail.OriginContentRule,
			Spec: guardrail.Spec{Name: cr.Name, Type: guardrail.Regex, Config: guardrail.Config{Patterns: []string{cr.Pattern}}, Action: action, Severity: "medium"}}
	}
	return out
}

// contentSet is the policy's content rules, compiled.
func (r *run) contentSet() *guardrail.Set {
	p := &r.policy
	if len(p.policy.ContentRules) == 0 {
		return nil
	}
	compile := func() *guardrail.Set {
		s, _ := guardrail.Compile(rulesOf(p.id, p.version, &p.policy), r.rt.guardrailDetectors())
		return s
	}
	if p.rules == nil {
		return compile()
	}
	p.rules.once.Do(func() { p.rules.set = compile() })
	return p.rules.set
}

// AgentStatus names the agent that uses an API key of a tenant and its
// containment status ("", "" when no agent claims the key): the MCP
// firewall refuses a contained agent as the gateway does.
func (rt *Runtime) AgentStatus(tenantID, keyID string) (string, string) {
	s, ok := rt.agentOf(tenantID, keyID)
	if !ok {
		return "", ""
	}
	return s.id, s.status
}
