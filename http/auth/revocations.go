package auth

import (
	"context"
	"sync"

	"github.com/astrabastion/astra/projections/authstore"
)

// Revocations is this instance's set of revoked sessions and API keys. It is
// loaded from the ledger at start and kept current by the IAM module's
// revocation reactor: on the instance that commits a revocation before the
// write answers, on every other instance as the log reaches it.
type Revocations struct {
	mu      sync.RWMutex
	revoked map[string]bool // "session:<id>", "apikey:<key id>", "apikeysecret:<secret id>"
	// OnRevoked, when set, is told of each new revocation (caches drop entries).
	OnRevoked func(kind, id string)
}

// LoadRevocations reads every revocation recorded in the ledger.
func LoadRevocations(ctx context.Context, db authstore.DB) (*Revocations, error) {
	recorded, err := authstore.Revocations(ctx, db)
	if err != nil {
		return nil, err
	}
	r := &Revocations{revoked: make(map[string]bool, len(recorded))}
	for _, x := range recorded {
		r.revoked[x.Kind+":"+x.ID] = true
	}
	return r, nil
}

// Revoke marks kind:id revoked here. Revoking twice changes nothing (the
// reactor that calls it is delivered at least once).
func (r *Revocations) Revoke(kind, id string) {
	r.mu.Lock()
	r.revoked[kind+":"+id] = true
	r.mu.Unlock()
	if r.OnRevoked != nil {
		r.OnRevoked(kind, id)
	}
}

// Revoked reports whether kind:id is revoked.
func (r *Revocations) Revoked(kind, id string) bool {
	if r == nil || id == "" {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.revoked[kind+":"+id]
}
