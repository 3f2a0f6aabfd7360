package platform

import (
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

// Dialect renders a route's errors in a foreign API's error shape, so that
// the official SDK of that API raises its typed errors with the message. A
// Route declares it (Route.Dialect); ErrorHandler consults it for every error
// of the route, those of the platform's middleware (authentication, rate
// limits, body limits, dependency outages) included: the route is known
// before any middleware runs.
type Dialect interface {
	// WriteError writes e with the final status (headers are already set).
	WriteError(c echo.Context, status int, e *Error) error
}

// WithDialectCode sets the code a dialect shows instead of the catalogue code
// (e.g. OpenAI's "model_not_found") and returns e for chaining.
func (e *Error) WithDialectCode(code string) *Error {
	e.DialectCode = code
	return e
}

// dialects maps a mounted route (method and path) to its dialect.
var dialects sync.Map

func dialectOf(c echo.Context) Dialect {
	if c.Path() == "" {
		return nil
	}
	if d, ok := dialects.Load(routeKey(c.Request().Method, c.Path())); ok {
		return d.(Dialect)
	}
	return nil
}

func dialectMessage(e *Error) string {
	switch {
	case e.Title == "":
		return e.Detail
	case e.Detail == "" || e.Detail == e.Title:
		return e.Title
	}
	return e.Title + ": " + e.Detail
}

// OpenAIDialect is OpenAI's error shape:
// {"error":{"message","type","param","code"}} (plus the request id).
var OpenAIDialect Dialect = openAIDialect{}

type openAIDialect struct{}

// OpenAIErrorBody is the error object of OpenAI's error shape.
type OpenAIErrorBody struct {
	Message   string  `json:"message"`
	Type      string  `json:"type"`
	Param     *string `json:"param"`
	Code      string  `json:"code"`
	RequestID string  `json:"request_id,omitempty"`
}

// OpenAIErrorType is the OpenAI error type of a status.
func OpenAIErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusConflict:
		return "conflict_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request_error"
}

func (openAIDialect) WriteError(c echo.Context, status int, e *Error) error {
	code := e.Code
	if e.DialectCode != "" {
		code = e.DialectCode
	}
	body := OpenAIErrorBody{Message: dialectMessage(e), Type: OpenAIErrorType(status), Code: code, RequestID: RequestID(c)}
	if e.DialectType != "" {
		body.Type = e.DialectType
	}
	if len(e.Fields) > 0 {
		p := e.Fields[0].Field
		body.Param = &p
	}
	return c.JSON(status, map[string]OpenAIErrorBody{"error": body})
}

// AnthropicDialect is Anthropic's error shape: {"type":"error","error":{"type","message"}}.
var AnthropicDialect Dialect = anthropicDialect{}

type anthropicDialect struct{}

// AnthropicErrorType is the Anthropic error type of a status.
func AnthropicErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == http.StatusServiceUnavailable || status == 529:
		return "overloaded_error"
	case status >= 500:
		return "api_error"
	}
	return "invalid_request_error"
}

func (anthropicDialect) WriteError(c echo.Context, status int, e *Error) error {
	typ := AnthropicErrorType(status)
	if e.DialectType != "" {
		typ = e.DialectType
	}
	c.Response().Header().Set("request-id", RequestID(c))
	return c.JSON(status, map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": dialectMessage(e)}})
}
