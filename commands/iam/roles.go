package iam

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// RoleState is a custom role folded from its stream.
type RoleState struct {
	ID, TenantID, Name string
	Deleted            bool
	Version            int64
}

// LoadRole folds a custom role's stream.
func (h *Handlers) LoadRole(ctx context.Context, id string) (RoleState, error) {
	var r RoleState
	evs, err := h.Store.ReadStream(ctx, iam.StreamOfRole(id))
	if err != nil {
		return r, err
	}
	for i := range evs {
		switch evs[i].Name() {
		case iam.RoleCreated.Name:
			var d iam.RoleCreatedV1
			if err := evs[i].Decode(&d); err != nil {
				return r, err
			}
			r.ID, r.TenantID, r.Name = d.RoleID, d.TenantID, d.Name
		case iam.RoleDeleted.Name:
			r.Deleted = true
		}
		r.Version = evs[i].Version
	}
	return r, nil
}

// CreateRole records a custom role; its name is unique within the tenant.
func (h *Handlers) CreateRole(ctx context.Context, meta eventstore.Metadata, name, description string, perms []string) (string, []eventstore.Event, error) {
	if !iam.ValidRoleName(name) {
		return "", nil, iam.ErrInvalidRole
	}
	if err := iam.ValidPermissions(perms); err != nil {
		return "", nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	nameStream := iam.StreamOfRoleName(meta.TenantID, name)
	v, held, err := h.claim(ctx, nameStream, iam.NameClaimed.Name)
	if err != nil {
		return "", nil, err
	}
	if held {
		return "", nil, iam.ErrRoleNameTaken
	}
	evs, err := h.Store.Append(ctx, meta,
		eventstore.StreamAppend{StreamID: iam.StreamOfRole(id), Expected: eventstore.NoStream, Events: []eventstore.Draft{{
			Type: iam.RoleCreated, Subject: id, Data: &iam.RoleCreatedV1{RoleID: id, TenantID: meta.TenantID, Name: name,
				Description: description, Permissions: perms}}}},
		eventstore.StreamAppend{StreamID: nameStream, Expected: v, Events: []eventstore.Draft{{
			Type: iam.NameClaimed, Subject: id, Data: &iam.NameClaimV1{OwnerID: id, TenantID: meta.TenantID}}}},
	)
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return "", nil, iam.ErrRoleNameTaken
	}
	return id, evs, err
}

// UpdateRole changes a custom role's description or permissions.
func (h *Handlers) UpdateRole(ctx context.Context, meta eventstore.Metadata, id string, expected int64, description *string, perms *[]string) ([]eventstore.Event, error) {
	r, err := h.LoadRole(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Version == 0 || r.Deleted || r.TenantID != meta.TenantID {
		return nil, iam.ErrRoleNotFound
	}
	if expected >= 0 && expected != r.Version {
		return nil, ErrVersionMismatch
	}
	if perms != nil {
		if err := iam.ValidPermissions(*perms); err != nil {
			return nil, err
		}
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: iam.StreamOfRole(id), Expected: r.Version,
		Events: []eventstore.Draft{{Type: iam.RoleUpdated, Subject: id, Data: &iam.RoleUpdatedV1{RoleID: id, Description: description, Permissions: perms}}}})
	var ce *eventstore.ConcurrencyError
	if errors.As(err, &ce) {
		return nil, ErrVersionMismatch
	}
	return evs, err
}

// DeleteRole removes a custom role and frees its name.
func (h *Handlers) DeleteRole(ctx context.Context, meta eventstore.Metadata, id string, expected int64) ([]eventstore.Event, error) {
	r, err := h.LoadRole(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Version == 0 || r.Deleted || r.TenantID != meta.TenantID {
		return nil, iam.ErrRoleNotFound
	}
	if expected >= 0 && expected != r.Version {
		return nil, ErrVersionMismatch
	}
	return h.Store.Append(ctx, meta,
		eventstore.StreamAppend{StreamID: iam.StreamOfRole(id), Expected: r.Version, Events: []eventstore.Draft{{
			Type: iam.RoleDeleted, Subject: id, Data: &iam.RoleDeletedV1{RoleID: id, Name: r.Name}}}},
		eventstore.StreamAppend{StreamID: iam.StreamOfRoleName(meta.TenantID, r.Name), Expected: eventstore.AnyVersion, Events: []eventstore.Draft{{
			Type: iam.NameReleased, Subject: id, Data: &iam.NameClaimV1{OwnerID: id, TenantID: meta.TenantID}}}},
	)
}
