package platform

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

type bindAddress struct {
	City    string `json:"city" validate:"required"`
	Country string `json:"country" validate:"omitempty,len=2"`
}

type bindRequest struct {
	Email   string       `json:"email" validate:"required,email"`
	Name    string       `json:"name" validate:"required,min=2,max=50"`
	Age     int          `json:"age" validate:"gte=0,lte=150"`
	Role    string       `json:"role" validate:"omitempty,oneof=admin analyst viewer"`
	Address *bindAddress `json:"address"`
	Tags    []string     `json:"tags" validate:"max=3,dive,min=1"`
	Since   *time.Time   `json:"since"`
	Owner   uuid.UUID    `json:"owner"`
}

func newBindServer(t *testing.T, cfg Config) *testServer {
	return newTestServer(t, cfg, func(e *echo.Echo) {
		e.POST("/api/v1/bind", func(c echo.Context) error {
			var req bindRequest
			if err := Bind(c, &req); err != nil {
				return err
			}
			return Respond(c, http.StatusOK, req)
		})
	})
}

func TestBindSuccess(t *testing.T) {
	srv := newBindServer(t, Config{})
	owner := uuid.New()
	x := srv.postJSON(t, "/api/v1/bind", `{"email":"ada@example.com","name":"Ada","age":36,"role":"admin",
		"address":{"city":"London","country":"GB"},"tags":["a"],"since":"2024-01-02T15:04:05Z","owner":"`+owner.String()+`"}`)
	var got bindRequest
	x.envelope(t, http.StatusOK, &got)
	if got.Email != "ada@example.com" || got.Address.City != "London" || got.Owner != owner || got.Since.Year() != 2024 {
		t.Errorf("bound %+v", got)
	}
	// +json media types and an explicit UTF-8 charset are JSON too.
	for _, ct := range []string{"application/merge-patch+json", "application/json; charset=UTF-8"} {
		x := srv.do(t, http.MethodPost, "/api/v1/bind", ct, strings.NewReader(`{"email":"a@b.io","name":"Al"}`))
		x.envelope(t, http.StatusOK, nil)
	}
}

func TestBindErrors(t *testing.T) {
	srv := newBindServer(t, Config{BodyLimit: 256})
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		field       string // expected first errors[].field, if any
		detail      string // expected substring of detail, if any
	}{
		{name: "unknown field", body: `{"email":"a@b.io","name":"Al","admin":true}`, status: 400, code: "VAL-001", field: "admin", detail: `"admin"`},
		{name: "unknown nested field", body: `{"email":"a@b.io","name":"Al","address":{"city":"x","zip":1}}`, status: 400, code: "VAL-001", field: "zip"},
		{name: "wrong type", body: `{"email":"a@b.io","name":"Al","age":"old"}`, status: 400, code: "VAL-001", field: "age", detail: "integer"},
		{name: "wrong nested type", body: `{"email":"a@b.io","name":"Al","address":{"city":5}}`, status: 400, code: "VAL-001", field: "address.city", detail: "string"},
		{name: "fraction for integer", body: `{"email":"a@b.io","name":"Al","age":1.5}`, status: 400, code: "VAL-001", field: "age"},
		{name: "array for object", body: `[1,2]`, status: 400, code: "VAL-001", detail: "object"},
		{name: "bad time", body: `{"email":"a@b.io","name":"Al","since":"yesterday"}`, status: 400, code: "VAL-001", detail: "RFC 3339"},
		{name: "bad uuid", body: `{"email":"a@b.io","name":"Al","owner":"nope"}`, status: 400, code: "VAL-001", detail: "UUID"},
		{name: "syntax error", body: `{"email" "a@b.io"}`, status: 400, code: "VAL-002", detail: "offset 10"},
		{name: "truncated", body: `{"email":"a@b.io"`, status: 400, code: "VAL-002", detail: "ends before"},
		{name: "trailing value", body: `{"email":"a@b.io","name":"Al"}{}`, status: 400, code: "VAL-002", detail: "single JSON value"},
		{name: "trailing garbage", body: `{"email":"a@b.io","name":"Al"} x`, status: 400, code: "VAL-002"},
		{name: "empty body", body: ``, status: 400, code: "VAL-002", detail: "empty"},
		{name: "whitespace body", body: "  \n ", status: 400, code: "VAL-002", detail: "empty"},
		{name: "too large", body: `{"name":"` + strings.Repeat("x", 400) + `"}`, status: 413, code: "VAL-004", detail: "256"},
		{name: "too large trailing", body: `{"email":"a@b.io","name":"Al"}` + strings.Repeat(" ", 300) + "1", status: 413, code: "VAL-004"},
		{name: "text/plain", contentType: "text/plain", body: `{}`, status: 415, code: "VAL-003"},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: `a=b`, status: 415, code: "VAL-003"},
		{name: "no content type", contentType: "-", body: `{}`, status: 415, code: "VAL-003"},
		{name: "latin1", contentType: "application/json; charset=iso-8859-1", body: `{}`, status: 415, code: "VAL-003"},
		{name: "validation", body: `{"email":"nope","name":"A","tags":["", "b"],"address":{},"role":"root"}`, status: 400, code: "VAL-001", field: "email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := tc.contentType
			switch ct {
			case "":
				ct = "application/json"
			case "-":
				ct = ""
			}
			x := srv.do(t, http.MethodPost, "/api/v1/bind", ct, strings.NewReader(tc.body))
			p := x.problem(t, tc.status, tc.code)
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
				t.Errorf("errors = %+v, want first field %q", p.Errors, tc.field)
			}
			if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.detail)
			}
		})
	}
}

func TestBindValidationReportsJSONFieldNames(t *testing.T) {
	srv := newBindServer(t, Config{})
	x := srv.postJSON(t, "/api/v1/bind", `{"email":"nope","name":"A","tags":["", "b"],"address":{"country":"GBR"},"role":"root","age":200}`)
	p := x.problem(t, http.StatusBadRequest, "VAL-001")
	got := map[string]string{}
	for _, f := range p.Errors {
		got[f.Field] = f.Message
	}
	want := map[string]string{
		"email":           "must be a valid e-mail address",
		"name":            "must be at least 2 characters long",
		"age":             "must be at most 150",
		"role":            "must be one of: admin, analyst, viewer",
		"address.city":    "is required",
		"address.country": "must be exactly 2 characters long",
		"tags[0]":         "must be at least 1 characters long",
	}
	for field, msg := range want {
		if got[field] != msg {
			t.Errorf("field %q: message %q, want %q (all: %+v)", field, got[field], msg, p.Errors)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d field errors, want %d: %+v", len(got), len(want), p.Errors)
	}
}

func TestBindDefaultLimitIsOneMiB(t *testing.T) {
	srv := newBindServer(t, Config{})
	big := bytes.Repeat([]byte("x"), int(DefaultBodyLimit))
	body := append(append([]byte(`{"email":"a@b.io","name":"`), big...), `"}`...)
	srv.do(t, http.MethodPost, "/api/v1/bind", "application/json", bytes.NewReader(body)).
		problem(t, http.StatusRequestEntityTooLarge, "VAL-004")
}

func TestValidateSlices(t *testing.T) {
	err := Validate([]bindAddress{{City: "x"}, {}})
	p, ok := err.(*Error)
	if !ok || len(p.Fields) != 1 || p.Fields[0].Field != "[1].city" {
		t.Fatalf("Validate(slice) = %#v", err)
	}
	if err := Validate(nil); err != nil {
		t.Errorf("Validate(nil) = %v", err)
	}
	if err := Validate(&bindAddress{City: "x"}); err != nil {
		t.Errorf("Validate(valid) = %v", err)
	}
}
