package eventstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestAppendEachRelaxed_KeepsTheOrderGiven: the items of one call get
// positions in the order they were given, although two committers take
// appends off one queue: with both waiting, one would take the first item
// and the other the second, and either could commit first (the gateway's
// journal ships the requests in the order it answered them).
func TestAppendEachRelaxed_KeepsTheOrderGiven(t *testing.T) {
	st := openStack(t)
	ctx := context.Background()
	meta := eventstore.Metadata{TenantID: "t1", Actor: "test", CorrelationID: "c"}
	item := func(stream string) eventstore.Independent {
		return eventstore.Independent{Meta: meta, Appends: []eventstore.StreamAppend{{StreamID: stream, Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: iam.UserUpdated, Subject: "u", Data: &iam.UserUpdatedV1{UserID: "u"}}}}}}
	}
	for round := range 300 {
		items := make([]eventstore.Independent, 2+round%7)
		for i := range items {
			items[i] = item(fmt.Sprintf("test.each-%d-%d", round, i))
		}
		evs, errs := st.Store.AppendEachRelaxed(ctx, items)
		for i := range items {
			if errs[i] != nil {
				t.Fatalf("round %d item %d: %v", round, i, errs[i])
			}
			if i > 0 && evs[i][0].Position <= evs[i-1][0].Position {
				t.Fatalf("round %d: item %d at position %d, after item %d at %d", round, i, evs[i][0].Position, i-1, evs[i-1][0].Position)
			}
		}
	}
}

// openStack opens the ledger (migrated, committers running) on a fresh
// test database, closed when the test ends.
func openStack(t testing.TB) *app.Stack {
	t.Helper()
	cfg := testkit.Config(t)
	st, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}
