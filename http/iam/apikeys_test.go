package iam_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

func TestAPIKeys_WorkLikeTokensUntilRevokedOrRotated(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", admin, map[string]any{"name": "ci", "permissions": []string{"iam:read"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var issued struct {
		Key    string `json:"key"`
		APIKey struct {
			ID     string `json:"id"`
			Prefix string `json:"prefix"`
		} `json:"api_key"`
	}
	r.Data(t, &issued)
	if len(issued.Key) < 50 || issued.Key[:8] != "ab_live_" {
		t.Fatalf("key %q", issued.Key)
	}
	// Works as a bearer token and as X-API-Key, with exactly its permissions.
	if r := in.Do(t, http.MethodGet, "/api/v1/iam/users", issued.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("bearer: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/iam/users", "", nil, "X-API-Key", issued.Key); r.Status != http.StatusOK {
		t.Fatalf("x-api-key: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/iam/users", issued.Key, map[string]string{"email": "k@x.test", "name": "k", "role": "viewer"}); r.Status != http.StatusForbidden {
		t.Fatalf("write with read key: %d", r.Status)
	}
	// Only the hash is stored: the key never appears in the ledger or in reads.
	if g := in.Do(t, http.MethodGet, "/api/v1/iam/api-keys/"+issued.APIKey.ID, admin, nil); string(g.Body) == "" || bytes.Contains(g.Body, []byte(issued.Key)) {
		t.Fatal("key readable after creation")
	}
	var n int
	if err := in.Running.Stack.Pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE position(convert_to($1, 'UTF8') in data) > 0`, issued.Key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("key in ledger: %d %v", n, err)
	}
	// Works on the live stream too.
	ws := in.DialWS(t, issued.Key)
	ws.Subscribe("", "iam.*")

	// Rotation: the old secret stops at once, the new one works.
	rot := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys/"+issued.APIKey.ID+"/rotate", admin, nil)
	var rotated struct {
		Key string `json:"key"`
	}
	rot.Data(t, &rotated)
	if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", issued.Key, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("old secret after rotate: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", rotated.Key, nil); r.Status != http.StatusOK {
		t.Fatalf("new secret: %d %s", r.Status, r.Body)
	}
	// Revocation: stops at once, closes its live streams.
	ws2 := in.DialWS(t, rotated.Key)
	ws2.Subscribe("", "iam.*")
	if r := in.Do(t, http.MethodDelete, "/api/v1/iam/api-keys/"+issued.APIKey.ID, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", rotated.Key, nil); r.Status != http.StatusUnauthorized || r.Problem(t).ErrorCode != "AUTH-002" {
		t.Fatalf("after revoke: %d", r.Status)
	}
	if code := ws2.Closed(5 * time.Second); code != 4401 {
		t.Fatalf("revoked key's stream closed with %d", code)
	}
	// Expired keys do not work; a key cannot exceed its creator's permissions.
	past := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", admin, map[string]any{"name": "old", "permissions": []string{"iam:read"}, "expires_at": time.Now().Add(-time.Hour)})
	if past.Status != http.StatusBadRequest {
		t.Fatalf("past expiry: %d %s", past.Status, past.Body)
	}
	// A tenant admin cannot mint a key with permissions they lack (platform_admin-only ones).
	_, tenantAdmin := in.NewTenant(t, admin, "Keys")
	if r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", tenantAdmin, map[string]any{"name": "x", "permissions": []string{"admin:admin"}}); r.Status != http.StatusForbidden {
		t.Fatalf("escalating key: %d %s", r.Status, r.Body)
	}
	// Another tenant cannot see or revoke the key.
	if r := in.Do(t, http.MethodGet, "/api/v1/iam/api-keys/"+issued.APIKey.ID, tenantAdmin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant read: %d", r.Status)
	}
}
