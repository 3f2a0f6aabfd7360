package admin_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

const password = testkit.UserPassword

type auditEvent struct {
	SpecVersion   string          `json:"specversion"`
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Source        string          `json:"source"`
	Subject       string          `json:"subject"`
	Time          time.Time       `json:"time"`
	TenantID      string          `json:"tenantid"`
	Actor         string          `json:"actor"`
	StreamVersion int64           `json:"streamversion"`
	PartitionKey  string          `json:"partitionkey"`
	Position      int64           `json:"position"`
	Hash          string          `json:"hash"`
	Data          json.RawMessage `json:"data"`
}

// audit pages through /admin/audit/events with query and page size limit,
// checking that every page carries the same total_count and that it counts
// the events the pages held.
func audit(t testing.TB, in *testkit.Instance, token, query string, limit int) []auditEvent {
	t.Helper()
	path := fmt.Sprintf("/api/v1/admin/audit/events?limit=%d", limit)
	if query != "" {
		path += "&" + query
	}
	all, pages := testkit.Walk[auditEvent](t, in, path, token)
	for _, p := range pages {
		if p.Limit != limit {
			t.Fatalf("audit %s: a page with limit %d, want %d", query, p.Limit, limit)
		}
	}
	if total := testkit.SameTotal(t, "audit "+query, pages); int64(len(all)) != total {
		t.Fatalf("audit %s: total_count %d, %d events listed", query, total, len(all))
	}
	return all
}

// reversed returns evs in the opposite order.
func reversed(evs []auditEvent) []auditEvent {
	out := make([]auditEvent, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e
	}
	return out
}

func where(evs []auditEvent, keep func(auditEvent) bool) []auditEvent {
	out := []auditEvent{}
	for _, e := range evs {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

func idsOf(evs []auditEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func assertProblem(t testing.TB, r *testkit.Response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if p := r.Problem(t); p.ErrorCode != code {
		t.Fatalf("error_code %q, want %q", p.ErrorCode, code)
	}
}

// TestAdmin covers health, version, projections, event-store statistics and
// the audit trail on one instance with some IAM history.
func TestAdmin(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	tenantB, adminB := in.NewTenant(t, admin, "AdminB")
	var users []string
	for i := range 4 {
		users = append(users, in.NewUser(t, admin, fmt.Sprintf("audited-%d@astra.test", i), "developer").ID)
		time.Sleep(20 * time.Millisecond) // spread the events in time for the from/to filters
	}
	if r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+users[1], admin, map[string]string{"name": "Renamed"}); r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+users[2], admin, nil); r.Status != http.StatusOK {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	userB := in.NewUser(t, adminB, "audited@admin-b.test", "viewer").ID

	t.Run("HealthAndVersion", func(t *testing.T) {
		var h struct {
			Status string `json:"status"`
		}
		r := in.Do(t, http.MethodGet, "/api/v1/admin/health", "", nil)
		r.Data(t, &h)
		if r.Status != http.StatusOK || h.Status != "ok" {
			t.Fatalf("health: %d %s", r.Status, r.Body)
		}
		var v struct {
			Version   string `json:"version"`
			GoVersion string `json:"go_version"`
		}
		r = in.Do(t, http.MethodGet, "/api/v1/admin/version", "", nil)
		r.Data(t, &v)
		if r.Status != http.StatusOK || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go") {
			t.Fatalf("version: %d %s", r.Status, r.Body)
		}
	})

	t.Run("ReadyReportsRelayAndProjections", func(t *testing.T) {
		var ready struct {
			Ready  bool `json:"ready"`
			Checks []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"checks"`
		}
		r := in.Do(t, http.MethodGet, "/api/v1/admin/health/ready", "", nil)
		r.Data(t, &ready)
		if r.Status != http.StatusOK || !ready.Ready {
			t.Fatalf("ready: %d %s", r.Status, r.Body)
		}
		checks := map[string]bool{}
		for _, c := range ready.Checks {
			checks[c.Name] = c.OK
		}
		for _, name := range []string{"postgres", "broker", "relay", "projections"} {
			if ok, present := checks[name]; !present || !ok {
				t.Fatalf("ready check %q present=%v ok=%v: %s", name, present, ok, r.Body)
			}
		}
	})

	t.Run("ProjectionsShowTheActiveGenerationCaughtUp", func(t *testing.T) {
		type status struct {
			Name        string `json:"name"`
			Active      int    `json:"active_generation"`
			Lag         int64  `json:"lag"`
			Generations []struct {
				Generation int    `json:"generation"`
				Status     string `json:"status"`
			} `json:"generations"`
		}
		testkit.Eventually(t, 10*time.Second, "the iam projection with lag 0", func() bool {
			r := in.Do(t, http.MethodGet, "/api/v1/admin/projections", admin, nil)
			var ps []status
			r.Data(t, &ps)
			for _, p := range ps {
				if p.Name != "iam" || p.Active < 1 || p.Lag != 0 {
					continue
				}
				for _, g := range p.Generations {
					if g.Generation == p.Active && g.Status == "active" {
						return true
					}
				}
			}
			return false
		})
	})

	t.Run("EventStoreStatsCountEveryEvent", func(t *testing.T) {
		all := audit(t, in, admin, "all_tenants=true", 200)
		type stats struct {
			Head         int64            `json:"head_position"`
			RelayLag     int64            `json:"relay_lag"`
			EventsByType map[string]int64 `json:"events_by_type"`
			Topics       []struct {
				Topic   string `json:"topic"`
				Records int64  `json:"records"`
			} `json:"topics"`
		}
		var st stats
		testkit.Eventually(t, 10*time.Second, "the relay to catch up", func() bool {
			r := in.Do(t, http.MethodGet, "/api/v1/admin/event-store/stats", admin, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("stats: %d %s", r.Status, r.Body)
			}
			r.Data(t, &st)
			return st.RelayLag == 0
		})
		if st.Head != int64(len(all)) {
			t.Fatalf("head position %d, %d events in the ledger", st.Head, len(all))
		}
		var byType int64
		want := map[string]int64{}
		for _, e := range all {
			want[e.Type]++
		}
		for _, n := range st.EventsByType {
			byType += n
		}
		if byType != st.Head || !reflect.DeepEqual(want, st.EventsByType) {
			t.Fatalf("events_by_type %v, ledger %v", st.EventsByType, want)
		}
		var records int64
		for _, tp := range st.Topics {
			records += tp.Records
		}
		if records != st.Head {
			t.Fatalf("%d records on the topics, %d events in the ledger", records, st.Head)
		}
		for i, e := range reversed(all) { // newest first: the oldest is position 1
			if e.Position != int64(i+1) {
				t.Fatalf("position %d at index %d: the ledger has a gap", e.Position, i)
			}
		}
	})

	t.Run("AuditFiltersAndPagination", func(t *testing.T) {
		all := audit(t, in, admin, "", 200)
		if len(all) < 12 {
			t.Fatalf("only %d events in tenant A", len(all))
		}
		for _, e := range all {
			if e.TenantID != me.TenantID || e.SpecVersion != "1.0" || e.Hash == "" {
				t.Fatalf("tenant A's trail has %+v", e)
			}
		}
		mid := where(all, func(e auditEvent) bool { return e.Subject == users[2] })[0].Time
		cases := []struct {
			query string
			keep  func(auditEvent) bool
		}{
			{"type=com.astra.iam.UserCreated", func(e auditEvent) bool { return e.Type == "com.astra.iam.UserCreated" }},
			{"type=com.astra.iam.User*", func(e auditEvent) bool { return strings.HasPrefix(e.Type, "com.astra.iam.User") }},
			{"type=com.astra.iam.", func(e auditEvent) bool { return strings.HasPrefix(e.Type, "com.astra.iam.") }},
			{"subject=" + users[1], func(e auditEvent) bool { return e.Subject == users[1] }},
			{"actor=" + me.ID, func(e auditEvent) bool { return e.Actor == me.ID }},
			{"stream_id=iam.user-" + users[2], func(e auditEvent) bool { return e.PartitionKey == "iam.user-"+users[2] }},
			{"from=" + url.QueryEscape(mid.Format(time.RFC3339Nano)), func(e auditEvent) bool { return !e.Time.Before(mid) }},
			{"to=" + url.QueryEscape(mid.Format(time.RFC3339Nano)), func(e auditEvent) bool { return e.Time.Before(mid) }},
			{"type=com.astra.iam.UserUpdated&actor=" + me.ID + "&subject=" + users[1],
				func(e auditEvent) bool { return e.Type == "com.astra.iam.UserUpdated" && e.Subject == users[1] }},
			{"subject=" + userB, func(auditEvent) bool { return false }},
			{"type=com.astra.nothing.Happened", func(auditEvent) bool { return false }},
		}
		for _, tc := range cases {
			want := idsOf(where(all, tc.keep))
			for _, limit := range []int{200, 3} {
				got := idsOf(audit(t, in, admin, tc.query, limit))
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s (limit %d): %d events %v, want %d %v", tc.query, limit, len(got), got, len(want), want)
				}
			}
		}
		if n := len(where(all, func(e auditEvent) bool { return e.Type == "com.astra.iam.UserDeactivated" })); n != 1 {
			t.Fatalf("%d UserDeactivated events", n)
		}
		// Paging with the smallest page gives the same history, once each, in order.
		one := audit(t, in, admin, "", 1)
		if !reflect.DeepEqual(idsOf(one), idsOf(all)) {
			t.Fatalf("limit=1 pages give %d events, limit=200 %d", len(one), len(all))
		}
		// order=oldest is the same history in ledger order.
		if oldest := audit(t, in, admin, "order=oldest", 3); !reflect.DeepEqual(idsOf(oldest), idsOf(reversed(all))) {
			t.Fatalf("order=oldest gives %d events, not the default order reversed", len(oldest))
		}
		// Another tenant's admin sees its own history only.
		for _, e := range audit(t, in, adminB, "", 200) {
			if e.TenantID != tenantB {
				t.Fatalf("B's trail has an event of %s", e.TenantID)
			}
		}
	})

	t.Run("AuditListsNewestFirstWithTotalCount", func(t *testing.T) {
		all := audit(t, in, admin, "", 200)
		for i := 1; i < len(all); i++ {
			if all[i].Position >= all[i-1].Position {
				t.Fatalf("audit not newest first at %d: %d after %d", i, all[i].Position, all[i-1].Position)
			}
		}
		// Without limit the page holds 25 and says how many match.
		r := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events", admin, nil)
		m := r.Page(t)
		var first []auditEvent
		r.Data(t, &first)
		wantLen := min(25, len(all))
		if r.Status != http.StatusOK || m.Limit != 25 || len(first) != wantLen ||
			m.TotalCount == nil || *m.TotalCount != int64(len(all)) ||
			m.HasMore != (len(all) > 25) || first[0].ID != all[0].ID {
			t.Fatalf("default page: %d, limit %d, %d events, meta %+v (want %d of %d)", r.Status, m.Limit, len(first),
				m, wantLen, len(all))
		}
		// A filter's total counts what matches it, not the tenant's history.
		created := audit(t, in, admin, "type=com.astra.iam.UserCreated", 2)
		r = in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?limit=2&type=com.astra.iam.UserCreated", admin, nil)
		if m = r.Page(t); *m.TotalCount != int64(len(created)) || len(created) < 5 {
			t.Fatalf("UserCreated total_count %d, %d listed", *m.TotalCount, len(created))
		}
		// The cursor continues after the page, across the whole history, with no repeat.
		r = in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?limit=2", admin, nil)
		r = in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?limit=2&cursor="+url.QueryEscape(r.Page(t).Cursor), admin, nil)
		var second []auditEvent
		r.Data(t, &second)
		if len(second) != 2 || second[0].ID != all[2].ID || second[1].ID != all[3].ID {
			t.Fatalf("second page of 2: %v, want %v", idsOf(second), idsOf(all[2:4]))
		}
		// Bad input is refused, never ignored.
		for _, q := range []string{"limit=0", "limit=201", "limit=ten", "order=sideways", "all_tenants=maybe", "from=yesterday"} {
			assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?"+q, admin, nil), http.StatusBadRequest, "VAL-005")
		}
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?cursor=not-a-cursor", admin, nil), http.StatusBadRequest, "VAL-006")
		// Denials: no token, a role without admin:read, and another tenant's admin naming tenant A.
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/audit/events", "", nil), http.StatusUnauthorized, "AUTH-001")
		in.NewUser(t, admin, "audit-viewer@astra.test", "viewer")
		viewer := in.Login(t, "audit-viewer@astra.test", password)
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/audit/events", viewer, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/admin/audit/verify", viewer, nil), http.StatusForbidden, "AUTH-006")
		if r := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events", adminB, nil, "X-Tenant-ID", me.TenantID); r.Status != http.StatusForbidden {
			t.Fatalf("B's admin naming tenant A: %d %s", r.Status, r.Body)
		}
		// all_tenants is a platform admin's view: B's admin still reads B only.
		for _, e := range audit(t, in, adminB, "all_tenants=true", 200) {
			if e.TenantID != tenantB {
				t.Fatalf("B's admin with all_tenants=true reads %s's event", e.TenantID)
			}
		}
	})

	t.Run("ProjectionsListPagesInHostingOrder", func(t *testing.T) {
		type projection struct {
			Name string `json:"name"`
		}
		paged, pages := testkit.Walk[projection](t, in, "/api/v1/admin/projections?limit=1", admin)
		var names []string
		for _, p := range paged {
			names = append(names, p.Name)
		}
		if total := testkit.SameTotal(t, "projections", pages); len(pages) != len(names) || int64(len(names)) != total {
			t.Fatalf("projections: total_count %d, %d listed on %d pages", total, len(names), len(pages))
		}
		var all []struct {
			Name string `json:"name"`
		}
		in.Do(t, http.MethodGet, "/api/v1/admin/projections?limit=200", admin, nil).Data(t, &all)
		if len(all) != len(names) || len(names) < 2 {
			t.Fatalf("projections: %d in one page, %d paged", len(all), len(names))
		}
		for i := range all {
			if all[i].Name != names[i] {
				t.Fatalf("projections paged out of order: %v", names)
			}
		}
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections?limit=0", admin, nil), http.StatusBadRequest, "VAL-005")
	})

	t.Run("ExportIsNDJSONOfCloudEvents", func(t *testing.T) {
		for _, query := range []string{"", "type=com.astra.iam.UserCreated", "subject=" + users[1]} {
			// The export is in ledger order; the list is newest first.
			want := reversed(audit(t, in, admin, query, 200))
			r := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events/export?"+query, admin, nil)
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-ndjson") {
				t.Fatalf("export: %d %q", r.Status, r.Header.Get("Content-Type"))
			}
			var got []auditEvent
			sc := bufio.NewScanner(bytes.NewReader(r.Body))
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var raw map[string]any
				if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
					t.Fatalf("export line %q: %v", sc.Text(), err)
				}
				for _, attr := range []string{"specversion", "id", "type", "source", "time", "subject", "tenantid", "datacontenttype"} {
					if raw[attr] == nil || raw[attr] == "" {
						t.Fatalf("export line without %s: %s", attr, sc.Text())
					}
				}
				var e auditEvent
				_ = json.Unmarshal(sc.Bytes(), &e)
				got = append(got, e)
			}
			if !reflect.DeepEqual(idsOf(got), idsOf(want)) {
				t.Fatalf("export %q: %d events, audit %d", query, len(got), len(want))
			}
			if bytes.Contains(r.Body, []byte("$argon2id")) {
				t.Fatal("the export carries password hashes")
			}
		}
	})

	t.Run("VerifyPasses", func(t *testing.T) {
		type report struct {
			OK     bool  `json:"ok"`
			Events int64 `json:"events_checked"`
			Breaks []any `json:"breaks"`
		}
		for _, tc := range []struct {
			token string
			want  int
		}{{admin, len(audit(t, in, admin, "", 200))}, {adminB, len(audit(t, in, adminB, "", 200))}} {
			var rep report
			r := in.Do(t, http.MethodPost, "/api/v1/admin/audit/verify", tc.token, nil)
			r.Data(t, &rep)
			if r.Status != http.StatusOK || !rep.OK || len(rep.Breaks) != 0 || rep.Events != int64(tc.want) {
				t.Fatalf("verify: %d %s (want %d events checked)", r.Status, r.Body, tc.want)
			}
		}
	})

	t.Run("TenantAdminCannotOperateThePlatform", func(t *testing.T) {
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections", adminB, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/admin/projections/iam/rebuild", adminB, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/event-store/stats", adminB, nil), http.StatusForbidden, "AUTH-006")
		// Dead letters hold every tenant's event ids and errors: the platform's, not a tenant's.
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections/dead-letters", adminB, nil), http.StatusForbidden, "AUTH-006")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections/dead-letters", "", nil), http.StatusUnauthorized, "AUTH-001")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections/dead-letters?reason=nope", admin, nil), http.StatusBadRequest, "VAL-005")
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections/dead-letters?projection=nope", admin, nil), http.StatusBadRequest, "VAL-005")
		if r := in.Do(t, http.MethodGet, "/api/v1/admin/projections/dead-letters", admin, nil); r.Status != http.StatusOK ||
			!strings.Contains(string(r.Body), `"total_count":0`) {
			t.Fatalf("dead letters of a healthy platform: %d %s", r.Status, r.Body)
		}
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/projections", "", nil), http.StatusUnauthorized, "AUTH-001")
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/admin/projections/nope/rebuild", admin, nil), http.StatusNotFound, "ADM-001")
	})

	t.Run("RebuildSwitchesToAnIdenticalGeneration", func(t *testing.T) {
		list := func() []byte {
			r := in.Do(t, http.MethodGet, "/api/v1/iam/users?limit=200", admin, nil)
			var env struct {
				Data json.RawMessage `json:"data"`
			}
			r.JSON(t, &env)
			return env.Data
		}
		before := list()
		var started struct {
			Generation int `json:"generation"`
		}
		r := in.Do(t, http.MethodPost, "/api/v1/admin/projections/iam/rebuild", admin, nil)
		if r.Status != http.StatusAccepted {
			t.Fatalf("rebuild: %d %s", r.Status, r.Body)
		}
		r.Data(t, &started)
		testkit.Eventually(t, 30*time.Second, "the rebuilt generation to go live", func() bool {
			var ps []struct {
				Name   string `json:"name"`
				Active int    `json:"active_generation"`
			}
			in.Do(t, http.MethodGet, "/api/v1/admin/projections", admin, nil).Data(t, &ps)
			for _, p := range ps {
				if p.Name == "iam" && p.Active == started.Generation {
					return true
				}
			}
			return false
		})
		if after := list(); !bytes.Equal(before, after) {
			t.Fatalf("users after the rebuild differ:\nbefore %s\nafter  %s", before, after)
		}
		// Sign-in still works off the rebuilt read model.
		in.Login(t, "audited-0@astra.test", password)
	})
}
