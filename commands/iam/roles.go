package iam

import (
	"context"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// CreateRole defines a custom role of the acting tenant.
type CreateRole struct {
	Name, Description string
	Permissions       []string
}

// CreateRole records a custom role, atomically with the claim on its name in
// the tenant.
func (h *Handlers) CreateRole(ctx context.Context, meta eventstore.Metadata, cmd CreateRole) (string, []eventstore.Event, error) {
	name, description, perms := cmd.Name, cmd.Description, cmd.Permissions
	if !iam.ValidRoleName(name) {
		return "", nil, iam.ErrInvalidRoleName
	}
	if err := iam.ValidPermissions(perms); err != nil {
		return "", nil, err
	}
	id := uuid.Must(uuid.NewV7()).String()
	nameStream := iam.StreamOfRoleName(meta.TenantID, name)
	claim, err := eventstore.Load(ctx, h.Store, nameClaimFold, nameStream)
	if err != nil {
		return "", nil, err
	}
	if claim.State.Holder != "" {
		return "", nil, iam.ErrRoleNameTaken
	}
	evs, err := h.Store.Append(ctx, meta,
		eventstore.StreamAppend{StreamID: iam.StreamOfRole(id), Expected: eventstore.NoStream, Events: []eventstore.Draft{{
			Type: iam.RoleCreated, Subject: id, Data: &iam.RoleCreatedV1{RoleID: id, TenantID: meta.TenantID, Name: name,
				Description: description, Permissions: perms}}}},
		eventstore.StreamAppend{StreamID: nameStream, Expected: claim.Version, Events: []eventstore.Draft{{
			Type: iam.NameClaimed, Subject: id, Data: &iam.NameClaimV1{OwnerID: id, TenantID: meta.TenantID}}}},
	)
	if isConflict(err) {
		return "", nil, iam.ErrRoleNameTaken
	}
	return id, evs, err
}

// ownedRole is a live custom role of the acting tenant; another tenant's
// role is not found, and its version never compared.
func ownedRole(meta eventstore.Metadata, a *eventstore.Aggregate[roleState], expected int64) (roleState, error) {
	r := a.State
	if !a.Exists() || r.Deleted || r.TenantID != meta.TenantID {
		return r, iam.ErrRoleNotFound
	}
	return r, checkVersion(expected, a.Version)
}

// UpdateRole changes a custom role; nil fields stay.
type UpdateRole struct {
	ID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected    int64
	Description *string
	Permissions *[]string
}

// UpdateRole changes a custom role's description or permissions.
func (h *Handlers) UpdateRole(ctx context.Context, meta eventstore.Metadata, cmd UpdateRole) ([]eventstore.Event, error) {
	id, expected, description, perms := cmd.ID, cmd.Expected, cmd.Description, cmd.Permissions
	return eventstore.Update(ctx, h.Store, meta, roleFold, iam.StreamOfRole(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[roleState]) (eventstore.Decision, error) {
			if _, err := ownedRole(meta, a, expected); err != nil {
				return nil, err
			}
			if perms != nil {
				if err := iam.ValidPermissions(*perms); err != nil {
					return nil, err
				}
			}
			return eventstore.Decision{{Type: iam.RoleUpdated, Subject: id, Data: &iam.RoleUpdatedV1{RoleID: id, Description: description, Permissions: perms}}}, nil
		})
}

// DeleteRole deletes a custom role.
type DeleteRole struct {
	ID string
	// Expected is the If-Match version (eventstore.AnyVersion: none).
	Expected int64
}

// DeleteRole deletes a custom role and frees its name. A role still
// assigned is refused by the caller (it knows the assignments).
func (h *Handlers) DeleteRole(ctx context.Context, meta eventstore.Metadata, cmd DeleteRole) ([]eventstore.Event, error) {
	id, expected := cmd.ID, cmd.Expected
	a, err := eventstore.Load(ctx, h.Store, roleFold, iam.StreamOfRole(id))
	if err != nil {
		return nil, err
	}
	r, err := ownedRole(meta, a, expected)
	if err != nil {
		return nil, err
	}
	evs, err := h.Store.Append(ctx, meta,
		eventstore.StreamAppend{StreamID: iam.StreamOfRole(id), Expected: a.Version, Events: []eventstore.Draft{{
			Type: iam.RoleDeleted, Subject: id, Data: &iam.RoleDeletedV1{RoleID: id, Name: r.Name}}}},
		eventstore.StreamAppend{StreamID: iam.StreamOfRoleName(meta.TenantID, r.Name), Expected: eventstore.AnyVersion, Events: []eventstore.Draft{{
			Type: iam.NameReleased, Subject: id, Data: &iam.NameClaimV1{OwnerID: id, TenantID: meta.TenantID}}}},
	)
	if isConflict(err) {
		return nil, eventstore.ErrVersionMismatch
	}
	return evs, err
}
