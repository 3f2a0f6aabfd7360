// Package poison holds the end-to-end tests of events the product cannot or
// must not apply: invalid text refused at the edge, poison events
// dead-lettered instead of stalling a projection, and forged broker records
// refused by the projections, the live stream and `astra verify`.
package poison

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// invalidTexts are JSON string literals (with their quotes) whose text no
// field accepts, as raw bytes: encoding/json would turn the last three into
// U+FFFD instead of refusing them.
var invalidTexts = map[string]string{
	"NUL":               `"gpt\u0000x"`,
	"lone surrogate":    `"x\ud800"`,
	"low surrogate":     `"\udc00y"`,
	"invalid UTF-8":     "\"a\xffb\"",
	"overlong UTF-8":    "\"\xc0\xaf\"",
	"control character": `"bell\u0007"`,
}

func ledgerHead(t testing.TB, in *testkit.Instance) int64 {
	t.Helper()
	var head int64
	if err := in.Running.Stack.Pool.QueryRow(context.Background(), `SELECT position FROM ledger_head WHERE id = 1`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	return head
}

func TestInvalidText_RefusedWithVAL007NamingTheField(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	routes := []struct {
		name, method, path, field, body string
	}{
		{"chat model", http.MethodPost, "/api/v1/gateway/chat/completions", "model",
			`{"provider":"mock","model":%s,"messages":[{"role":"user","content":"hello"}]}`},
		{"chat message content", http.MethodPost, "/api/v1/gateway/chat/completions", "messages[0].content",
			`{"provider":"mock","model":"gpt-4o","messages":[{"role":"user","content":%s}]}`},
		{"role description", http.MethodPost, "/api/v1/iam/roles", "description",
			`{"name":"poison_role","description":%s,"permissions":["iam:read"]}`},
		{"risk title", http.MethodPost, "/api/v1/risk/risks", "title",
			`{"title":%s,"likelihood":3,"impact":4}`},
	}
	before := ledgerHead(t, in)
	for _, rt := range routes {
		for kind, lit := range invalidTexts {
			t.Run(rt.name+"/"+kind, func(t *testing.T) {
				body := strings.Replace(rt.body, "%s", lit, 1)
				r := in.DoRaw(t, rt.method, rt.path, admin, []byte(body))
				if r.Status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
				}
				p := r.Problem(t)
				if p.ErrorCode != "VAL-007" {
					t.Fatalf("error_code %q, want VAL-007: %s", p.ErrorCode, r.Body)
				}
				if !strings.Contains(p.Detail, `"`+rt.field+`"`) || !strings.Contains(string(r.Body), `"field":"`+rt.field+`"`) {
					t.Fatalf("the problem does not name %q: %s", rt.field, r.Body)
				}
			})
		}
	}
	// A query parameter carrying a NUL is refused the same way.
	r := in.DoRaw(t, http.MethodGet, "/api/v1/risk/risks?status=a%00b", admin, nil)
	if r.Status != http.StatusBadRequest || r.Problem(t).ErrorCode != "VAL-007" {
		t.Fatalf("query parameter with NUL: %d %s", r.Status, r.Body)
	}
	// And a path parameter.
	r = in.DoRaw(t, http.MethodPatch, "/api/v1/risk/risks/a%00b", admin, []byte(`{"title":"x"}`))
	if r.Status != http.StatusBadRequest || r.Problem(t).ErrorCode != "VAL-007" {
		t.Fatalf("path parameter with NUL: %d %s", r.Status, r.Body)
	}
	if after := ledgerHead(t, in); after != before {
		t.Fatalf("the ledger moved from %d to %d: something was committed", before, after)
	}
	// The same routes still accept clean text.
	r = in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "Clean title \t é 😀", "likelihood": 3, "impact": 4})
	if r.Status != http.StatusCreated {
		t.Fatalf("clean risk: %d %s", r.Status, r.Body)
	}
}
