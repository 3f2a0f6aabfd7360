package gateway_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/testkit"
)

func budgetStores(t *testing.T) map[string]*gateway.Budgets {
	opts, err := redis.ParseURL(testkit.RedisURL())
	if err != nil {
		t.Fatal(err)
	}
	prefix := testkit.RedisPrefix(t)
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	return map[string]*gateway.Budgets{"in process": {}, "redis": {Redis: client, Prefix: prefix}}
}

// TestBudgets_ReservationsAreAtomic: of many concurrent reservations against
// a budget with room for n, exactly n are taken; settling releases the
// reservation and charges the actual use; an alerting budget never refuses
// but reports the overrun; a refusal by one budget takes nothing from the others.
func TestBudgets_ReservationsAreAtomic(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for name, b := range budgetStores(t) {
		t.Run(name, func(t *testing.T) {
			limit := []gateway.BudgetLimit{{ID: "tokens-" + name, Period: "day", MaxTokens: 300, Enforce: true}}
			var taken atomic.Int64
			var wg sync.WaitGroup
			held := make(chan *gateway.Reservation, 50)
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, refused, _, err := b.Reserve(ctx, limit, 100, 0, now)
					if err != nil {
						t.Error(err)
						return
					}
					if refused == nil {
						taken.Add(1)
						held <- res
					}
				}()
			}
			wg.Wait()
			close(held)
			if taken.Load() != 3 {
				t.Fatalf("%d reservations of 100 taken against 300", taken.Load())
			}
			for res := range held {
				if err := b.Settle(ctx, res, 40, 0); err != nil {
					t.Fatal(err)
				}
			}
			if used, _, _ := b.Usage(ctx, limit[0].ID, "day", now); used != 120 {
				t.Fatalf("used %d, want the 3×40 actually spent", used)
			}
			// 120 used: room for one more estimate of 100, not two.
			res, refused, _, _ := b.Reserve(ctx, limit, 100, 0, now)
			if refused != nil {
				t.Fatal("refused with room left")
			}
			if _, refused, _, _ := b.Reserve(ctx, limit, 100, 0, now); refused == nil {
				t.Fatal("reserved past the limit")
			}
			_ = b.Settle(ctx, res, 0, 0)

			// Cost, several budgets at once, an alerting one.
			limits := []gateway.BudgetLimit{
				{ID: "cost-" + name, Period: "month", MaxCost: 1.0, Enforce: true},
				{ID: "alert-" + name, Period: "day", MaxTokens: 10},
			}
			res, refused, over, err := b.Reserve(ctx, limits, 50, 0.6, now)
			if err != nil || refused != nil || len(over) != 1 || over[0].ID != "alert-"+name {
				t.Fatalf("refused %v over %v err %v", refused, over, err)
			}
			if _, refused, _, _ := b.Reserve(ctx, limits, 50, 0.6, now); refused == nil || refused.ID != "cost-"+name {
				t.Fatalf("refused %v, want the cost budget", refused)
			}
			_ = b.Settle(ctx, res, 20, 0.1)
			if tokens, cost, _ := b.Usage(ctx, "alert-"+name, "day", now); tokens != 20 || cost < 0.0999 || cost > 0.1001 {
				t.Fatalf("alert budget used %d $%g", tokens, cost)
			}
		})
	}
}

// TestBudgets_UnsettledReservationsLapse: a reservation whose request never
// settled (its instance died) stops holding room after ReservationTTL.
func TestBudgets_UnsettledReservationsLapse(t *testing.T) {
	ctx := context.Background()
	b := budgetStores(t)["redis"]
	limit := []gateway.BudgetLimit{{ID: "lapse", Period: "month", MaxTokens: 100, Enforce: true}}
	then := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	if _, refused, _, err := b.Reserve(ctx, limit, 100, 0, then); err != nil || refused != nil {
		t.Fatalf("refused %v err %v", refused, err)
	}
	if _, refused, _, _ := b.Reserve(ctx, limit, 100, 0, then.Add(time.Minute)); refused == nil {
		t.Fatal("the held reservation did not count")
	}
	res, refused, _, err := b.Reserve(ctx, limit, 100, 0, then.Add(gateway.ReservationTTL+time.Second))
	if err != nil || refused != nil {
		t.Fatalf("a lapsed reservation still holds room: refused %v err %v", refused, err)
	}
	if err := b.Settle(ctx, res, 10, 0); err != nil {
		t.Fatal(err)
	}
}
