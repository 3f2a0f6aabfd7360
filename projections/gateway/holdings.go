package gateway

import (
	"context"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/projections"
)

// Holdings implements datagov.Holder: the request records of the person's
// principals (the user and their API keys), content included as kept
// (sealed: the export opens it).
func (q *Queries) Holdings(ctx context.Context, tenantID string, p datagov.Person) ([]datagov.Section, error) {
	return projections.Holdings(ctx, q.Runner, Name, tenantID, "gateway",
		projections.Held{Kind: "requests", Args: []any{tenantID, p.Principals}, Query: func(s string) string {
			return `SELECT id, time, principal, principal_kind, endpoint, provider, model, status, outcome, blocked, pii_types, prompt_tokens,
				completion_tokens, cost_usd, content_mode, prompt, completion FROM ` + s + `.requests WHERE tenant_id = $1 AND principal = ANY ($2) ORDER BY position`
		}})
}
