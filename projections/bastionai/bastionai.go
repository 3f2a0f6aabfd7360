// Package bastionai projects BASTION AI: conversations per user, the
// retrieval index (tenant documents cut into overlapping chunks, and the
// built-in framework requirements every tenant shares) with Postgres full
// text search, the assistant's provider, posture snapshots, feedback and
// briefings; and answers the queries over them.
package bastionai

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/compliance/catalogue"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "bastion_ai"

// Projection builds the BASTION AI read models.
type Projection struct {
	projections.Tabled
	keys *eventstore.Keyring
}

// New builds the projection; keys opens document texts to index them.
func New(keys *eventstore.Keyring) *Projection {
	p := &Projection{Tabled: projections.NewTabled(Name, events.TopicFor(bastionai.Module)), keys: keys}
	projections.On(p.Table, bastionai.ChatCompleted, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *bastionai.ChatCompletedV1) error {
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.conversations (id, tenant_id, user_id, title, messages, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, 1, $5, $5, $6) ON CONFLICT (id) DO UPDATE SET messages = conversations.messages + 1,
			updated_at = greatest(conversations.updated_at, excluded.updated_at), version = greatest(conversations.version, excluded.version)`,
			d.ConversationID, e.TenantID, d.UserID, d.Question, e.Time, e.Version); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.messages (id, conversation_id, tenant_id, user_id, question, answer, tool_calls, citations,
			gateway_requests, provider, model, mode, as_of, at, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (id) DO NOTHING`,
			d.MessageID, d.ConversationID, e.TenantID, d.UserID, d.Question, d.Answer, nonNil(d.ToolCalls), nonNil(d.Citations), nonNil(d.GatewayRequests),
			d.Provider, d.Model, d.Mode, d.AsOf, e.Time, e.Position)
		return err
	})
	projections.On(p.Table, bastionai.ConversationDeleted, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *bastionai.ConversationDeletedV1) error {
		if _, err := tx.Exec(ctx, `DELETE FROM `+s+`.messages WHERE conversation_id = $1`, d.ConversationID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.conversations WHERE id = $1`, d.ConversationID)
		return err
	})
	projections.On(p.Table, bastionai.DocumentIndexed, p.index)
	projections.On(p.Table, bastionai.DocumentRemoved, func(ctx context.Context, tx pgx.Tx, s string, _ *eventstore.Event, d *bastionai.DocumentRemovedV1) error {
		if _, err := tx.Exec(ctx, `DELETE FROM `+s+`.chunks WHERE document_id = $1`, d.DocumentID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.documents WHERE id = $1`, d.DocumentID)
		return err
	})
	projections.On(p.Table, bastionai.DefaultProviderSet, projections.Exec(func(e *eventstore.Event, d *bastionai.DefaultProviderSetV1) (string, []any) {
		return `INSERT INTO %[1]s.settings (tenant_id, provider, model, embedding_model, updated_at, updated_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (tenant_id) DO UPDATE SET provider = excluded.provider, model = excluded.model, embedding_model = excluded.embedding_model,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by, version = excluded.version WHERE settings.version < excluded.version`,
			[]any{e.TenantID, d.Provider, d.Model, d.EmbeddingModel, e.Time, e.Actor, e.Version}
	}))
	projections.On(p.Table, bastionai.ContextRefreshed, projections.Exec(func(e *eventstore.Event, d *bastionai.ContextRefreshedV1) (string, []any) {
		return `INSERT INTO %[1]s.contexts (tenant_id, context, refreshed_at, refreshed_by, event_id, version) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (tenant_id) DO UPDATE SET context = excluded.context, refreshed_at = excluded.refreshed_at, refreshed_by = excluded.refreshed_by,
			event_id = excluded.event_id, version = excluded.version WHERE contexts.version < excluded.version`,
			[]any{e.TenantID, d.Context, e.Time, e.Actor, e.ID.String(), e.Version}
	}))
	projections.On(p.Table, bastionai.FeedbackGiven, projections.Exec(func(e *eventstore.Event, d *bastionai.FeedbackGivenV1) (string, []any) {
		return `INSERT INTO %[1]s.feedback (id, tenant_id, user_id, conversation_id, message_id, rating, comment, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO NOTHING`, []any{d.FeedbackID, e.TenantID, d.UserID, d.ConversationID, d.MessageID, d.Rating, d.Comment, e.Time}
	}))
	projections.On(p.Table, bastionai.BriefingWritten, projections.Exec(func(e *eventstore.Event, d *bastionai.BriefingWrittenV1) (string, []any) {
		return `INSERT INTO %[1]s.briefings (id, tenant_id, kind, period_from, period_to, text, citations, gateway_requests, at, author)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
			[]any{d.BriefingID, e.TenantID, d.Kind, d.From, d.To, d.Text, nonNil(d.Citations), nonNil(d.GatewayRequests), e.Time, e.Actor}
	}))
	return p
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

var _ projections.Projection = (*Projection)(nil)

// index records a document and its chunks. A document whose key was
// destroyed since (it was removed: a replay) is not indexed again.
func (p *Projection) index(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *bastionai.DocumentIndexedV1) error {
	text, err := p.keys.Open(ctx, d.Text)
	if err != nil {
		return err
	}
	if text == eventstore.Erased {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.documents (id, tenant_id, title, kind, sha256, bytes, chunk_size, overlap, chunks, uploaded_by,
		embedding_model, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
		d.DocumentID, e.TenantID, d.Title, d.Kind, d.SHA256, d.Bytes, d.ChunkSize, d.Overlap, d.Chunks, d.UploadedBy, d.EmbeddingModel, e.Time); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for i, c := range bastionai.Split(text, d.ChunkSize, d.Overlap) {
		var vec []float32
		if i < len(d.Embeddings) {
			vec = d.Embeddings[i]
		}
		b.Queue(`INSERT INTO `+s+`.chunks (id, tenant_id, source, document_id, ordinal, title, text, start_offset, end_offset, embedding)
			VALUES ($1, $2, 'document', $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			fmt.Sprintf("%s:%d", d.DocumentID, c.Ordinal), e.TenantID, d.DocumentID, c.Ordinal, d.Title, c.Text, c.Start, c.End, vec)
	}
	return tx.SendBatch(ctx, b).Close()
}

// Setup implements projections.Projection: the tables, and the built-in
// framework requirements as shared chunks (tenant_id ”).
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.conversations (
			id text PRIMARY KEY, tenant_id text NOT NULL, user_id text NOT NULL, title text NOT NULL, messages int NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, version bigint NOT NULL);
		CREATE INDEX ON %[1]s.conversations (tenant_id, user_id, id DESC);
		CREATE TABLE %[1]s.messages (
			id text PRIMARY KEY, conversation_id text NOT NULL, tenant_id text NOT NULL, user_id text NOT NULL, question text NOT NULL,
			answer text NOT NULL, tool_calls jsonb NOT NULL, citations jsonb NOT NULL, gateway_requests jsonb NOT NULL, provider text NOT NULL,
			model text NOT NULL, mode text NOT NULL, as_of timestamptz, at timestamptz NOT NULL, position bigint NOT NULL);
		CREATE INDEX ON %[1]s.messages (conversation_id, position);
		CREATE INDEX ON %[1]s.messages (tenant_id, user_id);
		CREATE TABLE %[1]s.documents (
			id text PRIMARY KEY, tenant_id text NOT NULL, title text NOT NULL, kind text NOT NULL, sha256 text NOT NULL, bytes int NOT NULL,
			chunk_size int NOT NULL, overlap int NOT NULL, chunks int NOT NULL, uploaded_by text NOT NULL, embedding_model text NOT NULL,
			created_at timestamptz NOT NULL);
		CREATE INDEX ON %[1]s.documents (tenant_id, id DESC);
		CREATE INDEX ON %[1]s.documents (tenant_id, uploaded_by);
		CREATE TABLE %[1]s.chunks (
			id text PRIMARY KEY, tenant_id text NOT NULL, source text NOT NULL, document_id text, framework_id text, requirement_id text,
			ordinal int NOT NULL, title text NOT NULL, text text NOT NULL, start_offset int NOT NULL, end_offset int NOT NULL, embedding real[],
			tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')) STORED);
		CREATE INDEX ON %[1]s.chunks USING gin (tsv);
		CREATE INDEX ON %[1]s.chunks (tenant_id, document_id);
		CREATE TABLE %[1]s.settings (
			tenant_id text PRIMARY KEY, provider text NOT NULL, model text NOT NULL, embedding_model text NOT NULL, updated_at timestamptz NOT NULL,
			updated_by text NOT NULL, version bigint NOT NULL);
		CREATE TABLE %[1]s.contexts (
			tenant_id text PRIMARY KEY, context jsonb NOT NULL, refreshed_at timestamptz NOT NULL, refreshed_by text NOT NULL, event_id text NOT NULL,
			version bigint NOT NULL);
		CREATE TABLE %[1]s.feedback (
			id text PRIMARY KEY, tenant_id text NOT NULL, user_id text NOT NULL, conversation_id text NOT NULL, message_id text NOT NULL,
			rating text NOT NULL, comment text NOT NULL, at timestamptz NOT NULL);
		CREATE TABLE %[1]s.briefings (
			id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, period_from timestamptz NOT NULL, period_to timestamptz NOT NULL,
			text text NOT NULL, citations jsonb NOT NULL, gateway_requests jsonb NOT NULL, at timestamptz NOT NULL, author text NOT NULL);
		CREATE INDEX ON %[1]s.briefings (tenant_id, id DESC);
	`, s)); err != nil {
		return err
	}
	rows := [][]any{}
	for _, f := range catalogue.All() {
		for i, r := range f.Requirements {
			text := strings.TrimSpace(f.Name + " " + r.ID + ". " + r.Description)
			rows = append(rows, []any{RequirementChunkID(f.ID, r.ID), "", "requirement", f.ID, r.ID, i, r.Title, text, 0, len(text)})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{s, "chunks"},
		[]string{"id", "tenant_id", "source", "framework_id", "requirement_id", "ordinal", "title", "text", "start_offset", "end_offset"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("bastion_ai: framework requirements: %w", err)
	}
	if err := projections.IsolateShared(ctx, tx, s, "chunks"); err != nil {
		return err
	}
	return projections.Isolate(ctx, tx, s, "conversations", "messages", "documents", "settings", "contexts", "feedback", "briefings")
}

// RequirementChunkID is the id of a built-in requirement's chunk.
func RequirementChunkID(frameworkID, requirementID string) string {
	return "requirement:" + frameworkID + "/" + requirementID
}
