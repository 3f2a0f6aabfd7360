package poison

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestReplay_SkipsAndReportsPoisonEvents: `astra replay` rebuilds a
// projection past an event it cannot apply, and lists that event at the end.
func TestReplay_SkipsAndReportsPoisonEvents(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.HTTPAddr = testkit.FreePort(t)
	p := testkit.StartProcess(t, cfg)
	in := testkit.Remote(t, p.URL)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := eventstore.NewStore(pool)
	defer store.Close()
	tid := uuid.Must(uuid.NewV7()).String()
	evs, err := store.Append(ctx, eventstore.Metadata{TenantID: tid, Actor: "test:poison"}, eventstore.StreamAppend{
		StreamID: "iam.tenant-" + tid, Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: iam.TenantCreated, Subject: tid, Data: iam.TenantCreatedV1{TenantID: tid, Name: "nul\x00name"}}}})
	if err != nil {
		t.Fatal(err)
	}
	// A later event of another tenant, which the replay must still apply.
	after, _ := in.NewTenant(t, in.AdminToken(t), "AfterPoison")
	testkit.Eventually(t, 20*time.Second, "the relay to publish everything", func() bool {
		cp, err1 := eventstore.Checkpoint(ctx, pool)
		head, err2 := store.Head(ctx)
		return err1 == nil && err2 == nil && cp >= head
	})
	p.Stop()

	done := make(chan struct{})
	var code int
	var out string
	go func() { defer close(done); code, out = testkit.RunAstra(t, cfg, "replay", "iam") }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("astra replay stalled")
	}
	if code != 0 {
		t.Fatalf("replay exited %d:\n%s", code, out)
	}
	if !strings.Contains(out, "DEAD LETTER projection=iam") || !strings.Contains(out, evs[0].ID.String()) {
		t.Fatalf("replay does not report the poison event %s:\n%s", evs[0].ID, out)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT schema_name FROM projection_generations WHERE projection = 'iam' AND status = 'active'`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.tenants WHERE id = $1`, after).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the replayed generation %s lacks the tenant created after the poison: %d %v", schema, n, err)
	}
}
