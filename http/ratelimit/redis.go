package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// slidingLog is the atomic check-and-record of one request against all of
// its budgets.
//
//	KEYS[i]    the sorted set of budget i: member = request id, score = admission time (µs)
//	ARGV[1]    the window (µs)
//	ARGV[2]    the request id (unique across instances)
//	ARGV[2+i]  the limit of budget i
//
// It returns {1, i, remaining, reset} when admitted (i is the tightest
// budget, reset the µs time its oldest admission leaves the window) or
// {0, i, 0, reset, retry} when budget i refused it. Time comes from Redis, so
// every instance shares one clock.
var slidingLog = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local counts, resets = {}, {}
local refused, retry = 0, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
  local count = redis.call('ZCARD', key)
  counts[i] = count
  resets[i] = now + window
  if count > 0 then
    resets[i] = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) + window
  end
  if count >= limit then
    -- it fits once count-limit+1 of the oldest admissions have left
    local idx = count - limit
    local wait = tonumber(redis.call('ZRANGE', key, idx, idx, 'WITHSCORES')[2]) + window - now
    if refused == 0 or wait > retry then
      refused, retry = i, wait
    end
  end
end
if refused > 0 then
  return {0, refused, 0, now + retry, retry}
end
local best, bestRemaining = 0, 0
local ttl = math.ceil(window / 1000) + 1000
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, string.format('%.0f', now), ARGV[2])
  redis.call('PEXPIRE', key, ttl)
  local remaining = tonumber(ARGV[2 + i]) - counts[i] - 1
  if best == 0 or remaining < bestRemaining then
    best, bestRemaining = i, remaining
  end
end
return {1, best, bestRemaining, resets[best], 0}
`)

// Redis is the sliding-log limiter shared by every instance that uses the
// same Redis and key prefix.
type Redis struct {
	client   redis.Scripter
	prefix   string
	window   time.Duration
	cooldown time.Duration

	instance  string        // distinguishes request ids of instances
	seq       atomic.Uint64 // and of requests within one
	downUntil atomic.Int64  // unix ns until which Redis is not tried
}

// RedisCooldown is how long the limiter stays away from Redis after a
// failure, serving requests unlimited meanwhile.
const RedisCooldown = time.Second

// NewRedis returns a limiter over client; keys are prefix + "ratelimit:" +
// the budget key.
func NewRedis(client redis.Scripter, prefix string, window time.Duration) *Redis {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &Redis{client: client, prefix: prefix + "ratelimit:", window: window, cooldown: RedisCooldown,
		instance: hex.EncodeToString(b)}
}

// NewRedisClient connects to the Redis of an ASTRA_REDIS_URL
// (redis://[user:password@]host:port[/db]) with timeouts fit for a limiter:
// a few hundred milliseconds, no dial retry storm, at most one retry.
func NewRedisClient(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: ASTRA_REDIS_URL: %w", err)
	}
	opts.DialTimeout = 300 * time.Millisecond
	opts.DialerRetries = 1
	opts.ReadTimeout = 300 * time.Millisecond
	opts.WriteTimeout = 300 * time.Millisecond
	opts.PoolTimeout = 300 * time.Millisecond
	opts.MaxRetries = 1
	opts.ContextTimeoutEnabled = true
	return redis.NewClient(opts), nil
}

// Window implements Limiter.
func (r *Redis) Window() time.Duration { return r.window }

// Allow implements Limiter. Any failure of Redis is reported as
// ErrUnavailable (wrapped), and Redis is then left alone for the cool-down.
func (r *Redis) Allow(ctx context.Context, budgets ...Budget) (Decision, error) {
	if len(budgets) == 0 {
		return Decision{Allowed: true}, nil
	}
	if until := r.downUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return Decision{}, ErrUnavailable
	}
	budgets = normalize(budgets)
	keys := make([]string, len(budgets))
	args := make([]any, 0, 2+len(budgets))
	args = append(args, r.window.Microseconds(), r.instance+"-"+strconv.FormatUint(r.seq.Add(1), 36))
	for i, b := range budgets {
		keys[i] = r.prefix + b.Key
		args = append(args, b.Limit)
	}
	res, err := slidingLog.Run(ctx, r.client, keys, args...).Int64Slice()
	if err == nil && (len(res) != 5 || res[1] < 1 || int(res[1]) > len(budgets)) {
		err = fmt.Errorf("unexpected script result %v", res)
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return Decision{}, err // the client went away; Redis is not to blame
		}
		r.downUntil.Store(time.Now().Add(r.cooldown).UnixNano())
		return Decision{}, fmt.Errorf("%w: redis: %v", ErrUnavailable, err)
	}
	b := budgets[res[1]-1]
	return Decision{
		Allowed:    res[0] == 1,
		Key:        b.Key,
		Limit:      b.Limit,
		Remaining:  int(res[2]),
		Reset:      time.UnixMicro(res[3]),
		RetryAfter: time.Duration(res[4]) * time.Microsecond,
	}, nil
}
