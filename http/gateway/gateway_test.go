package gateway_test

import (
	"github.com/astrabastion/astra/testkit/shareddata"

	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type chatOut struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
	} `json:"choices"`
	Security struct {
		InjectionScore    float64  `json:"injection_score"`
		PIIDetected       bool     `json:"pii_detected"`
		PolicyViolations  []string `json:"policy_violations"`
		PipelineLatencyMs float64  `json:"pipeline_latency_ms"`
		CacheHit          bool     `json:"cache_hit"`
		RequestID         string   `json:"request_id"`
		PolicyID          string   `json:"policy_id"`
		PolicyVersion     int      `json:"policy_version"`
		Provider          string   `json:"provider"`
		PIITypes          []string `json:"pii_types"`
		Redacted          bool     `json:"redacted"`
	} `json:"security"`
}

func chat(t *testing.T, in *testkit.Instance, token, content string, extra map[string]any) *testkit.Response {
	t.Helper()
	body := map[string]any{"provider": "mock", "model": "mock-small", "messages": []map[string]string{{"role": "user", "content": content}}}
	for k, v := range extra {
		body[k] = v
	}
	return in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", token, body)
}

func TestGateway_PipelineEndToEnd(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	t.Run("a benign chat passes with the security block and is audited with its trace", func(t *testing.T) {
		r := chat(t, in, admin, "Summarize Q4 earnings for AAPL.", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var out chatOut
		r.Data(t, &out)
		if out.Choices[0].Message.Content == "" || out.Security.InjectionScore >= 0.5 || out.Security.RequestID == "" {
			t.Fatalf("%+v", out)
		}
		testkit.Eventually(t, 5*time.Second, "request in the log", func() bool {
			g := in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+out.Security.RequestID, admin, nil)
			if g.Status != http.StatusOK {
				return false
			}
			var req struct {
				Steps []struct {
					Step    string `json:"step"`
					Verdict string `json:"verdict"`
				} `json:"steps"`
			}
			g.Data(t, &req)
			return len(req.Steps) == 14
		})
	})

	t.Run("a prompt from the labelled injection set is blocked with GW-003; a monitoring policy lets it through", func(t *testing.T) {
		raw := shareddata.Read(t, "prompt_injection/go_promptguard_attacks.json")
		var set struct {
			Samples []struct {
				Input    string `json:"input"`
				Category string `json:"category"`
			} `json:"samples"`
		}
		_ = json.Unmarshal(raw, &set)
		prompt := ""
		for _, s := range set.Samples {
			if s.Category == "instruction_override" {
				prompt = s.Input
				break
			}
		}
		r := chat(t, in, admin, prompt, nil)
		p := r.Problem(t)
		if r.Status != http.StatusUnprocessableEntity || p.ErrorCode != "GW-003" || p.Title != "Prompt Injection Detected" ||
			p.Type != "https://api.astrabastion.com/errors/GW-003" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		pol := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", admin, map[string]any{"name": "monitor",
			"injection": map[string]any{"enabled": true, "threshold": 0.5, "action": "monitor"}, "pii": map[string]any{"enabled": true, "action": "redact"}})
		if pol.Status != http.StatusCreated {
			t.Fatalf("policy: %d %s", pol.Status, pol.Body)
		}
		var pv struct {
			ID string `json:"id"`
		}
		pol.Data(t, &pv)
		r = chat(t, in, admin, prompt, map[string]any{"policy_id": pv.ID})
		if r.Status != http.StatusOK {
			t.Fatalf("monitor: %d %s", r.Status, r.Body)
		}
		var out chatOut
		r.Data(t, &out)
		if out.Security.InjectionScore < 0.5 || !contains(out.Security.PolicyViolations, "prompt_injection") {
			t.Fatalf("monitor security %+v", out.Security)
		}
	})

	t.Run("personal data is redacted before the provider sees it", func(t *testing.T) {
		r := chat(t, in, admin, "MOCK_ECHO: mail me at jane.doe@example.com", nil)
		var out chatOut
		r.Data(t, &out)
		if strings.Contains(out.Choices[0].Message.Content, "jane.doe@example.com") || !out.Security.PIIDetected {
			t.Fatalf("%+v", out)
		}
	})

	t.Run("streams redact a card number split across chunks", func(t *testing.T) {
		resp := stream(t, in, admin, "MOCK_ECHO: my card is 4111 1111 1111 1111 thanks")
		if strings.Contains(resp, "4111") || !strings.Contains(resp, "[DONE]") {
			t.Fatalf("stream leaked or did not finish: %s", resp)
		}
	})

	t.Run("kill switch stops traffic on the instance within a second and reaches the live stream", func(t *testing.T) {
		ws := in.DialWS(t, admin)
		ws.Subscribe("", "gateway.kill_switch.*")
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", admin, map[string]any{"scope": map[string]string{"kind": "provider", "value": "mock"}, "reason": "incident 42"})
		if r.Status != http.StatusCreated {
			t.Fatalf("activate: %d %s", r.Status, r.Body)
		}
		testkit.Eventually(t, time.Second, "blocked", func() bool {
			return chat(t, in, admin, "hello", nil).Status == http.StatusServiceUnavailable
		})
		evs := ws.Events(3*time.Second, func(e []map[string]any) bool { return len(e) > 0 })
		if len(evs) == 0 || evs[0]["type"] != "com.astra.gateway.KillSwitchActivated" {
			t.Fatalf("ws: %v", evs)
		}
		in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", admin, map[string]any{"scope": map[string]string{"kind": "provider", "value": "mock"}, "reason": "resolved"})
		testkit.Eventually(t, time.Second, "resumed", func() bool {
			return chat(t, in, admin, "hello", nil).Status == http.StatusOK
		})
	})

	t.Run("cache hits never cross a policy change", func(t *testing.T) {
		a := chat(t, in, admin, "cache me please", nil)
		b := chat(t, in, admin, "cache me please", nil)
		var oa, ob chatOut
		a.Data(t, &oa)
		b.Data(t, &ob)
		if oa.Security.CacheHit || !ob.Security.CacheHit {
			t.Fatalf("cache: %v %v", oa.Security.CacheHit, ob.Security.CacheHit)
		}
	})

	t.Run("tenant isolation and permissions", func(t *testing.T) {
		_, other := in.NewTenant(t, admin, "Gamma")
		if r := in.Do(t, http.MethodGet, "/api/v1/gateway/requests", other, nil); r.Status != http.StatusOK || strings.Contains(string(r.Body), "Summarize") {
			t.Fatalf("other tenant's log: %d", r.Status)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", other, map[string]any{"name": "evil", "kind": "openai_compatible", "base_url": "http://169.254.169.254/v1"}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("metadata URL: %d %s", r.Status, r.Body)
		}
		// Without ASTRA_ALLOW_PRIVATE_URLS, loopback is refused too.
		for _, u := range []string{"http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]/v1"} {
			r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", other, map[string]any{"name": "local", "kind": "openai_compatible", "base_url": u})
			if r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "GW-016" {
				t.Fatalf("loopback URL %s: %d %s", u, r.Status, r.Body)
			}
		}
	})
}

func stream(t *testing.T, in *testkit.Instance, token, content string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"provider": "mock", "model": "mock-small", "stream": true,
		"messages": []map[string]string{{"role": "user", "content": content}}})
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/api/v1/gateway/chat/completions", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("stream headers %v", resp.Header)
	}
	var all strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			var ch struct {
				Choices []struct {
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
			}
			if json.Unmarshal([]byte(d), &ch) == nil && len(ch.Choices) > 0 {
				all.WriteString(ch.Choices[0].Delta.Content)
			}
			if d == "[DONE]" {
				all.WriteString("[DONE]")
			}
		}
	}
	return all.String()
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
