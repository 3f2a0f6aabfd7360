package datagov_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/testkit"
)

// chat sends one prompt through the gateway's mock provider and returns the
// request's id.
func chat(t *testing.T, in *testkit.Instance, token, prompt string) string {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", token, map[string]any{"provider": "mock", "model": "mock-small",
		"messages": []map[string]string{{"role": "user", "content": prompt}}})
	if r.Status != http.StatusOK {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}
	var out struct {
		Security struct {
			RequestID string `json:"request_id"`
		} `json:"security"`
	}
	r.Data(t, &out)
	return out.Security.RequestID
}

// keepFullContent makes the tenant's default policy keep prompts whole.
func keepFullContent(t *testing.T, in *testkit.Instance, token string) {
	t.Helper()
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", token, map[string]any{"name": "default", "log_content": "full",
		"pii": map[string]any{"enabled": false}, "cache": false}); r.Status != http.StatusCreated {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
}

// upload adds a file of evidence as token and returns its id.
func upload(t *testing.T, in *testkit.Instance, token, name string, content []byte) string {
	t.Helper()
	body, ct := testkit.MultipartBody(t, map[string]string{"name": name}, "file", name+".txt", content)
	r := in.Do(t, http.MethodPost, "/api/v1/compliance/evidence", token, body, "Content-Type", ct)
	if r.Status != http.StatusCreated {
		t.Fatalf("evidence: %d %s", r.Status, r.Body)
	}
	var ev struct {
		ID string `json:"id"`
	}
	r.Data(t, &ev)
	return ev.ID
}

type fulfilment struct {
	Dsar struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Archive *struct {
			SHA256  string   `json:"sha256"`
			Items   int      `json:"items"`
			Modules []string `json:"modules"`
		} `json:"archive"`
		Verification       string `json:"verification"`
		VerificationMethod string `json:"verification_method"`
	} `json:"dsar"`
	Export      *datagov.SignedArchive `json:"export"`
	Certificate *datagov.Certificate   `json:"certificate"`
}

func TestDataGov_AccessExportHoldsTheSubjectsDataOfEveryModule(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	keepFullContent(t, in, admin)
	subject, subjectTok := in.SignIn(t, admin, "quinn.archive@dg.test", "security_admin")
	bystander, bystanderTok := in.SignIn(t, admin, "bystander@dg.test", "security_admin")

	// Activity in five modules.
	key, keyID := in.NewAPIKey(t, subjectTok, "quinn's app", "gateway:write")
	viaKey := chat(t, in, key, "Summarise the Q3 pipeline for Quinn Archive")
	viaToken := chat(t, in, subjectTok, "Draft a reply to the vendor about invoice 7741")
	other := chat(t, in, bystanderTok, "Not the subject's prompt")
	evidence := upload(t, in, subjectTok, "pen-test-report", []byte("findings: none critical\n"))
	upload(t, in, bystanderTok, "someone-elses-evidence", []byte("other\n"))
	var rk struct {
		ID string `json:"id"`
	}
	r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "Vendor lock-in", "owner": "quinn.archive@dg.test", "likelihood": 3, "impact": 4})
	if r.Status != http.StatusCreated {
		t.Fatalf("risk: %d %s", r.Status, r.Body)
	}
	r.Data(t, &rk)
	in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "Someone else's", "owner": bystander.ID, "likelihood": 1, "impact": 1})

	for _, typ := range []string{"access", "portability"} {
		var d dsar
		r := in.Do(t, http.MethodPost, api+"/dsar", admin, map[string]any{"type": typ, "subject_user_id": subject.ID})
		if r.Status != http.StatusCreated {
			t.Fatalf("%s: %d %s", typ, r.Status, r.Body)
		}
		r.Data(t, &d)
		var f fulfilment
		r = in.Do(t, http.MethodPost, api+"/dsar/"+d.ID+"/fulfill", admin, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("fulfil %s: %d %s", typ, r.Status, r.Body)
		}
		r.Data(t, &f)
		if f.Export == nil || f.Dsar.Status != "fulfilled" || f.Dsar.VerificationMethod != datagov.VerificationAttested {
			t.Fatalf("%s fulfilment: %+v", typ, f.Dsar)
		}
		// Signed: the signature holds over the exact bytes, and a changed byte breaks it.
		if err := datagov.VerifyArchive(*f.Export, nil); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		tampered := *f.Export
		tampered.Archive = bytes.Replace(append([]byte(nil), tampered.Archive...), []byte("Vendor lock-in"), []byte("Vendor lock-on"), 1)
		if datagov.VerifyArchive(tampered, nil) == nil {
			t.Fatalf("%s: a tampered archive verifies", typ)
		}
		if f.Dsar.Archive == nil || f.Dsar.Archive.SHA256 != f.Export.Signature.SHA256 {
			t.Fatalf("%s: the request's receipt %+v does not name the archive %s", typ, f.Dsar.Archive, f.Export.Signature.SHA256)
		}
		var a datagov.Archive
		if err := json.Unmarshal(f.Export.Archive, &a); err != nil {
			t.Fatal(err)
		}
		if a.Type != typ || a.Subject.UserID != subject.ID || a.Subject.Email != "quinn.archive@dg.test" || !slices.Contains(a.Subject.Principals, keyID) {
			t.Fatalf("%s subject: %+v", typ, a.Subject)
		}
		ids := map[string][]string{}
		texts := map[string]string{}
		for _, s := range a.Sections {
			for _, item := range s.Items {
				var x struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(item, &x)
				ids[s.Module+"/"+s.Kind] = append(ids[s.Module+"/"+s.Kind], x.ID)
				texts[s.Module+"/"+s.Kind] += string(item)
			}
		}
		for section, want := range map[string][]string{
			"iam/profile":               {subject.ID},
			"iam/api_keys":              {keyID},
			"gateway/requests":          {viaKey, viaToken},
			"compliance/evidence_added": {evidence},
			"risk/risks_owned":          {rk.ID},
			"data_gov/subject_requests": {d.ID},
		} {
			if !slices.Equal(ids[section], want) && !(section == "data_gov/subject_requests" && slices.Contains(ids[section], d.ID)) {
				t.Errorf("%s: %s holds %v, want %v", typ, section, ids[section], want)
			}
		}
		// Gateway content is opened for the subject; nobody else's is there.
		if !strings.Contains(texts["gateway/requests"], "Summarise the Q3 pipeline for Quinn Archive") || strings.Contains(string(f.Export.Archive), other) {
			t.Fatalf("%s: gateway section %s", typ, texts["gateway/requests"])
		}
		if strings.Contains(string(f.Export.Archive), "someone-elses-evidence") || strings.Contains(string(f.Export.Archive), "Someone else's") {
			t.Fatalf("%s: the archive holds the bystander's records", typ)
		}
		// The ledger section: what they did and what was done to them, secrets redacted.
		events := texts["ledger/events"]
		for _, want := range []string{"com.astra.iam.UserCreated", "com.astra.iam.ApiKeyCreated", "com.astra.compliance.EvidenceAdded", "com.astra.gateway.RequestCompleted"} {
			if !strings.Contains(events, want) {
				t.Errorf("%s: the ledger section lacks %s", typ, want)
			}
		}
		if strings.Contains(events, "$argon2id$") {
			t.Fatalf("%s: a password hash is in the archive", typ)
		}
	}
	if n := countEvents(t, in, "DsarFulfilled"); n != 2 {
		t.Fatalf("%d DsarFulfilled, want 2", n)
	}
}
