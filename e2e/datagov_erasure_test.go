package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/testkit"
)

// noPlaintextInDatabase reads every row of every table of every schema
// (read models of every generation, platform tables, the ledger) as text.
func noPlaintextInDatabase(t *testing.T, db *pgxpool.Pool, secrets []string) int {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type table struct{ schema, name string }
	var tables []table
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.schema, &tb.name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	rows.Close()
	for _, tb := range tables {
		rs, err := db.Query(ctx, `SELECT x::text FROM `+tb.schema+`.`+tb.name+` x`)
		if err != nil {
			t.Fatalf("read %s.%s: %v", tb.schema, tb.name, err)
		}
		for rs.Next() {
			var row string
			if err := rs.Scan(&row); err != nil {
				t.Fatal(err)
			}
			if found := plaintexts([]byte(row), secrets...); len(found) > 0 {
				rs.Close()
				t.Fatalf("%s.%s holds %v: %.600s", tb.schema, tb.name, found, row)
			}
		}
		rs.Close()
	}
	return len(tables)
}

// uploadEvidence adds a file of evidence.
func uploadEvidence(t *testing.T, base, token, name string, content []byte) {
	t.Helper()
	body, ct := testkit.MultipartBody(t, map[string]string{"name": name}, "file", name+".txt", content)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/compliance/evidence", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("evidence: %d", resp.StatusCode)
	}
}

func TestDataGovErasure_ShredsTheSubjectAcrossModules(t *testing.T) {
	lap := stopwatch(t)
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	admin := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	db := openDB(t, cfg)
	ctx := context.Background()
	must := func(a *answer, status int, what string) *answer {
		t.Helper()
		if a.Status != status {
			t.Fatalf("%s: %d %.600s", what, a.Status, a.Body)
		}
		return a
	}
	// Prompts are kept whole and unscanned: the subject's own data sits in them.
	must(mustCall(t, http.MethodPost, p.URL+"/api/v1/gateway/policies", admin, map[string]any{"name": "default", "log_content": "full",
		"pii": map[string]any{"enabled": false}}), http.StatusCreated, "policy")

	const (
		email = "wilhelmina.shredtarget.5521@dsar.test"
		name  = "Wilhelmina Zabriskie-Ostrander"
	)
	secrets := []string{email, name, "Zabriskie", "Ostrander", "wilhelmina.shredtarget"}
	var subject, bystander user
	for _, u := range []struct {
		email, name string
		into        *user
	}{{email, name, &subject}, {"bystander@dsar.test", "Bystander Kept", &bystander}} {
		// With an Idempotency-Key: the kept answer (for retries) holds the address too.
		must(mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/users", admin, map[string]string{"email": u.email, "name": u.name, "role": "security_admin",
			"password": "a-long-enough-password"}, "Idempotency-Key", "create-"+u.email), http.StatusCreated, "user").data(t, u.into)
	}
	subjectTok := login(t, p.URL, email, "a-long-enough-password")
	bystanderTok := login(t, p.URL, "bystander@dsar.test", "a-long-enough-password")

	// Their activity: API key, gateway traffic under the key and the token
	// (with their name and address in the prompts), evidence, a risk they own.
	var key struct {
		Key string `json:"key"`
	}
	must(mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/api-keys", subjectTok, map[string]any{"name": "wz laptop", "permissions": []string{"gateway:write"}}),
		http.StatusCreated, "api key").data(t, &key)
	chatAs := func(token, prompt string) string {
		t.Helper()
		var out struct {
			Security struct {
				RequestID string `json:"request_id"`
			} `json:"security"`
		}
		must(mustCall(t, http.MethodPost, p.URL+"/api/v1/gateway/chat/completions", token, map[string]any{"provider": "mock", "model": "mock-small",
			"messages": []map[string]string{{"role": "user", "content": prompt}}}), http.StatusOK, "chat").data(t, &out)
		return out.Security.RequestID
	}
	subjectRequests := []string{
		chatAs(key.Key, "MOCK_ECHO: sign the letter as "+name+" <"+email+">"),
		chatAs(subjectTok, "Write a short bio of "+name),
	}
	bystanderRequest := chatAs(bystanderTok, "MOCK_ECHO: the bystander's own prompt")
	uploadEvidence(t, p.URL, subjectTok, "access-review-q3", []byte("quarterly access review\n"))
	must(mustCall(t, http.MethodPost, p.URL+"/api/v1/risk/risks", admin, map[string]any{"title": "Shadow SaaS", "owner": subject.ID, "likelihood": 2, "impact": 3}),
		http.StatusCreated, "risk")
	lap("seed")

	// The request names the subject by address, as the data subject wrote in.
	var d struct {
		ID string `json:"id"`
	}
	must(mustCall(t, http.MethodPost, p.URL+"/api/v1/data-gov/dsar", admin, map[string]any{"type": "erasure", "subject_email": email, "subject_name": name,
		"jurisdiction": "gdpr"}), http.StatusCreated, "dsar").data(t, &d)
	must(mustCall(t, http.MethodPost, p.URL+"/api/v1/data-gov/dsar/"+d.ID+"/verify", admin, map[string]any{"state": "verified", "method": "signed form and ID check"}),
		http.StatusOK, "verify")
	var f struct {
		Dsar struct {
			Status       string `json:"status"`
			SubjectEmail string `json:"subject_email"`
		} `json:"dsar"`
		Certificate struct {
			SubjectUserID string `json:"subject_user_id"`
			Keys          []struct {
				Key, Module string
			} `json:"keys"`
			Sealed []struct {
				Type   string `json:"type"`
				Events int    `json:"events"`
			} `json:"sealed"`
			ReadModels []struct {
				Module, Rows, Effect string
				Count                int
			} `json:"read_models"`
			Retained []struct {
				Module, What, Reason string
				Keys                 []string
			} `json:"retained"`
		} `json:"certificate"`
	}
	must(mustCall(t, http.MethodPost, p.URL+"/api/v1/data-gov/dsar/"+d.ID+"/fulfill", admin, nil), http.StatusOK, "fulfil").data(t, &f)
	lap("erasure")

	// The certificate lists what was shredded and what could not be.
	c := f.Certificate
	keys := map[string]string{}
	for _, k := range c.Keys {
		keys[k.Module] += k.Key + " "
	}
	sealed := map[string]int{}
	for _, s := range c.Sealed {
		sealed[s.Type] = s.Events
	}
	if c.SubjectUserID != subject.ID || !strings.Contains(keys["iam"], subject.ID) || keys["data_gov"] == "" {
		t.Fatalf("certificate keys: %+v", c)
	}
	if sealed["com.astra.iam.UserCreated"] != 1 || sealed["com.astra.data_gov.DsarReceived"] != 1 {
		t.Fatalf("certificate sealed events: %+v", c.Sealed)
	}
	redacted := false
	for _, rm := range c.ReadModels {
		redacted = redacted || (rm.Module == "gateway" && rm.Effect == "redacted" && rm.Count == 2)
	}
	if !redacted || len(c.Retained) == 0 || c.Retained[0].Module != "gateway" || len(c.Retained[0].Keys) != 1 || !strings.HasPrefix(c.Retained[0].Keys[0], "content/") {
		t.Fatalf("certificate read models %+v, retained %+v", c.ReadModels, c.Retained)
	}
	retained := map[string]string{}
	for _, r := range c.Retained {
		retained[r.Module] += r.What + ";"
	}
	if retained["risk"] != "1 risks owned;" || retained["compliance"] != "1 evidence added;" {
		t.Fatalf("certificate retained: %+v", c.Retained)
	}
	if f.Dsar.Status != "fulfilled" || f.Dsar.SubjectEmail != "[erased]" {
		t.Fatalf("the request after erasure: %+v", f.Dsar)
	}

	// The API shows the fields as erased; the bystander keeps everything.
	if st, u := getUser(t, p.URL, admin, subject.ID); st != http.StatusOK || u.Email != "[erased]" || u.Name != "[erased]" {
		t.Fatalf("user after erasure: %d %+v", st, u)
	}
	if st, u := getUser(t, p.URL, admin, bystander.ID); st != http.StatusOK || u.Email != "bystander@dsar.test" {
		t.Fatalf("bystander: %d %+v", st, u)
	}
	prompt := func(id string) string {
		var x struct {
			Prompt string `json:"prompt"`
		}
		must(mustCall(t, http.MethodGet, p.URL+"/api/v1/gateway/requests/"+id, admin, nil), http.StatusOK, "request").data(t, &x)
		return x.Prompt
	}
	for _, id := range subjectRequests {
		if got := prompt(id); got != "" {
			t.Fatalf("the subject's request %s still reads %q", id, got)
		}
	}
	if got := prompt(bystanderRequest); !strings.Contains(got, "bystander's own prompt") {
		t.Fatalf("the bystander's request reads %q", got)
	}
	// Their credentials stopped working.
	if a := mustCall(t, http.MethodGet, p.URL+"/api/v1/auth/me", key.Key, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("the erased subject's API key: %d", a.Status)
	}

	// Nowhere in plaintext: the exports, every table, the ledger, the broker.
	exports := map[string]string{
		"request log (ndjson)": "/api/v1/gateway/requests/export",
		"request log (csv)":    "/api/v1/gateway/requests/export?format=csv",
		"audit export":         "/api/v1/admin/audit/events/export",
	}
	check := func(when string) {
		t.Helper()
		for what, path := range exports {
			a := must(mustCall(t, http.MethodGet, p.URL+path, admin, nil), http.StatusOK, what)
			if found := plaintexts(a.Body, secrets...); len(found) > 0 {
				t.Fatalf("%s: the %s shows %v", when, what, found)
			}
			if what == "audit export" && !bytes.Contains(a.Body, []byte("bystander's own prompt")) {
				t.Fatalf("%s: the audit export lost the bystander's prompt", when)
			}
		}
		if n := noPlaintextInDatabase(t, db, secrets); n < 20 {
			t.Fatalf("%s: only %d tables read", when, n)
		}
	}
	check("after erasure")
	noPlaintextInLedger(t, db, secrets)
	waitRelayed(t, db)
	noPlaintextOnKafka(t, cfg.KafkaListen, cfg.DataDir, secrets, subject.ID)
	mustAstra(t, cfg, "verify")
	lap("checks after erasure")

	// A replay rebuilds read models that show the fields erased.
	p.Stop()
	mustAstra(t, cfg, "replay")
	lap("replay")
	_, iam := activeSchema(t, db, "iam")
	var rmEmail, rmName string
	if err := db.QueryRow(ctx, `SELECT email, name FROM `+iam+`.users WHERE id = $1`, subject.ID).Scan(&rmEmail, &rmName); err != nil {
		t.Fatal(err)
	}
	_, gw := activeSchema(t, db, "gateway")
	var kept int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM `+gw+`.requests WHERE id = ANY ($1) AND (prompt <> '' OR completion <> '')`, subjectRequests).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if rmEmail != "[erased]" || rmName != "[erased]" || kept != 0 {
		t.Fatalf("replayed read models: email %q name %q, %d requests with content", rmEmail, rmName, kept)
	}
	p = testkit.StartProcess(t, cfg)
	admin = login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	var after struct {
		SubjectEmail string `json:"subject_email"`
		SubjectName  string `json:"subject_name"`
		Certificate  *struct {
			Keys []any `json:"keys"`
		} `json:"certificate"`
	}
	must(mustCall(t, http.MethodGet, p.URL+"/api/v1/data-gov/dsar/"+d.ID, admin, nil), http.StatusOK, "dsar after replay").data(t, &after)
	if after.SubjectEmail != "[erased]" || after.SubjectName != "[erased]" || after.Certificate == nil || len(after.Certificate.Keys) == 0 {
		t.Fatalf("the request after replay: %+v", after)
	}
	if got := prompt(bystanderRequest); !strings.Contains(got, "bystander's own prompt") {
		t.Fatalf("after replay the bystander's request reads %q", got)
	}
	check("after replay")
	mustAstra(t, cfg, "verify")
	lap("checks after replay")
}
