package bastionai

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the BASTION AI read models.
type Queries struct {
	Runner *projections.Runner
	// Keys opens the sealed questions and answers when they are read.
	Keys *eventstore.Keyring
}

// Conversation is one of a user's conversations.
type Conversation struct {
	ID string `json:"id"`
	// Title is the conversation's first question.
	Title     string    `json:"title"`
	Messages  int       `json:"messages"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// Message is one question and its answer.
type Message struct {
	ID              string               `json:"id"`
	Question        string               `json:"question"`
	Answer          string               `json:"answer"`
	ToolCalls       []bastionai.ToolUse  `json:"tool_calls"`
	Citations       []bastionai.Citation `json:"citations"`
	GatewayRequests []string             `json:"gateway_requests"`
	Provider        string               `json:"provider"`
	Model           string               `json:"model"`
	Mode            string               `json:"mode" enum:"chat,rag"`
	AsOf            *time.Time           `json:"as_of"`
	At              time.Time            `json:"at"`
}

// ConversationDetail is a conversation with its messages, oldest first.
type ConversationDetail struct {
	Conversation
	Items []Message `json:"items"`
}

const conversationColumns = `id, title, messages, created_at, updated_at, version`

func (q *Queries) scanConversation(ctx context.Context) func(pgx.CollectableRow) (Conversation, error) {
	return func(r pgx.CollectableRow) (Conversation, error) {
		var c Conversation
		err := r.Scan(&c.ID, &c.Title, &c.Messages, &c.CreatedAt, &c.UpdatedAt, &c.Version)
		c.Title = q.Keys.MustOpen(ctx, c.Title)
		return c, err
	}
}

// Conversations lists a user's conversations, newest first.
func (q *Queries) Conversations(ctx context.Context, tenant, user string, p projections.PageRequest) (projections.Page[Conversation], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".conversations", conversationColumns).Where("tenant_id = ?", tenant).Where("user_id = ?", user).
			OrderBy(true, projections.TextKey("id"))
	}, p, q.scanConversation(ctx), func(c Conversation) []any { return []any{c.ID} })
}

// Conversation reads one of a user's conversations with its messages.
func (q *Queries) Conversation(ctx context.Context, tenant, user, id string) (*ConversationDetail, error) {
	c, err := projections.OneOr(ctx, q.Runner, Name, tenant, bastionai.ErrConversationNotFound, q.scanConversation(ctx), func(s string) string {
		return `SELECT ` + conversationColumns + ` FROM ` + s + `.conversations WHERE tenant_id = $1 AND user_id = $2 AND id = $3`
	}, tenant, user, id)
	if err != nil {
		return nil, err
	}
	out := &ConversationDetail{Conversation: *c, Items: []Message{}}
	err = q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id, question, answer, tool_calls, citations, gateway_requests, provider, model, mode, as_of, at
			FROM `+s+`.messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY position`, tenant, id)
		if err != nil {
			return err
		}
		out.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
			var m Message
			err := r.Scan(&m.ID, &m.Question, &m.Answer, &m.ToolCalls, &m.Citations, &m.GatewayRequests, &m.Provider, &m.Model, &m.Mode, &m.AsOf, &m.At)
			m.Question, m.Answer = q.Keys.MustOpen(ctx, m.Question), q.Keys.MustOpen(ctx, m.Answer)
			return m, err
		})
		return err
	})
	return out, err
}

// Document is an indexed tenant document.
type Document struct {
	ID             string    `json:"id"`
	Title          string    `json:"title"`
	Kind           string    `json:"kind" enum:"policy,evidence,procedure,upload,other"`
	SHA256         string    `json:"sha256"`
	Bytes          int       `json:"bytes"`
	ChunkSize      int       `json:"chunk_size"`
	Overlap        int       `json:"overlap"`
	Chunks         int       `json:"chunks"`
	UploadedBy     string    `json:"uploaded_by"`
	EmbeddingModel string    `json:"embedding_model"`
	CreatedAt      time.Time `json:"created_at"`
}

const documentColumns = `id, title, kind, sha256, bytes, chunk_size, overlap, chunks, uploaded_by, embedding_model, created_at`

func scanDocument(r pgx.CollectableRow) (Document, error) {
	var d Document
	err := r.Scan(&d.ID, &d.Title, &d.Kind, &d.SHA256, &d.Bytes, &d.ChunkSize, &d.Overlap, &d.Chunks, &d.UploadedBy, &d.EmbeddingModel, &d.CreatedAt)
	return d, err
}

// Documents lists the tenant's indexed documents, newest first.
func (q *Queries) Documents(ctx context.Context, tenant, kind string, p projections.PageRequest) (projections.Page[Document], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".documents", documentColumns).Where("tenant_id = ?", tenant).WhereIf(kind != "", "kind = ?", kind).
			OrderBy(true, projections.TextKey("id"))
	}, p, scanDocument, func(d Document) []any { return []any{d.ID} })
}

// Document reads one indexed document.
func (q *Queries) Document(ctx context.Context, tenant, id string) (*Document, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, bastionai.ErrDocumentNotFound, scanDocument, func(s string) string {
		return `SELECT ` + documentColumns + ` FROM ` + s + `.documents WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// DocumentsBy lists the ids of the documents the principals uploaded.
func (q *Queries) DocumentsBy(ctx context.Context, tenant string, principals []string) ([]string, error) {
	var out []string
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM `+s+`.documents WHERE tenant_id = $1 AND uploaded_by = ANY($2) ORDER BY id`, tenant, principals)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// DocumentsBefore counts the tenant's documents indexed before cutoff, with
// the first and last indexing time (Data Governance's retention plan).
func (q *Queries) DocumentsBefore(ctx context.Context, tenant string, cutoff time.Time) (int, *time.Time, *time.Time, error) {
	var n int
	var from, to *time.Time
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		return tx.QueryRow(ctx, `SELECT count(*), min(created_at), max(created_at) FROM `+s+`.documents WHERE tenant_id = $1 AND created_at < $2`,
			tenant, cutoff).Scan(&n, &from, &to)
	})
	return n, from, to, err
}

// DocumentIDsBefore lists the ids of the tenant's documents indexed before cutoff.
func (q *Queries) DocumentIDsBefore(ctx context.Context, tenant string, cutoff time.Time) ([]string, error) {
	var out []string
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id FROM `+s+`.documents WHERE tenant_id = $1 AND created_at < $2 ORDER BY id`, tenant, cutoff)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// Scopes of a search.
const (
	ScopeAll          = "all"
	ScopeDocuments    = "documents"
	ScopeRequirements = "requirements"
)

// Hit is one ranked chunk.
type Hit struct {
	ChunkID       string  `json:"chunk_id"`
	Source        string  `json:"source" enum:"document,requirement"`
	DocumentID    *string `json:"document_id"`
	FrameworkID   *string `json:"framework_id"`
	RequirementID *string `json:"requirement_id"`
	Title         string  `json:"title"`
	Text          string  `json:"text"`
	Ordinal       int     `json:"ordinal"`
	// Rank is the 1-based place in the answer; Score the ranking's own
	// score (BM25, or the fused reciprocal-rank score when hybrid).
	Rank      int       `json:"rank"`
	Score     float64   `json:"score"`
	embedding []float32 // for hybrid ranking
}

// BM25 parameters (Robertson and Zaragoza's usual values); a word in a
// chunk's title counts TitleBoost times.
const (
	BM25K1     = 1.2
	BM25B      = 0.75
	TitleBoost = 2
)

// Search ranks the chunks the tenant may read (its documents and the
// built-in requirements) against the query by Okapi BM25 over Postgres full
// text: the query's words are stemmed with stop words dropped; chunks
// matching any of them (the GIN index) are scored Σ idf·tf·(k1+1) /
// (tf + k1·(1−b+b·len/avglen)), where tf counts a word's positions in the
// chunk (title positions TitleBoost times), len is the chunk's number of
// distinct words, and idf = ln(1 + (N−df+0.5)/(df+0.5)) over the chunks the
// tenant may read in the scope. At most limit hits.
func (q *Queries) Search(ctx context.Context, tenant, query, scope, framework string, limit int) ([]Hit, error) {
	var out []Hit
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `
			WITH terms AS MATERIALIZED (SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', $2))),
			q AS (SELECT nullif(replace(plainto_tsquery('english', $2)::text, ' & ', ' | '), '')::tsquery AS q),
			visible AS (
				SELECT id, tsv, length(tsv)::float8 AS len FROM `+s+`.chunks
				WHERE (tenant_id = $1 OR tenant_id = '')
				  AND ($3 = 'all' OR ($3 = 'documents' AND source = 'document') OR ($3 = 'requirements' AND source = 'requirement'))
				  AND ($4 = '' OR framework_id = $4)),
			stats AS (SELECT count(*)::float8 AS n, greatest(avg(len), 1)::float8 AS avglen FROM visible),
			df AS MATERIALIZED (SELECT t.lexeme, (SELECT count(*) FROM visible v WHERE v.tsv @@ plainto_tsquery('simple', t.lexeme))::float8 AS df FROM terms t),
			scored AS (
				SELECT v.id, sum(ln(1 + (st.n - df.df + 0.5) / (df.df + 0.5)) *
					(u.tf * ($6 + 1)) / (u.tf + $6 * (1 - $7 + $7 * v.len / st.avglen))) AS score
				FROM visible v CROSS JOIN stats st CROSS JOIN q
				CROSS JOIN LATERAL (
					SELECT x.lexeme, (cardinality(x.positions) + ($8 - 1) * cardinality(array_positions(x.weights, 'A')))::float8 AS tf
					FROM unnest(v.tsv) x WHERE x.lexeme IN (SELECT lexeme FROM terms)) u
				JOIN df ON df.lexeme = u.lexeme
				WHERE v.tsv @@ q.q
				GROUP BY v.id)
			SELECT c.id, c.source, c.document_id, c.framework_id, c.requirement_id, c.title, c.text, c.ordinal, scored.score
			FROM scored JOIN `+s+`.chunks c ON c.id = scored.id
			ORDER BY scored.score DESC, c.id LIMIT $5`, tenant, query, scope, framework, limit, BM25K1, BM25B, TitleBoost)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hit, error) {
			var h Hit
			err := r.Scan(&h.ChunkID, &h.Source, &h.DocumentID, &h.FrameworkID, &h.RequirementID, &h.Title, &h.Text, &h.Ordinal, &h.Score)
			return h, err
		})
		return err
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out, err
}

// Nearest ranks the tenant's document chunks that carry embeddings by cosine
// similarity to vec (at most limit, best first).
func (q *Queries) Nearest(ctx context.Context, tenant string, vec []float32, limit int) ([]Hit, error) {
	var all []Hit
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT id, source, document_id, framework_id, requirement_id, title, text, ordinal, embedding FROM `+s+`.chunks
			WHERE tenant_id = $1 AND embedding IS NOT NULL`, tenant)
		if err != nil {
			return err
		}
		all, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hit, error) {
			var h Hit
			err := r.Scan(&h.ChunkID, &h.Source, &h.DocumentID, &h.FrameworkID, &h.RequirementID, &h.Title, &h.Text, &h.Ordinal, &h.embedding)
			return h, err
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range all {
		all[i].Score = bastionai.Cosine(vec, all[i].embedding)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Score > all[j].Score })
	if len(all) > limit {
		all = all[:limit]
	}
	for i := range all {
		all[i].Rank = i + 1
	}
	return all, nil
}

// Settings are the assistant's provider choice in a tenant.
type Settings struct {
	Provider       string     `json:"provider"`
	Model          string     `json:"model"`
	EmbeddingModel string     `json:"embedding_model"`
	UpdatedAt      *time.Time `json:"updated_at"`
	UpdatedBy      string     `json:"updated_by"`
}

// Settings reads the tenant's assistant settings (empty when never set: the
// gateway's own routing chooses).
func (q *Queries) Settings(ctx context.Context, tenant string) (Settings, error) {
	s, err := projections.One(ctx, q.Runner, Name, tenant, func(r pgx.CollectableRow) (Settings, error) {
		var x Settings
		return x, r.Scan(&x.Provider, &x.Model, &x.EmbeddingModel, &x.UpdatedAt, &x.UpdatedBy)
	}, func(s string) string {
		return `SELECT provider, model, embedding_model, updated_at, updated_by FROM ` + s + `.settings WHERE tenant_id = $1`
	}, tenant)
	if err != nil || s == nil {
		return Settings{}, err
	}
	return *s, nil
}

// Snapshot is the latest posture snapshot.
type Snapshot struct {
	Context     bastionai.Context `json:"context"`
	RefreshedAt time.Time         `json:"refreshed_at"`
	RefreshedBy string            `json:"refreshed_by"`
	// EventID is the ContextRefreshed event that recorded it.
	EventID string `json:"event_id"`
}

// Context reads the latest posture snapshot; ErrContextNotFound before the first.
func (q *Queries) Context(ctx context.Context, tenant string) (*Snapshot, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, bastionai.ErrContextNotFound, func(r pgx.CollectableRow) (Snapshot, error) {
		var x Snapshot
		return x, r.Scan(&x.Context, &x.RefreshedAt, &x.RefreshedBy, &x.EventID)
	}, func(s string) string {
		return `SELECT context, refreshed_at, refreshed_by, event_id FROM ` + s + `.contexts WHERE tenant_id = $1`
	}, tenant)
}

// Briefing is a written briefing.
type Briefing struct {
	ID              string               `json:"id"`
	Kind            string               `json:"kind" enum:"weekly"`
	From            time.Time            `json:"from"`
	To              time.Time            `json:"to"`
	Text            string               `json:"text"`
	Citations       []bastionai.Citation `json:"citations"`
	GatewayRequests []string             `json:"gateway_requests"`
	At              time.Time            `json:"at"`
	Author          string               `json:"author"`
}

// Briefing reads one briefing.
func (q *Queries) Briefing(ctx context.Context, tenant, id string) (*Briefing, error) {
	return projections.Found[Briefing](errors.New("bastion_ai: briefing not found"))(projections.One(ctx, q.Runner, Name, tenant,
		func(r pgx.CollectableRow) (Briefing, error) {
			var b Briefing
			return b, r.Scan(&b.ID, &b.Kind, &b.From, &b.To, &b.Text, &b.Citations, &b.GatewayRequests, &b.At, &b.Author)
		}, func(s string) string {
			return `SELECT id, kind, period_from, period_to, text, citations, gateway_requests, at, author FROM ` + s + `.briefings WHERE tenant_id = $1 AND id = $2`
		}, tenant, id))
}

// Feedback is a recorded rating.
type Feedback struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	MessageID      string    `json:"message_id"`
	Rating         string    `json:"rating" enum:"up,down"`
	At             time.Time `json:"at"`
}

// Feedback reads one recorded rating.
func (q *Queries) Feedback(ctx context.Context, tenant, id string) (*Feedback, error) {
	return projections.Found[Feedback](errors.New("bastion_ai: feedback not found"))(projections.One(ctx, q.Runner, Name, tenant,
		func(r pgx.CollectableRow) (Feedback, error) {
			var f Feedback
			return f, r.Scan(&f.ID, &f.ConversationID, &f.MessageID, &f.Rating, &f.At)
		}, func(s string) string {
			return `SELECT id, conversation_id, message_id, rating, at FROM ` + s + `.feedback WHERE tenant_id = $1 AND id = $2`
		}, tenant, id))
}

// Holdings implements datagov.Holder: the person's conversations (sealed
// under their key: the export opens them), the documents they uploaded and
// their feedback.
func (q *Queries) Holdings(ctx context.Context, tenant string, p datagov.Person) ([]datagov.Section, error) {
	args := []any{tenant, p.Principals}
	return projections.Holdings(ctx, q.Runner, Name, tenant, bastionai.Module,
		projections.Held{Kind: "assistant_messages", Args: args, Query: func(s string) string {
			return `SELECT id, conversation_id, question, answer, at FROM ` + s + `.messages WHERE tenant_id = $1 AND user_id = ANY($2) ORDER BY position`
		}},
		projections.Held{Kind: "documents_uploaded", Args: args, Query: func(s string) string {
			return `SELECT id, title, kind, sha256, created_at FROM ` + s + `.documents WHERE tenant_id = $1 AND uploaded_by = ANY($2) ORDER BY id`
		}},
		projections.Held{Kind: "answer_feedback", Args: args, Query: func(s string) string {
			return `SELECT id, conversation_id, rating, comment, at FROM ` + s + `.feedback WHERE tenant_id = $1 AND user_id = ANY($2) ORDER BY id`
		}})
}
