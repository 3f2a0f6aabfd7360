package compliance

import (
	"context"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/projections"
)

// Holdings implements datagov.Holder: the evidence the person's principals
// added and the controls they own (the owner names them by user id, address
// or name).
func (q *Queries) Holdings(ctx context.Context, tenant string, p datagov.Person) ([]datagov.Section, error) {
	return projections.Holdings(ctx, q.Runner, Name, tenant, "compliance",
		projections.Held{Kind: "evidence_added", Args: []any{tenant, p.Principals}, Query: func(s string) string {
			return `SELECT id, kind, name, description, filename, media_type, sha256, size, url, effective_at, expires_at, created_at, added_by FROM ` + s +
				`.evidence WHERE tenant_id = $1 AND added_by = ANY ($2) ORDER BY id`
		}},
		projections.Held{Kind: "controls_owned", Args: []any{tenant, p.Names()}, Query: func(s string) string {
			return `SELECT id, name, description, owner, status, created_at, updated_at FROM ` + s + `.controls WHERE tenant_id = $1 AND lower(owner) = ANY ($2) ORDER BY id`
		}})
}
