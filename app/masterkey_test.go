package app

import (
	"strings"
	"testing"
)

func TestMasterKeyWarning_OnlyBeyondLoopbackWithoutAnExternalKey(t *testing.T) {
	base := Config{HTTPAddr: "127.0.0.1:8080", KafkaListen: "127.0.0.1:9092",
		DatabaseURL: "postgres://postgres@127.0.0.1:5432/astra?sslmode=disable"}
	cases := []struct {
		name string
		edit func(*Config)
		warn bool
	}{
		{"loopback only", func(*Config) {}, false},
		{"unix socket database", func(c *Config) { c.DatabaseURL = "postgres://postgres@/astra?host=/var/run/postgresql" }, false},
		{"localhost", func(c *Config) { c.HTTPAddr = "localhost:8080" }, false},
		{"API on every interface", func(c *Config) { c.HTTPAddr = ":8080" }, true},
		{"API on a LAN address", func(c *Config) { c.HTTPAddr = "10.1.2.3:8080" }, true},
		{"remote database", func(c *Config) { c.DatabaseURL = "postgres://astra@db.internal:5432/astra" }, true},
		{"real Kafka", func(c *Config) { c.KafkaBrokers = []string{"kafka:9092"} }, true},
		{"broker on every interface", func(c *Config) { c.KafkaListen = "0.0.0.0:9092" }, true},
		{"remote, key from a file", func(c *Config) { c.HTTPAddr = ":8080"; c.MasterKeyFile = "/run/secrets/kek" }, false},
		{"remote, key from a command", func(c *Config) { c.HTTPAddr = ":8080"; c.MasterKeyCommand = "kms decrypt" }, false},
		{"remote, key in the environment", func(c *Config) { c.HTTPAddr = ":8080"; c.MasterKey = "x" }, false},
	}
	for _, tc := range cases {
		c := base
		tc.edit(&c)
		msg := masterKeyWarning(c)
		if (msg != "") != tc.warn {
			t.Errorf("%s: warning %q", tc.name, msg)
		}
		if msg != "" && !strings.Contains(msg, "ASTRA_MASTER_KEY_FILE") {
			t.Errorf("%s: the warning does not say what to do: %q", tc.name, msg)
		}
	}
}
