package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// MaxFormField bounds one form field of an upload (the file part excepted).
const MaxFormField = 10_000

// UploadedFile is the file part of an upload as it arrives.
type UploadedFile struct {
	// Reader is the part's content, failing once it passes the upload's bound.
	io.Reader
	// Name is the file name the client sent; MediaType its Content-Type.
	Name, MediaType string
}

// errFileTooLarge marks a file part read past the upload's bound.
var errFileTooLarge = errors.New("platform: file part too large")

// Upload reads a multipart/form-data body as a stream, within the route's
// body limit (Route.BodyLimit). The part named file is handed to keep as it
// arrives, so that keep streams it into storage and nothing holds it whole;
// reading it past max bytes fails. Every other part is a form field of
// fields (a pointer to a struct, named by its json tags like a JSON body,
// nil for none): at most MaxFormField bytes each, decoded as JSON strings
// (date-times in RFC 3339) and validated once the body is read. Exactly one
// file part is required. A part that is no field is refused (VAL-001), a
// file past max is VAL-004, a body that cannot be read VAL-002; keep's own
// errors are returned as they are.
func Upload(c echo.Context, file string, max int64, fields any, keep func(UploadedFile) error) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, bodyLimit(c))
	mr, err := req.MultipartReader()
	if err != nil {
		return Problem("VAL-002", "The multipart body could not be read: "+err.Error())
	}
	names := formFields(fields)
	values := map[string]string{}
	kept := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return uploadFailure(err, file, max)
		}
		name := part.FormName()
		switch {
		case name == file && kept:
			return Problem("VAL-001", "Send one `"+file+"` part.")
		case name == file:
			kept = true
			in := &boundedPart{r: part, max: max}
			if err := keep(UploadedFile{Reader: in, Name: part.FileName(), MediaType: part.Header.Get(echo.HeaderContentType)}); err != nil {
				if in.err != nil {
					return uploadFailure(in.err, file, max)
				}
				return err
			}
		case names[name]:
			v, err := io.ReadAll(io.LimitReader(part, MaxFormField+1))
			if err != nil {
				return uploadFailure(err, file, max)
			}
			if len(v) > MaxFormField {
				return Problem("VAL-001", fmt.Sprintf("Field '%s' is longer than %d bytes.", name, MaxFormField))
			}
			values[name] = string(v)
		default:
			return Problem("VAL-001", fmt.Sprintf("Unknown form field %q (%s).", truncate(name), strings.Join(append([]string{file}, sortedKeys(names)...), ", ")))
		}
	}
	if !kept {
		return Problem("VAL-001", "The multipart body has no `"+file+"` part.")
	}
	if fields == nil {
		return nil
	}
	raw, err := json.Marshal(values)
	if err != nil {
		return err
	}
	if p := CheckJSONText(raw); p != nil {
		return InvalidText(p)
	}
	if err := json.Unmarshal(raw, fields); err != nil {
		return decodeFailure(err)
	}
	return Validate(fields)
}

// boundedPart reads the file part, failing past max bytes, and keeps the
// error of the body itself apart from what keep does with the content.
type boundedPart struct {
	r      io.Reader
	n, max int64
	err    error
}

func (b *boundedPart) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		err = errFileTooLarge
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// uploadFailure answers a body that could not be read: too large (the file
// part, or the whole body past the route's limit) or broken.
func uploadFailure(err error, file string, max int64) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errFileTooLarge):
		return Problem("VAL-004", fmt.Sprintf("The `%s` part exceeds %d bytes.", file, max))
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	}
	return Problem("VAL-002", "The multipart body could not be read.")
}

// formFields are the json names of the fields of the struct fields points to.
func formFields(fields any) map[string]bool {
	out := map[string]bool{}
	if fields == nil {
		return out
	}
	t := reflect.TypeOf(fields)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			out[jsonFieldName(f)] = true
		}
	}
	return out
}
