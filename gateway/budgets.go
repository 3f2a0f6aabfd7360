package gateway

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Budgets counts tokens and cost per budget and window. With Redis the
// counters are shared by every instance (INCRBY/INCRBYFLOAT on keys that
// expire with their window); without it they are per instance.
type Budgets struct {
	Redis  *redis.Client
	Prefix string

	mu    sync.Mutex
	local map[string]*usageCounter
}

type usageCounter struct {
	tokens  int64
	cost    float64
	expires time.Time
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

// Usage reads a budget's usage in the current window.
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

// Add records usage against a budget and returns the new totals.
func (b *Budgets) Add(ctx context.Context, budgetID, period string, tokens int64, cost float64, now time.Time) (int64, float64, error) {
	window, end := Window(period, now)
	k := b.key(budgetID, window)
	if b.Redis != nil {
		pipe := b.Redis.TxPipeline()
		t := pipe.HIncrBy(ctx, k, "tokens", tokens)
		c := pipe.HIncrByFloat(ctx, k, "cost", cost)
		pipe.ExpireAt(ctx, k, end.Add(time.Hour))
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, 0, fmt.Errorf("budgets: %w", err)
		}
		return t.Val(), c.Val(), nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.local == nil {
		b.local = map[string]*usageCounter{}
	}
	c, ok := b.local[k]
	if !ok || now.After(c.expires) {
		c = &usageCounter{expires: end}
		b.local[k] = c
	}
	c.tokens += tokens
	c.cost += cost
	return c.tokens, c.cost, nil
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
