package gateway

import (
	"context"

	"github.com/google/uuid"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// providerState is a provider's stream folded: whose it is and whether it is gone.
type providerState struct {
	tenant  string
	removed bool
}

var providerFold = func() *eventstore.Fold[providerState] {
	f := eventstore.NewFold[providerState]()
	eventstore.On(f, gw.ProviderRegistered, func(s *providerState, _ *gw.ProviderRegisteredV1, e *eventstore.Event) { s.tenant = e.TenantID })
	eventstore.On(f, gw.ProviderRemoved, func(s *providerState, _ *gw.ProviderRemovedV1, _ *eventstore.Event) { s.removed = true })
	return f
}()

// liveProvider refuses a provider that does not exist, is removed or is
// another tenant's (which the caller must not learn about: not found), and an
// If-Match that is not the stream's version.
func liveProvider(a *eventstore.Aggregate[providerState], tenantID string, expected int64) error {
	if !a.Exists() || a.State.removed || a.State.tenant != tenantID {
		return gw.ErrProviderNotFound
	}
	if stale(expected, a.Version) {
		return eventstore.ErrVersionMismatch
	}
	return nil
}

// RegisterProvider records a provider connection.
type RegisterProvider struct {
	Provider gw.ProviderRegisteredV1
	// APIKey is the provider's key in clear; it is sealed under the tenant
	// before it reaches the ledger (empty: none).
	APIKey string
}

// RegisterProvider handles RegisterProvider; it returns the new provider's id.
func (h *Handlers) RegisterProvider(ctx context.Context, meta eventstore.Metadata, cmd RegisterProvider) (string, []eventstore.Event, error) {
	in := cmd.Provider
	in.ProviderID = uuid.Must(uuid.NewV7()).String()
	in.TenantID = meta.TenantID
	if cmd.APIKey != "" {
		sealed, err := h.sealCredential(ctx, meta.TenantID, cmd.APIKey)
		if err != nil {
			return "", nil, err
		}
		in.APIKey = sealed
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, gw.StreamOfProvider(in.ProviderID), one(gw.ProviderRegistered, in.ProviderID, &in)...)
	return in.ProviderID, evs, err
}

func (h *Handlers) sealCredential(ctx context.Context, tenantID, apiKey string) (string, error) {
	sealed, err := h.Keys.Seal(ctx, tenantID, gw.CredentialSubject(tenantID), apiKey)
	if err != nil {
		return "", err
	}
	return gw.WrapCredential(sealed), nil
}

// UpdateProvider changes a provider's fields (nil fields stay as they are).
type UpdateProvider struct {
	ProviderID string
	// Expected is the provider's version the change is based on (If-Match),
	// or eventstore.AnyVersion.
	Expected int64
	Changes  gw.ProviderUpdatedV1
}

// UpdateProvider handles UpdateProvider.
func (h *Handlers) UpdateProvider(ctx context.Context, meta eventstore.Metadata, cmd UpdateProvider) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, providerFold, gw.StreamOfProvider(cmd.ProviderID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[providerState]) (eventstore.Decision, error) {
			if err := liveProvider(a, meta.TenantID, cmd.Expected); err != nil {
				return nil, err
			}
			upd := cmd.Changes
			upd.ProviderID = cmd.ProviderID
			return one(gw.ProviderUpdated, cmd.ProviderID, &upd), nil
		})
}

// RotateCredentials replaces a provider's API key.
type RotateCredentials struct {
	ProviderID string
	// APIKey is the new key in clear; it is sealed before it is recorded.
	APIKey string
}

// RotateCredentials handles RotateCredentials.
func (h *Handlers) RotateCredentials(ctx context.Context, meta eventstore.Metadata, cmd RotateCredentials) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, providerFold, gw.StreamOfProvider(cmd.ProviderID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[providerState]) (eventstore.Decision, error) {
			if err := liveProvider(a, meta.TenantID, eventstore.AnyVersion); err != nil {
				return nil, err
			}
			sealed, err := h.sealCredential(ctx, meta.TenantID, cmd.APIKey)
			if err != nil {
				return nil, err
			}
			return one(gw.ProviderCredentialsRotated, cmd.ProviderID, &gw.ProviderCredentialsRotatedV1{ProviderID: cmd.ProviderID, APIKey: sealed}), nil
		})
}

// RemoveProvider removes a provider.
type RemoveProvider struct {
	ProviderID string
	// Expected is the provider's version (If-Match), or eventstore.AnyVersion.
	Expected int64
}

// RemoveProvider handles RemoveProvider.
func (h *Handlers) RemoveProvider(ctx context.Context, meta eventstore.Metadata, cmd RemoveProvider) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, providerFold, gw.StreamOfProvider(cmd.ProviderID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[providerState]) (eventstore.Decision, error) {
			if err := liveProvider(a, meta.TenantID, cmd.Expected); err != nil {
				return nil, err
			}
			return one(gw.ProviderRemoved, cmd.ProviderID, &gw.ProviderRemovedV1{ProviderID: cmd.ProviderID}), nil
		})
}
