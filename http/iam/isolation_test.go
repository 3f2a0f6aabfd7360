package iam_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestTenantIsolation proves that a tenant's admin can neither read, list nor
// change another tenant's users, through the API, the audit trail or the live
// stream, while the platform admin may act in any tenant.
func TestTenantIsolation(t *testing.T) {
	in := testkit.Start(t, nil)
	adminA := in.AdminToken(t)
	me := in.Me(t, adminA)
	tenantA := me.TenantID
	tenantB, adminB := in.NewTenant(t, adminA, "TenantB")
	if tenantB == tenantA || tenantB == "" {
		t.Fatalf("tenant B id %q (A is %q)", tenantB, tenantA)
	}
	victim := in.NewUser(t, adminA, "victim@tenant-a.test", "developer")
	ownB := in.NewUser(t, adminB, "own@tenant-b.test", "viewer")

	t.Run("OtherTenantsUserIsNotFound", func(t *testing.T) {
		path := "/api/v1/iam/users/" + victim.ID
		assertProblem(t, in.Do(t, http.MethodGet, path, adminB, nil), http.StatusNotFound, "IAM-001")
		assertProblem(t, in.Do(t, http.MethodPatch, path, adminB, map[string]string{"name": "pwned"}), http.StatusNotFound, "IAM-001")
		// A stale or a right version must not turn the 404 into a 412 that confirms the user exists.
		assertProblem(t, in.Do(t, http.MethodPatch, path, adminB, map[string]string{"name": "pwned"}, "If-Match", `"7"`), http.StatusNotFound, "IAM-001")
		assertProblem(t, in.Do(t, http.MethodPatch, path, adminB, map[string]string{"role": "viewer"}, "If-Match", `"1"`), http.StatusNotFound, "IAM-001")
		assertProblem(t, in.Do(t, http.MethodDelete, path, adminB, nil), http.StatusNotFound, "IAM-001")
		assertProblem(t, in.Do(t, http.MethodDelete, path, adminB, nil, "If-Match", `"1"`), http.StatusNotFound, "IAM-001")
		got := getUser(t, in, adminA, victim.ID)
		if got.Version != 1 || got.Name != victim.Name || got.Status != "active" || got.Role != "developer" {
			t.Fatalf("A's user changed through B: %+v", got)
		}
		if evs := auditEvents(t, in, adminA, "subject="+victim.ID); len(evs) != 2 { // UserCreated + EmailClaimed
			t.Fatalf("events about A's user after B's attempts: %d", len(evs))
		}
	})

	t.Run("ListShowsOnlyTheOwnTenant", func(t *testing.T) {
		users, total := listUsers(t, in, adminB)
		if total != 2 || len(users) != 2 {
			t.Fatalf("B lists %d users (total %d), want its admin and one user: %+v", len(users), total, users)
		}
		for _, u := range users {
			if u.TenantID != tenantB || u.ID == victim.ID {
				t.Fatalf("B lists a foreign user %+v", u)
			}
		}
		r := in.Do(t, http.MethodGet, "/api/v1/iam/users?email=victim@tenant-a.test", adminB, nil)
		var found []testkit.User
		r.Data(t, &found)
		if len(found) != 0 {
			t.Fatalf("B finds A's user by e-mail: %+v", found)
		}
	})

	t.Run("ForeignXTenantIDIsForbidden", func(t *testing.T) {
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/iam/users", nil},
			{http.MethodGet, "/api/v1/iam/users/" + victim.ID, nil},
			{http.MethodPost, "/api/v1/iam/users", map[string]string{"email": "sneaky@tenant-b.test", "name": "S", "role": "viewer", "password": password}},
			{http.MethodPatch, "/api/v1/iam/users/" + victim.ID, map[string]string{"name": "pwned"}},
			{http.MethodDelete, "/api/v1/iam/users/" + victim.ID, nil},
			{http.MethodGet, "/api/v1/admin/audit/events", nil},
			{http.MethodGet, "/api/v1/auth/me", nil},
		} {
			r := in.Do(t, tc.method, tc.path, adminB, tc.body, "X-Tenant-ID", tenantA)
			assertProblem(t, r, http.StatusForbidden, "AUTH-005")
		}
		users, _ := listUsers(t, in, adminA)
		for _, u := range users {
			if u.Email == "sneaky@tenant-b.test" {
				t.Fatalf("a user was created in A through B's token: %+v", u)
			}
		}
	})

	t.Run("AuditTrailShowsOnlyTheOwnTenant", func(t *testing.T) {
		evs := auditEvents(t, in, adminB, "")
		if len(evs) == 0 {
			t.Fatal("B's audit trail is empty")
		}
		for _, e := range evs {
			if e.TenantID != tenantB {
				t.Fatalf("B's audit trail shows an event of tenant %q: %+v", e.TenantID, e)
			}
		}
		// Asking for every tenant is a platform-admin privilege.
		for _, e := range auditEvents(t, in, adminB, "all_tenants=true") {
			if e.TenantID != tenantB {
				t.Fatalf("B's all_tenants audit trail shows tenant %q: %+v", e.TenantID, e)
			}
		}
		// The platform admin created tenant B, so B's history has events by A's
		// admin; they must all be B's own.
		for _, e := range auditEvents(t, in, adminB, "actor="+me.ID) {
			if e.TenantID != tenantB {
				t.Fatalf("B's audit trail by actor shows tenant %q: %+v", e.TenantID, e)
			}
		}
		for _, q := range []string{"subject=" + victim.ID, "stream_id=iam.user-" + victim.ID} {
			if evs := auditEvents(t, in, adminB, q); len(evs) != 0 {
				t.Fatalf("B's audit trail with %s shows %d events of A", q, len(evs))
			}
			if evs := auditEvents(t, in, adminA, q); len(evs) == 0 {
				t.Fatalf("A's audit trail with %s is empty", q)
			}
		}
		r := in.DoRaw(t, http.MethodGet, "/api/v1/admin/audit/events/export?all_tenants=true", adminB, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("export: %d %s", r.Status, r.Body)
		}
		sc := bufio.NewScanner(bytes.NewReader(r.Body))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		lines := 0
		for sc.Scan() {
			var e auditEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("export line %q: %v", sc.Text(), err)
			}
			if e.TenantID != tenantB {
				t.Fatalf("B's export shows tenant %q: %s", e.TenantID, sc.Text())
			}
			lines++
		}
		if lines == 0 || bytes.Contains(r.Body, []byte("victim@tenant-a.test")) {
			t.Fatalf("B's export: %d lines, leaks A=%v", lines, bytes.Contains(r.Body, []byte("victim@tenant-a.test")))
		}
	})

	t.Run("LiveStreamShowsOnlyTheOwnTenant", func(t *testing.T) {
		subA := in.DialWS(t, adminA)
		subA.Subscribe("", "*")
		subB := in.DialWS(t, adminB)
		subB.Subscribe("", "*")
		u := in.NewUser(t, adminA, "streamed@tenant-a.test", "viewer")
		in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+u.ID, adminA, map[string]string{"name": "Streamed"}, "If-Match", `"1"`)
		// UserCreated, EmailClaimed (a stream of its own) and UserUpdated.
		subA.Await(10*time.Second, u.ID, "com.astra.iam.UserCreated", "com.astra.iam.EmailClaimed", "com.astra.iam.UserUpdated")
		if leaked := subB.Quiet(1500 * time.Millisecond); len(leaked) != 0 {
			t.Fatalf("B's subscriber received %d events of tenant A, first %v", len(leaked), leaked[0])
		}
		// Catching up from one of A's events is not a way into A's history.
		aEvent := auditEvents(t, in, adminA, "subject="+u.ID)[0]
		replay := in.DialWS(t, adminB)
		replay.Send(map[string]any{"type": "subscribe", "channels": []string{"*"}, "since": aEvent.ID})
		if m := replay.Next(5 * time.Second); m["type"] != "error" {
			t.Fatalf("B subscribing since A's event %s: %v", aEvent.ID, m)
		}
		if leaked := replay.Quiet(300 * time.Millisecond); len(leaked) != 0 {
			t.Fatalf("B's since replay delivered %d events of A", len(leaked))
		}
		// The platform admin may watch B's stream, and then sees B only.
		platformInB := in.DialWSRaw(t)
		platformInB.Send(map[string]any{"type": "authenticate", "token": adminA, "tenant_id": tenantB})
		if m := platformInB.Next(5 * time.Second); m["type"] != "authenticated" || m["tenant_id"] != tenantB {
			t.Fatalf("platform admin authenticating into B: %v", m)
		}
		platformInB.Subscribe("", "*")
		in.NewUser(t, adminA, "streamed-again@tenant-a.test", "viewer")
		bUser := in.NewUser(t, adminB, "streamed@tenant-b.test", "viewer")
		got := platformInB.Await(10*time.Second, bUser.ID, "com.astra.iam.UserCreated")
		if len(got) == 0 || got[len(got)-1]["subject"] != bUser.ID {
			t.Fatalf("platform admin in B did not receive B's write: %v", got)
		}
		for _, e := range append(got, platformInB.Quiet(300*time.Millisecond)...) {
			if e["tenantid"] != tenantB {
				t.Fatalf("platform admin in B received an event of %v", e["tenantid"])
			}
		}
		// Claiming A's tenant on the stream with B's token is refused.
		w := in.DialWSRaw(t)
		w.Send(map[string]any{"type": "authenticate", "token": adminB, "tenant_id": tenantA})
		if m := w.Next(5 * time.Second); m["type"] != "error" {
			t.Fatalf("B authenticating into A: %v", m)
		}
		if code := w.Closed(5 * time.Second); code != 4401 {
			t.Fatalf("close code %d, want 4401", code)
		}
	})

	t.Run("PlatformAdminActsInAnotherTenant", func(t *testing.T) {
		users, total := listUsers(t, in, adminA, "X-Tenant-ID", tenantB)
		if total < 2 {
			t.Fatalf("platform admin in B sees %d users", total)
		}
		ids := map[string]bool{}
		for _, u := range users {
			if u.TenantID != tenantB {
				t.Fatalf("platform admin in B lists %+v", u)
			}
			ids[u.ID] = true
		}
		if !ids[ownB.ID] {
			t.Fatalf("platform admin in B does not see B's user %s", ownB.ID)
		}
		got := getUser(t, in, adminA, ownB.ID, "X-Tenant-ID", tenantB)
		if got.ID != ownB.ID {
			t.Fatalf("platform admin reads %+v", got)
		}
		// Without the header the platform admin acts in its own tenant.
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/iam/users/"+ownB.ID, adminA, nil), http.StatusNotFound, "IAM-001")
		// A write in B is recorded in B, with the platform admin as actor.
		created := in.NewUser(t, adminA, "by-platform@tenant-b.test", "viewer", "X-Tenant-ID", tenantB)
		if created.TenantID != tenantB {
			t.Fatalf("created in tenant %q, want B", created.TenantID)
		}
		evs := auditEvents(t, in, adminB, "subject="+created.ID+"&type=com.astra.iam.UserCreated")
		if len(evs) != 1 || evs[0].TenantID != tenantB || evs[0].Actor != me.ID {
			t.Fatalf("B's audit of the platform admin's write: %+v", evs)
		}
		if !strings.HasPrefix(evs[0].PartitionKey, "iam.user-") {
			t.Fatalf("partition key %q", evs[0].PartitionKey)
		}
	})

	t.Run("PlatformAdminCannotCreateUsersInAnUnknownTenant", func(t *testing.T) {
		eventsBefore := len(auditEvents(t, in, adminA, "all_tenants=true"))
		for _, tenant := range []string{"01a218b1-0000-7000-8000-000000000000", "no-such-tenant"} {
			r := in.Do(t, http.MethodPost, "/api/v1/iam/users", adminA,
				map[string]string{"email": "orphan@nowhere.test", "name": "Orphan", "role": "viewer", "password": password}, "X-Tenant-ID", tenant)
			assertProblem(t, r, http.StatusNotFound, "IAM-003")
		}
		if n := len(auditEvents(t, in, adminA, "all_tenants=true")); n != eventsBefore {
			t.Fatalf("refused writes into unknown tenants appended %d events", n-eventsBefore)
		}
	})
}
