package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	cmdgw "github.com/astrabastion/astra/commands/gateway"
	"github.com/astrabastion/astra/domain/gateway/injection"
	"github.com/astrabastion/astra/domain/gateway/pii"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/telemetry"
	httpgw "github.com/astrabastion/astra/http/gateway"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/netguard"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// gatewayParts are the assembled gateway.
type gatewayParts struct {
	runtime *gateway.Runtime
	api     *httpgw.API
	admin   *httpgw.Admin
	close   func()
}

// GatewayNow is the gateway runtime's clock (content keys are named by its
// month); tests set it before starting an instance.
var GatewayNow = time.Now

// newGateway assembles the AI gateway: detectors, the runtime with its cache
// and budgets (shared through Redis when configured), outbound connections
// guarded by netguard, and the HTTP APIs.
func newGateway(cfg Config, st *Stack, kit *writes.Kit, log *slog.Logger) (*gatewayParts, error) {
	guard, err := netguard.New(cfg.AllowPrivateURLs)
	if err != nil {
		return nil, fmt.Errorf("ASTRA_ALLOW_PRIVATE_URLS: %w", err)
	}
	budgets := &gateway.Budgets{Prefix: cfg.RedisPrefix}
	closeFn := func() {}
	if cfg.RedisURL != "" {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("ASTRA_REDIS_URL: %w", err)
		}
		client := redis.NewClient(opt)
		budgets.Redis = client
		closeFn = func() { _ = client.Close() }
	}
	// OpenTelemetry traces: configured by the standard OTEL_* variables (off without an OTLP endpoint).
	tracing, err := telemetry.FromEnv(context.Background(), Version)
	if err != nil {
		closeFn()
		return nil, err
	}
	closeRedis := closeFn
	closeFn = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tracing.Shutdown(ctx)
		closeRedis()
	}
	outbound := guard.Client(netguard.ClientOptions{Timeout: 10 * time.Minute, MaxResponseBytes: 64 << 20, IdleConnsPerHost: 256})
	outbound.Transport = telemetry.Transport(outbound.Transport) // the caller's trace context reaches the provider
	auditMode, err := cfg.GatewayAuditMode()
	if err != nil {
		closeFn()
		return nil, err
	}
	families, types := detectorNames()
	queries := &rmgw.Queries{Runner: st.Runner}
	rt := &gateway.Runtime{Store: st.Store, Keys: st.Keys, Queries: queries, Log: log,
		Injection: injectionAdapter{d: injection.New()}, PII: piiAdapter{d: pii.New(pii.WithAllTypes())},
		Outbound: outbound, Tracing: tracing,
		Budgets: budgets, Cache: &gateway.Cache{}, DefaultMockLatency: cfg.MockLatency, Families: families, PIITypes: types,
		AuditMode: auditMode, Now: GatewayNow}
	// The runtime reads AEGIS's agents and guardrails; an event waits for
	// the read model of its own module (WaitFor skips the other).
	rt.Aegis = &rmaegis.Queries{Runner: st.Runner}
	rt.AwaitReadModel = func(ctx context.Context, e *eventstore.Event) error {
		return st.Runner.WaitFor(ctx, 10*time.Second, []eventstore.Event{*e}, rmgw.Name, rmaegis.Name)
	}
	iamQueries := &rmiam.Queries{Runner: st.Runner}
	rt.KeyOwner = func(ctx context.Context, tenantID, keyID string) (string, error) {
		k, err := iamQueries.APIKeyByID(ctx, tenantID, keyID)
		if err != nil || k == nil {
			return "", err
		}
		return k.OwnerID, nil
	}
	checkURL := func(raw string) error {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return fmt.Errorf("not an absolute URL")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		switch strings.ToLower(u.Scheme) {
		case "https":
			return guard.CheckURL(ctx, raw)
		case "http":
			// Plain http (a local Ollama, a test server) is only as reachable as its address.
			return guard.CheckHost(ctx, u.Hostname())
		}
		return fmt.Errorf("scheme must be http or https")
	}
	admin := &httpgw.Admin{Commands: &cmdgw.Handlers{Store: st.Store, Keys: st.Keys}, Queries: queries, Runtime: rt, Writes: kit,
		CheckURL: checkURL}
	return &gatewayParts{runtime: rt, api: &httpgw.API{Runtime: rt, Queries: queries}, admin: admin, close: closeFn}, nil
}
