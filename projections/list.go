package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ExactCountLimit is the largest total a list counts exactly; past it the
// total is the planner's estimate and the page says so (TotalEstimated), so
// that a count never costs more than reading this many index entries.
const ExactCountLimit = 100_000

// List builds one page of a read-model list: filters, a keyset order (a
// unique key, or a sort column with a unique tiebreaker), a cursor that
// continues after the last row, and the total that matches the filters.
// Every list endpoint goes through it, so they all paginate, count and
// filter the same way.
type List struct {
	from    string
	columns string
	where   []string
	args    []any
	keys    []string
	desc    bool
}

// NewList lists columns of a schema-qualified table (or a join).
func NewList(from, columns string) *List { return &List{from: from, columns: columns} }

// Where adds a filter; each "?" in cond is the next argument.
func (l *List) Where(cond string, args ...any) *List {
	var b strings.Builder
	n := 0
	for _, r := range cond {
		if r == '?' && n < len(args) {
			l.args = append(l.args, args[n])
			n++
			b.WriteString("$" + strconv.Itoa(len(l.args)))
			continue
		}
		b.WriteRune(r)
	}
	if n != len(args) {
		panic(fmt.Sprintf("projections: filter %q has %d placeholders for %d arguments", cond, n, len(args)))
	}
	l.where = append(l.where, "("+b.String()+")")
	return l
}

// WhereIf adds the filter only when ok (an optional query parameter).
func (l *List) WhereIf(ok bool, cond string, args ...any) *List {
	if ok {
		return l.Where(cond, args...)
	}
	return l
}

// OrderBy sets the keyset: columns whose values, together, are unique (the
// last one is typically the id), newest first when desc.
func (l *List) OrderBy(desc bool, keys ...string) *List {
	l.keys, l.desc = keys, desc
	return l
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T
	HasMore bool
	// Next continues after the last item (empty when nothing follows).
	Next []any
	// Total matches the filters, whatever the cursor; estimated past
	// ExactCountLimit.
	Total          int64
	TotalEstimated bool
}

// ErrBadCursor reports a cursor that does not fit the list's keyset.
var ErrBadCursor = errors.New("projections: cursor does not fit this list")

// Fetch reads the page after the cursor (nil: the first page). key returns
// an item's keyset values, in OrderBy's order.
func Fetch[T any](ctx context.Context, tx pgx.Tx, l *List, after []any, limit int,
	scan func(pgx.CollectableRow) (T, error), key func(T) []any) (Page[T], error) {
	var page Page[T]
	if len(l.keys) == 0 {
		return page, errors.New("projections: list without an order")
	}
	where := strings.Join(l.where, " AND ")
	if where == "" {
		where = "true"
	}
	total, estimated, err := count(ctx, tx, l.from, where, l.args)
	if err != nil {
		return page, err
	}
	page.Total, page.TotalEstimated = total, estimated

	args := append([]any(nil), l.args...)
	cond := where
	if after != nil {
		if len(after) != len(l.keys) {
			return page, ErrBadCursor
		}
		ph := make([]string, len(after))
		for i, v := range after {
			args = append(args, v)
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		op := ">"
		if l.desc {
			op = "<"
		}
		cond += " AND (" + strings.Join(l.keys, ", ") + ") " + op + " (" + strings.Join(ph, ", ") + ")"
	}
	dir := " ASC"
	if l.desc {
		dir = " DESC"
	}
	order := make([]string, len(l.keys))
	for i, k := range l.keys {
		order[i] = k + dir
	}
	args = append(args, limit+1)
	rows, err := tx.Query(ctx, "SELECT "+l.columns+" FROM "+l.from+" WHERE "+cond+
		" ORDER BY "+strings.Join(order, ", ")+" LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return page, err
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items, page.HasMore = items[:limit], true
		page.Next = key(items[limit-1])
	}
	if items == nil {
		items = []T{}
	}
	page.Items = items
	return page, nil
}

// count counts exactly up to ExactCountLimit, and asks the planner beyond.
func count(ctx context.Context, tx pgx.Tx, from, where string, args []any) (int64, bool, error) {
	var n int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+from+" WHERE "+where+
		" LIMIT "+strconv.Itoa(ExactCountLimit+1)+") AS capped", args...).Scan(&n); err != nil {
		return 0, false, err
	}
	if n <= ExactCountLimit {
		return n, false, nil
	}
	var plan []byte
	if err := tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT 1 FROM "+from+" WHERE "+where, args...).Scan(&plan); err != nil {
		return n, true, nil
	}
	var p []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if json.Unmarshal(plan, &p) == nil && len(p) == 1 && int64(p[0].Plan.Rows) > n {
		n = int64(p[0].Plan.Rows)
	}
	return n, true, nil
}
