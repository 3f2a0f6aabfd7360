// Package e2e holds process-level acceptance tests: the real `astra` binary
// (serve, replay, verify, erase-user) against a real Postgres and the embedded
// Kafka-protocol broker, killed, restarted and tampered with.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// processConfig is a test configuration for `astra serve` as a child process:
// a concrete HTTP port, so that a restart comes back on the same address.
func processConfig(t *testing.T) app.Config {
	t.Helper()
	testkit.RequireDB(t)
	cfg := testkit.Config(t)
	cfg.HTTPAddr = testkit.FreePort(t)
	cfg.LogLevel = "warn"
	return cfg
}

// httpClient is shared by every request of the tests; the timeout keeps a
// request to a killed process from hanging.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// answer is one HTTP answer.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// data decodes the envelope's data.
func (a *answer) data(t testing.TB, v any) {
	t.Helper()
	if err := a.decode(v); err != nil {
		t.Fatal(err)
	}
}

// decode decodes the envelope's data (for goroutines, which must not call t.Fatal).
func (a *answer) decode(v any) error {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(a.Body, &env); err != nil {
		return fmt.Errorf("decode %d body %.400s: %w", a.Status, a.Body, err)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return fmt.Errorf("decode data of %.400s: %w", a.Body, err)
	}
	return nil
}

// call sends one request; a transport error is returned, not fatal (the crash
// test needs to tell "answered" from "no answer"). headers are name, value pairs.
func call(method, url, token string, body any, headers ...string) (*answer, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &answer{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// mustCall is call for requests that must get an answer.
func mustCall(t testing.TB, method, url, token string, body any, headers ...string) *answer {
	t.Helper()
	a, err := call(method, url, token, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// login signs in and returns the access token.
func login(t testing.TB, base, email, password string) string {
	t.Helper()
	a := mustCall(t, http.MethodPost, base+"/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if a.Status != http.StatusOK {
		t.Fatalf("login %s: %d %.400s", email, a.Status, a.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	a.data(t, &tok)
	return tok.AccessToken
}

// user is the API's view of a user.
type user struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Status   string `json:"status"`
	Version  int64  `json:"version"`
}

// createUser creates an invited user (no password: argon2id would dominate
// the CPU of this small machine) and returns it.
func createUser(t testing.TB, base, token, email, name string, headers ...string) user {
	t.Helper()
	a := mustCall(t, http.MethodPost, base+"/api/v1/iam/users", token,
		map[string]string{"email": email, "name": name, "role": "viewer"}, headers...)
	if a.Status != http.StatusCreated {
		t.Fatalf("create %s: %d %.400s", email, a.Status, a.Body)
	}
	var u user
	a.data(t, &u)
	return u
}

// getUser reads a user through the API.
func getUser(t testing.TB, base, token, id string) (int, user) {
	t.Helper()
	a := mustCall(t, http.MethodGet, base+"/api/v1/iam/users/"+id, token, nil)
	var u user
	if a.Status == http.StatusOK {
		a.data(t, &u)
	}
	return a.Status, u
}

// mustAstra runs the binary and fails the test unless it exits 0.
func mustAstra(t testing.TB, cfg app.Config, args ...string) string {
	t.Helper()
	code, out := testkit.RunAstra(t, cfg, args...)
	if code != 0 {
		t.Fatalf("astra %v exited %d:\n%s", args, code, out)
	}
	return out
}

// openDB connects to the instance's database (closed at cleanup).
func openDB(t testing.TB, cfg app.Config) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// scalar runs a one-value query.
func scalar[T any](t testing.TB, db *pgxpool.Pool, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// waitRelayed waits until the relay checkpoint reached the ledger head, so
// that Kafka holds every committed event.
func waitRelayed(t testing.TB, db *pgxpool.Pool) int64 {
	t.Helper()
	var head int64
	testkit.Eventually(t, 60*time.Second, "relay checkpoint to reach the ledger head", func() bool {
		var cp int64
		err := db.QueryRow(context.Background(), `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint)`).Scan(&head, &cp)
		return err == nil && cp >= head
	})
	return head
}

// ledgerEvent is what the tests compare between the ledger and Kafka.
type ledgerEvent struct {
	ID       string
	StreamID string
	Version  int64
	Type     string
	Position int64
}

// ledger reads every event of the ledger in position order.
func ledger(t testing.TB, db *pgxpool.Pool) []ledgerEvent {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT event_id::text, stream_id, version, type, position FROM events ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []ledgerEvent
	for rows.Next() {
		var e ledgerEvent
		if err := rows.Scan(&e.ID, &e.StreamID, &e.Version, &e.Type, &e.Position); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// kafkaTopics lists the broker's topics (internal ones excluded).
func kafkaTopics(t testing.TB, broker string) []string {
	t.Helper()
	client, err := sarama.NewClient([]string{broker}, eventstore.KafkaConfig("astra-e2e-topics"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	topics, err := client.Topics()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tp := range topics {
		if !strings.HasPrefix(tp, "__") {
			out = append(out, tp)
		}
	}
	return out
}

// header returns a record header's value.
func header(m *sarama.ConsumerMessage, key string) string {
	for _, h := range m.Headers {
		if h != nil && string(h.Key) == key {
			return string(h.Value)
		}
	}
	return ""
}

// activeSchema is the schema of a projection's active generation.
func activeSchema(t testing.TB, db *pgxpool.Pool, projection string) (int, string) {
	t.Helper()
	var gen int
	var schema string
	if err := db.QueryRow(context.Background(), `SELECT generation, schema_name FROM projection_generations
		WHERE projection = $1 AND status = 'active'`, projection).Scan(&gen, &schema); err != nil {
		t.Fatalf("active generation of %s: %v", projection, err)
	}
	return gen, schema
}

// dumpIAM renders the tables of one generation of the iam projection as JSON,
// rows ordered by id.
func dumpIAM(t testing.TB, db *pgxpool.Pool, schema string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"tenants", "users", "sessions"} {
		var js string
		q := fmt.Sprintf(`SELECT coalesce(json_agg(x ORDER BY x.id), '[]')::text FROM %s.%s x`, schema, table)
		if err := db.QueryRow(context.Background(), q).Scan(&js); err != nil {
			t.Fatalf("dump %s.%s: %v", schema, table, err)
		}
		out[table] = js
	}
	return out
}

// sameDump fails the test with the first difference between two dumps.
func sameDump(t testing.TB, what string, want, got map[string]string) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		if w == g {
			continue
		}
		var wr, gr []map[string]any
		_ = json.Unmarshal([]byte(w), &wr)
		_ = json.Unmarshal([]byte(g), &gr)
		if len(wr) != len(gr) {
			t.Fatalf("%s: table %s has %d rows, want %d", what, table, len(gr), len(wr))
		}
		for i := range wr {
			a, _ := json.Marshal(wr[i])
			b, _ := json.Marshal(gr[i])
			if !bytes.Equal(a, b) {
				t.Fatalf("%s: table %s row %d differs:\nwant %s\ngot  %s", what, table, i, a, b)
			}
		}
		t.Fatalf("%s: table %s differs", what, table)
	}
}

// rows counts the rows of a dumped table.
func rows(t testing.TB, dump map[string]string, table string) int {
	t.Helper()
	var rs []json.RawMessage
	if err := json.Unmarshal([]byte(dump[table]), &rs); err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// stopwatch logs the time each step of a test took (visible with -v).
func stopwatch(t testing.TB) func(step string) {
	last := time.Now()
	return func(step string) {
		t.Helper()
		t.Logf("%-40s %s", step, time.Since(last).Round(time.Millisecond))
		last = time.Now()
	}
}

// totalCount is the total_count of a list answer; ok is false for any other
// answer.
func (a *answer) totalCount() (n int, ok bool) {
	var env struct {
		Meta struct {
			Pagination struct {
				TotalCount int `json:"total_count"`
			} `json:"pagination"`
		} `json:"meta"`
	}
	if a.Status != http.StatusOK || json.Unmarshal(a.Body, &env) != nil {
		return 0, false
	}
	return env.Meta.Pagination.TotalCount, true
}
