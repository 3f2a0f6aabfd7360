package auth

import (
	"context"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/iam"
)

// UserAccess is what a user may do now.
type UserAccess struct {
	TenantID    string
	Roles       []string // primary first
	Active      bool     // false: deactivated, erased or unknown
	Permissions []string
	// granted is Permissions expanded to every concrete grant (admin carries
	// write and read), filled once per cache entry for the hot path.
	granted map[string]bool
}

// Grants reports whether the user holds every one of perms (see iam.Has).
func (a UserAccess) Grants(perms []string) bool {
	if a.granted == nil {
		return iam.Subset(perms, a.Permissions)
	}
	for _, p := range perms {
		if !a.granted[p] {
			return false
		}
	}
	return true
}

// Principals caches every user's current access in memory, so that a token or
// an API key never grants more than its user holds now without costing a
// database round trip per request. The IAM module's access reactor drops an
// entry when a user or a custom role changes: on the committing instance
// before the write answers, on every other instance as the log reaches it.
type Principals struct {
	// Resolve reads a user's current access from the ledger.
	Resolve func(ctx context.Context, userID string) (UserAccess, error)
	// TTL bounds how long an entry is trusted without a notification (a
	// backstop: notifications are what keeps entries current).
	TTL time.Duration
	// OnChanged, when set, is told which access may have changed: one user,
	// one tenant's users, or (both empty) everybody's.
	OnChanged func(userID, tenantID string)

	mu      sync.RWMutex
	entries map[string]accessEntry
	// epoch counts invalidations: a lookup that raced one is not cached.
	epoch uint64
}

type accessEntry struct {
	access UserAccess
	until  time.Time
}

func (p *Principals) ttl() time.Duration {
	if p.TTL > 0 {
		return p.TTL
	}
	return 30 * time.Second
}

// Access returns a user's current access, from memory when it can.
func (p *Principals) Access(ctx context.Context, userID string) (UserAccess, error) {
	now := time.Now()
	p.mu.RLock()
	e, ok := p.entries[userID]
	epoch := p.epoch
	p.mu.RUnlock()
	if ok && now.Before(e.until) {
		return e.access, nil
	}
	a, err := p.Resolve(ctx, userID)
	if err != nil {
		return UserAccess{}, err
	}
	a.granted = map[string]bool{}
	for _, perm := range iam.Intersect(a.Permissions, a.Permissions) {
		a.granted[perm] = true
	}
	p.mu.Lock()
	if p.epoch == epoch {
		if p.entries == nil {
			p.entries = map[string]accessEntry{}
		}
		p.entries[userID] = accessEntry{access: a, until: now.Add(p.ttl())}
	}
	p.mu.Unlock()
	return a, nil
}

// Invalidate drops one user's access here.
func (p *Principals) Invalidate(userID string) {
	p.mu.Lock()
	delete(p.entries, userID)
	p.epoch++
	p.mu.Unlock()
	p.changed(userID, "")
}

// InvalidateTenant drops the access of a tenant's users here.
func (p *Principals) InvalidateTenant(tenantID string) {
	p.mu.Lock()
	for id, e := range p.entries {
		if e.access.TenantID == tenantID {
			delete(p.entries, id)
		}
	}
	p.epoch++
	p.mu.Unlock()
	p.changed("", tenantID)
}

// Flush drops everything (after a gap in the notifications).
func (p *Principals) Flush() {
	p.mu.Lock()
	clear(p.entries)
	p.epoch++
	p.mu.Unlock()
	p.changed("", "")
}

func (p *Principals) changed(userID, tenantID string) {
	if p.OnChanged != nil {
		p.OnChanged(userID, tenantID)
	}
}
