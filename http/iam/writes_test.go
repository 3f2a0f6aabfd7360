package iam_test

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// TestUserWrites covers the write path of users through HTTP on one instance:
// concurrency, optimistic locking with If-Match and Idempotency-Key replays.
func TestUserWrites(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	t.Run("ConcurrentCreationsAllSucceedAndAreReadableByTheirWriter", func(t *testing.T) {
		const n = 200
		roles := []string{"viewer", "developer", "auditor", "security_admin", "compliance_officer", "risk_manager", "platform_admin"}
		before, _ := listUsers(t, in, admin)
		created := make([]testkit.User, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := uniqueEmail("concurrent", i)
				role := roles[i%len(roles)]
				r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin,
					map[string]string{"email": email, "name": "User " + strconv.Itoa(i), "role": role, "password": password})
				if r.Status != http.StatusCreated {
					t.Errorf("create %d: %d %s", i, r.Status, r.Body)
					return
				}
				if c := r.Header.Get("X-Astra-Consistency"); c != "strong" {
					t.Errorf("create %d: X-Astra-Consistency %q, want strong", i, c)
				}
				var u testkit.User
				r.Data(t, &u)
				if u.Email != email || u.Role != role || u.Version != 1 || u.Status != "active" {
					t.Errorf("create %d: answered %+v", i, u)
				}
				if r.Header.Get("ETag") != `"1"` || r.Header.Get("Location") != "/api/v1/iam/users/"+u.ID {
					t.Errorf("create %d: ETag %q Location %q", i, r.Header.Get("ETag"), r.Header.Get("Location"))
				}
				created[i] = u
				// Read-your-writes: the writer sees its user at once.
				g := in.Do(t, http.MethodGet, "/api/v1/iam/users/"+u.ID, admin, nil)
				if g.Status != http.StatusOK {
					t.Errorf("read own write %d: %d %s", i, g.Status, g.Body)
					return
				}
				var got testkit.User
				g.Data(t, &got)
				if got.ID != u.ID || got.Version != u.Version || got.Email != email || got.Role != role {
					t.Errorf("read own write %d: got %+v, created %+v", i, got, u)
				}
				if g.Header.Get("ETag") != `"1"` {
					t.Errorf("read own write %d: ETag %q", i, g.Header.Get("ETag"))
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		all, total := listUsers(t, in, admin)
		if total != int64(len(before)+n) || len(all) != len(before)+n {
			t.Fatalf("list: total_count %d, %d items; want %d", total, len(all), len(before)+n)
		}
		seen := map[string]int{}
		for _, u := range all {
			seen[u.ID]++
		}
		for _, u := range created {
			if seen[u.ID] != 1 {
				t.Errorf("user %s (%s) listed %d times", u.ID, u.Email, seen[u.ID])
			}
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("user %s listed %d times", id, c)
			}
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].ID >= all[i].ID {
				t.Fatalf("list is not in id order at %d: %s then %s", i, all[i-1].ID, all[i].ID)
			}
		}
	})

	t.Run("StaleIfMatchIsRejectedAndChangesNothing", func(t *testing.T) {
		u := in.NewUser(t, admin, "ifmatch@astra.test", "viewer")
		upd := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{"name": "Renamed"}, "If-Match", `"1"`)
		if upd.Status != http.StatusOK || upd.Header.Get("ETag") != `"2"` {
			t.Fatalf("update: %d etag %q %s", upd.Status, upd.Header.Get("ETag"), upd.Body)
		}
		updatedBefore := len(ofType(auditEvents(t, in, admin, "subject="+u.ID), "com.astra.iam.UserUpdated"))
		if updatedBefore != 1 {
			t.Fatalf("UserUpdated events before the stale write: %d, want 1", updatedBefore)
		}
		for _, tc := range []struct {
			method string
			body   any
		}{
			{http.MethodPatch, map[string]string{"name": "Stale rename"}},
			{http.MethodPatch, map[string]string{"role": "auditor"}},
			{http.MethodDelete, nil},
		} {
			for _, ifMatch := range []string{`"1"`, `W/"1"`, `1`, `"3"`} {
				r := in.Do(t, tc.method, "/api/v1/iam/users/"+u.ID, admin, tc.body, "If-Match", ifMatch)
				assertProblem(t, r, http.StatusPreconditionFailed, "CON-001")
			}
		}
		got := getUser(t, in, admin, u.ID)
		if got.Version != 2 || got.Name != "Renamed" || got.Role != "viewer" || got.Status != "active" {
			t.Fatalf("after stale writes the user is %+v", got)
		}
		evs := auditEvents(t, in, admin, "subject="+u.ID)
		if n := len(ofType(evs, "com.astra.iam.UserUpdated")); n != 1 {
			t.Fatalf("UserUpdated events after the stale writes: %d, want 1", n)
		}
		if n := len(ofType(evs, "com.astra.iam.UserDeactivated")); n != 0 {
			t.Fatalf("UserDeactivated events after a stale delete: %d", n)
		}
	})

	t.Run("ConcurrentUpdatesWithoutIfMatchAllApply", func(t *testing.T) {
		u := in.NewUser(t, admin, "racy@astra.test", "viewer")
		const n = 8 // each writer loses at most n-1 races, within the retry bound
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// No If-Match: the client asked for no precondition, so losing a
				// race to another writer must not answer 412.
				r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{"name": "Racy " + strconv.Itoa(i)})
				if r.Status != http.StatusOK {
					t.Errorf("update %d: %d %s", i, r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		if got := getUser(t, in, admin, u.ID); got.Version != n+1 {
			t.Fatalf("after %d updates the user is at version %d", n, got.Version)
		}
	})

	t.Run("EmptyPatchChangesNothing", func(t *testing.T) {
		u := in.NewUser(t, admin, "emptypatch@astra.test", "viewer")
		r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{}, "If-Match", `"1"`)
		if r.Status != http.StatusOK {
			t.Fatalf("empty patch: %d %s", r.Status, r.Body)
		}
		assertProblem(t, in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{}, "If-Match", `"2"`),
			http.StatusPreconditionFailed, "CON-001")
		if got := getUser(t, in, admin, u.ID); got.Version != 1 {
			t.Fatalf("an empty patch moved the user to version %d", got.Version)
		}
		if n := len(auditEvents(t, in, admin, "type=com.astra.iam.UserUpdated&subject="+u.ID)); n != 0 {
			t.Fatalf("an empty patch recorded %d UserUpdated events", n)
		}
	})

	t.Run("MalformedIfMatchIsRejected", func(t *testing.T) {
		u := in.NewUser(t, admin, "badifmatch@astra.test", "viewer")
		for _, h := range []string{`"abc"`, `"0"`, `"-1"`, `"1.5"`, `"1", "2"`, `"99999999999999999999"`} {
			r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, admin, map[string]string{"name": "X"}, "If-Match", h)
			assertProblem(t, r, http.StatusBadRequest, "")
			d := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+u.ID, admin, nil, "If-Match", h)
			assertProblem(t, d, http.StatusBadRequest, "")
		}
		if got := getUser(t, in, admin, u.ID); got.Version != 1 || got.Status != "active" {
			t.Fatalf("after malformed If-Match the user is %+v", got)
		}
	})

	t.Run("RetriedPostWithTheSameIdempotencyKeyCreatesOneUser", func(t *testing.T) {
		body := map[string]string{"email": "idem@astra.test", "name": "Idem", "role": "developer", "password": password}
		_, totalBefore := listUsers(t, in, admin)
		first := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, body, "Idempotency-Key", "key-sequential")
		if first.Status != http.StatusCreated || first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("first: %d replayed=%q %s", first.Status, first.Header.Get("Idempotent-Replayed"), first.Body)
		}
		var u testkit.User
		first.Data(t, &u)
		for i := range 3 {
			again := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, body, "Idempotency-Key", "key-sequential")
			if again.Status != first.Status || !bytes.Equal(again.Body, first.Body) {
				t.Fatalf("retry %d: %d %s; first answer %d %s", i, again.Status, again.Body, first.Status, first.Body)
			}
			if again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry %d: Idempotent-Replayed %q", i, again.Header.Get("Idempotent-Replayed"))
			}
		}
		// The same key with another body is a client bug, not a retry.
		other := map[string]string{"email": "idem-other@astra.test", "name": "Other", "role": "developer", "password": password}
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, other, "Idempotency-Key", "key-sequential"),
			http.StatusUnprocessableEntity, "CON-005")
		_, totalAfter := listUsers(t, in, admin)
		if totalAfter != totalBefore+1 {
			t.Fatalf("users: %d before, %d after; want exactly one more", totalBefore, totalAfter)
		}
		if n := len(auditEvents(t, in, admin, "type=com.astra.iam.UserCreated&subject="+u.ID)); n != 1 {
			t.Fatalf("UserCreated events for %s: %d", u.ID, n)
		}
		r := in.Do(t, http.MethodGet, "/api/v1/iam/users?email=idem-other@astra.test", admin, nil)
		var others []testkit.User
		r.Data(t, &others)
		if len(others) != 0 {
			t.Fatalf("the refused request created %+v", others)
		}
	})

	t.Run("ConcurrentRetriesWithTheSameIdempotencyKeyCreateOneUser", func(t *testing.T) {
		body := map[string]string{"email": "idem-concurrent@astra.test", "name": "Idem C", "role": "auditor", "password": password}
		createdBefore := len(auditEvents(t, in, admin, "type=com.astra.iam.UserCreated"))
		_, totalBefore := listUsers(t, in, admin)
		const n = 5
		answers := make([]*testkit.Response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[i] = in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, body, "Idempotency-Key", "key-concurrent")
			}()
		}
		wg.Wait()
		var original *testkit.Response
		for i, a := range answers {
			switch {
			case a.Status == http.StatusCreated && a.Header.Get("Idempotent-Replayed") == "":
				if original != nil {
					t.Fatalf("two answers %d were not replays:\n%s\n%s", i, original.Body, a.Body)
				}
				original = a
			case a.Status == http.StatusCreated:
			case a.Status == http.StatusConflict:
				// The first request was still running: the documented answer is CON-004.
				assertProblem(t, a, http.StatusConflict, "CON-004")
			default:
				t.Fatalf("answer %d: %d %s", i, a.Status, a.Body)
			}
		}
		if original == nil {
			t.Fatal("no answer created the user")
		}
		for i, a := range answers {
			if a.Status == http.StatusCreated && !bytes.Equal(a.Body, original.Body) {
				t.Fatalf("replayed answer %d differs:\n%s\n%s", i, a.Body, original.Body)
			}
		}
		// Once the first finished, every retry replays it.
		again := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, body, "Idempotency-Key", "key-concurrent")
		if again.Status != http.StatusCreated || !bytes.Equal(again.Body, original.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("late retry: %d %q %s", again.Status, again.Header.Get("Idempotent-Replayed"), again.Body)
		}
		_, totalAfter := listUsers(t, in, admin)
		if totalAfter != totalBefore+1 {
			t.Fatalf("users: %d before, %d after; want exactly one more", totalBefore, totalAfter)
		}
		if got := len(auditEvents(t, in, admin, "type=com.astra.iam.UserCreated")) - createdBefore; got != 1 {
			t.Fatalf("UserCreated events appended: %d, want 1", got)
		}
	})

	t.Run("IdempotencyKeysAreScopedToTheCaller", func(t *testing.T) {
		_, tenantAdmin := in.NewTenant(t, admin, "IdemScope")
		body := map[string]string{"email": "scoped@astra.test", "name": "Scoped", "role": "viewer", "password": password}
		a := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, body, "Idempotency-Key", "shared-key")
		if a.Status != http.StatusCreated {
			t.Fatalf("A: %d %s", a.Status, a.Body)
		}
		// Another tenant using the same key gets its own answer, not A's user.
		body["email"] = "scoped-b@astra.test"
		b := in.Do(t, http.MethodPost, "/api/v1/iam/users", tenantAdmin, body, "Idempotency-Key", "shared-key")
		if b.Status != http.StatusCreated || b.Header.Get("Idempotent-Replayed") != "" || bytes.Equal(a.Body, b.Body) {
			t.Fatalf("B with A's key: %d replayed=%q %s", b.Status, b.Header.Get("Idempotent-Replayed"), b.Body)
		}
	})
}
