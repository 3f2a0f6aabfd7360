package iam

import (
	"context"
	"errors"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// UpdateTenant changes a tenant's profile; nil fields stay.
type UpdateTenant struct {
	TenantID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected int64
	Name     *string
	Settings *iam.TenantSettings
}

// UpdateTenant changes a tenant's name (claiming the new one) or settings.
func (h *Handlers) UpdateTenant(ctx context.Context, meta eventstore.Metadata, cmd UpdateTenant) ([]eventstore.Event, error) {
	tenantID, expected, name, settings := cmd.TenantID, cmd.Expected, cmd.Name, cmd.Settings
	a, err := eventstore.Load(ctx, h.Store, tenantFold, iam.StreamOfTenant(tenantID))
	if err != nil {
		return nil, err
	}
	if !a.Exists() {
		return nil, iam.ErrTenantNotFound
	}
	if err := checkVersion(expected, a.Version); err != nil {
		return nil, err
	}
	appends := []eventstore.StreamAppend{{StreamID: iam.StreamOfTenant(tenantID), Expected: a.Version,
		Events: []eventstore.Draft{{Type: iam.TenantUpdated, Subject: tenantID, Data: &iam.TenantUpdatedV1{TenantID: tenantID, Name: name, Settings: settings}}}}}
	if name != nil {
		appends = append(appends, eventstore.StreamAppend{StreamID: iam.StreamOfTenantName(*name), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: iam.TenantNameClaimed, Subject: tenantID, Data: &iam.TenantNameClaimedV1{TenantID: tenantID}}}})
	}
	out, err := h.Store.Append(ctx, meta, appends...)
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		if name != nil && ce.StreamID == iam.StreamOfTenantName(*name) {
			return nil, iam.ErrTenantNameTaken
		}
		return nil, eventstore.ErrVersionMismatch
	}
	return out, err
}
