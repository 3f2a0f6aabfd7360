package iam_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// storedAnswer reads what the idempotency table keeps for key.
func storedAnswer(t *testing.T, in *testkit.Instance, key string) (answer, requestHash []byte) {
	t.Helper()
	err := in.Running.Stack.Pool.QueryRow(context.Background(), `SELECT coalesce(response, ''::bytea), request_hash FROM idempotency_keys WHERE key = $1`, key).
		Scan(&answer, &requestHash)
	if err != nil {
		t.Fatalf("idempotency record %s: %v", key, err)
	}
	return answer, requestHash
}

// TestIdempotencyKey_NeverStoresASecret: every answer that shows a secret once
// (API key create and rotate, MFA enrolment, invitations) is kept for retries
// without it; the retry answers the same status and record, the secret null
// and secret_redacted true.
func TestIdempotencyKey_NeverStoresASecret(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	in.NewUser(t, admin, "enrol@secrets.test", "viewer")
	enrolling := in.Login(t, "enrol@secrets.test", password)

	var keyID string
	for _, tc := range []struct {
		name, token, method string
		path                func() string
		body                any
		status              int
		secrets             []string
	}{
		{"API key create", admin, http.MethodPost, func() string { return "/api/v1/iam/api-keys" },
			map[string]any{"name": "ci", "permissions": []string{"iam:read"}}, http.StatusCreated, []string{"key"}},
		{"API key rotate", admin, http.MethodPost, func() string { return "/api/v1/iam/api-keys/" + keyID + "/rotate" },
			nil, http.StatusOK, []string{"key"}},
		{"MFA enrolment", enrolling, http.MethodPost, func() string { return "/api/v1/auth/mfa/enroll" },
			nil, http.StatusOK, []string{"secret", "otpauth_url"}},
		{"user invitation", admin, http.MethodPost, func() string { return "/api/v1/iam/users" },
			map[string]string{"email": "invited@secrets.test", "name": "I", "role": "viewer"}, http.StatusCreated, []string{"invitation_token"}},
		{"tenant with an invited admin", admin, http.MethodPost, func() string { return "/api/v1/iam/tenants" },
			map[string]any{"name": "Secrets", "admin": map[string]string{"email": "first@secrets-tenant.test"}}, http.StatusCreated, []string{"invitation_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idem := "idem-" + tc.name
			first := in.Do(t, tc.method, tc.path(), tc.token, tc.body, "Idempotency-Key", idem)
			if first.Status != tc.status {
				t.Fatalf("first: %d %s", first.Status, first.Body)
			}
			var shown map[string]any
			first.Data(t, &shown)
			record, _ := storedAnswer(t, in, idem)
			var kept struct {
				Body []byte `json:"body"`
			}
			if err := json.Unmarshal(record, &kept); err != nil {
				t.Fatalf("stored answer: %v", err)
			}
			stored := append(record, kept.Body...) // the record as kept, and the answer body it encodes
			for _, f := range tc.secrets {
				secret, _ := shown[f].(string)
				if len(secret) < 16 {
					t.Fatalf("first answer shows no %s: %s", f, first.Body)
				}
				if bytes.Contains(stored, []byte(secret)) {
					t.Fatalf("the idempotency table holds the %s in plaintext: %s", f, stored)
				}
			}
			if k, ok := shown["api_key"].(map[string]any); ok && keyID == "" {
				keyID, _ = k["id"].(string)
			}
			retry := in.Do(t, tc.method, tc.path(), tc.token, tc.body, "Idempotency-Key", idem)
			if retry.Status != tc.status || retry.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry: %d replayed=%q %s", retry.Status, retry.Header.Get("Idempotent-Replayed"), retry.Body)
			}
			var again map[string]any
			retry.Data(t, &again)
			for _, f := range tc.secrets {
				if v, present := again[f]; !present || v != nil {
					t.Fatalf("retry shows %s = %v: %s", f, v, retry.Body)
				}
			}
			if again["secret_redacted"] != true {
				t.Fatalf("retry not marked secret_redacted: %s", retry.Body)
			}
			for _, id := range []string{"id", "admin_id"} {
				if shown[id] != again[id] {
					t.Fatalf("retry answers another record: %v vs %v", shown[id], again[id])
				}
			}
		})
	}

	t.Run("a password in the body is not kept as a fast hash", func(t *testing.T) {
		body := map[string]string{"email": "hashed@secrets.test", "name": "H", "role": "viewer", "password": password}
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, body, "Idempotency-Key", "idem-hash"); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		_, stored := storedAnswer(t, in, "idem-hash")
		raw, _ := json.Marshal(body)
		plain := sha256.Sum256(append([]byte("POST /api/v1/iam/users\n"), raw...))
		if bytes.Equal(stored, plain[:]) {
			t.Fatal("the request hash is an unkeyed SHA-256 of a body holding a password")
		}
	})
}
