package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	benchgw "github.com/astrabastion/astra/bench/gateway"
)

// benchGatewayCmd runs the gateway benchmark (bench/gateway): the whole
// product in this process on a fresh database, a loopback mock provider, and
// a client measuring the latency the gateway adds over calling the mock directly.
func benchGatewayCmd() *cobra.Command {
	var o benchgw.Options
	var rates string
	var asJSON bool
	c := &cobra.Command{Use: "gateway", Short: "Added latency of the gateway over its provider at concurrency 1, and a rate sweep",
		Long: "Starts the whole product in-process on a fresh database (dropped afterwards) on the Postgres server of\n" +
			"ASTRA_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), an OpenAI-compatible mock provider\n" +
			"on loopback, and measures calls to the mock directly and through the gateway with an API key (or JWT).\n" +
			"Traffic goes to 127.0.0.1 only; every phase is bounded in requests and time.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range strings.Split(rates, ",") {
				if f = strings.TrimSpace(f); f == "" {
					continue
				}
				r, err := strconv.Atoi(f)
				if err != nil || r < 1 || r > 100000 {
					return &usageError{"--rates: " + f + " is not a rate between 1 and 100000"}
				}
				o.Rates = append(o.Rates, r)
			}
			if (o.Auth != "apikey" && o.Auth != "jwt") || (o.Endpoint != "chat" && o.Endpoint != "openai") {
				return &usageError{"--auth is apikey or jwt, --endpoint is chat or openai"}
			}
			if o.Requests > 1_000_000 || o.Step > 5*time.Minute || o.Workers > 4096 {
				return &usageError{"--requests ≤ 1000000, --step ≤ 5m, --workers ≤ 4096"}
			}
			if !asJSON {
				o.Log = os.Stderr
			}
			rep, err := benchgw.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.Print(os.Stdout)
			return nil
		}}
	f := c.Flags()
	f.IntVarP(&o.Requests, "requests", "n", 2000, "requests per target at concurrency 1")
	f.IntVar(&o.Warmup, "warmup", 300, "warm-up requests per target")
	f.StringVar(&rates, "rates", "500,1000,2000,3000,4000,5000,6000", "rates of the open-loop sweep, requests/s")
	f.BoolVar(&o.NoSweep, "no-sweep", false, "skip the rate sweep")
	f.DurationVar(&o.Step, "step", 5*time.Second, "duration of each rate")
	f.IntVar(&o.Workers, "workers", 256, "requests in flight at most during the sweep")
	f.StringVar(&o.Auth, "auth", "apikey", "client credential: apikey or jwt")
	f.StringVar(&o.Endpoint, "endpoint", "chat", "chat (/api/v1/gateway/chat/completions) or openai (the drop-in)")
	f.BoolVar(&o.Cached, "cached", false, "also measure cache hits at concurrency 1")
	f.DurationVar(&o.AddedBound, "bound", 5*time.Millisecond, "p99 added latency a rate must stay under")
	f.DurationVar(&o.MockLatency, "mock-latency", 0, "latency of the mock provider")
	f.StringVar(&o.Instance.RedisURL, "redis", "", "Redis URL for the rate limiter and budgets (as ASTRA_REDIS_URL); empty: in-process")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured phases to this file")
	f.BoolVar(&o.PGSample, "pg-sample", false, "sample Postgres activity during the sweep and report where its time goes")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
