package platform

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestCheckJSONText_NamesTheField(t *testing.T) {
	cases := []struct {
		name, body, field string
	}{
		{"NUL escape", `{"model":"gpt\u0000x"}`, "model"},
		{"other control escape", `{"a":{"b":"\u0007"}}`, "a.b"},
		{"lone high surrogate", `{"description":"x\ud800"}`, "description"},
		{"high surrogate before a non-surrogate", `{"d":"\ud800\u0041"}`, "d"},
		{"lone low surrogate", `{"title":"\udfff"}`, "title"},
		{"invalid UTF-8", "{\"title\":\"a\xffb\"}", "title"},
		{"overlong UTF-8", "{\"title\":\"\xc0\xaf\"}", "title"},
		{"UTF-8 encoded surrogate", "{\"title\":\"\xed\xa0\x80\"}", "title"},
		{"raw control byte", "{\"t\":\"a\x01\"}", "t"},
		{"array element", `{"messages":[{"content":"ok"},{"content":"\u0000"}]}`, "messages[1].content"},
		{"top-level string", `"\u0000"`, "(body)"},
		{"key", `{"a\u0000":1}`, "(body)"},
		{"escaped backslash is not an escape", `{"ok":"\\u0000","bad":"\u0000"}`, "bad"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := CheckJSONText([]byte(tc.body))
			if p == nil {
				t.Fatalf("%q passed", tc.body)
			}
			if p.Field != tc.field {
				t.Fatalf("%q: field %q, want %q (%s)", tc.body, p.Field, tc.field, p.Reason)
			}
		})
	}
	for _, ok := range []string{
		`{"a":"tab\tnl\ncr\r","b":"\t\n\r\"\\\/\b\f"}`, `{"emoji":"\ud83d\ude00","raw":"😀 é"}`, `[1,2.5e3,true,null]`,
		`{"a":"\u00e9\u0020"}`, `{}`, `{"a":`, `not json`,
	} {
		if p := CheckJSONText([]byte(ok)); p != nil {
			t.Errorf("%q refused: %+v", ok, p)
		}
	}
}

func TestBind_RefusesInvalidTextWithVAL007(t *testing.T) {
	e := echo.New()
	for _, body := range []string{`{"name":"x\u0000"}`, `{"name":"\ud800"}`, "{\"name\":\"\xc0\x80\"}"} {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		c := e.NewContext(req, httptest.NewRecorder())
		var dst struct {
			Name string `json:"name"`
		}
		err := Bind(c, &dst)
		var perr *Error
		if !errors.As(err, &perr) || perr.Code != "VAL-007" || perr.Status != http.StatusBadRequest {
			t.Fatalf("%q: %v, want VAL-007", body, err)
		}
		if len(perr.Fields) != 1 || perr.Fields[0].Field != "name" {
			t.Fatalf("%q: fields %+v, want name", body, perr.Fields)
		}
	}
}

func TestCheckText(t *testing.T) {
	for v, bad := range map[string]bool{"ok": false, "tab\t": false, "é": false, "a\x00": true, "\x1b[": true, "\xff": true, "\xed\xa0\x80": true} {
		if got := CheckText(v) != ""; got != bad {
			t.Errorf("CheckText(%q) refused=%v, want %v", v, got, bad)
		}
	}
}

// BenchmarkCheckJSONText measures the check on a typical 1.5 KB chat body.
func BenchmarkCheckJSONText(b *testing.B) {
	body := []byte(`{"model":"mock/gpt-4o","messages":[{"role":"system","content":"` + strings.Repeat("You are a helpful assistant. ", 25) +
		`"},{"role":"user","content":"` + strings.Repeat("Summarise the quarterly risk report, please. ", 20) + `"}],"temperature":0.2}`)
	escaped := bytes.Replace(body, []byte("please."), []byte(`please \u00e9.`), -1)
	for _, bc := range []struct {
		name string
		body []byte
	}{{"plain", body}, {"with-escapes", escaped}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			for i := 0; i < b.N; i++ {
				if CheckJSONText(bc.body) != nil {
					b.Fatal("refused")
				}
			}
		})
	}
}

func TestCheckJSONText_RefusesAMemberNameTwiceInOneObject(t *testing.T) {
	cases := []struct {
		name, body, field string
	}{
		{"same name", `{"role":"viewer","role":"platform_admin"}`, "role"},
		{"other case (encoding/json matches names case-insensitively)", `{"role":"viewer","ROLE":"platform_admin"}`, "ROLE"},
		{"escaped spelling", `{"role":"viewer","r\u006fle":"platform_admin"}`, `r\u006fle`},
		{"nested", `{"messages":[{"role":"user","content":"a","role":"system"}]}`, "messages[0].role"},
		{"in a clean document too", `{"a":1,"b":2,"a":3}`, "a"},
	}
	for _, tc := range cases {
		p := CheckJSONText([]byte(tc.body))
		if p == nil || !p.Duplicate || p.Field != tc.field {
			t.Errorf("%s: %+v, want a duplicate at %q", tc.name, p, tc.field)
		}
	}
	// Many members (a set past the first few) and the same name in sibling objects are fine.
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 100000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":1`)
	}
	b.WriteString("}")
	for _, ok := range []string{b.String(), `{"a":{"x":1},"b":{"x":1}}`, `[{"role":"a"},{"role":"b"}]`} {
		if p := CheckJSONText([]byte(ok)); p != nil {
			t.Errorf("%.40q refused: %+v", ok, p)
		}
	}
	if p := CheckJSONText([]byte(b.String()[:b.Len()-1] + `,"K99999":2}`)); p == nil || !p.Duplicate {
		t.Errorf("a duplicate among 100,000 members passed: %+v", p)
	}
	// Bind answers VAL-001 naming the field.
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"a","Name":"b"}`))
	req.Header.Set("Content-Type", "application/json")
	var dst struct {
		Name string `json:"name"`
	}
	var perr *Error
	if err := Bind(echo.New().NewContext(req, httptest.NewRecorder()), &dst); !errors.As(err, &perr) || perr.Code != "VAL-001" ||
		len(perr.Fields) != 1 || perr.Fields[0].Field != "Name" {
		t.Fatalf("bind: %v %+v", err, perr)
	}
}
