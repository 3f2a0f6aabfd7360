package admin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

type flagOut struct {
	Key            string         `json:"key"`
	Type           string         `json:"type"`
	Variants       map[string]any `json:"variants"`
	DefaultVariant string         `json:"default_variant"`
	OffVariant     string         `json:"off_variant"`
	Enabled        bool           `json:"enabled"`
	Version        int64          `json:"version"`
	UpdatedBy      string         `json:"updated_by"`
}

type evaluation struct {
	Key          string         `json:"key"`
	Value        any            `json:"value"`
	Reason       string         `json:"reason"`
	Variant      string         `json:"variant"`
	Metadata     map[string]any `json:"metadata"`
	ErrorCode    string         `json:"errorCode"`
	ErrorDetails string         `json:"errorDetails"`
}

func evaluate(t testing.TB, in *testkit.Instance, token, key string, context map[string]any, headers ...string) (int, evaluation) {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/ofrep/v1/evaluate/flags/"+key, token, map[string]any{"context": context}, headers...)
	var e evaluation
	if len(r.Body) > 0 {
		r.JSON(t, &e)
	}
	return r.Status, e
}

// TestFeatureFlags_VersionedChangesAuditedAndEvaluatedOverOFREP covers the
// flags' administration (create, change, kill switch, delete, versions,
// validation, denials, the audit trail) and their evaluation over OFREP:
// targeting by tenant and user, percentage rollouts, the kill switch, the
// protocol's errors, and tenant isolation.
func TestFeatureFlags_VersionedChangesAuditedAndEvaluatedOverOFREP(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	tenantB, adminB := in.NewTenant(t, admin, "FlagsB")
	_, adminC := in.NewTenant(t, admin, "FlagsC")
	userB := in.Me(t, adminB).ID

	checkout := map[string]any{"key": "new-checkout", "description": "The new checkout", "type": "string",
		"variants": map[string]any{"classic": "classic", "fast": "fast", "beta": "beta"}, "default_variant": "classic",
		"rules": []map[string]any{
			{"description": "B tries the beta", "tenants": []string{tenantB}, "users": []string{userB}, "variant": "beta"},
			{"users": []string{"vip-user"}, "variant": "fast"},
		}}

	t.Run("CreateChangeKillDelete", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, checkout)
		if r.Status != http.StatusCreated || r.Header.Get("ETag") != `"1"` || r.Header.Get("Location") != "/api/v1/admin/feature-flags/new-checkout" {
			t.Fatalf("create: %d %s %v", r.Status, r.Body, r.Header)
		}
		var f flagOut
		r.Data(t, &f)
		if f.Version != 1 || !f.Enabled || f.OffVariant != "classic" || f.UpdatedBy != me.ID {
			t.Fatalf("created %+v", f)
		}
		assertProblem(t, in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, checkout), http.StatusConflict, "ADM-006")
		// A boolean flag needs no variants.
		r = in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, map[string]any{"key": "ramp", "type": "boolean", "default_variant": "off",
			"rollout": []map[string]any{{"variant": "on", "weight": 30}, {"variant": "off", "weight": 70}}})
		r.Data(t, &f)
		if r.Status != http.StatusCreated || f.Variants["on"] != true || f.OffVariant != "off" {
			t.Fatalf("boolean: %d %s", r.Status, r.Body)
		}
		// Changes need the current version when they name one.
		assertProblem(t, in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", admin, map[string]any{"description": "x"}, "If-Match", `"9"`),
			http.StatusPreconditionFailed, "CON-001")
		r = in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", admin, map[string]any{"default_variant": "fast"}, "If-Match", `"1"`)
		r.Data(t, &f)
		if r.Status != http.StatusOK || f.Version != 2 || f.DefaultVariant != "fast" || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		r = in.Do(t, http.MethodGet, "/api/v1/admin/feature-flags/new-checkout", admin, nil)
		r.Data(t, &f)
		if f.Version != 2 || f.DefaultVariant != "fast" {
			t.Fatalf("get: %s", r.Body)
		}
		// Invalid definitions name the field.
		for _, tc := range []struct {
			method, path string
			body         map[string]any
			field        string
		}{
			{http.MethodPost, "/api/v1/admin/feature-flags", map[string]any{"key": "bad", "type": "number", "variants": map[string]any{"a": "text"}, "default_variant": "a"}, "variants.a"},
			{http.MethodPost, "/api/v1/admin/feature-flags", map[string]any{"key": "bad", "type": "boolean", "default_variant": "on",
				"rollout": []map[string]any{{"variant": "on", "weight": 60}}}, "rollout"},
			{http.MethodPost, "/api/v1/admin/feature-flags", map[string]any{"key": "has space", "type": "boolean", "default_variant": "on"}, "key"},
			{http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", map[string]any{"rules": []map[string]any{{"tenants": []string{"t"}, "variant": "gold"}}}, "rules[0].variant"},
		} {
			r := in.Do(t, tc.method, tc.path, admin, tc.body)
			assertProblem(t, r, http.StatusUnprocessableEntity, "ADM-007")
			if p := r.Problem(t); len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Fatalf("%v: %+v", tc.body, p)
			}
		}
		// The kill switch, then its release.
		r = in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", admin, map[string]any{"enabled": false})
		r.Data(t, &f)
		if f.Enabled || f.Version != 3 {
			t.Fatalf("kill: %s", r.Body)
		}
		if _, e := evaluate(t, in, adminB, "new-checkout", nil); e.Reason != "DISABLED" || e.Value != "classic" || e.Variant != "classic" {
			t.Fatalf("while killed: %+v", e)
		}
		in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", admin, map[string]any{"enabled": true, "default_variant": "classic"})
		// A change that changes nothing is no new version.
		r = in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", admin, map[string]any{"enabled": true})
		if r.Data(t, &f); f.Version != 4 {
			t.Fatalf("a no-op change made version %d", f.Version)
		}
		// Deletion; a flag created again continues the versions.
		in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, map[string]any{"key": "temp", "type": "boolean", "default_variant": "on"})
		r = in.Do(t, http.MethodDelete, "/api/v1/admin/feature-flags/temp", admin, nil, "If-Match", `"1"`)
		var del struct {
			Version int64 `json:"version"`
			Deleted bool  `json:"deleted"`
		}
		r.Data(t, &del)
		if r.Status != http.StatusOK || !del.Deleted || del.Version != 2 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/admin/feature-flags/temp", admin, nil), http.StatusNotFound, "ADM-002")
		assertProblem(t, in.Do(t, http.MethodDelete, "/api/v1/admin/feature-flags/temp", admin, nil), http.StatusNotFound, "ADM-002")
		assertProblem(t, in.Do(t, http.MethodPatch, "/api/v1/admin/feature-flags/temp", admin, map[string]any{"enabled": false}), http.StatusNotFound, "ADM-002")
		r = in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, map[string]any{"key": "temp", "type": "boolean", "default_variant": "off"})
		if r.Data(t, &f); f.Version != 3 {
			t.Fatalf("re-created at version %d", f.Version)
		}
	})

	t.Run("ListPagesByKeyWithTotalCount", func(t *testing.T) {
		for i := range 3 {
			in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, map[string]any{"key": fmt.Sprintf("page-%d", i), "type": "boolean", "default_variant": "on"})
		}
		all, pages := testkit.Walk[flagOut](t, in, "/api/v1/admin/feature-flags?limit=2", admin)
		var keys []string
		for _, f := range all {
			keys = append(keys, f.Key)
		}
		want := []string{"new-checkout", "page-0", "page-1", "page-2", "ramp", "temp"}
		if total := testkit.SameTotal(t, "flags", pages); !reflect.DeepEqual(keys, want) || total != int64(len(want)) {
			t.Fatalf("flags %v (total %d)", keys, total)
		}
	})

	t.Run("EveryChangeIsInTheAuditTrailWithItsActor", func(t *testing.T) {
		evs := auditOf(t, in, admin, "com.astra.admin.FeatureFlagChanged")
		changes := map[string]int{}
		for _, e := range evs {
			var d struct {
				Key    string `json:"key"`
				Change string `json:"change"`
			}
			_ = json.Unmarshal(e.Data, &d)
			if e.Actor != me.ID || e.Subject != d.Key {
				t.Fatalf("event %+v", e)
			}
			changes[d.Key+"/"+d.Change]++
		}
		if changes["new-checkout/created"] != 1 || changes["new-checkout/updated"] != 3 || changes["temp/deleted"] != 1 || changes["temp/created"] != 2 {
			t.Fatalf("audit trail %v", changes)
		}
	})

	t.Run("OFREPEvaluatesForTheCredentialsTenant", func(t *testing.T) {
		// The targeted tenant's targeted user gets the targeted variant; a
		// user named by a rule gets hers anywhere; everyone else the default.
		for _, tc := range []struct {
			token, targetingKey, variant, reason string
		}{
			{adminB, userB, "beta", "TARGETING_MATCH"},
			{adminB, "someone-else", "classic", "DEFAULT"},
			{adminC, userB, "classic", "DEFAULT"},
			{admin, "vip-user", "fast", "TARGETING_MATCH"},
			{adminC, "", "classic", "DEFAULT"},
		} {
			status, e := evaluate(t, in, tc.token, "new-checkout", map[string]any{"targetingKey": tc.targetingKey})
			if status != http.StatusOK || e.Key != "new-checkout" || e.Variant != tc.variant || e.Value != tc.variant || e.Reason != tc.reason || e.Metadata["version"] != float64(4) {
				t.Fatalf("%+v: %d %+v", tc, status, e)
			}
		}
		// The context cannot name another tenant: C claiming to be B is still C.
		if _, e := evaluate(t, in, adminC, "new-checkout", map[string]any{"targetingKey": userB, "tenantId": tenantB, "tenant_id": tenantB}); e.Variant != "classic" {
			t.Fatalf("a context naming another tenant: %+v", e)
		}
		// A tenant admin may not act in another tenant (X-Tenant-ID).
		r := in.Do(t, http.MethodPost, "/api/v1/ofrep/v1/evaluate/flags/new-checkout", adminC, map[string]any{"context": map[string]any{}}, "X-Tenant-ID", tenantB)
		if r.Status != http.StatusForbidden {
			t.Fatalf("another tenant's X-Tenant-ID: %d %s", r.Status, r.Body)
		}
		// A platform admin acting in B evaluates for B.
		if _, e := evaluate(t, in, admin, "new-checkout", map[string]any{"targetingKey": userB}, "X-Tenant-ID", tenantB); e.Variant != "beta" {
			t.Fatalf("platform admin acting in B: %+v", e)
		}
		// A percentage rollout needs a targeting key; with one it is stable.
		status, e := evaluate(t, in, adminB, "ramp", nil)
		if status != http.StatusBadRequest || e.ErrorCode != "TARGETING_KEY_MISSING" || e.Key != "ramp" {
			t.Fatalf("rollout without a key: %d %+v", status, e)
		}
		on := 0
		for i := range 40 {
			_, e1 := evaluate(t, in, adminB, "ramp", map[string]any{"targetingKey": fmt.Sprintf("u%d", i)})
			_, e2 := evaluate(t, in, adminB, "ramp", map[string]any{"targetingKey": fmt.Sprintf("u%d", i)})
			if e1.Reason != "SPLIT" || e1.Variant != e2.Variant {
				t.Fatalf("rollout: %+v then %+v", e1, e2)
			}
			if e1.Value == true {
				on++
			}
		}
		if on == 0 || on == 40 {
			t.Fatalf("%d of 40 users in a 30%% rollout", on)
		}
		// The protocol's errors, in its shape.
		status, e = evaluate(t, in, adminB, "no-such-flag", nil)
		if status != http.StatusNotFound || e.ErrorCode != "FLAG_NOT_FOUND" || e.Key != "no-such-flag" {
			t.Fatalf("unknown flag: %d %+v", status, e)
		}
		status, e = evaluate(t, in, adminB, "new-checkout", map[string]any{"targetingKey": 42})
		if status != http.StatusBadRequest || e.ErrorCode != "INVALID_CONTEXT" {
			t.Fatalf("a numeric targeting key: %d %+v", status, e)
		}
		r = in.Do(t, http.MethodPost, "/api/v1/ofrep/v1/evaluate/flags/new-checkout", adminB, `{"context": `, "Content-Type", "application/json")
		r.JSON(t, &e)
		if r.Status != http.StatusBadRequest || e.ErrorCode != "PARSE_ERROR" {
			t.Fatalf("malformed JSON: %d %s", r.Status, r.Body)
		}
		for _, token := range []string{"", "not-a-token"} {
			if r := in.Do(t, http.MethodPost, "/api/v1/ofrep/v1/evaluate/flags/new-checkout", token, map[string]any{}); r.Status != http.StatusUnauthorized ||
				!strings.Contains(string(r.Body), `"errorCode"`) {
				t.Fatalf("token %q: %d %s", token, r.Status, r.Body)
			}
		}
		// Bulk: every flag, the failures listed with their code.
		r = in.Do(t, http.MethodPost, "/api/v1/ofrep/v1/evaluate/flags", adminB, map[string]any{"context": map[string]any{"targetingKey": userB}})
		var bulk struct {
			Flags []evaluation `json:"flags"`
		}
		r.JSON(t, &bulk)
		got := map[string]evaluation{}
		for _, f := range bulk.Flags {
			got[f.Key] = f
		}
		if r.Status != http.StatusOK || len(got) != 6 || got["new-checkout"].Variant != "beta" || got["ramp"].Reason != "SPLIT" {
			t.Fatalf("bulk: %d %s", r.Status, r.Body)
		}
		r = in.Do(t, http.MethodPost, "/api/v1/ofrep/v1/evaluate/flags", adminB, map[string]any{})
		r.JSON(t, &bulk)
		for _, f := range bulk.Flags {
			if f.Key == "ramp" && f.ErrorCode != "TARGETING_KEY_MISSING" {
				t.Fatalf("bulk without a key: %+v", f)
			}
		}
		// An API key of the tenant evaluates as the tenant.
		key, _ := in.NewAPIKey(t, adminB, "flags", "gateway:read")
		if _, e := evaluate(t, in, key, "new-checkout", map[string]any{"targetingKey": userB}); e.Variant != "beta" {
			t.Fatalf("with an API key: %+v", e)
		}
	})

	t.Run("OnlyPlatformAdministratorsManageFlags", func(t *testing.T) {
		_, viewer := in.SignIn(t, admin, "flags-viewer@astra.test", "viewer")
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/admin/feature-flags", nil},
			{http.MethodGet, "/api/v1/admin/feature-flags/new-checkout", nil},
			{http.MethodPost, "/api/v1/admin/feature-flags", map[string]any{"key": "mine", "type": "boolean", "default_variant": "on"}},
			{http.MethodPatch, "/api/v1/admin/feature-flags/new-checkout", map[string]any{"enabled": false}},
			{http.MethodDelete, "/api/v1/admin/feature-flags/new-checkout", nil},
		} {
			for _, token := range []string{adminB, viewer} {
				assertProblem(t, in.Do(t, tc.method, tc.path, token, tc.body), http.StatusForbidden, "AUTH-006")
			}
			assertProblem(t, in.Do(t, tc.method, tc.path, "", tc.body), http.StatusUnauthorized, "AUTH-001")
		}
		var f flagOut
		in.Do(t, http.MethodGet, "/api/v1/admin/feature-flags/new-checkout", admin, nil).Data(t, &f)
		if !f.Enabled || f.Version != 4 {
			t.Fatalf("a refused change changed the flag: %+v", f)
		}
	})
}
