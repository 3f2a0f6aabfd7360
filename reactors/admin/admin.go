// Package admin holds the administration's reactor: what a settings
// change, a flag change or a licence installation does to every instance.
package admin

import (
	"context"
	"time"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/reactors"
)

// Settings applies the stored run-time settings to a running instance.
type Settings interface {
	// Apply makes settings (all stored values; the others return to their
	// value at start) the instance's, unless a later version is applied.
	Apply(version int64, settings map[string]string)
}

// State applies the administration's changes to this instance: stored
// settings (logging, rate limits, the read-your-writes bound, the live
// stream's caps), feature flags and the licence. It runs on every
// instance, on the committing one before the write answers, so that the
// next request anywhere sees the change as soon as the log reaches it.
// Each change carries the whole state of what it changes (the settings, the
// flag, the licence) with its version, so applying it twice, or after a
// later one, changes nothing.
func State(settings Settings, flags *admin.FlagSet, licensing *admin.Licensing) reactors.Reactor {
	return reactors.Reactor{
		Name: "admin_state", Module: "admin", Scope: reactors.EveryInstance,
		Types: []events.Type{admin.ConfigChanged, admin.FeatureFlagChanged, admin.LicenseInstalled},
		Handle: func(_ context.Context, e *eventstore.Event) error {
			switch e.Type {
			case admin.ConfigChanged.CEType():
				var d admin.ConfigChangedV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				settings.Apply(e.Version, d.Settings)
			case admin.FeatureFlagChanged.CEType():
				var d admin.FeatureFlagChangedV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				var created time.Time // zero: the set keeps the flag's creation time
				if d.Change == admin.FlagCreated {
					created = e.Time
				}
				flags.Apply(&d, created, e.Time, e.Actor)
			case admin.LicenseInstalled.CEType():
				var d admin.LicenseInstalledV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				licensing.Install(&d, e.Version, e.Time, e.Actor)
			}
			return nil
		},
	}
}
