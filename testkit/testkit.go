// Package testkit starts the real product for tests: a fresh Postgres
// database, the embedded Kafka-protocol broker on a free port and the HTTP API
// on a free port, in-process (Start) or as a separate `astra serve` process
// (StartProcess). Every HTTP answer a test reads through Instance.Do is
// validated against the OpenAPI document.
package testkit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/app"
	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/http/platform/platformtest"
)

// AdminEmail and AdminPassword are the bootstrap admin of every test instance.
const (
	AdminEmail    = "admin@astra.test"
	AdminPassword = "bootstrap-password-for-tests"
)

// BaseURL is the Postgres server tests use (ASTRA_TEST_DATABASE_URL overrides it);
// each test gets its own database on it.
func BaseURL() string {
	if u := os.Getenv("ASTRA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RequireDB skips a test when Postgres is unreachable, except under CI=true,
// where it fails: CI must never pass by skipping.
func RequireDB(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseURL())
	if err == nil {
		conn.Close(ctx)
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Postgres is required under CI=true: %v", err)
	}
	t.Skipf("Postgres unavailable: %v", err)
}

// FreshDatabase creates an empty database and drops it when the test ends.
// It returns the database URL.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	RequireDB(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "astra_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), BaseURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return strings.Replace(BaseURL(), "/postgres?", "/"+name+"?", 1)
}

// FreePort returns a loopback address with a free port.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Config is a test configuration: fresh database, temp data dir, free ports.
func Config(t testing.TB) app.Config {
	t.Helper()
	return app.Config{
		HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: FreshDatabase(t), KafkaListen: FreePort(t),
		KafkaPartitions: 3, KafkaReplicas: 1, BootstrapTenant: "default", BootstrapEmail: AdminEmail,
		BootstrapPass: AdminPassword, JWTIssuer: "astra-bastion", JWTAudience: "astra-api",
		ReadYourWrites: 10 * time.Second, BodyLimit: 1 << 20, LogLevel: "warn",
		// A small pool: many test instances and processes share one Postgres and its connection limit.
		DatabaseMaxConns: 8,
		// The least argon2id cost: a production-cost hash takes ~0.4 s under
		// the race detector, and tests create and sign in users by the
		// hundred. Tests of the hashing itself set cmdiam.ProductionPasswordCost.
		PasswordCost: cmdiam.TestPasswordCost,
	}
}

// Instance is a running product under test.
type Instance struct {
	URL     string
	Cfg     app.Config
	Running *app.Running
	Doc     *openapi3.T
	check   *platformtest.Validator
	stop    func()
}

// Start runs the product in-process with cfg (Config(t) when nil) and stops it
// when the test ends.
func Start(t testing.TB, cfg *app.Config) *Instance {
	t.Helper()
	if cfg == nil {
		c := Config(t)
		cfg = &c
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *app.Running, 1)
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	go func() {
		done <- app.Serve(ctx, *cfg, app.Options{Logger: logger, OnReady: func(r *app.Running) { ready <- r }})
	}()
	var r *app.Running
	select {
	case r = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("astra serve failed to start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("astra serve did not start within 60s")
	}
	doc, check := documentOf(t, r)
	in := &Instance{URL: "http://" + r.Addr, Cfg: *cfg, Running: r, Doc: doc, check: check}
	var once sync.Once
	in.stop = func() {
		// Stop may be called by the test and again at cleanup: stop once.
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Log("astra serve did not stop within 30s")
			}
		})
	}
	t.Cleanup(in.stop)
	in.WaitProjectionsLive(t)
	return in
}

// documents holds, per set of routes, the OpenAPI document and its validator:
// building, loading and validating the document is most of an instance's
// start-up under the race detector, and instances with the same routes have
// the same document.
var documents sync.Map // routes key → *document

type document struct {
	once  sync.Once
	doc   *openapi3.T
	check *platformtest.Validator
	err   error
}

// documentOf returns the OpenAPI document r serves and a validator for it.
func documentOf(t testing.TB, r *app.Running) (*openapi3.T, *platformtest.Validator) {
	t.Helper()
	var key strings.Builder
	for _, rt := range r.Registry.Routes() {
		key.WriteString(rt.Method + " " + rt.Path + " " + rt.OperationID + "\n")
	}
	v, _ := documents.LoadOrStore(key.String(), &document{})
	d := v.(*document)
	d.once.Do(func() {
		d.doc, d.err = r.Registry.OpenAPI()
		if d.err == nil {
			d.check, d.err = platformtest.NewValidator(d.doc)
		}
	})
	if d.err != nil {
		t.Fatalf("openapi: %v", d.err)
	}
	return d.doc, d.check
}

// Stop stops the instance (also done at cleanup).
func (in *Instance) Stop() { in.stop() }

// BrokerAddr is the address of the instance's embedded broker.
func (in *Instance) BrokerAddr() string { return in.Running.Stack.Brokers[0] }

// WaitProjectionsLive waits until the projection consumer groups have joined,
// so that the first writes of a test are not slowed by the initial rebalance.
func (in *Instance) WaitProjectionsLive(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for wait := pollFirst; time.Now().Before(deadline); wait = nextPoll(wait) {
		r := in.Do(t, http.MethodGet, "/api/v1/admin/health/ready", "", nil)
		if r.Status == http.StatusOK {
			return
		}
		time.Sleep(wait)
	}
	t.Fatal("instance not ready within 30s")
}

// Response is a read HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the whole body.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d body %q: %v", r.Status, truncate(r.Body), err)
	}
}

// Data decodes the envelope's data.
func (r *Response) Data(t testing.TB, v any) {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	r.JSON(t, &env)
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decode data of %q: %v", truncate(r.Body), err)
	}
}

// Problem is the RFC 7807 body of an error answer.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	ErrorCode string `json:"error_code"`
	RequestID string `json:"request_id"`
	// Errors name the invalid input fields.
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Problem decodes an error answer and checks its content type.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("status %d with content type %q, want problem+json: %s", r.Status, ct, truncate(r.Body))
	}
	var p Problem
	r.JSON(t, &p)
	return p
}

// Do sends a request and validates the answer against the OpenAPI document.
// body is JSON-encoded unless it is a []byte or string; headers are name, value pairs.
func (in *Instance) Do(t testing.TB, method, path, token string, body any, headers ...string) *Response {
	t.Helper()
	return in.do(t, method, path, token, body, true, headers...)
}

// DoRaw is Do without the OpenAPI check (for deliberately malformed requests
// whose answers are checked by the test itself).
func (in *Instance) DoRaw(t testing.TB, method, path, token string, body any, headers ...string) *Response {
	t.Helper()
	return in.do(t, method, path, token, body, false, headers...)
}

func (in *Instance) do(t testing.TB, method, path, token string, body any, validate bool, headers ...string) *Response {
	t.Helper()
	var rd io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, in.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if validate {
		if raw != nil {
			req.Body = io.NopCloser(bytes.NewReader(raw))
		}
		in.check.Check(t, req, resp, b)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Login signs in and returns the access token.
func (in *Instance) Login(t testing.TB, email, password string) string {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, r.Status, truncate(r.Body))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.Data(t, &tok)
	return tok.AccessToken
}

// AdminToken signs in as the bootstrap platform admin.
func (in *Instance) AdminToken(t testing.TB) string { return in.Login(t, AdminEmail, AdminPassword) }

// NewTenant creates a tenant with an admin and returns the tenant id and the admin's token.
func (in *Instance) NewTenant(t testing.TB, adminToken, name string) (string, string) {
	t.Helper()
	email := "admin@" + strings.ToLower(name) + ".test"
	r := in.Do(t, http.MethodPost, "/api/v1/iam/tenants", adminToken, map[string]any{"name": name,
		"admin": map[string]string{"email": email, "password": "tenant-admin-password"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create tenant %s: %d %s", name, r.Status, truncate(r.Body))
	}
	var out struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	r.Data(t, &out)
	return out.Tenant.ID, in.Login(t, email, "tenant-admin-password")
}

// KafkaRecords reads every record of a topic, from offset 0 to the end.
func KafkaRecords(t testing.TB, brokers []string, topic string) []*sarama.ConsumerMessage {
	t.Helper()
	client, err := sarama.NewClient(brokers, eventstore.KafkaConfig("astra-test-reader"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []*sarama.ConsumerMessage
	for _, p := range parts {
		hw, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if hw == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for {
			select {
			case m := <-pc.Messages():
				out = append(out, m)
				if m.Offset >= hw-1 {
					goto next
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("timed out reading %s/%d at %d of %d", topic, p, len(out), hw)
			}
		}
	next:
		pc.Close()
	}
	return out
}

// Eventually retries cond until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// Polling waits of an instance or process getting ready: it mostly is within
// milliseconds of the first answer, so the first retries come quickly and the
// wait then doubles up to pollMax. (Eventually keeps its fixed 50 ms: some
// tests lean on the time it leaves for other records to land.)
const (
	pollFirst = 5 * time.Millisecond
	pollMax   = 50 * time.Millisecond
)

func nextPoll(wait time.Duration) time.Duration { return min(2*wait, pollMax) }

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Remote is an Instance for a product running elsewhere (a child process):
// Do, Login and DialWS work against url, with responses validated against the
// OpenAPI document served there.
func Remote(t testing.TB, url string) *Instance {
	t.Helper()
	resp, err := http.Get(url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return &Instance{URL: url, Doc: doc, check: platformtest.ResponseValidator(t, doc), stop: func() {}}
}

// NewAPIKey mints an API key with the given permissions as the token's
// principal and returns the secret (shown once) and the key's id.
func (in *Instance) NewAPIKey(t testing.TB, token, name string, perms ...string) (secret, id string) {
	t.Helper()
	r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", token, map[string]any{"name": name, "permissions": perms})
	if r.Status != http.StatusCreated {
		t.Fatalf("create API key %s: %d %s", name, r.Status, r.Body)
	}
	var out struct {
		Key    string `json:"key"`
		APIKey struct {
			ID string `json:"id"`
		} `json:"api_key"`
	}
	r.Data(t, &out)
	return out.Key, out.APIKey.ID
}

// SetRole changes a user's role as the token's principal.
func (in *Instance) SetRole(t testing.TB, token, userID, role string) {
	t.Helper()
	if r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+userID, token, map[string]string{"role": role}); r.Status != http.StatusOK {
		t.Fatalf("set role %s: %d %s", role, r.Status, r.Body)
	}
}
