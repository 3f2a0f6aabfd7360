package platform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Page size bounds for list endpoints. The maximum caps the work a single
// request can cause.
const (
	DefaultPageLimit = 25
	MaxPageLimit     = 200
	// maxCursorLen bounds cursor decoding work; real cursors are far shorter.
	maxCursorLen = 1024
)

// encodeCursor makes an opaque cursor from a position value (base64url of
// its JSON). Cursors are not signed: lists treat decoded positions as
// untrusted input. It panics if v cannot be marshalled, which only happens
// for position types that are not plain data (a programming error).
func encodeCursor(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("platform: cursor value %T cannot be encoded: %v", v, err))
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// decodeCursor decodes a cursor made by encodeCursor into v (numbers as
// json.Number, so that an integer key keeps every digit); anything else
// yields VAL-006.
func decodeCursor(s string, v any) error {
	if s == "" || len(s) > maxCursorLen {
		return invalidCursor()
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return invalidCursor()
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return invalidCursor()
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidCursor()
	}
	return nil
}

func invalidCursor() *Error {
	return Problem("VAL-006", "The cursor is invalid; request the first page again without a cursor.")
}

// QueryInt reads an optional integer query parameter bounded to [min, max];
// an absent or empty parameter yields def.
func QueryInt(c echo.Context, name string, def, min, max int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < min || n > max {
		msg := fmt.Sprintf("must be an integer between %d and %d", min, max)
		return 0, invalidQuery(name, msg)
	}
	return n, nil
}

// QueryTime reads an optional RFC 3339 timestamp query parameter; nil means
// the parameter was absent. The result is in UTC.
func QueryTime(c echo.Context, name string) (*time.Time, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return nil, invalidQuery(name, "must be an RFC 3339 date-time such as 2024-01-02T15:04:05Z")
	}
	t = t.UTC()
	return &t, nil
}

// QueryPeriod reads the optional "from" and "to" RFC 3339 query parameters
// with which lists narrow to a period (nil: unbounded on that side).
func QueryPeriod(c echo.Context) (from, to *time.Time, err error) {
	if from, err = QueryTime(c, "from"); err != nil {
		return nil, nil, err
	}
	if to, err = QueryTime(c, "to"); err != nil {
		return nil, nil, err
	}
	return from, to, nil
}

func invalidQuery(name, msg string) *Error {
	return Problem("VAL-005", fmt.Sprintf("Query parameter %q %s.", name, msg)).
		WithFields(FieldError{Field: name, Message: msg})
}
