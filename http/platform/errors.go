package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// ProblemContentType is the media type of every error response (RFC 7807).
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes the error code to form the RFC 7807 "type" URI, so
// that each code has a stable, dereferenceable identifier.
const ProblemTypeBase = "https://api.astrabastion.com/errors/"

// genericInternalDetail is all a client learns about an unexpected failure:
// internals (SQL, stack traces, wrapped messages) stay in the server log.
const genericInternalDetail = "An unexpected error occurred. Quote the request_id when contacting support."

// Error is an API error rendered as application/problem+json.
type Error struct {
	Status  int
	Code    string
	Title   string
	Detail  string
	Fields  []FieldError
	Headers map[string]string
	// DialectCode and DialectType, when set, are what a route's Dialect
	// shows as the error's code and type (e.g. "model_not_found").
	DialectCode, DialectType string
}

// FieldError points at one invalid input field and says what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements the error interface so *Error can travel through normal Go
// error returns (and be wrapped) until ErrorHandler renders it.
func (e *Error) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%s %s: %s", e.Code, e.Title, e.Detail)
	}
	return fmt.Sprintf("%s %s", e.Code, e.Title)
}

// NewError builds an error that is not (or not exactly) in the catalogue;
// prefer Problem so that codes stay documented.
func NewError(status int, code, title, detail string) *Error {
	return &Error{Status: status, Code: code, Title: title, Detail: detail}
}

// Problem builds the catalogue error for code with a request-specific detail.
// An unknown code is a programming error, hence the panic: it must never reach
// a client undocumented.
func Problem(code string, detail string) *Error {
	catalogueMu.RLock()
	entry, ok := Catalogue[code]
	catalogueMu.RUnlock()
	if !ok {
		panic(fmt.Sprintf("platform: error code %q is not in the catalogue", code))
	}
	return &Error{Status: entry.Status, Code: code, Title: entry.Title, Detail: detail}
}

// WithFields attaches per-field details and returns e for chaining.
func (e *Error) WithFields(fields ...FieldError) *Error {
	e.Fields = append(e.Fields, fields...)
	return e
}

// WithHeader sets a response header sent with the error (e.g. Retry-After)
// and returns e for chaining.
func (e *Error) WithHeader(name, value string) *Error {
	if e.Headers == nil {
		e.Headers = make(map[string]string, 1)
	}
	e.Headers[name] = value
	return e
}

// ProblemDetails is the JSON body of an error response (RFC 7807 plus the
// ASTRA extension members error_code, request_id, timestamp and errors).
type ProblemDetails struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance"`
	ErrorCode string       `json:"error_code"`
	RequestID string       `json:"request_id"`
	Timestamp string       `json:"timestamp"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// ErrorHandler is Echo's HTTPErrorHandler: it turns any error returned by a
// handler or middleware into a problem+json response. Only *Error (and the
// Echo errors it maps) carry client-visible text; anything else is logged
// with the request id and answered with a generic SYS-001.
func ErrorHandler(err error, c echo.Context) {
	if err == nil {
		return
	}
	logger := Logger(c)
	if c.Response().Committed {
		// The status line is gone already; all we can do is keep a trace.
		logger.Warn("error after response was committed", slog.String("error", err.Error()))
		return
	}

	perr := toProblem(err)
	level := slog.LevelDebug
	switch {
	case perr.Status == http.StatusInternalServerError:
		level = slog.LevelError
	case perr.Status > http.StatusInternalServerError:
		// 503s are transient (timeouts, dependencies); they need watching,
		// not paging.
		level = slog.LevelWarn
	}
	if level > slog.LevelDebug {
		logger.Log(c.Request().Context(), level, "request failed",
			slog.String("error", err.Error()),
			slog.String("error_code", perr.Code),
			slog.Int("status", perr.Status),
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
		)
	} else {
		logger.Debug("request rejected",
			slog.String("error", err.Error()),
			slog.String("error_code", perr.Code),
			slog.Int("status", perr.Status),
		)
	}

	if writeErr := writeProblem(c, perr); writeErr != nil {
		logger.Error("writing problem response", slog.String("error", writeErr.Error()))
	}
}

// toProblem classifies err. Order matters: an *Error wrapped anywhere in the
// chain wins, so handlers may add context with %w without losing the code.
func toProblem(err error) *Error {
	var perr *Error
	if errors.As(err, &perr) {
		return perr
	}
	if perr := fromDomain(err); perr != nil {
		return perr
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return fromHTTPError(he)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return Problem("VAL-004", fmt.Sprintf("The request body exceeds %d bytes.", mbe.Limit))
	}
	if DependencyUnavailable(err) {
		// Postgres is down or refuses connections: transient, retry later.
		return Unavailable("A dependency is unavailable; retry shortly.")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// A timeout or a client that went away: transient, not a bug.
		return Problem("SYS-002", "The request timed out or was cancelled.").WithHeader(RetryAfterHeader, UnavailableRetryAfter)
	}
	return Problem("SYS-001", genericInternalDetail)
}

// fromHTTPError maps errors produced by Echo itself (router, stock
// middleware) onto catalogue codes.
func fromHTTPError(he *echo.HTTPError) *Error {
	// Echo nests an HTTPError in Internal to override the outer one.
	if inner, ok := he.Internal.(*echo.HTTPError); ok && inner != nil {
		he = inner
	}
	var inner *Error
	if he.Internal != nil && errors.As(he.Internal, &inner) {
		return inner
	}
	// Echo's messages are written for clients, but only plain strings are
	// trusted: an error value could carry anything.
	detail, _ := he.Message.(string)
	withDetail := func(code, fallback string) *Error {
		if detail == "" || detail == http.StatusText(he.Code) {
			detail = fallback
		}
		return Problem(code, detail)
	}
	switch he.Code {
	case http.StatusBadRequest:
		return withDetail("VAL-001", "The request is invalid.")
	case http.StatusUnauthorized:
		return withDetail("AUTH-001", "A valid bearer token is required.")
	case http.StatusForbidden:
		return withDetail("AUTH-006", "You do not have permission to perform this action.")
	case http.StatusNotFound:
		return withDetail("SYS-003", "No route matches the request path.")
	case http.StatusMethodNotAllowed:
		return withDetail("SYS-004", "The method is not allowed for this path.")
	case http.StatusRequestEntityTooLarge:
		return withDetail("VAL-004", "The request body is too large.")
	case http.StatusUnsupportedMediaType:
		return withDetail("VAL-003", "The request Content-Type is not supported.")
	case http.StatusPreconditionFailed:
		return withDetail("CON-001", "The resource was modified since it was read.")
	case http.StatusPreconditionRequired:
		return withDetail("CON-002", "An If-Match header is required.")
	case http.StatusTooManyRequests:
		return withDetail("RATE-001", "Too many requests.")
	case http.StatusServiceUnavailable:
		return withDetail("SYS-002", "The service is temporarily unavailable.")
	}
	if he.Code >= http.StatusInternalServerError || he.Code < http.StatusBadRequest {
		return Problem("SYS-001", genericInternalDetail)
	}
	// A 4xx with no catalogue code (e.g. 406, 408): keep the status and use
	// the documented HTTP-<status> fallback family.
	return NewError(he.Code, "HTTP-"+strconv.Itoa(he.Code), http.StatusText(he.Code), detailOr(detail, http.StatusText(he.Code)))
}

func detailOr(detail, fallback string) string {
	if detail == "" {
		return fallback
	}
	return detail
}

// writeProblem renders perr; HEAD requests get the status and headers only.
func writeProblem(c echo.Context, perr *Error) error {
	status := perr.Status
	if status < http.StatusBadRequest || status > 599 {
		status = http.StatusInternalServerError
	}
	h := c.Response().Header()
	for name, value := range perr.Headers {
		h.Set(name, value)
	}
	if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		// RFC 6750 requires the challenge on 401 responses.
		h.Set("WWW-Authenticate", `Bearer realm="astra"`)
	}
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
	}
	if d := dialectOf(c); d != nil {
		return d.WriteError(c, status, perr)
	}
	title := perr.Title
	if title == "" {
		title = http.StatusText(status)
	}
	body := ProblemDetails{
		Type:      ProblemTypeBase + perr.Code,
		Title:     title,
		Status:    status,
		Detail:    detailOr(perr.Detail, title),
		Instance:  c.Request().URL.Path,
		ErrorCode: perr.Code,
		RequestID: RequestID(c),
		Timestamp: time.Now().UTC().Format(time.RFC3339),
		Errors:    perr.Fields,
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("marshal problem %s: %w", perr.Code, err)
	}
	return c.Blob(status, ProblemContentType, payload)
}
