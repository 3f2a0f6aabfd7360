package aegis_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/aegis"

func user(t *testing.T, in *testkit.Instance, admin, email, role string) string {
	t.Helper()
	if r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": email, "name": role, "role": role, "password": "user-password-123"}); r.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", role, r.Status, r.Body)
	}
	return in.Login(t, email, "user-password-123")
}

func wantStatus(t testing.TB, r *testkit.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

func wantProblem(t *testing.T, r *testkit.Response, status int, code string) testkit.Problem {
	t.Helper()
	wantStatus(t, r, status)
	p := r.Problem(t)
	if p.ErrorCode != code {
		t.Fatalf("problem %+v, want %s", p, code)
	}
	return p
}

type agent struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Owner        string   `json:"owner"`
	Model        string   `json:"model"`
	Status       string   `json:"status"`
	StatusReason string   `json:"status_reason"`
	APIKeyIDs    []string `json:"api_key_ids"`
	Actions      int64    `json:"actions"`
	Version      int64    `json:"version"`
}

// register registers an agent with the given keys and returns it.
func register(t testing.TB, in *testkit.Instance, token, name string, keys ...string) agent {
	t.Helper()
	r := in.Do(t, http.MethodPost, api+"/agents", token, map[string]any{"name": name, "owner": "secops", "model": "mock-small", "api_key_ids": append([]string{}, keys...)})
	wantStatus(t, r, http.StatusCreated)
	var a agent
	r.Data(t, &a)
	return a
}

func chat(t *testing.T, in *testkit.Instance, token, content string) *testkit.Response {
	t.Helper()
	return in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", token, map[string]any{"provider": "mock", "model": "mock-small",
		"messages": []map[string]string{{"role": "user", "content": content}}})
}

// within polls ok until it holds, failing after timeout.
func within(t *testing.T, timeout time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}
