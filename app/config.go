// Package app assembles ASTRA BASTION from its parts: configuration, the
// database, the broker, the event store, the projections and the HTTP API.
// cmd/astra and the end-to-end tests both start the product through it.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
)

// Config is every setting of the product; this is the one place that reads
// the environment.
type Config struct {
	HTTPAddr string `env:"ASTRA_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	DataDir  string `env:"ASTRA_DATA_DIR" envDefault:"./data"`
	// ATLASFile is the MITRE ATLAS distribution file (ATLAS.yaml of mitre-atlas/atlas-data) CyberTwins simulates campaigns with; empty: $ASTRA_DATA_DIR/atlas/ATLAS.yaml.
	ATLASFile string `env:"ASTRA_ATLAS_FILE"`
	// ChaosMaxBlast is the largest share of a tenant's provider calls its running chaos experiments may fault together.
	ChaosMaxBlast    float64  `env:"ASTRA_CHAOS_MAX_BLAST" envDefault:"0.5"`
	DatabaseMaxConns int      `env:"ASTRA_DATABASE_MAX_CONNS" envDefault:"20"`
	DatabaseURL      string   `env:"ASTRA_DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/astra?sslmode=disable"`
	KafkaBrokers     []string `env:"ASTRA_KAFKA_BROKERS" envSeparator:","`
	KafkaListen      string   `env:"ASTRA_KAFKA_LISTEN" envDefault:"127.0.0.1:9092"`
	// KafkaPartitions is the partitions per created topic; 0 (the default)
	// is 1 on the embedded broker and 6 on a cluster (see Load).
	KafkaPartitions int    `env:"ASTRA_KAFKA_PARTITIONS"`
	KafkaReplicas   int    `env:"ASTRA_KAFKA_REPLICATION" envDefault:"1"`
	MasterKey       string `env:"ASTRA_MASTER_KEY"`
	// MasterKeyFile and MasterKeyCommand are the other sources of the master
	// key (a mounted secret; a KMS decrypt command). See eventstore.MasterKeySource.
	MasterKeyFile    string        `env:"ASTRA_MASTER_KEY_FILE"`
	MasterKeyCommand string        `env:"ASTRA_MASTER_KEY_COMMAND"`
	BootstrapTenant  string        `env:"ASTRA_BOOTSTRAP_TENANT" envDefault:"default"`
	BootstrapEmail   string        `env:"ASTRA_BOOTSTRAP_ADMIN_EMAIL" envDefault:"admin@localhost"`
	BootstrapPass    string        `env:"ASTRA_BOOTSTRAP_ADMIN_PASSWORD"`
	JWTIssuer        string        `env:"ASTRA_JWT_ISSUER" envDefault:"astra-bastion"`
	JWTAudience      string        `env:"ASTRA_JWT_AUDIENCE" envDefault:"astra-api"`
	ReadYourWrites   time.Duration `env:"ASTRA_READ_YOUR_WRITES_TIMEOUT" envDefault:"5s"`
	BodyLimit        int64         `env:"ASTRA_BODY_LIMIT" envDefault:"1048576"`
	LogLevel         string        `env:"ASTRA_LOG_LEVEL" envDefault:"info"`
	// DebugAddr serves Go's profiler there when set (keep it on loopback).
	DebugAddr   string `env:"ASTRA_DEBUG_ADDR"`
	TLSCertFile string `env:"ASTRA_TLS_CERT_FILE"`
	SMTPURL     string `env:"ASTRA_SMTP_URL"`
	TLSKeyFile  string `env:"ASTRA_TLS_KEY_FILE"`

	// Outbound connections (SSO issuers; later providers and webhooks).
	AllowPrivateURLs []string `env:"ASTRA_ALLOW_PRIVATE_URLS" envSeparator:","`
	OutboundCAFile   string   `env:"ASTRA_OUTBOUND_CA_FILE"`
	// WebhookRetryScale multiplies the Platform webhooks' retry schedule
	// (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); tests shrink it. 0 counts as 1.
	WebhookRetryScale float64 `env:"ASTRA_WEBHOOK_RETRY_SCALE" envDefault:"1"`
	PublicURL         string  `env:"ASTRA_PUBLIC_URL"`

	// Rate limiting (http/ratelimit): shared through Redis when RedisURL is
	// set, per process otherwise. Zero values mean the defaults.
	RedisURL    string `env:"ASTRA_REDIS_URL"`
	RedisPrefix string `env:"ASTRA_REDIS_PREFIX" envDefault:"astra:"`

	// The gateway's built-in mock provider answers after this latency.
	MockLatency time.Duration `env:"ASTRA_MOCK_LATENCY" envDefault:"0s"`
	// GCPercent is the garbage collector's target (Go's GOGC, which wins when
	// set); 0 leaves the runtime's default. See app/gc.go.
	GCPercent int `env:"ASTRA_GC_PERCENT" envDefault:"400"`
	// GatewayAudit is how a gateway request record is kept before the
	// answer leaves: journal (the default; decision 0031), relaxed or sync
	// (decision 0007). Empty means journal.
	GatewayAudit string `env:"ASTRA_GATEWAY_AUDIT" envDefault:"journal"`
	// GatewaySyncAudit is the older spelling of ASTRA_GATEWAY_AUDIT=sync.
	GatewaySyncAudit bool `env:"ASTRA_GATEWAY_SYNC_AUDIT" envDefault:"false"`
	// TrustRecalcInterval is how often scores are recalculated (decay alone moves them).
	TrustRecalcInterval time.Duration `env:"ASTRA_TRUST_RECALC_INTERVAL" envDefault:"30s"`
	RateLimitPerMinute  int           `env:"ASTRA_RATE_LIMIT_PER_MINUTE" envDefault:"6000"`
	RateLimitAnon       int           `env:"ASTRA_RATE_LIMIT_ANON_PER_MINUTE" envDefault:"600"`
	RateLimitWindow     time.Duration `env:"ASTRA_RATE_LIMIT_WINDOW" envDefault:"1m"`
	RateLimitSettingTTL time.Duration `env:"ASTRA_RATE_LIMIT_SETTINGS_TTL" envDefault:"5s"`

	// The live stream's caps: channel patterns per connection, and open
	// connections per principal (a user or an API key) on one instance.
	WSMaxPatterns                int `env:"ASTRA_WS_MAX_PATTERNS" envDefault:"64"`
	WSMaxConnectionsPerPrincipal int `env:"ASTRA_WS_MAX_CONNECTIONS_PER_PRINCIPAL" envDefault:"16"`
	// The embedded broker and the Kafka clients' security.
	// KafkaListenPublic allows the embedded broker on a non-loopback
	// address. It has no authentication unless a SASL mechanism is set:
	// anyone who reaches it reads every event and can write records (which
	// the product refuses, see eventstore.RecordAuth, but which still fill
	// its topics).
	KafkaListenPublic bool `env:"ASTRA_KAFKA_LISTEN_PUBLIC" envDefault:"false"`
	// SASL and TLS towards the brokers (ASTRA_KAFKA_BROKERS); with the
	// embedded broker a SASL mechanism makes it require that user.
	KafkaSASLMechanism         string `env:"ASTRA_KAFKA_SASL_MECHANISM"`
	KafkaSASLUser              string `env:"ASTRA_KAFKA_SASL_USER"`
	KafkaSASLPassword          string `env:"ASTRA_KAFKA_SASL_PASSWORD"`
	KafkaTLS                   bool   `env:"ASTRA_KAFKA_TLS" envDefault:"false"`
	KafkaTLSCAFile             string `env:"ASTRA_KAFKA_TLS_CA_FILE"`
	KafkaTLSCertFile           string `env:"ASTRA_KAFKA_TLS_CERT_FILE"`
	KafkaTLSKeyFile            string `env:"ASTRA_KAFKA_TLS_KEY_FILE"`
	KafkaTLSInsecureSkipVerify bool   `env:"ASTRA_KAFKA_TLS_INSECURE_SKIP_VERIFY" envDefault:"false"`

	// LicensePublicKeys, when set, replace the licence keys built into the
	// binary (base64 Ed25519 public keys): self-signed licences, tests.
	LicensePublicKeys []string `env:"ASTRA_LICENSE_PUBLIC_KEYS" envSeparator:","`
	// A tenant's monthly quotas, reported by GET /admin/tenants/{id}/usage
	// (0: the licence's, or none). Changeable at run time (PATCH /admin/config).
	TenantQuotaRequestsPerMonth int64 `env:"ASTRA_TENANT_QUOTA_REQUESTS_PER_MONTH" envDefault:"0"`
	TenantQuotaTokensPerMonth   int64 `env:"ASTRA_TENANT_QUOTA_TOKENS_PER_MONTH" envDefault:"0"`
	TenantQuotaStorageBytes     int64 `env:"ASTRA_TENANT_QUOTA_STORAGE_BYTES" envDefault:"0"`

	// PasswordCost is the argon2id cost of new password hashes. It is not
	// read from the environment: a deployment always hashes at
	// cmdiam.ProductionPasswordCost (the zero value). Tests set
	// cmdiam.TestPasswordCost (testkit.Config) unless they measure the
	// hashing itself.
	PasswordCost cmdiam.PasswordCost `env:"-"`

	// fromEnv are the variables the environment set (LoadConfig); a Config
	// built by a program (tests) has none.
	fromEnv map[string]bool
}

// LoadConfig reads the configuration from the environment.
func LoadConfig() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("config: %w", namedByVariable(err))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return c, fmt.Errorf("config: ASTRA_LOG_LEVEL=%q: use debug, info, warn or error", c.LogLevel)
	}
	c.fromEnv = variablesSet()
	var brokers []string
	for _, b := range c.KafkaBrokers {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	c.KafkaBrokers = brokers
	if len(c.KafkaBrokers) == 0 && !c.KafkaListenPublic && !eventstore.IsLoopback(c.KafkaListen) {
		return c, fmt.Errorf("config: ASTRA_KAFKA_LISTEN %q is not a loopback address: the embedded broker has no authentication; "+
			"keep it on 127.0.0.1, use a real cluster (ASTRA_KAFKA_BROKERS with SASL/TLS), or set ASTRA_KAFKA_LISTEN_PUBLIC=true", c.KafkaListen)
	}
	if _, err := c.GatewayAuditMode(); err != nil {
		return c, fmt.Errorf("config: ASTRA_GATEWAY_AUDIT: %w", err)
	}
	if c.KafkaPartitions == 0 {
		// On the embedded broker, partitions buy nothing: one broker serves
		// them all, and a projection applies what arrives from all of its
		// partitions in one transaction. Each costs every consumer group a
		// partition consumer (goroutines, a fetch buffer, a share of every
		// fetch): at 6, an idle instance ran 3,400 goroutines and held ~170 MB
		// of live heap after the side-by-side load, against 1,200 and ~55 MB
		// at 1. On a cluster they let several instances share a projection.
		c.KafkaPartitions = 6
		if len(c.KafkaBrokers) == 0 {
			c.KafkaPartitions = 1
		}
	}
	if c.KafkaPartitions < 1 || c.KafkaPartitions > 256 {
		return c, fmt.Errorf("config: ASTRA_KAFKA_PARTITIONS must be 1..256")
	}
	if c.RateLimitPerMinute < 1 || c.RateLimitAnon < 1 {
		return c, fmt.Errorf("config: ASTRA_RATE_LIMIT_PER_MINUTE and ASTRA_RATE_LIMIT_ANON_PER_MINUTE must be at least 1")
	}
	if c.RateLimitWindow < 100*time.Millisecond || c.RateLimitWindow > time.Hour {
		return c, fmt.Errorf("config: ASTRA_RATE_LIMIT_WINDOW must be between 100ms and 1h")
	}
	if c.WSMaxPatterns < 1 || c.WSMaxConnectionsPerPrincipal < 1 {
		return c, fmt.Errorf("config: ASTRA_WS_MAX_PATTERNS and ASTRA_WS_MAX_CONNECTIONS_PER_PRINCIPAL must be at least 1")
	}
	if c.RateLimitSettingTTL < 0 {
		return c, fmt.Errorf("config: ASTRA_RATE_LIMIT_SETTINGS_TTL must not be negative")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return c, err
	}
	c.DataDir = abs
	return c, nil
}

// namedByVariable rewrites the environment parser's errors, which name the
// Go field ("parse error on field \"RateLimitWindow\""), to name the
// variable and the value that was refused.
func namedByVariable(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	variables := map[string]string{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		variables[t.Field(i).Name] = t.Field(i).Tag.Get("env")
	}
	var msgs []string
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) && variables[pe.Name] != "" {
			name := variables[pe.Name]
			msgs = append(msgs, fmt.Sprintf("%s=%q is not a valid %s: %v", name, os.Getenv(name), typeName(pe.Type), pe.Err))
			continue
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New(strings.Join(msgs, "; "))
}

func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "duration (such as 500ms, 5s or 1m)"
	case t.Kind() == reflect.Bool:
		return "boolean (true or false)"
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return "whole number"
	}
	return t.String()
}

// KafkaSecurity is the SASL and TLS configuration of the Kafka clients.
func (c Config) KafkaSecurity() eventstore.KafkaSecurity {
	return eventstore.KafkaSecurity{SASLMechanism: c.KafkaSASLMechanism, SASLUser: c.KafkaSASLUser, SASLPassword: c.KafkaSASLPassword,
		TLS: c.KafkaTLS, TLSCAFile: c.KafkaTLSCAFile, TLSCertFile: c.KafkaTLSCertFile, TLSKeyFile: c.KafkaTLSKeyFile,
		TLSInsecureSkipVerify: c.KafkaTLSInsecureSkipVerify}
}

// NewLogger is the JSON logger at the configured level.
func NewLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	logLevel.Set(l)
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
}

// logLevel is the level of the loggers NewLogger makes: a stored log_level
// setting changes it while the process runs.
var logLevel = new(slog.LevelVar)

// Version is set at build time with -ldflags "-X github.com/astrabastion/astra/app.Version=…".
var Version = "0.1.0-dev"

// Revision is the commit the binary was built from (with "+dirty" for a
// modified tree), or "unknown revision" when the build recorded none.
func Revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown revision"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown revision"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

// ConfigHelp lists the environment variables of Config, one a line, with
// their defaults.
func ConfigHelp() string {
	var b strings.Builder
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" {
			continue
		}
		fmt.Fprintf(&b, "  %s", name)
		if d, ok := f.Tag.Lookup("envDefault"); ok {
			fmt.Fprintf(&b, " [%s]", d)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// MasterKeySource is where the master key comes from.
func (c Config) MasterKeySource() eventstore.MasterKeySource {
	return eventstore.MasterKeySource{Value: c.MasterKey, File: c.MasterKeyFile, Command: c.MasterKeyCommand}
}

// LoopbackOnly reports whether nothing of this setup is reachable from, or
// kept on, another machine: the API and the embedded broker listen on
// loopback, and Postgres is reached over loopback or a Unix socket. Only
// there may the master key be kept in the database it protects.
func (c Config) LoopbackOnly() bool {
	if !loopbackAddr(c.HTTPAddr) || len(c.KafkaBrokers) > 0 || !loopbackAddr(c.KafkaListen) {
		return false
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if h := u.Query().Get("host"); h != "" {
		host = h
	}
	return host == "" || strings.HasPrefix(host, "/") || loopbackHost(host)
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return loopbackHost(host)
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// variablesSet lists the ASTRA_* variables of the environment that name a
// setting (GET /admin/config says which values came from there).
func variablesSet() map[string]bool {
	out := map[string]bool{}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		if name := f.Tag.Get("env"); name != "" {
			if _, ok := os.LookupEnv(name); ok {
				out[name] = true
			}
		}
	}
	return out
}

// GatewayAuditMode is the configured audit mode of gateway request records:
// ASTRA_GATEWAY_AUDIT, journal when empty, sync when ASTRA_GATEWAY_SYNC_AUDIT
// is true.
func (c Config) GatewayAuditMode() (gateway.AuditMode, error) {
	if c.GatewaySyncAudit {
		return gateway.AuditSync, nil
	}
	if c.GatewayAudit == "" {
		return gateway.AuditJournal, nil
	}
	return gateway.ParseAuditMode(c.GatewayAudit)
}
