package aegis_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestAegis_AgentInventory: register, list (paged, with total_count),
// read, change with If-Match, retire; validation and denials (permissions,
// another tenant, anonymous).
func TestAegis_AgentInventory(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	sec := user(t, in, admin, "sec@aegis.test", "security_admin")
	dev := user(t, in, admin, "dev@aegis.test", "developer")
	auditor := user(t, in, admin, "auditor@aegis.test", "auditor")
	_, keyA := in.NewAPIKey(t, sec, "agent-a", "gateway:read", "gateway:write")
	_, keyB := in.NewAPIKey(t, sec, "agent-b", "gateway:read", "gateway:write")

	r := in.Do(t, http.MethodPost, api+"/agents", sec, map[string]any{"name": "support-bot", "owner": "cx-team", "model": "gpt-4o",
		"api_key_ids": []string{keyA}, "tools": []string{"search", "crm_lookup"}, "autonomy_level": "autonomous", "data_scopes": []string{"crm:read", "pii"}})
	wantStatus(t, r, http.StatusCreated)
	var a agent
	r.Data(t, &a)
	if a.ID == "" || a.Status != "active" || a.Owner != "cx-team" || len(a.APIKeyIDs) != 1 || a.APIKeyIDs[0] != keyA || r.Header.Get("ETag") != `"1"` ||
		r.Header.Get("Location") != api+"/agents/"+a.ID {
		t.Fatalf("registered %+v (ETag %s, Location %s)", a, r.Header.Get("ETag"), r.Header.Get("Location"))
	}
	for i := 0; i < 3; i++ {
		register(t, in, sec, "helper-"+string(rune('a'+i)))
	}

	// Validation: the exact field names, problem+json.
	if r := in.Do(t, http.MethodPost, api+"/agents", sec, map[string]any{"owner": "x"}); r.Status != http.StatusBadRequest || r.Problem(t).ErrorCode != "VAL-001" {
		t.Fatalf("no name: %d %s", r.Status, r.Body)
	}
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents", sec, map[string]any{"name": "x", "api_key_ids": []string{"0190f3a0-0000-7000-8000-000000000000"}}),
		http.StatusUnprocessableEntity, "AEG-003")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents", sec, map[string]any{"name": "thief", "api_key_ids": []string{keyA}}), http.StatusConflict, "AEG-004")

	// A page of two of four, with the total; the next page continues.
	r = in.Do(t, http.MethodGet, api+"/agents?limit=2", auditor, nil)
	wantStatus(t, r, http.StatusOK)
	pg := r.Page(t)
	if pg.TotalCount == nil || *pg.TotalCount != 4 || !pg.HasMore {
		t.Fatalf("page %+v", pg)
	}
	all, _ := testkit.Walk[agent](t, in, api+"/agents?limit=2", auditor)
	if len(all) != 4 {
		t.Fatalf("walked %d agents", len(all))
	}
	if r := in.Do(t, http.MethodGet, api+"/agents?status=dormant", auditor, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown status filter: %d", r.Status)
	}

	// Change: a stale If-Match is 412; the current one moves the version.
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/agents/"+a.ID, sec, map[string]any{"owner": "x"}, "If-Match", `"7"`), http.StatusPreconditionFailed, "CON-001")
	r = in.Do(t, http.MethodPatch, api+"/agents/"+a.ID, sec, map[string]any{"owner": "platform-team", "api_key_ids": []string{keyA, keyB}}, "If-Match", `"1"`)
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &a)
	if a.Owner != "platform-team" || len(a.APIKeyIDs) != 2 || a.Version != 2 {
		t.Fatalf("updated %+v", a)
	}

	// Permissions: a developer and an auditor read and never write; anonymous is 401.
	for _, tok := range []string{dev, auditor} {
		wantStatus(t, in.Do(t, http.MethodGet, api+"/agents/"+a.ID, tok, nil), http.StatusOK)
		for _, w := range []struct{ method, path string }{{http.MethodPost, "/agents"}, {http.MethodPatch, "/agents/" + a.ID},
			{http.MethodPost, "/agents/" + a.ID + "/quarantine"}, {http.MethodPost, "/agents/" + a.ID + "/kill"}, {http.MethodDelete, "/agents/" + a.ID}} {
			if r := in.DoRaw(t, w.method, api+w.path, tok, map[string]any{"name": "x", "reason": "x"}); r.Status != http.StatusForbidden {
				t.Fatalf("%s %s as a reader: %d", w.method, w.path, r.Status)
			}
		}
	}
	for _, path := range []string{"/agents", "/agents/" + a.ID, "/agents/" + a.ID + "/risk", "/guardrails", "/alerts", "/alert-rules"} {
		if r := in.Do(t, http.MethodGet, api+path, "", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous %s: %d", path, r.Status)
		}
	}

	// Another tenant sees none of it.
	_, other := in.NewTenant(t, admin, "Elsewhere")
	wantProblem(t, in.Do(t, http.MethodGet, api+"/agents/"+a.ID, other, nil), http.StatusNotFound, "AEG-001")
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/quarantine", other, map[string]string{"reason": "x"}), http.StatusNotFound, "AEG-001")
	if p := testkit.GetPage[agent](t, in, api+"/agents", other); len(p.Data) != 0 || *p.Meta.Pagination.TotalCount != 0 {
		t.Fatalf("other tenant lists %+v", p.Data)
	}
	// Nor may it claim this tenant's keys.
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents", other, map[string]any{"name": "x", "api_key_ids": []string{keyB}}), http.StatusUnprocessableEntity, "AEG-003")
	wantProblem(t, in.Do(t, http.MethodGet, api+"/agents/not-a-uuid", sec, nil), http.StatusNotFound, "AEG-001")

	// Retire: gone from the inventory, and its keys are free again.
	wantStatus(t, in.Do(t, http.MethodDelete, api+"/agents/"+a.ID, admin, nil), http.StatusNoContent)
	in.Do(t, http.MethodGet, api+"/agents/"+a.ID, sec, nil).Data(t, &a)
	if a.Status != "retired" {
		t.Fatalf("retired agent reads %+v", a)
	}
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/agents/"+a.ID, sec, map[string]string{"owner": "x"}), http.StatusNotFound, "AEG-001")
	register(t, in, sec, "successor", keyA)
	retired := testkit.GetPage[agent](t, in, api+"/agents?status=retired", sec)
	if len(retired.Data) != 1 || retired.Data[0].ID != a.ID {
		t.Fatalf("retired %+v", retired.Data)
	}
}

// TestAegis_QuarantineReleaseKill: a quarantined agent's keys are refused at
// the gateway with AEG-013 from the very next request; release admits them
// again; kill refuses them and revokes them through IAM.
func TestAegis_QuarantineReleaseKill(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	sec := user(t, in, admin, "sec@contain.test", "security_admin")
	secret, keyID := in.NewAPIKey(t, sec, "bot-key", "gateway:read", "gateway:write")
	other, _ := in.NewAPIKey(t, sec, "app-key", "gateway:read", "gateway:write")
	a := register(t, in, sec, "bot", keyID)
	wantStatus(t, chat(t, in, secret, "hello"), http.StatusOK)

	if r := in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/quarantine", sec, map[string]any{}); r.Status != http.StatusBadRequest {
		t.Fatalf("quarantine without a reason: %d %s", r.Status, r.Body)
	}
	r := in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/quarantine", sec, map[string]string{"reason": "suspicious tool use"})
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &a)
	if a.Status != "quarantined" || a.StatusReason != "suspicious tool use" {
		t.Fatalf("quarantined %+v", a)
	}
	p := wantProblem(t, chat(t, in, secret, "hello"), http.StatusForbidden, "AEG-013")
	if !strings.Contains(p.Detail, a.ID) || !strings.Contains(p.Detail, "quarantined") {
		t.Fatalf("detail %q", p.Detail)
	}
	wantStatus(t, chat(t, in, other, "hello"), http.StatusOK) // another key of the tenant is not the agent's
	// Quarantining again records nothing and answers the agent.
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/quarantine", sec, map[string]string{"reason": "again"}), http.StatusOK)

	// Release needs aegis:admin (a security admin has it).
	wantStatus(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/release", sec, map[string]string{"reason": "reviewed"}), http.StatusOK)
	wantStatus(t, chat(t, in, secret, "hello"), http.StatusOK)

	// Kill: refused at once, then the key is revoked (401 from authentication).
	r = in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/kill", sec, map[string]string{"reason": "exfiltration"})
	wantStatus(t, r, http.StatusOK)
	r.Data(t, &a)
	if a.Status != "killed" {
		t.Fatalf("killed %+v", a)
	}
	if s := chat(t, in, secret, "hello").Status; s != http.StatusForbidden && s != http.StatusUnauthorized {
		t.Fatalf("killed agent's key right after the kill: %d", s)
	}
	testkit.Eventually(t, 10*time.Second, "the killed agent's key revoked through IAM", func() bool {
		var k struct {
			Revoked bool `json:"revoked"`
		}
		r := in.Do(t, http.MethodGet, "/api/v1/iam/api-keys/"+keyID, sec, nil)
		r.Data(t, &k)
		return k.Revoked && chat(t, in, secret, "hello").Status == http.StatusUnauthorized
	})
	wantProblem(t, in.Do(t, http.MethodPost, api+"/agents/"+a.ID+"/release", sec, map[string]string{"reason": "oops"}), http.StatusConflict, "AEG-005")

	// The containment is in the ledger, as the audit trail shows.
	r = in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?limit=50&type="+url.QueryEscape("com.astra.aegis.KillSwitchActivated"), admin, nil)
	var evs []map[string]any
	r.Data(t, &evs)
	if len(evs) != 1 {
		t.Fatalf("kill switch events %v", evs)
	}
}
