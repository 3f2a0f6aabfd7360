package platformmod_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/platform"

// received is one request the receiver got.
type received struct {
	Header http.Header
	Body   []byte
	At     time.Time
	Status int
}

// receiver is a TLS webhook endpoint that records every request and answers
// what answer says for it (200 by default).
type receiver struct {
	srv    *httptest.Server
	caFile string

	mu       sync.Mutex
	got      []received
	answer   func(id string, n int) int // n: how many times this id was seen before
	inFlight map[string]int
	overlap  []string
	delay    time.Duration
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{inFlight: map[string]int{}}
	rc.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		rc.inFlight[id]++
		if rc.inFlight[id] > 1 {
			rc.overlap = append(rc.overlap, id)
		}
		n := 0
		for _, g := range rc.got {
			if g.Header.Get("webhook-id") == id {
				n++
			}
		}
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(id, n)
		}
		rc.got = append(rc.got, received{Header: r.Header.Clone(), Body: body, At: time.Now(), Status: status})
		delay := rc.delay
		rc.mu.Unlock()
		time.Sleep(delay)
		rc.mu.Lock()
		rc.inFlight[id]--
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	rc.caFile = writeCA(t, rc.srv)
	return rc
}

// writeCA writes the TLS test server's certificate where the outbound client trusts it.
func writeCA(t testing.TB, srv *httptest.Server) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// byID are the requests carrying a webhook-id.
func (rc *receiver) byID(id string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, g := range rc.got {
		if g.Header.Get("webhook-id") == id {
			out = append(out, g)
		}
	}
	return out
}

// ofType are the requests of a CloudEvents type (binary mode: ce-type).
func (rc *receiver) ofType(typ string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, g := range rc.got {
		if typ == "" || g.Header.Get("ce-type") == typ || strings.Contains(string(g.Body), `"type":"`+typ+`"`) {
			out = append(out, g)
		}
	}
	return out
}

// verify is an independent implementation of Standard Webhooks verification
// (written from the specification, sharing no code with the product): the
// signed content is id.timestamp.body, the key the base64 after whsec_, any
// of the space-delimited v1 signatures may match, and the timestamp must be
// within five minutes.
func verify(secret string, h http.Header, body []byte) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return fmt.Errorf("timestamp %q out of tolerance", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature matches")
}

type integration struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	URL            string   `json:"url"`
	EventTypes     []string `json:"event_types"`
	Mode           string   `json:"mode"`
	State          string   `json:"state"`
	Secret         string   `json:"secret"`
	DisabledReason *string  `json:"disabled_reason"`
}

type delivery struct {
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	State      string `json:"state"`
	Attempts   int    `json:"attempts"`
	LastStatus *int   `json:"last_status"`
}

// scale shrinks the retry schedule (99,305 s in all) to about five seconds.
const scale = 0.00005

func start(t *testing.T, rc *receiver) *testkit.Instance {
	t.Helper()
	cfg := testkit.Config(t)
	cfg.AllowPrivateURLs = []string{"loopback"}
	cfg.OutboundCAFile = rc.caFile
	cfg.WebhookRetryScale = scale
	return testkit.Start(t, &cfg)
}

func configure(t *testing.T, in *testkit.Instance, token string, body map[string]any) integration {
	t.Helper()
	r := in.Do(t, http.MethodPost, api+"/integrations", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("configure: %d %s", r.Status, r.Body)
	}
	var i integration
	r.Data(t, &i)
	return i
}

func TestIntegrations_DeliverSignedCloudEventsRetryAndReplay(t *testing.T) {
	rc := newReceiver(t)
	in := start(t, rc)
	admin := in.AdminToken(t)

	i := configure(t, in, admin, map[string]any{"name": "siem", "url": rc.srv.URL + "/hook", "event_types": []string{"com.astra.iam.*"}})
	if !strings.HasPrefix(i.Secret, "whsec_") || i.State != "active" || i.Mode != "binary" {
		t.Fatalf("configured %+v", i)
	}
	// The secret is shown once: reads never carry it.
	r := in.Do(t, http.MethodGet, api+"/integrations/"+i.ID, admin, nil)
	if r.Status != http.StatusOK || strings.Contains(string(r.Body), "whsec_") {
		t.Fatalf("read: %d %s", r.Status, r.Body)
	}

	// An event the filter matches arrives once, in binary mode, signed.
	u := in.NewUser(t, admin, "hooked@example.test", "viewer")
	var created received
	testkit.Eventually(t, 15*time.Second, "UserCreated delivered", func() bool {
		got := rc.ofType("com.astra.iam.UserCreated")
		if len(got) > 0 {
			created = got[0]
		}
		return len(got) > 0
	})
	if err := verify(i.Secret, created.Header, created.Body); err != nil {
		t.Fatalf("signature: %v (headers %v)", err, created.Header)
	}
	if created.Header.Get("ce-id") != created.Header.Get("webhook-id") || created.Header.Get("ce-specversion") != "1.0" ||
		created.Header.Get("ce-subject") != u.ID || !strings.HasPrefix(created.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("binary-mode headers: %v", created.Header)
	}
	if verify("whsec_"+base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!")), created.Header, created.Body) == nil {
		t.Fatal("a signature verified with another secret")
	}
	// Events the filter does not match are not sent (the integration's own configuration).
	if n := len(rc.ofType("com.astra.platform.IntegrationConfigured")); n != 0 {
		t.Fatalf("%d unmatched events sent", n)
	}

	// A receiver that fails three times and then succeeds gets the event
	// exactly once more after each failure, on the (scaled) schedule.
	rc.mu.Lock()
	rc.answer = func(id string, n int) int {
		if n < 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	}
	rc.mu.Unlock()
	u2 := in.NewUser(t, admin, "flaky@example.test", "viewer")
	var eventID string
	testkit.Eventually(t, 20*time.Second, "the fourth attempt succeeds", func() bool {
		for _, g := range rc.ofType("com.astra.iam.UserCreated") {
			if g.Header.Get("ce-subject") == u2.ID {
				eventID = g.Header.Get("webhook-id")
			}
		}
		got := rc.byID(eventID)
		return len(got) >= 4 && got[len(got)-1].Status == http.StatusNoContent
	})
	time.Sleep(time.Second)
	got := rc.byID(eventID)
	if len(got) != 4 {
		t.Fatalf("attempts %d, want 4 (three failures, one success)", len(got))
	}
	for k := 1; k < len(got); k++ {
		if gap := got[k].At.Sub(got[k-1].At); k == 3 && gap < 50*time.Millisecond {
			t.Fatalf("third retry after %s: the schedule (30 min scaled = 90 ms) was not kept", gap)
		}
		if err := verify(i.Secret, got[k].Header, got[k].Body); err != nil {
			t.Fatalf("attempt %d: %v", k+1, err)
		}
	}
	for n, res := range officialVerify(t, i.Secret, got) {
		if res != "ok" {
			t.Fatalf("standardwebhooks rejects attempt %d: %s", n+1, res)
		}
	}
	var ds []delivery
	ds, _ = testkit.Walk[delivery](t, in, api+"/integrations/"+i.ID+"/deliveries?state=delivered", admin)
	found := false
	for _, d := range ds {
		if d.EventID == eventID {
			found = d.Attempts == 4 && d.LastStatus != nil && *d.LastStatus == 204
		}
	}
	if !found {
		t.Fatalf("delivered list %+v lacks %s with 4 attempts", ds, eventID)
	}

	// Replay from the first delivered event: both user creations come again.
	rc.mu.Lock()
	rc.answer = nil
	rc.mu.Unlock()
	before := len(rc.byID(created.Header.Get("webhook-id")))
	r = in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/replay", admin, map[string]string{"after_event_id": created.Header.Get("webhook-id")})
	if r.Status != http.StatusAccepted {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	var rep struct {
		Events int `json:"events"`
	}
	r.Data(t, &rep)
	if rep.Events < 1 {
		t.Fatalf("replay queued %d", rep.Events)
	}
	testkit.Eventually(t, 15*time.Second, "replayed event delivered again", func() bool { return len(rc.byID(eventID)) == 5 })
	if n := len(rc.byID(created.Header.Get("webhook-id"))); n != before {
		t.Fatalf("the event replay starts after was sent again (%d → %d)", before, n)
	}

	// The test route sends a signed test event to this integration only.
	r = in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/test", admin, nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("test: %d %s", r.Status, r.Body)
	}
	var sent struct {
		EventID string `json:"event_id"`
	}
	r.Data(t, &sent)
	testkit.Eventually(t, 15*time.Second, "test event delivered", func() bool { return len(rc.byID(sent.EventID)) == 1 })
	g := rc.byID(sent.EventID)[0]
	if g.Header.Get("ce-type") != "com.astra.platform.IntegrationTested" || verify(i.Secret, g.Header, g.Body) != nil {
		t.Fatalf("test event: %v", g.Header)
	}

	// A rotation: for the grace period every delivery carries both signatures.
	r = in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/rotate-secret", admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	var rot struct {
		Secret string `json:"secret"`
	}
	r.Data(t, &rot)
	r = in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/test", admin, nil)
	r.Data(t, &sent)
	testkit.Eventually(t, 15*time.Second, "test event after rotation", func() bool { return len(rc.byID(sent.EventID)) == 1 })
	g = rc.byID(sent.EventID)[0]
	if len(strings.Split(g.Header.Get("webhook-signature"), " ")) != 2 || verify(rot.Secret, g.Header, g.Body) != nil ||
		verify(i.Secret, g.Header, g.Body) != nil {
		t.Fatalf("during rotation: %q", g.Header.Get("webhook-signature"))
	}
	defer rebuiltIdentical(t, in)
	for _, secret := range []string{rot.Secret, i.Secret} {
		if res := officialVerify(t, secret, []received{g}); res[0] != "ok" {
			t.Fatalf("standardwebhooks during rotation: %s", res[0])
		}
	}
}

func TestIntegrations_StructuredModeDeadLetterAndDisable(t *testing.T) {
	rc := newReceiver(t)
	in := start(t, rc)
	admin := in.AdminToken(t)
	i := configure(t, in, admin, map[string]any{"name": "down", "url": rc.srv.URL, "event_types": []string{"com.astra.iam.UserCreated"},
		"mode": "structured"})
	rc.mu.Lock()
	rc.answer = func(string, int) int { return http.StatusInternalServerError }
	rc.mu.Unlock()
	in.NewUser(t, admin, "never@example.test", "viewer")
	testkit.Eventually(t, 30*time.Second, "integration disabled after the whole schedule failed", func() bool {
		var x integration
		r := in.Do(t, http.MethodGet, api+"/integrations/"+i.ID, admin, nil)
		r.Data(t, &x)
		return x.State == "disabled" && x.DisabledReason != nil
	})
	got := rc.ofType("com.astra.iam.UserCreated")
	if len(got) != 8 {
		t.Fatalf("attempts %d, want 8 (the first and seven retries)", len(got))
	}
	if ct := got[0].Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
		t.Fatalf("structured mode content type %q", ct)
	}
	if err := verify(i.Secret, got[0].Header, got[0].Body); err != nil {
		t.Fatal(err)
	}
	dead, _ := testkit.Walk[delivery](t, in, api+"/integrations/"+i.ID+"/deliveries?state=dead", admin)
	if len(dead) != 1 || dead[0].Attempts != 8 {
		t.Fatalf("dead letters %+v", dead)
	}
	// Disabled: nothing more is sent, and a test is refused.
	if r := in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/test", admin, nil); r.Status != http.StatusConflict {
		t.Fatalf("test of a disabled integration: %d", r.Status)
	}
	rc.mu.Lock()
	rc.answer = nil
	rc.mu.Unlock()
	if r := in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/enable", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("enable: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/test", admin, nil); r.Status != http.StatusAccepted {
		t.Fatalf("test after enable: %d %s", r.Status, r.Body)
	}
}

func TestIntegrations_RefusalsAndTenancy(t *testing.T) {
	rc := newReceiver(t)
	in := start(t, rc)
	admin := in.AdminToken(t)
	i := configure(t, in, admin, map[string]any{"name": "siem", "url": rc.srv.URL, "event_types": []string{"*"}})

	for _, c := range []struct {
		name string
		body any
		code int
		in   string
	}{
		{"unknown field", map[string]any{"name": "x", "url": rc.srv.URL, "event_types": []string{"*"}, "colour": "red"}, 400, "colour"},
		{"plain http", map[string]any{"name": "x", "url": strings.Replace(rc.srv.URL, "https", "http", 1), "event_types": []string{"*"}}, 422, "https"},
		{"bad pattern", map[string]any{"name": "x", "url": rc.srv.URL, "event_types": []string{"iam.*"}}, 422, "iam.*"},
		{"no types", map[string]any{"name": "x", "url": rc.srv.URL, "event_types": []string{}}, 400, "event_types"},
		{"bad mode", map[string]any{"name": "x", "url": rc.srv.URL, "event_types": []string{"*"}, "mode": "fancy"}, 400, "mode"},
		{"metadata address", map[string]any{"name": "x", "url": "https://169.254.169.254/latest", "event_types": []string{"*"}}, 422, "url"},
	} {
		r := in.Do(t, http.MethodPost, api+"/integrations", admin, c.body)
		p := r.Problem(t)
		if r.Status != c.code || !strings.Contains(p.Detail+p.Title+string(r.Body), c.in) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodPost, api+"/integrations/"+i.ID+"/replay", admin, map[string]string{"after_event_id": "0190c8a0-0000-7000-8000-000000000000"}); r.Status != 422 {
		t.Errorf("replay after an unknown event: %d %s", r.Status, r.Body)
	}

	// Missing permission: a viewer reads but cannot configure, delete or replay.
	_, viewer := in.SignIn(t, admin, "viewer@platform.test", "viewer")
	if r := in.Do(t, http.MethodGet, api+"/integrations", viewer, nil); r.Status != http.StatusOK {
		t.Errorf("viewer list: %d", r.Status)
	}
	for _, x := range []struct{ method, path string }{
		{http.MethodPost, api + "/integrations"}, {http.MethodDelete, api + "/integrations/" + i.ID},
		{http.MethodPost, api + "/integrations/" + i.ID + "/test"}, {http.MethodPost, api + "/integrations/" + i.ID + "/rotate-secret"},
	} {
		if r := in.Do(t, x.method, x.path, viewer, map[string]any{"name": "x", "url": rc.srv.URL, "event_types": []string{"*"}}); r.Status != http.StatusForbidden {
			t.Errorf("viewer %s %s: %d", x.method, x.path, r.Status)
		}
	}

	// Another tenant sees nothing of it and cannot act on it.
	_, other := in.NewTenant(t, admin, "Othertenant")
	if r := in.Do(t, http.MethodGet, api+"/integrations/"+i.ID, other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant read: %d", r.Status)
	}
	if r := in.Do(t, http.MethodDelete, api+"/integrations/"+i.ID, other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant delete: %d", r.Status)
	}
	page := testkit.GetPage[integration](t, in, api+"/integrations", other)
	if len(page.Data) != 0 {
		t.Errorf("other tenant lists %d integrations", len(page.Data))
	}
	// Its own events do not reach the first tenant's endpoint.
	in.NewUser(t, other, "elsewhere@other.test", "viewer")

	if r := in.Do(t, http.MethodDelete, api+"/integrations/"+i.ID, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, api+"/integrations/"+i.ID, admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("read after delete: %d", r.Status)
	}
	home := in.Me(t, admin).TenantID
	for _, g := range rc.ofType("com.astra.iam.UserCreated") {
		if g.Header.Get("ce-tenantid") != home {
			t.Fatalf("another tenant's event was delivered: %v", g.Header)
		}
	}
}
