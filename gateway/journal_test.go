package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/testkit"
)

// TestJournal_ShipsRecoversAndSkipsWhatTheLedgerHas: records written to the
// journal reach the ledger; a journal left by a process that died is shipped
// on open, less a torn last line (a write that never finished, so a request
// never answered) and less what the ledger has already; shipped segments go.
func TestJournal_ShipsRecoversAndSkipsWhatTheLedgerHas(t *testing.T) {
	in := testkit.Start(t, nil)
	store := in.Running.Stack.Store
	ctx := context.Background()
	tenant := in.Me(t, in.AdminToken(t)).TenantID
	rec := func(id string) *gw.RequestRecordedV1 {
		return &gw.RequestRecordedV1{RequestID: id, TenantID: tenant, Endpoint: "chat", Provider: "mock", Model: "mock-small", Status: 200}
	}
	recorded := func(id string) int {
		evs, err := store.ReadStream(ctx, gw.StreamOfRequest(id))
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	t.Run("written records are shipped", func(t *testing.T) {
		dir := t.TempDir()
		j, err := gateway.OpenJournal(ctx, dir, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- j.Run(runCtx) }()
		meta := eventstore.Metadata{TenantID: tenant, Actor: "journal-test", CorrelationID: "journal-test"}
		for i := range 50 {
			id := fmt.Sprintf("journal-live-%d", i)
			if err := j.Write(ctx, meta, id, gw.RequestCompleted, rec(id)); err != nil {
				t.Fatal(err)
			}
		}
		flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := j.Flush(flushCtx); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if n := recorded(fmt.Sprintf("journal-live-%d", i)); n != 1 {
				t.Fatalf("record %d is in the ledger %d times", i, n)
			}
		}
		stop()
		<-done
		if left, _ := filepath.Glob(filepath.Join(dir, "journal-*.ndjson")); len(left) != 0 {
			t.Fatalf("segments left after every record was shipped: %v", left)
		}
		if err := j.Write(ctx, meta, "journal-after-close", gw.RequestCompleted, rec("journal-after-close")); err == nil {
			t.Fatal("a closed journal took a record")
		}
	})

	t.Run("a journal left behind is shipped on open", func(t *testing.T) {
		dir := t.TempDir()
		line := func(id string) string {
			data, _ := json.Marshal(rec(id))
			b, _ := json.Marshal(map[string]any{"tenant": tenant, "actor": "journal-test", "request_id": id,
				"type": gw.RequestCompleted.CEType(), "record": json.RawMessage(data)})
			return string(b) + "\n"
		}
		// journal-recover-0 is in the ledger already (shipped before the crash).
		meta := eventstore.Metadata{TenantID: tenant, Actor: "journal-test"}
		if _, err := store.AppendRelaxed(ctx, meta, eventstore.StreamAppend{StreamID: gw.StreamOfRequest("journal-recover-0"),
			Expected: eventstore.NoStream, Events: []eventstore.Draft{{Type: gw.RequestCompleted, Subject: "journal-recover-0", Data: rec("journal-recover-0")}}}); err != nil {
			t.Fatal(err)
		}
		torn := line("journal-recover-torn")
		content := line("journal-recover-0") + line("journal-recover-1") + line("journal-recover-2") + torn[:len(torn)/2]
		if err := os.WriteFile(filepath.Join(dir, "journal-000000000007.ndjson"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := gateway.OpenJournal(ctx, dir, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]int{"journal-recover-0": 1, "journal-recover-1": 1, "journal-recover-2": 1, "journal-recover-torn": 0} {
			if n := recorded(id); n != want {
				t.Errorf("%s is in the ledger %d times, want %d", id, n, want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "journal-000000000007.ndjson")); !os.IsNotExist(err) {
			t.Errorf("the recovered segment is still there: %v", err)
		}
		// New writes go to a later segment than any seen.
		if _, err := os.Stat(filepath.Join(dir, "journal-000000000008.ndjson")); err != nil {
			t.Errorf("no new segment after the recovered one: %v", err)
		}
		runCtx, stop := context.WithCancel(ctx)
		stop()
		_ = j.Run(runCtx)
	})

	t.Run("a line that is not a record stops the start", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "journal-000000000001.ndjson"), []byte("not json\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := gateway.OpenJournal(ctx, dir, store, nil); err == nil {
			t.Fatal("a corrupt journal was opened as if it were empty")
		}
	})
}
