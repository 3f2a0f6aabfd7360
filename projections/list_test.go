package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/projections"
	"github.com/astrabastion/astra/testkit"
)

type item struct {
	ID     string
	Status string
	At     time.Time
}

func scanItem(r pgx.CollectableRow) (item, error) {
	var it item
	return it, r.Scan(&it.ID, &it.Status, &it.At)
}

func TestList_PagesFiltersAndCountsInKeysetOrder(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testkit.FreshDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(ctx, `CREATE TABLE items (id text PRIMARY KEY, status text NOT NULL, at timestamptz NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	// 60 items, two per second (ties on at, broken by id), every third closed.
	for i := 0; i < 60; i++ {
		status := "open"
		if i%3 == 0 {
			status = "closed"
		}
		if _, err := pool.Exec(ctx, `INSERT INTO items VALUES ($1, $2, $3)`, fmt.Sprintf("id-%02d", i), status, base.Add(time.Duration(i/2)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	key := func(it item) []any { return []any{it.At, it.ID} }
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck

	// Newest first, open only, pages of 7: every open item once, in order.
	var seen []string
	var after []any
	for pages := 0; ; pages++ {
		l := projections.NewList("items", "id, status, at").Where("status = ?", "open").OrderBy(true, projections.TimeKey("at"), projections.TextKey("id"))
		p, err := projections.Fetch(ctx, tx, l, projections.PageRequest{After: after, Limit: 7}, scanItem, key)
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 40 || p.TotalEstimated {
			t.Fatalf("total %d (estimated %v), want 40 exact on every page", p.Total, p.TotalEstimated)
		}
		for _, it := range p.Items {
			seen = append(seen, it.ID)
		}
		if !p.HasMore {
			if p.Next != nil {
				t.Fatal("a last page with a cursor")
			}
			break
		}
		// The cursor travels as JSON: its time comes back as a string.
		raw, _ := json.Marshal(p.Next)
		after = nil
		if err := json.Unmarshal(raw, &after); err != nil {
			t.Fatal(err)
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 40 {
		t.Fatalf("saw %d items, want 40", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] >= seen[i-1] {
			t.Fatalf("not newest first: %s after %s", seen[i], seen[i-1])
		}
	}
	// An optional filter that is absent filters nothing; a cursor of the wrong shape is refused.
	l := projections.NewList("items", "id, status, at").WhereIf(false, "status = ?", "x").OrderBy(false, projections.TextKey("id"))
	p, err := projections.Fetch(ctx, tx, l, projections.PageRequest{Limit: 200}, scanItem, func(it item) []any { return []any{it.ID} })
	if err != nil || p.Total != 60 || len(p.Items) != 60 || p.HasMore {
		t.Fatalf("unfiltered: %d items of %d, more %v, %v", len(p.Items), p.Total, p.HasMore, err)
	}
	if _, err := projections.Fetch(ctx, tx, l, projections.PageRequest{After: []any{"a", "b"}, Limit: 10}, scanItem, func(it item) []any { return []any{it.ID} }); err != projections.ErrBadCursor {
		t.Fatalf("bad cursor: %v", err)
	}
	// A cursor whose values are not of the keyset's types is refused too:
	// a number for a text key, text or a fraction for an integer, text that
	// is no time for a time.
	byAt := projections.NewList("items", "id, status, at").OrderBy(true, projections.TimeKey("at"), projections.TextKey("id"))
	for _, after := range [][]any{{"2026-01-01T00:00:00Z", 7.0}, {"yesterday", "id-01"}, {nil, "id-01"}} {
		if _, err := projections.Fetch(ctx, tx, byAt, projections.PageRequest{After: after, Limit: 10}, scanItem, key); err != projections.ErrBadCursor {
			t.Errorf("cursor %v: %v, want ErrBadCursor", after, err)
		}
	}
	// An empty page is an empty list, not null.
	l = projections.NewList("items", "id, status, at").Where("status = ?", "none").OrderBy(false, projections.TextKey("id"))
	if p, err := projections.Fetch(ctx, tx, l, projections.PageRequest{Limit: 10}, scanItem, func(it item) []any { return []any{it.ID} }); err != nil || p.Items == nil || p.Total != 0 {
		t.Fatalf("empty: %#v %v", p, err)
	}
}

func TestPageOf_PagesAnInMemoryListInItsOwnOrder(t *testing.T) {
	names := []string{"risk", "iam", "gateway", "trust", "compliance"}
	id := func(s string) string { return s }
	var seen []string
	p := projections.PageRequest{Limit: 2}
	for pages := 0; ; pages++ {
		page, err := projections.PageOf(names, p, id)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || page.TotalEstimated {
			t.Fatalf("total %d (estimated %v), want 5", page.Total, page.TotalEstimated)
		}
		seen = append(seen, page.Items...)
		if !page.HasMore {
			if page.Next != nil {
				t.Fatal("a last page with a cursor")
			}
			break
		}
		// The cursor travels as JSON.
		raw, _ := json.Marshal(page.Next)
		p.After = nil
		if err := json.Unmarshal(raw, &p.After); err != nil {
			t.Fatal(err)
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(names) {
		t.Fatalf("pages gave %v, want %v in the list's own order", seen, names)
	}
	for _, after := range [][]any{{"nope"}, {1.0}, {"risk", "iam"}, {}} {
		if _, err := projections.PageOf(names, projections.PageRequest{After: after, Limit: 2}, id); err != projections.ErrBadCursor {
			t.Errorf("cursor %v: %v, want ErrBadCursor", after, err)
		}
	}
	if page, err := projections.PageOf([]string{}, projections.PageRequest{Limit: 2}, id); err != nil || page.Items == nil || page.HasMore {
		t.Fatalf("empty: %#v %v", page, err)
	}
}
