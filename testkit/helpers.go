package testkit

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Pagination is the meta.pagination block of a list answer.
type Pagination struct {
	Cursor         string `json:"cursor"`
	Limit          int    `json:"limit"`
	HasMore        bool   `json:"has_more"`
	TotalCount     *int64 `json:"total_count"`
	TotalEstimated bool   `json:"total_count_estimated"`
}

// Page decodes the meta.pagination block of a list answer.
func (r *Response) Page(t testing.TB) Pagination {
	t.Helper()
	var env struct {
		Meta struct {
			Pagination Pagination `json:"pagination"`
		} `json:"meta"`
	}
	r.JSON(t, &env)
	return env.Meta.Pagination
}

// ListPage is one page of a list answer: its items and its pagination.
type ListPage[T any] struct {
	Data []T `json:"data"`
	Meta struct {
		Pagination Pagination `json:"pagination"`
	} `json:"meta"`
}

// GetPage GETs one page of the list at path as token and fails the test
// unless the answer is 200.
func GetPage[T any](t testing.TB, in *Instance, path, token string, headers ...string) ListPage[T] {
	t.Helper()
	r := in.Do(t, http.MethodGet, path, token, nil, headers...)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, truncate(r.Body))
	}
	var p ListPage[T]
	r.JSON(t, &p)
	return p
}

// Walk GETs the list at path as token page after page, following the cursor,
// and returns every item with the pagination of each page in order. It fails
// the test on an answer other than 200, on a page larger than its limit, on a
// page that has more without a cursor or without items, on a last page that
// still carries a cursor, and when the pages do not end after a thousand.
// path may carry a query (limit, filters); Walk adds the cursor.
func Walk[T any](t testing.TB, in *Instance, path, token string, headers ...string) ([]T, []Pagination) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var items []T
	var pages []Pagination
	next := path
	for range 1000 {
		r := in.Do(t, http.MethodGet, next, token, nil, headers...)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.Status, truncate(r.Body))
		}
		var page []T
		r.Data(t, &page)
		p := r.Page(t)
		if p.Limit > 0 && len(page) > p.Limit {
			t.Fatalf("GET %s: a page of %d with limit %d", next, len(page), p.Limit)
		}
		items, pages = append(items, page...), append(pages, p)
		if !p.HasMore {
			if p.Cursor != "" {
				t.Fatalf("GET %s: the last page carries a cursor %q", next, p.Cursor)
			}
			return items, pages
		}
		if p.Cursor == "" || len(page) == 0 {
			t.Fatalf("GET %s: has_more without a cursor or items: %s", next, truncate(r.Body))
		}
		next = path + sep + "cursor=" + url.QueryEscape(p.Cursor)
	}
	t.Fatalf("GET %s: the pages do not end", path)
	return nil, nil
}

// SameTotal returns the total_count the pages carry and fails the test when a
// page has none or the pages disagree (the list changed between pages).
func SameTotal(t testing.TB, what string, pages []Pagination) int64 {
	t.Helper()
	var total *int64
	for i, p := range pages {
		if p.TotalCount == nil {
			t.Fatalf("%s: page %d has no total_count", what, i+1)
		}
		if total != nil && *total != *p.TotalCount {
			t.Fatalf("%s: total_count changed between pages: %d then %d", what, *total, *p.TotalCount)
		}
		total = p.TotalCount
	}
	if total == nil {
		t.Fatalf("%s: no pages", what)
	}
	return *total
}

// Principal is who a token acts as, as GET /auth/me answers it.
type Principal struct {
	ID           string   `json:"id"`
	Kind         string   `json:"kind"`
	Role         string   `json:"role"`
	TenantID     string   `json:"tenant_id"`
	ActingTenant string   `json:"acting_tenant_id"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Permissions  []string `json:"permissions"`
}

// Me reads the principal of token (GET /auth/me) and fails the test unless
// the answer is 200.
func (in *Instance) Me(t testing.TB, token string) Principal {
	t.Helper()
	r := in.Do(t, http.MethodGet, "/api/v1/auth/me", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /auth/me: %d %s", r.Status, truncate(r.Body))
	}
	var p Principal
	r.Data(t, &p)
	return p
}

// UserPassword is the password of every user NewUser creates.
const UserPassword = "a-long-enough-password"

// User is the API's representation of a user.
type User struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Status   string `json:"status"`
	Version  int64  `json:"version"`
}

// NewUser creates a user named "User <email>" with a built-in role and the
// password UserPassword, as the token's principal (headers are name, value
// pairs, e.g. X-Tenant-ID), and fails the test unless the answer is 201.
func (in *Instance) NewUser(t testing.TB, token, email, role string, headers ...string) User {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/iam/users", token,
		map[string]string{"email": email, "name": "User " + email, "role": role, "password": UserPassword}, headers...)
	if r.Status != http.StatusCreated {
		t.Fatalf("create user %s: %d %s", email, r.Status, truncate(r.Body))
	}
	var u User
	r.Data(t, &u)
	return u
}

// SignIn creates a user with NewUser and returns the user and their access token.
func (in *Instance) SignIn(t testing.TB, token, email, role string) (User, string) {
	t.Helper()
	u := in.NewUser(t, token, email, role)
	return u, in.Login(t, email, UserPassword)
}

// RequireTool skips when a command is missing, except under CI=true where a
// test that needs it fails.
func RequireTool(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI=true: %v", n, err)
			}
			t.Skipf("%s not installed: %v", n, err)
		}
	}
}

// ModuleRoot is the directory holding go.mod, found from the test's directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no module root above the test's directory")
		}
		dir = parent
	}
}

// Multipart is a multipart/form-data body with fields and one file part
// named field, and its Content-Type.
func Multipart(t testing.TB, field, filename string, content []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, w.FormDataContentType()
}

// NodeProject is the Node project at dir (relative to the module root) with
// its dependencies installed from its committed lock file: `npm ci` runs
// only when node_modules lacks installed (a path inside node_modules).
func NodeProject(t testing.TB, dir, installed string) string {
	t.Helper()
	root := filepath.Join(ModuleRoot(t), dir)
	if _, err := os.Stat(filepath.Join(root, "node_modules", installed)); err == nil {
		return root
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	npm := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	npm.Dir = root
	if out, err := npm.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", root, err, out)
	}
	return root
}

// Join starts another instance on in's database and broker (a cluster of
// two, as several `astra serve` behind a load balancer).
func (in *Instance) Join(t testing.TB) *Instance {
	t.Helper()
	cfg := Config(t)
	cfg.DatabaseURL, cfg.KafkaBrokers = in.Cfg.DatabaseURL, []string{in.BrokerAddr()}
	return Start(t, &cfg)
}

// MultipartBody is Multipart's body as bytes, with fields first in the
// arguments (the Data Governance tests' order).
func MultipartBody(t testing.TB, fields map[string]string, fileField, filename string, content []byte) ([]byte, string) {
	t.Helper()
	b, ct := Multipart(t, fileField, filename, content, fields)
	return b.Bytes(), ct
}
