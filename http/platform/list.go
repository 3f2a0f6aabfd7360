package platform

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/projections"
)

// ListPage answers a list endpoint, the one way every list pages: it reads
// limit (DefaultPageLimit, at most MaxPageLimit; VAL-005 otherwise) and the
// cursor (VAL-006 when it is not one a list issued, or does not fit this
// list), asks fetch for that page, and answers its items with has_more, the
// cursor of the next page, total_count and total_count_estimated.
func ListPage[T any](c echo.Context, fetch func(projections.PageRequest) (projections.Page[T], error)) error {
	p, err := pageRequest(c)
	if err != nil {
		return err
	}
	page, err := fetch(p)
	if errors.Is(err, projections.ErrBadCursor) {
		return invalidCursor()
	}
	if err != nil {
		return err
	}
	total := page.Total
	pg := Pagination{Limit: p.Limit, HasMore: page.HasMore, TotalCount: &total, TotalCountEstimated: page.TotalEstimated}
	if page.HasMore && page.Next != nil {
		pg.Cursor = encodeCursor(page.Next)
	}
	return respondList(c, page.Items, pg)
}

// MemoryPage answers a list endpoint over a list held in memory (a built-in
// catalogue): in the items' own order, paged like every list, the cursor
// naming the last item's key.
func MemoryPage[T any](c echo.Context, items []T, key func(T) string) error {
	return ListPage(c, func(p projections.PageRequest) (projections.Page[T], error) {
		return projections.PageOf(items, p, key)
	})
}

// RespondComplete answers a list declared Complete: computed whole, never
// paged (limit and cursor are refused before the handler runs).
func RespondComplete[T any](c echo.Context, items []T) error {
	n := int64(len(items))
	return respondList(c, items, Pagination{Limit: len(items), TotalCount: &n})
}

// pageRequest reads the "limit" and "cursor" query parameters of a list.
func pageRequest(c echo.Context) (projections.PageRequest, error) {
	limit, err := QueryInt(c, "limit", DefaultPageLimit, 1, MaxPageLimit)
	if err != nil {
		return projections.PageRequest{}, err
	}
	p := projections.PageRequest{Limit: limit}
	if cursor := c.QueryParam("cursor"); cursor != "" {
		if err := decodeCursor(cursor, &p.After); err != nil {
			return p, err
		}
		if p.After == nil { // "null" continues nothing
			return p, invalidCursor()
		}
	}
	return p, nil
}

// refusePageParams refuses limit and cursor on a Complete list, unless the
// route declares them with a meaning of its own: the list is whole, and a
// page size it would ignore is input dropped silently.
func refusePageParams(rt Route) echo.MiddlewareFunc {
	var refused []string
	for _, name := range []string{"limit", "cursor"} {
		if !hasParam(rt.Query, name) {
			refused = append(refused, name)
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			for _, name := range refused {
				if _, ok := c.QueryParams()[name]; ok {
					return invalidQuery(name, "is not accepted: this list is complete in one response, never paged")
				}
			}
			return next(c)
		}
	}
}

// hasParam reports whether params declares one named name.
func hasParam(params []Param, name string) bool {
	for _, p := range params {
		if p.Name == name {
			return true
		}
	}
	return false
}
