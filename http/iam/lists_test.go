package iam_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// page reads one list page: its items' ids (by key) and its pagination.
func page(t *testing.T, in *testkit.Instance, token, path string, key string) ([]string, testkit.Pagination) {
	t.Helper()
	r := in.Do(t, http.MethodGet, path, token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var items []map[string]any
	r.Data(t, &items)
	m := r.Page(t)
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i], _ = it[key].(string)
	}
	return ids, m
}

func TestUserList_PagesInCreationOrderWithLimitCursorAndTotalCount(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	var created []string
	for i := range 5 {
		created = append(created, in.NewUser(t, admin, uniqueEmail("paged", i), "viewer").ID)
	}

	// Five viewers (the bootstrap admin is no viewer): two pages of two, then one.
	ids, m := page(t, in, admin, "/api/v1/iam/users?role=viewer&limit=2", "id")
	p := m
	if len(ids) != 2 || !p.HasMore || p.Cursor == "" || p.TotalCount == nil || *p.TotalCount != 5 {
		t.Fatalf("first page: %v %+v", ids, p)
	}
	if ids[0] != created[0] || ids[1] != created[1] {
		t.Fatalf("first page %v is not in creation order (created %v)", ids, created)
	}
	seen := append([]string(nil), ids...)
	for p.HasMore {
		ids, m = page(t, in, admin, "/api/v1/iam/users?role=viewer&limit=2&cursor="+url.QueryEscape(p.Cursor), "id")
		if m.TotalCount == nil || *m.TotalCount != 5 {
			t.Fatalf("total_count changed between pages: %+v", m)
		}
		seen = append(seen, ids...)
		p = m
	}
	if fmt.Sprint(seen) != fmt.Sprint(created) {
		t.Fatalf("pages %v, want every viewer once in creation order (created %v)", seen, created)
	}
	if p.Cursor != "" {
		t.Fatalf("the last page has a cursor: %+v", p)
	}

	// Without limit: 25 at most; limit out of 1..200 and a forged cursor are refused.
	if _, m := page(t, in, admin, "/api/v1/iam/users", "id"); m.TotalCount == nil || *m.TotalCount != 6 {
		t.Fatalf("default page: %+v", m)
	}
	for _, q := range []string{"limit=0", "limit=201", "cursor=not-a-cursor", "status=sleeping"} {
		r := in.Do(t, http.MethodGet, "/api/v1/iam/users?"+q, admin, nil)
		if r.Status != http.StatusBadRequest {
			t.Fatalf("?%s: %d %s", q, r.Status, r.Body)
		}
	}
	// Denial paths: no token, no permission.
	assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/iam/users?limit=2", "", nil), http.StatusUnauthorized, "AUTH-001")
}

func TestRoleList_PagesBuiltinAndCustomRolesByNameWithTotalCount(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	for _, name := range []string{"auditor_a", "zz_last"} {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": name, "description": "d", "permissions": []string{"risk:read"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("create role %s: %d %s", name, r.Status, r.Body)
		}
	}
	all, m := page(t, in, admin, "/api/v1/iam/roles?limit=200", "name")
	total := m.TotalCount
	if total == nil || int(*total) != len(all) || m.HasMore || all[len(all)-1] != "zz_last" {
		t.Fatalf("every role: %v %+v", all, m)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1] >= all[i] {
			t.Fatalf("roles not by name: %v", all)
		}
	}
	type role struct {
		Name string `json:"name"`
	}
	roles, pages := testkit.Walk[role](t, in, "/api/v1/iam/roles?limit=3", admin)
	if got := testkit.SameTotal(t, "roles", pages); got != *total || pages[0].Limit != 3 {
		t.Fatalf("roles by 3: total_count %d, want %d; %+v", got, *total, pages)
	}
	var paged []string
	for _, r := range roles {
		paged = append(paged, r.Name)
	}
	if fmt.Sprint(paged) != fmt.Sprint(all) {
		t.Fatalf("paged %v, want %v", paged, all)
	}
}

func TestDomainErrors_NameTheInputFieldTheyAreAbout(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	cases := []struct {
		name, path string
		body       map[string]any
		status     int
		code       string
		field      string
	}{
		{"unknown role", "/api/v1/iam/users", map[string]any{"email": "f1@astra.test", "name": "F", "role": "root"}, 422, "IAM-005", "role"},
		{"built-in name for a custom role", "/api/v1/iam/roles", map[string]any{"name": "viewer", "permissions": []string{"risk:read"}}, 422, "IAM-005", "name"},
		{"expiry in the past", "/api/v1/iam/api-keys", map[string]any{"name": "k", "permissions": []string{"risk:read"}, "expires_at": "2001-01-01T00:00:00Z"}, 400, "VAL-001", "expires_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := in.Do(t, http.MethodPost, tc.path, admin, tc.body)
			assertProblem(t, r, tc.status, tc.code)
			var p struct {
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			r.JSON(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Fatalf("errors[] %+v, want the field %q: %s", p.Errors, tc.field, r.Body)
			}
		})
	}
}
