// Package iam holds the identity module's reactors: what a credential or an
// access change does to every instance's authenticator.
package iam

import (
	"context"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/reactors"
)

// Revoker is the authenticator's set of revoked credentials.
type Revoker interface {
	Revoke(kind, id string)
}

// AccessCache is what the authenticator remembers of users' access.
type AccessCache interface {
	Invalidate(userID string)
	InvalidateTenant(tenantID string)
}

// Revocations applies revoked credentials to this instance's authenticator:
// a revoked session, a revoked API key, the previous secret of a rotated
// key. It runs on every instance; on the committing one before the append
// returns (so the very next request is refused), on the others as the log
// reaches them. Revoking twice changes nothing.
func Revocations(revocations Revoker) reactors.Reactor {
	return reactors.Reactor{
		Name: "iam_revocations", Module: "iam", Scope: reactors.EveryInstance,
		Types: []events.Type{iam.SessionRevoked, iam.ApiKeyRevoked, iam.ApiKeyRotated},
		Handle: func(_ context.Context, e *eventstore.Event) error {
			var kind, id string
			switch e.Type {
			case iam.SessionRevoked.CEType():
				var d iam.SessionRevokedV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				kind, id = "session", d.SessionID
			case iam.ApiKeyRevoked.CEType():
				var d iam.ApiKeyRevokedV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				kind, id = "apikey", d.KeyID
			case iam.ApiKeyRotated.CEType():
				var d iam.ApiKeyRotatedV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				kind, id = "apikeysecret", d.RevokedSecretID
			}
			if id != "" {
				revocations.Revoke(kind, id)
			}
			return nil
		},
	}
}

// Access drops what the authenticator remembers of a user's access when
// the user changes (roles, deactivation, erasure: subject is the user), or
// of a whole tenant's users when one of its custom roles changes. Like the
// revocations, it runs on every instance, on the committing one before the
// write answers: a demoted or deactivated user's token or API key is refused
// from the very next request.
func Access(cache AccessCache) reactors.Reactor {
	userTypes := []events.Type{iam.UserCreated, iam.UserUpdated, iam.UserDeactivated, iam.UserErased, iam.RoleAssigned, iam.RoleUnassigned}
	users := map[string]bool{}
	for _, t := range userTypes {
		users[t.CEType()] = true
	}
	return reactors.Reactor{
		Name: "iam_access", Module: "iam", Scope: reactors.EveryInstance,
		Types: append(userTypes, iam.RoleCreated, iam.RoleUpdated, iam.RoleDeleted),
		Handle: func(_ context.Context, e *eventstore.Event) error {
			switch {
			case users[e.Type] && e.Subject != "":
				cache.Invalidate(e.Subject)
			case !users[e.Type] && e.TenantID != "":
				cache.InvalidateTenant(e.TenantID)
			}
			return nil
		},
	}
}
