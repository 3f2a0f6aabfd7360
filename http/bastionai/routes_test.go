package bastionai_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// "As of" questions read the log up to that moment: the trust score
// recorded then (none before the first), and the audit trail up to it.
func TestChat_AnswersAsOfAMomentFromTheLog(t *testing.T) {
	in := startInstance(t)
	admin := in.AdminToken(t)
	s := newScript(t)
	useScript(t, in, admin, s, false)
	before := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	if r := in.Do(t, http.MethodPost, "/api/v1/trust/scores/recalculate", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("recalculate: %d %s", r.Status, r.Body)
	}
	var current struct {
		Composite float64 `json:"composite"`
	}
	in.Do(t, http.MethodGet, "/api/v1/trust/scores/current", admin, nil).Data(t, &current)
	time.Sleep(20 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": "Later risk", "likelihood": 1, "impact": 1}); r.Status != http.StatusCreated {
		t.Fatalf("risk: %d", r.Status)
	}

	// Before the first score: the tool says there was none, and cites no event.
	s.play(step{calls: [][2]string{{"trust_score", `{}`}}}, step{text: "There was no score yet."})
	early := chat(t, in, admin, map[string]any{"message": "What was our trust score then?", "as_of": before.Format(time.RFC3339Nano)})
	seen := s.requests()
	if res := seen[len(seen)-1].toolResults(); len(res) != 1 || !strings.Contains(res[0], `"score":null`) {
		t.Fatalf("score before the first: %v", res)
	}
	if len(early.Citations) != 1 || len(early.Citations[0].Events) != 0 {
		t.Fatalf("citations before the first score: %+v", early.Citations)
	}

	// Between the score and the risk: the score as recorded, and a trail without the later risk.
	s.play(step{calls: [][2]string{{"trust_score", `{}`}, {"audit_trail", `{"limit":50}`}}}, step{text: "As of then."})
	mid := chat(t, in, admin, map[string]any{"message": "What was our posture then?", "as_of": between.Format(time.RFC3339Nano)})
	seen = s.requests()
	res := seen[len(seen)-1].toolResults()
	var score struct {
		Score float64 `json:"score"`
	}
	if err := json.Unmarshal([]byte(res[0]), &score); err != nil || score.Score != current.Composite {
		t.Fatalf("score as of: %v (current %v)", res[0], current.Composite)
	}
	if strings.Contains(res[1], "com.astra.risk.RiskIdentified") || !strings.Contains(res[1], "com.astra.trust.ScoreUpdated") {
		t.Fatalf("trail as of: %s", res[1])
	}
	for _, c := range mid.Citations {
		for _, e := range c.Events {
			if e.Type == "com.astra.risk.RiskIdentified" {
				t.Fatalf("a later event cited: %+v", e)
			}
		}
	}
	// A model that never stops calling tools gets no answer recorded.
	for i := 0; i < 6; i++ {
		s.play(step{calls: [][2]string{{"gateway_stats", `{}`}}})
	}
	if r := in.Do(t, http.MethodPost, api+"/chat", admin, map[string]any{"message": "loop"}); r.Status != http.StatusBadGateway || r.Problem(t).ErrorCode != "BAI-005" {
		t.Fatalf("endless tool calls: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/chat", admin, map[string]any{"message": "x", "as_of": time.Now().Add(time.Hour).Format(time.RFC3339)}); r.Status != http.StatusUnprocessableEntity ||
		r.Problem(t).ErrorCode != "BAI-007" {
		t.Fatalf("as_of in the future: %d %s", r.Status, r.Body)
	}
}

func TestBastionAI_ContextFeedbackBriefingsConversationsAndDenials(t *testing.T) {
	in := startInstance(t)
	admin := in.AdminToken(t)
	s := newScript(t)
	useScript(t, in, admin, s, false)
	_, viewer := in.SignIn(t, admin, "viewer@ctx.test", "viewer")
	_, dev := in.SignIn(t, admin, "dev@ctx.test", "developer")

	// Providers: the choice and what the gateway offers.
	var prov struct {
		Default struct {
			Provider string `json:"provider"`
			Model    string `json:"model"`
		} `json:"default"`
		Models []struct {
			Provider string `json:"provider"`
			Model    string `json:"model"`
		} `json:"models"`
	}
	in.Do(t, http.MethodGet, api+"/providers", viewer, nil).Data(t, &prov)
	if prov.Default.Provider != "script" || prov.Default.Model != "scripted-1" || len(prov.Models) < 2 {
		t.Fatalf("providers: %+v", prov)
	}

	// Context: none before the first refresh; the snapshot covers what the author may read.
	if r := in.Do(t, http.MethodGet, api+"/context", viewer, nil); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "BAI-006" {
		t.Fatalf("context before: %d %s", r.Status, r.Body)
	}
	r := in.Do(t, http.MethodPost, api+"/context/refresh", dev, nil)
	var snap struct {
		Context struct {
			Omitted []string `json:"omitted"`
			Gateway *struct {
				Requests int64 `json:"requests"`
			} `json:"gateway"`
		} `json:"context"`
		EventID string `json:"event_id"`
	}
	r.Data(t, &snap)
	if r.Status != http.StatusOK || snap.EventID == "" || snap.Context.Gateway == nil || strings.Join(snap.Context.Omitted, ",") != "" {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, api+"/context", viewer, nil); r.Status != http.StatusOK {
		t.Fatalf("context: %d", r.Status)
	}

	// Feedback on one's own answer; not on another's.
	s.play(step{text: "All good."})
	out := chat(t, in, dev, map[string]any{"message": "Anything to worry about?"})
	r = in.Do(t, http.MethodPost, api+"/feedback", dev, map[string]any{"conversation_id": out.ConversationID, "message_id": out.MessageID, "rating": "up"})
	if r.Status != http.StatusCreated {
		t.Fatalf("feedback: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/feedback", admin, map[string]any{"conversation_id": out.ConversationID, "message_id": out.MessageID, "rating": "up"}); r.Status != http.StatusNotFound {
		t.Fatalf("feedback on another's conversation: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/feedback", dev, map[string]any{"conversation_id": out.ConversationID, "message_id": out.MessageID, "rating": "meh"}); r.Status != http.StatusBadRequest {
		t.Fatalf("bad rating: %d %s", r.Status, r.Body)
	}

	// Briefing: written through the gateway, with the tools the author may use.
	s.play(step{calls: [][2]string{{"alerts", `{"status":"open"}`}, {"trust_score", `{}`}}}, step{text: "Weekly briefing: no open alerts."})
	r = in.Do(t, http.MethodPost, api+"/summarize", admin, nil)
	var brief struct {
		Text            string     `json:"text"`
		Kind            string     `json:"kind"`
		Citations       []citation `json:"citations"`
		GatewayRequests []string   `json:"gateway_requests"`
	}
	r.Data(t, &brief)
	if r.Status != http.StatusCreated || brief.Text != "Weekly briefing: no open alerts." || brief.Kind != "weekly" || len(brief.GatewayRequests) != 2 || len(brief.Citations) == 0 {
		t.Fatalf("summarize: %d %s", r.Status, r.Body)
	}

	// Conversations: listed for their owner, paged, deleted.
	s.play(step{text: "Second."})
	chat(t, in, dev, map[string]any{"message": "Second question"})
	all, pages := testkit.Walk[struct {
		ID string `json:"id"`
	}](t, in, api+"/conversations?limit=1", dev)
	if len(all) != 2 || testkit.SameTotal(t, "conversations", pages) != 2 {
		t.Fatalf("conversations: %d", len(all))
	}
	if r := in.Do(t, http.MethodDelete, api+"/conversations/"+out.ConversationID, admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("deleting another's conversation: %d", r.Status)
	}
	if r := in.Do(t, http.MethodDelete, api+"/conversations/"+out.ConversationID, dev, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, api+"/conversations/"+out.ConversationID, dev, nil); r.Status != http.StatusNotFound {
		t.Fatalf("deleted conversation: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/conversations/not-a-uuid", dev, nil); r.Status != http.StatusNotFound {
		t.Fatalf("bad id: %d", r.Status)
	}

	// Denials: no token, missing permission (a viewer may ask, but changes
	// nothing of the tenant's), another tenant.
	writesRoutes := []struct{ method, path string }{
		{http.MethodPost, "/rag/documents"}, {http.MethodPut, "/providers/default"},
		{http.MethodPost, "/context/refresh"}, {http.MethodPost, "/feedback"}, {http.MethodPost, "/summarize"},
		{http.MethodDelete, "/conversations/" + out.ConversationID}, {http.MethodDelete, "/rag/documents/" + out.ConversationID},
	}
	for _, c := range writesRoutes {
		if r := in.Do(t, c.method, api+c.path, viewer, nil); r.Status != http.StatusForbidden || r.Problem(t).ErrorCode != "AUTH-006" {
			t.Fatalf("viewer %s %s: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/conversations", "/rag/documents", "/rag/search?q=x", "/providers", "/context"} {
		if r := in.Do(t, http.MethodGet, api+path, "", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous %s: %d", path, r.Status)
		}
	}
	otherID, other := in.NewTenant(t, admin, "Kilo")
	me := in.Me(t, admin)
	if r := in.Do(t, http.MethodGet, api+"/context", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another tenant's context: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/conversations", other, nil, "X-Tenant-ID", me.TenantID); r.Status != http.StatusForbidden {
		t.Fatalf("another tenant's header: %d", r.Status)
	}
	_ = otherID
	// Unknown members are refused, named.
	if r := in.Do(t, http.MethodPost, api+"/chat", dev, map[string]any{"message": "x", "temperature": 2}); r.Status != http.StatusBadRequest ||
		!strings.Contains(string(r.Body), "temperature") {
		t.Fatalf("unknown member: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, api+"/chat", dev, map[string]any{"message": "   "}); r.Status != http.StatusBadRequest {
		t.Fatalf("blank message: %d %s", r.Status, r.Body)
	}
}
