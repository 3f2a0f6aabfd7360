package cluster

import (
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// pair starts two instances on one database and one broker.
func pair(t *testing.T) (a, b *testkit.Instance) {
	t.Helper()
	a = testkit.Start(t, nil)
	cfg := testkit.Config(t)
	cfg.DatabaseURL = a.Cfg.DatabaseURL
	cfg.KafkaBrokers = []string{a.BrokerAddr()}
	return a, testkit.Start(t, &cfg)
}

// withinASecond polls ok until it holds, from the start of a change, and
// fails unless it held within one second (it gives up after five).
func withinASecond(t *testing.T, what string, start time.Time, ok func() bool) time.Duration {
	t.Helper()
	for !ok() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: never", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(start)
	t.Logf("%s after %s", what, d.Round(time.Millisecond))
	if d > time.Second {
		t.Fatalf("%s only after %s", what, d)
	}
	return d
}
