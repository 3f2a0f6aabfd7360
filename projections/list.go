package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

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
	keys    []Key
	desc    bool
}

// keyKind is the type of a keyset column's values.
type keyKind int

const (
	textKind keyKind = iota
	intKind
	timeKind
)

// Key is one column (or expression) of a list's keyset, with the type of its
// values: a cursor travels as JSON, where a number is a float and a time a
// string, and the kind reads it back as the column's type.
type Key struct {
	expr string
	kind keyKind
}

// TextKey is a text keyset column (an id, a name).
func TextKey(expr string) Key { return Key{expr, textKind} }

// IntKey is an integer keyset column (a ledger position, a version).
func IntKey(expr string) Key { return Key{expr, intKind} }

// TimeKey is a timestamp keyset column (when something happened).
func TimeKey(expr string) Key { return Key{expr, timeKind} }

// value reads one cursor value as the key's type; ok is false when it does
// not fit.
func (k Key) value(v any) (any, bool) {
	switch k.kind {
	case textKind:
		s, ok := v.(string)
		return s, ok
	case intKind:
		switch n := v.(type) {
		case int64:
			return n, true
		case int:
			return int64(n), true
		case json.Number:
			i, err := n.Int64()
			return i, err == nil
		case float64:
			return int64(n), n == float64(int64(n))
		}
	case timeKind:
		switch t := v.(type) {
		case time.Time:
			return t, true
		case string:
			at, err := time.Parse(time.RFC3339Nano, t)
			return at, err == nil
		}
	}
	return nil, false
}

// PageRequest asks for one page of a list: the keyset values of the previous
// page's last item as Page.Next gave them (nil for the first page; a
// client's cursor decodes to them, so they are untrusted) and at most how
// many items.
type PageRequest struct {
	After []any
	Limit int
}

// keys reads After as the values of keys; a cursor of another shape is
// ErrBadCursor.
func (p PageRequest) keys(keys []Key) ([]any, error) {
	if p.After == nil {
		return nil, nil
	}
	if len(p.After) != len(keys) {
		return nil, ErrBadCursor
	}
	out := make([]any, len(keys))
	for i, k := range keys {
		v, ok := k.value(p.After[i])
		if !ok {
			return nil, ErrBadCursor
		}
		out[i] = v
	}
	return out, nil
}

// AfterText is the one text key a list ordered by a single id or name
// continues after ("" on the first page); any other cursor is ErrBadCursor.
func (p PageRequest) AfterText() (string, error) {
	after, err := p.keys([]Key{TextKey("")})
	if err != nil || after == nil {
		return "", err
	}
	return after[0].(string), nil
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
func (l *List) OrderBy(desc bool, keys ...Key) *List {
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

// Fetch reads the page p asks for; a cursor that does not fit the keyset is
// ErrBadCursor. key returns an item's keyset values, in OrderBy's order.
func Fetch[T any](ctx context.Context, tx pgx.Tx, l *List, p PageRequest,
	scan func(pgx.CollectableRow) (T, error), key func(T) []any) (Page[T], error) {
	var page Page[T]
	if len(l.keys) == 0 {
		return page, errors.New("projections: list without an order")
	}
	if p.Limit < 1 {
		return page, errors.New("projections: a page of no items")
	}
	after, err := p.keys(l.keys)
	if err != nil {
		return page, err
	}
	limit := p.Limit
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
		ph := make([]string, len(after))
		for i, v := range after {
			args = append(args, v)
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		op := ">"
		if l.desc {
			op = "<"
		}
		exprs := make([]string, len(l.keys))
		for i, k := range l.keys {
			exprs[i] = k.expr
		}
		cond += " AND (" + strings.Join(exprs, ", ") + ") " + op + " (" + strings.Join(ph, ", ") + ")"
	}
	dir := " ASC"
	if l.desc {
		dir = " DESC"
	}
	order := make([]string, len(l.keys))
	for i, k := range l.keys {
		order[i] = k.expr + dir
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

// ReadPage reads one page of a projection's list as a tenant ("*": every
// tenant's): list gives the list in the projection's active schema.
func ReadPage[T any](ctx context.Context, r *Runner, projection, tenantID string, list func(schema string) *List, p PageRequest,
	scan func(pgx.CollectableRow) (T, error), key func(T) []any) (Page[T], error) {
	var page Page[T]
	err := r.Read(ctx, projection, tenantID, func(tx pgx.Tx, s string) error {
		var err error
		page, err = Fetch(ctx, tx, list(s), p, scan, key)
		return err
	})
	return page, err
}

// PageOf pages through a list held in memory (a built-in catalogue, the
// hosted projections) the way Fetch pages a read model: in the items' own
// order, continuing after the item whose key the cursor names, with the
// total. A key that names no item is ErrBadCursor (the cursor is not one
// this list issued, or its item is gone).
func PageOf[T any](items []T, p PageRequest, key func(T) string) (Page[T], error) {
	if p.Limit < 1 {
		return Page[T]{}, errors.New("projections: a page of no items")
	}
	after, err := p.AfterText()
	if err != nil {
		return Page[T]{}, err
	}
	start := 0
	if p.After != nil {
		start = slices.IndexFunc(items, func(x T) bool { return key(x) == after }) + 1
		if start == 0 {
			return Page[T]{}, ErrBadCursor
		}
	}
	page := Page[T]{Items: append([]T{}, items[start:]...), Total: int64(len(items))}
	if len(page.Items) > p.Limit {
		page.Items, page.HasMore = page.Items[:p.Limit], true
		page.Next = []any{key(page.Items[p.Limit-1])}
	}
	return page, nil
}

// MapPage is the page with each item turned into what the API shows.
func MapPage[T, U any](p Page[T], f func(T) U) Page[U] {
	out := Page[U]{Items: make([]U, len(p.Items)), HasMore: p.HasMore, Next: p.Next, Total: p.Total, TotalEstimated: p.TotalEstimated}
	for i, x := range p.Items {
		out.Items[i] = f(x)
	}
	return out
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
