package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisURL is the Redis tests use (ASTRA_TEST_REDIS_URL overrides it).
func RedisURL() string {
	if u := os.Getenv("ASTRA_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// RequireRedis skips a test when Redis is unreachable, except under CI=true,
// where it fails: CI must never pass by skipping.
func RequireRedis(t testing.TB) {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("ASTRA_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err = c.Ping(ctx).Err(); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Redis is required under CI=true: %v", err)
	}
	t.Skipf("Redis unavailable: %v", err)
}

// RedisPrefix returns a key prefix no other test uses, for ASTRA_REDIS_PREFIX,
// and deletes the keys under it when the test ends.
func RedisPrefix(t testing.TB) string {
	t.Helper()
	RequireRedis(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "astra-test-" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		opts, err := redis.ParseURL(RedisURL())
		if err != nil {
			return
		}
		c := redis.NewClient(opts)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}
