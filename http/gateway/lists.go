package gateway

import (
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// pageRequest reads a list's limit (default 25, at most 200) and cursor.
func pageRequest(c echo.Context) (rmgw.PageRequest, error) {
	pr, err := platform.ParsePage(c)
	if err != nil {
		return rmgw.PageRequest{}, err
	}
	out := rmgw.PageRequest{Limit: pr.Limit}
	if pr.Cursor != "" {
		if err := platform.DecodeCursor(pr.Cursor, &out.After); err != nil {
			return out, err
		}
	}
	return out, nil
}

// respondPage answers one page of a list with its total and, when more
// follow, the cursor of the next page.
func respondPage[T any](c echo.Context, page projections.Page[T], limit int) error {
	pg := platform.Pagination{Limit: limit, HasMore: page.HasMore, TotalCount: &page.Total}
	if page.HasMore {
		pg.Cursor = platform.EncodeCursor(page.Next)
	}
	return platform.RespondList(c, page.Items, pg)
}

// listPage answers a list endpoint: the page fetch reads for the request's
// limit and cursor (a cursor that does not fit the list is VAL-006).
func listPage[T any](c echo.Context, fetch func(p rmgw.PageRequest) (projections.Page[T], error)) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	page, err := fetch(p)
	if errors.Is(err, projections.ErrBadCursor) {
		return platform.Problem("VAL-006", "The cursor is invalid; request the first page again without a cursor.")
	}
	if err != nil {
		return err
	}
	return respondPage(c, page, p.Limit)
}

// memoryPage pages through a list held in memory (the detector catalogue,
// the runtime's model list) the way the read-model lists page: ordered by a
// unique key, continued after the last key, with the total.
func memoryPage[T any](items []T, p rmgw.PageRequest, key func(T) string) (projections.Page[T], error) {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if p.After != nil {
		if len(p.After) != 1 {
			return projections.Page[T]{}, projections.ErrBadCursor
		}
		after, ok := p.After[0].(string)
		if !ok {
			return projections.Page[T]{}, projections.ErrBadCursor
		}
		start = sort.Search(len(sorted), func(i int) bool { return key(sorted[i]) > after })
	}
	page := projections.Page[T]{Items: sorted[start:], Total: int64(len(sorted))}
	if len(page.Items) > p.Limit {
		page.Items, page.HasMore = page.Items[:p.Limit], true
		page.Next = []any{key(page.Items[p.Limit-1])}
	}
	return page, nil
}
