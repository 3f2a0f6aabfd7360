package iam_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// auditEvent is one entry of /admin/audit/events.
type auditEvent struct {
	SpecVersion   string         `json:"specversion"`
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	Subject       string         `json:"subject"`
	TenantID      string         `json:"tenantid"`
	Actor         string         `json:"actor"`
	StreamVersion int64          `json:"streamversion"`
	PartitionKey  string         `json:"partitionkey"`
	Position      int64          `json:"position"`
	Data          map[string]any `json:"data"`
}

const password = testkit.UserPassword

// getUser reads a user and fails the test unless it answers 200.
func getUser(t testing.TB, in *testkit.Instance, token, id string, headers ...string) testkit.User {
	t.Helper()
	r := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+id, token, nil, headers...)
	if r.Status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, r.Status, r.Body)
	}
	var u testkit.User
	r.Data(t, &u)
	return u
}

// listUsers pages through every user visible to token (limit=50) and returns
// them in order with the total_count of the first page; it checks that
// total_count stays the same on every page.
func listUsers(t testing.TB, in *testkit.Instance, token string, headers ...string) ([]testkit.User, int64) {
	t.Helper()
	all, pages := testkit.Walk[testkit.User](t, in, "/api/v1/iam/users?limit=50", token, headers...)
	return all, testkit.SameTotal(t, "list users", pages)
}

// auditEvents pages through /admin/audit/events with query (without limit
// and cursor) and returns every event.
func auditEvents(t testing.TB, in *testkit.Instance, token, query string, headers ...string) []auditEvent {
	t.Helper()
	path := "/api/v1/admin/audit/events?limit=200&order=oldest"
	if query != "" {
		path += "&" + query
	}
	all, _ := testkit.Walk[auditEvent](t, in, path, token, headers...)
	return all
}

// ofType keeps the events of one CloudEvents type.
func ofType(evs []auditEvent, ceType string) []auditEvent {
	var out []auditEvent
	for _, e := range evs {
		if e.Type == ceType {
			out = append(out, e)
		}
	}
	return out
}

// leakMarkers are strings that must never reach a client in an error body.
var leakMarkers = []string{"SELECT", "pgx", "goroutine", "panic", "sql:", "runtime."}

// assertProblem checks an error answer: status, problem+json with the
// error_code, and no internals in the body.
func assertProblem(t testing.TB, r *testkit.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	p := r.Problem(t)
	if code != "" && p.ErrorCode != code {
		t.Fatalf("error_code %q, want %q: %s", p.ErrorCode, code, r.Body)
	}
	if p.RequestID == "" {
		t.Fatalf("problem without request_id: %s", r.Body)
	}
	assertNoLeak(t, r.Body)
}

func assertNoLeak(t testing.TB, body []byte) {
	t.Helper()
	for _, m := range leakMarkers {
		if bytes.Contains(body, []byte(m)) {
			t.Fatalf("error body leaks %q: %s", m, body)
		}
	}
}

func uniqueEmail(prefix string, i int) string {
	return strings.ToLower(fmt.Sprintf("%s-%03d@astra.test", prefix, i))
}
