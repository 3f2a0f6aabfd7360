// Package gateway holds the command handlers of the AI gateway's
// administration: providers, versioned policies, kill switches, budgets, cache
// and detector settings.
package gateway

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// ErrVersionMismatch reports a stale If-Match version.
var ErrVersionMismatch = errors.New("gateway: version mismatch")

// Handlers executes gateway commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
}

// fold reads a stream and hands each decoded payload to fn; it returns the version.
func (h *Handlers) fold(ctx context.Context, stream string, fn func(name string, payload any)) (int64, string, error) {
	evs, err := h.Store.ReadStream(ctx, stream)
	if err != nil {
		return 0, "", err
	}
	tenant := ""
	for i := range evs {
		t, ok := events.Lookup(evs[i].Type)
		if !ok {
			continue
		}
		p := t.New()
		if err := evs[i].Decode(p); err != nil {
			return 0, "", err
		}
		fn(evs[i].Name(), p)
		tenant = evs[i].TenantID
	}
	if len(evs) == 0 {
		return 0, "", nil
	}
	return evs[len(evs)-1].Version, tenant, nil
}

func conflict(err error) error {
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return ErrVersionMismatch
	}
	return err
}

// RegisterProvider records a provider connection; the API key is sealed under the tenant.
func (h *Handlers) RegisterProvider(ctx context.Context, meta eventstore.Metadata, in gw.ProviderRegisteredV1, apiKey string) (string, []eventstore.Event, error) {
	in.ProviderID = uuid.Must(uuid.NewV7()).String()
	in.TenantID = meta.TenantID
	if apiKey != "" {
		sealed, err := h.sealCredential(ctx, meta.TenantID, apiKey)
		if err != nil {
			return "", nil, err
		}
		in.APIKey = sealed
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfProvider(in.ProviderID), Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: gw.ProviderRegistered, Subject: in.ProviderID, Data: &in}}})
	return in.ProviderID, evs, err
}

// CredentialPrefix marks a sealed provider credential in event payloads.
// Renderings of events for people (the audit API, the live stream) open every
// sealed personal field they find; a credential is a secret, not personal
// data, so it is wrapped in a form they leave alone and only the gateway
// runtime opens (OpenCredential).
const CredentialPrefix = "credential:"

func (h *Handlers) sealCredential(ctx context.Context, tenantID, apiKey string) (string, error) {
	sealed, err := h.Keys.Seal(ctx, tenantID, CredentialSubject(tenantID), apiKey)
	if err != nil {
		return "", err
	}
	return CredentialPrefix + sealed, nil
}

// OpenCredential opens a provider credential as stored by RegisterProvider or
// RotateCredentials (a bare sealed value is accepted too).
func OpenCredential(ctx context.Context, keys *eventstore.Keyring, stored string) (string, error) {
	return keys.Open(ctx, strings.TrimPrefix(stored, CredentialPrefix))
}

// CredentialSubject is the key that seals a tenant's provider credentials.
// It holds no ':' — a sealed value is "enc:v1:<subject>:<ciphertext>" and the
// keyring reads the subject up to the first colon.
func CredentialSubject(tenantID string) string { return "credentials/" + tenantID }

func (h *Handlers) provider(ctx context.Context, meta eventstore.Metadata, id string, expected int64) (int64, error) {
	removed := false
	v, tenant, err := h.fold(ctx, gw.StreamOfProvider(id), func(name string, _ any) {
		if name == gw.ProviderRemoved.Name {
			removed = true
		}
	})
	if err != nil {
		return 0, err
	}
	if v == 0 || removed || tenant != meta.TenantID {
		return 0, gw.ErrProviderNotFound
	}
	if expected >= 0 && expected != v {
		return 0, ErrVersionMismatch
	}
	return v, nil
}

// UpdateProvider changes a provider's fields.
func (h *Handlers) UpdateProvider(ctx context.Context, meta eventstore.Metadata, id string, expected int64, upd gw.ProviderUpdatedV1) ([]eventstore.Event, error) {
	v, err := h.provider(ctx, meta, id, expected)
	if err != nil {
		return nil, err
	}
	upd.ProviderID = id
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfProvider(id), Expected: v,
		Events: []eventstore.Draft{{Type: gw.ProviderUpdated, Subject: id, Data: &upd}}})
	return evs, conflict(err)
}

// RotateCredentials replaces a provider's API key.
func (h *Handlers) RotateCredentials(ctx context.Context, meta eventstore.Metadata, id, apiKey string) ([]eventstore.Event, error) {
	v, err := h.provider(ctx, meta, id, -1)
	if err != nil {
		return nil, err
	}
	sealed, err := h.sealCredential(ctx, meta.TenantID, apiKey)
	if err != nil {
		return nil, err
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfProvider(id), Expected: v,
		Events: []eventstore.Draft{{Type: gw.ProviderCredentialsRotated, Subject: id, Data: &gw.ProviderCredentialsRotatedV1{ProviderID: id, APIKey: sealed}}}})
	return evs, conflict(err)
}

// RemoveProvider removes a provider.
func (h *Handlers) RemoveProvider(ctx context.Context, meta eventstore.Metadata, id string, expected int64) ([]eventstore.Event, error) {
	v, err := h.provider(ctx, meta, id, expected)
	if err != nil {
		return nil, err
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfProvider(id), Expected: v,
		Events: []eventstore.Draft{{Type: gw.ProviderRemoved, Subject: id, Data: &gw.ProviderRemovedV1{ProviderID: id}}}})
	return evs, conflict(err)
}

// PolicyState is a policy folded from its stream.
type PolicyState struct {
	Versions map[int]gw.Policy
	Current  int
	Deleted  bool
	Stream   int64
}

// LoadPolicy folds a policy's stream.
func (h *Handlers) LoadPolicy(ctx context.Context, meta eventstore.Metadata, id string) (PolicyState, error) {
	st := PolicyState{Versions: map[int]gw.Policy{}}
	v, tenant, err := h.fold(ctx, gw.StreamOfPolicy(id), func(name string, p any) {
		switch d := p.(type) {
		case *gw.PolicyVersionedV1:
			st.Versions[d.Version] = d.Policy
			st.Current = d.Version
		case *gw.PolicyDeletedV1:
			st.Deleted = true
		}
	})
	if err != nil {
		return st, err
	}
	if v == 0 || st.Deleted || tenant != meta.TenantID {
		return st, gw.ErrPolicyNotFound
	}
	st.Stream = v
	return st, nil
}

// CreatePolicy records version 1 of a policy.
func (h *Handlers) CreatePolicy(ctx context.Context, meta eventstore.Metadata, p gw.Policy) (string, []eventstore.Event, error) {
	if err := p.Normalize(); err != nil {
		return "", nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfPolicy(id), Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: gw.PolicyCreated, Subject: id, Data: &gw.PolicyVersionedV1{PolicyID: id, TenantID: meta.TenantID, Version: 1, Policy: p}}}})
	return id, evs, err
}

// UpdatePolicy records the next version of a policy (the whole policy).
func (h *Handlers) UpdatePolicy(ctx context.Context, meta eventstore.Metadata, id string, expected int64, p gw.Policy) ([]eventstore.Event, error) {
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	st, err := h.LoadPolicy(ctx, meta, id)
	if err != nil {
		return nil, err
	}
	if expected >= 0 && expected != int64(st.Current) {
		return nil, ErrVersionMismatch
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfPolicy(id), Expected: st.Stream,
		Events: []eventstore.Draft{{Type: gw.PolicyUpdated, Subject: id, Data: &gw.PolicyVersionedV1{PolicyID: id, TenantID: meta.TenantID, Version: st.Current + 1, Policy: p}}}})
	return evs, conflict(err)
}

// RollbackPolicy makes an earlier version current again, as a new version.
func (h *Handlers) RollbackPolicy(ctx context.Context, meta eventstore.Metadata, id string, to int) ([]eventstore.Event, error) {
	st, err := h.LoadPolicy(ctx, meta, id)
	if err != nil {
		return nil, err
	}
	p, ok := st.Versions[to]
	if !ok || to == st.Current {
		return nil, gw.ErrVersionNotFound
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfPolicy(id), Expected: st.Stream,
		Events: []eventstore.Draft{{Type: gw.PolicyRolledBack, Subject: id, Data: &gw.PolicyVersionedV1{PolicyID: id, TenantID: meta.TenantID,
			Version: st.Current + 1, Policy: p, From: to}}}})
	return evs, conflict(err)
}

// DeletePolicy removes a policy.
func (h *Handlers) DeletePolicy(ctx context.Context, meta eventstore.Metadata, id string, expected int64) ([]eventstore.Event, error) {
	st, err := h.LoadPolicy(ctx, meta, id)
	if err != nil {
		return nil, err
	}
	if expected >= 0 && expected != int64(st.Current) {
		return nil, ErrVersionMismatch
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfPolicy(id), Expected: st.Stream,
		Events: []eventstore.Draft{{Type: gw.PolicyDeleted, Subject: id, Data: &gw.PolicyDeletedV1{PolicyID: id}}}})
	return evs, conflict(err)
}

// Switches are a tenant's active kill switches by id, folded from its stream.
type Switches map[string]gw.KillSwitchV1

// LoadSwitches folds a kill-switch stream.
func (h *Handlers) LoadSwitches(ctx context.Context, stream string) (Switches, int64, error) {
	out := Switches{}
	v, _, err := h.fold(ctx, stream, func(name string, p any) {
		d := p.(*gw.KillSwitchV1)
		if name == gw.KillSwitchActivated.Name {
			out[d.SwitchID] = *d
		} else {
			delete(out, d.SwitchID)
		}
	})
	return out, v, err
}

// ErrSwitchNotFound reports no active switch with that id or scope.
var ErrSwitchNotFound = errors.New("gateway: no active kill switch matches")

// ActivateKillSwitch turns a switch on. An identical active scope is not duplicated.
func (h *Handlers) ActivateKillSwitch(ctx context.Context, meta eventstore.Metadata, scope gw.Scope, reason string, now time.Time) (string, []eventstore.Event, error) {
	if err := scope.Validate(); err != nil {
		return "", nil, err
	}
	stream := switchStream(meta.TenantID, scope)
	active, v, err := h.LoadSwitches(ctx, stream)
	if err != nil {
		return "", nil, err
	}
	for id, s := range active {
		if s.Scope == scope {
			return id, nil, nil
		}
	}
	id := uuid.Must(uuid.NewV7()).String()
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: v,
		Events: []eventstore.Draft{{Type: gw.KillSwitchActivated, Subject: id, Data: &gw.KillSwitchV1{SwitchID: id, TenantID: meta.TenantID,
			Scope: scope, Reason: reason, At: now.UTC()}}}})
	return id, evs, conflict(err)
}

// DeactivateKillSwitch turns a switch off, by id or by scope. Global switches
// are found too; the HTTP layer lets only platform admins touch them.
func (h *Handlers) DeactivateKillSwitch(ctx context.Context, meta eventstore.Metadata, id string, scope gw.Scope, reason string, now time.Time) ([]eventstore.Event, error) {
	for _, stream := range []string{gw.StreamOfKillSwitches(meta.TenantID), gw.StreamOfKillSwitches("*")} {
		if scope.Kind != "" && switchStream(meta.TenantID, scope) != stream {
			continue
		}
		active, v, err := h.LoadSwitches(ctx, stream)
		if err != nil {
			return nil, err
		}
		for sid, s := range active {
			if (id != "" && sid == id) || (id == "" && gw.CanonicalScope(s.Scope) == gw.CanonicalScope(scope)) {
				evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: v,
					Events: []eventstore.Draft{{Type: gw.KillSwitchDeactivated, Subject: sid, Data: &gw.KillSwitchV1{SwitchID: sid, TenantID: s.TenantID,
						Scope: s.Scope, Reason: reason, At: now.UTC()}}}})
				return evs, conflict(err)
			}
		}
	}
	return nil, ErrSwitchNotFound
}

// switchStream keeps global switches on one platform stream and the rest per tenant.
func switchStream(tenantID string, scope gw.Scope) string {
	if scope.Kind == gw.ScopeGlobal {
		return gw.StreamOfKillSwitches("*")
	}
	return gw.StreamOfKillSwitches(tenantID)
}

// SetBudget creates (id empty) or replaces a budget.
func (h *Handlers) SetBudget(ctx context.Context, meta eventstore.Metadata, id string, expected int64, b gw.BudgetSetV1) (string, []eventstore.Event, error) {
	want := eventstore.NoStream
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	} else {
		deleted := false
		v, tenant, err := h.fold(ctx, gw.StreamOfBudget(id), func(name string, _ any) { deleted = deleted || name == gw.BudgetDeleted.Name })
		if err != nil {
			return "", nil, err
		}
		if v == 0 || deleted || tenant != meta.TenantID {
			return "", nil, ErrBudgetNotFound
		}
		if expected >= 0 && expected != v {
			return "", nil, ErrVersionMismatch
		}
		want = v
	}
	b.BudgetID, b.TenantID = id, meta.TenantID
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfBudget(id), Expected: want,
		Events: []eventstore.Draft{{Type: gw.BudgetSet, Subject: id, Data: &b}}})
	return id, evs, conflict(err)
}

// ErrBudgetNotFound reports an unknown budget.
var ErrBudgetNotFound = errors.New("gateway: budget not found")

// DeleteBudget removes a budget.
func (h *Handlers) DeleteBudget(ctx context.Context, meta eventstore.Metadata, id string) ([]eventstore.Event, error) {
	deleted := false
	v, tenant, err := h.fold(ctx, gw.StreamOfBudget(id), func(name string, _ any) { deleted = deleted || name == gw.BudgetDeleted.Name })
	if err != nil {
		return nil, err
	}
	if v == 0 || deleted || tenant != meta.TenantID {
		return nil, ErrBudgetNotFound
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfBudget(id), Expected: v,
		Events: []eventstore.Draft{{Type: gw.BudgetDeleted, Subject: id, Data: &gw.BudgetDeletedV1{BudgetID: id}}}})
	return evs, conflict(err)
}

// ConfigureCache records a tenant's cache settings.
func (h *Handlers) ConfigureCache(ctx context.Context, meta eventstore.Metadata, c gw.CacheConfiguredV1) ([]eventstore.Event, error) {
	c.TenantID = meta.TenantID
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "gateway.cache-" + meta.TenantID, Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: gw.CacheConfigured, Subject: meta.TenantID, Data: &c}}})
}

// RecordCachePurge records a purge.
func (h *Handlers) RecordCachePurge(ctx context.Context, meta eventstore.Metadata, key string, n int) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "gateway.cache-" + meta.TenantID, Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: gw.CachePurged, Subject: meta.TenantID, Data: &gw.CachePurgedV1{TenantID: meta.TenantID, Key: key, Entries: n}}}})
}

// TuneDetector records a tenant's detector default.
func (h *Handlers) TuneDetector(ctx context.Context, meta eventstore.Metadata, d gw.DetectorTunedV1) ([]eventstore.Event, error) {
	d.TenantID = meta.TenantID
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "gateway.detector-" + meta.TenantID + "-" + d.Detector, Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: gw.DetectorTuned, Subject: d.Detector, Data: &d}}})
}
