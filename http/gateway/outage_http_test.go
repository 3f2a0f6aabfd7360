package gateway_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/testkit"
)

// pgProxy forwards TCP connections to Postgres until it is cut: then it
// drops every open connection and refuses new ones, as a Postgres outage does.
type pgProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.mu.Lock()
		down := p.down
		if !down {
			p.conns[c] = true
		}
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *pgProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// cut drops every connection and refuses new ones until restore.
func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *pgProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// TestGateway_PostgresDownAnswers503: with Postgres unreachable the gateway's
// own Postgres-dependent steps (the audit record, policy and budget loads)
// answer 503 SYS-002 with Retry-After — not a security block (GW-0xx), not
// a credential error, not an internal error — on the envelope endpoint and
// the OpenAI drop-in.
func TestGateway_PostgresDownAnswers503(t *testing.T) {
	cfg := testkit.Config(t)
	db := cfg.DatabaseURL
	const server = "127.0.0.1:5432"
	if !strings.Contains(db, "@"+server+"/") {
		t.Skipf("the test database is not on %s", server)
	}
	proxy := newPGProxy(t, server)
	cfg.DatabaseURL = strings.Replace(db, "@"+server+"/", "@"+proxy.ln.Addr().String()+"/", 1)
	in := testkit.Start(t, &cfg)
	t.Cleanup(proxy.restore) // runs before the instance stops, so it stops cleanly
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "Outage")
	key, _ := in.NewAPIKey(t, ta, "outage-key", "gateway:read", "gateway:write")
	// Warm: the policy, budgets and the API key are cached.
	okChat(t, in, ta, "mock", "mock-small", "warm up", nil)
	okChat(t, in, key, "mock", "mock-small", "warm up", nil)

	proxy.cut()
	want503 := func(t *testing.T, r *testkit.Response) {
		t.Helper()
		wantProblem(t, r, http.StatusServiceUnavailable, "SYS-002")
		if r.Header.Get("Retry-After") == "" {
			t.Fatalf("no Retry-After: %v", r.Header)
		}
	}
	// The journal rides out a short outage (decision 0031): requests are
	// answered and their records kept, until the ledger has refused the
	// journal's records for longer than its grace; then no answer is given
	// that could not be recorded.
	var answeredDuringOutage []string
	t.Run("past the journal's grace, the audit record cannot be written", func(t *testing.T) {
		deadline := time.Now().Add(gateway.OutageGrace + 15*time.Second)
		for {
			r := chatWith(t, in, key, "mock", "mock-small", "hello during the outage", nil)
			if r.Status == http.StatusOK {
				answeredDuringOutage = append(answeredDuringOutage, r.Header.Get("X-Request-ID"))
				if time.Now().After(deadline) {
					t.Fatalf("still answering %s after the outage began", gateway.OutageGrace+15*time.Second)
				}
				time.Sleep(200 * time.Millisecond)
				continue
			}
			want503(t, r)
			break
		}
		for _, tok := range []string{ta, key} {
			want503(t, chatWith(t, in, tok, "mock", "mock-small", "hello during the outage", nil))
			r := in.Do(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", tok, map[string]any{"model": "mock-small",
				"messages": []map[string]string{{"role": "user", "content": "hello"}}})
			wantOpenAIError(t, r, http.StatusServiceUnavailable, "SYS-002")
			if r.Header.Get("Retry-After") == "" {
				t.Fatalf("no Retry-After: %v", r.Header)
			}
		}
	})
	t.Run("a policy cannot be loaded", func(t *testing.T) {
		want503(t, chatWith(t, in, key, "mock", "mock-small", "hello", map[string]any{"policy_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}))
		wantOpenAIError(t, in.Do(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", key, map[string]any{"model": "mock-small",
			"messages": []map[string]string{{"role": "user", "content": "hello"}}}, "X-Astra-Policy-Id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
			http.StatusServiceUnavailable, "SYS-002")
	})
	t.Run("a provider cannot be loaded", func(t *testing.T) {
		want503(t, chatWith(t, in, key, "never-loaded", "some-model", "hello", nil))
	})

	proxy.restore()
	testkit.Eventually(t, 20*time.Second, "the gateway answers again", func() bool {
		return chatWith(t, in, key, "mock", "mock-small", "after the outage", nil).Status == http.StatusOK
	})
	// What was answered during the outage reached the ledger once it was back.
	t.Logf("%d requests answered from the journal during the outage", len(answeredDuringOutage))
	for _, id := range answeredDuringOutage {
		testkit.Eventually(t, 20*time.Second, "request "+id+" in the ledger", func() bool {
			return len(events(t, in, ta, "Request*")) > 0 && hasRequest(t, in, ta, id)
		})
	}
}

// hasRequest reports whether the audit trail holds the request record of id.
func hasRequest(t *testing.T, in *testkit.Instance, token, id string) bool {
	for _, e := range events(t, in, token, "Request*") {
		if e["subject"] == id {
			return true
		}
	}
	return false
}

// TestGateway_RedisDownAnswers503: with the Redis that shares budgets
// unreachable, a request that has a budget to reserve against answers 503
// SYS-002 with Retry-After (it used to be the fail-closed GW-012 of a
// pipeline step); a tenant without budgets is not touched by it.
func TestGateway_RedisDownAnswers503(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.RedisURL = "redis://" + testkit.FreePort(t) + "/0" // nothing listens there
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "RedisDown")
	_, free := in.NewTenant(t, admin, "RedisDownNoBudget")
	wantStatus(t, in.Do(t, http.MethodPost, "/api/v1/gateway/budgets", ta, map[string]any{"subject": "tenant", "period": "day", "max_tokens": 100000}), http.StatusCreated)
	r := chatWith(t, in, ta, "mock", "mock-small", "hello", nil)
	wantProblem(t, r, http.StatusServiceUnavailable, "SYS-002")
	if r.Header.Get("Retry-After") == "" {
		t.Fatalf("no Retry-After: %v", r.Header)
	}
	okChat(t, in, free, "mock", "mock-small", "hello", nil)
	// A policy that opens the budget step lets traffic through, as it says.
	open := createPolicy(t, in, ta, map[string]any{"name": "budgets-fail-open", "fail_modes": map[string]string{"rate_limit_budget": "open"}})
	okChat(t, in, ta, "mock", "mock-small", "hello", map[string]any{"policy_id": open.ID})
}
