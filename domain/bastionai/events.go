// Package bastionai holds BASTION AI, the assistant over a tenant's own
// posture: its events (answers with their citations, indexed documents, the
// provider the assistant uses, posture snapshots, feedback, briefings), the
// chunking of documents for retrieval, reciprocal rank fusion and the
// retrieval metrics. Events, pure rules and sentinel errors only: no I/O, no
// clock.
package bastionai

import (
	"errors"
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Module is the module's name: its events' type prefix
// (com.astra.bastion_ai.…), topic (astra.bastion_ai) and permission prefix
// (bastion_ai:read|write|admin).
const Module = "bastion_ai"

// Event types of BASTION AI.
var (
	ChatCompleted       = events.Type{Module: Module, Name: "ChatCompleted", New: func() any { return &ChatCompletedV1{} }}
	ConversationDeleted = events.Type{Module: Module, Name: "ConversationDeleted", New: func() any { return &ConversationDeletedV1{} }}
	DocumentIndexed     = events.Type{Module: Module, Name: "DocumentIndexed", New: func() any { return &DocumentIndexedV1{} }}
	DocumentRemoved     = events.Type{Module: Module, Name: "DocumentRemoved", New: func() any { return &DocumentRemovedV1{} }}
	DefaultProviderSet  = events.Type{Module: Module, Name: "DefaultProviderSet", New: func() any { return &DefaultProviderSetV1{} }}
	ContextRefreshed    = events.Type{Module: Module, Name: "ContextRefreshed", New: func() any { return &ContextRefreshedV1{} }}
	FeedbackGiven       = events.Type{Module: Module, Name: "FeedbackGiven", New: func() any { return &FeedbackGivenV1{} }}
	BriefingWritten     = events.Type{Module: Module, Name: "BriefingWritten", New: func() any { return &BriefingWrittenV1{} }}
)

func init() {
	events.Register(ChatCompleted, ConversationDeleted, DocumentIndexed, DocumentRemoved, DefaultProviderSet, ContextRefreshed,
		FeedbackGiven, BriefingWritten)
}

// Sentinel errors of the module.
var (
	ErrConversationNotFound = errors.New("bastion_ai: conversation not found")
	ErrDocumentNotFound     = errors.New("bastion_ai: document not found")
	ErrInvalidDocument      = errors.New("bastion_ai: invalid document")
	ErrProviderUnknown      = errors.New("bastion_ai: provider or model not offered to the tenant")
	ErrNoAnswer             = errors.New("bastion_ai: the model gave no answer within the tool-call rounds")
	ErrContextNotFound      = errors.New("bastion_ai: no posture snapshot yet")
	ErrInvalidAsOf          = errors.New("bastion_ai: as_of is in the future")
)

// LedgerRef is a ledger event a claim rests on, with its place in the hash
// chain: an auditor recomputes Hash from the event and PrevHash.
type LedgerRef struct {
	EventID  string `json:"event_id"`
	Type     string `json:"type"`
	StreamID string `json:"stream_id"`
	Version  int64  `json:"stream_version"`
	Position int64  `json:"position"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
}

// Citation is one source of an answer: a read-model record (its kind and
// id) and the ledger events behind it.
type Citation struct {
	// Kind is the read model: trust_score, risk, simulation, alert,
	// compliance_posture, gateway_stats, audit_event, document_chunk, requirement.
	Kind string `json:"kind"`
	// ID is the record's id in that read model.
	ID string `json:"id"`
	// Tool is the tool call that read it (empty for retrieved chunks).
	Tool   string      `json:"tool,omitempty"`
	Events []LedgerRef `json:"events"`
}

// ToolUse is one tool call the assistant made: the tool, its arguments and
// whether the caller's permissions allowed it.
type ToolUse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// Allowed is false when the caller lacks the tool's permission: the
	// model was told so and got no data.
	Allowed bool `json:"allowed"`
	// Records counts the read-model records the call returned.
	Records int `json:"records"`
}

// ChatCompletedV1 records one question and its answer. Question and Answer
// are sealed under the asking user's data key: erasing the user erases
// their conversations everywhere.
type ChatCompletedV1 struct {
	ConversationID string     `json:"conversation_id"`
	MessageID      string     `json:"message_id"`
	TenantID       string     `json:"tenant_id"`
	UserID         string     `json:"user_id"`
	Question       string     `json:"question"`
	Answer         string     `json:"answer"`
	ToolCalls      []ToolUse  `json:"tool_calls"`
	Citations      []Citation `json:"citations"`
	// GatewayRequests are the gateway request ids of the assistant's LLM
	// calls (each audited as gateway.RequestCompleted).
	GatewayRequests []string   `json:"gateway_requests"`
	Provider        string     `json:"provider"`
	Model           string     `json:"model"`
	AsOf            *time.Time `json:"as_of,omitempty"`
	// Mode is chat or rag (a rag/query answer).
	Mode string `json:"mode"`
}

// ConversationDeletedV1 records that a user deleted a conversation.
type ConversationDeletedV1 struct {
	ConversationID string `json:"conversation_id"`
	TenantID       string `json:"tenant_id"`
	UserID         string `json:"user_id"`
}

// DocumentIndexedV1 records a tenant document for retrieval. Text is sealed
// under the document's own key (DocumentKey): removing the document
// destroys the key, so its text is gone from the ledger's readable content
// as well as from the index.
type DocumentIndexedV1 struct {
	DocumentID string `json:"document_id"`
	TenantID   string `json:"tenant_id"`
	Title      string `json:"title"`
	Kind       string `json:"kind"`
	Text       string `json:"text"`
	SHA256     string `json:"sha256"`
	Bytes      int    `json:"bytes"`
	ChunkSize  int    `json:"chunk_size"`
	Overlap    int    `json:"overlap"`
	Chunks     int    `json:"chunks"`
	UploadedBy string `json:"uploaded_by"`
	// Embeddings are the chunks' vectors, in chunk order, when an embedding
	// model was set (computed through the gateway's embeddings path).
	Embeddings     [][]float32 `json:"embeddings,omitempty"`
	EmbeddingModel string      `json:"embedding_model,omitempty"`
}

// Reasons a document leaves the index.
const (
	RemovedDeleted   = "deleted"
	RemovedErasure   = "erasure"
	RemovedRetention = "retention"
)

// DocumentRemovedV1 records that a document left the index.
type DocumentRemovedV1 struct {
	DocumentID string `json:"document_id"`
	TenantID   string `json:"tenant_id"`
	Reason     string `json:"reason" enum:"deleted,erasure,retention"`
}

// DefaultProviderSetV1 records the gateway provider and model the
// assistant's LLM calls use (and the embedding model, when any).
type DefaultProviderSetV1 struct {
	TenantID       string `json:"tenant_id"`
	Provider       string `json:"provider"`
	Model          string `json:"model"`
	EmbeddingModel string `json:"embedding_model,omitempty"`
}

// ContextRefreshedV1 records a posture snapshot the assistant sees.
type ContextRefreshedV1 struct {
	TenantID string  `json:"tenant_id"`
	Context  Context `json:"context"`
}

// FeedbackGivenV1 records a user's rating of an answer.
type FeedbackGivenV1 struct {
	FeedbackID     string `json:"feedback_id"`
	TenantID       string `json:"tenant_id"`
	UserID         string `json:"user_id"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	Rating         string `json:"rating" enum:"up,down"`
	Comment        string `json:"comment,omitempty"`
}

// BriefingWrittenV1 records a briefing the assistant wrote (the weekly
// alert and posture summary) through the gateway.
type BriefingWrittenV1 struct {
	BriefingID      string     `json:"briefing_id"`
	TenantID        string     `json:"tenant_id"`
	Kind            string     `json:"kind"`
	From            time.Time  `json:"from"`
	To              time.Time  `json:"to"`
	Text            string     `json:"text"`
	Citations       []Citation `json:"citations"`
	GatewayRequests []string   `json:"gateway_requests"`
}

// Context is the posture snapshot the assistant sees: one line per module
// the snapshot's author could read, with the records behind it.
type Context struct {
	At         time.Time         `json:"at"`
	TrustScore *float64          `json:"trust_score"`
	TrustGrade string            `json:"trust_grade,omitempty"`
	OpenRisks  int64             `json:"open_risks"`
	OpenAlerts int64             `json:"open_alerts"`
	Frameworks []FrameworkStatus `json:"frameworks"`
	Gateway    *GatewayStatus    `json:"gateway"`
	// Omitted lists the parts the author's permissions did not cover.
	Omitted []string `json:"omitted"`
}

// FrameworkStatus is one framework's place in the posture.
type FrameworkStatus struct {
	FrameworkID string   `json:"framework_id"`
	Name        string   `json:"name"`
	Score       *float64 `json:"score"`
}

// GatewayStatus is the gateway's traffic in the snapshot's last week.
type GatewayStatus struct {
	Requests int64 `json:"requests"`
	Blocked  int64 `json:"blocked"`
	Failed   int64 `json:"failed"`
}

// StreamOfConversation names a conversation's stream.
func StreamOfConversation(id string) string { return "bastion_ai.conversation-" + id }

// StreamOfDocument names a document's stream.
func StreamOfDocument(id string) string { return "bastion_ai.document-" + id }

// StreamOfSettings names a tenant's assistant settings stream.
func StreamOfSettings(tenantID string) string { return "bastion_ai.settings-" + tenantID }

// StreamOfContext names a tenant's posture snapshot stream.
func StreamOfContext(tenantID string) string { return "bastion_ai.context-" + tenantID }

// StreamOfBriefing names a briefing's stream.
func StreamOfBriefing(id string) string { return "bastion_ai.briefing-" + id }

// StreamOfFeedback names a feedback's stream.
func StreamOfFeedback(id string) string { return "bastion_ai.feedback-" + id }

// DocumentKey is the keyring subject a document's text is sealed under.
func DocumentKey(documentID string) string { return "bastion_ai.document-" + documentID }

// DocumentKinds are the kinds of document the index takes.
var DocumentKinds = []string{"policy", "evidence", "procedure", "upload", "other"}
