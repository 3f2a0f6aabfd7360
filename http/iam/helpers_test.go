package iam_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// user is the API's user representation.
type user struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Status   string `json:"status"`
	Version  int64  `json:"version"`
}

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

type pageMeta struct {
	Meta struct {
		Pagination struct {
			Cursor     string `json:"cursor"`
			HasMore    bool   `json:"has_more"`
			TotalCount *int64 `json:"total_count"`
		} `json:"pagination"`
	} `json:"meta"`
}

const password = "a-long-enough-password"

// createUser creates a user with a password and fails the test unless it answers 201.
func createUser(t testing.TB, in *testkit.Instance, token, email, role string, headers ...string) user {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/iam/users", token,
		map[string]string{"email": email, "name": "User " + email, "role": role, "password": password}, headers...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", email, r.Status, r.Body)
	}
	var u user
	r.Data(t, &u)
	return u
}

// getUser reads a user and fails the test unless it answers 200.
func getUser(t testing.TB, in *testkit.Instance, token, id string, headers ...string) user {
	t.Helper()
	r := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+id, token, nil, headers...)
	if r.Status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, r.Status, r.Body)
	}
	var u user
	r.Data(t, &u)
	return u
}

// listUsers pages through every user visible to token (limit=50) and returns
// them in order with the total_count of the first page; it checks that
// total_count stays the same on every page.
func listUsers(t testing.TB, in *testkit.Instance, token string, headers ...string) ([]user, int64) {
	t.Helper()
	var all []user
	var total int64 = -1
	cursor := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("list users: pagination does not end")
		}
		path := "/api/v1/iam/users?limit=50"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := in.Do(t, http.MethodGet, path, token, nil, headers...)
		if r.Status != http.StatusOK {
			t.Fatalf("list users: %d %s", r.Status, r.Body)
		}
		var us []user
		r.Data(t, &us)
		var m pageMeta
		r.JSON(t, &m)
		p := m.Meta.Pagination
		if p.TotalCount == nil {
			t.Fatalf("list users: no total_count in %s", r.Body)
		}
		if total >= 0 && *p.TotalCount != total {
			t.Fatalf("list users: total_count changed between pages: %d then %d", total, *p.TotalCount)
		}
		total = *p.TotalCount
		if len(us) > 50 {
			t.Fatalf("list users: page of %d with limit=50", len(us))
		}
		all = append(all, us...)
		if !p.HasMore {
			if p.Cursor != "" {
				t.Fatalf("list users: last page has a cursor %q", p.Cursor)
			}
			return all, total
		}
		if p.Cursor == "" || len(us) == 0 {
			t.Fatalf("list users: has_more without cursor or items: %s", r.Body)
		}
		cursor = p.Cursor
	}
}

// auditEvents pages through /admin/audit/events with query (without limit
// and cursor) and returns every event.
func auditEvents(t testing.TB, in *testkit.Instance, token, query string, headers ...string) []auditEvent {
	t.Helper()
	var all []auditEvent
	cursor := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatal("audit: pagination does not end")
		}
		path := "/api/v1/admin/audit/events?limit=200&order=oldest"
		if query != "" {
			path += "&" + query
		}
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := in.Do(t, http.MethodGet, path, token, nil, headers...)
		if r.Status != http.StatusOK {
			t.Fatalf("audit %s: %d %s", query, r.Status, r.Body)
		}
		var evs []auditEvent
		r.Data(t, &evs)
		var m pageMeta
		r.JSON(t, &m)
		all = append(all, evs...)
		if !m.Meta.Pagination.HasMore {
			return all
		}
		cursor = m.Meta.Pagination.Cursor
	}
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
