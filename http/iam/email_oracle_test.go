package iam_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// TestCreateUser_DoesNotRevealAddressesOfOtherTenants: addresses are unique
// installation-wide (sign-in needs no tenant), but creating a user whose
// address belongs to another tenant answers exactly like creating one with a
// fresh address — 201, the same fields — and creates nothing; a duplicate
// within the tenant is still 409.
func TestCreateUser_DoesNotRevealAddressesOfOtherTenants(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, adminB := in.NewTenant(t, admin, "Other")
	existing := createUser(t, in, admin, "taken@oracle.test", "viewer")

	shape := func(r *testkit.Response) string {
		var m map[string]any
		r.Data(t, &m)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, ",")
	}
	for _, password := range []string{password, ""} {
		body := func(email string) map[string]string {
			b := map[string]string{"email": email, "name": "X", "role": "viewer"}
			if password != "" {
				b["password"] = password
			}
			return b
		}
		fresh := in.Do(t, http.MethodPost, "/api/v1/iam/users", adminB, body("fresh-"+map[bool]string{true: "pw", false: "inv"}[password != ""]+"@oracle.test"))
		taken := in.Do(t, http.MethodPost, "/api/v1/iam/users", adminB, body("taken@oracle.test"))
		if fresh.Status != http.StatusCreated || taken.Status != fresh.Status {
			t.Fatalf("fresh address %d, address of another tenant %d: %s", fresh.Status, taken.Status, taken.Body)
		}
		if shape(fresh) != shape(taken) {
			t.Fatalf("answers differ in shape: %s vs %s", fresh.Body, taken.Body)
		}
		for _, h := range []string{"Location", "ETag", "X-Astra-Consistency"} {
			if (fresh.Header.Get(h) == "") != (taken.Header.Get(h) == "") {
				t.Fatalf("header %s differs: %q vs %q", h, fresh.Header.Get(h), taken.Header.Get(h))
			}
		}
	}
	users, _ := listUsers(t, in, adminB)
	for _, u := range users {
		if u.Email == "taken@oracle.test" {
			t.Fatal("tenant Other got a user with the other tenant's address")
		}
	}
	if u := getUser(t, in, admin, existing.ID); u.Email != "taken@oracle.test" || u.TenantID != existing.TenantID || u.Version != 1 {
		t.Fatalf("the existing user changed: %+v", u)
	}
	r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": "taken@oracle.test", "name": "X", "role": "viewer", "password": password})
	assertProblem(t, r, http.StatusConflict, "IAM-002")
}
