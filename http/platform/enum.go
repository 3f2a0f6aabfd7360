package platform

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// enumQuery refuses a request whose query gives a parameter declared with an
// Enum a value outside it; nil when the route declares no such parameter.
func enumQuery(rt Route) echo.MiddlewareFunc {
	var enums []Param
	for _, p := range rt.Query {
		if len(p.Enum) > 0 {
			enums = append(enums, p)
		}
	}
	if len(enums) == 0 {
		return nil
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			q := c.QueryParams()
			for _, p := range enums {
				for _, v := range q[p.Name] {
					if v != "" && !slices.Contains(p.Enum, v) {
						return invalidQuery(p.Name, "must be one of "+strings.Join(p.Enum, ", "))
					}
				}
			}
			return next(c)
		}
	}
}
