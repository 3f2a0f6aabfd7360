package ratelimit_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

// limits reads the rate-limit headers of an answer; ok is false when the
// answer carries none.
type limits struct {
	Limit, Remaining int
	Reset            int64
	ok               bool
}

func limitsOf(t *testing.T, r *testkit.Response) limits {
	t.Helper()
	if r.Header.Get("X-RateLimit-Limit") == "" {
		for _, h := range []string{"X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if r.Header.Get(h) != "" {
				t.Fatalf("%s without X-RateLimit-Limit", h)
			}
		}
		return limits{}
	}
	num := func(name string) int64 {
		n, err := strconv.ParseInt(r.Header.Get(name), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q is not an integer", name, r.Header.Get(name))
		}
		return n
	}
	return limits{Limit: int(num("X-RateLimit-Limit")), Remaining: int(num("X-RateLimit-Remaining")),
		Reset: num("X-RateLimit-Reset"), ok: true}
}

// mustLimit fails unless the answer carries the headers of a budget of limit
// whose reset lies within one window from now.
func mustLimit(t *testing.T, what string, r *testkit.Response, limit int, window time.Duration) limits {
	t.Helper()
	l := limitsOf(t, r)
	if !l.ok {
		t.Fatalf("%s (%d) carries no X-RateLimit-* headers", what, r.Status)
	}
	if l.Limit != limit || l.Remaining < 0 || l.Remaining >= limit {
		t.Fatalf("%s: limit %d remaining %d, want limit %d with remaining in [0, %d)", what, l.Limit, l.Remaining, limit, limit)
	}
	now := time.Now().Unix()
	if l.Reset < now || l.Reset > now+int64(window/time.Second)+1 {
		t.Fatalf("%s: reset %d, want within one window of now (%d)", what, l.Reset, now)
	}
	return l
}

func mustProblem(t *testing.T, r *testkit.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if p := r.Problem(t); p.ErrorCode != code {
		t.Fatalf("error_code %q, want %q", p.ErrorCode, code)
	}
}

func TestRateLimit_HeadersOnEveryAnswer(t *testing.T) {
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	in := testkit.Start(t, &cfg)
	const tenantLimit, anonLimit, window = 6000, 600, time.Minute // the defaults
	admin := in.AdminToken(t)
	in.NewUser(t, admin, "viewer@ratelimit.test", "viewer")
	viewer := in.Login(t, "viewer@ratelimit.test", testkit.UserPassword)

	t.Run("SuccessCountsDown", func(t *testing.T) {
		first := mustLimit(t, "GET /auth/me", in.Do(t, http.MethodGet, "/api/v1/auth/me", admin, nil), tenantLimit, window)
		second := mustLimit(t, "GET /auth/me again", in.Do(t, http.MethodGet, "/api/v1/auth/me", admin, nil), tenantLimit, window)
		if second.Remaining != first.Remaining-1 {
			t.Fatalf("remaining %d then %d, want one less", first.Remaining, second.Remaining)
		}
	})
	t.Run("NotFoundAfterAuthentication", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+uuid.NewString(), admin, nil)
		mustProblem(t, r, http.StatusNotFound, "IAM-001")
		mustLimit(t, "404", r, tenantLimit, window)
	})
	t.Run("ForbiddenAfterAuthentication", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/users", viewer,
			map[string]string{"email": "x@ratelimit.test", "name": "X", "role": "viewer", "password": testkit.UserPassword})
		mustProblem(t, r, http.StatusForbidden, "AUTH-006")
		mustLimit(t, "403", r, tenantLimit, window)
	})
	t.Run("UnauthenticatedDrawsFromTheClientAddress", func(t *testing.T) {
		r := in.Do(t, http.MethodGet, "/api/v1/auth/me", "", nil)
		mustProblem(t, r, http.StatusUnauthorized, "AUTH-001")
		mustLimit(t, "401 without a token", r, anonLimit, window)
		r = in.Do(t, http.MethodGet, "/api/v1/auth/me", "not-a-token", nil)
		mustProblem(t, r, http.StatusUnauthorized, "AUTH-002")
		mustLimit(t, "401 with a bad token", r, anonLimit, window)
	})
	t.Run("PublicRoutes", func(t *testing.T) {
		mustLimit(t, "jwks", in.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil), anonLimit, window)
		r := in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "nobody@ratelimit.test", "password": "wrong-password-123"})
		mustProblem(t, r, http.StatusUnauthorized, "AUTH-004")
		mustLimit(t, "failed login", r, anonLimit, window)
	})
	t.Run("HealthChecksAreExempt", func(t *testing.T) {
		for _, path := range []string{"/api/v1/admin/health", "/api/v1/admin/health/ready"} {
			if l := limitsOf(t, in.Do(t, http.MethodGet, path, "", nil)); l.ok {
				t.Fatalf("%s is limited: %+v", path, l)
			}
		}
	})
	t.Run("TheDocumentDeclaresTheHeadersOnEveryOperation", func(t *testing.T) {
		for path, item := range in.Doc.Paths.Map() {
			for method, op := range item.Operations() {
				for status, resp := range op.Responses.Map() {
					for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
						if resp.Value == nil || resp.Value.Headers[h] == nil {
							t.Errorf("%s %s → %s does not document %s", method, path, status, h)
						}
					}
					if status == "429" && resp.Value.Headers["Retry-After"] == nil {
						t.Errorf("%s %s → 429 does not document Retry-After", method, path)
					}
				}
			}
		}
	})
}

// backends are the two limiters the product can run on.
var backends = []struct {
	name  string
	setup func(t *testing.T, cfg *app.Config)
}{
	{"InProcess", func(*testing.T, *app.Config) {}},
	{"Redis", func(t *testing.T, cfg *app.Config) {
		cfg.RedisURL, cfg.RedisPrefix = testkit.RedisURL(), testkit.RedisPrefix(t)
	}},
}

func TestRateLimit_ATenantOverItsLimitIsRefusedWhileAnotherIsServed(t *testing.T) {
	testkit.RequireDB(t)
	for _, backend := range backends {
		t.Run(backend.name, func(t *testing.T) {
			cfg := testkit.Config(t)
			cfg.RateLimitPerMinute = 10
			backend.setup(t, &cfg)
			in := testkit.Start(t, &cfg)
			admin := in.AdminToken(t)
			_, tokenA := in.NewTenant(t, admin, "Hasty")
			_, tokenB := in.NewTenant(t, admin, "Patient")

			for i := 0; i < 10; i++ {
				r := in.Do(t, http.MethodGet, "/api/v1/auth/me", tokenA, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("request %d of A: %d %s", i+1, r.Status, r.Body)
				}
				if l := mustLimit(t, "A", r, 10, time.Minute); l.Remaining != 9-i {
					t.Fatalf("request %d of A: remaining %d, want %d", i+1, l.Remaining, 9-i)
				}
			}
			for _, path := range []string{"/api/v1/auth/me", "/api/v1/iam/users"} {
				r := in.Do(t, http.MethodGet, path, tokenA, nil)
				mustProblem(t, r, http.StatusTooManyRequests, "RATE-001")
				if l := mustLimit(t, "429", r, 10, time.Minute); l.Remaining != 0 {
					t.Fatalf("429 with remaining %d", l.Remaining)
				}
				retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
				if err != nil || retry < 1 || retry > 60 {
					t.Fatalf("Retry-After %q, want 1..60 seconds", r.Header.Get("Retry-After"))
				}
			}
			r := in.Do(t, http.MethodGet, "/api/v1/auth/me", tokenB, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("tenant B: %d %s", r.Status, r.Body)
			}
			if l := mustLimit(t, "B", r, 10, time.Minute); l.Remaining != 9 {
				t.Fatalf("tenant B remaining %d, want 9: A's requests were charged to B", l.Remaining)
			}
		})
	}
}

func TestRateLimit_ATenantsOwnSettingTakesEffect(t *testing.T) {
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	cfg.RateLimitPerMinute = 1000
	cfg.RateLimitSettingTTL = 200 * time.Millisecond
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	_, tokenA := in.NewTenant(t, admin, "Frugal")
	_, tokenB := in.NewTenant(t, admin, "Lavish")

	r := in.Do(t, http.MethodGet, "/api/v1/iam/tenants/current", tokenA, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("current tenant: %d %s", r.Status, r.Body)
	}
	mustLimit(t, "before the change", r, 1000, time.Minute)
	r = in.Do(t, http.MethodPatch, "/api/v1/iam/tenants/current", tokenA,
		map[string]any{"settings": map[string]any{"rate_limit_per_minute": 5}}, "If-Match", r.Header.Get("ETag"))
	if r.Status != http.StatusOK {
		t.Fatalf("set rate_limit_per_minute: %d %s", r.Status, r.Body)
	}

	// Within the settings TTL the new budget applies; A has already spent
	// part of it, so it is soon refused, and every answer reports 5.
	var admitted, sawLimit5 int
	refused := false
	deadline := time.Now().Add(15 * time.Second)
	for !refused && time.Now().Before(deadline) {
		r := in.Do(t, http.MethodGet, "/api/v1/auth/me", tokenA, nil)
		l := limitsOf(t, r)
		if l.Limit == 5 {
			sawLimit5++
			switch r.Status {
			case http.StatusOK:
				admitted++
			case http.StatusTooManyRequests:
				mustProblem(t, r, http.StatusTooManyRequests, "RATE-001")
				refused = true
			default:
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !refused || admitted > 5 {
		t.Fatalf("after setting 5/min: %d answers reported limit 5, %d admitted, refused=%v", sawLimit5, admitted, refused)
	}
	mustLimit(t, "tenant B keeps the default", in.Do(t, http.MethodGet, "/api/v1/auth/me", tokenB, nil), 1000, time.Minute)
}

func TestRateLimit_PublicRoutesAndFailedAuthenticationsDrawFromTheClientAddress(t *testing.T) {
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	cfg.RateLimitAnon = 8
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t) // a login: one of the 8

	first := in.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	left := mustLimit(t, "jwks", first, 8, time.Minute).Remaining
	for i := 0; i < left; i++ {
		if r := in.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil); r.Status != http.StatusOK {
			t.Fatalf("request %d within the budget: %d %s", i+1, r.Status, r.Body)
		}
	}
	r := in.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	mustProblem(t, r, http.StatusTooManyRequests, "RATE-001")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// A client guessing credentials is refused too, instead of being told 401.
	mustProblem(t, in.Do(t, http.MethodGet, "/api/v1/auth/me", "guessed-token", nil), http.StatusTooManyRequests, "RATE-001")
	mustProblem(t, in.Do(t, http.MethodPost, "/api/v1/auth/login", "",
		map[string]string{"email": testkit.AdminEmail, "password": testkit.AdminPassword}), http.StatusTooManyRequests, "RATE-001")
	// Authenticated requests draw from their tenant, not from the address.
	if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("authenticated request after the address's budget is spent: %d %s", r.Status, r.Body)
	}
}

func TestRateLimit_AnAPIKeysOwnBudgetAppliesBesideTheTenants(t *testing.T) {
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	cfg.RateLimitPerMinute = 1000
	in := testkit.Start(t, &cfg)
	if in.Doc.Paths.Find("/api/v1/iam/api-keys") == nil {
		// Covered meanwhile by TestGuard_ComposesTheBudgetsOfAPrincipal and
		// the limiters' EveryBudgetMustHaveRoomAndARefusalConsumesNone.
		t.Skip("the product does not issue API keys yet")
	}
	admin := in.AdminToken(t)
	issue := func(name string, perMinute int) string {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", admin,
			map[string]any{"name": name, "permissions": []string{"iam:read"}, "rate_limit_per_minute": perMinute})
		if r.Status != http.StatusCreated {
			t.Fatalf("create API key: %d %s", r.Status, r.Body)
		}
		var out struct {
			Key string `json:"key"`
		}
		r.Data(t, &out)
		return out.Key
	}
	narrow, open := issue("narrow", 3), issue("open", 0)

	for i := 0; i < 3; i++ {
		r := in.Do(t, http.MethodGet, "/api/v1/auth/me", "", nil, "X-API-Key", narrow)
		if r.Status != http.StatusOK {
			t.Fatalf("request %d with the key: %d %s", i+1, r.Status, r.Body)
		}
		if l := mustLimit(t, "key", r, 3, time.Minute); l.Remaining != 2-i {
			t.Fatalf("request %d: remaining %d, want %d (the key's budget is the tighter one)", i+1, l.Remaining, 2-i)
		}
	}
	r := in.Do(t, http.MethodGet, "/api/v1/auth/me", "", nil, "X-API-Key", narrow)
	mustProblem(t, r, http.StatusTooManyRequests, "RATE-001")
	// The tenant's budget is untouched by the refusal and still serves the
	// tenant's users and its other keys.
	// So far the tenant admitted 2 key creations and 3 requests of the key.
	if l := mustLimit(t, "tenant", in.Do(t, http.MethodGet, "/api/v1/auth/me", "", nil, "X-API-Key", open), 1000, time.Minute); l.Remaining != 1000-6 {
		t.Fatalf("tenant remaining %d, want %d: the refused request was charged to the tenant", l.Remaining, 1000-6)
	}
	mustLimit(t, "tenant", in.Do(t, http.MethodGet, "/api/v1/auth/me", admin, nil), 1000, time.Minute)
}

// redisServer is a redis-server of the test's own, which it can stop.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
}

func startRedis(t *testing.T, addr string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required under CI=true: %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &redisServer{addr: addr, cmd: cmd}
	t.Cleanup(s.stop)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	testkit.Eventually(t, 10*time.Second, "redis-server to answer", func() bool {
		return c.Ping(context.Background()).Err() == nil
	})
	return s
}

func (s *redisServer) stop() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// backendErrors reads astra_ratelimit_backend_errors_total from /metrics.
func backendErrors(t *testing.T, in *testkit.Instance) float64 {
	t.Helper()
	resp, err := http.Get(in.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "astra_ratelimit_backend_errors_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

func TestRateLimit_RedisDownRequestsAreStillServed(t *testing.T) {
	testkit.RequireDB(t)
	addr := testkit.FreePort(t)
	srv := startRedis(t, addr)
	cfg := testkit.Config(t)
	cfg.RedisURL = "redis://" + addr + "/0"
	in := testkit.Start(t, &cfg)
	token := in.AdminToken(t)
	me := func() *testkit.Response {
		r := in.Do(t, http.MethodGet, "/api/v1/auth/me", token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("GET /auth/me: %d %s", r.Status, r.Body)
		}
		return r
	}
	mustLimit(t, "with Redis up", me(), 6000, time.Minute)

	srv.stop()
	before := backendErrors(t, in)
	for i := 0; i < 20; i++ {
		if l := limitsOf(t, me()); l.ok {
			t.Fatalf("request %d with Redis down reports a budget it cannot know: %+v", i+1, l)
		}
	}
	if after := backendErrors(t, in); after < before+20 {
		t.Fatalf("astra_ratelimit_backend_errors_total went from %v to %v over 20 unlimited requests", before, after)
	}

	startRedis(t, addr) // Redis is back (empty): limiting resumes after the cool-down
	testkit.Eventually(t, 10*time.Second, "rate-limit headers once Redis is back", func() bool { return limitsOf(t, me()).ok })
}
