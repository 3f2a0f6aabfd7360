package app

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/http/ratelimit"
	"github.com/astrabastion/astra/http/writes"
)

// TestLiveSettings_ApplyStoredSettingsAndReturnToTheStartValues: a stored
// change reaches the log level, the rate limiter's defaults and the write
// path's bound; an older change than the one applied changes nothing; an
// empty set returns every setting to its value at start.
func TestLiveSettings_ApplyStoredSettingsAndReturnToTheStartValues(t *testing.T) {
	defer logLevel.Set(logLevel.Level())
	cfg := Config{LogLevel: "info", ReadYourWrites: 5 * time.Second}
	kit := &writes.Kit{Timeout: cfg.ReadYourWrites}
	guard := ratelimit.NewGuard(ratelimit.Config{})
	s := &liveSettings{cfg: cfg, kit: kit}
	s.attachRateGuard(guard)
	s.Apply(2, map[string]string{"log_level": "error", "rate_limit_anon_per_minute": "7", "read_your_writes_timeout": "1.5s"})
	if logLevel.Level() != slog.LevelError || guard.ClientBudget("1.2.3.4").Limit != 7 {
		t.Fatalf("level %s, anonymous budget %d", logLevel.Level(), guard.ClientBudget("1.2.3.4").Limit)
	}
	if v := s.View(); v.Version != 2 {
		t.Fatalf("version %d", v.Version)
	}
	s.Apply(1, map[string]string{"log_level": "debug"})
	if logLevel.Level() != slog.LevelError {
		t.Fatal("an older change replaced a newer one")
	}
	s.Apply(3, map[string]string{})
	if logLevel.Level() != slog.LevelInfo || guard.ClientBudget("1.2.3.4").Limit != ratelimit.DefaultAnonPerMinute {
		t.Fatalf("after the reset: level %s, anonymous budget %d", logLevel.Level(), guard.ClientBudget("1.2.3.4").Limit)
	}
}

// TestConfigView_NeverShowsASecret: every field whose name says it holds a
// secret is masked, so is any URL's password, and every run-time setting
// names a setting of Config.
func TestConfigView_NeverShowsASecret(t *testing.T) {
	cfg := Config{MasterKey: "a2V5", BootstrapPass: "hunter2hunter2", KafkaSASLPassword: "sasl",
		DatabaseURL: "postgres://u:dbpass@db:5432/astra?sslmode=disable&password=qpass", RedisURL: "redis://:rpass@redis:6379/0"}
	s := &liveSettings{cfg: cfg}
	view := s.View()
	for _, st := range view.Settings {
		for _, secret := range []string{"a2V5", "hunter2", "sasl", "dbpass", "qpass", "rpass"} {
			if strings.Contains(st.Value, secret) || strings.Contains(st.Default, secret) {
				t.Fatalf("%s shows %q: %+v", st.Key, secret, st)
			}
		}
	}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		n := strings.ToLower(f.Name)
		if f.IsExported() && (strings.Contains(n, "pass") || strings.HasSuffix(n, "masterkey")) && !secretName(f.Name) {
			t.Fatalf("%s holds a secret and is not masked", f.Name)
		}
	}
	for _, rs := range admin.RuntimeSettings {
		if !s.Known(rs.Key) {
			t.Fatalf("run-time setting %s is no setting of Config", rs.Key)
		}
		if s.startValue(rs.Key) == "" {
			t.Fatalf("run-time setting %s has no start value", rs.Key)
		}
	}
}
