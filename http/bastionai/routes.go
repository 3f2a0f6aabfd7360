// Package bastionai serves BASTION AI over HTTP: the assistant over the
// tenant's own posture (its LLM calls go through the gateway pipeline, its
// tools run with the caller's permissions, its answers cite the ledger),
// conversations per user, retrieval over tenant documents and the built-in
// framework requirements, the provider the assistant uses, the posture
// snapshot, feedback and briefings.
package bastionai

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/bastionai"
	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rm "github.com/astrabastion/astra/projections/bastionai"
)

// API serves the BASTION AI routes.
type API struct {
	Commands  *cmd.Handlers
	Queries   *rm.Queries
	Assistant *Assistant
	Writes    *writes.Kit
	// Now is the clock of "as of" checks and briefing periods.
	Now func() time.Time
}

// ChatRequest is the body of POST /bastion-ai/chat.
type ChatRequest struct {
	// Message is the user's question.
	Message string `json:"message" validate:"required,max=8000"`
	// ConversationID continues one of the caller's conversations; a new one starts when omitted.
	ConversationID string `json:"conversation_id,omitempty" validate:"omitempty,uuid"`
	// AsOf asks about the state at that moment: the tools read the log up to it.
	AsOf *time.Time `json:"as_of,omitempty"`
	// Stream answers text/event-stream: tool_call events, then the answer, then done.
	Stream bool `json:"stream,omitempty"`
}

// ChatAnswer is the answer of POST /bastion-ai/chat.
type ChatAnswer struct {
	ConversationID string               `json:"conversation_id"`
	MessageID      string               `json:"message_id"`
	Answer         string               `json:"answer"`
	ToolCalls      []bastionai.ToolUse  `json:"tool_calls"`
	Citations      []bastionai.Citation `json:"citations"`
	// GatewayRequests are the ids of the assistant's LLM calls in the gateway's request log.
	GatewayRequests []string   `json:"gateway_requests"`
	Provider        string     `json:"provider"`
	Model           string     `json:"model"`
	AsOf            *time.Time `json:"as_of"`
}

// RagQueryRequest is the body of POST /bastion-ai/rag/query.
type RagQueryRequest struct {
	Question    string `json:"question" validate:"required,max=4000"`
	Scope       string `json:"scope,omitempty" validate:"omitempty,oneof=all documents requirements"`
	FrameworkID string `json:"framework_id,omitempty" validate:"max=200"`
	// K is how many chunks to answer from (default 5).
	K int `json:"k,omitempty" validate:"omitempty,min=1,max=20"`
}

// Source is a retrieved chunk an answer used, with its citation.
type Source struct {
	rm.Hit
	Citation bastionai.Citation `json:"citation"`
}

// RagAnswer is the answer of POST /bastion-ai/rag/query.
type RagAnswer struct {
	ConversationID  string   `json:"conversation_id"`
	MessageID       string   `json:"message_id"`
	Answer          string   `json:"answer"`
	Sources         []Source `json:"sources"`
	Retrieval       string   `json:"retrieval" enum:"keyword,hybrid"`
	GatewayRequests []string `json:"gateway_requests"`
	Provider        string   `json:"provider"`
	Model           string   `json:"model"`
}

// DocumentRequest is the body of POST /bastion-ai/rag/documents.
type DocumentRequest struct {
	Title string `json:"title" validate:"required,max=500"`
	Kind  string `json:"kind,omitempty" validate:"omitempty,oneof=policy evidence procedure upload other"`
	Text  string `json:"text" validate:"required,max=2000000"`
	// ChunkSize is the chunks' size in bytes (default 900); Overlap what
	// each repeats of the one before (default 200).
	ChunkSize int `json:"chunk_size,omitempty" validate:"omitempty,min=200,max=4000"`
	Overlap   int `json:"overlap,omitempty" validate:"omitempty,min=0,max=2000"`
}

// ProviderChoice is the body of PUT /bastion-ai/providers/default.
type ProviderChoice struct {
	Provider string `json:"provider" validate:"required,max=200"`
	Model    string `json:"model" validate:"required,max=200"`
	// EmbeddingModel turns hybrid retrieval on: documents are embedded
	// through the gateway's embeddings path with this model of the provider.
	EmbeddingModel string `json:"embedding_model,omitempty" validate:"max=200"`
}

// OfferedModel is a model the tenant's gateway offers.
type OfferedModel struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// Providers is the answer of GET /bastion-ai/providers.
type Providers struct {
	Default rm.Settings    `json:"default"`
	Models  []OfferedModel `json:"models"`
}

// FeedbackRequest is the body of POST /bastion-ai/feedback.
type FeedbackRequest struct {
	ConversationID string `json:"conversation_id" validate:"required,uuid"`
	MessageID      string `json:"message_id" validate:"required,uuid"`
	Rating         string `json:"rating" validate:"required,oneof=up down"`
	Comment        string `json:"comment,omitempty" validate:"max=4000"`
}

// SummarizeRequest is the optional body of POST /bastion-ai/summarize.
type SummarizeRequest struct {
	Kind string `json:"kind,omitempty" validate:"omitempty,oneof=weekly"`
	// Days is the period covered, ending now (default 7).
	Days int `json:"days,omitempty" validate:"omitempty,min=1,max=31"`
}

// Routes declares the BASTION AI routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/bastion-ai"
	r, w := "bastion_ai:read", "bastion_ai:write"
	return []platform.Route{
		{Method: http.MethodPost, Path: p + "/chat", OperationID: "bastionAiChat", Tag: "bastion-ai",
			Summary: "Ask the assistant about the tenant's own posture. Its LLM calls go through the gateway pipeline with the provider and model of " +
				"/bastion-ai/providers (each audited as gateway.RequestCompleted under the tenant's policy, counted in usage and budgets); it calls read-only " +
				"tools (trust score, risks and simulations, alerts, compliance posture, gateway stats, audit trail, documents) with the caller's permissions; " +
				"the answer cites read-model ids and the ledger events behind them with their hashes (ChatCompleted). A block by the gateway answers the gateway's problem",
			Streams: "Server-Sent Events: every model call streamed through the gateway (each chunk scanned before it is passed on); event tool_call (one per tool the model called), " +
				"event delta (the answer's text as it comes), event answer (the whole text), then event done (the whole ChatAnswer); a gateway block after the first event ends it with event error",
			Permission: r, Request: ChatRequest{}, Response: ChatAnswer{}, Handler: a.chat, Errors: []int{404, 422, 429, 502, 503, 504}},
		{Method: http.MethodGet, Path: p + "/conversations", OperationID: "listConversations", Tag: "bastion-ai",
			Summary: "The caller's own conversations, newest first", Permission: r, Response: rm.Conversation{}, List: true, Handler: a.conversations},
		{Method: http.MethodGet, Path: p + "/conversations/:id", OperationID: "getConversation", Tag: "bastion-ai",
			Summary: "One of the caller's conversations with its questions, answers, tool calls and citations", Permission: r,
			Response: rm.ConversationDetail{}, Handler: a.conversation, Errors: []int{404}},
		{Method: http.MethodDelete, Path: p + "/conversations/:id", OperationID: "deleteConversation", Tag: "bastion-ai",
			Summary: "Delete one of the caller's conversations (ConversationDeleted)", Permission: w, Status: http.StatusNoContent,
			Handler: a.deleteConversation, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/rag/query", OperationID: "bastionAiRagQuery", Tag: "bastion-ai",
			Summary: "Answer a question from the k best chunks (keyword search, fused with embeddings when an embedding model is set) through the gateway, " +
				"with the sources it was given; recorded in a conversation (ChatCompleted, mode rag)",
			Permission: r, Request: RagQueryRequest{}, Response: RagAnswer{}, Handler: a.ragQuery, Errors: []int{404, 422, 429, 502, 503, 504}},
		{Method: http.MethodGet, Path: p + "/rag/search", OperationID: "bastionAiRagSearch", Tag: "bastion-ai",
			Summary:    "Ranked chunks of the tenant's documents and the built-in framework requirements (Okapi BM25 over Postgres full text; hybrid with embeddings by reciprocal rank fusion when on)",
			Permission: r, Response: rm.Hit{}, List: true, Complete: true, Handler: a.ragSearch, Errors: []int{422}, Query: []platform.Param{
				{Name: "q", Description: "The query", Required: true},
				{Name: "scope", Description: "Which chunks (default all)", Enum: []string{rm.ScopeAll, rm.ScopeDocuments, rm.ScopeRequirements}},
				{Name: "framework_id", Description: "Only requirements of this built-in framework"},
				{Name: "k", Description: "How many chunks (default 10, at most 50)", Schema: "integer"}}},
		{Method: http.MethodGet, Path: p + "/rag/documents", OperationID: "listDocuments", Tag: "bastion-ai",
			Summary: "The tenant's indexed documents, newest first", Permission: r, Response: rm.Document{}, List: true, Handler: a.documents,
			Query: []platform.Param{{Name: "kind", Description: "Only documents of this kind", Enum: bastionai.DocumentKinds}}},
		{Method: http.MethodPost, Path: p + "/rag/documents", OperationID: "indexDocument", Tag: "bastion-ai",
			Summary: "Index a document (policy, evidence text …): cut into overlapping chunks, the text sealed under the document's own key, " +
				"embedded through the gateway when an embedding model is set (DocumentIndexed)",
			Permission: w, Request: DocumentRequest{}, Response: rm.Document{}, Status: http.StatusCreated, Handler: a.indexDocument,
			Errors: []int{413, 422, 429, 502, 503}, BodyLimit: 4 << 20},
		{Method: http.MethodDelete, Path: p + "/rag/documents/:id", OperationID: "removeDocument", Tag: "bastion-ai",
			Summary:    "Remove a document from the index and destroy its key: its text is unreadable in the ledger too (DocumentRemoved)",
			Permission: w, Status: http.StatusNoContent, Handler: a.removeDocument, Errors: []int{404}},
		{Method: http.MethodGet, Path: p + "/providers", OperationID: "bastionAiProviders", Tag: "bastion-ai",
			Summary: "The gateway provider and model the assistant uses, and the models the tenant's gateway offers", Permission: r,
			Response: Providers{}, Handler: a.providers},
		{Method: http.MethodPut, Path: p + "/providers/default", OperationID: "setDefaultProvider", Tag: "bastion-ai",
			Summary:    "Choose the provider and model (and optionally the embedding model) of the assistant among those the tenant's gateway offers (DefaultProviderSet)",
			Permission: w, Request: ProviderChoice{}, Response: rm.Settings{}, Handler: a.setProvider, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/context", OperationID: "bastionAiContext", Tag: "bastion-ai",
			Summary: "The latest posture snapshot the assistant sees (404 before the first refresh)", Permission: r, Response: rm.Snapshot{},
			Handler: a.context, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/context/refresh", OperationID: "refreshContext", Tag: "bastion-ai",
			Summary: "Take a posture snapshot now, of what the caller may read (ContextRefreshed)", Permission: w, Response: rm.Snapshot{},
			Handler: a.refreshContext},
		{Method: http.MethodPost, Path: p + "/feedback", OperationID: "bastionAiFeedback", Tag: "bastion-ai",
			Summary: "Rate an answer of one of the caller's conversations (FeedbackGiven)", Permission: w, Request: FeedbackRequest{},
			Response: rm.Feedback{}, Status: http.StatusCreated, Handler: a.feedback, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/summarize", OperationID: "bastionAiSummarize", Tag: "bastion-ai",
			Summary:    "Write the weekly alert and posture briefing through the gateway, from the tools the caller may use (BriefingWritten)",
			Permission: w, Request: SummarizeRequest{}, Response: rm.Briefing{}, Status: http.StatusCreated, Handler: a.summarize,
			Errors: []int{422, 429, 502, 503, 504}},
	}
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

// Ids of conversations and documents are UUIDs; another id names nothing.
var (
	conversationID = platform.IDParam(bastionai.ErrConversationNotFound)
	documentID     = platform.IDParam(bastionai.ErrDocumentNotFound)
)
