package ratelimit

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Memory is the in-process sliding-log limiter, used when no Redis is
// configured. Its budgets are per process: several instances without Redis
// each admit the full budget.
type Memory struct {
	window time.Duration
	now    func() time.Time

	mu        sync.Mutex
	logs      map[string][]time.Time // admission times, oldest first
	lastSweep time.Time
}

// NewMemory returns an in-process limiter with the given window.
func NewMemory(window time.Duration) *Memory {
	return newMemoryWithClock(window, time.Now)
}

func newMemoryWithClock(window time.Duration, now func() time.Time) *Memory {
	return &Memory{window: window, now: now, logs: make(map[string][]time.Time), lastSweep: now()}
}

// Window implements Limiter.
func (m *Memory) Window() time.Duration { return m.window }

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, budgets ...Budget) (Decision, error) {
	if len(budgets) == 0 {
		return Decision{Allowed: true}, nil
	}
	budgets = normalize(budgets)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	cutoff := now.Add(-m.window)
	m.sweep(now, cutoff)

	logs := make([][]time.Time, len(budgets))
	var refused *Decision
	for i, b := range budgets {
		log := trim(m.logs[b.Key], cutoff)
		m.logs[b.Key] = log
		logs[i] = log
		if len(log) >= b.Limit {
			// The request fits once len-Limit+1 of the oldest admissions
			// have left the window.
			wait := log[len(log)-b.Limit].Add(m.window).Sub(now)
			if refused == nil || wait > refused.RetryAfter {
				refused = &Decision{Key: b.Key, Limit: b.Limit, Reset: now.Add(wait), RetryAfter: wait}
			}
		}
	}
	if refused != nil {
		return *refused, nil
	}
	remaining := make([]int, len(budgets))
	resets := make([]time.Time, len(budgets))
	for i, b := range budgets {
		log := append(logs[i], now)
		m.logs[b.Key] = log
		remaining[i] = b.Limit - len(log)
		resets[i] = log[0].Add(m.window)
	}
	return tightest(budgets, remaining, resets), nil
}

// trim drops the admissions at or before cutoff.
func trim(log []time.Time, cutoff time.Time) []time.Time {
	i := sort.Search(len(log), func(i int) bool { return log[i].After(cutoff) })
	if i == len(log) {
		return nil
	}
	return log[i:]
}

// sweep forgets, once per window, the keys with no admission in the window,
// so that memory follows the active clients rather than every client ever seen.
func (m *Memory) sweep(now, cutoff time.Time) {
	if now.Sub(m.lastSweep) < m.window {
		return
	}
	m.lastSweep = now
	for key, log := range m.logs {
		if len(log) == 0 || !log[len(log)-1].After(cutoff) {
			delete(m.logs, key)
		}
	}
}

// keys reports how many budgets are held (for tests).
func (m *Memory) keys() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.logs)
}
