package aegis_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type ingestOut struct {
	IngestID  string   `json:"ingest_id"`
	Lines     int64    `json:"lines"`
	Matched   int64    `json:"matched"`
	Malformed int64    `json:"malformed"`
	Errors    []string `json:"errors"`
	Findings  int      `json:"findings"`
	Shadow    int      `json:"shadow"`
	Groups    []struct {
		FindingID   string `json:"finding_id"`
		ServiceHost string `json:"service_host"`
		Source      string `json:"source"`
		Attribution string `json:"attribution"`
	} `json:"groups"`
}

type findingOut struct {
	ID          string `json:"id"`
	ServiceHost string `json:"service_host"`
	Source      string `json:"source"`
	Attribution string `json:"attribution"`
	State       string `json:"state"`
	Severity    string `json:"severity"`
	Requests    int64  `json:"requests"`
	Ingests     int    `json:"ingests"`
}

func ingest(t *testing.T, in *testkit.Instance, token, contentType, query, body string) *testkit.Response {
	t.Helper()
	return in.Do(t, http.MethodPost, api+"/shadow-ai/ingest"+query, token, []byte(body), "Content-Type", contentType)
}

// TestShadowAi_IngestMatchJoinTriage: logs in every format are matched
// (a malformed line counted, never fatal), joined to what the tenant knows
// (a provider the gateway fronts is sanctioned, a registered agent's source
// is the agent's), grouped into findings that grow with later logs, raise
// alerts, and are triaged; denial paths and tenant isolation hold.
func TestShadowAi_IngestMatchJoinTriage(t *testing.T) {
	in := mcpConfig(t) // loopback allowed: the provider below points there
	admin := in.AdminToken(t)
	sec := user(t, in, admin, "sec@shadow.test", "security_admin")
	auditor := user(t, in, admin, "aud@shadow.test", "auditor")
	register(t, in, sec, "build-bot")
	wantStatus(t, in.Do(t, http.MethodPost, "/api/v1/gateway/providers", admin, map[string]any{"name": "claude", "kind": "anthropic",
		"base_url": "http://127.0.0.1:9", "api_key": "sk-ant-test"}), http.StatusCreated)

	nd := strings.Join([]string{
		`{"ts":"2026-12-01T08:00:00Z","src":"10.0.0.5","query":"chatgpt.com"}`,
		`{"ts":"2026-12-01T08:00:05Z","src":"10.0.0.5","host":"chatgpt.com","user_agent":"Mozilla/5.0","bytes":900}`,
		`{"ts":"2026-12-01T08:01:00Z","src":"10.0.0.6","url":"https://api.anthropic.com/v1/messages","bytes":300}`,
		`{"ts":"2026-12-01T08:02:00Z","src":"build-bot","host":"api.openai.com","bytes":100}`,
		`{"ts":"2026-12-01T08:03:00Z","src":"10.0.0.7","host":"openai.com.evil-proxy.net"}`,
		`{"ts":"2026-12-01T08:03:30Z","src":"10.0.0.8","host":"example.com","user_agent":"Mozilla/5.0 (compatible; GPTBot/1.2)"}`,
		`{"ts":"2026-12-01T08:04:00Z","src":"10.0.0.7","host":"www.wikipedia.org"}`,
		`this is not json`,
	}, "\n")
	r := ingest(t, in, sec, "application/x-ndjson", "", nd)
	wantStatus(t, r, http.StatusOK)
	var out ingestOut
	r.Data(t, &out)
	if out.Lines != 8 || out.Matched != 5 || out.Malformed != 1 || len(out.Errors) != 1 || out.Findings != 4 || out.Shadow != 2 {
		t.Fatalf("ingest %+v", out)
	}
	attr := map[string]string{}
	for _, g := range out.Groups {
		attr[g.ServiceHost+"|"+g.Source] = g.Attribution
	}
	if attr["chatgpt.com|10.0.0.5"] != "shadow" || attr["api.anthropic.com|10.0.0.6"] != "sanctioned" || attr["api.openai.com|build-bot"] != "agent" ||
		attr["agent:GPTBot|10.0.0.8"] != "shadow" {
		t.Fatalf("attribution %v", attr)
	}

	// Other formats add to the same findings.
	csv := "timestamp,client_ip,domain,bytes\n2026-12-01T09:00:00Z,10.0.0.5,chatgpt.com,100\n2026-12-01T09:00:01Z,10.0.0.9,claude.ai,50\n"
	r = ingest(t, in, sec, "text/csv", "", csv)
	wantStatus(t, r, http.StatusOK)
	squid := "1764579600.123    120 10.0.0.10 TCP_TUNNEL/200 5120 CONNECT api.mistral.ai:443 - HIER_DIRECT/1.2.3.4 -\n"
	wantStatus(t, ingest(t, in, sec, "text/plain", "?format=squid", squid), http.StatusOK)
	zeek := "#separator \\x09\n#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thost\turi\tuser_agent\trequest_body_len\n" +
		"1764579600.5\tC1\t10.0.0.11\t5000\t1.2.3.4\t443\tperplexity.ai\t/search\tMozilla/5.0\t20\n"
	wantStatus(t, ingest(t, in, sec, "text/plain", "?format=zeek", zeek), http.StatusOK)

	findings, _ := testkit.Walk[findingOut](t, in, api+"/shadow-ai/findings?limit=3", sec)
	by := map[string]findingOut{}
	for _, f := range findings {
		by[f.ServiceHost+"|"+f.Source] = f
	}
	if len(findings) != 7 {
		t.Fatalf("findings %+v", findings)
	}
	if f := by["chatgpt.com|10.0.0.5"]; f.Requests != 3 || f.Ingests != 2 || f.State != "detected" || f.Severity != "medium" {
		t.Fatalf("chatgpt finding %+v", f)
	}
	shadowOnly, _ := testkit.Walk[findingOut](t, in, api+"/shadow-ai/findings?attribution=shadow", sec)
	if len(shadowOnly) != 5 {
		t.Fatalf("shadow findings %+v", shadowOnly)
	}

	// Shadow findings raise alerts.
	testkit.Eventually(t, 10*time.Second, "a Shadow AI alert", func() bool {
		var alerts []struct {
			Title string `json:"title"`
		}
		in.Do(t, http.MethodGet, api+"/alerts", sec, nil).Data(t, &alerts)
		for _, a := range alerts {
			if strings.Contains(a.Title, "chatgpt.com") {
				return true
			}
		}
		return false
	})

	// Triage.
	id := by["chatgpt.com|10.0.0.5"].ID
	var one findingOut
	in.Do(t, http.MethodGet, api+"/shadow-ai/findings/"+id, auditor, nil).Data(t, &one)
	if one.ServiceHost != "chatgpt.com" || one.Requests != 3 {
		t.Fatalf("one finding %+v", one)
	}
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/shadow-ai/findings/"+id, auditor, map[string]any{"state": "blocked"}), http.StatusForbidden, "AUTH-006")
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/shadow-ai/findings/"+id, sec, map[string]any{"state": "detected"}), http.StatusBadRequest, "VAL-001")
	r = in.Do(t, http.MethodPatch, api+"/shadow-ai/findings/"+id, sec, map[string]any{"state": "blocked", "note": "use the gateway"})
	wantStatus(t, r, http.StatusOK)
	var f findingOut
	r.Data(t, &f)
	if f.State != "blocked" {
		t.Fatalf("triaged %+v", f)
	}
	var services []struct {
		ServiceHost string         `json:"service_host"`
		Sources     int            `json:"sources"`
		States      map[string]int `json:"states"`
	}
	in.Do(t, http.MethodGet, api+"/shadow-ai/services", sec, nil).Data(t, &services)
	if len(services) != 7 {
		t.Fatalf("services %+v", services)
	}
	var sum struct {
		Findings      int            `json:"findings"`
		ByState       map[string]int `json:"by_state"`
		ByAttribution map[string]int `json:"by_attribution"`
		Logs          int            `json:"logs"`
		Lines         int64          `json:"lines"`
		Malformed     int64          `json:"malformed"`
	}
	in.Do(t, http.MethodGet, api+"/shadow-ai/summary", auditor, nil).Data(t, &sum)
	if sum.Findings != 7 || sum.ByState["blocked"] != 1 || sum.ByAttribution["sanctioned"] != 1 || sum.Logs != 4 || sum.Lines != 12 || sum.Malformed != 1 {
		t.Fatalf("summary %+v", sum)
	}

	// Denials: bad input, permissions, another tenant.
	wantProblem(t, ingest(t, in, sec, "text/plain", "", squid), http.StatusUnsupportedMediaType, "VAL-003")
	wantProblem(t, ingest(t, in, sec, "text/csv", "", "a,b\n1,2\n"), http.StatusUnprocessableEntity, "AEG-021")
	wantProblem(t, ingest(t, in, sec, "text/plain", "?format=pcap", squid), http.StatusBadRequest, "VAL-005")
	wantProblem(t, ingest(t, in, auditor, "application/x-ndjson", "", nd), http.StatusForbidden, "AUTH-006")
	_, other := in.NewTenant(t, admin, "other-shadow")
	wantProblem(t, in.Do(t, http.MethodGet, api+"/shadow-ai/findings/"+id, other, nil), http.StatusNotFound, "AEG-020")
	wantProblem(t, in.Do(t, http.MethodPatch, api+"/shadow-ai/findings/"+id, other, map[string]any{"state": "sanctioned"}), http.StatusNotFound, "AEG-020")
	var none []findingOut
	in.Do(t, http.MethodGet, api+"/shadow-ai/findings", other, nil).Data(t, &none)
	if len(none) != 0 {
		t.Fatalf("another tenant sees %+v", none)
	}
}

// BenchmarkShadowAiIngest posts a generated NDJSON proxy log of 100,000
// lines through HTTP (parse, match, group, one ledger append of the
// findings, the read model applied) and reports lines/s end to end, for
// 50 sources (about 250 findings a log) and 1,400 (about 7,000).
//
//	CI=true go test -run '^$' -bench ShadowAiIngest -benchtime 5x ./http/aegis/
func BenchmarkShadowAiIngest(b *testing.B) {
	for _, sources := range []int{50, 1400} {
		b.Run(fmt.Sprintf("sources=%d", sources), func(b *testing.B) { benchIngest(b, sources) })
	}
}

func benchIngest(b *testing.B, sources int) {
	in := testkit.Start(b, nil)
	admin := in.AdminToken(b)
	hosts := []string{"api.openai.com", "chatgpt.com", "claude.ai", "www.google.com", "github.com", "openai.com.evil.net", "slack.com", "perplexity.ai"}
	var log bytes.Buffer
	const lines = 100_000
	for i := range lines {
		fmt.Fprintf(&log, `{"ts":"2026-12-01T08:%02d:%02dZ","src":"10.1.%d.%d","host":"%s","user_agent":"Mozilla/5.0","bytes":%d}`+"\n",
			i/60%60, i%60, i%sources/200, i%sources%200, hosts[i%len(hosts)], 100+i%900)
	}
	body := log.Bytes()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		r := in.DoRaw(b, http.MethodPost, api+"/shadow-ai/ingest", admin, body, "Content-Type", "application/x-ndjson")
		if r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
