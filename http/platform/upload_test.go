package platform

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// uploadFields are the form fields of the test upload.
type uploadFields struct {
	Name      string     `json:"name" validate:"max=5"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// multipartOf builds a multipart body of parts (name, value) in order; a
// name "file" becomes a file part.
func multipartOf(t *testing.T, parts ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		if p[0] == "file" {
			fw, err := w.CreateFormFile("file", "report.txt")
			if err != nil {
				t.Fatal(err)
			}
			fw.Write([]byte(p[1]))
			continue
		}
		_ = w.WriteField(p[0], p[1])
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func TestUpload_StreamsTheFileToKeepAndDecodesTheFieldsOrRefusesPrecisely(t *testing.T) {
	var kept string
	var got uploadFields
	srv := newTestServer(t, Config{}, func(e *echo.Echo) {
		e.POST("/upload", func(c echo.Context) error {
			kept, got = "", uploadFields{}
			err := Upload(c, "file", 8, &got, func(f UploadedFile) error {
				b, err := io.ReadAll(f)
				if err != nil {
					return err
				}
				if f.Name != "report.txt" {
					t.Errorf("file name %q", f.Name)
				}
				kept = string(b)
				return nil
			})
			if err != nil {
				return err
			}
			return c.NoContent(http.StatusNoContent)
		})
	})
	post := func(parts ...[2]string) exchange {
		body, ct := multipartOf(t, parts...)
		return srv.do(t, http.MethodPost, "/upload", ct, body)
	}

	x := post([2]string{"name", "q1"}, [2]string{"file", "12345678"}, [2]string{"expires_at", "2026-01-02T03:04:05Z"})
	if x.resp.StatusCode != http.StatusNoContent || kept != "12345678" || got.Name != "q1" || got.ExpiresAt == nil || got.ExpiresAt.Year() != 2026 {
		t.Fatalf("upload: %d %s kept %q fields %+v", x.resp.StatusCode, x.body, kept, got)
	}
	cases := []struct {
		name   string
		parts  [][2]string
		status int
		code   string
		detail string
	}{
		{"a file past its bound", [][2]string{{"file", "123456789"}}, http.StatusRequestEntityTooLarge, "VAL-004", "exceeds 8 bytes"},
		{"no file part", [][2]string{{"name", "q1"}}, http.StatusBadRequest, "VAL-001", "no `file` part"},
		{"two file parts", [][2]string{{"file", "1"}, {"file", "2"}}, http.StatusBadRequest, "VAL-001", "one `file` part"},
		{"an unknown field", [][2]string{{"file", "1"}, {"owner", "x"}}, http.StatusBadRequest, "VAL-001", `"owner"`},
		{"a field past MaxFormField", [][2]string{{"file", "1"}, {"name", strings.Repeat("x", MaxFormField+1)}}, http.StatusBadRequest, "VAL-001", "longer than"},
		{"a field that fails validation", [][2]string{{"file", "1"}, {"name", "toolong"}}, http.StatusBadRequest, "VAL-001", "name"},
		{"a date-time that is not RFC 3339", [][2]string{{"file", "1"}, {"expires_at", "tomorrow"}}, http.StatusBadRequest, "VAL-001", "RFC 3339"},
	}
	for _, c := range cases {
		p := post(c.parts...).problem(t, c.status, c.code)
		if !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: detail %q lacks %q", c.name, p.Detail, c.detail)
		}
	}
	if p := srv.postJSON(t, "/upload", `{"name":"x"}`).problem(t, http.StatusBadRequest, "VAL-002"); !strings.Contains(p.Detail, "multipart") {
		t.Fatalf("not multipart: %q", p.Detail)
	}
}
