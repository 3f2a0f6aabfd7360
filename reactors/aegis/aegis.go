// Package aegis holds AEGIS's reactors: what a kill does to the agent's API
// keys (revoked through IAM's commands), what a batch of activity showed
// outside the agent's baseline (anomalies, and automatic quarantine), the
// gateway's traffic as agents' activity (and keys no agent claims as
// discovered agents), and alerts raised by the built-in detectors and the
// tenants' alert rules from every module's events.
package aegis

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	cmdaegis "github.com/astrabastion/astra/commands/aegis"
	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	"github.com/astrabastion/astra/reactors"
)

// metaOf is the metadata of a command an event causes: the event's tenant
// and actor, its correlation, and the event as the cause.
func metaOf(e *eventstore.Event) eventstore.Metadata {
	return eventstore.Metadata{TenantID: e.TenantID, Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.ID.String()}
}

// Revocations revokes a killed agent's API keys through IAM's command path
// (iam.ApiKeyRevoked, which IAM's own reactor applies on every instance).
// Revoking a revoked key records nothing, so a redelivery changes nothing.
func Revocations(keys *cmdiam.Handlers) reactors.Reactor {
	return reactors.Reactor{Name: "aegis_kill_revocations", Module: "aegis", Scope: reactors.Shared, Types: []events.Type{aegis.KillSwitchActivated},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d aegis.ContainmentV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			for _, k := range d.Keys {
				_, err := keys.RevokeAPIKey(ctx, metaOf(e), cmdiam.RevokeAPIKey{ID: k, Reason: "agent_killed"})
				if err != nil && !errors.Is(err, iam.ErrApiKeyNotFound) {
					return err
				}
			}
			return nil
		}}
}

// Anomalies records what each batch of activity showed outside its agent's
// baseline, once the read model folded the batch (the findings are its,
// judged against the baseline as it stood before the batch), and lets the
// command quarantine the agent when it asks for that.
func Anomalies(commands *cmdaegis.Handlers, queries *rmaegis.Queries, runner *projections.Runner) reactors.Reactor {
	return reactors.Reactor{Name: "aegis_anomalies", Module: "aegis", Scope: reactors.Shared, Types: []events.Type{aegis.AgentActivityRecorded},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d aegis.AgentActivityRecordedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			if err := runner.WaitFor(ctx, 30*time.Second, []eventstore.Event{*e}, rmaegis.Name); err != nil {
				return err
			}
			fs, err := queries.Findings(ctx, d.BatchID)
			if err != nil || len(fs) == 0 {
				return err
			}
			_, err = commands.RecordAnomalies(ctx, metaOf(e), cmdaegis.RecordAnomalies{AgentID: d.AgentID, BatchID: d.BatchID, Findings: fs})
			if errors.Is(err, aegis.ErrAgentNotFound) {
				return nil // retired since
			}
			return err
		}}
}

// Agents names the agent that sends gateway traffic with an API key (the
// gateway runtime's view, kept current on every instance).
type Agents interface {
	AgentOf(tenantID, keyID string) string
}

// Traffic turns gateway requests made with agents' API keys into their
// activity, in batches per agent (Flush), and records the first request of
// a key no agent claims as a discovered agent.
type Traffic struct {
	Commands *cmdaegis.Handlers
	Agents   Agents
	Log      *slog.Logger

	mu      sync.Mutex
	pending map[string]*batch // by agent
	seen    sync.Map          // tenant/key discovered already
}

type batch struct {
	meta    eventstore.Metadata
	actions []aegis.Action
}

// maxPending bounds the actions held for one agent between flushes.
const maxPending = 5000

// Reactor is the shared reactor over the gateway's request records.
func (t *Traffic) Reactor() reactors.Reactor {
	return reactors.Reactor{Name: "aegis_gateway_traffic", Module: "aegis", Scope: reactors.Shared,
		Types: []events.Type{gw.RequestCompleted, gw.RequestBlocked, gw.RequestFailed},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d gw.RequestRecordedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			if d.PrincipalKind != "api_key" || d.Principal == "" {
				return nil
			}
			agent := t.Agents.AgentOf(e.TenantID, d.Principal)
			if agent == "" {
				return t.discover(ctx, e, &d)
			}
			t.add(agent, e, aegis.Action{At: e.Time, Kind: aegis.ActionLLMCall, Model: d.Model, Tokens: int64(d.Usage.TotalTokens),
				Error: d.Blocked || e.Type == gw.RequestFailed.CEType(), DurationMs: int64(d.LatencyMs)})
			return nil
		}}
}

func (t *Traffic) add(agent string, e *eventstore.Event, a aegis.Action) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending == nil {
		t.pending = map[string]*batch{}
	}
	b := t.pending[agent]
	if b == nil {
		b = &batch{meta: eventstore.Metadata{TenantID: e.TenantID, Actor: "system:aegis", CorrelationID: e.CorrelationID}}
		t.pending[agent] = b
	}
	if len(b.actions) < maxPending {
		b.actions = append(b.actions, a)
	}
}

// Flush records each agent's pending gateway activity as one batch.
func (t *Traffic) Flush(ctx context.Context) {
	t.mu.Lock()
	pending := t.pending
	t.pending = nil
	t.mu.Unlock()
	for agent, b := range pending {
		_, err := t.Commands.RecordActivity(ctx, b.meta, cmdaegis.RecordActivity{AgentID: agent, Source: aegis.SourceGateway, Actions: b.actions})
		if err != nil && !errors.Is(err, aegis.ErrAgentNotFound) && t.Log != nil {
			t.Log.Warn("aegis: gateway activity not recorded", "agent", agent, "actions", len(b.actions), "err", err)
		}
	}
}

// discover records the first request under a key no agent claims.
func (t *Traffic) discover(ctx context.Context, e *eventstore.Event, d *gw.RequestRecordedV1) error {
	key := e.TenantID + "/" + d.Principal
	if _, ok := t.seen.Load(key); ok {
		return nil
	}
	err := t.Commands.Discover(ctx, metaOf(e), cmdaegis.Discover{KeyID: d.Principal, Endpoint: d.Endpoint, Provider: d.Provider,
		Model: d.Model, RequestID: d.RequestID, At: e.Time})
	if err == nil {
		t.seen.Store(key, true)
	}
	return err
}
