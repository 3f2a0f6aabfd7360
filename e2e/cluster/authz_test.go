package cluster

import (
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestCluster_SecurityChangesReachEveryInstanceWithinOneSecond runs two
// instances on one database and one broker. A demotion, a deactivation and a
// key revocation made on A take effect on A before A answers, and on B within
// one second, for API keys, access tokens and open live streams.
func TestCluster_SecurityChangesReachEveryInstanceWithinOneSecond(t *testing.T) {
	a, b := pair(t)

	admin := a.AdminToken(t)
	const password = "cluster-authz-password"
	r := a.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{
		"email": "sec@cluster.test", "name": "Sec", "role": "security_admin", "password": password})
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	var sec struct {
		ID string `json:"id"`
	}
	r.Data(t, &sec)
	token := a.Login(t, "sec@cluster.test", password)
	newKey := func(perms ...string) (string, string) { return a.NewAPIKey(t, token, "app", perms...) }
	key, _ := newKey("iam:read", "gateway:read")
	doomed, doomedID := newKey("gateway:read")
	status := func(in *testkit.Instance, cred, path string) int {
		return in.DoRaw(t, http.MethodGet, path, cred, nil).Status
	}
	// Both instances have served every credential (their caches are warm).
	for _, in := range []*testkit.Instance{a, b} {
		for _, cred := range []string{key, token} {
			if s := status(in, cred, "/api/v1/iam/users"); s != http.StatusOK {
				t.Fatalf("warm up: %d", s)
			}
		}
		if s := status(in, doomed, "/api/v1/gateway/providers"); s != http.StatusOK {
			t.Fatalf("warm up doomed key: %d", s)
		}
	}
	streamB := b.DialWS(t, token)
	streamB.Subscribe("", "iam.*", "gateway.*")

	{ // demotion
		start := time.Now()
		if r := a.Do(t, http.MethodPatch, "/api/v1/iam/users/"+sec.ID, admin, map[string]string{"role": "viewer"}); r.Status != http.StatusOK {
			t.Fatalf("demote: %d %s", r.Status, r.Body)
		}
		// A: the very next request.
		if s := status(a, key, "/api/v1/iam/users"); s != http.StatusForbidden {
			t.Fatalf("key on A right after the demotion: %d", s)
		}
		if s := status(a, token, "/api/v1/iam/users"); s != http.StatusForbidden {
			t.Fatalf("token on A right after the demotion: %d", s)
		}
		// B: within a second.
		withinASecond(t, "key refused on B", start, func() bool { return status(b, key, "/api/v1/iam/users") == http.StatusForbidden })
		withinASecond(t, "token refused on B", start, func() bool { return status(b, token, "/api/v1/iam/users") == http.StatusForbidden })
		withinASecond(t, "B's stream unsubscribed from iam.*", start, func() bool {
			m := streamB.Next(time.Second)
			return m["type"] == "unsubscribed"
		})
	}
	{ // revocation
		start := time.Now()
		if r := a.Do(t, http.MethodDelete, "/api/v1/iam/api-keys/"+doomedID, token, nil); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if s := status(a, doomed, "/api/v1/gateway/providers"); s != http.StatusUnauthorized {
			t.Fatalf("revoked key on A: %d", s)
		}
		withinASecond(t, "revoked key refused on B", start, func() bool { return status(b, doomed, "/api/v1/gateway/providers") == http.StatusUnauthorized })
	}
	{ // deactivation
		start := time.Now()
		if r := a.Do(t, http.MethodDelete, "/api/v1/iam/users/"+sec.ID, admin, nil); r.Status >= 300 {
			t.Fatalf("deactivate: %d %s", r.Status, r.Body)
		}
		if s := status(a, key, "/api/v1/gateway/providers"); s != http.StatusUnauthorized {
			t.Fatalf("key of a deactivated owner on A: %d", s)
		}
		withinASecond(t, "key of a deactivated owner refused on B", start, func() bool {
			return status(b, key, "/api/v1/gateway/providers") == http.StatusUnauthorized
		})
		if code := streamB.Closed(time.Second); code != 4401 {
			t.Fatalf("B's stream of the deactivated user closed with %d", code)
		}
	}
}
