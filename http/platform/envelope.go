package platform

import (
	"fmt"
	"net/http"
	"reflect"
	"time"

	"github.com/labstack/echo/v4"
)

// DefaultVersion is the API version reported in meta.version when the server
// Config does not set one.
const DefaultVersion = "v1"

// Meta is the metadata block of every successful response.
type Meta struct {
	RequestID  string      `json:"request_id"`
	Timestamp  time.Time   `json:"timestamp"`
	Version    string      `json:"version"`
	Pagination *Pagination `json:"pagination,omitempty"`
}

// Pagination describes the position of a list page; Cursor is empty on the
// last page.
type Pagination struct {
	Cursor     string `json:"cursor,omitempty"`
	Limit      int    `json:"limit"`
	HasMore    bool   `json:"has_more"`
	TotalCount *int64 `json:"total_count,omitempty"`
	// TotalCountEstimated says total_count is the planner's estimate: the
	// list is too large to count exactly on every page.
	TotalCountEstimated bool `json:"total_count_estimated,omitempty"`
}

// Envelope is the body of every successful JSON response. Errors is always
// null on success; it exists so clients can rely on a fixed shape.
type Envelope struct {
	Data   any          `json:"data"`
	Meta   Meta         `json:"meta"`
	Errors []FieldError `json:"errors"`
}

// Respond writes data in the standard envelope. A 204 (or 304) status writes
// no body at all, as HTTP requires.
func Respond(c echo.Context, status int, data any) error {
	if status == http.StatusNoContent || status == http.StatusNotModified {
		return c.NoContent(status)
	}
	return c.JSON(status, Envelope{Data: data, Meta: newMeta(c, nil)})
}

// respondList writes a 200 page of items (ListPage, MemoryPage and
// RespondComplete are how handlers answer lists); items must be a slice (or array),
// and a nil slice is sent as [] so clients never have to handle null lists.
func respondList(c echo.Context, items any, p Pagination) error {
	data, err := nonNilSlice(items)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Envelope{Data: data, Meta: newMeta(c, &p)})
}

func nonNilSlice(items any) (any, error) {
	if items == nil {
		return []any{}, nil
	}
	v := reflect.ValueOf(items)
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return reflect.MakeSlice(v.Type(), 0, 0).Interface(), nil
		}
		return items, nil
	case reflect.Array:
		return items, nil
	default:
		return nil, fmt.Errorf("platform: respondList needs a slice, got %T", items)
	}
}

func newMeta(c echo.Context, p *Pagination) Meta {
	version, _ := c.Get(ctxVersion).(string)
	if version == "" {
		version = DefaultVersion
	}
	return Meta{
		RequestID:  RequestID(c),
		Timestamp:  time.Now().UTC(),
		Version:    version,
		Pagination: p,
	}
}
