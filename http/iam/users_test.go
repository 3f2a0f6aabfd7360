package iam_test

import (
	"net/http"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

func TestUsers_CreateReadUpdate(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{
		"email": "Ada@Example.com", "name": "Ada", "role": "viewer", "password": "a-long-enough-password"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var u struct {
		ID      string `json:"id"`
		Email   string `json:"email"`
		Version int64  `json:"version"`
	}
	r.Data(t, &u)
	if u.Email != "ada@example.com" || u.Version != 1 {
		t.Fatalf("created user = %+v", u)
	}
	got := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+u.ID, admin, nil)
	if got.Status != http.StatusOK || got.Header.Get("ETag") != `"1"` {
		t.Fatalf("read: %d etag %q", got.Status, got.Header.Get("ETag"))
	}
	upd := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{"name": "Ada L."}, "If-Match", `"1"`)
	if upd.Status != http.StatusOK {
		t.Fatalf("update: %d %s", upd.Status, upd.Body)
	}
	stale := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{"name": "Ada B."}, "If-Match", `"1"`)
	if stale.Status != http.StatusPreconditionFailed || stale.Problem(t).ErrorCode != "CON-001" {
		t.Fatalf("stale update: %d %s", stale.Status, stale.Body)
	}
}
