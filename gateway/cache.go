package gateway

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/astrabastion/astra/gateway/internal/jsonwire"
	"github.com/astrabastion/astra/gateway/providers"
)

// Cache is the exact-match response cache. Keys are per tenant and include
// the policy id and version, so an answer never crosses tenants and never
// survives a policy change. Each tenant has its own LRU bound and TTL.
type Cache struct {
	mu      sync.Mutex
	tenants map[string]*tenantCache
}

type tenantCache struct {
	lru          *list.List // of *cacheEntry, most recent first
	byKey        map[string]*list.Element
	hits, misses int64
}

type cacheEntry struct {
	key     string
	value   []byte
	expires time.Time
	created time.Time
	hits    int64
}

// CacheKey derives the key of a request: tenant, policy and version, provider,
// model and the normalised request (messages, sampling parameters).
func CacheKey(tenantID, policyID string, policyVersion int, provider string, req providers.ChatRequest) string {
	// The whole request (every field the answer depends on, unknown ones
	// included), as it would go upstream, without how it is delivered.
	// The text hashed is what json.Marshal made of {"p": provider, "r": req}.
	req.Stream, req.StreamOptions = false, nil
	bp := keyBuffers.Get().(*[]byte)
	b := append((*bp)[:0], `{"p":`...)
	b = jsonwire.AppendString(b, provider)
	b = append(b, `,"r":`...)
	b, err := req.AppendJSON(b)
	b = append(b, '}')
	h := sha256.New()
	h.Write([]byte(tenantID + "\x00" + policyID + "\x00" + strconv.Itoa(policyVersion) + "\x00"))
	if err == nil {
		h.Write(b)
	}
	if cap(b) <= 64<<10 {
		*bp = b
		keyBuffers.Put(bp)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keyBuffers are CacheKey's scratch space.
var keyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (c *Cache) tenant(id string) *tenantCache {
	if c.tenants == nil {
		c.tenants = map[string]*tenantCache{}
	}
	t, ok := c.tenants[id]
	if !ok {
		t = &tenantCache{lru: list.New(), byKey: map[string]*list.Element{}}
		c.tenants[id] = t
	}
	return t
}

// Get returns a cached answer.
func (c *Cache) Get(tenantID, key string, now time.Time) (*providers.ChatResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenant(tenantID)
	el, ok := t.byKey[key]
	if !ok {
		t.misses++
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if now.After(e.expires) {
		t.lru.Remove(el)
		delete(t.byKey, key)
		t.misses++
		return nil, false
	}
	var out providers.ChatResponse
	if out.UnmarshalJSON(e.value) != nil {
		return nil, false
	}
	t.lru.MoveToFront(el)
	e.hits++
	t.hits++
	return &out, true
}

// Put stores an answer for ttl, evicting the least recently used beyond maxEntries.
func (c *Cache) Put(tenantID, key string, resp *providers.ChatResponse, ttl time.Duration, maxEntries int, now time.Time) {
	b, err := resp.AppendJSON(nil)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenant(tenantID)
	if el, ok := t.byKey[key]; ok {
		t.lru.Remove(el)
	}
	t.byKey[key] = t.lru.PushFront(&cacheEntry{key: key, value: b, expires: now.Add(ttl), created: now})
	for maxEntries > 0 && t.lru.Len() > maxEntries {
		last := t.lru.Back()
		t.lru.Remove(last)
		delete(t.byKey, last.Value.(*cacheEntry).key)
	}
}

// CacheStats describes a tenant's cache.
type CacheStats struct {
	Entries int     `json:"entries"`
	Hits    int64   `json:"hits"`
	Misses  int64   `json:"misses"`
	HitRate float64 `json:"hit_rate"`
	Bytes   int64   `json:"bytes"`
}

// CacheEntryInfo describes one entry (never its content).
type CacheEntryInfo struct {
	Key       string    `json:"key"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Hits      int64     `json:"hits"`
	Bytes     int       `json:"bytes"`
}

// Stats reports a tenant's cache and up to limit of its most recent entries.
func (c *Cache) Stats(tenantID string, limit int) (CacheStats, []CacheEntryInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenant(tenantID)
	st := CacheStats{Entries: t.lru.Len(), Hits: t.hits, Misses: t.misses}
	if n := t.hits + t.misses; n > 0 {
		st.HitRate = float64(t.hits) / float64(n)
	}
	entries := []CacheEntryInfo{}
	for el := t.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*cacheEntry)
		st.Bytes += int64(len(e.value))
		if len(entries) < limit {
			entries = append(entries, CacheEntryInfo{Key: e.key, CreatedAt: e.created, ExpiresAt: e.expires, Hits: e.hits, Bytes: len(e.value)})
		}
	}
	return st, entries
}

// Purge drops a tenant's entries (one key when key is set); it returns how many.
func (c *Cache) Purge(tenantID, key string) int { return c.PurgeBefore(tenantID, key, time.Time{}) }

// PurgeBefore drops a tenant's entries (one key when key is set) stored at or
// before the given time (every one when it is zero); it returns how many. A
// purge announced to every instance carries its time, so that its late
// arrival does not drop an answer cached after the purge.
func (c *Cache) PurgeBefore(tenantID, key string, before time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tenant(tenantID)
	stale := func(e *cacheEntry) bool { return before.IsZero() || !e.created.After(before) }
	if key != "" {
		if el, ok := t.byKey[key]; ok && stale(el.Value.(*cacheEntry)) {
			t.lru.Remove(el)
			delete(t.byKey, key)
			return 1
		}
		return 0
	}
	n := 0
	for el := t.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*cacheEntry); stale(e) {
			t.lru.Remove(el)
			delete(t.byKey, e.key)
			n++
		}
		el = next
	}
	return n
}
