package app

import (
	"context"
	"log/slog"

	"github.com/astrabastion/astra/http/ratelimit"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// newRateGuard builds the API's rate limiting: a Redis sliding window shared
// by every instance when ASTRA_REDIS_URL is set, an in-process one
// otherwise. Zero settings (as in a Config built by hand) take the defaults.
// The returned func closes the Redis client.
func newRateGuard(cfg Config, queries *rmiam.Queries, log *slog.Logger) (*ratelimit.Guard, func(), error) {
	window := cfg.RateLimitWindow
	if window <= 0 {
		window = ratelimit.DefaultWindow
	}
	var limiter ratelimit.Limiter = ratelimit.NewMemory(window)
	closeFn := func() {}
	if cfg.RedisURL != "" {
		client, err := ratelimit.NewRedisClient(cfg.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		prefix := cfg.RedisPrefix
		if prefix == "" {
			prefix = "astra:"
		}
		limiter = ratelimit.NewRedis(client, prefix, window)
		closeFn = func() { _ = client.Close() }
		// Not fatal: requests are served unlimited until Redis answers.
		if err := client.Ping(context.Background()).Err(); err != nil {
			log.Warn("Redis for rate limiting unreachable at start: requests are not limited until it answers", "err", err)
		}
	}
	guard := ratelimit.NewGuard(ratelimit.Config{
		Limiter:         limiter,
		TenantPerMinute: cfg.RateLimitPerMinute,
		AnonPerMinute:   cfg.RateLimitAnon,
		SettingsTTL:     cfg.RateLimitSettingTTL,
		Logger:          log,
		TenantLimit: func(ctx context.Context, tenantID string) (int, error) {
			st, err := queries.TenantSettings(ctx, tenantID)
			return st.RateLimitPerMinute, err
		},
	})
	return guard, closeFn, nil
}
