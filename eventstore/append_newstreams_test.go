package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// TestAppendNewStreams covers the one-round-trip path for batches that only
// create streams (the gateway's request records), mixed with ordinary and
// relaxed appends from concurrent writers: every event gets the position it
// is stored at, positions are gapless, chains verify, a stream that exists
// already or is raced for yields a ConcurrencyError, never a duplicate.
func TestAppendNewStreams(t *testing.T) {
	st := openStack(t)
	ctx := context.Background()
	meta := eventstore.Metadata{TenantID: "t1", Actor: "test", CorrelationID: "c"}
	drafts := func(n int) []eventstore.Draft {
		var out []eventstore.Draft
		for range n {
			out = append(out, eventstore.Draft{Type: iam.UserUpdated, Subject: "u", Data: &iam.UserUpdatedV1{UserID: "u"}})
		}
		return out
	}

	if _, err := st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: "test.existing", Expected: eventstore.NoStream, Events: drafts(1)}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 12, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	returned := map[int64]string{} // position -> stream, as the appends reported them
	var raced, conflicts atomic.Int64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				stream := fmt.Sprintf("test.new-%d-%d", w, i)
				var evs []eventstore.Event
				var err error
				switch i % 4 {
				case 0: // ordinary, two streams at once
					evs, err = st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: eventstore.NoStream, Events: drafts(2)},
						eventstore.StreamAppend{StreamID: stream + "-b", Expected: eventstore.NoStream, Events: drafts(1)})
				case 1: // an existing stream moves on: the general path
					evs, err = st.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: fmt.Sprintf("test.new-%d-%d", w, i-1), Expected: 2, Events: drafts(1)})
				default: // relaxed, like the gateway's records
					evs, err = st.Store.AppendRelaxed(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: eventstore.NoStream, Events: drafts(1 + i%3)})
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, e := range evs {
					if prev, dup := returned[e.Position]; dup {
						t.Errorf("position %d returned for %s and %s", e.Position, prev, e.StreamID)
					}
					returned[e.Position] = e.StreamID
				}
				mu.Unlock()
				// Every writer races for one new stream per round, and
				// re-creates a stream that exists.
				_, err = st.Store.AppendRelaxed(ctx, meta, eventstore.StreamAppend{StreamID: fmt.Sprintf("test.raced-%d", i), Expected: eventstore.NoStream, Events: drafts(1)})
				var ce *eventstore.ConcurrencyError
				switch {
				case err == nil:
					raced.Add(1)
				case errors.As(err, &ce):
				default:
					t.Error(err)
					return
				}
				if _, err := st.Store.AppendRelaxed(ctx, meta, eventstore.StreamAppend{StreamID: "test.existing", Expected: eventstore.NoStream, Events: drafts(1)}); errors.As(err, &ce) {
					conflicts.Add(1)
				} else {
					t.Errorf("re-creating an existing stream: %v, want a ConcurrencyError", err)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if raced.Load() != each {
		t.Fatalf("%d raced streams created, want exactly %d (one per round)", raced.Load(), each)
	}
	if conflicts.Load() != writers*each {
		t.Fatalf("%d conflicts re-creating a stream, want %d", conflicts.Load(), writers*each)
	}
	rows, err := st.Pool.Query(ctx, `SELECT position, stream_id FROM events ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	var want int64 = 1
	stored := 0
	for rows.Next() {
		var pos int64
		var stream string
		if err := rows.Scan(&pos, &stream); err != nil {
			t.Fatal(err)
		}
		if pos != want {
			t.Fatalf("position %d follows %d: not gapless", pos, want-1)
		}
		want++
		if s, ok := returned[pos]; ok {
			stored++
			if s != stream {
				t.Fatalf("position %d stores %s, the append reported %s", pos, stream, s)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if stored != len(returned) {
		t.Fatalf("%d of %d reported positions are stored", stored, len(returned))
	}
	rep, err := eventstore.Verify(ctx, st.Pool, "")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("verify: %+v", rep.Breaks)
	}
}
