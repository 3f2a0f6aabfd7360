package app

import (
	"strings"
	"testing"

	cmdiam "github.com/astrabastion/astra/commands/iam"
)

// Configuration errors name the variable and the refused value, never the Go field.
func TestLoadConfig_ErrorsNameTheVariable(t *testing.T) {
	cases := map[string]struct{ key, value, want string }{
		"duration": {"ASTRA_RATE_LIMIT_WINDOW", "soon", `ASTRA_RATE_LIMIT_WINDOW="soon" is not a valid duration`},
		"number":   {"ASTRA_KAFKA_PARTITIONS", "six", `ASTRA_KAFKA_PARTITIONS="six" is not a valid whole number`},
		"boolean":  {"ASTRA_GATEWAY_SYNC_AUDIT", "maybe", `ASTRA_GATEWAY_SYNC_AUDIT="maybe" is not a valid boolean`},
		"level":    {"ASTRA_LOG_LEVEL", "loud", `ASTRA_LOG_LEVEL="loud": use debug, info, warn or error`},
		"audit":    {"ASTRA_GATEWAY_AUDIT", "eventually", `ASTRA_GATEWAY_AUDIT: "eventually" is not an audit mode: journal, relaxed or sync`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(c.key, c.value)
			_, err := LoadConfig()
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "field") {
				t.Fatalf("LoadConfig with %s=%q: %v; want it to say %s", c.key, c.value, err, c.want)
			}
		})
	}
	if _, err := LoadConfig(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// A deployment hashes passwords at the production cost: LoadConfig leaves
// Config.PasswordCost zero (only a program, a test, sets it).
func TestLoadConfig_PasswordsAtTheProductionCost(t *testing.T) {
	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.PasswordCost != (cmdiam.PasswordCost{}) {
		t.Fatalf("password cost %+v from the environment, want the zero value (production)", c.PasswordCost)
	}
}

// Topics get one partition on the embedded broker and six on a cluster,
// unless ASTRA_KAFKA_PARTITIONS says otherwise.
func TestLoadConfig_PartitionsFollowTheBroker(t *testing.T) {
	for _, c := range []struct {
		brokers, partitions string
		want                int
	}{{"", "", 1}, {"kafka-1:9092,kafka-2:9092", "", 6}, {"", "4", 4}, {"kafka-1:9092", "12", 12}} {
		t.Setenv("ASTRA_KAFKA_BROKERS", c.brokers)
		t.Setenv("ASTRA_KAFKA_PARTITIONS", c.partitions)
		cfg, err := LoadConfig()
		if err != nil || cfg.KafkaPartitions != c.want {
			t.Fatalf("brokers %q, partitions %q: %d (%v), want %d", c.brokers, c.partitions, cfg.KafkaPartitions, err, c.want)
		}
	}
}
