package platform

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// queryValues refuses a request whose query gives a parameter declared with an
// Enum a value outside it, or a parameter declared as a UUID (Schema "uuid")
// something else; nil when the route declares no such parameter.
func queryValues(rt Route) echo.MiddlewareFunc {
	var checked []Param
	for _, p := range rt.Query {
		if len(p.Enum) > 0 || p.Schema == "uuid" {
			checked = append(checked, p)
		}
	}
	if len(checked) == 0 {
		return nil
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			q := c.QueryParams()
			for _, p := range checked {
				for _, v := range q[p.Name] {
					switch {
					case v == "":
					case len(p.Enum) > 0 && !slices.Contains(p.Enum, v):
						return invalidQuery(p.Name, "must be one of "+strings.Join(p.Enum, ", "))
					case p.Schema == "uuid" && !isUUID(v):
						return invalidQuery(p.Name, "must be a UUID")
					}
				}
			}
			return next(c)
		}
	}
}
