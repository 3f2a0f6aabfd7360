package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/testkit"
)

// plaintexts lists which of secrets occur in b, raw or hex-encoded.
func plaintexts(b []byte, secrets ...string) []string {
	var found []string
	lower := bytes.ToLower(b)
	for _, s := range secrets {
		if bytes.Contains(lower, []byte(strings.ToLower(s))) || bytes.Contains(lower, []byte(hex.EncodeToString([]byte(s)))) {
			found = append(found, s)
		}
	}
	return found
}

func TestErasure_CryptoShredsEverywhere(t *testing.T) {
	lap := stopwatch(t)
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	lap("start")
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	db := openDB(t, cfg)
	ctx := context.Background()

	const (
		email   = "quillon.erasure-target.7341@shred.test"
		name    = "Quintessa Vandermolen"
		renamed = "Quintessa Oberwaldhaus"
	)
	secrets := []string{email, name, renamed, "Vandermolen", "Oberwaldhaus"}
	// A bystander whose data must survive the erasure.
	other := createUser(t, p.URL, token, "bystander@shred.test", "Bystander Kept")
	u := createUser(t, p.URL, token, email, name)
	a := mustCall(t, http.MethodPatch, p.URL+"/api/v1/iam/users/"+u.ID, token, map[string]string{"name": renamed}, "If-Match", "1")
	if a.Status != http.StatusOK {
		t.Fatalf("rename: %d %.400s", a.Status, a.Body)
	}

	// Before erasure the API shows the personal data, the ledger and Kafka never do.
	if st, got := getUser(t, p.URL, token, u.ID); st != http.StatusOK || got.Email != email || got.Name != renamed {
		t.Fatalf("before erasure: %d %+v", st, got)
	}
	export := func() []byte {
		t.Helper()
		a := mustCall(t, http.MethodGet, p.URL+"/api/v1/admin/audit/events/export", token, nil)
		if a.Status != http.StatusOK {
			t.Fatalf("export: %d %.400s", a.Status, a.Body)
		}
		return a.Body
	}
	if found := plaintexts(export(), email, name, renamed); len(found) != 3 {
		t.Fatalf("before erasure the export should show the user's data to the auditor, found %v", found)
	}
	noPlaintextInLedger(t, db, secrets)

	lap("writes and checks before erasure")
	out := mustAstra(t, cfg, "erase-user", "--tenant", u.TenantID, "--email", email, u.ID)
	if !strings.Contains(out, "erased user "+u.ID) {
		t.Fatalf("erase-user output: %s", out)
	}

	lap("astra erase-user")
	testkit.Eventually(t, 20*time.Second, "the API to show the user erased", func() bool {
		st, got := getUser(t, p.URL, token, u.ID)
		return st == http.StatusOK && got.Email == "[erased]" && got.Name == "[erased]"
	})
	if st, got := getUser(t, p.URL, token, other.ID); st != http.StatusOK || got.Name != "Bystander Kept" || got.Email != "bystander@shred.test" {
		t.Fatalf("the bystander lost data: %d %+v", st, got)
	}
	exp := export()
	if found := plaintexts(exp, secrets...); len(found) > 0 {
		t.Fatalf("the audit export still shows %v after erasure", found)
	}
	if !bytes.Contains(exp, []byte(`"[erased]"`)) || !bytes.Contains(exp, []byte("Bystander Kept")) {
		t.Fatalf("the export should read the erased fields as [erased] and keep the bystander's")
	}

	noPlaintextInLedger(t, db, secrets)
	waitRelayed(t, db)
	noPlaintextOnKafka(t, cfg.KafkaListen, cfg.DataDir, secrets, u.ID)
	mustAstra(t, cfg, "verify")
	lap("checks after erasure")

	// A replay from the Kafka log cannot bring the data back.
	genBefore, _ := activeSchema(t, db, "iam")
	p.Stop()
	lap("stop")
	mustAstra(t, cfg, "replay")
	lap("astra replay")
	genAfter, schema := activeSchema(t, db, "iam")
	if genAfter <= genBefore {
		t.Fatalf("replay did not switch to a new generation (%d -> %d)", genBefore, genAfter)
	}
	var rmEmail, rmName string
	if err := db.QueryRow(ctx, `SELECT email, name FROM `+schema+`.users WHERE id = $1`, u.ID).Scan(&rmEmail, &rmName); err != nil {
		t.Fatal(err)
	}
	if rmEmail != "[erased]" || rmName != "[erased]" {
		t.Fatalf("replayed read model: email %q name %q", rmEmail, rmName)
	}
	p = testkit.StartProcess(t, cfg)
	lap("restart")
	if st, got := getUser(t, p.URL, token, u.ID); st != http.StatusOK || got.Email != "[erased]" || got.Name != "[erased]" {
		t.Fatalf("after replay: %d %+v", st, got)
	}
	if st, got := getUser(t, p.URL, token, other.ID); st != http.StatusOK || got.Name != "Bystander Kept" {
		t.Fatalf("after replay the bystander reads %d %+v", st, got)
	}
	if found := plaintexts(export(), secrets...); len(found) > 0 {
		t.Fatalf("after replay the audit export shows %v", found)
	}
	mustAstra(t, cfg, "verify")
	lap("checks after replay")

	// The released address can be claimed again, here from another tenant: the
	// claim stream then holds events of two tenants, and each tenant's
	// verification must still pass.
	a = mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/tenants", token, map[string]any{"name": "Reuseco",
		"admin": map[string]string{"email": "admin@reuseco.test", "password": "reuseco-admin-password"}})
	if a.Status != http.StatusCreated {
		t.Fatalf("create tenant: %d %.400s", a.Status, a.Body)
	}
	var created struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	a.data(t, &created)
	reuse := login(t, p.URL, "admin@reuseco.test", "reuseco-admin-password")
	if again := createUser(t, p.URL, reuse, email, "Someone Else"); again.ID == u.ID || again.Email != email {
		t.Fatalf("re-created user: %+v", again)
	}
	for who, tok := range map[string]string{"default": token, "Reuseco": reuse} {
		if rep := apiVerify(t, p.URL, tok); !rep.OK {
			t.Errorf("API verify of tenant %s after the address moved tenants: %+v", who, rep)
		}
	}
	for _, tenant := range []string{u.TenantID, created.Tenant.ID} {
		if code, out := testkit.RunAstra(t, cfg, "verify", "--tenant", tenant); code != 0 {
			t.Errorf("astra verify --tenant %s exited %d:\n%s", tenant, code, out)
		}
	}
	mustAstra(t, cfg, "verify")
	lap("address reused in another tenant")
}

// noPlaintextInLedger checks every payload and a text dump of the whole events table.
func noPlaintextInLedger(t *testing.T, db *pgxpool.Pool, secrets []string) {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT position, data, e::text FROM events e ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var pos int64
		var data []byte
		var dump string
		if err := rows.Scan(&pos, &data, &dump); err != nil {
			t.Fatal(err)
		}
		n++
		if found := plaintexts(data, secrets...); len(found) > 0 {
			t.Fatalf("ledger position %d holds %v in plaintext: %s", pos, found, data)
		}
		if found := plaintexts([]byte(dump), secrets...); len(found) > 0 {
			t.Fatalf("ledger row %d holds %v: %s", pos, found, dump)
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		t.Fatalf("read ledger: %d rows, %v", n, err)
	}
}

// noPlaintextOnKafka reads every record of every topic (key, value, headers)
// and every file the embedded broker keeps on disk.
func noPlaintextOnKafka(t *testing.T, broker, dataDir string, secrets []string, subject string) {
	t.Helper()
	erasedSeen := false
	for _, topic := range kafkaTopics(t, broker) {
		for _, m := range testkit.KafkaRecords(t, []string{broker}, topic) {
			raw := append(append([]byte{}, m.Key...), m.Value...)
			for _, h := range m.Headers {
				raw = append(append(append(raw, h.Key...), '='), h.Value...)
			}
			if found := plaintexts(raw, secrets...); len(found) > 0 {
				t.Fatalf("Kafka record %s/%d@%d holds %v: %s", topic, m.Partition, m.Offset, found, raw)
			}
			if header(m, "ce_type") == "com.astra.iam.UserErased" && header(m, "ce_subject") == subject {
				erasedSeen = true
			}
		}
	}
	if !erasedSeen {
		t.Fatal("the UserErased event is not on Kafka")
	}
	files := 0
	err := filepath.WalkDir(filepath.Join(dataDir, "kafka"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		if found := plaintexts(b, secrets...); len(found) > 0 {
			t.Fatalf("broker file %s holds %v", path, found)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walk broker data: %d files, %v", files, err)
	}
}
