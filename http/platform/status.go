package platform

import "github.com/labstack/echo/v4"

// FinalStatus is the HTTP status a handler's answer has (or will have, once
// the error handler renders err).
func FinalStatus(c echo.Context, err error) int { return finalStatus(c, err) }
