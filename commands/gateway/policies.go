package gateway

import (
	"context"

	"github.com/google/uuid"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// policyState is a policy's stream folded: every version it had.
type policyState struct {
	tenant   string
	versions map[int]gw.Policy
	current  int
	deleted  bool
}

var policyFold = func() *eventstore.Fold[policyState] {
	f := eventstore.NewFold[policyState]()
	versioned := func(s *policyState, d *gw.PolicyVersionedV1, e *eventstore.Event) {
		if s.versions == nil {
			s.versions = map[int]gw.Policy{}
		}
		s.tenant, s.versions[d.Version], s.current = e.TenantID, d.Policy, d.Version
	}
	eventstore.On(f, gw.PolicyCreated, versioned)
	eventstore.On(f, gw.PolicyUpdated, versioned)
	eventstore.On(f, gw.PolicyRolledBack, versioned)
	eventstore.On(f, gw.PolicyDeleted, func(s *policyState, _ *gw.PolicyDeletedV1, _ *eventstore.Event) { s.deleted = true })
	return f
}()

// livePolicy refuses a policy that does not exist, is deleted or is another
// tenant's (not found), and an If-Match that is not its current version.
func livePolicy(a *eventstore.Aggregate[policyState], tenantID string, expected int64) error {
	if !a.Exists() || a.State.deleted || a.State.tenant != tenantID {
		return gw.ErrPolicyNotFound
	}
	if stale(expected, int64(a.State.current)) {
		return eventstore.ErrVersionMismatch
	}
	return nil
}

// CreatePolicy records version 1 of a new policy.
type CreatePolicy struct {
	Policy gw.Policy
}

// CreatePolicy handles CreatePolicy; it returns the new policy's id.
func (h *Handlers) CreatePolicy(ctx context.Context, meta eventstore.Metadata, cmd CreatePolicy) (string, []eventstore.Event, error) {
	p := cmd.Policy
	if err := p.Normalize(); err != nil {
		return "", nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	evs, err := eventstore.Create(ctx, h.Store, meta, gw.StreamOfPolicy(id),
		one(gw.PolicyCreated, id, &gw.PolicyVersionedV1{PolicyID: id, TenantID: meta.TenantID, Version: 1, Policy: p})...)
	return id, evs, err
}

// UpdatePolicy replaces a policy: its next version holds the whole policy.
type UpdatePolicy struct {
	PolicyID string
	// Expected is the policy version the change is based on (If-Match), or
	// eventstore.AnyVersion.
	Expected int64
	Policy   gw.Policy
}

// UpdatePolicy handles UpdatePolicy.
func (h *Handlers) UpdatePolicy(ctx context.Context, meta eventstore.Metadata, cmd UpdatePolicy) ([]eventstore.Event, error) {
	p := cmd.Policy
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return eventstore.Update(ctx, h.Store, meta, policyFold, gw.StreamOfPolicy(cmd.PolicyID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[policyState]) (eventstore.Decision, error) {
			if err := livePolicy(a, meta.TenantID, cmd.Expected); err != nil {
				return nil, err
			}
			return one(gw.PolicyUpdated, cmd.PolicyID, &gw.PolicyVersionedV1{PolicyID: cmd.PolicyID, TenantID: meta.TenantID,
				Version: a.State.current + 1, Policy: p}), nil
		})
}

// RollbackPolicy makes an earlier version current again, as a new version.
type RollbackPolicy struct {
	PolicyID string
	// To is the earlier version to restore.
	To int
}

// RollbackPolicy handles RollbackPolicy.
func (h *Handlers) RollbackPolicy(ctx context.Context, meta eventstore.Metadata, cmd RollbackPolicy) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, policyFold, gw.StreamOfPolicy(cmd.PolicyID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[policyState]) (eventstore.Decision, error) {
			if err := livePolicy(a, meta.TenantID, eventstore.AnyVersion); err != nil {
				return nil, err
			}
			p, ok := a.State.versions[cmd.To]
			if !ok || cmd.To == a.State.current {
				return nil, gw.ErrVersionNotFound
			}
			return one(gw.PolicyRolledBack, cmd.PolicyID, &gw.PolicyVersionedV1{PolicyID: cmd.PolicyID, TenantID: meta.TenantID,
				Version: a.State.current + 1, Policy: p, From: cmd.To}), nil
		})
}

// DeletePolicy removes a policy.
type DeletePolicy struct {
	PolicyID string
	// Expected is the policy version (If-Match), or eventstore.AnyVersion.
	Expected int64
}

// DeletePolicy handles DeletePolicy.
func (h *Handlers) DeletePolicy(ctx context.Context, meta eventstore.Metadata, cmd DeletePolicy) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, policyFold, gw.StreamOfPolicy(cmd.PolicyID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[policyState]) (eventstore.Decision, error) {
			if err := livePolicy(a, meta.TenantID, cmd.Expected); err != nil {
				return nil, err
			}
			return one(gw.PolicyDeleted, cmd.PolicyID, &gw.PolicyDeletedV1{PolicyID: cmd.PolicyID}), nil
		})
}
