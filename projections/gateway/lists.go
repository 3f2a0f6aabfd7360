package gateway

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/projections"
)

// PageRequest asks for one page of a list: the keys of the previous page's
// last item as the page gave them (Page.Next, nil for the first page; a
// client's cursor decodes to them) and at most how many items.
type PageRequest struct {
	After []any
	Limit int
}

// keyKind is the type of one keyset column, to read a cursor's values back
// (a cursor travels as JSON, where every number is a float).
type keyKind int

const (
	textKey keyKind = iota
	intKey
)

// cursorKeys checks that after fits a keyset of these kinds and gives each
// value its column's type; anything else is projections.ErrBadCursor.
func cursorKeys(after []any, kinds ...keyKind) ([]any, error) {
	if after == nil {
		return nil, nil
	}
	if len(after) != len(kinds) {
		return nil, projections.ErrBadCursor
	}
	out := make([]any, len(after))
	for i, k := range kinds {
		switch v := after[i].(type) {
		case string:
			if k != textKey {
				return nil, projections.ErrBadCursor
			}
			out[i] = v
		case float64:
			if k != intKey || v != float64(int64(v)) {
				return nil, projections.ErrBadCursor
			}
			out[i] = int64(v)
		case int64:
			if k != intKey {
				return nil, projections.ErrBadCursor
			}
			out[i] = v
		default:
			return nil, projections.ErrBadCursor
		}
	}
	return out, nil
}

// fetch reads one page of l in the tenant's read model ("*": every tenant's).
func fetch[T any](ctx context.Context, q *Queries, tenantID string, l func(s string) *projections.List, p PageRequest,
	scan func(pgx.CollectableRow) (T, error), key func(T) []any, kinds ...keyKind) (projections.Page[T], error) {
	var page projections.Page[T]
	after, err := cursorKeys(p.After, kinds...)
	if err != nil {
		return page, err
	}
	err = q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		page, err = projections.Fetch(ctx, tx, l(s), after, p.Limit, scan, key)
		return err
	})
	return page, err
}

// ListProviders pages through a tenant's providers by name.
func (q *Queries) ListProviders(ctx context.Context, tenantID string, p PageRequest) (projections.Page[Provider], error) {
	return fetch(ctx, q, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".providers", providerColumns).Where("NOT removed").OrderBy(false, "name", "id")
	}, p, scanProvider, func(x Provider) []any { return []any{x.Name, x.ID} }, textKey, textKey)
}

const policyColumns = `id, name, current_version, policy, stream_version, created_at, updated_at`

func scanPolicy(r pgx.CollectableRow) (PolicyView, error) {
	var p PolicyView
	return p, r.Scan(&p.ID, &p.Name, &p.Version, &p.Policy, &p.ETag, &p.CreatedAt, &p.UpdatedAt)
}

// ListPolicies pages through a tenant's policies by name.
func (q *Queries) ListPolicies(ctx context.Context, tenantID string, p PageRequest) (projections.Page[PolicyView], error) {
	return fetch(ctx, q, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".policies", policyColumns).Where("NOT deleted").OrderBy(false, "name", "id")
	}, p, scanPolicy, func(x PolicyView) []any { return []any{x.Name, x.ID} }, textKey, textKey)
}

const policyVersionColumns = `version, kind, rolled_back_from, actor, policy, created_at`

func scanPolicyVersion(r pgx.CollectableRow) (PolicyVersion, error) {
	var v PolicyVersion
	return v, r.Scan(&v.Version, &v.Kind, &v.RolledBackFrom, &v.Actor, &v.Policy, &v.CreatedAt)
}

// ListPolicyVersions pages through a policy's versions, newest first; a
// policy with none is unknown (Total 0).
func (q *Queries) ListPolicyVersions(ctx context.Context, tenantID, policyID string, p PageRequest) (projections.Page[PolicyVersion], error) {
	return fetch(ctx, q, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".policy_versions", policyVersionColumns).Where("policy_id = ?", policyID).OrderBy(true, "version")
	}, p, scanPolicyVersion, func(x PolicyVersion) []any { return []any{int64(x.Version)} }, intKey)
}

const switchColumns = `id, tenant_id, scope_kind, scope_value, reason, active, activated_by, activated_at,
	deactivated_by, deactivated_at, deactivation_reason`

func scanSwitch(r pgx.CollectableRow) (KillSwitch, error) {
	var k KillSwitch
	return k, r.Scan(&k.ID, &k.TenantID, &k.Scope.Kind, &k.Scope.Value, &k.Reason, &k.Active, &k.ActivatedBy, &k.ActivatedAt,
		&k.DeactivatedBy, &k.DeactivatedAt, &k.DeactivationReason)
}

// ListKillSwitches pages through every kill switch a tenant sees (its own
// and global ones), newest first: ids are time-ordered (UUIDv7).
func (q *Queries) ListKillSwitches(ctx context.Context, tenantID string, p PageRequest) (projections.Page[KillSwitch], error) {
	return fetch(ctx, q, "*", func(s string) *projections.List {
		return projections.NewList(s+".kill_switches", switchColumns).Where("?::text = '*' OR tenant_id = ? OR scope_kind = 'global'", tenantID, tenantID).OrderBy(true, "id")
	}, p, scanSwitch, func(x KillSwitch) []any { return []any{x.ID} }, textKey)
}

const budgetColumns = `id, tenant_id, subject, period, max_tokens, max_cost_usd, action, version, created_at, updated_at`

func scanBudget(r pgx.CollectableRow) (Budget, error) {
	var b Budget
	return b, r.Scan(&b.ID, &b.TenantID, &b.Subject, &b.Period, &b.MaxTokens, &b.MaxCostUSD, &b.Action, &b.Version, &b.CreatedAt, &b.UpdatedAt)
}

// ListBudgets pages through a tenant's budgets, newest first (ids are UUIDv7).
func (q *Queries) ListBudgets(ctx context.Context, tenantID string, p PageRequest) (projections.Page[Budget], error) {
	return fetch(ctx, q, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".budgets", budgetColumns).Where("NOT deleted").OrderBy(true, "id")
	}, p, scanBudget, func(x Budget) []any { return []any{x.ID} }, textKey)
}

// ListRequests pages through a tenant's request log, newest first, narrowed
// by f (its AfterPosition and Limit are not used: p pages).
func (q *Queries) ListRequests(ctx context.Context, tenantID string, f RequestFilter, p PageRequest) (projections.Page[Request], error) {
	return fetch(ctx, q, tenantID, func(s string) *projections.List {
		l := projections.NewList(s+".requests", requestColumns)
		for _, c := range f.conditions() {
			l.Where(c.sql, c.arg)
		}
		return l.OrderBy(true, "position")
	}, p, scanRequest, func(x Request) []any { return []any{x.Position} }, intKey)
}
