package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/app"
)

// Bootstrap admin of a bench instance.
const (
	adminEmail    = "admin@bench.test"
	adminPassword = "bench-bootstrap-password"
)

// InstanceOptions configure a bench instance.
type InstanceOptions struct {
	// ServerURL is the Postgres server (any database on it); a fresh database is
	// created there and dropped at Close (kept when ASTRA_BENCH_KEEP is set). Default: ASTRA_BENCH_DATABASE_URL, else
	// the local server through its Unix socket in /var/run/postgresql, else postgres://postgres@127.0.0.1:5432/postgres.
	ServerURL string
	// RedisURL makes the rate limiter and budgets use Redis (as in a multi-instance deployment).
	RedisURL string
	// Logger receives the product's logs (default: discarded).
	Logger *slog.Logger
}

// Instance is the whole product started in-process on a fresh database:
// API, relay, projections, embedded broker, gateway runtime.
type Instance struct {
	URL     string
	Running *app.Running
	Cfg     app.Config

	cancel context.CancelFunc
	done   chan error
	drop   func()
	dir    string
}

func serverURL(o InstanceOptions) string {
	if o.ServerURL != "" {
		return o.ServerURL
	}
	if u := os.Getenv("ASTRA_BENCH_DATABASE_URL"); u != "" {
		return u
	}
	// A Postgres on the same machine is reached through its Unix socket
	// where it has one, as libpq does by default: on this machine a round
	// trip over loopback TCP takes 100–150 µs against 20–50 µs.
	if _, err := os.Stat(localSocketDir + "/.s.PGSQL.5432"); err == nil {
		return "postgres://postgres@/postgres?host=" + localSocketDir + "&sslmode=disable"
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// localSocketDir is where Debian's Postgres puts its Unix socket.
const localSocketDir = "/var/run/postgresql"

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// StartInstance starts the product the way `astra serve` does (app.Serve),
// with loopback outbound calls allowed (the mock provider lives there) and a
// tenant rate limit far above any rate the benchmark sends, so that the
// limiter runs on every request but never refuses one.
func StartInstance(ctx context.Context, o InstanceOptions) (*Instance, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	base := serverURL(o)
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("bench: database url: %w", err)
	}
	u.Path = "/astra_bench_" + suffix
	dbURL := u.String()
	dir, err := os.MkdirTemp("", "astra-bench-")
	if err != nil {
		return nil, err
	}
	kafka, err := freePort()
	if err != nil {
		return nil, err
	}
	// The product's defaults (and any ASTRA_* setting of the environment),
	// with what the bench needs on top.
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, err
	}
	cfg.HTTPAddr, cfg.DataDir, cfg.DatabaseURL, cfg.KafkaListen, cfg.KafkaBrokers = "127.0.0.1:0", dir, dbURL, kafka, nil
	cfg.KafkaPartitions, cfg.KafkaReplicas = 3, 1
	cfg.BootstrapTenant, cfg.BootstrapEmail, cfg.BootstrapPass = "default", adminEmail, adminPassword
	cfg.LogLevel, cfg.AllowPrivateURLs = "error", []string{"loopback"}
	cfg.RedisURL, cfg.RedisPrefix = o.RedisURL, "astra-bench-"+suffix+":"
	cfg.RateLimitPerMinute = 1_000_000_000
	logger := o.Logger
	if logger == nil {
		// What `astra serve` logs (JSON, info: one access line per request),
		// formatted as there but discarded.
		logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	in := &Instance{Cfg: cfg, done: make(chan error, 1), dir: dir}
	in.drop = func() {
		if os.Getenv("ASTRA_BENCH_KEEP") != "" {
			// Kept for inspection (the request log, the ledger): drop it by hand.
			fmt.Fprintln(os.Stderr, "bench: kept database astra_bench_"+suffix)
			return
		}
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS astra_bench_"+suffix+" WITH (FORCE)")
	}
	runCtx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	ready := make(chan *app.Running, 1)
	go func() {
		in.done <- app.Serve(runCtx, cfg, app.Options{Logger: logger, OnReady: func(r *app.Running) { ready <- r }})
	}()
	select {
	case r := <-ready:
		in.Running, in.URL = r, "http://"+r.Addr
	case err := <-in.done:
		cancel()
		in.cleanup()
		return nil, fmt.Errorf("bench: astra serve failed to start: %w", err)
	case <-time.After(90 * time.Second):
		in.Close()
		return nil, errors.New("bench: astra serve did not start within 90s")
	case <-ctx.Done():
		in.Close()
		return nil, ctx.Err()
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(in.URL + "/api/v1/admin/health/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in, nil
			}
		}
		if time.Now().After(deadline) {
			in.Close()
			return nil, errors.New("bench: instance not ready within 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Close stops the instance and drops its database.
func (in *Instance) Close() {
	in.cancel()
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
	}
	in.cleanup()
}

func (in *Instance) cleanup() {
	in.drop()
	if strings.Contains(in.dir, "astra-bench-") {
		_ = os.RemoveAll(in.dir)
	}
}
