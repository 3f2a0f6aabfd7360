package platform

import (
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// IDParam is the reader of the path parameter "id" of a resource whose ids
// are UUIDs: an id that is not one names nothing, so it answers notFound (the
// module's domain error), as a well-formed id of no resource does. Its shape
// is the one writes.Versioned takes.
//
//	var riskID = platform.IDParam(risk.ErrRiskNotFound)
func IDParam(notFound error) func(echo.Context) (string, error) {
	return func(c echo.Context) (string, error) {
		id := c.Param("id")
		if !isUUID(id) {
			return "", notFound
		}
		return id, nil
	}
}

// isUUID reports whether s is a UUID in the one form the product writes
// (36 characters, hyphenated): a path id or a query parameter declared
// Schema "uuid" in any other form names nothing.
func isUUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }
