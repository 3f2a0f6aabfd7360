package datagov_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/data-gov"

type dataset struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	LawfulBasis string  `json:"lawful_basis"`
	Sensitivity *string `json:"sensitivity"`
}

type finding struct {
	Type        string  `json:"type"`
	Count       int     `json:"count"`
	Share       float64 `json:"share"`
	Confidence  float64 `json:"confidence"`
	Sensitivity string  `json:"sensitivity"`
}

type classified struct {
	Classification struct {
		Sensitivity string   `json:"sensitivity"`
		Types       []string `json:"types"`
		Samples     int      `json:"samples"`
	} `json:"classification"`
	Columns []struct {
		Column      string    `json:"column"`
		Sensitivity string    `json:"sensitivity"`
		Findings    []finding `json:"findings"`
	} `json:"columns"`
	Entities []struct {
		Type  string `json:"type"`
		Start int    `json:"start"`
		End   int    `json:"end"`
	} `json:"entities"`
	Recorded bool `json:"recorded"`
}

type dsar struct {
	ID                 string    `json:"id"`
	Type               string    `json:"type"`
	Jurisdiction       string    `json:"jurisdiction"`
	SubjectUserID      string    `json:"subject_user_id"`
	SubjectEmail       string    `json:"subject_email"`
	Status             string    `json:"status"`
	Verification       string    `json:"verification"`
	VerificationMethod string    `json:"verification_method"`
	ReceivedAt         time.Time `json:"received_at"`
	DueAt              time.Time `json:"due_at"`
	InitialDueAt       time.Time `json:"initial_due_at"`
	Extended           bool      `json:"extended"`
	Overdue            bool      `json:"overdue"`
}

func ceType(m *sarama.ConsumerMessage) string {
	for _, h := range m.Headers {
		if string(h.Key) == "ce_type" {
			return string(h.Value)
		}
	}
	return ""
}

// countEvents counts the records of a CloudEvents type on the module's topic.
func countEvents(t *testing.T, in *testkit.Instance, typ string) int {
	t.Helper()
	n := 0
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.data_gov") {
		if ceType(m) == "com.astra.data_gov."+typ {
			n++
		}
	}
	return n
}

func TestDataGov_InventoryAndClassificationWithTheGatewayEngine(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, viewer := in.SignIn(t, admin, "viewer@dg.test", "viewer")
	_, developer := in.SignIn(t, admin, "dev@dg.test", "developer")

	// Register: the lawful basis is checked, the columns kept.
	var ds dataset
	r := in.Do(t, http.MethodPost, api+"/datasets", admin, map[string]any{"name": "crm.customers", "owner": "data-team", "system": "postgres-crm",
		"location": "postgres://crm/public.customers", "lawful_basis": "contract", "retention_class": "customer-records",
		"columns": []map[string]string{{"name": "email", "type": "text"}, {"name": "card", "type": "text"}, {"name": "note", "type": "text"}}})
	if r.Status != http.StatusCreated || r.Header.Get("Location") == "" {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	r.Data(t, &ds)
	if ds.LawfulBasis != "contract" || ds.Sensitivity != nil {
		t.Fatalf("registered: %+v", ds)
	}
	if r := in.DoRaw(t, http.MethodPost, api+"/datasets", admin, map[string]any{"name": "x", "lawful_basis": "because"}); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown lawful basis: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/datasets", admin, map[string]any{"name": "dup", "columns": []map[string]string{{"name": "a"}, {"name": "a"}}}); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "DG-002" {
		t.Fatalf("duplicate columns: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, api+"/datasets/"+ds.ID+"/classification", viewer, nil); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "DG-003" {
		t.Fatalf("classification before any: %d %s", r.Status, r.Body)
	}

	// Text: the gateway's type names, the spans, no values echoed.
	text := "Reach Jane at jane.doe@example.com, card 4111 1111 1111 1111."
	var c classified
	r = in.Do(t, http.MethodPost, api+"/classify", admin, map[string]string{"text": text})
	if r.Status != http.StatusOK {
		t.Fatalf("classify text: %d %s", r.Status, r.Body)
	}
	r.Data(t, &c)
	// The engine finds names too (the gateway's PII engine, every type on).
	if c.Classification.Sensitivity != "restricted" || strings.Join(c.Classification.Types, ",") != "CREDIT_CARD,EMAIL_ADDRESS,PERSON" || c.Recorded {
		t.Fatalf("text: %+v", c)
	}
	want := map[string]string{"PERSON": "Jane", "EMAIL_ADDRESS": "jane.doe@example.com", "CREDIT_CARD": "4111 1111 1111 1111"}
	for _, e := range c.Entities {
		if text[e.Start:e.End] != want[e.Type] {
			t.Fatalf("entity %+v covers %q, want %q", e, text[e.Start:e.End], want[e.Type])
		}
	}
	if len(c.Entities) != len(want) {
		t.Fatalf("entities: %+v", c.Entities)
	}
	if strings.Contains(string(r.Body), "jane.doe@example.com") {
		t.Fatal("the answer repeats the value it found")
	}

	// Columns of a dataset: per-column findings with confidence, recorded.
	cols := map[string][]string{
		"email": {"a.b@example.com", "c.d@example.org", "e.f@example.net", ""},
		"card":  {"4111-1111-1111-1111", "5500 0000 0000 0004", "not a card", "n/a"},
		"note":  {"call me tomorrow", "fine", "ok", "meeting at noon"},
	}
	r = in.Do(t, http.MethodPost, api+"/classify", admin, map[string]any{"columns": cols, "dataset_id": ds.ID})
	if r.Status != http.StatusOK {
		t.Fatalf("classify columns: %d %s", r.Status, r.Body)
	}
	r.Data(t, &c)
	byCol := map[string][]finding{}
	level := map[string]string{}
	for _, col := range c.Columns {
		byCol[col.Column], level[col.Column] = col.Findings, col.Sensitivity
	}
	if !c.Recorded || c.Classification.Sensitivity != "restricted" || c.Classification.Samples != 12 {
		t.Fatalf("columns: %+v", c.Classification)
	}
	if f := byCol["email"]; len(f) != 1 || f[0].Type != "EMAIL_ADDRESS" || f[0].Count != 3 || f[0].Share != 0.75 || f[0].Confidence <= 0 || f[0].Confidence > 0.75 {
		t.Fatalf("email column: %+v", f)
	}
	if f := byCol["card"]; len(f) != 1 || f[0].Type != "CREDIT_CARD" || f[0].Count != 2 || level["card"] != "restricted" {
		t.Fatalf("card column: %+v %s", f, level["card"])
	}
	if len(byCol["note"]) != 0 || level["note"] != "public" {
		t.Fatalf("note column: %+v", byCol["note"])
	}
	var cl struct {
		DatasetID      string `json:"dataset_id"`
		Classification struct {
			Sensitivity string `json:"sensitivity"`
		} `json:"classification"`
		ClassifiedBy string `json:"classified_by"`
	}
	in.Do(t, http.MethodGet, api+"/datasets/"+ds.ID+"/classification", viewer, nil).Data(t, &cl)
	if cl.DatasetID != ds.ID || cl.Classification.Sensitivity != "restricted" || cl.ClassifiedBy == "" {
		t.Fatalf("recorded classification: %+v", cl)
	}
	in.Do(t, http.MethodGet, api+"/datasets/"+ds.ID, viewer, nil).Data(t, &ds)
	if ds.Sensitivity == nil || *ds.Sensitivity != "restricted" {
		t.Fatalf("dataset sensitivity: %+v", ds)
	}
	// No sample reaches the ledger or the broker.
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.data_gov") {
		if strings.Contains(string(m.Value), "example.org") || strings.Contains(string(m.Value), "5500") {
			t.Fatalf("a sample is on the topic: %s", m.Value)
		}
	}
	if n := countEvents(t, in, "DatasetClassified"); n != 1 {
		t.Fatalf("%d DatasetClassified, want 1 (text classification records nothing)", n)
	}

	// Validation: problem+json with a code.
	for name, body := range map[string]any{
		"both":               map[string]any{"text": "x", "columns": map[string][]string{"a": {"b"}}},
		"nothing":            map[string]any{},
		"text for a dataset": map[string]any{"text": "x", "dataset_id": ds.ID},
	} {
		if r := in.Do(t, http.MethodPost, api+"/classify", admin, body); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "DG-004" {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	long := make([]string, 1001)
	if r := in.Do(t, http.MethodPost, api+"/classify", admin, map[string]any{"columns": map[string][]string{"a": long}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("too many samples: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/classify", admin, map[string]any{"columns": cols, "dataset_id": "0190a0c0-0000-7000-8000-000000000000"}); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "DG-001" {
		t.Fatalf("unknown dataset: %d %s", r.Status, r.Body)
	}

	// Pagination with total_count.
	for i := range 4 {
		in.Do(t, http.MethodPost, api+"/datasets", admin, map[string]any{"name": "set-" + string(rune('a'+i)), "system": "lake"})
	}
	items, pages := testkit.Walk[dataset](t, in, api+"/datasets?limit=2", viewer)
	if len(items) != 5 || len(pages) != 3 || testkit.SameTotal(t, "datasets", pages) != 5 {
		t.Fatalf("walk: %d items, %d pages", len(items), len(pages))
	}
	if p := testkit.GetPage[dataset](t, in, api+"/datasets?system=lake", viewer); len(p.Data) != 4 || *p.Meta.Pagination.TotalCount != 4 {
		t.Fatalf("filter: %+v", p.Meta.Pagination)
	}
	if p := testkit.GetPage[dataset](t, in, api+"/datasets?sensitivity=restricted", viewer); len(p.Data) != 1 {
		t.Fatalf("sensitivity filter: %d", len(p.Data))
	}
	if r := in.Do(t, http.MethodGet, api+"/datasets?sensitivity=secret", viewer, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("unknown enum value: %d", r.Status)
	}

	// Denial paths: read-only roles do not write, roles without the module do not read, nobody anonymous.
	for _, w := range []struct{ path string }{{"/datasets"}, {"/classify"}, {"/dsar"}, {"/lineage/events"}, {"/retention-policies"}} {
		if r := in.DoRaw(t, http.MethodPost, api+w.path, viewer, map[string]any{"name": "x"}); r.Status != http.StatusForbidden {
			t.Fatalf("viewer POST %s: %d", w.path, r.Status)
		}
	}
	for _, path := range []string{"/datasets", "/dsar", "/retention-policies", "/datasets/" + ds.ID} {
		if r := in.Do(t, http.MethodGet, api+path, developer, nil); r.Status != http.StatusForbidden || r.Problem(t).ErrorCode != "AUTH-006" {
			t.Fatalf("developer GET %s: %d %s", path, r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodGet, api+path, "", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous GET %s: %d", path, r.Status)
		}
	}

	// Tenant isolation.
	_, other := in.NewTenant(t, admin, "Hotel")
	for _, path := range []string{"/datasets/" + ds.ID, "/datasets/" + ds.ID + "/classification"} {
		if r := in.Do(t, http.MethodGet, api+path, other, nil); r.Status != http.StatusNotFound {
			t.Fatalf("cross-tenant %s: %d", path, r.Status)
		}
	}
	if r := in.Do(t, http.MethodPost, api+"/classify", other, map[string]any{"columns": cols, "dataset_id": ds.ID}); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant classify: %d", r.Status)
	}
	if p := testkit.GetPage[dataset](t, in, api+"/datasets", other); len(p.Data) != 0 {
		t.Fatalf("other tenant lists %d datasets", len(p.Data))
	}
}

func TestDataGov_SubjectRequestsHaveLegalDeadlinesAndAlertWhenOverdue(t *testing.T) {
	// The module's clock moves forward on demand (the deadline scan reads it).
	var skew atomic.Int64
	app.DataGovNow = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	defer func() { app.DataGovNow = time.Now }()
	scan := app.DsarDeadlineScan
	app.DsarDeadlineScan = 100 * time.Millisecond
	defer func() { app.DsarDeadlineScan = scan }()
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	officer, officerTok := in.SignIn(t, admin, "officer@dg.test", "compliance_officer")
	_, auditor := in.SignIn(t, admin, "auditor@dg.test", "auditor")
	_, secadmin := in.SignIn(t, admin, "secadmin@dg.test", "security_admin")

	create := func(tok string, body map[string]any) (*testkit.Response, dsar) {
		var d dsar
		r := in.Do(t, http.MethodPost, api+"/dsar", tok, body)
		if r.Status == http.StatusCreated {
			r.Data(t, &d)
		}
		return r, d
	}
	// GDPR: 30 days; one extension of two months, with a reason.
	r, g := create(officerTok, map[string]any{"type": "access", "subject_email": "Someone@Example.com"})
	if r.Status != http.StatusCreated {
		t.Fatalf("gdpr: %d %s", r.Status, r.Body)
	}
	if g.Jurisdiction != "gdpr" || g.Verification != "pending" || g.Status != "open" || !g.DueAt.Equal(g.ReceivedAt.AddDate(0, 0, 30)) || g.SubjectEmail != "someone@example.com" {
		t.Fatalf("gdpr request: %+v", g)
	}
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+g.ID+"/extend", officerTok, map[string]any{"reason": ""}); r.Status != http.StatusBadRequest {
		t.Fatalf("extension without reason: %d %s", r.Status, r.Body)
	}
	var ext dsar
	r = in.Do(t, http.MethodPost, api+"/dsar/"+g.ID+"/extend", officerTok, map[string]any{"reason": "complex request spanning archives"})
	if r.Status != http.StatusOK {
		t.Fatalf("extend: %d %s", r.Status, r.Body)
	}
	r.Data(t, &ext)
	if !ext.Extended || !ext.DueAt.Equal(g.DueAt.AddDate(0, 2, 0)) || !ext.InitialDueAt.Equal(g.DueAt) {
		t.Fatalf("extended: %+v", ext)
	}
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+g.ID+"/extend", officerTok, map[string]any{"reason": "again"}); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "DG-009" {
		t.Fatalf("second extension: %d %s", r.Status, r.Body)
	}
	// CCPA: 45 days plus 45.
	_, c := create(officerTok, map[string]any{"type": "erasure", "subject_user_id": officer.ID, "jurisdiction": "ccpa"})
	if !c.DueAt.Equal(c.ReceivedAt.AddDate(0, 0, 45)) || c.SubjectUserID != officer.ID {
		t.Fatalf("ccpa: %+v", c)
	}
	in.Do(t, http.MethodPost, api+"/dsar/"+c.ID+"/extend", officerTok, map[string]any{"reason": "volume"}).Data(t, &ext)
	if !ext.DueAt.Equal(c.DueAt.AddDate(0, 0, 45)) {
		t.Fatalf("ccpa extension: %+v", ext)
	}
	// The subject by address is matched to the tenant's user.
	_, byMail := create(officerTok, map[string]any{"type": "rectification", "subject_email": "officer@dg.test", "subject_name": "Olive Officer"})
	if byMail.SubjectUserID != officer.ID {
		t.Fatalf("subject by address: %+v", byMail)
	}
	for name, body := range map[string]map[string]any{
		"no subject":    {"type": "access"},
		"bad address":   {"type": "access", "subject_email": "not-an-address"},
		"unknown type":  {"type": "deletion", "subject_email": "a@b.test"},
		"unknown juris": {"type": "access", "subject_email": "a@b.test", "jurisdiction": "lgpd"},
	} {
		if r := in.DoRaw(t, http.MethodPost, api+"/dsar", officerTok, body); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r, _ := create(officerTok, map[string]any{"type": "access", "subject_user_id": "0190a0c0-0000-7000-8000-000000000000"}); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "DG-010" {
		t.Fatalf("unknown user: %d %s", r.Status, r.Body)
	}

	// Identity verification: a failed check refuses fulfilment.
	var v dsar
	r = in.Do(t, http.MethodPost, api+"/dsar/"+byMail.ID+"/verify", officerTok, map[string]any{"state": "failed", "method": "call-back to the number on file"})
	if r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	r.Data(t, &v)
	if v.Verification != "failed" || v.VerificationMethod != "call-back to the number on file" {
		t.Fatalf("verified: %+v", v)
	}
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+byMail.ID+"/fulfill", officerTok, nil); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "DG-008" {
		t.Fatalf("fulfil unverified: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+byMail.ID+"/reject", officerTok, map[string]any{"reason": "identity not established"}); r.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+byMail.ID+"/verify", officerTok, map[string]any{"state": "verified", "method": "x"}); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "DG-007" {
		t.Fatalf("verify a closed request: %d %s", r.Status, r.Body)
	}

	// Fulfilment is data_gov:admin: a security admin (read, write) may not.
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+g.ID+"/fulfill", secadmin, nil); r.Status != http.StatusForbidden {
		t.Fatalf("security admin fulfils: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/dsar/"+g.ID+"/verify", auditor, map[string]any{"state": "verified", "method": "x"}); r.Status != http.StatusForbidden {
		t.Fatalf("auditor verifies: %d", r.Status)
	}

	// Overdue: the scan raises the alert once per due date.
	// Past the initial dates but within the extended ones: no alert.
	skew.Store(int64(50 * 24 * time.Hour))
	time.Sleep(500 * time.Millisecond)
	if p := testkit.GetPage[dsar](t, in, api+"/dsar?overdue=true", auditor); len(p.Data) != 0 {
		t.Fatalf("overdue within the extended dates: %+v", p.Data)
	}
	skew.Store(int64(100 * 24 * time.Hour))
	testkit.Eventually(t, 20*time.Second, "the overdue alerts", func() bool {
		p := testkit.GetPage[dsar](t, in, api+"/dsar?overdue=true", auditor)
		return len(p.Data) == 2
	})
	time.Sleep(500 * time.Millisecond) // several more scans
	if n := countEvents(t, in, "DsarOverdue"); n != 2 {
		t.Fatalf("%d DsarOverdue events, want 2 (one per open request, once)", n)
	}
	if p := testkit.GetPage[dsar](t, in, api+"/dsar?status=rejected", auditor); len(p.Data) != 1 || p.Data[0].ID != byMail.ID {
		t.Fatalf("rejected: %+v", p.Data)
	}
	all, pages := testkit.Walk[dsar](t, in, api+"/dsar?limit=2", auditor)
	if len(all) != 3 || testkit.SameTotal(t, "dsars", pages) != 3 {
		t.Fatalf("walk: %d", len(all))
	}

	// Tenant isolation on every request route.
	otherID, _ := in.NewTenant(t, admin, "India")
	in.NewUser(t, admin, "dpo@india.test", "compliance_officer", "X-Tenant-ID", otherID)
	other := in.Login(t, "dpo@india.test", testkit.UserPassword)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/dsar/" + g.ID, nil},
		{http.MethodPost, "/dsar/" + g.ID + "/verify", map[string]any{"state": "verified", "method": "x"}},
		{http.MethodPost, "/dsar/" + g.ID + "/extend", map[string]any{"reason": "x"}},
		{http.MethodPost, "/dsar/" + g.ID + "/reject", map[string]any{"reason": "x"}},
		{http.MethodPost, "/dsar/" + g.ID + "/fulfill", nil},
		{http.MethodGet, "/dsar/not-a-uuid", nil},
	} {
		if r := in.Do(t, c.method, api+c.path, other, c.body); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "DG-005" {
			t.Fatalf("cross-tenant %s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	if r, _ := create(other, map[string]any{"type": "access", "subject_user_id": officer.ID}); r.Status != http.StatusNotFound {
		t.Fatalf("another tenant's user as subject: %d", r.Status)
	}
}
