package platform

import (
	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/projections"
)

// keyCursor continues a list ordered by a key (an id, a ledger position)
// after the last key seen.
type keyCursor[K any] struct {
	After K `json:"a"`
}

// KeyPage is a page request over a list ordered by a key.
type KeyPage[K any] struct {
	After K // zero on the first page
	Limit int
}

// IDPage is a page request over a list ordered by id.
type IDPage = KeyPage[string]

// PositionPage is a page request over a list in ledger order.
type PositionPage = KeyPage[int64]

// ParseKeyPage reads limit and the cursor of a list ordered by a key.
func ParseKeyPage[K any](c echo.Context) (KeyPage[K], error) {
	page, err := ParsePage(c)
	if err != nil {
		return KeyPage[K]{}, err
	}
	var cur keyCursor[K]
	if page.Cursor != "" {
		if err := DecodeCursor(page.Cursor, &cur); err != nil {
			return KeyPage[K]{}, err
		}
	}
	return KeyPage[K]{After: cur.After, Limit: page.Limit}, nil
}

// ParseIDPage reads limit and the cursor of a list ordered by id.
func ParseIDPage(c echo.Context) (IDPage, error) { return ParseKeyPage[string](c) }

// ParsePositionPage reads limit and the cursor of a list in ledger order.
func ParsePositionPage(c echo.Context) (PositionPage, error) { return ParseKeyPage[int64](c) }

// RespondKeyPage answers one page of a list ordered by a key; when more
// items follow, the cursor continues after the last item's key.
func RespondKeyPage[T, K any](c echo.Context, items []T, p KeyPage[K], more bool, total *int64, key func(T) K) error {
	pg := Pagination{Limit: p.Limit, HasMore: more, TotalCount: total}
	if more && len(items) > 0 {
		pg.Cursor = EncodeCursor(keyCursor[K]{After: key(items[len(items)-1])})
	}
	return RespondList(c, items, pg)
}

// RespondIDPage answers one page of a list ordered by id.
func RespondIDPage[T any](c echo.Context, items []T, p IDPage, more bool, total *int64, id func(T) string) error {
	return RespondKeyPage(c, items, p, more, total, id)
}

// RespondFetched answers one page read with projections.Fetch: its items,
// has_more, total_count (with total_count_estimated when the total is the
// planner's estimate), and a cursor after the last item's key.
func RespondFetched[T, K any](c echo.Context, page projections.Page[T], p KeyPage[K], key func(T) K) error {
	total := page.Total
	pg := Pagination{Limit: p.Limit, HasMore: page.HasMore, TotalCount: &total, TotalCountEstimated: page.TotalEstimated}
	if page.HasMore && len(page.Items) > 0 {
		pg.Cursor = EncodeCursor(keyCursor[K]{After: key(page.Items[len(page.Items)-1])})
	}
	items := page.Items
	if items == nil {
		items = []T{}
	}
	return RespondList(c, items, pg)
}
