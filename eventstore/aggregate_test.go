package eventstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// riskState is a small aggregate for the tests: a title and whether it is closed.
type riskState struct {
	Title  string
	Closed bool
}

var riskFold = func() *eventstore.Fold[riskState] {
	f := eventstore.NewFold[riskState]()
	eventstore.On(f, risk.RiskIdentified, func(s *riskState, d *risk.RiskIdentifiedV1, _ *eventstore.Event) { s.Title = d.Title })
	eventstore.On(f, risk.RiskUpdated, func(s *riskState, d *risk.RiskUpdatedV1, _ *eventstore.Event) {
		if d.Title != nil {
			s.Title = *d.Title
		}
	})
	eventstore.On(f, risk.RiskClosed, func(s *riskState, _ *risk.RiskClosedV1, _ *eventstore.Event) { s.Closed = true })
	return f
}()

var errClosed = errors.New("closed")

func rename(title string) func(a *eventstore.Aggregate[riskState]) (eventstore.Decision, error) {
	return func(a *eventstore.Aggregate[riskState]) (eventstore.Decision, error) {
		if a.State.Closed {
			return nil, errClosed
		}
		if a.State.Title == title {
			return nil, nil // nothing changes
		}
		return eventstore.Decision{{Type: risk.RiskUpdated, Subject: "r1", Data: &risk.RiskUpdatedV1{RiskID: "r1", Title: &title}}}, nil
	}
}

func TestUpdate_LoadDecideAppendWithTheExpectedVersion(t *testing.T) {
	st, err := app.Open(context.Background(), testkit.Config(t), slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	ctx := context.Background()
	meta := eventstore.Metadata{TenantID: "t1", Actor: "test"}
	const stream = "risk.r1"
	if _, err := eventstore.Create(ctx, st.Store, meta, stream,
		eventstore.Draft{Type: risk.RiskIdentified, Subject: "r1", Data: &risk.RiskIdentifiedV1{RiskID: "r1", Title: "first"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.Create(ctx, st.Store, meta, stream,
		eventstore.Draft{Type: risk.RiskIdentified, Subject: "r1", Data: &risk.RiskIdentifiedV1{RiskID: "r1"}}); !errors.Is(err, eventstore.ErrVersionMismatch) {
		t.Fatalf("create over an existing stream: %v", err)
	}
	evs, err := eventstore.Update(ctx, st.Store, meta, riskFold, stream, 1, rename("second"))
	if err != nil || len(evs) != 1 || evs[0].Version != 2 {
		t.Fatalf("update: %v %v", evs, err)
	}
	// A stale If-Match is refused before deciding; an unchanged state appends nothing.
	if _, err := eventstore.Update(ctx, st.Store, meta, riskFold, stream, 1, rename("third")); !errors.Is(err, eventstore.ErrVersionMismatch) {
		t.Fatalf("stale expected version: %v", err)
	}
	if evs, err := eventstore.Update(ctx, st.Store, meta, riskFold, stream, eventstore.AnyVersion, rename("second")); err != nil || len(evs) != 0 {
		t.Fatalf("no change: %v %v", evs, err)
	}
	// Racing writers that read the same version: exactly one wins, the others get ErrVersionMismatch.
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = eventstore.Update(ctx, st.Store, meta, riskFold, stream, 2, rename("racer"))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, eventstore.ErrVersionMismatch):
			t.Fatalf("racer: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d racers won, want 1", won)
	}
	// Domain errors come back as they are.
	if _, err := eventstore.Update(ctx, st.Store, meta, riskFold, stream, eventstore.AnyVersion,
		func(*eventstore.Aggregate[riskState]) (eventstore.Decision, error) {
			return eventstore.Decision{{Type: risk.RiskClosed, Subject: "r1", Data: &risk.RiskClosedV1{RiskID: "r1"}}}, nil
		}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.Update(ctx, st.Store, meta, riskFold, stream, eventstore.AnyVersion, rename("after")); !errors.Is(err, errClosed) {
		t.Fatalf("domain error: %v", err)
	}
	a, err := eventstore.Load(ctx, st.Store, riskFold, stream)
	if err != nil || a.State.Title != "racer" || !a.State.Closed || a.Version != 4 {
		t.Fatalf("folded %+v version %d: %v", a.State, a.Version, err)
	}
}

func TestFold_RefusesAPayloadTypeThatIsNotTheRegisteredOne(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("declared RiskClosed with RiskUpdatedV1 without a panic")
		}
	}()
	eventstore.On(eventstore.NewFold[riskState](), risk.RiskClosed, func(*riskState, *risk.RiskUpdatedV1, *eventstore.Event) {})
}
