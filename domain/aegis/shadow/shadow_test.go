package shadow

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

const data = "../../../../shared/data/shadow_ai/"

// TestCatalogue_CoversTheSharedData: every provider host and agent of the
// shared facts is matched, except the documented exclusions.
func TestCatalogue_CoversTheSharedData(t *testing.T) {
	f, err := os.Open(data + "portkey_provider_hosts.tsv")
	if err != nil {
		t.Skipf("shared data: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 2 {
			continue
		}
		host := parts[1]
		if _, ok := excludedHosts[host]; ok {
			continue
		}
		if strings.HasSuffix(host, ".") {
			host += "eu-west-1" + regionalSuffix[host]
		}
		if _, ok := Default.MatchHost(host); !ok {
			t.Errorf("provider host %s (%s) is not matched", host, parts[0])
		}
		n++
	}
	raw, err := os.ReadFile(data + "ai_robots_txt_robots.json")
	if err != nil {
		t.Fatal(err)
	}
	var robots map[string]any
	if err := json.Unmarshal(raw, &robots); err != nil {
		t.Fatal(err)
	}
	for name := range robots {
		if _, ok := excludedAgents[name]; ok {
			continue
		}
		ua := "Mozilla/5.0 (compatible; " + name + "; +https://example.com/bot)"
		if _, ok := Default.MatchAgent(ua); !ok {
			t.Errorf("agent %q is not matched in %q", name, ua)
		}
	}
	t.Logf("%d provider hosts and %d agents of the shared data matched; catalogue: %d hosts, %d agents", n, len(robots)-len(excludedAgents),
		len(Default.Services()), Default.Agents())
}

func TestMatchHost_LookAlikesDoNotMatch(t *testing.T) {
	for host, want := range map[string]bool{
		"api.openai.com": true, "API.OpenAI.com.": true, "eu.api.openai.com": true, "chatgpt.com": true, "claude.ai": true,
		"runtime.sagemaker.us-east-1.amazonaws.com": true, "myres.openai.azure.com": true, "bedrock-runtime.eu-central-1.amazonaws.com": true,
		"openai.com.evil.net": false, "notopenai.com": false, "api-openai.com": false, "claude.ai.example.org": false, "chatgpt.co": false,
		"s3.amazonaws.com": false, "storage.googleapis.com": false, "example.com": false, "openai": false, "ai": false,
	} {
		if _, got := Default.MatchHost(Normalize(host)); got != want {
			t.Errorf("%s: matched %v, want %v", host, got, want)
		}
	}
	for ua, want := range map[string]bool{
		"Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)": true, "ClaudeBot/1.0": true, "OpenAI/Python 1.40.0": true,
		"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Code/1.85.0 Chrome/114 Electron/25.9.7 Safari/537.36": false,
		"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0":                                                         false, "curl/8.4.0": false,
	} {
		if _, got := Default.MatchAgent(ua); got != want {
			t.Errorf("%q: matched %v, want %v", ua, got, want)
		}
	}
}

// genLog writes n proxy log lines (NDJSON) mixing AI hosts, ordinary hosts
// and look-alikes, and returns the truth per line.
func genLog(n int, seed uint64) ([]byte, []bool) {
	r := rand.New(rand.NewPCG(seed, 7))
	ai := []string{}
	for _, s := range Default.Services() {
		if !strings.HasSuffix(s.Host, ".") && s.Host != "bedrock-runtime.amazonaws.com" {
			ai = append(ai, s.Host)
		}
	}
	plain := []string{"www.google.com", "mail.google.com", "github.com", "api.github.com", "slack.com", "zoom.us", "s3.amazonaws.com",
		"login.microsoftonline.com", "outlook.office365.com", "www.wikipedia.org", "cdn.jsdelivr.net", "registry.npmjs.org", "pypi.org",
		"storage.googleapis.com", "cloud.google.com", "docs.python.org", "news.ycombinator.com", "www.bbc.co.uk", "api.stripe.com"}
	lookalike := func(h string) string {
		switch r.IntN(5) {
		case 0:
			return h + ".evil-proxy.net"
		case 1: // another registrable domain: chat.mistral.ai → chat.mymistral.ai
			l := strings.Split(h, ".")
			if len(l) < 2 {
				return "my" + h
			}
			l[len(l)-2] = "my" + l[len(l)-2]
			return strings.Join(l, ".")
		case 2:
			return strings.Replace(h, ".", "-", 1) + ".com"
		case 3:
			return "www." + strings.TrimSuffix(h, ".com") + "-login.com"
		default:
			return h + "x"
		}
	}
	var b bytes.Buffer
	truth := make([]bool, n)
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		var host string
		switch p := r.Float64(); {
		case p < 0.2:
			host, truth[i] = ai[r.IntN(len(ai))], true
			if r.IntN(3) == 0 {
				host = "eu." + host
			}
		case p < 0.35:
			host = lookalike(ai[r.IntN(len(ai))])
		default:
			host = plain[r.IntN(len(plain))]
		}
		fmt.Fprintf(&b, `{"ts":"%s","src":"10.1.%d.%d","host":"%s","user_agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0","bytes":%d}`+"\n",
			start.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), r.IntN(4), r.IntN(50), host, 200+r.IntN(5000))
	}
	return b.Bytes(), truth
}

// TestMatching_PrecisionAndRecallOnAGeneratedLog measures the matching on
// a generated proxy log with known AI hosts (and their subdomains),
// ordinary hosts and look-alike domains.
func TestMatching_PrecisionAndRecallOnAGeneratedLog(t *testing.T) {
	const n = 50_000
	log, truth := genLog(n, 20261207)
	var tp, fp, fn int
	i := 0
	var f Findings
	st, err := Read(bytes.NewReader(log), FormatNDJSON, func(r *Record) {
		got := f.Add(r)
		switch {
		case got && truth[i]:
			tp++
		case got:
			fp++
			if fp < 5 {
				t.Logf("false positive: %s", r.Host)
			}
		case truth[i]:
			fn++
			if fn < 5 {
				t.Logf("missed: %s", r.Host)
			}
		}
		i++
	})
	if err != nil || st.Malformed != 0 || st.Lines != n {
		t.Fatalf("read %+v %v", st, err)
	}
	precision, recall := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
	t.Logf("%d lines (%d AI, look-alikes among the rest): precision %.4f, recall %.4f, %d groups", n, tp+fn, precision, recall, len(f.Groups()))
	if precision < 0.999 || recall < 0.999 {
		t.Fatalf("precision %.4f recall %.4f", precision, recall)
	}
}

func TestRead_MalformedLinesAreCountedNotFatal(t *testing.T) {
	log := `{"ts":"2026-12-01T08:00:00Z","src":"10.0.0.1","query":"api.openai.com"}
not json
{"ts":"2026-12-01T08:00:01Z","src":"10.0.0.1"}
{"src":"10.0.0.2","host":"claude.ai"}
{"ts":1764576000.5,"src":"10.0.0.3","url":"https://chatgpt.com/c/1","user_agent":"x"}
`
	var f Findings
	st, err := Read(strings.NewReader(log), FormatNDJSON, func(r *Record) { f.Add(r) })
	if err != nil || st.Lines != 5 || st.Malformed != 3 || len(st.Errors) != 3 || len(f.Groups()) != 2 {
		t.Fatalf("%+v %v %+v", st, err, f.Groups())
	}
	zeek := "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\tquery\n" +
		"1764576000.1\tC1\t10.0.0.9\t5353\t10.0.0.1\t53\tudp\t1\tapi.anthropic.com\n1764576001.1\tC2\t10.0.0.9\t5353\t10.0.0.1\t53\tudp\t2\texample.com\nbroken\n"
	f = Findings{}
	st, err = Read(strings.NewReader(zeek), FormatZeek, func(r *Record) { f.Add(r) })
	if err != nil || st.Lines != 3 || st.Malformed != 1 || len(f.Groups()) != 1 || f.Groups()[0].ServiceHost != "api.anthropic.com" {
		t.Fatalf("zeek %+v %v %+v", st, err, f.Groups())
	}
	squid := "1764576000.123    120 10.0.0.7 TCP_TUNNEL/200 5120 CONNECT api.mistral.ai:443 - HIER_DIRECT/1.2.3.4 -\n1764576000.5 1 10.0.0.7 TCP_MISS/200 10 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html\nshort line\n"
	f = Findings{}
	st, err = Read(strings.NewReader(squid), FormatSquid, func(r *Record) { f.Add(r) })
	if err != nil || st.Lines != 3 || st.Malformed != 1 || len(f.Groups()) != 1 || f.Groups()[0].MatchedBy != "sni" {
		t.Fatalf("squid %+v %v %+v", st, err, f.Groups())
	}
	csvLog := "timestamp,client_ip,domain,bytes\n2026-12-01T08:00:00Z,10.0.0.5,perplexity.ai,100\n2026-12-01T08:00:00Z,10.0.0.5\n"
	f = Findings{}
	st, err = Read(strings.NewReader(csvLog), FormatCSV, func(r *Record) { f.Add(r) })
	if err != nil || st.Lines != 2 || st.Malformed != 1 || len(f.Groups()) != 1 {
		t.Fatalf("csv %+v %v %+v", st, err, f.Groups())
	}
	if _, err := Read(strings.NewReader("a,b\n1,2\n"), FormatCSV, func(*Record) {}); err == nil {
		t.Fatal("a CSV without the columns we read is refused")
	}
}

// BenchmarkIngest parses, matches and groups a generated NDJSON proxy log
// (the ingest path without HTTP and the ledger); it reports lines/s.
//
//	go test -run '^$' -bench Ingest ./domain/aegis/shadow/
func BenchmarkIngest(b *testing.B) {
	log, _ := genLog(100_000, 1)
	b.SetBytes(int64(len(log)))
	b.ResetTimer()
	for range b.N {
		var f Findings
		if _, err := Read(bytes.NewReader(log), FormatNDJSON, func(r *Record) { f.Add(r) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"ts":"2026-12-01T08:00:00Z","src":"a","host":"api.openai.com"}`), 0)
	f.Add([]byte("#fields\tts\tquery\n1\tclaude.ai\n"), 3)
	f.Add([]byte("ts,host\n1,chatgpt.com\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, k int) {
		format := Formats[(k%len(Formats)+len(Formats))%len(Formats)]
		var fs Findings
		_, _ = Read(bytes.NewReader(in), format, func(r *Record) { fs.Add(r) })
	})
}
