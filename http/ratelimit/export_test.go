package ratelimit

// Test hooks for the external tests.
var NewMemoryWithClock = newMemoryWithClock

func (m *Memory) Keys() int { return m.keys() }
