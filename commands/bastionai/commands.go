// Package bastionai holds the command handlers of BASTION AI: one small
// named command type per change, each on the kit's load → decide → append
// path (eventstore.Create / Update). Questions, answers and document texts
// are sealed before they are appended (see the domain's events).
package bastionai

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/eventstore"
)

// Handlers executes BASTION AI commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
}

// conversation folds a conversation's stream: its tenant, owner and state.
type conversation struct {
	TenantID, UserID string
	Deleted          bool
}

var conversations = eventstore.On(eventstore.On(eventstore.NewFold[conversation](), bastionai.ChatCompleted,
	func(s *conversation, d *bastionai.ChatCompletedV1, _ *eventstore.Event) {
		s.TenantID, s.UserID = d.TenantID, d.UserID
	}), bastionai.ConversationDeleted,
	func(s *conversation, _ *bastionai.ConversationDeletedV1, _ *eventstore.Event) { s.Deleted = true })

// RecordChat records one answered question of a conversation (a new one
// when ConversationID is empty).
type RecordChat struct {
	ConversationID string
	Answer         bastionai.ChatCompletedV1
}

// RecordChat seals the question and answer under the user's key and records
// ChatCompleted; a conversation belongs to the user who started it.
func (h *Handlers) RecordChat(ctx context.Context, meta eventstore.Metadata, c RecordChat) (string, string, []eventstore.Event, error) {
	id := c.ConversationID
	if id == "" {
		id = eventstore.NewID()
	}
	d := c.Answer
	d.ConversationID, d.TenantID, d.UserID, d.MessageID = id, meta.TenantID, meta.Actor, eventstore.NewID()
	var err error
	if d.Question, err = h.Keys.Seal(ctx, meta.TenantID, meta.Actor, d.Question); err != nil {
		return "", "", nil, fmt.Errorf("bastion_ai: seal question: %w", err)
	}
	if d.Answer, err = h.Keys.Seal(ctx, meta.TenantID, meta.Actor, d.Answer); err != nil {
		return "", "", nil, fmt.Errorf("bastion_ai: seal answer: %w", err)
	}
	evs, err := eventstore.Update(ctx, h.Store, meta, conversations, bastionai.StreamOfConversation(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[conversation]) (eventstore.Decision, error) {
			if a.Exists() && (a.State.TenantID != meta.TenantID || a.State.UserID != meta.Actor || a.State.Deleted) {
				return nil, bastionai.ErrConversationNotFound
			}
			return eventstore.Decision{{Type: bastionai.ChatCompleted, Subject: id, Data: &d}}, nil
		})
	return id, d.MessageID, evs, err
}

// DeleteConversation deletes one of the caller's conversations.
type DeleteConversation struct{ ID string }

// DeleteConversation records ConversationDeleted.
func (h *Handlers) DeleteConversation(ctx context.Context, meta eventstore.Metadata, c DeleteConversation) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, conversations, bastionai.StreamOfConversation(c.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[conversation]) (eventstore.Decision, error) {
			if !a.Exists() || a.State.TenantID != meta.TenantID || a.State.UserID != meta.Actor || a.State.Deleted {
				return nil, bastionai.ErrConversationNotFound
			}
			return eventstore.Decision{{Type: bastionai.ConversationDeleted, Subject: c.ID,
				Data: &bastionai.ConversationDeletedV1{ConversationID: c.ID, TenantID: meta.TenantID, UserID: meta.Actor}}}, nil
		})
}

// IndexDocument indexes a tenant document.
type IndexDocument struct {
	Title, Kind, Text string
	ChunkSize         int
	Overlap           int
	// Embed computes the chunks' vectors (nil: keyword search only).
	Embed func(ctx context.Context, chunks []string) ([][]float32, string, error)
}

// IndexDocument splits the text, seals it under the document's own key and
// records DocumentIndexed.
func (h *Handlers) IndexDocument(ctx context.Context, meta eventstore.Metadata, c IndexDocument) (string, []eventstore.Event, error) {
	if strings.TrimSpace(c.Text) == "" || strings.TrimSpace(c.Title) == "" {
		return "", nil, fmt.Errorf("%w: a document needs a title and some text", bastionai.ErrInvalidDocument)
	}
	size, overlap := c.ChunkSize, c.Overlap
	if size == 0 {
		size = bastionai.DefaultChunkSize
	}
	if overlap == 0 && c.ChunkSize == 0 {
		overlap = bastionai.DefaultOverlap
	}
	if overlap >= size {
		return "", nil, fmt.Errorf("%w: overlap must be smaller than chunk_size", bastionai.ErrInvalidDocument)
	}
	chunks := bastionai.Split(c.Text, size, overlap)
	id := eventstore.NewID()
	sum := sha256.Sum256([]byte(c.Text))
	d := &bastionai.DocumentIndexedV1{DocumentID: id, TenantID: meta.TenantID, Title: c.Title, Kind: c.Kind, SHA256: hex.EncodeToString(sum[:]),
		Bytes: len(c.Text), ChunkSize: size, Overlap: overlap, Chunks: len(chunks), UploadedBy: meta.Actor}
	if c.Embed != nil {
		texts := make([]string, len(chunks))
		for i, ch := range chunks {
			texts[i] = ch.Text
		}
		vecs, model, err := c.Embed(ctx, texts)
		if err != nil {
			return "", nil, err
		}
		d.Embeddings, d.EmbeddingModel = vecs, model
	}
	var err error
	if d.Text, err = h.Keys.Seal(ctx, meta.TenantID, bastionai.DocumentKey(id), c.Text); err != nil {
		return "", nil, fmt.Errorf("bastion_ai: seal document: %w", err)
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, bastionai.StreamOfDocument(id), eventstore.Draft{Type: bastionai.DocumentIndexed, Subject: id, Data: d})
	return id, evs, err
}

// document folds a document's stream.
type document struct {
	TenantID, UploadedBy string
	Removed              bool
}

var documents = eventstore.On(eventstore.On(eventstore.NewFold[document](), bastionai.DocumentIndexed,
	func(s *document, d *bastionai.DocumentIndexedV1, _ *eventstore.Event) {
		s.TenantID, s.UploadedBy = d.TenantID, d.UploadedBy
	}),
	bastionai.DocumentRemoved, func(s *document, _ *bastionai.DocumentRemovedV1, _ *eventstore.Event) { s.Removed = true })

// RemoveDocument takes a document out of the index.
type RemoveDocument struct {
	ID     string
	Reason string
}

// RemoveDocument records DocumentRemoved, then destroys the document's key:
// its text is unreadable in the ledger, Kafka and replays from then on.
// Removing a removed document changes nothing (a reactor may run twice).
func (h *Handlers) RemoveDocument(ctx context.Context, meta eventstore.Metadata, c RemoveDocument) ([]eventstore.Event, error) {
	evs, err := eventstore.Update(ctx, h.Store, meta, documents, bastionai.StreamOfDocument(c.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[document]) (eventstore.Decision, error) {
			if !a.Exists() || a.State.TenantID != meta.TenantID {
				return nil, bastionai.ErrDocumentNotFound
			}
			if a.State.Removed {
				if c.Reason == bastionai.RemovedDeleted {
					return nil, bastionai.ErrDocumentNotFound
				}
				return nil, nil
			}
			return eventstore.Decision{{Type: bastionai.DocumentRemoved, Subject: c.ID,
				Data: &bastionai.DocumentRemovedV1{DocumentID: c.ID, TenantID: meta.TenantID, Reason: c.Reason}}}, nil
		})
	if err != nil {
		return nil, err
	}
	if err := h.Keys.Erase(ctx, meta.TenantID, bastionai.DocumentKey(c.ID)); err != nil {
		return evs, fmt.Errorf("bastion_ai: erase document key: %w", err)
	}
	return evs, nil
}

// SetDefaultProvider chooses the gateway provider and model of the assistant.
type SetDefaultProvider struct {
	Provider, Model, EmbeddingModel string
}

// SetDefaultProvider records DefaultProviderSet (the caller checked that the
// tenant's gateway offers them).
func (h *Handlers) SetDefaultProvider(ctx context.Context, meta eventstore.Metadata, c SetDefaultProvider) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: bastionai.StreamOfSettings(meta.TenantID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: bastionai.DefaultProviderSet, Subject: meta.TenantID, Data: &bastionai.DefaultProviderSetV1{
			TenantID: meta.TenantID, Provider: c.Provider, Model: c.Model, EmbeddingModel: c.EmbeddingModel}}}})
}

// RefreshContext records a posture snapshot.
func (h *Handlers) RefreshContext(ctx context.Context, meta eventstore.Metadata, snap bastionai.Context) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: bastionai.StreamOfContext(meta.TenantID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: bastionai.ContextRefreshed, Subject: meta.TenantID,
			Data: &bastionai.ContextRefreshedV1{TenantID: meta.TenantID, Context: snap}}}})
}

// GiveFeedback rates an answer of one of the caller's conversations.
type GiveFeedback struct {
	ConversationID, MessageID, Rating, Comment string
}

// GiveFeedback records FeedbackGiven; the conversation must be the caller's.
func (h *Handlers) GiveFeedback(ctx context.Context, meta eventstore.Metadata, c GiveFeedback) (string, []eventstore.Event, error) {
	a, err := eventstore.Load(ctx, h.Store, conversations, bastionai.StreamOfConversation(c.ConversationID))
	if err != nil {
		return "", nil, err
	}
	if !a.Exists() || a.State.TenantID != meta.TenantID || a.State.UserID != meta.Actor || a.State.Deleted {
		return "", nil, bastionai.ErrConversationNotFound
	}
	id := eventstore.NewID()
	comment := c.Comment
	if comment != "" {
		if comment, err = h.Keys.Seal(ctx, meta.TenantID, meta.Actor, comment); err != nil {
			return "", nil, fmt.Errorf("bastion_ai: seal comment: %w", err)
		}
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, bastionai.StreamOfFeedback(id), eventstore.Draft{Type: bastionai.FeedbackGiven, Subject: id,
		Data: &bastionai.FeedbackGivenV1{FeedbackID: id, TenantID: meta.TenantID, UserID: meta.Actor, ConversationID: c.ConversationID,
			MessageID: c.MessageID, Rating: c.Rating, Comment: comment}})
	return id, evs, err
}

// WriteBriefing records a briefing.
type WriteBriefing struct {
	Kind     string
	From, To time.Time
	Text     string
	Cites    []bastionai.Citation
	Requests []string
}

// WriteBriefing records BriefingWritten.
func (h *Handlers) WriteBriefing(ctx context.Context, meta eventstore.Metadata, c WriteBriefing) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	evs, err := eventstore.Create(ctx, h.Store, meta, bastionai.StreamOfBriefing(id), eventstore.Draft{Type: bastionai.BriefingWritten, Subject: id,
		Data: &bastionai.BriefingWrittenV1{BriefingID: id, TenantID: meta.TenantID, Kind: c.Kind, From: c.From, To: c.To, Text: c.Text,
			Citations: c.Cites, GatewayRequests: c.Requests}})
	return id, evs, err
}
