package compliance_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// TestCompliance_LargeUploadsTakeAnIdempotencyKey: an upload larger than the
// server's body limit (ASTRA_BODY_LIMIT, 1 MiB) is accepted up to the
// route's own limit with an Idempotency-Key, and a retry with the same key
// answers the first result and records nothing more.
func TestCompliance_LargeUploadsTakeAnIdempotencyKey(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	content := bytes.Repeat([]byte("evidence "), 400_000) // 3.6 MB
	body, ct := multipartBody(t, "file", "big.log", content, map[string]string{"name": "big log"})
	var first, again struct {
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
	}
	r := in.Do(t, http.MethodPost, api+"/evidence", admin, body.Bytes(), "Content-Type", ct, "Idempotency-Key", "upload-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("upload with Idempotency-Key: %d %.300s", r.Status, r.Body)
	}
	r.Data(t, &first)
	sum := sha256.Sum256(content)
	if first.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored hash %s", first.SHA256)
	}
	r = in.Do(t, http.MethodPost, api+"/evidence", admin, body.Bytes(), "Content-Type", ct, "Idempotency-Key", "upload-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("retry: %d %.300s", r.Status, r.Body)
	}
	if r.Data(t, &again); again.ID != first.ID {
		t.Fatalf("retry recorded another evidence: %s, first %s", again.ID, first.ID)
	}
	var list []struct {
		ID string `json:"id"`
	}
	in.Do(t, http.MethodGet, api+"/evidence", admin, nil).Data(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d evidence items after a retried upload, want 1", len(list))
	}
	// The same key with another body is refused.
	other, ct2 := multipartBody(t, "file", "other.log", content[:2<<20], map[string]string{"name": "other"})
	if r := in.Do(t, http.MethodPost, api+"/evidence", admin, other.Bytes(), "Content-Type", ct2, "Idempotency-Key", "upload-1"); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CON-005" {
		t.Fatalf("key reused with another body: %d %.300s", r.Status, r.Body)
	}
}
