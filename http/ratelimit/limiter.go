// Package ratelimit holds the API's rate limiting: a sliding-window Limiter
// (shared through Redis when ASTRA_REDIS_URL is set, in-process otherwise)
// and the Guard, the Echo middleware that decides which budgets a request
// draws from and writes the X-RateLimit-* headers.
//
// # Algorithm: a sliding log, not a sliding-window counter
//
// Each budget is a log of the admission times of the requests in the last
// window (a Redis sorted set scored by time, or a slice in memory). A request
// is admitted when fewer than Limit admissions lie within the window ending
// now; a refused request is not recorded, so a client that keeps knocking
// does not push its own recovery further away. The log is exact: in every
// interval of one window, at most Limit requests are admitted, and under a
// sustained overload exactly Limit are.
//
// A sliding-window counter (two fixed buckets, the previous one weighted by
// how much of it still overlaps the window) costs O(1) memory per key, but it
// assumes the previous bucket's requests were spread evenly. Under the bursty
// traffic a limiter exists for, that assumption fails: a burst admitted at
// the end of one bucket is under-counted and the counter admits up to about
// twice the limit over some one-window interval, which breaks the ±5% the
// product promises. The log costs O(Limit) memory per active key (about 24
// bytes per admission in memory and 100 in Redis: a tenant using its whole
// default budget of 6,000/min holds about 600 KiB of Redis), and every key
// expires one window after its last admission. That is acceptable at this
// product's scale, where budgets are in the thousands per minute.
//
// # Atomicity and clocks
//
// The Redis limiter runs one Lua script per request: it trims, counts and
// records every budget of the request atomically, and takes the time from
// Redis (TIME), so instances with skewed clocks share one exact budget. The
// in-process limiter does the same under one mutex with the local clock.
//
// # Redis failures fail open
//
// When Redis cannot be reached, the request is served without a limit (and
// without X-RateLimit-* headers, since no count is known), a warning is
// logged at most every few seconds, and astra_ratelimit_backend_errors_total
// counts the requests that went unlimited. After a failure the Redis limiter
// stays away from Redis for a short cool-down so that an unreachable server
// adds no latency to every request. Rate limiting protects the API; an
// outage of its store must not become an outage of the API.
package ratelimit

import (
	"context"
	"errors"
	"time"
)

// Budget is one allowance a request must fit in: at most Limit admissions
// per window under Key.
type Budget struct {
	Key   string
	Limit int
}

// Decision is the outcome of Limiter.Allow, reported for the tightest budget:
// the one that refused the request, or else the one with the fewest
// remaining admissions.
type Decision struct {
	Allowed bool
	// Key is the reported budget's key.
	Key string
	// Limit is the budget's admissions per window.
	Limit int
	// Remaining is how many more requests the budget admits now.
	Remaining int
	// Reset is when the oldest admission leaves the window, freeing a slot.
	Reset time.Time
	// RetryAfter is, for a refused request, how long until it would fit.
	RetryAfter time.Duration
}

// Limiter admits or refuses a request against every budget it draws from:
// the request is admitted only if all budgets have room, and then it is
// recorded in all of them; a refused request is recorded in none.
type Limiter interface {
	Allow(ctx context.Context, budgets ...Budget) (Decision, error)
	// Window is the length of the sliding window.
	Window() time.Duration
}

// ErrUnavailable reports a limiter whose backing store cannot be used; the
// Guard serves such requests without a limit.
var ErrUnavailable = errors.New("ratelimit: limiter unavailable")

// PerWindow converts a per-minute rate into admissions per window, rounded
// to the nearest whole request and never below one.
func PerWindow(perMinute int, window time.Duration) int {
	if perMinute <= 0 {
		return 1
	}
	n := (int64(perMinute)*int64(window) + int64(time.Minute)/2) / int64(time.Minute)
	if n < 1 {
		return 1
	}
	return int(n)
}

// TenantKey is the budget key of a tenant. The braces are a Redis Cluster
// hash tag: a tenant's budget and its API keys' budgets live in one slot, so
// one script can check them together.
func TenantKey(tenantID string) string { return "tenant:{" + tenantID + "}" }

// APIKeyKey is the budget key of one API key of a tenant.
func APIKeyKey(tenantID, keyID string) string { return TenantKey(tenantID) + ":apikey:" + keyID }

// ClientIPKey is the budget key of an unauthenticated client address.
func ClientIPKey(ip string) string { return "ip:" + ip }

// tightest picks what a Decision reports among admitted budgets.
func tightest(budgets []Budget, remaining []int, resets []time.Time) Decision {
	best := 0
	for i := range budgets {
		if remaining[i] < remaining[best] {
			best = i
		}
	}
	return Decision{Allowed: true, Key: budgets[best].Key, Limit: budgets[best].Limit, Remaining: remaining[best], Reset: resets[best]}
}

// normalize gives every budget room for at least one request: a budget of
// zero would refuse everything forever, which no setting means.
func normalize(budgets []Budget) []Budget {
	for i := range budgets {
		if budgets[i].Limit < 1 {
			out := make([]Budget, len(budgets))
			copy(out, budgets)
			for j := range out {
				out[j].Limit = max(out[j].Limit, 1)
			}
			return out
		}
	}
	return budgets
}
