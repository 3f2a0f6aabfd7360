// Package ratelimit is the acceptance test of rate limiting: two `astra
// serve` processes sharing one Postgres, one broker and one Redis hold a
// tenant flooding them to its budget, while another tenant is unaffected.
package ratelimit

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

const (
	window       = 4 * time.Second
	perMinute    = 1200                                       // tenant A's own setting …
	perWindow    = perMinute * int(window) / int(time.Minute) // … which is 80 per 4 s window
	offeredRate  = 2000.0                                     // requests/s offered by tenant A
	loadDuration = 10 * time.Second                           // 2.5 windows: far from a window boundary
	workers      = 64                                         // concurrent requests of tenant A
	steadyRate   = 20.0                                       // requests/s of tenant B
)

func TestRateLimit_TwoInstancesSharingRedisHoldAFloodingTenantToItsLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("acceptance load test: two processes and 10 s of load")
	}
	testkit.RequireDB(t)
	prefix := testkit.RedisPrefix(t)
	dsn := testkit.FreshDatabase(t)
	node := func(brokers string) (*testkit.Process, *testkit.Instance) {
		cfg := testkit.Config(t)
		cfg.DatabaseURL = dsn
		cfg.HTTPAddr = testkit.FreePort(t)
		if brokers != "" {
			cfg.KafkaBrokers = []string{brokers}
		}
		cfg.RedisURL, cfg.RedisPrefix = testkit.RedisURL(), prefix
		cfg.RateLimitWindow = window
		cfg.RateLimitSettingTTL = 500 * time.Millisecond
		p := testkit.StartProcess(t, cfg)
		return p, testkit.Remote(t, p.URL)
	}
	began := time.Now()
	testkit.Binary(t) // built once per test process; timed apart from the test proper
	t.Logf("astra binary ready in %s", time.Since(began).Round(100*time.Millisecond))
	began = time.Now()
	p1, in1 := node("")
	_, in2 := node(p1.Cfg.KafkaListen)
	nodes := []*testkit.Instance{in1, in2}

	admin := in1.AdminToken(t)
	_, tokenA := in1.NewTenant(t, admin, "Flood")
	_, tokenB := in2.NewTenant(t, admin, "Steady")

	// Tenant A sets its own budget; both instances pick it up within the
	// settings TTL.
	r := in1.Do(t, http.MethodGet, "/api/v1/iam/tenants/current", tokenA, nil)
	r = in1.Do(t, http.MethodPatch, "/api/v1/iam/tenants/current", tokenA,
		map[string]any{"settings": map[string]any{"rate_limit_per_minute": perMinute}}, "If-Match", r.Header.Get("ETag"))
	if r.Status != http.StatusOK {
		t.Fatalf("set tenant A's rate limit: %d %s", r.Status, r.Body)
	}
	for _, in := range nodes {
		testkit.Eventually(t, 10*time.Second, "tenant A's limit on "+in.URL, func() bool {
			r := in.Do(t, http.MethodGet, "/api/v1/auth/me", tokenA, nil)
			return r.Header.Get("X-RateLimit-Limit") == strconv.Itoa(perWindow)
		})
	}
	// Let the set-up requests leave the window: the flood starts on an empty log.
	time.Sleep(window + 300*time.Millisecond)

	t.Logf("two instances started, tenants set up and one window waited out in %s", time.Since(began).Round(100*time.Millisecond))
	res := runLoad(t, nodes, tokenA, tokenB)

	// Under a sustained overload a sliding log admits the whole budget at
	// once, then each admission's slot again exactly one window later: in
	// [0, D) that is perWindow × (⌊D/W⌋ + 1) admissions.
	generations := int(res.duration/window) + 1
	expected := perWindow * generations
	deviation := float64(res.acceptedA-expected) / float64(expected) * 100
	t.Logf("tenant A: offered %d requests in %s (%.0f req/s, %d not sent: every worker busy), accepted %d (instance 1: %d, instance 2: %d), refused %d, failed %d",
		res.sentA, res.duration.Round(time.Millisecond), res.offeredRPS(), res.droppedA, res.acceptedA, res.acceptedByNode[0], res.acceptedByNode[1], res.limitedA, res.failedA)
	t.Logf("tenant A: expected %d (%d per %s × %d windows begun in %s), deviation %+.2f%%",
		expected, perWindow, window, generations, res.duration.Round(time.Millisecond), deviation)
	t.Logf("tenant B: %d requests, %d accepted, %d refused, %d failed", res.sentB, res.acceptedB, res.limitedB, res.failedB)

	if res.failedA > res.sentA/100 {
		t.Fatalf("%d of %d requests of tenant A failed (neither 200 nor 429)", res.failedA, res.sentA)
	}
	if rps := res.offeredRPS(); rps < 25*float64(perWindow)/window.Seconds() {
		t.Fatalf("only %.0f req/s offered: not a sustained overload of a %d/%s budget", rps, perWindow, window)
	}
	if math.Abs(deviation) > 5 {
		t.Fatalf("tenant A: %d accepted, expected %d ± 5%% (deviation %+.2f%%)", res.acceptedA, expected, deviation)
	}
	if res.acceptedByNode[0] == 0 || res.acceptedByNode[1] == 0 {
		t.Fatalf("accepted per instance %v: both instances should serve the shared budget", res.acceptedByNode)
	}
	if res.limitedB != 0 || res.failedB != 0 || res.acceptedB != res.sentB {
		t.Fatalf("tenant B: %d sent, %d accepted, %d refused, %d failed: another tenant's flood affected it",
			res.sentB, res.acceptedB, res.limitedB, res.failedB)
	}
}

type loadResult struct {
	duration                            time.Duration
	sentA, droppedA                     int
	acceptedA, limitedA, failedA        int
	acceptedByNode                      [2]int
	sentB, acceptedB, limitedB, failedB int
}

func (r loadResult) offeredRPS() float64 { return float64(r.sentA) / r.duration.Seconds() }

// runLoad offers tenant A offeredRate requests/s of GET /api/v1/auth/me for
// loadDuration, alternating between the instances, from a bounded pool of
// keep-alive connections on loopback, and tenant B steadyRate requests/s.
func runLoad(t *testing.T, nodes []*testkit.Instance, tokenA, tokenB string) loadResult {
	t.Helper()
	var (
		res                          loadResult
		acceptedA, limitedA, failedA atomic.Int64
		byNode                       [2]atomic.Int64
		sentA, dropped               atomic.Int64
		firstErr                     atomic.Value
	)
	ctx, cancel := context.WithTimeout(context.Background(), loadDuration)
	defer cancel()
	tickets := make(chan struct{}, workers*4)
	start := time.Now()

	// The dispatcher paces tenant A: it hands out offeredRate tickets per
	// second; a ticket no worker is free for is dropped and reported.
	go func() {
		defer close(tickets)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		issued := 0
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				due := int(now.Sub(start).Seconds()*offeredRate) - issued
				for ; due > 0; due-- {
					issued++
					select {
					case tickets <- struct{}{}:
					default:
						dropped.Add(1)
					}
				}
			}
		}
	}()

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(node int) {
			defer wg.Done()
			c := &conn{url: nodes[node].URL}
			defer c.close()
			for range tickets {
				if ctx.Err() != nil {
					break // the load is over; tickets still queued are not sent
				}
				sentA.Add(1)
				status, err := c.get(tokenA)
				switch {
				case err != nil:
					firstErr.CompareAndSwap(nil, err.Error())
					failedA.Add(1)
				case status == http.StatusOK:
					acceptedA.Add(1)
					byNode[node].Add(1)
				case status == http.StatusTooManyRequests:
					limitedA.Add(1)
				default:
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d", status))
					failedA.Add(1)
				}
			}
		}(w % len(nodes))
	}

	// Tenant B: a modest, steady rate on both instances.
	wg.Add(1)
	go func() {
		defer wg.Done()
		conns := make([]*conn, len(nodes))
		for i := range nodes {
			conns[i] = &conn{url: nodes[i].URL}
			defer conns[i].close()
		}
		tick := time.NewTicker(time.Duration(float64(time.Second) / steadyRate))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			res.sentB++
			status, err := conns[i%len(nodes)].get(tokenB)
			switch {
			case err != nil:
				res.failedB++
			case status == http.StatusOK:
				res.acceptedB++
			case status == http.StatusTooManyRequests:
				res.limitedB++
			default:
				res.failedB++
			}
		}
	}()

	<-ctx.Done()
	res.duration = time.Since(start)
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		t.Logf("first failure of tenant A: %v", e)
	}
	res.sentA, res.droppedA = int(sentA.Load()), int(dropped.Load())
	res.acceptedA, res.limitedA, res.failedA = int(acceptedA.Load()), int(limitedA.Load()), int(failedA.Load())
	res.acceptedByNode = [2]int{int(byNode[0].Load()), int(byNode[1].Load())}
	return res
}

// conn is one keep-alive HTTP/1.1 connection to an instance. The load needs
// thousands of requests per second from a test process that may run under
// the race detector, where http.Transport's per-request machinery costs more
// than the server's answer; this writes the request line by hand and parses
// the answer with net/http.
type conn struct {
	url string
	c   net.Conn
	r   *bufio.Reader
}

func (c *conn) get(token string) (int, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", strings.TrimPrefix(c.url, "http://"), 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.c, c.r = nc, bufio.NewReaderSize(nc, 8192)
	}
	_ = c.c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /api/v1/auth/me HTTP/1.1\r\nHost: " + strings.TrimPrefix(c.url, "http://") +
		"\r\nAuthorization: Bearer " + token + "\r\n\r\n"
	if _, err := io.WriteString(c.c, req); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *conn) close() {
	if c.c != nil {
		_ = c.c.Close()
		c.c = nil
	}
}
