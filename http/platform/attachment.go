package platform

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// Attachment starts a download answer: 200, contentType, the body as an
// attachment named filename, nosniff, and Content-Length when size is known
// (>= 0). The name is a client's (an uploaded file's): control characters,
// quotes, backslashes and slashes are replaced, so that it can neither break
// the header nor name a path. The caller then writes the body to
// c.Response().
func Attachment(c echo.Context, contentType, filename string, size int64) {
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r == 0x7f {
			return '_'
		}
		return r
	}, filename)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, contentType)
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if size >= 0 {
		h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	}
	c.Response().WriteHeader(http.StatusOK)
}
