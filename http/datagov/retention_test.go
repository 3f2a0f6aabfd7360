package datagov_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

type policy struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Module     string `json:"module"`
	DataClass  string `json:"data_class"`
	PeriodDays int    `json:"period_days"`
	Enabled    bool   `json:"enabled"`
	Version    int64  `json:"version"`
	LastRun    *run   `json:"last_run"`
}

type run struct {
	DryRun bool      `json:"dry_run"`
	Cutoff time.Time `json:"cutoff"`
	Months []struct {
		Month    string `json:"month"`
		Key      string `json:"key"`
		Requests int    `json:"requests"`
	} `json:"months"`
	Rows  int        `json:"rows"`
	Items int        `json:"items"`
	From  *time.Time `json:"from"`
	To    *time.Time `json:"to"`
}

// requestContent reads a gateway request's prompt as the request log shows
// it (the log is written after the answer: it waits for the record).
func requestContent(t *testing.T, in *testkit.Instance, token, id string) string {
	t.Helper()
	var r *testkit.Response
	testkit.Eventually(t, 10*time.Second, "request "+id+" in the log", func() bool {
		r = in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+id, token, nil)
		return r.Status == http.StatusOK
	})
	var x struct {
		Prompt string `json:"prompt"`
	}
	r.Data(t, &x)
	return x.Prompt
}

func TestDataGov_RetentionErasesExpiredMonthsByDeletingTheirKeys(t *testing.T) {
	// The gateway names content keys by its clock's month; the clocks move
	// together (an offset from now, changed only between requests).
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	app.GatewayNow, app.DataGovNow = clock, clock
	defer func() { app.GatewayNow, app.DataGovNow = time.Now, time.Now }()
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	keepFullContent(t, in, admin)
	_, writer := in.SignIn(t, admin, "writer@retention.test", "security_admin")
	_, viewer := in.SignIn(t, admin, "viewer@retention.test", "viewer")

	// Three months of content: the 15th of the month before last, of last month, and now.
	now := time.Now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	at := func(t time.Time) { skew.Store(int64(time.Until(t))) }
	seeded := map[string][]string{}
	for i, m := range []time.Time{month.AddDate(0, -2, 14), month.AddDate(0, -1, 14), {}} {
		if m.IsZero() {
			skew.Store(0)
		} else {
			at(m)
		}
		label := clock().UTC().Format("2006-01")
		for j := range 2 - i/2 {
			seeded[label] = append(seeded[label], chat(t, in, admin, "quarterly numbers, draft "+label+" #"+string(rune('a'+j))))
		}
	}
	skew.Store(0)
	old, last, current := month.AddDate(0, -2, 0).Format("2006-01"), month.AddDate(0, -1, 0).Format("2006-01"), month.Format("2006-01")
	if len(seeded[old]) != 2 || len(seeded[last]) != 2 || len(seeded[current]) != 1 {
		t.Fatalf("seeded: %v", seeded)
	}
	for label, ids := range seeded {
		for _, id := range ids {
			if got := requestContent(t, in, admin, id); !strings.Contains(got, "draft "+label) {
				t.Fatalf("before retention %s reads %q", id, got)
			}
		}
	}

	// A rule of ten days, run on the 11th of this month: the two earlier
	// months are wholly past it, this one is not.
	var p policy
	r := in.Do(t, http.MethodPost, api+"/retention-policies", admin, map[string]any{"name": "prompts 10 days", "module": "gateway", "data_class": "prompt_content", "period_days": 10})
	if r.Status != http.StatusCreated || r.Header.Get("ETag") == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	r.Data(t, &p)
	if !p.Enabled || p.Module != "gateway" {
		t.Fatalf("policy: %+v", p)
	}
	at(month.AddDate(0, 0, 10).Add(time.Hour))

	var e struct {
		PolicyID string `json:"policy_id"`
		Run      run    `json:"run"`
	}
	r = in.Do(t, http.MethodPost, api+"/retention-policies/"+p.ID+"/enforce", admin, map[string]any{"dry_run": true})
	if r.Status != http.StatusOK {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	r.Data(t, &e)
	months := func(x run) string {
		var out []string
		for _, m := range x.Months {
			out = append(out, m.Month+"="+string(rune('0'+m.Requests)))
		}
		return strings.Join(out, ",")
	}
	if !e.Run.DryRun || months(e.Run) != old+"=2,"+last+"=2" || e.Run.Items != 4 || e.Run.From == nil || e.Run.To == nil {
		t.Fatalf("dry run: %+v", e.Run)
	}
	if n := countEvents(t, in, "RetentionEnforced"); n != 0 {
		t.Fatalf("a dry run recorded %d RetentionEnforced", n)
	}
	if got := requestContent(t, in, admin, seeded[old][0]); !strings.Contains(got, "draft") {
		t.Fatalf("a dry run erased content: %q", got)
	}

	// Enforcement: the expired months' keys are gone, this month's content reads.
	r = in.Do(t, http.MethodPost, api+"/retention-policies/"+p.ID+"/enforce", admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("enforce: %d %s", r.Status, r.Body)
	}
	r.Data(t, &e)
	if e.Run.DryRun || months(e.Run) != old+"=2,"+last+"=2" {
		t.Fatalf("enforced: %+v", e.Run)
	}
	for label, ids := range seeded {
		for _, id := range ids {
			got := requestContent(t, in, admin, id)
			if label == current && !strings.Contains(got, "draft "+label) {
				t.Fatalf("this month's %s reads %q after retention", id, got)
			}
			if label != current && strings.Contains(got, "draft") {
				t.Fatalf("expired %s still reads %q", id, got)
			}
		}
	}
	// The audit trail cannot open it either, and the ledger still verifies.
	ex := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events/export", admin, nil)
	if strings.Contains(string(ex.Body), "draft "+old) || strings.Contains(string(ex.Body), "draft "+last) || !strings.Contains(string(ex.Body), "draft "+current) {
		t.Fatal("the audit export shows expired content, or lost this month's")
	}
	var rep struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events_checked"`
	}
	in.Do(t, http.MethodPost, "/api/v1/admin/audit/verify", admin, nil).Data(t, &rep)
	if !rep.OK || rep.Events == 0 {
		t.Fatalf("verify after retention: %+v", rep)
	}
	if n := countEvents(t, in, "RetentionEnforced"); n != 1 {
		t.Fatalf("%d RetentionEnforced, want 1", n)
	}
	in.Do(t, http.MethodGet, api+"/retention-policies/"+p.ID, viewer, nil).Data(t, &p)
	if p.LastRun == nil || p.LastRun.Items != 4 {
		t.Fatalf("last run: %+v", p.LastRun)
	}
	// Again: nothing left to remove.
	in.Do(t, http.MethodPost, api+"/retention-policies/"+p.ID+"/enforce", admin, map[string]any{"dry_run": true}).Data(t, &e)
	if len(e.Run.Months) != 0 {
		t.Fatalf("second dry run: %+v", e.Run)
	}

	// Lineage runs past a rule are deleted from the read model.
	if r := in.Do(t, http.MethodPost, api+"/lineage/events", admin, example(t, "complete")); r.Status != http.StatusCreated {
		t.Fatalf("lineage: %d %s", r.Status, r.Body)
	}
	var lp policy
	in.Do(t, http.MethodPost, api+"/retention-policies", admin, map[string]any{"name": "lineage a year", "module": "data_gov", "data_class": "lineage_events",
		"period_days": 365}).Data(t, &lp)
	in.Do(t, http.MethodPost, api+"/retention-policies/"+lp.ID+"/enforce", admin, map[string]any{"dry_run": true}).Data(t, &e)
	if e.Run.Rows != 1 || e.Run.Items != 1 {
		t.Fatalf("lineage dry run: %+v", e.Run)
	}
	if r := in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-output", viewer, nil); r.Status != http.StatusOK {
		t.Fatalf("lineage before: %d", r.Status)
	}
	in.Do(t, http.MethodPost, api+"/retention-policies/"+lp.ID+"/enforce", admin, nil).Data(t, &e)
	if r := in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-output", viewer, nil); r.Status != http.StatusNotFound {
		t.Fatalf("lineage after retention: %d %s", r.Status, r.Body)
	}

	// Changes: If-Match, validation, a disabled rule is not enforced (a dry run still is).
	if r := in.Do(t, http.MethodPatch, api+"/retention-policies/"+p.ID, admin, map[string]any{"enabled": false}, "If-Match", `"99"`); r.Status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d %s", r.Status, r.Body)
	}
	in.Do(t, http.MethodGet, api+"/retention-policies/"+p.ID, viewer, nil).Data(t, &p)
	r = in.Do(t, http.MethodPatch, api+"/retention-policies/"+p.ID, admin, map[string]any{"enabled": false, "period_days": 30}, "If-Match", fmt.Sprintf(`"%d"`, p.Version))
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	r.Data(t, &p)
	if p.Enabled || p.PeriodDays != 30 {
		t.Fatalf("patched: %+v", p)
	}
	if r := in.Do(t, http.MethodPost, api+"/retention-policies/"+p.ID+"/enforce", admin, nil); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "DG-015" {
		t.Fatalf("disabled: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/retention-policies/"+p.ID+"/enforce", admin, map[string]any{"dry_run": true}); r.Status != http.StatusOK {
		t.Fatalf("dry run of a disabled rule: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/retention-policies", admin, map[string]any{"name": "x", "module": "gateway", "data_class": "lineage_events", "period_days": 1}); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "DG-014" {
		t.Fatalf("class of another module: %d %s", r.Status, r.Body)
	}
	items, pages := testkit.Walk[policy](t, in, api+"/retention-policies?limit=1", viewer)
	if len(items) != 2 || testkit.SameTotal(t, "policies", pages) != 2 {
		t.Fatalf("list: %d", len(items))
	}

	// Denials: rules are data_gov:admin; another tenant sees none of them.
	if r := in.Do(t, http.MethodPost, api+"/retention-policies/"+p.ID+"/enforce", writer, nil); r.Status != http.StatusForbidden {
		t.Fatalf("a writer enforces: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/retention-policies", writer, map[string]any{"name": "x", "module": "gateway", "data_class": "prompt_content", "period_days": 1}); r.Status != http.StatusForbidden {
		t.Fatalf("a writer creates: %d", r.Status)
	}
	otherID, _ := in.NewTenant(t, admin, "Kilo")
	in.NewUser(t, admin, "dpo@kilo.test", "compliance_officer", "X-Tenant-ID", otherID)
	other := in.Login(t, "dpo@kilo.test", testkit.UserPassword)
	for _, c := range []struct{ method, path string }{{http.MethodGet, "/retention-policies/" + p.ID}, {http.MethodPost, "/retention-policies/" + p.ID + "/enforce"}} {
		if r := in.Do(t, c.method, api+c.path, other, nil); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "DG-013" {
			t.Fatalf("cross-tenant %s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodPatch, api+"/retention-policies/"+p.ID, other, map[string]any{"enabled": true}); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant patch: %d", r.Status)
	}
}
