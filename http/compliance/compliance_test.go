package compliance_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/compliance"

type assessment struct {
	ID            string   `json:"id"`
	Status        string   `json:"status"`
	Assessed      int      `json:"assessed"`
	Assessable    int      `json:"assessable"`
	Compliant     int      `json:"compliant"`
	NotAssessed   int      `json:"not_assessed"`
	Stale         int      `json:"stale"`
	Score         *float64 `json:"score"`
	Progress      float64  `json:"progress"`
	NotApplicable int      `json:"not_applicable"`
	Results       []struct {
		RequirementID string `json:"requirement_id"`
		Stale         bool   `json:"stale"`
	} `json:"results"`
}

func user(t *testing.T, in *testkit.Instance, admin, email, role string) string {
	t.Helper()
	if r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": email, "name": role, "role": role, "password": "user-password-123"}); r.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", role, r.Status, r.Body)
	}
	return in.Login(t, email, "user-password-123")
}

func TestCompliance_FrameworksAssessmentsAndPosture(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	officer := user(t, in, admin, "officer@cmp.test", "compliance_officer")
	auditor := user(t, in, admin, "auditor@cmp.test", "auditor")

	// The built-in catalogue, paged by the kit's list builder.
	var fws []struct {
		ID         string `json:"id"`
		Kind       string `json:"kind"`
		Assessable int    `json:"assessable"`
	}
	r := in.Do(t, http.MethodGet, api+"/frameworks?limit=5", auditor, nil)
	r.Data(t, &fws)
	pg := r.Page(t)
	if len(fws) != 5 || !pg.HasMore || pg.TotalCount == nil || *pg.TotalCount != 8 {
		t.Fatalf("first page: %d frameworks, %+v", len(fws), pg)
	}
	var rest []struct {
		ID string `json:"id"`
	}
	in.Do(t, http.MethodGet, api+"/frameworks?limit=5&cursor="+url.QueryEscape(pg.Cursor), auditor, nil).Data(t, &rest)
	if len(rest) != 3 || rest[0].ID <= fws[4].ID {
		t.Fatalf("second page: %+v after %s", rest, fws[4].ID)
	}

	// One framework with its tree: parent/child links, assessable or not.
	var owasp struct {
		ID           string `json:"id"`
		Assessable   int    `json:"assessable"`
		Requirements []struct {
			ID         string   `json:"id"`
			Children   []string `json:"children"`
			Assessable bool     `json:"assessable"`
		} `json:"requirements_tree"`
	}
	in.Do(t, http.MethodGet, api+"/frameworks/nist-ai-rmf-1.0", auditor, nil).Data(t, &owasp)
	hasChildren := false
	for _, q := range owasp.Requirements {
		hasChildren = hasChildren || (len(q.Children) > 0 && !q.Assessable)
	}
	if owasp.Assessable == 0 || !hasChildren {
		t.Fatalf("tree: %+v", owasp)
	}
	if r := in.Do(t, http.MethodGet, api+"/frameworks/no-such-framework", auditor, nil); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "CMP-001" {
		t.Fatalf("unknown framework: %d %s", r.Status, r.Body)
	}

	// Adopt: once recorded, then a no-op.
	for i, changed := range []bool{true, false} {
		var ad struct {
			Changed bool `json:"changed"`
		}
		r := in.Do(t, http.MethodPost, api+"/frameworks/owasp-llm-top10-2025/adopt", officer, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("adopt %d: %d %s", i, r.Status, r.Body)
		}
		if r.Data(t, &ad); ad.Changed != changed {
			t.Fatalf("adopt %d: changed %v", i, ad.Changed)
		}
	}

	// Posture before any assessment: adopted, unknown.
	var posture []struct {
		FrameworkID string `json:"framework_id"`
		Adopted     bool   `json:"adopted"`
		Status      string `json:"status"`
		Latest      *struct {
			Score *float64 `json:"score"`
		} `json:"latest_completed"`
		Current *struct {
			Score *float64 `json:"score"`
			Stale int      `json:"stale"`
		} `json:"current"`
	}
	in.Do(t, http.MethodGet, api+"/posture", auditor, nil).Data(t, &posture)
	if len(posture) != 1 || posture[0].Status != "unknown" || !posture[0].Adopted {
		t.Fatalf("posture before: %+v", posture)
	}

	// An assessment: the exact body names; unassessed requirements earn nothing.
	r = in.Do(t, http.MethodPost, api+"/assessments", officer, map[string]string{"framework_id": "owasp-llm-top10-2025", "name": "Q3 LLM review"})
	if r.Status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	var a assessment
	r.Data(t, &a)
	if a.Assessable != 10 || a.Assessed != 0 || a.Score != nil || a.Status != "in_progress" {
		t.Fatalf("started: %+v", a)
	}
	put := func(tok, rid, result string, evidence ...string) *testkit.Response {
		return in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/"+url.PathEscape(rid), tok,
			map[string]any{"result": result, "notes": "reviewed", "evidence_ids": append([]string{}, evidence...)})
	}
	for rid, res := range map[string]string{"LLM01:2025": "compliant", "LLM02:2025": "partial", "LLM03:2025": "non_compliant", "LLM04:2025": "not_applicable"} {
		if r := put(officer, rid, res); r.Status != http.StatusOK {
			t.Fatalf("assess %s: %d %s", rid, r.Status, r.Body)
		}
	}
	in.Do(t, http.MethodGet, api+"/assessments/"+a.ID, auditor, nil).Data(t, &a)
	// (1 + 0.5) / (10 - 1 not applicable) = 16.67: the six unassessed count against.
	if a.Assessed != 4 || a.NotAssessed != 6 || a.Score == nil || *a.Score < 16.6 || *a.Score > 16.7 || a.Progress != 0.4 {
		t.Fatalf("in progress: %+v score %v", a, a.Score)
	}
	if r := put(officer, "LLM99:2025", "compliant"); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CMP-007" {
		t.Fatalf("unknown requirement: %d %s", r.Status, r.Body)
	}
	if r := in.DoRaw(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/LLM05:2025", officer, map[string]any{"result": "mostly"}); r.Status != http.StatusBadRequest {
		t.Fatalf("invalid result: %d %s", r.Status, r.Body)
	}

	// The auditor reads and never writes; no token is 401.
	if r := put(auditor, "LLM05:2025", "compliant"); r.Status != http.StatusForbidden || r.Problem(t).ErrorCode != "AUTH-006" {
		t.Fatalf("auditor write: %d %s", r.Status, r.Body)
	}
	for _, w := range []struct{ method, path string }{{http.MethodPost, "/assessments/" + a.ID + "/complete"}, {http.MethodPost, "/frameworks/nist-csf-2.0/adopt"},
		{http.MethodPost, "/controls"}, {http.MethodPost, "/evidence"}, {http.MethodPost, "/frameworks/import"}} {
		if r := in.DoRaw(t, w.method, api+w.path, auditor, map[string]any{}); r.Status != http.StatusForbidden {
			t.Fatalf("auditor %s %s: %d", w.method, w.path, r.Status)
		}
	}
	for _, path := range []string{"/frameworks", "/posture", "/assessments", "/assessments/" + a.ID, "/controls", "/evidence"} {
		if r := in.Do(t, http.MethodGet, api+path, "", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous %s: %d", path, r.Status)
		}
	}

	// CSV export: every assessable requirement, unassessed ones named so.
	r = in.Do(t, http.MethodGet, api+"/assessments/"+a.ID+"/export.csv", auditor, nil)
	lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
	if r.Status != http.StatusOK || len(lines) != 11 || !strings.Contains(string(r.Body), "LLM01:2025") || strings.Count(string(r.Body), ",not_assessed,") != 6 {
		t.Fatalf("csv: %d %s", r.Status, r.Body)
	}
	if r := in.DoRaw(t, http.MethodGet, api+"/assessments/"+a.ID+"?format=csv", auditor, nil); r.Status != http.StatusOK || !bytes.Equal(r.Body, in.Do(t, http.MethodGet, api+"/assessments/"+a.ID+"/export.csv", auditor, nil).Body) {
		t.Fatalf("format=csv: %d", r.Status)
	}

	// Complete freezes: the score is recorded, later results are refused.
	r = in.Do(t, http.MethodPost, api+"/assessments/"+a.ID+"/complete", officer, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.Status, r.Body)
	}
	r.Data(t, &a)
	if a.Status != "completed" || a.Score == nil || *a.Score < 16.6 || *a.Score > 16.7 {
		t.Fatalf("completed: %+v", a)
	}
	if r := put(officer, "LLM05:2025", "compliant"); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "CMP-006" {
		t.Fatalf("put after complete: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/assessments/"+a.ID+"/complete", officer, nil); r.Status != http.StatusConflict {
		t.Fatalf("complete twice: %d", r.Status)
	}
	in.Do(t, http.MethodGet, api+"/posture", auditor, nil).Data(t, &posture)
	if len(posture) != 1 || posture[0].Status != "assessed" || posture[0].Latest == nil || *posture[0].Latest.Score < 16.6 {
		t.Fatalf("posture after: %+v", posture)
	}
	// Nothing applicable is not a score.
	var empty assessment
	in.Do(t, http.MethodPost, api+"/assessments", officer, map[string]string{"framework_id": "owasp-llm-top10-2025", "name": "empty"}).Data(t, &empty)
	if r := in.Do(t, http.MethodPost, api+"/assessments/"+empty.ID+"/complete", officer, nil); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CMP-008" {
		t.Fatalf("complete empty: %d %s", r.Status, r.Body)
	}
	var list []assessment
	in.Do(t, http.MethodGet, api+"/assessments?status=completed", auditor, nil).Data(t, &list)
	if len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("completed list: %+v", list)
	}

	// The completed assessment's event carries the 0–100 score the trust pillar reads.
	found := false
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.compliance") {
		if ceType(m) == "com.astra.compliance.AssessmentCompleted" && strings.Contains(string(m.Value), `"score":16.66`) {
			found = true
		}
	}
	if !found {
		t.Fatal("no AssessmentCompleted with its score on astra.compliance")
	}

	// Tenant isolation: another tenant's ids are not found, on every route.
	_, other := in.NewTenant(t, admin, "Echo")
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/assessments/" + a.ID, nil},
		{http.MethodGet, "/assessments/" + a.ID + "/export.csv", nil},
		{http.MethodPut, "/assessments/" + a.ID + "/requirements/LLM05:2025", map[string]any{"result": "compliant"}},
		{http.MethodPost, "/assessments/" + empty.ID + "/complete", nil},
	} {
		if r := in.Do(t, c.method, api+c.path, other, c.body); r.Status != http.StatusNotFound {
			t.Fatalf("cross-tenant %s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	var otherPosture []any
	in.Do(t, http.MethodGet, api+"/posture", other, nil).Data(t, &otherPosture)
	var otherList []any
	in.Do(t, http.MethodGet, api+"/assessments", other, nil).Data(t, &otherList)
	if len(otherPosture) != 0 || len(otherList) != 0 {
		t.Fatalf("other tenant sees %d frameworks in posture, %d assessments", len(otherPosture), len(otherList))
	}
}

func TestCompliance_ControlsCoverAdoptedFrameworksThroughMappings(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	for _, fw := range []string{"iso-iec-27001-2022", "nist-csf-2.0"} {
		in.Do(t, http.MethodPost, api+"/frameworks/"+fw+"/adopt", admin, nil)
	}
	r := in.Do(t, http.MethodPost, api+"/controls", admin, map[string]any{"name": "Information security policy", "owner": "ciso", "status": "implemented",
		"requirements": []map[string]string{{"framework": "iso-iec-27001-2022", "requirement": "A.5.1"}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create control: %d %s", r.Status, r.Body)
	}
	var c struct {
		ID       string `json:"id"`
		Version  int64  `json:"version"`
		Coverage []struct {
			Framework, Requirement, Via string
			Strength                    float64
		} `json:"coverage"`
	}
	r.Data(t, &c)
	cov := map[string]string{}
	for _, x := range c.Coverage {
		cov[x.Framework+":"+x.Requirement] = x.Via
	}
	if cov["iso-iec-27001-2022:A.5.1"] != "direct" || cov["nist-csf-2.0:GV.PO-01"] != "mapping" {
		t.Fatalf("coverage: %+v", c.Coverage)
	}
	// The other direction: a control on the CSF outcome covers the ISO control.
	var back struct {
		Coverage []struct{ Framework, Requirement, Via string } `json:"coverage"`
	}
	in.Do(t, http.MethodPost, api+"/controls", admin, map[string]any{"name": "Policy (CSF)",
		"requirements": []map[string]string{{"framework": "nist-csf-2.0", "requirement": "GV.PO-01"}}}).Data(t, &back)
	ok := false
	for _, x := range back.Coverage {
		ok = ok || (x.Requirement == "A.5.1" && x.Via == "reverse_mapping")
	}
	if !ok {
		t.Fatalf("reverse coverage: %+v", back.Coverage)
	}
	if r := in.Do(t, http.MethodPatch, api+"/controls/"+c.ID, admin, map[string]any{"status": "planned"}, "If-Match", `"1"`); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/controls", admin, map[string]any{"name": "x",
		"requirements": []map[string]string{{"framework": "iso-iec-27001-2022", "requirement": "A.99"}}}); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CMP-004" {
		t.Fatalf("bad ref: %d %s", r.Status, r.Body)
	}
	var list []struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Coverage []any  `json:"coverage"`
	}
	in.Do(t, http.MethodGet, api+"/controls", admin, nil).Data(t, &list)
	if len(list) != 2 || list[1].ID != c.ID || list[1].Status != "planned" || len(list[1].Coverage) < 2 {
		t.Fatalf("list: %+v", list)
	}
	_, other := in.NewTenant(t, admin, "Foxtrot")
	if r := in.Do(t, http.MethodPatch, api+"/controls/"+c.ID, other, map[string]any{"status": "implemented"}); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant patch: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/controls/"+c.ID, other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant get: %d", r.Status)
	}
}

// multipartBody is an upload's body and its Content-Type.
func multipartBody(t *testing.T, field, filename string, content []byte, fields map[string]string) (*bytes.Buffer, string) {
	return testkit.Multipart(t, field, filename, content, fields)
}

func TestCompliance_EvidenceFilesLinksAndExpiry(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	content := []byte("SOC 2 type II report, 2025\n")
	body, ct := multipartBody(t, "file", "report.pdf", content, map[string]string{"name": "SOC 2 report",
		"expires_at": time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339)})
	r := in.Do(t, http.MethodPost, api+"/evidence", admin, body.Bytes(), "Content-Type", ct)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var ev struct {
		ID     string `json:"id"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
		Kind   string `json:"kind"`
	}
	r.Data(t, &ev)
	sum := sha256.Sum256(content)
	if ev.SHA256 != hex.EncodeToString(sum[:]) || ev.Size != int64(len(content)) || ev.Kind != "file" {
		t.Fatalf("evidence: %+v", ev)
	}
	d := in.Do(t, http.MethodGet, api+"/evidence/"+ev.ID+"/download", admin, nil)
	if d.Status != http.StatusOK || !bytes.Equal(d.Body, content) || d.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download: %d %q", d.Status, d.Body)
	}

	// A link is checked with the outbound rules: no loopback, no metadata address, https only.
	for _, u := range []string{"https://127.0.0.1/report", "https://169.254.169.254/latest/meta-data", "http://example.com/x"} {
		if r := in.Do(t, http.MethodPost, api+"/evidence", admin, map[string]string{"url": u}); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CMP-012" {
			t.Fatalf("link %s: %d %s", u, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodGet, api+"/evidence/"+ev.ID+"/download", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous download: %d", r.Status)
	}
	_, other := in.NewTenant(t, admin, "Golf")
	for _, p := range []string{"/evidence/" + ev.ID, "/evidence/" + ev.ID + "/download"} {
		if r := in.Do(t, http.MethodGet, api+p, other, nil); r.Status != http.StatusNotFound {
			t.Fatalf("cross-tenant %s: %d", p, r.Status)
		}
	}

	// A result supported by the evidence goes stale when it expires.
	var a assessment
	in.Do(t, http.MethodPost, api+"/assessments", admin, map[string]string{"framework_id": "owasp-llm-top10-2025", "name": "with evidence"}).Data(t, &a)
	if r := in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/LLM01:2025", other, map[string]any{"result": "compliant", "evidence_ids": []string{ev.ID}}); r.Status != http.StatusNotFound {
		t.Fatalf("other tenant's assessment: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/LLM01:2025", admin, map[string]any{"result": "compliant", "evidence_ids": []string{ev.ID}}); r.Status != http.StatusOK {
		t.Fatalf("assess with evidence: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 20*time.Second, "evidence expiry makes the result stale", func() bool {
		var x assessment
		in.Do(t, http.MethodGet, api+"/assessments/"+a.ID, admin, nil).Data(t, &x)
		return x.Stale == 1 && len(x.Results) == 1 && x.Results[0].Stale
	})
	if r := in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/LLM02:2025", admin, map[string]any{"result": "compliant", "evidence_ids": []string{ev.ID}}); r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "CMP-010" {
		t.Fatalf("expired evidence cited: %d %s", r.Status, r.Body)
	}
	n := 0
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.compliance") {
		if ceType(m) == "com.astra.compliance.EvidenceExpired" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d EvidenceExpired events, want exactly 1", n)
	}

	// Tampered bytes on disk are never served.
	path := filepath.Join(in.Cfg.DataDir, "evidence", ev.SHA256[:2], ev.SHA256)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("SOC 2 type II report, TAMPERED\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d = in.Do(t, http.MethodGet, api+"/evidence/"+ev.ID+"/download", admin, nil)
	if d.Status != http.StatusInternalServerError || d.Problem(t).ErrorCode != "CMP-013" || bytes.Contains(d.Body, []byte("TAMPERED")) {
		t.Fatalf("tampered download: %d %s", d.Status, d.Body)
	}
}

func ceType(m *sarama.ConsumerMessage) string {
	for _, h := range m.Headers {
		if string(h.Key) == "ce_type" {
			return string(h.Value)
		}
	}
	return ""
}
