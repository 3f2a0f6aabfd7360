package risk

import (
	"context"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/projections"
)

// Holdings implements datagov.Holder: the risks the person owns (the owner
// names them by user id, address or name).
func (q *Queries) Holdings(ctx context.Context, tenantID string, p datagov.Person) ([]datagov.Section, error) {
	return projections.Holdings(ctx, q.Runner, Name, tenantID, "risk",
		projections.Held{Kind: "risks_owned", Args: []any{tenantID, p.Names()}, Query: func(s string) string {
			return `SELECT id, title, description, category, owner, likelihood, impact, treatment, status, created_at, updated_at FROM ` + s +
				`.risks WHERE tenant_id = $1 AND lower(owner) = ANY ($2) ORDER BY id`
		}})
}
