// Package aegis holds the command handlers of AEGIS: one small named type
// per change, each decided by one handler on the kit's load → decide →
// append path (eventstore.Update / Create): the agent inventory and its
// containment, activity and anomalies, guardrails, alerts and alert rules.
package aegis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// Directory is what commands read of the tenant's API keys and agents: the
// read models answer it.
type Directory interface {
	// APIKeyLive reports whether the tenant has an unrevoked API key of that id.
	APIKeyLive(ctx context.Context, tenant, keyID string) (bool, error)
	// AgentOfKey is the live agent that claims an API key ("" when none).
	AgentOfKey(ctx context.Context, tenant, keyID string) (string, error)
}

// Handlers executes AEGIS commands.
type Handlers struct {
	Store     *eventstore.Store
	Directory Directory
	// Keys seals recorded MCP call arguments (nil: they are not recorded).
	Keys *eventstore.Keyring
}

// newID is a new aggregate or batch id (UUIDv7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// agents folds an agent's stream.
var agents = func() *eventstore.Fold[aegis.Agent] {
	f := eventstore.NewFold[aegis.Agent]()
	eventstore.On(f, aegis.AgentRegistered, func(s *aegis.Agent, d *aegis.AgentRegisteredV1, _ *eventstore.Event) { s.Registered(d) })
	eventstore.On(f, aegis.AgentUpdated, func(s *aegis.Agent, d *aegis.AgentUpdatedV1, _ *eventstore.Event) { s.Updated(d) })
	eventstore.On(f, aegis.AgentQuarantined, func(s *aegis.Agent, _ *aegis.ContainmentV1, _ *eventstore.Event) {
		s.Contained(aegis.StatusQuarantined)
	})
	eventstore.On(f, aegis.AgentReleased, func(s *aegis.Agent, _ *aegis.ContainmentV1, _ *eventstore.Event) { s.Contained(aegis.StatusActive) })
	eventstore.On(f, aegis.KillSwitchActivated, func(s *aegis.Agent, _ *aegis.ContainmentV1, _ *eventstore.Event) { s.Contained(aegis.StatusKilled) })
	eventstore.On(f, aegis.AgentRetired, func(s *aegis.Agent, _ *aegis.AgentRetiredV1, _ *eventstore.Event) { s.Contained(aegis.StatusRetired) })
	return f
}()

// checkKeys refuses API keys the tenant does not have, or that another
// agent claims.
func (h *Handlers) checkKeys(ctx context.Context, tenant, agentID string, keys []string) error {
	for _, k := range keys {
		live, err := h.Directory.APIKeyLive(ctx, tenant, k)
		if err != nil {
			return err
		}
		if !live {
			return fmt.Errorf("%w: %s", aegis.ErrUnknownKey, k)
		}
		owner, err := h.Directory.AgentOfKey(ctx, tenant, k)
		if err != nil {
			return err
		}
		if owner != "" && owner != agentID {
			return fmt.Errorf("%w: %s is agent %s's", aegis.ErrKeyClaimed, k, owner)
		}
	}
	return nil
}

// RegisterAgent records an agent in the inventory.
type RegisterAgent struct {
	Profile aegis.Profile
}

// RegisterAgent records AgentRegistered; it returns the new agent's id.
func (h *Handlers) RegisterAgent(ctx context.Context, meta eventstore.Metadata, c RegisterAgent) (string, []eventstore.Event, error) {
	p := c.Profile
	if err := aegis.CheckProfile(&p); err != nil {
		return "", nil, err
	}
	id := newID()
	if err := h.checkKeys(ctx, meta.TenantID, id, p.APIKeyIDs); err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, aegis.StreamOfAgent(id),
		eventstore.Draft{Type: aegis.AgentRegistered, Subject: id, Data: &aegis.AgentRegisteredV1{AgentID: id, TenantID: meta.TenantID, Profile: p}})
	return id, evs, err
}

// UpdateAgent changes an agent's profile (nil fields stay).
type UpdateAgent struct {
	ID       string
	Expected int64
	Change   aegis.AgentUpdatedV1
}

// UpdateAgent records AgentUpdated.
func (h *Handlers) UpdateAgent(ctx context.Context, meta eventstore.Metadata, c UpdateAgent) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, agents, aegis.StreamOfAgent(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.Agent]) (eventstore.Decision, error) {
			if !a.State.Live(meta.TenantID) {
				return nil, aegis.ErrAgentNotFound
			}
			d := c.Change
			d.AgentID = c.ID
			p, err := a.State.Change(&d)
			if err != nil {
				return nil, err
			}
			if d.APIKeyIDs != nil {
				if err := h.checkKeys(ctx, meta.TenantID, c.ID, p.APIKeyIDs); err != nil {
					return nil, err
				}
			}
			return eventstore.Decision{{Type: aegis.AgentUpdated, Subject: c.ID, Data: &d}}, nil
		})
}

// RetireAgent removes an agent from the inventory (its history stays).
type RetireAgent struct {
	ID       string
	Expected int64
	Reason   string
}

// RetireAgent records AgentRetired.
func (h *Handlers) RetireAgent(ctx context.Context, meta eventstore.Metadata, c RetireAgent) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, agents, aegis.StreamOfAgent(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.Agent]) (eventstore.Decision, error) {
			d, err := a.State.Retire(meta.TenantID, c.Reason)
			return eventstore.One(aegis.AgentRetired, c.ID, d, err)
		})
}

// Contain quarantines, releases or kills an agent.
type Contain struct {
	ID     string
	Reason string
	// Automatic containment names the anomaly that caused it.
	Automatic bool
	AnomalyID string
	Severity  string
}

// Quarantine records AgentQuarantined (nothing when it is already): the
// gateway refuses the agent's keys on every instance.
func (h *Handlers) Quarantine(ctx context.Context, meta eventstore.Metadata, c Contain) ([]eventstore.Event, error) {
	return h.contain(ctx, meta, c, aegis.AgentQuarantined, (*aegis.Agent).Quarantine)
}

// Release records AgentReleased (nothing when the agent is active).
func (h *Handlers) Release(ctx context.Context, meta eventstore.Metadata, c Contain) ([]eventstore.Event, error) {
	return h.contain(ctx, meta, c, aegis.AgentReleased, (*aegis.Agent).Release)
}

// Kill records KillSwitchActivated (nothing when the agent is killed
// already); a reactor revokes its keys through IAM.
func (h *Handlers) Kill(ctx context.Context, meta eventstore.Metadata, c Contain) ([]eventstore.Event, error) {
	return h.contain(ctx, meta, c, aegis.KillSwitchActivated, (*aegis.Agent).Kill)
}

func (h *Handlers) contain(ctx context.Context, meta eventstore.Metadata, c Contain, t events.Type,
	decide func(*aegis.Agent, string, string) (*aegis.ContainmentV1, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, agents, aegis.StreamOfAgent(c.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[aegis.Agent]) (eventstore.Decision, error) {
			d, err := decide(&a.State, meta.TenantID, c.Reason)
			if d != nil {
				d.Automatic, d.AnomalyID, d.Severity = c.Automatic, c.AnomalyID, c.Severity
			}
			return eventstore.One(t, c.ID, d, err)
		})
}

// LoadAgent reads an agent of the tenant (ErrAgentNotFound otherwise).
func (h *Handlers) LoadAgent(ctx context.Context, tenant, id string) (aegis.Agent, error) {
	a, err := eventstore.Load(ctx, h.Store, agents, aegis.StreamOfAgent(id))
	if err != nil {
		return aegis.Agent{}, err
	}
	if !a.State.Live(tenant) {
		return aegis.Agent{}, aegis.ErrAgentNotFound
	}
	return a.State, nil
}

// RecordActivity records a batch of an agent's actions.
type RecordActivity struct {
	AgentID string
	Source  string
	Actions []aegis.Action
	// BatchID makes a retried batch idempotent; a new id when empty.
	BatchID string
}

// Recorded is the outcome of RecordActivity.
type Recorded struct {
	BatchID string
	Events  []eventstore.Event
}

// RecordActivity appends AgentActivityRecorded to the agent's activity
// stream, without loading it (activity only accumulates). The agent must be
// live in the tenant; contained agents' activity is recorded too.
func (h *Handlers) RecordActivity(ctx context.Context, meta eventstore.Metadata, c RecordActivity) (*Recorded, error) {
	if _, err := h.LoadAgent(ctx, meta.TenantID, c.AgentID); err != nil {
		return nil, err
	}
	if c.BatchID == "" {
		c.BatchID = newID()
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: aegis.StreamOfActivity(c.AgentID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{ID: batchEventID(c.AgentID, c.BatchID), Type: aegis.AgentActivityRecorded, Subject: c.AgentID,
			Data: &aegis.AgentActivityRecordedV1{AgentID: c.AgentID, BatchID: c.BatchID, Source: c.Source, Actions: c.Actions}}}})
	if err != nil {
		return nil, err
	}
	return &Recorded{BatchID: c.BatchID, Events: evs}, nil
}

// namespace of AEGIS's name-based event and alert ids.
var namespace = uuid.MustParse("5b8f8d2e-4a0c-4f7e-9a59-5f0d9a7c0e11")

func batchEventID(agentID, batchID string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte("activity|"+agentID+"|"+batchID))
}

// RecordAnomalies records what the read model found outside an agent's
// baseline in one batch, and quarantines the agent when it asks for that at
// the anomaly's severity.
type RecordAnomalies struct {
	AgentID, BatchID string
	Findings         []aegis.Finding
}

// RecordAnomalies appends AgentAnomalyDetected once per finding: the event
// ids derive from the batch and the finding, so that a redelivered batch
// records nothing twice. It returns the events and the containment, if any.
func (h *Handlers) RecordAnomalies(ctx context.Context, meta eventstore.Metadata, c RecordAnomalies) ([]eventstore.Event, error) {
	if len(c.Findings) == 0 {
		return nil, nil
	}
	agent, err := h.LoadAgent(ctx, meta.TenantID, c.AgentID)
	if err != nil {
		return nil, err
	}
	drafts := make([]eventstore.Draft, len(c.Findings))
	worst := c.Findings[0]
	for i, f := range c.Findings {
		id := uuid.NewSHA1(namespace, []byte(fmt.Sprintf("anomaly|%s|%s|%d|%s|%s", c.AgentID, c.BatchID, i, f.Kind, f.Subject)))
		drafts[i] = eventstore.Draft{ID: id, Type: aegis.AgentAnomalyDetected, Subject: c.AgentID, Data: &aegis.AgentAnomalyDetectedV1{
			AnomalyID: id.String(), AgentID: c.AgentID, BatchID: c.BatchID, Finding: f}}
		if alerting.SeverityRank(f.Severity) > alerting.SeverityRank(worst.Severity) {
			worst = f
		}
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: aegis.StreamOfActivity(c.AgentID), Expected: eventstore.AnyVersion, Events: drafts})
	if err != nil || !aegis.ShouldQuarantine(agent.AutoQuarantine, worst.Severity) || agent.Status != aegis.StatusActive {
		return evs, err
	}
	var anomalyID string
	for _, e := range evs {
		var d aegis.AgentAnomalyDetectedV1
		if e.Decode(&d) == nil && d.Kind == worst.Kind && d.Subject == worst.Subject {
			anomalyID = d.AnomalyID
		}
	}
	q, err := h.Quarantine(ctx, meta, Contain{ID: c.AgentID, Automatic: true, AnomalyID: anomalyID, Severity: worst.Severity,
		Reason: fmt.Sprintf("automatic: %s anomaly (%s) at or above %s", worst.Severity, worst.Kind, agent.AutoQuarantine)})
	return append(evs, q...), err
}

// Discover records the first gateway request under an API key no agent claims.
type Discover struct {
	KeyID, Endpoint, Provider, Model, RequestID string
	At                                          time.Time
}

// Discover records AgentDiscovered once per tenant and key: a key
// discovered already records nothing.
func (h *Handlers) Discover(ctx context.Context, meta eventstore.Metadata, c Discover) error {
	_, err := eventstore.Create(ctx, h.Store, meta, aegis.StreamOfDiscovery(meta.TenantID, c.KeyID), eventstore.Draft{Type: aegis.AgentDiscovered,
		Subject: c.KeyID, Data: &aegis.AgentDiscoveredV1{KeyID: c.KeyID, Endpoint: c.Endpoint, Provider: c.Provider, Model: c.Model,
			RequestID: c.RequestID, FirstSeen: c.At}})
	if errors.Is(err, eventstore.ErrVersionMismatch) {
		return nil
	}
	return err
}
