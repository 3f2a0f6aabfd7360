package gateway_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/testkit"
)

// TestBudgets_ReserveBeforeTheProviderCall: concurrent requests cannot all
// pass a budget that has room for one. Each request reserves its estimate
// (prompt + max_tokens) atomically before the provider is called and settles
// after, so of 20 simultaneous requests against a budget that fits one, one
// passes and 19 get 429 GW-004, and the spend stays within the budget — with
// the in-process counters and with Redis shared counters alike. Cost budgets
// the same; blocked requests give their reservation back; a user's budget
// binds the API keys the user owns.
func TestBudgets_ReserveBeforeTheProviderCall(t *testing.T) {
	t.Run("in process", func(t *testing.T) {
		testBudgetReservations(t, startLoopbackInstance(t))
	})
	t.Run("redis", func(t *testing.T) {
		cfg := testkit.Config(t)
		cfg.AllowPrivateURLs = []string{"loopback"}
		cfg.RedisURL, cfg.RedisPrefix = testkit.RedisURL(), testkit.RedisPrefix(t)
		testBudgetReservations(t, testkit.Start(t, &cfg))
	})
}

// burst fires n identical requests at once and counts the answers by status;
// every refusal must be 429 GW-004.
func burst(t *testing.T, n int, send func() *testkit.Response) (passed int) {
	t.Helper()
	var wg sync.WaitGroup
	answers := make([]*testkit.Response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = send()
		}()
	}
	close(start)
	wg.Wait()
	for _, r := range answers {
		switch r.Status {
		case http.StatusOK:
			passed++
		case http.StatusTooManyRequests:
			// problem+json, or OpenAI's error shape on the drop-in
			if !strings.Contains(string(r.Body), `"GW-004"`) {
				t.Fatalf("refused without GW-004: %s", r.Body)
			}
		default:
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
	return passed
}

func budgetOf(t *testing.T, in *testkit.Instance, token, id string) budgetOut {
	t.Helper()
	var list []budgetOut
	in.Do(t, http.MethodGet, "/api/v1/gateway/budgets", token, nil).Data(t, &list)
	for _, b := range list {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf("budget %s not listed: %+v", id, list)
	return budgetOut{}
}

func createBudget(t *testing.T, in *testkit.Instance, token string, body map[string]any) budgetOut {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/budgets", token, body)
	wantStatus(t, r, http.StatusCreated)
	var b budgetOut
	r.Data(t, &b)
	return b
}

func testBudgetReservations(t *testing.T, in *testkit.Instance) {
	admin := in.AdminToken(t)
	const prompt = "How many tokens does this cost?"
	const maxTokens = 40
	// What one request reserves: its prompt's estimate plus max_tokens.
	estimate := int64(providers.PromptTokens([]providers.Message{{Role: "user", Content: prompt}}) + maxTokens)
	extra := map[string]any{"max_tokens": maxTokens}

	t.Run("20 concurrent requests against a token budget that fits one", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "Reserve")
		// Room for one request's estimate; once it settled (its actual use is below
		// the estimate) there is no room for another estimate.
		limit := estimate
		b := createBudget(t, in, ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": limit})
		passed := burst(t, 20, func() *testkit.Response { return chatWith(t, in, ta, "mock", "mock-small", prompt, extra) })
		if passed != 1 {
			t.Fatalf("%d of 20 requests passed a budget with room for one", passed)
		}
		used := budgetOf(t, in, ta, b.ID)
		if used.UsedTokens <= 0 || used.UsedTokens > limit {
			t.Fatalf("spent %d tokens of a budget of %d", used.UsedTokens, limit)
		}
	})

	t.Run("the OpenAI drop-in reserves the same way", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "ReserveOpenAI")
		limit := estimate
		b := createBudget(t, in, ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": limit})
		passed := burst(t, 20, func() *testkit.Response {
			return in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", ta, map[string]any{"model": "mock-small",
				"max_completion_tokens": maxTokens, "messages": []map[string]string{{"role": "user", "content": prompt}}})
		})
		if passed != 1 {
			t.Fatalf("%d of 20 requests passed a budget with room for one", passed)
		}
		if used := budgetOf(t, in, ta, b.ID); used.UsedTokens <= 0 || used.UsedTokens > limit {
			t.Fatalf("spent %d tokens of a budget of %d", used.UsedTokens, limit)
		}
	})

	t.Run("a cost budget reserves the estimated cost", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "ReserveCost")
		registerLoopback(t, in, ta, newLoopback(t, "priced", "gpt-4o-mini"), "", nil)
		// gpt-4o-mini: $0.00015 per 1,000 prompt tokens, $0.0006 per 1,000 completion tokens.
		prompts := float64(providers.PromptTokens([]providers.Message{{Role: "user", Content: prompt}}))
		cost := (prompts*0.00015 + maxTokens*0.0006) / 1000
		b := createBudget(t, in, ta, map[string]any{"subject": "tenant", "period": "month", "max_cost_usd": cost})
		passed := burst(t, 20, func() *testkit.Response { return chatWith(t, in, ta, "priced", "gpt-4o-mini", prompt, extra) })
		if passed != 1 {
			t.Fatalf("%d of 20 requests passed a cost budget with room for one", passed)
		}
		if used := budgetOf(t, in, ta, b.ID); used.UsedCost <= 0 || used.UsedCost > cost {
			t.Fatalf("spent $%g of a budget of $%g", used.UsedCost, cost)
		}
	})

	t.Run("a fallback is priced at the model that answered", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "ReserveFallback")
		cheap := newLoopback(t, "cheap", "gpt-4o-mini")
		cheap.failWith.Store(http.StatusInternalServerError)
		registerLoopback(t, in, ta, cheap, "", map[string]any{"max_retries": 0, "breaker_failures": 100})
		registerLoopback(t, in, ta, newLoopback(t, "dear", "gpt-4o"), "", nil)
		pol := createPolicy(t, in, ta, map[string]any{"name": "falls-back-to-dear", "fallbacks": []map[string]string{{"provider": "dear", "model": "gpt-4o"}}})
		out := okChat(t, in, ta, "cheap", "gpt-4o-mini", "hello", map[string]any{"policy_id": pol.ID, "max_tokens": maxTokens})
		rec := awaitRequest(t, in, ta, out.Security.RequestID)
		// The loopback reports 7 prompt tokens and one completion token a word.
		want := (7*0.0025 + float64(rec.TotalTokens-7)*0.01) / 1000 // gpt-4o's list price
		if rec.CostUSD < want*0.99 || rec.CostUSD > want*1.01 {
			t.Fatalf("cost $%g, want gpt-4o's $%g (%d tokens)", rec.CostUSD, want, rec.TotalTokens)
		}
	})

	t.Run("blocked and failed requests give their reservation back", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "ReserveRelease")
		flaky := newLoopback(t, "flaky", "flaky-chat")
		flaky.failWith.Store(http.StatusInternalServerError)
		registerLoopback(t, in, ta, flaky, "", map[string]any{"max_retries": 0, "breaker_failures": 100})
		// Room for the longer (injection) prompt's estimate.
		room := int64(providers.PromptTokens([]providers.Message{{Role: "user", Content: injectionPrompt}}) + maxTokens)
		b := createBudget(t, in, ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": room})
		for range 5 {
			wantProblem(t, chatWith(t, in, ta, "mock", "mock-small", injectionPrompt, extra), http.StatusUnprocessableEntity, "GW-003")
			wantProblem(t, chatWith(t, in, ta, "flaky", "flaky-chat", prompt, extra), http.StatusBadGateway, "GW-009")
		}
		if used := budgetOf(t, in, ta, b.ID); used.UsedTokens != 0 {
			t.Fatalf("refused requests spent %d tokens", used.UsedTokens)
		}
		okChat(t, in, ta, "mock", "mock-small", prompt, extra)
	})

	t.Run("a user's budget binds the API keys the user owns", func(t *testing.T) {
		_, ta := in.NewTenant(t, admin, "ReserveUser")
		devUser, dev := in.SignIn(t, ta, "dev@reserve.test", "developer")
		key, _ := in.NewAPIKey(t, dev, "dev-key", "gateway:read", "gateway:write")
		otherKey, _ := in.NewAPIKey(t, ta, "admin-key", "gateway:read", "gateway:write")
		okChat(t, in, key, "mock", "mock-small", prompt, extra) // no budget yet
		// The subject's id in any spelling of the UUID binds the same user.
		b := createBudget(t, in, ta, map[string]any{"subject": "user:" + strings.ToUpper(devUser.ID), "period": "day", "max_tokens": 1})
		if b.Subject != "user:"+devUser.ID {
			t.Fatalf("subject %q, want the canonical user:%s", b.Subject, devUser.ID)
		}
		wantProblem(t, chatWith(t, in, key, "mock", "mock-small", prompt, extra), http.StatusTooManyRequests, "GW-004")
		wantProblem(t, chatWith(t, in, dev, "mock", "mock-small", prompt, extra), http.StatusTooManyRequests, "GW-004")
		// Another user's key is not held to it.
		okChat(t, in, otherKey, "mock", "mock-small", prompt, extra)
		// And the key's traffic counts against the user's budget.
		_, tb := in.NewTenant(t, admin, "ReserveUserSpend")
		spenderUser, spender := in.SignIn(t, tb, "spender@reserve.test", "developer")
		spenderKey, _ := in.NewAPIKey(t, spender, "spender-key", "gateway:read", "gateway:write")
		sb := createBudget(t, in, tb, map[string]any{"subject": "user:" + spenderUser.ID, "period": "day", "max_tokens": 100000})
		okChat(t, in, spenderKey, "mock", "mock-small", prompt, extra)
		if used := budgetOf(t, in, tb, sb.ID); used.UsedTokens <= 0 {
			t.Fatalf("the key's request did not count against its owner's budget: %+v", used)
		}
	})
}
