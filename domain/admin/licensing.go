package admin

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// InstalledLicense is the licence in force with who installed it, when.
type InstalledLicense struct {
	License     License
	KeyID       string
	Version     int64
	InstalledAt time.Time
	InstalledBy string
}

// Licensing is an instance's view of the installed licence: folded from
// the licence stream at start and kept current by the admin reactor on
// every instance, so that the entitlement check of every request reads
// memory only.
type Licensing struct {
	mu        sync.RWMutex
	installed *InstalledLicense
}

// Install applies a recorded installation (stream version v), unless a
// later one is applied already; it reports whether the licence changed.
func (l *Licensing) Install(d *LicenseInstalledV1, v int64, at time.Time, actor string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.installed != nil && v <= l.installed.Version {
		return false
	}
	l.installed = &InstalledLicense{License: d.License, KeyID: d.KeyID, Version: v, InstalledAt: at, InstalledBy: actor}
	return true
}

// Installed is the licence in force; nil for the community edition.
func (l *Licensing) Installed() *InstalledLicense {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.installed == nil {
		return nil
	}
	out := *l.installed
	out.License.Modules = slices.Clone(out.License.Modules)
	return &out
}

// Entitlement is the answer of Check for a module.
type Entitlement struct {
	// Status is the licence's state (LicenseCommunity without one).
	Status string
	// Warning, in the grace period, says so.
	Warning string
}

// Check decides whether a module may serve at now: always without a
// licence (the community edition has every module) and once the licence
// expired past its grace period (the product falls back to the community
// edition); otherwise when the licence covers it (ErrModuleNotLicensed
// when not).
func (l *Licensing) Check(module string, now time.Time) (Entitlement, error) {
	in := l.Installed()
	if in == nil {
		return Entitlement{Status: LicenseCommunity}, nil
	}
	st := in.License.Status(now)
	e := Entitlement{Status: st}
	if st == LicenseExpired {
		return e, nil
	}
	if st == LicenseGrace {
		e.Warning = fmt.Sprintf("the %s licence expired on %s; its grace period ends on %s", in.License.Plan,
			in.License.ExpiresAt.UTC().Format(time.RFC3339), in.License.GraceEnds().UTC().Format(time.RFC3339))
	}
	if !in.License.Covers(module) {
		return e, fmt.Errorf("%w: the %s licence does not include the %q module", ErrModuleNotLicensed, in.License.Plan, module)
	}
	return e, nil
}
