package projections

import "sync"

// PerTenant caches what a module read of a tenant from its read models (a
// tenant's compiled rules, its settings) until a change drops it: an
// instance's view that its reactors keep current.
type PerTenant[T any] struct {
	mu sync.RWMutex
	m  map[string]T
}

// Get returns the tenant's cached value, loading it first when absent (a
// failed load caches nothing).
func (c *PerTenant[T]) Get(tenant string, load func() (T, error)) (T, error) {
	c.mu.RLock()
	v, ok := c.m[tenant]
	c.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]T{}
	}
	c.m[tenant] = v
	c.mu.Unlock()
	return v, nil
}

// Drop forgets the tenant's value; the next Get loads it again.
func (c *PerTenant[T]) Drop(tenant string) {
	c.mu.Lock()
	delete(c.m, tenant)
	c.mu.Unlock()
}
