package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

type fuzzItem struct {
	Name  string  `json:"name" validate:"required,max=10"`
	Score float64 `json:"score" validate:"gte=0"`
}

type fuzzTarget struct {
	Email    string            `json:"email" validate:"omitempty,email"`
	Count    int8              `json:"count" validate:"lte=100"`
	Flag     *bool             `json:"flag"`
	When     *time.Time        `json:"when"`
	ID       uuid.UUID         `json:"id"`
	Items    []fuzzItem        `json:"items" validate:"max=5,dive"`
	Nested   *fuzzItem         `json:"nested"`
	Labels   map[string]string `json:"labels" validate:"max=3"`
	Any      any               `json:"any"`
	Raw      json.RawMessage   `json:"raw"`
	Unsigned uint16            `json:"unsigned"`
	Choice   string            `json:"choice" validate:"omitempty,oneof=a b"`
}

// FuzzBind checks that no body or Content-Type makes Bind panic or return
// anything but nil or a client (4xx) *Error.
func FuzzBind(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"email":"a@b.io"}`, `{"count":1000}`, `{"count":1.5}`,
		`{"when":"2024-01-02T03:04:05Z"}`, `{"when":"nope"}`, `{"id":"not-a-uuid"}`,
		`{"items":[{"name":"x"},{}]}`, `{"nested":{"name":""}}`, `{"labels":{"a":"b"}}`,
		`{"any":[1,{"a":null}]}`, `{"raw":{"x":1}}`, `{"unknown":1}`, `{} {}`, `{"a":`, "\xff\xfe",
		`{"unsigned":-1}`, `{"choice":"c"}`, `{"email":"` + string(bytes.Repeat([]byte("a"), 5000)) + `"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`{}`), "text/plain")
	f.Add([]byte(`{}`), "application/json; charset=latin1")
	f.Add([]byte(`{}`), "")

	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		c := e.NewContext(req, httptest.NewRecorder())
		c.Set(ctxBodyLimit, int64(4096))

		var dst fuzzTarget
		err := Bind(c, &dst)
		if err == nil {
			return
		}
		var perr *Error
		if !errors.As(err, &perr) {
			t.Fatalf("Bind returned %T %v, want *Error", err, err)
		}
		if perr.Status < 400 || perr.Status > 499 {
			t.Fatalf("Bind returned status %d (%v)", perr.Status, perr)
		}
		if _, ok := Catalogue[perr.Code]; !ok {
			t.Fatalf("Bind returned uncatalogued code %q", perr.Code)
		}
	})
}
