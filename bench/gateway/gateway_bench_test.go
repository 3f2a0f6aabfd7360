package gateway

import (
	"context"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

var (
	benchRequests = flag.Int("gw.requests", 2000, "BenchmarkGateway: requests per target at concurrency 1")
	benchRates    = flag.String("gw.rates", "500,1000,2000,3000,4000,5000,6000", "BenchmarkGateway: rates of the sweep (empty: none)")
	benchStep     = flag.Duration("gw.step", 5*time.Second, "BenchmarkGateway: duration of each rate")
	benchAuth     = flag.String("gw.auth", "apikey", "BenchmarkGateway: apikey or jwt")
	benchRedis    = flag.String("gw.redis", "", "BenchmarkGateway: Redis URL for the rate limiter and budgets")
)

// BenchmarkGateway runs the gateway benchmark once per iteration (run it
// with -benchtime 1x) and reports the added latency at concurrency 1 and
// the highest rate whose p99 added latency stays under 5 ms:
//
//	go test -run '^$' -bench Gateway -benchtime 1x ./bench/gateway/
//	go test -run '^$' -bench Gateway -benchtime 1x ./bench/gateway/ -args -gw.rates 500,1000 -gw.auth jwt
//
// It is the same harness as `astra bench gateway` (see README, Benchmarks).
func BenchmarkGateway(b *testing.B) {
	testkit.RequireDB(b)
	o := Options{Requests: *benchRequests, Step: *benchStep, Auth: *benchAuth, Cached: true}
	o.Instance.RedisURL = *benchRedis
	for _, f := range strings.Split(*benchRates, ",") {
		if r, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && r > 0 {
			o.Rates = append(o.Rates, r)
		}
	}
	o.NoSweep = len(o.Rates) == 0
	if testing.Verbose() {
		o.Log = os.Stderr
	}
	var rep *Report
	for range b.N {
		var err error
		if rep, err = Run(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	rep.Print(os.Stdout)
	u := rep.Sequential[0]
	b.ReportMetric(u.AddedP50, "added-p50-ms")
	b.ReportMetric(u.AddedP99, "added-p99-ms")
	b.ReportMetric(u.Gateway.P50, "gateway-p50-ms")
	b.ReportMetric(float64(rep.HighestRate), "max-rps-p99-added<5ms")
}
