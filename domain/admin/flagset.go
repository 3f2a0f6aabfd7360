package admin

import (
	"sort"
	"sync"
	"time"
)

// The product's own optional features, gated by flags of these keys. Until
// an administrator creates the flag, a feature is as its Default says.
const (
	// FlagGatewayResponseCache gates the gateway's exact-match response
	// cache (still subject to the policy's and the tenant's cache settings),
	// evaluated per request for the tenant and the caller (user or API key).
	FlagGatewayResponseCache = "gateway-response-cache"
)

// ProductFlag is one of the product's own gates.
type ProductFlag struct {
	Key         string
	Description string
	Default     bool
}

// ProductFlags lists the product's gates (README, Feature flags).
var ProductFlags = []ProductFlag{
	{Key: FlagGatewayResponseCache, Default: true,
		Description: "The gateway's response cache: off, a tenant's (or user's) requests are neither answered from nor stored in the cache."},
}

// StoredFlag is a flag as the platform keeps it: the definition with its
// version and who changed it last, when.
type StoredFlag struct {
	Flag      Flag
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// FlagSet is an instance's view of the feature flags: folded from the flags
// stream at start and kept current by the admin reactor on every instance,
// so that evaluations never read the database.
type FlagSet struct {
	mu    sync.RWMutex
	flags map[string]StoredFlag
	// versions are the last version seen of every key, deleted ones
	// included: a change is applied only when it is newer.
	versions map[string]int64
	// revision counts the changes applied (the whole set's version).
	revision int64
}

// NewFlagSet starts an empty set.
func NewFlagSet() *FlagSet {
	return &FlagSet{flags: map[string]StoredFlag{}, versions: map[string]int64{}}
}

// Apply applies a recorded change made at `at` by actor, unless the set has
// seen that version of the flag (or a later one) already; created is when
// the flag was created (zero: when it was first applied, or at). It
// reports whether the set changed.
func (s *FlagSet) Apply(d *FeatureFlagChangedV1, created, at time.Time, actor string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.Version <= s.versions[d.Key] {
		return false
	}
	s.versions[d.Key] = d.Version
	s.revision++
	if d.Change == FlagDeleted || d.Flag == nil {
		delete(s.flags, d.Key)
		return true
	}
	if created.IsZero() {
		created = at
		if old, ok := s.flags[d.Key]; ok {
			created = old.CreatedAt
		}
	}
	s.flags[d.Key] = StoredFlag{Flag: *d.Flag, Version: d.Version, CreatedAt: created, UpdatedAt: at, UpdatedBy: actor}
	return true
}

// Get finds a flag.
func (s *FlagSet) Get(key string) (StoredFlag, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.flags[key]
	return f, ok
}

// All lists the flags by key, with the set's revision.
func (s *FlagSet) All() ([]StoredFlag, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]StoredFlag, 0, len(s.flags))
	for _, f := range s.flags {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Flag.Key < out[j].Flag.Key })
	return out, s.revision
}

// Evaluate resolves a flag for c; FLAG_NOT_FOUND when there is none.
func (s *FlagSet) Evaluate(key string, c EvalContext) (Resolution, int64) {
	f, ok := s.Get(key)
	if !ok {
		return Resolution{Reason: ReasonError, ErrorCode: ErrorFlagNotFound, ErrorDetail: "no flag " + key}, 0
	}
	return f.Flag.Evaluate(c), f.Version
}

// Enabled is the gate of one of the product's features for a tenant and a
// user: the boolean the flag evaluates to, or the feature's default when no
// flag of that key exists, the flag is not boolean, or its evaluation fails.
func (s *FlagSet) Enabled(key, tenantID, targetingKey string) bool {
	def := true
	for _, p := range ProductFlags {
		if p.Key == key {
			def = p.Default
		}
	}
	if s == nil {
		return def
	}
	r, _ := s.Evaluate(key, EvalContext{TenantID: tenantID, TargetingKey: targetingKey})
	if v, ok := r.Value.(bool); ok && r.ErrorCode == "" {
		return v
	}
	return def
}
