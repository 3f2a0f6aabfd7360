package gateway

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/projections"
)

// ListProviders pages through a tenant's providers by name.
func (q *Queries) ListProviders(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[Provider], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".providers", providerColumns).Where("NOT removed").OrderBy(false, projections.TextKey("name"), projections.TextKey("id"))
	}, p, scanProvider, func(x Provider) []any { return []any{x.Name, x.ID} })
}

const policyColumns = `id, name, current_version, policy, stream_version, created_at, updated_at`

func scanPolicy(r pgx.CollectableRow) (PolicyView, error) {
	var p PolicyView
	return p, r.Scan(&p.ID, &p.Name, &p.Version, &p.Policy, &p.ETag, &p.CreatedAt, &p.UpdatedAt)
}

// ListPolicies pages through a tenant's policies by name.
func (q *Queries) ListPolicies(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[PolicyView], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".policies", policyColumns).Where("NOT deleted").OrderBy(false, projections.TextKey("name"), projections.TextKey("id"))
	}, p, scanPolicy, func(x PolicyView) []any { return []any{x.Name, x.ID} })
}

const policyVersionColumns = `version, kind, rolled_back_from, actor, policy, created_at`

func scanPolicyVersion(r pgx.CollectableRow) (PolicyVersion, error) {
	var v PolicyVersion
	return v, r.Scan(&v.Version, &v.Kind, &v.RolledBackFrom, &v.Actor, &v.Policy, &v.CreatedAt)
}

// ListPolicyVersions pages through a policy's versions, newest first; a
// policy with none is unknown (Total 0).
func (q *Queries) ListPolicyVersions(ctx context.Context, tenantID, policyID string, p projections.PageRequest) (projections.Page[PolicyVersion], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".policy_versions", policyVersionColumns).Where("policy_id = ?", policyID).OrderBy(true, projections.IntKey("version"))
	}, p, scanPolicyVersion, func(x PolicyVersion) []any { return []any{int64(x.Version)} })
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
func (q *Queries) ListKillSwitches(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[KillSwitch], error) {
	return projections.ReadPage(ctx, q.Runner, Name, "*", func(s string) *projections.List {
		return projections.NewList(s+".kill_switches", switchColumns).Where("?::text = '*' OR tenant_id = ? OR scope_kind = 'global'", tenantID, tenantID).OrderBy(true, projections.TextKey("id"))
	}, p, scanSwitch, func(x KillSwitch) []any { return []any{x.ID} })
}

const budgetColumns = `id, tenant_id, subject, period, max_tokens, max_cost_usd, action, version, created_at, updated_at`

func scanBudget(r pgx.CollectableRow) (Budget, error) {
	var b Budget
	return b, r.Scan(&b.ID, &b.TenantID, &b.Subject, &b.Period, &b.MaxTokens, &b.MaxCostUSD, &b.Action, &b.Version, &b.CreatedAt, &b.UpdatedAt)
}

// ListBudgets pages through a tenant's budgets, newest first (ids are UUIDv7).
func (q *Queries) ListBudgets(ctx context.Context, tenantID string, p projections.PageRequest) (projections.Page[Budget], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		return projections.NewList(s+".budgets", budgetColumns).Where("NOT deleted").OrderBy(true, projections.TextKey("id"))
	}, p, scanBudget, func(x Budget) []any { return []any{x.ID} })
}

// ListRequests pages through a tenant's request log, newest first, narrowed
// by f (its AfterPosition and Limit are not used: p pages).
func (q *Queries) ListRequests(ctx context.Context, tenantID string, f RequestFilter, p projections.PageRequest) (projections.Page[Request], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenantID, func(s string) *projections.List {
		l := projections.NewList(s+".requests", requestColumns)
		for _, c := range f.conditions() {
			l.Where(c.sql, c.arg)
		}
		return l.OrderBy(true, projections.IntKey("position"))
	}, p, scanRequest, func(x Request) []any { return []any{x.Position} })
}
