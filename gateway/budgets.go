package gateway

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Budgets counts tokens and cost per budget and window. A request reserves
// its estimated tokens and cost before the provider is called — checked
// against every budget that applies and taken from all of them in one atomic
// step — and settles afterwards: the reservation is released and the actual
// usage charged. So concurrent requests cannot all pass a budget that has
// room for one. With Redis the counters are shared by every instance (one Lua
// script per reservation and one per settlement, on hashes that expire with
// their window; a reservation never settled lapses after ReservationTTL);
// without it they are per instance, under one mutex.
type Budgets struct {
	Redis  *redis.Client
	Prefix string

	mu      sync.Mutex
	local   map[string]*usageCounter
	sweptAt time.Time
}

type usageCounter struct {
	tokens, reservedTokens int64
	cost, reservedCost     float64
	expires                time.Time
}

// BudgetLimit is one budget a reservation is checked against.
type BudgetLimit struct {
	ID        string
	Period    string
	MaxTokens int64   // 0: no token limit
	MaxCost   float64 // 0: no cost limit
	// Enforce refuses the reservation when it does not fit; otherwise (an
	// alerting budget) the reservation is taken and the overrun reported.
	Enforce bool
}

// Reservation is what one request holds against its budgets until it settles.
type Reservation struct {
	keys    []string
	member  string // the reservation's entry in Redis
	Tokens  int64
	Cost    float64
	settled bool
}

// Window names the current window of a period ("day": 2026-11-26, "month": 2026-11) and when it ends.
func Window(period string, now time.Time) (string, time.Time) {
	now = now.UTC()
	if period == "day" {
		start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		return start.Format("2006-01-02"), start.AddDate(0, 0, 1)
	}
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return start.Format("2006-01"), start.AddDate(0, 1, 0)
}

func (b *Budgets) key(budgetID, window string) string {
	return b.Prefix + "astra:budget:" + budgetID + ":" + window
}

// Usage reads a budget's settled usage in the current window.
func (b *Budgets) Usage(ctx context.Context, budgetID, period string, now time.Time) (int64, float64, error) {
	window, _ := Window(period, now)
	k := b.key(budgetID, window)
	if b.Redis != nil {
		vals, err := b.Redis.HMGet(ctx, k, "tokens", "cost").Result()
		if err != nil {
			return 0, 0, fmt.Errorf("budgets: %w", err)
		}
		return parseInt(vals[0]), parseFloat(vals[1]), nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.local[k]; ok && now.Before(c.expires) {
		return c.tokens, c.cost, nil
	}
	return 0, 0, nil
}

// ReservationTTL bounds how long a reservation is held in Redis when its
// request never settles (the instance died mid-call, Redis was unreachable at
// settlement): after it the reservation lapses and its room returns.
const ReservationTTL = 30 * time.Minute

// purgeLua releases the lapsed reservations of budget hash k (each held as a
// member "<id>:<tokens>:<cost>" of the sorted set k..":res", scored by when
// it lapses).
const purgeLua = `
local function purge(k, now)
  local lapsed = redis.call('ZRANGEBYSCORE', k .. ':res', '-inf', now)
  for _, m in ipairs(lapsed) do
    local t, c = string.match(m, '^[^:]+:([^:]+):(.+)$')
    redis.call('HINCRBY', k, 'rtokens', -tonumber(t))
    redis.call('HINCRBYFLOAT', k, 'rcost', -tonumber(c))
  end
  if #lapsed > 0 then
    redis.call('ZREMRANGEBYSCORE', k .. ':res', '-inf', now)
  end
end
`

// reserveScript checks every budget, then reserves on all of them or on none.
// KEYS: the budget hashes. ARGV: tokens, cost, now (unix ms), lapse (unix
// ms), member, then per key: max tokens, max cost, enforce (1/0), expiry
// (unix seconds). It answers {refused, over...}: refused is the 1-based index
// of the enforced budget that refused (0: the reservation was taken), over
// the indexes of the budgets it overruns.
var reserveScript = redis.NewScript(purgeLua + `
local t = tonumber(ARGV[1])
local c = tonumber(ARGV[2])
local out = {0}
for i, k in ipairs(KEYS) do
  purge(k, ARGV[3])
  local base = 5 + (i - 1) * 4
  local mt = tonumber(ARGV[base + 1])
  local mc = tonumber(ARGV[base + 2])
  local v = redis.call('HMGET', k, 'tokens', 'cost', 'rtokens', 'rcost')
  local ut = (tonumber(v[1]) or 0) + math.max(tonumber(v[3]) or 0, 0)
  local uc = (tonumber(v[2]) or 0) + math.max(tonumber(v[4]) or 0, 0)
  if (mt > 0 and (ut >= mt or ut + t > mt)) or (mc > 0 and (uc >= mc or uc + c > mc)) then
    if ARGV[base + 3] == '1' then
      return {i}
    end
    table.insert(out, i)
  end
end
for i, k in ipairs(KEYS) do
  local base = 5 + (i - 1) * 4
  redis.call('HINCRBY', k, 'rtokens', t)
  redis.call('HINCRBYFLOAT', k, 'rcost', ARGV[2])
  redis.call('ZADD', k .. ':res', ARGV[4], ARGV[5])
  redis.call('EXPIREAT', k, ARGV[base + 4])
  redis.call('EXPIREAT', k .. ':res', ARGV[base + 4])
end
return out
`)

// settleScript releases a reservation (unless it lapsed already) and charges
// the actual usage. KEYS: the budget hashes. ARGV: member, reserved tokens,
// reserved cost, actual tokens, actual cost.
var settleScript = redis.NewScript(`
for _, k in ipairs(KEYS) do
  if redis.call('ZREM', k .. ':res', ARGV[1]) == 1 then
    redis.call('HINCRBY', k, 'rtokens', -tonumber(ARGV[2]))
    redis.call('HINCRBYFLOAT', k, 'rcost', -tonumber(ARGV[3]))
  end
  if tonumber(ARGV[4]) ~= 0 then
    redis.call('HINCRBY', k, 'tokens', ARGV[4])
  end
  if tonumber(ARGV[5]) ~= 0 then
    redis.call('HINCRBYFLOAT', k, 'cost', ARGV[5])
  end
end
return 0
`)

// Reserve checks the budgets and reserves tokens and cost on all of them, in
// one atomic step. refused is the enforced budget that has no room (nil: the
// reservation is held and must be settled); over lists the alerting budgets
// the reservation overruns.
func (b *Budgets) Reserve(ctx context.Context, limits []BudgetLimit, tokens int64, cost float64, now time.Time) (res *Reservation, refused *BudgetLimit, over []BudgetLimit, err error) {
	res = &Reservation{Tokens: tokens, Cost: cost}
	if len(limits) == 0 {
		res.settled = true
		return res, nil, nil, nil
	}
	ends := make([]time.Time, len(limits))
	for i, l := range limits {
		window, end := Window(l.Period, now)
		res.keys = append(res.keys, b.key(l.ID, window))
		ends[i] = end
	}
	if b.Redis != nil {
		res.member = uuid.NewString() + ":" + strconv.FormatInt(tokens, 10) + ":" + strconv.FormatFloat(cost, 'f', -1, 64)
		args := []any{tokens, strconv.FormatFloat(cost, 'f', -1, 64), now.UnixMilli(), now.Add(ReservationTTL).UnixMilli(), res.member}
		for i, l := range limits {
			enforce := 0
			if l.Enforce {
				enforce = 1
			}
			args = append(args, l.MaxTokens, strconv.FormatFloat(l.MaxCost, 'f', -1, 64), enforce, ends[i].Add(time.Hour).Unix())
		}
		vals, err := reserveScript.Run(ctx, b.Redis, res.keys, args...).Int64Slice()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("budgets: reserve: %w", err)
		}
		if vals[0] > 0 {
			return nil, &limits[vals[0]-1], nil, nil
		}
		for _, i := range vals[1:] {
			over = append(over, limits[i-1])
		}
		return res, nil, over, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.local == nil {
		b.local = map[string]*usageCounter{}
	}
	if now.After(b.sweptAt.Add(time.Hour)) {
		// Counters of past windows are kept an hour past their end (a
		// request that reserved before midnight settles after it), then dropped.
		for k, c := range b.local {
			if now.After(c.expires.Add(time.Hour)) {
				delete(b.local, k)
			}
		}
		b.sweptAt = now
	}
	counters := make([]*usageCounter, len(limits))
	for i, l := range limits {
		c, ok := b.local[res.keys[i]]
		if !ok || !now.Before(c.expires) {
			c = &usageCounter{expires: ends[i]}
			b.local[res.keys[i]] = c
		}
		counters[i] = c
		ut, uc := c.tokens+max(c.reservedTokens, 0), c.cost+math.Max(c.reservedCost, 0)
		if (l.MaxTokens > 0 && (ut >= l.MaxTokens || ut+tokens > l.MaxTokens)) || (l.MaxCost > 0 && (uc >= l.MaxCost || uc+cost > l.MaxCost)) {
			if l.Enforce {
				return nil, &limits[i], nil, nil
			}
			over = append(over, l)
		}
	}
	for _, c := range counters {
		c.reservedTokens += tokens
		c.reservedCost += cost
	}
	return res, nil, over, nil
}

// Settle releases a reservation and charges the actual usage to the same
// budgets and windows it was taken from. It is safe to call more than once
// (only the first counts), and with a nil reservation.
func (b *Budgets) Settle(ctx context.Context, res *Reservation, tokens int64, cost float64) error {
	if res == nil || res.settled {
		return nil
	}
	res.settled = true
	if b.Redis != nil {
		err := settleScript.Run(ctx, b.Redis, res.keys, res.member, res.Tokens, strconv.FormatFloat(res.Cost, 'f', -1, 64),
			tokens, strconv.FormatFloat(cost, 'f', -1, 64)).Err()
		if err != nil {
			return fmt.Errorf("budgets: settle: %w", err)
		}
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range res.keys {
		if c, ok := b.local[k]; ok {
			c.reservedTokens -= res.Tokens
			c.reservedCost -= res.Cost
			c.tokens += tokens
			c.cost += cost
		}
	}
	return nil
}

func parseInt(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func parseFloat(v any) float64 {
	s, _ := v.(string)
	f, _ := strconv.ParseFloat(s, 64)
	return f
}
