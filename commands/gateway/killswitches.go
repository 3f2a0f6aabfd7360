package gateway

import (
	"context"
	"time"

	"github.com/google/uuid"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// switchesState is a kill-switch stream folded: its active switches by id.
type switchesState struct {
	active map[string]gw.KillSwitchV1
}

var switchesFold = func() *eventstore.Fold[switchesState] {
	f := eventstore.NewFold[switchesState]()
	eventstore.On(f, gw.KillSwitchActivated, func(s *switchesState, d *gw.KillSwitchV1, _ *eventstore.Event) {
		if s.active == nil {
			s.active = map[string]gw.KillSwitchV1{}
		}
		s.active[d.SwitchID] = *d
	})
	eventstore.On(f, gw.KillSwitchDeactivated, func(s *switchesState, d *gw.KillSwitchV1, _ *eventstore.Event) {
		delete(s.active, d.SwitchID)
	})
	return f
}()

// switchStream keeps global switches on one platform stream and the rest per tenant.
func switchStream(tenantID string, scope gw.Scope) string {
	if scope.Kind == gw.ScopeGlobal {
		return gw.StreamOfKillSwitches("*")
	}
	return gw.StreamOfKillSwitches(tenantID)
}

// ActivateKillSwitch stops the traffic of a scope.
type ActivateKillSwitch struct {
	Scope  gw.Scope
	Reason string
	Now    time.Time
}

// ActivateKillSwitch handles ActivateKillSwitch; it returns the switch's id.
// A scope that is already stopped is not stopped twice: the active switch's
// id is returned and nothing is recorded.
func (h *Handlers) ActivateKillSwitch(ctx context.Context, meta eventstore.Metadata, cmd ActivateKillSwitch) (string, []eventstore.Event, error) {
	if err := cmd.Scope.Validate(); err != nil {
		return "", nil, err
	}
	var id string
	evs, err := eventstore.Update(ctx, h.Store, meta, switchesFold, switchStream(meta.TenantID, cmd.Scope), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[switchesState]) (eventstore.Decision, error) {
			for sid, s := range a.State.active {
				if s.Scope == cmd.Scope {
					id = sid
					return nil, nil
				}
			}
			id = uuid.Must(uuid.NewV7()).String()
			return one(gw.KillSwitchActivated, id, &gw.KillSwitchV1{SwitchID: id, TenantID: meta.TenantID, Scope: cmd.Scope,
				Reason: cmd.Reason, At: cmd.Now.UTC()}), nil
		})
	if err != nil {
		return "", nil, err
	}
	return id, evs, nil
}

// DeactivateKillSwitch resumes the traffic a switch stopped, named by its id
// or its scope. Global switches are found too; the HTTP layer lets only
// platform admins touch them.
type DeactivateKillSwitch struct {
	// SwitchID names the switch; when empty, Scope does.
	SwitchID string
	Scope    gw.Scope
	Reason   string
	Now      time.Time
}

// DeactivateKillSwitch handles DeactivateKillSwitch.
func (h *Handlers) DeactivateKillSwitch(ctx context.Context, meta eventstore.Metadata, cmd DeactivateKillSwitch) ([]eventstore.Event, error) {
	for _, stream := range []string{gw.StreamOfKillSwitches(meta.TenantID), gw.StreamOfKillSwitches("*")} {
		if cmd.Scope.Kind != "" && switchStream(meta.TenantID, cmd.Scope) != stream {
			continue
		}
		found := false
		evs, err := eventstore.Update(ctx, h.Store, meta, switchesFold, stream, eventstore.AnyVersion,
			func(a *eventstore.Aggregate[switchesState]) (eventstore.Decision, error) {
				for sid, s := range a.State.active {
					if (cmd.SwitchID != "" && sid == cmd.SwitchID) || (cmd.SwitchID == "" && gw.CanonicalScope(s.Scope) == gw.CanonicalScope(cmd.Scope)) {
						found = true
						return one(gw.KillSwitchDeactivated, sid, &gw.KillSwitchV1{SwitchID: sid, TenantID: s.TenantID, Scope: s.Scope,
							Reason: cmd.Reason, At: cmd.Now.UTC()}), nil
					}
				}
				return nil, nil
			})
		if err != nil || found {
			return evs, err
		}
	}
	return nil, gw.ErrSwitchNotFound
}
