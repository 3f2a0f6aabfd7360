package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the gateway read models.
type Queries struct {
	Runner *projections.Runner
}

// Provider is a provider connection as the API shows it (never its key).
type Provider struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	Kind                 string              `json:"kind"`
	BaseURL              string              `json:"base_url"`
	Models               []string            `json:"models"`
	Settings             gw.ProviderSettings `json:"settings"`
	CredentialsSet       bool                `json:"credentials_set"`
	Version              int64               `json:"version"`
	CreatedAt            time.Time           `json:"created_at"`
	UpdatedAt            time.Time           `json:"updated_at"`
	CredentialsRotatedAt *time.Time          `json:"credentials_rotated_at,omitempty"`
	// SealedKey is the sealed API key, for the runtime only.
	SealedKey string            `json:"-"`
	Headers   map[string]string `json:"-"`
	TenantID  string            `json:"-"`
}

const providerColumns = `id, tenant_id, name, kind, base_url, models, api_key, settings, headers, version, created_at, updated_at, credentials_rotated_at`

func scanProvider(r pgx.CollectableRow) (Provider, error) {
	var p Provider
	err := r.Scan(&p.ID, &p.TenantID, &p.Name, &p.Kind, &p.BaseURL, &p.Models, &p.SealedKey, &p.Settings, &p.Headers, &p.Version,
		&p.CreatedAt, &p.UpdatedAt, &p.CredentialsRotatedAt)
	p.CredentialsSet = p.SealedKey != ""
	return p, err
}

// Providers lists a tenant's providers.
func (q *Queries) Providers(ctx context.Context, tenantID string) ([]Provider, error) {
	var out []Provider
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+providerColumns+` FROM `+s+`.providers WHERE NOT removed ORDER BY name`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanProvider)
		return err
	})
	return out, err
}

// Provider finds a tenant's provider by id or name; nil when none.
func (q *Queries) Provider(ctx context.Context, tenantID, idOrName string) (*Provider, error) {
	return projections.One(ctx, q.Runner, Name, tenantID, scanProvider, func(s string) string {
		return `SELECT ` + providerColumns + ` FROM ` + s + `.providers WHERE NOT removed AND (id = $1 OR name = $1) LIMIT 1`
	}, idOrName)
}

// PolicyView is a policy at its current version.
type PolicyView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Policy    gw.Policy `json:"policy"`
	ETag      int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PolicyVersion is one recorded version of a policy.
type PolicyVersion struct {
	Version        int       `json:"version"`
	Kind           string    `json:"kind"`
	RolledBackFrom *int      `json:"rolled_back_from,omitempty"`
	Actor          string    `json:"actor"`
	Policy         gw.Policy `json:"policy"`
	CreatedAt      time.Time `json:"created_at"`
}

// Policies lists every policy of a tenant (the runtime looks for its default).
func (q *Queries) Policies(ctx context.Context, tenantID string) ([]PolicyView, error) {
	var out []PolicyView
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+policyColumns+` FROM `+s+`.policies WHERE NOT deleted ORDER BY name, id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanPolicy)
		return err
	})
	return out, err
}

// Policy finds a tenant's policy; nil when none.
func (q *Queries) Policy(ctx context.Context, tenantID, id string) (*PolicyView, error) {
	var out *PolicyView
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+policyColumns+` FROM `+s+`.policies WHERE id = $1 AND NOT deleted`, id)
		if err != nil {
			return err
		}
		out, err = one(rows, scanPolicy)
		return err
	})
	return out, err
}

// PolicyByRef finds the live policy a request names: by id, else by name
// (the newest live policy of that name), so that clients may name a policy
// as the seed's examples do ("policy_id": "prod-policy-001"); nil when none.
func (q *Queries) PolicyByRef(ctx context.Context, tenantID, ref string) (*PolicyView, error) {
	var out *PolicyView
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+policyColumns+` FROM `+s+`.policies WHERE (id = $1 OR name = $1) AND NOT deleted
			ORDER BY id = $1 DESC, created_at DESC LIMIT 1`, ref)
		if err != nil {
			return err
		}
		out, err = one(rows, scanPolicy)
		return err
	})
	return out, err
}

// PolicyVersionOf finds one recorded version of a tenant's policy; nil when none.
func (q *Queries) PolicyVersionOf(ctx context.Context, tenantID, policyID string, version int) (*PolicyVersion, error) {
	var out *PolicyVersion
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+policyVersionColumns+` FROM `+s+`.policy_versions WHERE policy_id = $1 AND version = $2`, policyID, version)
		if err != nil {
			return err
		}
		out, err = one(rows, scanPolicyVersion)
		return err
	})
	return out, err
}

// one is the first row of rows; nil when there is none.
func one[T any](rows pgx.Rows, scan func(pgx.CollectableRow) (T, error)) (*T, error) {
	xs, err := pgx.CollectRows(rows, scan)
	if err != nil || len(xs) == 0 {
		return nil, err
	}
	return &xs[0], nil
}

// KillSwitch is one kill switch.
type KillSwitch struct {
	ID                 string     `json:"id"`
	TenantID           string     `json:"tenant_id"`
	Scope              gw.Scope   `json:"scope"`
	Reason             string     `json:"reason"`
	Active             bool       `json:"active"`
	ActivatedBy        string     `json:"activated_by"`
	ActivatedAt        time.Time  `json:"activated_at"`
	DeactivatedBy      *string    `json:"deactivated_by,omitempty"`
	DeactivatedAt      *time.Time `json:"deactivated_at,omitempty"`
	DeactivationReason *string    `json:"deactivation_reason,omitempty"`
}

// KillSwitches lists switches visible to a tenant (its own and global ones;
// "*": every tenant's), active only or all.
func (q *Queries) KillSwitches(ctx context.Context, tenantID string, activeOnly bool) ([]KillSwitch, error) {
	var out []KillSwitch
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+switchColumns+` FROM `+s+`.kill_switches
			WHERE ($1 = '*' OR tenant_id = $1 OR scope_kind = 'global') AND (NOT $2 OR active) ORDER BY activated_at DESC, id`, tenantID, activeOnly)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanSwitch)
		return err
	})
	return out, err
}

// KillSwitchByID finds a switch a tenant sees (its own or a global one); nil when none.
func (q *Queries) KillSwitchByID(ctx context.Context, tenantID, id string) (*KillSwitch, error) {
	var out *KillSwitch
	err := q.Runner.Read(ctx, Name, "*", func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+switchColumns+` FROM `+s+`.kill_switches
			WHERE id = $2 AND ($1 = '*' OR tenant_id = $1 OR scope_kind = 'global')`, tenantID, id)
		if err != nil {
			return err
		}
		out, err = one(rows, scanSwitch)
		return err
	})
	return out, err
}

// Budget is a token/cost budget.
type Budget struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	Period     string    `json:"period"`
	MaxTokens  int64     `json:"max_tokens"`
	MaxCostUSD float64   `json:"max_cost_usd"`
	Action     string    `json:"action"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	TenantID   string    `json:"-"`
}

// Budgets lists a tenant's budgets ("*": every tenant's, for the runtime).
func (q *Queries) Budgets(ctx context.Context, tenantID string) ([]Budget, error) {
	var out []Budget
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+budgetColumns+` FROM `+s+`.budgets WHERE NOT deleted ORDER BY id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanBudget)
		return err
	})
	return out, err
}

// BudgetByID finds a tenant's budget; nil when none.
func (q *Queries) BudgetByID(ctx context.Context, tenantID, id string) (*Budget, error) {
	var out *Budget
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+budgetColumns+` FROM `+s+`.budgets WHERE id = $1 AND NOT deleted`, id)
		if err != nil {
			return err
		}
		out, err = one(rows, scanBudget)
		return err
	})
	return out, err
}

// CacheConfig is a tenant's cache settings.
type CacheConfig struct {
	Enabled    bool `json:"enabled"`
	TTLSeconds int  `json:"ttl_seconds"`
	MaxEntries int  `json:"max_entries"`
}

// DefaultCacheConfig applies until a tenant configures its cache.
var DefaultCacheConfig = CacheConfig{Enabled: true, TTLSeconds: 3600, MaxEntries: 10000}

// CacheConfigOf reads a tenant's cache settings.
func (q *Queries) CacheConfigOf(ctx context.Context, tenantID string) (CacheConfig, error) {
	c := DefaultCacheConfig
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		err := tx.QueryRow(ctx, `SELECT enabled, ttl_seconds, max_entries FROM `+s+`.cache_config WHERE tenant_id = $1`, tenantID).
			Scan(&c.Enabled, &c.TTLSeconds, &c.MaxEntries)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return c, err
}

// DetectorSetting is a tenant's default for one detector.
type DetectorSetting struct {
	Detector  string  `json:"detector"`
	Enabled   bool    `json:"enabled"`
	Threshold float64 `json:"threshold"`
}

// DetectorSettings reads a tenant's detector defaults.
func (q *Queries) DetectorSettings(ctx context.Context, tenantID string) (map[string]DetectorSetting, error) {
	out := map[string]DetectorSetting{}
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT detector, enabled, threshold FROM `+s+`.detector_settings WHERE tenant_id = $1`, tenantID)
		if err != nil {
			return err
		}
		ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DetectorSetting, error) {
			var d DetectorSetting
			return d, r.Scan(&d.Detector, &d.Enabled, &d.Threshold)
		})
		for _, d := range ds {
			out[d.Detector] = d
		}
		return err
	})
	return out, err
}
