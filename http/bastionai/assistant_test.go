package bastionai_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/bastion-ai"

type ledgerRef struct {
	EventID  string `json:"event_id"`
	Type     string `json:"type"`
	StreamID string `json:"stream_id"`
	Version  int64  `json:"stream_version"`
	Position int64  `json:"position"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
}

type citation struct {
	Kind   string      `json:"kind"`
	ID     string      `json:"id"`
	Tool   string      `json:"tool"`
	Events []ledgerRef `json:"events"`
}

type toolUse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Allowed   bool   `json:"allowed"`
	Records   int    `json:"records"`
}

type chatAnswer struct {
	ConversationID  string     `json:"conversation_id"`
	MessageID       string     `json:"message_id"`
	Answer          string     `json:"answer"`
	ToolCalls       []toolUse  `json:"tool_calls"`
	Citations       []citation `json:"citations"`
	GatewayRequests []string   `json:"gateway_requests"`
	Provider        string     `json:"provider"`
	Model           string     `json:"model"`
}

type gatewayRecord struct {
	ID            string `json:"id"`
	Principal     string `json:"principal"`
	Endpoint      string `json:"endpoint"`
	Provider      string `json:"provider"`
	Model         string `json:"model"`
	PolicyID      string `json:"policy_id"`
	PolicyVersion int    `json:"policy_version"`
	Blocked       bool   `json:"blocked"`
	BlockedBy     string `json:"blocked_by"`
	ErrorCode     string `json:"error_code"`
	Outcome       string `json:"outcome"`
	TotalTokens   int    `json:"total_tokens"`
}

func chat(t *testing.T, in *testkit.Instance, token string, body map[string]any) chatAnswer {
	t.Helper()
	r := in.Do(t, http.MethodPost, api+"/chat", token, body)
	if r.Status != http.StatusOK {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}
	var out chatAnswer
	r.Data(t, &out)
	return out
}

// verifyChain loads each cited event from the ledger and recomputes its
// hash from the event and its predecessor's hash.
func verifyChain(t *testing.T, in *testkit.Instance, tenant string, refs []ledgerRef) {
	t.Helper()
	for _, ref := range refs {
		evs, _, err := eventstore.QueryAudit(context.Background(), in.Running.Stack.Pool, eventstore.AuditFilter{TenantID: tenant, StreamID: ref.StreamID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(evs, func(e eventstore.Event) bool { return e.ID.String() == ref.EventID })
		if i < 0 {
			t.Fatalf("cited event %s is not in stream %s of the ledger", ref.EventID, ref.StreamID)
		}
		e := evs[i]
		if hex.EncodeToString(e.Hash) != ref.Hash || hex.EncodeToString(e.PrevHash) != ref.PrevHash || e.Version != ref.Version || e.Type != ref.Type {
			t.Fatalf("citation %+v differs from the ledger (hash %x prev %x version %d)", ref, e.Hash, e.PrevHash, e.Version)
		}
		var prev []byte
		if i > 0 {
			prev = evs[i-1].Hash
		}
		if got := eventstore.ChainHash(prev, &e); hex.EncodeToString(got) != ref.Hash {
			t.Fatalf("event %s: recomputed hash %x, cited %s", ref.EventID, got, ref.Hash)
		}
	}
}

func TestAssistant_AnswersThroughTwoToolCallsCitingTheLedgerThroughTheGateway(t *testing.T) {
	in := startInstance(t)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	s := newScript(t)
	useScript(t, in, admin, s, false)

	if r := in.Do(t, http.MethodPost, "/api/v1/trust/scores/recalculate", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("recalculate: %d %s", r.Status, r.Body)
	}
	r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "Prompt injection through support tickets", "likelihood": 4, "impact": 4})
	if r.Status != http.StatusCreated {
		t.Fatalf("risk: %d %s", r.Status, r.Body)
	}
	var rk struct {
		ID string `json:"id"`
	}
	r.Data(t, &rk)

	// A direct gateway call first: the trust signal it makes is among the
	// score's top movers, cited by the event that caused it.
	direct := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", admin, map[string]any{"provider": "script", "model": "scripted-1",
		"messages": []map[string]string{{"role": "user", "content": "hello"}}})
	if direct.Status != http.StatusOK {
		t.Fatalf("direct: %d %s", direct.Status, direct.Body)
	}
	var d struct {
		Security struct {
			RequestID string `json:"request_id"`
		} `json:"security"`
	}
	direct.Data(t, &d)
	testkit.Eventually(t, 10*time.Second, "a trust signal", func() bool {
		return len(testkit.GetPage[struct {
			ID string `json:"id"`
		}](t, in, "/api/v1/trust/signals", admin).Data) > 0
	})
	s.play(step{calls: [][2]string{{"trust_score", `{}`}}}, step{calls: [][2]string{{"risks", `{"limit":5}`}}},
		step{text: "Your trust score is recorded and one risk is open: " + rk.ID + "."})
	out := chat(t, in, admin, map[string]any{"message": "How are we doing, and what is our biggest risk?"})

	if !strings.Contains(out.Answer, rk.ID) || len(out.ToolCalls) != 2 || out.ToolCalls[0].Name != "trust_score" || out.ToolCalls[1].Name != "risks" ||
		!out.ToolCalls[0].Allowed || !out.ToolCalls[1].Allowed {
		t.Fatalf("answer: %+v", out)
	}
	if len(out.GatewayRequests) != 3 || out.Provider != "script" || out.Model != "scripted-1" {
		t.Fatalf("gateway calls: %+v", out)
	}
	// The model saw the tools and, on its next calls, their results.
	seen := s.requests()[1:] // after the direct call
	if len(seen) != 3 || !slices.Contains(seen[0].toolNames(), "audit_trail") || len(seen[2].toolResults()) != 2 ||
		!strings.Contains(seen[2].toolResults()[1], rk.ID) {
		t.Fatalf("the model saw: %+v", seen)
	}
	// Citations: the risk and the trust score, each with the ledger events
	// behind it, whose hashes verify against the chain.
	var refs []ledgerRef
	kinds := map[string]citation{}
	for _, c := range out.Citations {
		kinds[c.Kind+"/"+c.ID] = c
		refs = append(refs, c.Events...)
	}
	riskCite, ok := kinds["risk/"+rk.ID]
	if !ok || len(riskCite.Events) != 1 || riskCite.Events[0].StreamID == "" {
		t.Fatalf("no risk citation with its event: %+v", out.Citations)
	}
	trustCite, ok := kinds["trust_score/"+me.TenantID]
	if !ok || len(trustCite.Events) != 1 || trustCite.Events[0].Type != "com.astra.trust.ScoreUpdated" {
		t.Fatalf("no trust score citation with its ScoreUpdated event: %+v", out.Citations)
	}
	for _, c := range out.Citations {
		if len(c.Events) == 0 {
			t.Fatalf("a citation without its ledger event: %+v", c)
		}
	}
	if _, ok := kinds["trust_signal/"+trustCite.ID]; len(out.Citations) < 3 || ok {
		t.Fatalf("citations: %+v", out.Citations)
	}
	verifyChain(t, in, me.TenantID, refs)
	// The auditor's own check of the chain agrees.
	if r := in.Do(t, http.MethodPost, "/api/v1/admin/audit/verify", admin, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"ok":true`) {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}

	// Every LLM call of the assistant is in the gateway's request log, under
	// the policy a direct gateway call of the tenant runs under.
	record := func(id string) gatewayRecord {
		var rec gatewayRecord
		testkit.Eventually(t, 10*time.Second, "request "+id+" logged", func() bool {
			r := in.Do(t, http.MethodGet, "/api/v1/gateway/requests/"+id, admin, nil)
			if r.Status != http.StatusOK {
				return false
			}
			r.Data(t, &rec)
			return true
		})
		return rec
	}
	want := record(d.Security.RequestID)
	for _, id := range out.GatewayRequests {
		rec := record(id)
		if rec.Endpoint != "bastion_ai" || rec.Provider != "script" || rec.Blocked || rec.Principal != me.ID || rec.PolicyID != want.PolicyID ||
			rec.PolicyVersion != want.PolicyVersion || rec.TotalTokens != 25 {
			t.Fatalf("gateway record %s: %+v (a direct call: %+v)", id, rec, want)
		}
	}

	// The conversation is the asker's, with the answer, its tools and citations.
	r = in.Do(t, http.MethodGet, api+"/conversations/"+out.ConversationID, admin, nil)
	var conv struct {
		Title string `json:"title"`
		Items []struct {
			Question  string     `json:"question"`
			Answer    string     `json:"answer"`
			Citations []citation `json:"citations"`
		} `json:"items"`
	}
	r.Data(t, &conv)
	if r.Status != http.StatusOK || len(conv.Items) != 1 || conv.Items[0].Answer != out.Answer || len(conv.Items[0].Citations) != len(out.Citations) {
		t.Fatalf("conversation: %d %s", r.Status, r.Body)
	}
}
