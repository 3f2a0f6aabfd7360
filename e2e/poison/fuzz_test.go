package poison

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/testkit"
)

// fuzzExcluded are write routes the fuzz session must not call: they act on
// the fuzzing principal itself (signing it out, changing its password,
// putting MFA in front of it), which would end the session, not test a decoder.
var fuzzExcluded = map[string]bool{
	"POST /api/v1/auth/logout":          true,
	"POST /api/v1/auth/password/change": true,
	"POST /api/v1/auth/mfa/enroll":      true,
	"POST /api/v1/auth/mfa/verify":      true,
	"DELETE /api/v1/auth/mfa":           true,
}

var pathParam = regexp.MustCompile(`:[a-z_]+`)

// writeRoutes lists every write route (POST, PUT, PATCH, DELETE) of the route table.
func writeRoutes(reg *platform.Registry) []platform.Route {
	var out []platform.Route
	for _, rt := range reg.Routes() {
		switch rt.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			if !fuzzExcluded[rt.Method+" "+rt.Path] {
				out = append(out, rt)
			}
		}
	}
	return out
}

// templates is each route's request body with every string value empty (the
// zero value of its declared request type), into which seeds put invalid text.
func template(rt platform.Route) []byte {
	if rt.Request == nil {
		return []byte(`{"name":""}`)
	}
	b, err := json.Marshal(rt.Request)
	if err != nil || !bytes.Contains(b, []byte(`""`)) {
		return []byte(`{"name":""}`)
	}
	return b
}

// fuzzSession is the product under fuzzing, started once per process.
type fuzzSession struct {
	in               *testkit.Instance
	routes           []platform.Route
	admin, tenant    string
	otherTok         string
	mu               sync.Mutex
	execs            int
	lastCheck        time.Time
	bystanderWrites  int
	bystanderLatency time.Duration
}

// FuzzWriteRoutes sends bodies with invalid text (NUL, lone surrogates,
// overlong and invalid UTF-8, control characters) and whatever the fuzzer
// makes of them to every write route of the route table, on the real stack.
// No answer may be a 5xx; a route that decodes a body must refuse invalid
// text; and the projections must not stall: a normal write in a second
// tenant keeps reaching its read model within the read-your-writes bound
// (checked every few seconds and at the end).
func FuzzWriteRoutes(f *testing.F) {
	cfg := testkit.Config(f)
	cfg.RateLimitPerMinute, cfg.RateLimitAnon = 1<<30, 1<<30
	cfg.ReadYourWrites = 5 * time.Second
	in := testkit.Start(f, &cfg)
	s := &fuzzSession{in: in, routes: writeRoutes(in.Running.Registry), admin: in.AdminToken(f), lastCheck: time.Now()}
	s.tenant, _ = in.NewTenant(f, s.admin, "Fuzzed")
	_, s.otherTok = in.NewTenant(f, s.admin, "Untouched")
	if len(s.routes) < 20 {
		f.Fatalf("only %d write routes found", len(s.routes))
	}

	invalid := []string{`\u0000`, `\ud800`, `\udfff`, `a\ud83dz`, "\xc0\xaf", "\xed\xa0\x80", "\xff", `\u001b[31m`, "\x01"}
	for i, rt := range s.routes {
		tpl := template(rt)
		for j, bad := range invalid {
			if (i+j)%3 != 0 { // a third of the combinations: every route, every kind, in well under 30 s
				continue
			}
			f.Add(uint16(i), bytes.Replace(tpl, []byte(`""`), []byte(`"x`+bad+`"`), 1))
		}
	}
	f.Cleanup(func() { s.checkFlowing(f) })

	f.Fuzz(func(t *testing.T, route uint16, body []byte) {
		rt := s.routes[int(route)%len(s.routes)]
		path := pathParam.ReplaceAllString(rt.Path, "0190aaaa-0000-7000-8000-000000000000")
		req, err := http.NewRequest(rt.Method, in.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.admin)
		req.Header.Set("X-Tenant-ID", s.tenant)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rt.Method, path, err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s answered %d to %q: %s", rt.Method, path, resp.StatusCode, body, answer)
		}
		if rt.Request != nil && resp.StatusCode < 300 && platform.CheckJSONText(body) != nil {
			t.Fatalf("%s %s accepted invalid text (%d) in %q: %s", rt.Method, path, resp.StatusCode, body, answer)
		}
		s.mu.Lock()
		s.execs++
		due := time.Since(s.lastCheck) > 5*time.Second
		if due {
			s.lastCheck = time.Now()
		}
		s.mu.Unlock()
		if due {
			s.checkFlowing(t)
		}
	})
}

// checkFlowing writes in the untouched tenant and requires the write to be
// applied by its projections within the bound (X-Astra-Consistency: strong).
func (s *fuzzSession) checkFlowing(t testing.TB) {
	t.Helper()
	start := time.Now()
	r := s.in.Do(t, http.MethodPost, "/api/v1/risk/risks", s.otherTok, map[string]any{"title": "still flowing", "likelihood": 1, "impact": 1})
	if r.Status != http.StatusCreated || r.Header.Get("X-Astra-Consistency") != "strong" {
		t.Fatalf("projections stalled: a normal write in another tenant answered %d, consistency %q: %s",
			r.Status, r.Header.Get("X-Astra-Consistency"), strings.TrimSpace(string(r.Body)))
	}
	s.mu.Lock()
	s.bystanderWrites++
	s.bystanderLatency += time.Since(start)
	s.mu.Unlock()
}
