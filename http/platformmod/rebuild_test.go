package platformmod_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	rm "github.com/astrabastion/astra/projections/platformmod"
	"github.com/astrabastion/astra/testkit"
)

// rebuiltIdentical rebuilds the Platform read models from the log (a new
// generation, blue/green) and checks that every table holds what the live
// generation holds: apply is a pure function of the events.
func rebuiltIdentical(t *testing.T, in *testkit.Instance) {
	t.Helper()
	ctx := context.Background()
	runner, pool := in.Running.Stack.Runner, in.Running.Stack.Pool
	before := runner.Schema(rm.Name)
	if _, err := runner.Rebuild(ctx, rm.Name); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 60*time.Second, "the rebuilt generation switched in", func() bool { return runner.Schema(rm.Name) != before })
	after := runner.Schema(rm.Name)
	for _, table := range []string{"integrations", "reports", "notification_channels", "notifications", "notification_reads", "notification_read_all",
		"workflows", "workflow_runs"} {
		dump := func(schema string) string {
			var js string
			q := fmt.Sprintf(`SELECT coalesce(json_agg(x ORDER BY x::text), '[]')::text FROM (SELECT * FROM %s.%s) x`, schema, table)
			if err := pool.QueryRow(ctx, q).Scan(&js); err != nil {
				t.Fatalf("dump %s.%s: %v", schema, table, err)
			}
			return js
		}
		if a, b := dump(before), dump(after); a != b {
			t.Errorf("%s differs after a rebuild:\nlive    %s\nrebuilt %s", table, a, b)
		}
	}
}
