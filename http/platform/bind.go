package platform

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// DefaultBodyLimit is the request body limit when Config.BodyLimit is unset:
// large enough for any command payload, small enough to bound memory per
// request.
const DefaultBodyLimit int64 = 1 << 20

// maxFieldErrors caps errors[] so a huge array that fails a "dive" rule
// cannot turn into a huge error response.
const maxFieldErrors = 50

// maxEcho bounds how much client-supplied text (field names, media types) is
// echoed back in error details.
const maxEcho = 100

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by the name clients use, not the Go field name.
	v.RegisterTagNameFunc(jsonFieldName)
	return v
}

// jsonFieldName returns the encoding/json name of a struct field.
func jsonFieldName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" || name == "-" {
		return f.Name
	}
	return name
}

// Bind strictly decodes the JSON request body into dst (a pointer) and then
// validates it with Validate. Every client mistake maps to a catalogue code
// (VAL-001..VAL-004) so handlers can return the error as is.
func Bind(c echo.Context, dst any) error {
	raw, err := RawJSON(c)
	if err != nil {
		return err
	}
	return decodeJSON(raw, dst)
}

// BindOptional is Bind for a body that may be left out: an empty body
// leaves dst as it is (then validated), anything else is bound as Bind does.
func BindOptional(c echo.Context, dst any) error {
	raw, err := readJSON(c, true)
	if err != nil {
		return err
	}
	if raw == nil {
		return Validate(dst)
	}
	return decodeJSON(raw, dst)
}

// RawJSON reads the JSON request body as sent, within the route's body
// limit, after the checks Bind makes before decoding (content type, text no
// field may hold): for a body kept as it is (a document posted verbatim).
func RawJSON(c echo.Context) ([]byte, error) { return readJSON(c, false) }

// readJSON reads the body; with optional, an empty body is nil, no error.
func readJSON(c echo.Context, optional bool) ([]byte, error) {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		if optional {
			return nil, nil
		}
		return nil, emptyBody()
	}
	// MaxBytesReader rather than a plain LimitReader: it reports the overflow
	// as an error (not a silent truncation) and closes the connection.
	body := bufio.NewReader(http.MaxBytesReader(c.Response(), req.Body, bodyLimit(c)))
	if _, err := body.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			if optional {
				return nil, nil
			}
			return nil, emptyBody()
		}
		return nil, readFailure(err)
	}
	if err := checkJSONContentType(req.Header.Get(echo.HeaderContentType)); err != nil {
		return nil, err
	}

	// The raw bytes are read whole (bounded by the limit) so that their text
	// can be checked before the decoder replaces what it cannot represent.
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, readFailure(err)
	}
	if p := CheckJSONText(raw); p != nil {
		return nil, InvalidText(p)
	}
	return raw, nil
}

// decodeJSON strictly decodes raw into dst and validates it.
func decodeJSON(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeFailure(err)
	}
	// Exactly one JSON value: "{}{}" or "{} x" is a malformed request, not
	// something to ignore.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return Problem("VAL-002", "The request body must contain a single JSON value; unexpected data follows it.")
	}
	return Validate(dst)
}

func bodyLimit(c echo.Context) int64 {
	if limit, ok := c.Get(ctxBodyLimit).(int64); ok && limit > 0 {
		return limit
	}
	return DefaultBodyLimit
}

func emptyBody() *Error {
	return Problem("VAL-002", "The request body is empty; a JSON value is required.")
}

func tooLarge(limit int64) *Error {
	return Problem("VAL-004", fmt.Sprintf("The request body exceeds the limit of %d bytes.", limit))
}

func readFailure(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	// Almost always the client going away mid-upload; nothing to fix on our
	// side, so it is answered as a bad request rather than a 500.
	return Problem("VAL-002", "The request body could not be read.")
}

// checkJSONContentType accepts application/json and structured-syntax
// "+json" types (e.g. application/merge-patch+json) in UTF-8 only.
func checkJSONContentType(header string) error {
	const want = "send application/json"
	if header == "" {
		return Problem("VAL-003", "The request has a body but no Content-Type; "+want+".")
	}
	mediaType, params, err := mime.ParseMediaType(header)
	if err != nil {
		return Problem("VAL-003", "The Content-Type header is malformed; "+want+".")
	}
	if mediaType != echo.MIMEApplicationJSON && !(strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json")) {
		return Problem("VAL-003", fmt.Sprintf("Content-Type %q is not supported; %s.", truncate(mediaType), want))
	}
	if charset, ok := params["charset"]; ok && !strings.EqualFold(charset, "utf-8") {
		return Problem("VAL-003", fmt.Sprintf("Charset %q is not supported; JSON must be UTF-8.", truncate(charset)))
	}
	return nil
}

// decodeFailure maps a json.Decoder error onto the catalogue. Messages are
// built from the error's structured fields, never from client bytes beyond
// a bounded field name.
func decodeFailure(err error) error {
	var (
		syntaxErr    *json.SyntaxError
		typeErr      *json.UnmarshalTypeError
		maxBytesErr  *http.MaxBytesError
		timeErr      *time.ParseError
		problem      *Error
		invalidUnmar *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &maxBytesErr):
		return tooLarge(maxBytesErr.Limit)
	case errors.As(err, &problem):
		// A custom UnmarshalJSON may reject a value with a catalogue error.
		return problem
	case errors.As(err, &syntaxErr):
		return Problem("VAL-002", fmt.Sprintf("The request body is not valid JSON: %s (at byte offset %d).", syntaxErr.Error(), syntaxErr.Offset))
	case errors.Is(err, io.EOF):
		return emptyBody()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Problem("VAL-002", "The request body ends before the JSON value is complete.")
	case errors.As(err, &typeErr):
		return typeMismatch(typeErr)
	case errors.As(err, &invalidUnmar):
		return fmt.Errorf("platform: bind destination: %w", err)
	case errors.As(err, &timeErr):
		return Problem("VAL-001", "A date-time value is not in RFC 3339 format (e.g. 2024-01-02T15:04:05Z).")
	}
	// encoding/json has no typed error for unknown fields, so the message
	// text is the only signal; it is stable across Go releases.
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		field := truncate(strings.TrimSuffix(name, `"`))
		return Problem("VAL-001", fmt.Sprintf("The request body contains an unknown field %q.", field)).
			WithFields(FieldError{Field: field, Message: "is not a recognised field"})
	}
	if strings.HasPrefix(err.Error(), "invalid UUID") {
		return Problem("VAL-001", "A UUID value is malformed.")
	}
	return Problem("VAL-001", "The request body contains an invalid value.")
}

func typeMismatch(e *json.UnmarshalTypeError) *Error {
	want := jsonTypeName(e.Type)
	if e.Field == "" {
		return Problem("VAL-001", fmt.Sprintf("The request body must be %s.", want))
	}
	// Value is "string", "number 1.5", ...: keep only the kind so a huge
	// numeric literal is not echoed back.
	got, _, _ := strings.Cut(e.Value, " ")
	field := truncate(e.Field)
	msg := "must be " + want
	return Problem("VAL-001", fmt.Sprintf("Field %q %s, got %s.", field, msg, got)).
		WithFields(FieldError{Field: field, Message: msg})
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
)

// jsonTypeName describes what JSON a Go type accepts, in client terms.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return "an RFC 3339 date-time string"
	case uuidType:
		return "a UUID string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number in range"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	default:
		return "a JSON value"
	}
}

func truncate(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	// Cut on a rune boundary so the detail stays valid UTF-8.
	cut := maxEcho
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Validate runs the `validate:"..."` struct tags of v (a struct, a pointer to
// one, or a slice of them) and reports failures as VAL-001 with one
// FieldError per field, named by JSON path (e.g. "members[2].email").
func Validate(v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	var fields []FieldError
	switch rv.Kind() {
	case reflect.Struct:
		fe, err := validateStruct(rv, "")
		if err != nil {
			return err
		}
		fields = fe
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len() && len(fields) < maxFieldErrors; i++ {
			elem := rv.Index(i)
			for elem.Kind() == reflect.Pointer || elem.Kind() == reflect.Interface {
				if elem.IsNil() {
					break
				}
				elem = elem.Elem()
			}
			if elem.Kind() != reflect.Struct {
				continue
			}
			fe, err := validateStruct(elem, "["+strconv.Itoa(i)+"]")
			if err != nil {
				return err
			}
			fields = append(fields, fe...)
		}
	default:
		return nil
	}
	if len(fields) == 0 {
		return nil
	}
	if len(fields) > maxFieldErrors {
		fields = fields[:maxFieldErrors]
	}
	return Problem("VAL-001", validationSummary(fields)).WithFields(fields...)
}

func validateStruct(rv reflect.Value, prefix string) ([]FieldError, error) {
	if !rv.CanInterface() {
		return nil, nil
	}
	err := validate.Struct(rv.Interface())
	if err == nil {
		return nil, nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return nil, fmt.Errorf("platform: validate %s: %w", rv.Type(), err)
	}
	fields := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, FieldError{
			Field:   fieldPath(prefix, fe.Namespace()),
			Message: ruleMessage(fe),
		})
	}
	return fields, nil
}

// fieldPath drops the root type name that validator puts first in the
// namespace ("CreateUser.address.city" → "address.city").
func fieldPath(prefix, namespace string) string {
	_, rest, found := strings.Cut(namespace, ".")
	if !found {
		rest = namespace
	}
	switch {
	case prefix == "":
		return rest
	case rest == "":
		return prefix
	default:
		return prefix + "." + rest
	}
}

func validationSummary(fields []FieldError) string {
	const shown = 3
	parts := make([]string, 0, shown)
	for i, f := range fields {
		if i == shown {
			break
		}
		parts = append(parts, strings.TrimSpace(f.Field+" "+f.Message))
	}
	summary := strings.Join(parts, "; ")
	if extra := len(fields) - shown; extra > 0 {
		summary += fmt.Sprintf("; and %d more", extra)
	}
	return "The request is invalid: " + summary + "."
}

// ruleMessage turns a validator rule failure into a sentence fragment that
// reads after the field name ("email must be a valid e-mail address").
func ruleMessage(fe validator.FieldError) string {
	p := fe.Param()
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_with_all",
		"required_without", "required_without_all":
		return "is required"
	case "email":
		return "must be a valid e-mail address"
	case "url", "http_url", "uri":
		return "must be a valid URL"
	case "uuid", "uuid3", "uuid4", "uuid5", "uuid_rfc4122", "uuid4_rfc4122":
		return "must be a valid UUID"
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(p), ", ")
	case "min", "gte":
		return sizeMessage("at least", p, fe.Kind())
	case "max", "lte":
		return sizeMessage("at most", p, fe.Kind())
	case "len", "eq":
		return sizeMessage("exactly", p, fe.Kind())
	case "gt":
		return sizeMessage("more than", p, fe.Kind())
	case "lt":
		return sizeMessage("less than", p, fe.Kind())
	case "ne":
		return "must not be " + p
	case "alpha":
		return "must contain only letters"
	case "alphanum":
		return "must contain only letters and digits"
	case "numeric", "number":
		return "must be numeric"
	case "lowercase":
		return "must be lowercase"
	case "uppercase":
		return "must be uppercase"
	case "ascii", "printascii":
		return "must contain only ASCII characters"
	case "hostname", "hostname_rfc1123", "fqdn":
		return "must be a valid hostname"
	case "ip", "ipv4", "ipv6":
		return "must be a valid IP address"
	case "cidr", "cidrv4", "cidrv6":
		return "must be a valid CIDR block"
	case "e164":
		return "must be a phone number in E.164 format"
	case "datetime":
		return "must be a date-time in the layout " + p
	case "unique":
		return "must not contain duplicates"
	case "startswith":
		return fmt.Sprintf("must start with %q", p)
	case "endswith":
		return fmt.Sprintf("must end with %q", p)
	case "contains":
		return fmt.Sprintf("must contain %q", p)
	case "excludesall":
		return "contains characters that are not allowed"
	case "eqfield":
		return "must equal " + p
	case "nefield":
		return "must differ from " + p
	case "gtfield", "gtefield", "ltfield", "ltefield":
		return "is out of range relative to " + p
	}
	return fmt.Sprintf("fails the %q rule", fe.Tag())
}

func sizeMessage(bound, param string, kind reflect.Kind) string {
	if param == "" {
		// gte/lte without a parameter compare times against now.
		return "is out of range"
	}
	switch kind {
	case reflect.String:
		return fmt.Sprintf("must be %s %s characters long", bound, param)
	case reflect.Slice, reflect.Array, reflect.Map:
		return fmt.Sprintf("must contain %s %s items", bound, param)
	default:
		return fmt.Sprintf("must be %s %s", bound, param)
	}
}
