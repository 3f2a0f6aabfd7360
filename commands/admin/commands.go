// Package admin holds the command handlers of the platform's
// administration: stored settings, feature flags, the licence and the
// record of projection rebuilds, each decided on the kit's load → decide →
// append path over one platform-wide stream, and the fold an instance
// loads its administration state from at start.
package admin

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/eventstore"
)

// Handlers executes admin commands.
type Handlers struct {
	Store *eventstore.Store
	// LicenseKeys are the public keys a licence must be signed with.
	LicenseKeys []ed25519.PublicKey
	// Now is the clock licences are checked against; time.Now when nil.
	Now func() time.Time
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// settings folds the config stream: the stored settings.
var settings = eventstore.On(eventstore.NewFold[map[string]string](), admin.ConfigChanged,
	func(s *map[string]string, d *admin.ConfigChangedV1, _ *eventstore.Event) { *s = d.Settings })

// ChangeConfig stores a change of run-time settings.
type ChangeConfig struct {
	// Body maps setting keys to their JSON value (null: back to the start value).
	Body map[string]json.RawMessage
	// Expected is the config's version the change is based on (AnyVersion: any).
	Expected int64
	// Known reports whether a key names a setting of the product at all.
	Known func(string) bool
}

// ChangeConfig records ConfigChanged; no events when nothing changes.
func (h *Handlers) ChangeConfig(ctx context.Context, meta eventstore.Metadata, c ChangeConfig) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, settings, admin.ConfigStream, c.Expected,
		func(a *eventstore.Aggregate[map[string]string]) (eventstore.Decision, error) {
			d, err := admin.ConfigChange(a.State, c.Body, c.Known)
			return eventstore.One(admin.ConfigChanged, "config", d, err)
		})
}

// FlagRecord is one flag's last change, with when it was created and who
// changed it last, when.
type FlagRecord struct {
	Change    admin.FeatureFlagChangedV1
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// flags folds the flags stream: every key's last change (deleted ones too,
// whose version the next creation continues).
var flags = eventstore.On(eventstore.NewFold[map[string]*FlagRecord](), admin.FeatureFlagChanged,
	func(s *map[string]*FlagRecord, d *admin.FeatureFlagChangedV1, e *eventstore.Event) {
		if *s == nil {
			*s = map[string]*FlagRecord{}
		}
		r := (*s)[d.Key]
		if r == nil || d.Change == admin.FlagCreated {
			r = &FlagRecord{CreatedAt: e.Time}
			(*s)[d.Key] = r
		}
		r.Change, r.UpdatedAt, r.UpdatedBy = *d, e.Time, e.Actor
	})

// live is the flag of a key that exists now (nil when none or deleted).
func live(s map[string]*FlagRecord, key string) *FlagRecord {
	if r := s[key]; r != nil && r.Change.Change != admin.FlagDeleted && r.Change.Flag != nil {
		return r
	}
	return nil
}

// updateFlags decides on the flags stream. Every flag shares it, so a
// decision that lost a race with a change of another flag is decided again
// on the new state (the flag's own version is checked by decide).
func (h *Handlers) updateFlags(ctx context.Context, meta eventstore.Metadata,
	decide func(s map[string]*FlagRecord) (*admin.FeatureFlagChangedV1, error)) ([]eventstore.Event, error) {
	for attempt := 0; ; attempt++ {
		evs, err := eventstore.Update(ctx, h.Store, meta, flags, admin.FlagsStream, eventstore.AnyVersion,
			func(a *eventstore.Aggregate[map[string]*FlagRecord]) (eventstore.Decision, error) {
				d, err := decide(a.State)
				if d == nil {
					return nil, err
				}
				return eventstore.One(admin.FeatureFlagChanged, d.Key, d, err)
			})
		if !errors.Is(err, eventstore.ErrVersionMismatch) || attempt == 4 {
			return evs, err
		}
	}
}

func nextVersion(s map[string]*FlagRecord, key string) int64 {
	if r := s[key]; r != nil {
		return r.Change.Version + 1
	}
	return 1
}

// CreateFlag records a new flag (ErrFlagExists when the key is in use).
func (h *Handlers) CreateFlag(ctx context.Context, meta eventstore.Metadata, f admin.Flag) ([]eventstore.Event, error) {
	if err := f.Normalize(); err != nil {
		return nil, err
	}
	return h.updateFlags(ctx, meta, func(s map[string]*FlagRecord) (*admin.FeatureFlagChangedV1, error) {
		if live(s, f.Key) != nil {
			return nil, admin.ErrFlagExists
		}
		return &admin.FeatureFlagChangedV1{Key: f.Key, Change: admin.FlagCreated, Version: nextVersion(s, f.Key), Flag: &f}, nil
	})
}

// UpdateFlag changes a flag; Expected is the flag's version (If-Match) or
// AnyVersion. A patch that changes nothing records nothing.
type UpdateFlag struct {
	Key      string
	Expected int64
	Patch    admin.FlagPatch
}

// UpdateFlag records FeatureFlagChanged (updated).
func (h *Handlers) UpdateFlag(ctx context.Context, meta eventstore.Metadata, c UpdateFlag) ([]eventstore.Event, error) {
	return h.updateFlags(ctx, meta, func(s map[string]*FlagRecord) (*admin.FeatureFlagChangedV1, error) {
		r := live(s, c.Key)
		if r == nil {
			return nil, admin.ErrFlagNotFound
		}
		if c.Expected != eventstore.AnyVersion && c.Expected != r.Change.Version {
			return nil, eventstore.ErrVersionMismatch
		}
		f, err := r.Change.Flag.Patched(c.Patch)
		if err != nil {
			return nil, err
		}
		if same(f, *r.Change.Flag) {
			return nil, nil
		}
		return &admin.FeatureFlagChangedV1{Key: c.Key, Change: admin.FlagUpdated, Version: r.Change.Version + 1, Flag: &f}, nil
	})
}

func same(a, b admin.Flag) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// DeleteFlag records FeatureFlagChanged (deleted); Expected as for UpdateFlag.
func (h *Handlers) DeleteFlag(ctx context.Context, meta eventstore.Metadata, key string, expected int64) ([]eventstore.Event, error) {
	return h.updateFlags(ctx, meta, func(s map[string]*FlagRecord) (*admin.FeatureFlagChangedV1, error) {
		r := live(s, key)
		if r == nil {
			return nil, admin.ErrFlagNotFound
		}
		if expected != eventstore.AnyVersion && expected != r.Change.Version {
			return nil, eventstore.ErrVersionMismatch
		}
		return &admin.FeatureFlagChangedV1{Key: key, Change: admin.FlagDeleted, Version: r.Change.Version + 1}, nil
	})
}

// license folds the licence stream: the file installed last.
var license = eventstore.On(eventstore.NewFold[*admin.LicenseInstalledV1](), admin.LicenseInstalled,
	func(s **admin.LicenseInstalledV1, d *admin.LicenseInstalledV1, _ *eventstore.Event) { *s = d })

// InstallLicense verifies a licence file against the trusted keys and
// records LicenseInstalled; installing the file in force again records
// nothing.
func (h *Handlers) InstallLicense(ctx context.Context, meta eventstore.Metadata, file []byte) (admin.License, []eventstore.Event, error) {
	l, keyID, err := admin.VerifyLicense(file, h.LicenseKeys, h.now())
	if err != nil {
		return l, nil, err
	}
	evs, err := eventstore.Update(ctx, h.Store, meta, license, admin.LicenseStream, eventstore.AnyVersion,
		func(a *eventstore.Aggregate[*admin.LicenseInstalledV1]) (eventstore.Decision, error) {
			if a.State != nil && digest([]byte(a.State.File)) == digest(file) {
				return nil, nil
			}
			return eventstore.Decision{{Type: admin.LicenseInstalled, Subject: l.ID,
				Data: &admin.LicenseInstalledV1{License: l, KeyID: keyID, File: string(file)}}}, nil
		})
	return l, evs, err
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// RecordRebuild records that a projection's rebuild into a new generation
// started.
func (h *Handlers) RecordRebuild(ctx context.Context, meta eventstore.Metadata, d admin.ProjectionRebuiltV1) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, eventstore.NewFold[struct{}](), admin.StreamOfRebuilds(d.Projection), eventstore.AnyVersion,
		func(*eventstore.Aggregate[struct{}]) (eventstore.Decision, error) {
			return eventstore.Decision{{Type: admin.ProjectionRebuilt, Subject: d.Projection, Data: &d}}, nil
		})
}

// State is the platform's administration as the ledger holds it: what an
// instance loads at start (the reactors keep it current afterwards).
type State struct {
	Settings        map[string]string
	SettingsVersion int64
	Flags           map[string]*FlagRecord
	License         *admin.LicenseInstalledV1
	LicenseVersion  int64
	LicenseAt       time.Time
	LicenseBy       string
}

// LoadState folds the three administration streams.
func (h *Handlers) LoadState(ctx context.Context) (*State, error) {
	cfg, err := eventstore.Load(ctx, h.Store, settings, admin.ConfigStream)
	if err != nil {
		return nil, err
	}
	fl, err := eventstore.Load(ctx, h.Store, flags, admin.FlagsStream)
	if err != nil {
		return nil, err
	}
	lic, err := eventstore.Load(ctx, h.Store, license, admin.LicenseStream)
	if err != nil {
		return nil, err
	}
	st := &State{Settings: cfg.State, SettingsVersion: cfg.Version, Flags: fl.State, License: lic.State, LicenseVersion: lic.Version}
	if lic.Version > 0 {
		last, err := h.Store.Last(ctx, admin.LicenseStream)
		if err != nil {
			return nil, err
		}
		st.LicenseAt, st.LicenseBy = last.Time, last.Actor
	}
	return st, nil
}
