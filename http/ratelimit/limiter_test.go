package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/http/ratelimit"
	"github.com/astrabastion/astra/testkit"
)

// newLimiter builds a fresh, empty limiter with the given window.
type newLimiter func(t *testing.T, window time.Duration) ratelimit.Limiter

func memoryLimiter(_ *testing.T, window time.Duration) ratelimit.Limiter {
	return ratelimit.NewMemory(window)
}

func redisLimiter(t *testing.T, window time.Duration) ratelimit.Limiter {
	prefix := testkit.RedisPrefix(t)
	client, err := ratelimit.NewRedisClient(testkit.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return ratelimit.NewRedis(client, prefix, window)
}

func allow(t *testing.T, l ratelimit.Limiter, budgets ...ratelimit.Budget) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), budgets...)
	if err != nil {
		t.Fatalf("Allow(%v): %v", budgets, err)
	}
	return d
}

// TestLimiters_ShareOneBehaviour runs the same specification against the
// in-process and the Redis limiter: whichever the configuration picks, the
// API behaves the same.
func TestLimiters_ShareOneBehaviour(t *testing.T) {
	for name, mk := range map[string]newLimiter{"Memory": memoryLimiter, "Redis": redisLimiter} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range limiterSpec {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, mk)
				})
			}
		})
	}
}

var limiterSpec = []struct {
	name string
	run  func(t *testing.T, mk newLimiter)
}{
	{"AdmitsUpToTheLimitThenRefusesUntilASlotFrees", func(t *testing.T, mk newLimiter) {
		const window = 2 * time.Second
		l := mk(t, window)
		b := ratelimit.Budget{Key: "tenant:{a}", Limit: 3}
		start := time.Now()
		for i, want := range []int{2, 1, 0} {
			d := allow(t, l, b)
			if !d.Allowed || d.Limit != 3 || d.Remaining != want || d.Key != b.Key {
				t.Fatalf("request %d: %+v, want admitted with %d remaining of 3", i+1, d, want)
			}
			// The slot that frees first is the first admission's.
			if d.Reset.Before(start.Add(window-100*time.Millisecond)) || d.Reset.After(time.Now().Add(window+100*time.Millisecond)) {
				t.Fatalf("request %d: reset %s, want about %s", i+1, d.Reset, start.Add(window))
			}
		}
		d := allow(t, l, b)
		now := time.Now()
		if d.Allowed || d.Remaining != 0 || d.Limit != 3 {
			t.Fatalf("4th request: %+v, want refused", d)
		}
		if d.RetryAfter <= 0 || d.RetryAfter > window {
			t.Fatalf("retry after %s, want within (0, %s]", d.RetryAfter, window)
		}
		if gap := d.Reset.Sub(now.Add(d.RetryAfter)); gap < -100*time.Millisecond || gap > 100*time.Millisecond {
			t.Fatalf("reset %s is not now + retry-after (%s)", d.Reset, now.Add(d.RetryAfter))
		}
	}},
	{"RefusedRequestsDoNotCount", func(t *testing.T, mk newLimiter) {
		const window = time.Second
		l := mk(t, window)
		b := ratelimit.Budget{Key: "tenant:{a}", Limit: 2}
		t0 := time.Now()
		allow(t, l, b)
		allow(t, l, b)
		time.Sleep(window / 2)
		for i := 0; i < 20; i++ {
			if d := allow(t, l, b); d.Allowed {
				t.Fatalf("knock %d admitted past the limit", i)
			}
		}
		knocked := time.Now()
		// The admissions have left the window; the knocks (had they been
		// recorded) would still be in it.
		time.Sleep(time.Until(t0.Add(window + 150*time.Millisecond)))
		if time.Since(knocked) >= window {
			t.Skip("the machine stalled for a whole window; the timing proves nothing")
		}
		for i := 0; i < 2; i++ {
			if d := allow(t, l, b); !d.Allowed {
				t.Fatalf("after the window, request %d refused: %+v (refusals were counted)", i+1, d)
			}
		}
		if d := allow(t, l, b); d.Allowed {
			t.Fatal("third request of the new window admitted")
		}
	}},
	{"TheWindowSlidesInsteadOfResetting", func(t *testing.T, mk newLimiter) {
		const window = time.Second
		l := mk(t, window)
		b := ratelimit.Budget{Key: "tenant:{a}", Limit: 2}
		t0 := time.Now()
		allow(t, l, b) // a
		time.Sleep(window / 2)
		tb := time.Now()
		allow(t, l, b) // b
		c := allow(t, l, b)
		if c.Allowed {
			t.Fatal("third request within the window admitted")
		}
		// c fits when a leaves the window, not when b does.
		if max := window - time.Since(t0) + 50*time.Millisecond; c.RetryAfter > max {
			t.Fatalf("retry after %s, want at most %s (when the first admission leaves)", c.RetryAfter, max)
		}
		time.Sleep(time.Until(t0.Add(window + 150*time.Millisecond)))
		if d := allow(t, l, b); !d.Allowed {
			t.Fatalf("a's slot did not free after the window: %+v", d)
		}
		e := allow(t, l, b)
		if time.Since(tb) < window-50*time.Millisecond && e.Allowed {
			// A fixed window restarting at t0+window would admit e.
			t.Fatalf("second request after t0+window admitted although b (%s ago) is still in the window", time.Since(tb))
		}
	}},
	{"BudgetsAreIndependent", func(t *testing.T, mk newLimiter) {
		l := mk(t, time.Minute)
		allow(t, l, ratelimit.Budget{Key: "tenant:{x}", Limit: 1})
		if d := allow(t, l, ratelimit.Budget{Key: "tenant:{x}", Limit: 1}); d.Allowed {
			t.Fatal("x admitted past its limit")
		}
		if d := allow(t, l, ratelimit.Budget{Key: "tenant:{y}", Limit: 1}); !d.Allowed {
			t.Fatalf("y refused because x is used up: %+v", d)
		}
	}},
	{"EveryBudgetMustHaveRoomAndARefusalConsumesNone", func(t *testing.T, mk newLimiter) {
		l := mk(t, time.Minute)
		wide := ratelimit.Budget{Key: "tenant:{a}", Limit: 5}
		narrow := ratelimit.Budget{Key: "tenant:{a}:apikey:k", Limit: 1}
		d := allow(t, l, wide, narrow)
		if !d.Allowed || d.Key != narrow.Key || d.Limit != 1 || d.Remaining != 0 {
			t.Fatalf("first request: %+v, want admitted and reported against the tighter budget", d)
		}
		d = allow(t, l, narrow, wide) // order does not matter
		if d.Allowed || d.Key != narrow.Key {
			t.Fatalf("second request: %+v, want refused by the narrow budget", d)
		}
		d = allow(t, l, wide)
		if !d.Allowed || d.Remaining != 3 {
			t.Fatalf("wide budget alone: %+v, want 3 remaining (the refused request took nothing)", d)
		}
	}},
	{"ALoweredLimitAppliesAtOnce", func(t *testing.T, mk newLimiter) {
		const window = 3 * time.Second
		l := mk(t, window)
		start := time.Now()
		for i := 0; i < 3; i++ {
			allow(t, l, ratelimit.Budget{Key: "tenant:{a}", Limit: 5})
		}
		d := allow(t, l, ratelimit.Budget{Key: "tenant:{a}", Limit: 2})
		if d.Allowed || d.Limit != 2 {
			t.Fatalf("after lowering to 2 with 3 admitted: %+v, want refused", d)
		}
		// Two admissions must leave; the second left last and leaves last.
		if d.RetryAfter > window || d.RetryAfter < window-time.Since(start)-100*time.Millisecond {
			t.Fatalf("retry after %s, want about %s", d.RetryAfter, window-time.Since(start))
		}
		if d := allow(t, l, ratelimit.Budget{Key: "tenant:{a}", Limit: 10}); !d.Allowed || d.Remaining != 6 {
			t.Fatalf("after raising to 10: %+v, want admitted with 6 remaining", d)
		}
	}},
	{"ALimitBelowOneStillAdmitsOne", func(t *testing.T, mk newLimiter) {
		l := mk(t, time.Minute)
		if d := allow(t, l, ratelimit.Budget{Key: "ip:192.0.2.1", Limit: 0}); !d.Allowed || d.Limit != 1 {
			t.Fatalf("%+v, want the first request admitted against a limit of 1", d)
		}
		if d := allow(t, l, ratelimit.Budget{Key: "ip:192.0.2.1", Limit: 0}); d.Allowed {
			t.Fatal("second request admitted")
		}
	}},
	{"ConcurrentRequestsNeverExceedTheLimit", func(t *testing.T, mk newLimiter) {
		l := mk(t, time.Minute)
		const limit, workers, each = 50, 8, 25
		var admitted atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					d, err := l.Allow(context.Background(), ratelimit.Budget{Key: "tenant:{busy}", Limit: limit})
					if err != nil {
						errs <- err
						return
					}
					if d.Allowed {
						admitted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got := admitted.Load(); got != limit {
			t.Fatalf("%d of %d concurrent requests admitted, want exactly %d", got, workers*each, limit)
		}
	}},
}

func TestRedisLimiter_InstancesSharingAPrefixShareTheBudget(t *testing.T) {
	prefix := testkit.RedisPrefix(t)
	client, err := ratelimit.NewRedisClient(testkit.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	one, two := ratelimit.NewRedis(client, prefix, time.Minute), ratelimit.NewRedis(client, prefix, time.Minute)
	other := ratelimit.NewRedis(client, testkit.RedisPrefix(t), time.Minute)
	b := ratelimit.Budget{Key: "tenant:{shared}", Limit: 4}
	for i, l := range []ratelimit.Limiter{one, two, one, two} {
		if d := allow(t, l, b); !d.Allowed || d.Remaining != 3-i {
			t.Fatalf("request %d: %+v, want admitted with %d remaining", i+1, d, 3-i)
		}
	}
	for _, l := range []ratelimit.Limiter{one, two} {
		if d := allow(t, l, b); d.Allowed {
			t.Fatal("fifth request admitted: the instances do not share one budget")
		}
	}
	if d := allow(t, other, b); !d.Allowed || d.Remaining != 3 {
		t.Fatalf("another prefix: %+v, want a budget of its own", d)
	}
}

func TestRedisLimiter_KeysExpireAfterTheWindow(t *testing.T) {
	prefix := testkit.RedisPrefix(t)
	client, err := ratelimit.NewRedisClient(testkit.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const window = 5 * time.Second
	allow(t, ratelimit.NewRedis(client, prefix, window), ratelimit.Budget{Key: "ip:203.0.113.9", Limit: 10})
	ttl, err := client.PTTL(context.Background(), prefix+"ratelimit:ip:203.0.113.9").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > window+time.Second {
		t.Fatalf("key TTL %s, want within (0, %s]", ttl, window+time.Second)
	}
}

func TestRedisLimiter_UnreachableRedisFailsFastAndCoolsDown(t *testing.T) {
	client, err := ratelimit.NewRedisClient("redis://" + testkit.FreePort(t) + "/0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	l := ratelimit.NewRedis(client, "unused:", time.Minute)
	start := time.Now()
	_, err = l.Allow(context.Background(), ratelimit.Budget{Key: "tenant:{a}", Limit: 1})
	if !errors.Is(err, ratelimit.ErrUnavailable) {
		t.Fatalf("err %v, want ratelimit.ErrUnavailable", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("a refused connection took %s to report", took)
	}
	start = time.Now()
	for i := 0; i < 100; i++ {
		if _, err := l.Allow(context.Background(), ratelimit.Budget{Key: "tenant:{a}", Limit: 1}); !errors.Is(err, ratelimit.ErrUnavailable) {
			t.Fatalf("during the cool-down: err %v, want ratelimit.ErrUnavailable", err)
		}
	}
	if took := time.Since(start); took > 100*time.Millisecond {
		t.Fatalf("100 requests during the cool-down took %s: Redis was tried again", took)
	}
}

func TestMemoryLimiter_ForgetsIdleBudgets(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := ratelimit.NewMemoryWithClock(time.Minute, func() time.Time { return now })
	for _, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if _, err := m.Allow(context.Background(), ratelimit.Budget{Key: ratelimit.ClientIPKey(ip), Limit: 5}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(30 * time.Second)
	_, _ = m.Allow(context.Background(), ratelimit.Budget{Key: "tenant:{active}", Limit: 5})
	if n := m.Keys(); n != 4 {
		t.Fatalf("%d budgets held, want 4", n)
	}
	now = now.Add(61 * time.Second) // the addresses are idle for more than a window
	_, _ = m.Allow(context.Background(), ratelimit.Budget{Key: "tenant:{active}", Limit: 5})
	if n := m.Keys(); n != 1 {
		t.Fatalf("%d budgets held after the idle ones left the window, want 1", n)
	}
}
