package bastionai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/commands"
	cmd "github.com/astrabastion/astra/commands/bastionai"
	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/gateway/providers"
	"github.com/astrabastion/astra/http/auth"
	httpgw "github.com/astrabastion/astra/http/gateway"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rm "github.com/astrabastion/astra/projections/bastionai"
	rmrisk "github.com/astrabastion/astra/projections/risk"
)

// gatewayError answers a gateway block with the gateway's own problem.
func gatewayError(err error) error {
	if b, ok := IsBlocked(err); ok {
		return httpgw.Problem(b)
	}
	return err
}

// target is the provider and model the assistant asks.
func (a *API) target(ctx context.Context, tenantID string) (rm.Settings, error) {
	s, err := a.Queries.Settings(ctx, tenantID)
	if err != nil {
		return s, err
	}
	if s.Model == "" {
		s.Provider, s.Model = providers.KindMock, DefaultModel
	}
	return s, nil
}

func (a *API) asker(c echo.Context, asOf *time.Time) Asker {
	p := auth.PrincipalOf(c)
	return Asker{TenantID: p.ActingTenant, Permissions: p.Permissions, AsOf: asOf, Now: a.Now().UTC()}
}

func (a *API) chat(c echo.Context) error {
	var req ChatRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Message) == "" {
		return platform.Problem("VAL-001", "message must not be blank.").WithFields(platform.FieldError{Field: "message", Message: "must not be blank"})
	}
	who := a.asker(c, req.AsOf)
	if req.AsOf != nil && req.AsOf.After(who.Now) {
		return bastionai.ErrInvalidAsOf
	}
	ctx := c.Request().Context()
	t, err := a.target(ctx, who.TenantID)
	if err != nil {
		return err
	}
	var history []providers.Message
	if req.ConversationID != "" {
		conv, err := a.Queries.Conversation(ctx, who.TenantID, auth.PrincipalOf(c).Subject, req.ConversationID)
		if err != nil {
			return err
		}
		items := conv.Items
		if len(items) > 10 {
			items = items[len(items)-10:]
		}
		for _, m := range items {
			history = append(history, providers.Message{Role: "user", Content: m.Question}, providers.Message{Role: "assistant", Content: m.Answer})
		}
	}
	call := Call{Caller: httpgw.Caller(c), Who: who, Provider: t.Provider, Model: t.Model, RequestID: platform.RequestID(c), History: history,
		Prompt: req.Message, Tools: true}
	if req.Stream {
		return a.chatStream(c, req, call)
	}
	turn, err := a.Assistant.Ask(ctx, call, nil)
	if err != nil {
		return gatewayError(err)
	}
	answer, evs, err := a.record(c, req, turn)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return platform.Respond(c, http.StatusOK, answer) })
}

// record records ChatCompleted for a turn of the assistant.
func (a *API) record(c echo.Context, req ChatRequest, turn *Turn) (ChatAnswer, []commands.Event, error) {
	convID, msgID, evs, err := a.Commands.RecordChat(c.Request().Context(), writes.Metadata(c), cmd.RecordChat{ConversationID: req.ConversationID,
		Answer: bastionai.ChatCompletedV1{Question: req.Message, Answer: turn.Answer, ToolCalls: turn.ToolCalls, Citations: turn.Citations,
			GatewayRequests: turn.Requests, Provider: turn.Provider, Model: turn.Model, AsOf: req.AsOf, Mode: "chat"}})
	return ChatAnswer{ConversationID: convID, MessageID: msgID, Answer: turn.Answer, ToolCalls: turn.ToolCalls, Citations: turn.Citations,
		GatewayRequests: turn.Requests, Provider: turn.Provider, Model: turn.Model, AsOf: req.AsOf}, evs, err
}

// sse writes Server-Sent Events (tool_call, delta, answer, done, error); the status line goes out with the first
// event, so that a failure before any (a gateway block of the first call)
// is still answered as problem+json with its status.
type sse struct {
	c       echo.Context
	started *bool
}

func (s sse) send(event string, v any) {
	if !*s.started {
		*s.started = true
		h := s.c.Response().Header()
		h.Set(echo.HeaderContentType, "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		s.c.Response().WriteHeader(http.StatusOK)
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	_, _ = fmt.Fprintf(s.c.Response(), "event: %s\ndata: %s\n\n", event, b)
	s.c.Response().Flush()
}

// ToolCalled implements Progress.
func (s sse) ToolCalled(use bastionai.ToolUse) { s.send("tool_call", use) }

// Delta implements Progress.
func (s sse) Delta(text string) { s.send("delta", map[string]string{"text": text}) }

// Answered implements Progress.
func (s sse) Answered(text string) { s.send("answer", map[string]string{"text": text}) }

// StreamError is the data of an SSE error event.
type StreamError struct {
	ErrorCode string `json:"error_code"`
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	Status    int    `json:"status"`
}

func (a *API) chatStream(c echo.Context, req ChatRequest, call Call) error {
	s := sse{c: c, started: new(bool)}
	fail := func(err error) error {
		if !*s.started {
			return gatewayError(err)
		}
		out := StreamError{ErrorCode: "SYS-001", Title: "Internal error", Detail: "The answer could not be completed.", Status: http.StatusInternalServerError}
		if b, ok := IsBlocked(err); ok {
			entry := platform.Catalogue[b.Code]
			out = StreamError{ErrorCode: b.Code, Title: entry.Title, Detail: b.Detail, Status: entry.Status}
		} else {
			platform.Logger(c).Error("bastion_ai: streamed answer failed", "error", err.Error())
		}
		s.send("error", out)
		return nil
	}
	turn, err := a.Assistant.Ask(c.Request().Context(), call, s)
	if err != nil {
		return fail(err)
	}
	answer, evs, err := a.record(c, req, turn)
	if err != nil {
		return fail(err)
	}
	a.Writes.Await(c, evs, rm.Name)
	s.send("done", answer)
	return nil
}

func (a *API) conversations(c echo.Context) error {
	user := auth.PrincipalOf(c).Subject
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Conversation], error) {
		return a.Queries.Conversations(c.Request().Context(), tenant(c), user, p)
	})
}

func (a *API) conversation(c echo.Context) error {
	id, err := conversationID(c)
	if err != nil {
		return err
	}
	conv, err := a.Queries.Conversation(c.Request().Context(), tenant(c), auth.PrincipalOf(c).Subject, id)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, conv)
}

func (a *API) deleteConversation(c echo.Context) error {
	id, err := conversationID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteConversation(c.Request().Context(), writes.Metadata(c), cmd.DeleteConversation{ID: id})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

// retrieve ranks chunks for a query: keyword search, fused by reciprocal
// rank with embedding similarity when the tenant set an embedding model.
func (a *API) retrieve(c echo.Context, query, scope, framework string, k int) ([]rm.Hit, string, error) {
	ctx := c.Request().Context()
	if scope == "" {
		scope = rm.ScopeAll
	}
	keyword, err := a.Queries.Search(ctx, tenant(c), query, scope, framework, max(k, 50))
	if err != nil {
		return nil, "", err
	}
	t, err := a.Queries.Settings(ctx, tenant(c))
	if err != nil {
		return nil, "", err
	}
	if t.EmbeddingModel == "" || scope == rm.ScopeRequirements || framework != "" {
		return top(keyword, k), "keyword", nil
	}
	vecs, err := a.Assistant.Embed(ctx, httpgw.Caller(c), t.Provider, t.EmbeddingModel, platform.RequestID(c), []string{query})
	if err != nil {
		return nil, "", err
	}
	near, err := a.Queries.Nearest(ctx, tenant(c), vecs[0], 50)
	if err != nil {
		return nil, "", err
	}
	byID := map[string]rm.Hit{}
	var r1, r2 []string
	for _, h := range keyword {
		byID[h.ChunkID] = h
		r1 = append(r1, h.ChunkID)
	}
	for _, h := range near {
		if _, ok := byID[h.ChunkID]; !ok {
			byID[h.ChunkID] = h
		}
		r2 = append(r2, h.ChunkID)
	}
	var out []rm.Hit
	for _, s := range bastionai.Fuse(bastionai.RRFK, r1, r2) {
		h := byID[s.ID]
		h.Score = s.Score
		out = append(out, h)
	}
	return top(out, k), "hybrid", nil
}

func top(hits []rm.Hit, k int) []rm.Hit {
	if len(hits) > k {
		hits = hits[:k]
	}
	for i := range hits {
		hits[i].Rank = i + 1
	}
	if hits == nil {
		hits = []rm.Hit{}
	}
	return hits
}

func (a *API) ragSearch(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if q == "" {
		return platform.Problem("VAL-005", "q must not be empty.")
	}
	k, err := platform.QueryInt(c, "k", 10, 1, 50)
	if err != nil {
		return err
	}
	hits, _, err := a.retrieve(c, q, c.QueryParam("scope"), c.QueryParam("framework_id"), k)
	if err != nil {
		return gatewayError(err)
	}
	return platform.RespondComplete(c, hits)
}

func (a *API) ragQuery(c echo.Context) error {
	var req RagQueryRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Question) == "" {
		return platform.Problem("VAL-001", "question must not be blank.").WithFields(platform.FieldError{Field: "question", Message: "must not be blank"})
	}
	if req.K == 0 {
		req.K = 5
	}
	ctx := c.Request().Context()
	hits, mode, err := a.retrieve(c, req.Question, req.Scope, req.FrameworkID, req.K)
	if err != nil {
		return gatewayError(err)
	}
	who := a.asker(c, nil)
	sources := make([]Source, 0, len(hits))
	retrieved := make([]map[string]any, 0, len(hits))
	var cites []bastionai.Citation
	for _, h := range hits {
		ci, err := chunkCitation(ctx, a.Assistant.Posture, who, h)
		if err != nil {
			return err
		}
		sources = append(sources, Source{Hit: h, Citation: ci})
		cites = append(cites, ci)
		retrieved = append(retrieved, map[string]any{"n": len(retrieved) + 1, "chunk_id": h.ChunkID, "title": h.Title, "text": h.Text})
	}
	t, err := a.target(ctx, who.TenantID)
	if err != nil {
		return err
	}
	turn, err := a.Assistant.Ask(ctx, Call{Caller: httpgw.Caller(c), Who: who, Provider: t.Provider, Model: t.Model, RequestID: platform.RequestID(c),
		Prompt: req.Question, System: RAGPrompt, Retrieved: map[string]any{"chunks": retrieved}, Tools: true, Only: []string{"search_documents"}}, nil)
	if err != nil {
		return gatewayError(err)
	}
	convID, msgID, evs, err := a.Commands.RecordChat(ctx, writes.Metadata(c), cmd.RecordChat{Answer: bastionai.ChatCompletedV1{Question: req.Question,
		Answer: turn.Answer, ToolCalls: []bastionai.ToolUse{}, Citations: cites, GatewayRequests: turn.Requests, Provider: turn.Provider, Model: turn.Model, Mode: "rag"}})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		return platform.Respond(c, http.StatusOK, RagAnswer{ConversationID: convID, MessageID: msgID, Answer: turn.Answer, Sources: sources, Retrieval: mode,
			GatewayRequests: turn.Requests, Provider: turn.Provider, Model: turn.Model})
	})
}

func (a *API) documents(c echo.Context) error {
	kind := c.QueryParam("kind")
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rm.Document], error) {
		return a.Queries.Documents(c.Request().Context(), tenant(c), kind, p)
	})
}

func (a *API) indexDocument(c echo.Context) error {
	var req DocumentRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	if req.Kind == "" {
		req.Kind = "other"
	}
	ctx := c.Request().Context()
	t, err := a.Queries.Settings(ctx, tenant(c))
	if err != nil {
		return err
	}
	command := cmd.IndexDocument{Title: req.Title, Kind: req.Kind, Text: req.Text, ChunkSize: req.ChunkSize, Overlap: req.Overlap}
	if t.EmbeddingModel != "" {
		caller, rid := httpgw.Caller(c), platform.RequestID(c)
		command.Embed = func(ctx context.Context, chunks []string) ([][]float32, string, error) {
			v, err := a.Assistant.Embed(ctx, caller, t.Provider, t.EmbeddingModel, rid, chunks)
			return v, t.EmbeddingModel, err
		}
	}
	id, evs, err := a.Commands.IndexDocument(ctx, writes.Metadata(c), command)
	if err != nil {
		return gatewayError(err)
	}
	return a.Writes.Then(c, evs, nil, rm.Name, func() error {
		d, err := a.Queries.Document(ctx, tenant(c), id)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/bastion-ai/rag/documents/"+id)
		return platform.Respond(c, http.StatusCreated, d)
	})
}

func (a *API) removeDocument(c echo.Context) error {
	id, err := documentID(c)
	if err != nil {
		return err
	}
	evs, err := a.Commands.RemoveDocument(c.Request().Context(), writes.Metadata(c), cmd.RemoveDocument{ID: id, Reason: bastionai.RemovedDeleted})
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return c.NoContent(http.StatusNoContent) })
}

func (a *API) providers(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := a.target(ctx, tenant(c))
	if err != nil {
		return err
	}
	models, err := a.Assistant.Gateway.ModelsFor(ctx, tenant(c))
	if err != nil {
		return err
	}
	out := Providers{Default: t, Models: []OfferedModel{}}
	for _, m := range models {
		out.Models = append(out.Models, OfferedModel{Provider: m.Provider, Model: m.ID})
	}
	return platform.Respond(c, http.StatusOK, out)
}

func (a *API) setProvider(c echo.Context) error {
	var req ProviderChoice
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	models, err := a.Assistant.Gateway.ModelsFor(ctx, tenant(c))
	if err != nil {
		return err
	}
	offered := func(model string) bool {
		for _, m := range models {
			if strings.EqualFold(m.Provider, req.Provider) && strings.EqualFold(m.ID, model) {
				return true
			}
		}
		return false
	}
	if !offered(req.Model) {
		return fmt.Errorf("%w: the tenant's gateway offers no model %q of provider %q", bastionai.ErrProviderUnknown, req.Model, req.Provider)
	}
	if req.EmbeddingModel != "" && !offered(req.EmbeddingModel) {
		return fmt.Errorf("%w: the tenant's gateway offers no model %q of provider %q", bastionai.ErrProviderUnknown, req.EmbeddingModel, req.Provider)
	}
	evs, err := a.Commands.SetDefaultProvider(ctx, writes.Metadata(c), cmd.SetDefaultProvider{Provider: req.Provider, Model: req.Model, EmbeddingModel: req.EmbeddingModel})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		t, err := a.Queries.Settings(ctx, tenant(c))
		if err != nil {
			return err
		}
		return platform.Respond(c, http.StatusOK, t)
	})
}

func (a *API) context(c echo.Context) error {
	s, err := a.Queries.Context(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, s)
}

// Snapshot takes the posture snapshot of what the asker may read.
func (a *API) snapshot(ctx context.Context, who Asker) (bastionai.Context, error) {
	p := a.Assistant.Posture
	out := bastionai.Context{At: who.Now, Frameworks: []bastionai.FrameworkStatus{}, Omitted: []string{}}
	if iam.Has(who.Permissions, "trust:read") {
		snap, err := p.Trust.Snapshot(ctx, who.TenantID)
		if err != nil {
			return out, err
		}
		if snap.Last != nil && snap.Last.Known {
			s := snap.Last.Score
			out.TrustScore, out.TrustGrade = &s, snap.Last.Grade
		}
	} else {
		out.Omitted = append(out.Omitted, "trust")
	}
	if iam.Has(who.Permissions, "risk:read") {
		page, err := p.Risk.List(ctx, who.TenantID, rmrisk.RiskFilter{Status: "open"}, projections.PageRequest{Limit: 1})
		if err != nil {
			return out, err
		}
		out.OpenRisks = page.Total
	} else {
		out.Omitted = append(out.Omitted, "risk")
	}
	if iam.Has(who.Permissions, "aegis:read") {
		page, err := p.Aegis.Alerts(ctx, who.TenantID, rmaegis.AlertFilter{Status: "open"}, projections.PageRequest{Limit: 1})
		if err != nil {
			return out, err
		}
		out.OpenAlerts = page.Total
	} else {
		out.Omitted = append(out.Omitted, "aegis")
	}
	if iam.Has(who.Permissions, "compliance:read") {
		posture, err := p.Compliance.Posture(ctx, who.TenantID)
		if err != nil {
			return out, err
		}
		for _, f := range posture {
			if !f.Adopted {
				continue
			}
			fs := bastionai.FrameworkStatus{FrameworkID: f.FrameworkID, Name: f.Name}
			if f.Current != nil {
				fs.Score = f.Current.Score
			}
			out.Frameworks = append(out.Frameworks, fs)
		}
	} else {
		out.Omitted = append(out.Omitted, "compliance")
	}
	if iam.Has(who.Permissions, "gateway:read") {
		from := who.Now.Add(-7 * 24 * time.Hour)
		st, err := p.Gateway.RequestStats(ctx, who.TenantID, &from, &who.Now)
		if err != nil {
			return out, err
		}
		out.Gateway = &bastionai.GatewayStatus{Requests: st.Requests, Blocked: st.Blocked, Failed: st.Failed}
	} else {
		out.Omitted = append(out.Omitted, "gateway")
	}
	return out, nil
}

func (a *API) refreshContext(c echo.Context) error {
	ctx := c.Request().Context()
	snap, err := a.snapshot(ctx, a.asker(c, nil))
	if err != nil {
		return err
	}
	evs, err := a.Commands.RefreshContext(ctx, writes.Metadata(c), snap)
	return a.Writes.Then(c, evs, err, rm.Name, func() error { return a.context(c) })
}

func (a *API) feedback(c echo.Context) error {
	var req FeedbackRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id, evs, err := a.Commands.GiveFeedback(ctx, writes.Metadata(c), cmd.GiveFeedback{ConversationID: req.ConversationID, MessageID: req.MessageID,
		Rating: req.Rating, Comment: req.Comment})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		f, err := a.Queries.Feedback(ctx, tenant(c), id)
		if err != nil {
			return err
		}
		return platform.Respond(c, http.StatusCreated, f)
	})
}

// BriefingPrompt asks for the weekly briefing.
const BriefingPrompt = "Write the weekly security briefing of this tenant for its leadership: the AEGIS alerts raised and still open, " +
	"the trust score and what moved it, the compliance posture, the open risks with the largest loss expectancy and the gateway's traffic. " +
	"Call the tools you need. Be short; name the ids of what you mention."

func (a *API) summarize(c echo.Context) error {
	var req SummarizeRequest
	if err := platform.BindOptional(c, &req); err != nil {
		return err
	}
	if req.Kind == "" {
		req.Kind = "weekly"
	}
	if req.Days == 0 {
		req.Days = 7
	}
	ctx := c.Request().Context()
	who := a.asker(c, nil)
	t, err := a.target(ctx, who.TenantID)
	if err != nil {
		return err
	}
	turn, err := a.Assistant.Ask(ctx, Call{Caller: httpgw.Caller(c), Who: who, Provider: t.Provider, Model: t.Model, RequestID: platform.RequestID(c),
		Prompt: BriefingPrompt + fmt.Sprintf(" The period is the last %d days, ending %s.", req.Days, who.Now.Format(time.RFC3339)), Tools: true}, nil)
	if err != nil {
		return gatewayError(err)
	}
	id, evs, err := a.Commands.WriteBriefing(ctx, writes.Metadata(c), cmd.WriteBriefing{Kind: req.Kind, From: who.Now.Add(-time.Duration(req.Days) * 24 * time.Hour),
		To: who.Now, Text: turn.Answer, Cites: turn.Citations, Requests: turn.Requests})
	return a.Writes.Then(c, evs, err, rm.Name, func() error {
		b, err := a.Queries.Briefing(ctx, tenant(c), id)
		if err != nil {
			return err
		}
		return platform.Respond(c, http.StatusCreated, b)
	})
}
