package platform

import "github.com/labstack/echo/v4"

// idCursor continues a list ordered by id after the last id seen.
type idCursor struct {
	After string `json:"a"`
}

// IDPage is a page request over a list ordered by id.
type IDPage struct {
	After string
	Limit int
}

// ParseIDPage reads limit and the cursor of a list ordered by id.
func ParseIDPage(c echo.Context) (IDPage, error) {
	page, err := ParsePage(c)
	if err != nil {
		return IDPage{}, err
	}
	var cur idCursor
	if page.Cursor != "" {
		if err := DecodeCursor(page.Cursor, &cur); err != nil {
			return IDPage{}, err
		}
	}
	return IDPage{After: cur.After, Limit: page.Limit}, nil
}

// RespondIDPage answers one page of a list ordered by id; when more items
// follow, the cursor continues after the last item's id.
func RespondIDPage[T any](c echo.Context, items []T, p IDPage, more bool, total *int64, id func(T) string) error {
	pg := Pagination{Limit: p.Limit, HasMore: more, TotalCount: total}
	if more && len(items) > 0 {
		pg.Cursor = EncodeCursor(idCursor{After: id(items[len(items)-1])})
	}
	return RespondList(c, items, pg)
}
