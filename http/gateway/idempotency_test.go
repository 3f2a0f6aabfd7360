package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// Every authenticated mutation accepts Idempotency-Key (the server applies it
// centrally): a retried rollback does not create another policy version.
func TestIdempotencyKey_CoversEveryMutation(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", admin, map[string]any{"name": "p1"})
	var pol struct {
		ID string `json:"id"`
	}
	r.Data(t, &pol)
	in.Do(t, http.MethodPatch, "/api/v1/gateway/policies/"+pol.ID, admin, map[string]any{"name": "p1", "log_content": "none"})
	first := in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+pol.ID+"/rollback", admin, map[string]int{"version": 1}, "Idempotency-Key", "rb-1")
	again := in.Do(t, http.MethodPost, "/api/v1/gateway/policies/"+pol.ID+"/rollback", admin, map[string]int{"version": 1}, "Idempotency-Key", "rb-1")
	if first.Status != http.StatusOK || again.Status != http.StatusOK || again.Header.Get("Idempotent-Replayed") != "true" || string(first.Body) != string(again.Body) {
		t.Fatalf("rollback retry: %d %d %q", first.Status, again.Status, again.Header.Get("Idempotent-Replayed"))
	}
	var versions []map[string]any
	in.Do(t, http.MethodGet, "/api/v1/gateway/policies/"+pol.ID+"/versions", admin, nil).Data(t, &versions)
	if len(versions) != 3 {
		t.Fatalf("%d versions after a retried rollback, want 3", len(versions))
	}
	// A kill switch activation retried with another body under the same key is refused.
	body := map[string]any{"scope": map[string]string{"kind": "model", "value": "m1"}, "reason": "incident"}
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", admin, body, "Idempotency-Key", "ks-1"); r.Status != http.StatusCreated {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	body["reason"] = "another incident"
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", admin, body, "Idempotency-Key", "ks-1"); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CON-005" {
		t.Fatalf("reused key: %d %s", r.Status, r.Body)
	}
	// The document says so for every mutation.
	for path, item := range in.Doc.Paths.Map() {
		for method, op := range item.Operations() {
			if method == http.MethodGet || op.Security == nil || len(*op.Security) == 0 {
				continue
			}
			found := false
			for _, p := range op.Parameters {
				found = found || (p.Value != nil && p.Value.Name == "Idempotency-Key")
			}
			if !found && !isRaw(path) {
				t.Errorf("%s %s does not document Idempotency-Key", method, path)
			}
		}
	}
}

// isRaw reports the routes in another protocol's shape: the drop-ins
// (OpenAI's and Anthropic's dialects) and OpenFeature's remote evaluation
// (OFREP POSTs evaluate; they change nothing), and the MCP firewall's inline
// proxy (JSON-RPC over Streamable HTTP, whose sessions and request ids are the
// protocol's own).
func isRaw(path string) bool {
	return strings.HasPrefix(path, "/api/v1/gateway/openai/") || strings.HasPrefix(path, "/api/v1/gateway/anthropic/") ||
		strings.HasPrefix(path, "/api/v1/ofrep/") || strings.HasPrefix(path, "/api/v1/aegis/mcp/proxy/")
}
