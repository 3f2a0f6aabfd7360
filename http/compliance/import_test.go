package compliance_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
	"github.com/astrabastion/astra/testkit/shareddata"
)

type imported struct {
	Framework struct {
		ID           string `json:"id"`
		Kind         string `json:"kind"`
		Requirements int    `json:"requirements"`
		Assessable   int    `json:"assessable"`
		Controls     int    `json:"controls"`
		Enhancements int    `json:"enhancements"`
		Withdrawn    int    `json:"withdrawn"`
		BlobSHA256   string `json:"blob_sha256"`
	} `json:"framework"`
	DurationMs float64 `json:"duration_ms"`
}

// zeros reads n bytes of a repeated byte without holding them.
type zeros struct {
	n int64
	b byte
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	for i := range p {
		p[i] = z.b
	}
	z.n -= int64(len(p))
	return len(p), nil
}

func TestCompliance_ImportOSCALCatalogs(t *testing.T) {
	moderate := shareddata.Read(t, "oscal/nist-800-53r5-moderate-resolved.json")
	low := shareddata.Read(t, "oscal/nist-800-53r5-low-resolved.json")
	csf := shareddata.Read(t, "oscal/nist-csf-2.0-catalog.xml")
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	officer := user(t, in, admin, "importer@cmp.test", "compliance_officer")
	auditor := user(t, in, admin, "auditor2@cmp.test", "auditor")

	// The moderate baseline as the JSON body, measured through the API.
	start := time.Now()
	r := in.Do(t, http.MethodPost, api+"/frameworks/import", officer, moderate)
	took := time.Since(start)
	if r.Status != http.StatusCreated {
		t.Fatalf("import moderate: %d %s", r.Status, r.Body)
	}
	var mod imported
	r.Data(t, &mod)
	t.Logf("MEASURE import nist-800-53r5-moderate-resolved.json (%d bytes): %v over HTTP (server %.1f ms); %d requirements, %d controls, %d enhancements, %d withdrawn, %d assessable",
		len(moderate), took, mod.DurationMs, mod.Framework.Requirements, mod.Framework.Controls, mod.Framework.Enhancements, mod.Framework.Withdrawn, mod.Framework.Assessable)
	if mod.Framework.Kind != "imported" || mod.Framework.Controls < 100 || mod.Framework.Enhancements < 50 || len(mod.Framework.BlobSHA256) != 64 {
		t.Fatalf("moderate: %+v", mod.Framework)
	}

	// The tree keeps groups, controls, enhancements, parameters and parts.
	var tree struct {
		Requirements []struct {
			ID        string   `json:"id"`
			ParentID  string   `json:"parent_id"`
			Class     string   `json:"class"`
			Label     string   `json:"label"`
			Withdrawn bool     `json:"withdrawn"`
			Children  []string `json:"children"`
			Params    []any    `json:"params"`
			Parts     []any    `json:"parts"`
		} `json:"requirements_tree"`
	}
	in.Do(t, http.MethodGet, api+"/frameworks/"+mod.Framework.ID, auditor, nil).Data(t, &tree)
	classes := map[string]int{}
	var ac2, ac21 bool
	for _, q := range tree.Requirements {
		classes[q.Class]++
		if q.ID == "ac-2" {
			ac2 = len(q.Params) > 0 && len(q.Parts) > 0 && len(q.Children) > 0 && q.ParentID == "ac"
		}
		if q.ID == "ac-2.1" {
			ac21 = q.Class == "enhancement" && q.ParentID == "ac-2" && q.Label != ""
		}
	}
	if classes["group"] == 0 || !ac2 || !ac21 || len(tree.Requirements) != mod.Framework.Requirements {
		t.Fatalf("tree: classes %v, ac-2 %v, ac-2.1 %v, %d nodes", classes, ac2, ac21, len(tree.Requirements))
	}

	// Importing it again is a conflict; the low baseline is another catalog.
	if r := in.Do(t, http.MethodPost, api+"/frameworks/import", officer, moderate); r.Status != http.StatusConflict || r.Problem(t).ErrorCode != "CMP-002" {
		t.Fatalf("re-import: %d %s", r.Status, r.Body)
	}
	var lo imported
	if r := in.Do(t, http.MethodPost, api+"/frameworks/import", officer, low); r.Status != http.StatusCreated {
		t.Fatalf("import low: %d %s", r.Status, r.Body)
	} else {
		r.Data(t, &lo)
	}
	if lo.Framework.ID == mod.Framework.ID || lo.Framework.Controls >= mod.Framework.Controls {
		t.Fatalf("low: %+v", lo.Framework)
	}

	// CSF 2.0 in XML, as the file part of a multipart body; withdrawn nodes marked.
	body, ct := multipartBody(t, "file", "csf.xml", csf, nil)
	r = in.Do(t, http.MethodPost, api+"/frameworks/import", officer, body.Bytes(), "Content-Type", ct)
	if r.Status != http.StatusCreated {
		t.Fatalf("import csf xml: %d %s", r.Status, r.Body)
	}
	var x imported
	r.Data(t, &x)
	if x.Framework.Requirements < 200 || x.Framework.Assessable == 0 {
		t.Fatalf("csf: %+v", x.Framework)
	}
	// None of the shared files withdraws a control; a small catalog does.
	withdrawn := `{"catalog":{"uuid":"5a4a8b52-8f5e-4b1e-9d57-3b1f2a3c4d5e","metadata":{"title":"Withdrawn test","version":"1","oscal-version":"1.1.2"},
		"groups":[{"id":"g","title":"G","controls":[{"id":"g-1","title":"Kept","parts":[{"name":"statement","prose":"Do it."}]},
		{"id":"g-2","title":"Gone","props":[{"name":"status","value":"withdrawn"}]}]}]}}`
	r = in.Do(t, http.MethodPost, api+"/frameworks/import", officer, withdrawn)
	var wd imported
	if r.Status != http.StatusCreated {
		t.Fatalf("withdrawn catalog: %d %s", r.Status, r.Body)
	}
	if r.Data(t, &wd); wd.Framework.Withdrawn != 1 || wd.Framework.Assessable != 1 {
		t.Fatalf("withdrawn catalog: %+v", wd.Framework)
	}
	var wtree struct {
		Requirements []struct {
			ID         string `json:"id"`
			Withdrawn  bool   `json:"withdrawn"`
			Assessable bool   `json:"assessable"`
		} `json:"requirements_tree"`
	}
	in.Do(t, http.MethodGet, api+"/frameworks/"+wd.Framework.ID, auditor, nil).Data(t, &wtree)
	if len(wtree.Requirements) != 3 || !wtree.Requirements[2].Withdrawn || wtree.Requirements[2].Assessable {
		t.Fatalf("withdrawn tree: %+v", wtree.Requirements)
	}

	// An imported framework is assessed like a built-in one.
	var a assessment
	in.Do(t, http.MethodPost, api+"/assessments", officer, map[string]string{"framework_id": mod.Framework.ID, "name": "800-53 moderate"}).Data(t, &a)
	if a.Assessable != mod.Framework.Assessable {
		t.Fatalf("assessment of the import: %+v", a)
	}
	if r := in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/ac-2.1", officer, map[string]any{"result": "compliant"}); r.Status != http.StatusOK {
		t.Fatalf("assess ac-2.1: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPut, api+"/assessments/"+a.ID+"/requirements/ac", officer, map[string]any{"result": "compliant"}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("assess a group: %d %s", r.Status, r.Body)
	}

	// Hostile and wrong documents: a precise 4xx and nothing recorded.
	var before []any
	in.Do(t, http.MethodGet, api+"/frameworks?limit=200", auditor, nil).Data(t, &before)
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0">&lol3;</catalog>`
	for _, c := range []struct {
		name, ct, body, code string
		status               int
	}{
		{"billion laughs", "application/xml", laughs, "CMP-016", http.StatusUnprocessableEntity},
		{"deep nesting", "application/json", strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000), "CMP-016", http.StatusUnprocessableEntity},
		{"a profile", "application/json", `{"profile":{"uuid":"x","metadata":{"title":"p","oscal-version":"1.1.2"}}}`, "CMP-018", http.StatusUnprocessableEntity},
		{"OSCAL 2", "application/json", `{"catalog":{"uuid":"x","metadata":{"title":"c","version":"1","oscal-version":"2.0.0"},"controls":[{"id":"a-1","title":"A"}]}}`, "CMP-018", http.StatusUnprocessableEntity},
		{"malformed", "application/json", `{"catalog": {`, "CMP-017", http.StatusUnprocessableEntity},
		{"plain text", "text/plain", `catalog`, "VAL-003", http.StatusUnsupportedMediaType},
	} {
		r := in.Do(t, http.MethodPost, api+"/frameworks/import", officer, c.body, "Content-Type", c.ct)
		if r.Status != c.status || r.Problem(t).ErrorCode != c.code {
			t.Fatalf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// 100 MB, streamed: refused at the 20 MB bound without reading the rest.
	req, _ := http.NewRequest(http.MethodPost, in.URL+api+"/frameworks/import", io.MultiReader(strings.NewReader(`{"catalog":"`), &zeros{n: 100 << 20, b: 'a'}))
	req.Header.Set("Authorization", "Bearer "+officer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("100 MB: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !bytes.Contains(b, []byte("CMP-015")) {
		t.Fatalf("100 MB: %d %s", resp.StatusCode, b)
	}
	var after []any
	in.Do(t, http.MethodGet, api+"/frameworks?limit=200", auditor, nil).Data(t, &after)
	n := 0
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.compliance") {
		if ceType(m) == "com.astra.compliance.FrameworkImported" {
			n++
		}
	}
	if len(after) != len(before) || len(before) != 12 || n != 4 {
		t.Fatalf("refused imports recorded something: %d frameworks before, %d after, %d FrameworkImported", len(before), len(after), n)
	}

	// Imports are the tenant's own; writing them needs compliance:admin.
	_, other := in.NewTenant(t, admin, "Hotel")
	if r := in.Do(t, http.MethodGet, api+"/frameworks/"+mod.Framework.ID, other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant framework: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/frameworks/"+mod.Framework.ID+"/adopt", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant adopt: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/frameworks/import", auditor, low); r.Status != http.StatusForbidden {
		t.Fatalf("auditor import: %d", r.Status)
	}
}
