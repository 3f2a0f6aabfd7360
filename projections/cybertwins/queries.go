package cybertwins

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Queries reads the CyberTwins read models.
type Queries struct {
	Runner *projections.Runner
	Index  *Index
}

// Asset is an asset of the twin.
type Asset struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type" enum:"model,agent,dataset,service,host,identity,vector_store,api_key,mcp_server,provider,application,network"`
	Criticality int      `json:"criticality"`
	Owner       string   `json:"owner"`
	Tags        []string `json:"tags"`
	EntryPoint  bool     `json:"entry_point"`
	CrownJewel  bool     `json:"crown_jewel"`
	// Ref is the key the asset was imported under, or the platform object it stands for.
	Ref       string    `json:"ref"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const assetColumns = `id, name, type, criticality, owner, tags, entry_point, crown_jewel, ref, version, created_at, updated_at`

func scanAsset(r pgx.CollectableRow) (Asset, error) {
	var a Asset
	err := r.Scan(&a.ID, &a.Name, &a.Type, &a.Criticality, &a.Owner, &a.Tags, &a.EntryPoint, &a.CrownJewel, &a.Ref, &a.Version, &a.CreatedAt, &a.UpdatedAt)
	return a, err
}

// AssetFilter narrows Assets.
type AssetFilter struct {
	Type, Owner, Tag       string
	EntryPoint, CrownJewel *bool
	MinCriticality         int
}

// Assets lists the tenant's assets by id.
func (q *Queries) Assets(ctx context.Context, tenant string, f AssetFilter, p projections.PageRequest) (projections.Page[Asset], error) {
	if !uuidCursor(p, 1) {
		return projections.Page[Asset]{}, projections.ErrBadCursor
	}
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".assets", assetColumns).Where("tenant_id = ?", tenant).
			WhereIf(f.Type != "", "type = ?", f.Type).WhereIf(f.Owner != "", "owner = ?", f.Owner).
			WhereIf(f.Tag != "", "? = ANY(tags)", f.Tag).WhereIf(f.EntryPoint != nil, "entry_point = ?", f.EntryPoint).
			WhereIf(f.CrownJewel != nil, "crown_jewel = ?", f.CrownJewel).WhereIf(f.MinCriticality > 0, "criticality >= ?", f.MinCriticality).
			OrderBy(false, projections.TextKey("id"))
	}, p, scanAsset, func(a Asset) []any { return []any{a.ID} })
}

// Asset reads one asset; ErrAssetNotFound when the tenant has none of that id.
func (q *Queries) Asset(ctx context.Context, tenant, id string) (*Asset, error) {
	if !IsUUID(id) {
		return nil, cybertwins.ErrAssetNotFound
	}
	return projections.OneOr(ctx, q.Runner, Name, tenant, cybertwins.ErrAssetNotFound, scanAsset, func(s string) string {
		return `SELECT ` + assetColumns + ` FROM ` + s + `.assets WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// Relationship is a relationship of the twin.
type Relationship struct {
	Source         string    `json:"source"`
	Target         string    `json:"target"`
	Type           string    `json:"type" enum:"connects_to,has_access,runs_on,stores,calls,trusts"`
	Exploitability float64   `json:"exploitability"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// RelationshipFilter narrows Relationships.
type RelationshipFilter struct {
	Source, Target, Type string
}

// Relationships lists the tenant's relationships by source, target and
// type. Source and Target, when set, are UUIDs (IsUUID).
func (q *Queries) Relationships(ctx context.Context, tenant string, f RelationshipFilter, p projections.PageRequest) (projections.Page[Relationship], error) {
	if !uuidCursor(p, 2) {
		return projections.Page[Relationship]{}, projections.ErrBadCursor
	}
	// The table's only index is its key (source first): the relationships
	// arriving at a target are looked up by the sources the tenant's
	// in-memory index (current with the ledger) knows for it.
	var sources []string
	if f.Target != "" && f.Source == "" {
		g, err := q.Index.Graph(ctx, tenant)
		if err != nil {
			return projections.Page[Relationship]{}, err
		}
		sources = []string{}
		seen := map[string]bool{}
		for _, l := range g.In(f.Target) {
			if !seen[l.Source] {
				seen[l.Source] = true
				sources = append(sources, l.Source)
			}
		}
	}
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".relationships", `source, target, type, exploitability, created_at, updated_at`).Where("tenant_id = ?", tenant).
			WhereIf(f.Source != "", "source = ?", f.Source).WhereIf(sources != nil, "source = ANY(?)", sources).
			WhereIf(f.Target != "", "target = ?", f.Target).WhereIf(f.Type != "", "type = ?", f.Type).
			OrderBy(false, projections.TextKey("source"), projections.TextKey("target"), projections.TextKey("type"))
	}, p, func(r pgx.CollectableRow) (Relationship, error) {
		var x Relationship
		err := r.Scan(&x.Source, &x.Target, &x.Type, &x.Exploitability, &x.CreatedAt, &x.UpdatedAt)
		return x, err
	}, func(x Relationship) []any { return []any{x.Source, x.Target, x.Type} })
}

// IsUUID reports whether s is a UUID in its 36-character form: what the
// read model's asset ids take (an id of another form names no asset).
func IsUUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// uuidCursor reports whether a cursor's first n values are UUIDs, as the
// asset ids they continue after (a cursor of another shape is refused by
// the list itself).
func uuidCursor(p projections.PageRequest, n int) bool {
	for i := 0; i < n && i < len(p.After); i++ {
		if s, ok := p.After[i].(string); ok && !IsUUID(s) {
			return false
		}
	}
	return true
}

// Computation is a recorded attack-path computation.
type Computation struct {
	ID      string   `json:"id"`
	K       int      `json:"k"`
	Sources []string `json:"sources"`
	Targets []string `json:"targets"`
	// At is the past time the graph was read at; null for the graph as it was when computed.
	At           *time.Time                `json:"at"`
	GraphVersion int64                     `json:"graph_version"`
	Assets       int                       `json:"assets"`
	Links        int                       `json:"links"`
	Paths        []cybertwins.Path         `json:"paths"`
	Critical     []cybertwins.CriticalLink `json:"critical_links"`
	TookMs       float64                   `json:"took_ms"`
	ComputedAt   time.Time                 `json:"computed_at"`
	ComputedBy   string                    `json:"computed_by"`
}

const computationColumns = `id, k, sources, targets, at, graph_version, assets, links, paths, critical, took_ms, computed_at, actor`

func scanComputation(r pgx.CollectableRow) (Computation, error) {
	var c Computation
	err := r.Scan(&c.ID, &c.K, &c.Sources, &c.Targets, &c.At, &c.GraphVersion, &c.Assets, &c.Links, &c.Paths, &c.Critical, &c.TookMs, &c.ComputedAt, &c.ComputedBy)
	return c, err
}

// Computation reads one computation.
func (q *Queries) Computation(ctx context.Context, tenant, id string) (*Computation, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, cybertwins.ErrComputationNotFound, scanComputation, func(s string) string {
		return `SELECT ` + computationColumns + ` FROM ` + s + `.computations WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// Computations lists the tenant's computations, newest first; with before,
// only those computed at or before it ("which paths existed then").
func (q *Queries) Computations(ctx context.Context, tenant string, before *time.Time, p projections.PageRequest) (projections.Page[Computation], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".computations", computationColumns).Where("tenant_id = ?", tenant).
			WhereIf(before != nil, "coalesce(at, computed_at) <= ?", before).OrderBy(true, projections.TextKey("id"))
	}, p, scanComputation, func(c Computation) []any { return []any{c.ID} })
}

// Campaign is a recorded campaign simulation.
type Campaign struct {
	ID          string                    `json:"id"`
	Name        string                    `json:"name"`
	Result      cybertwins.CampaignResult `json:"result"`
	SimulatedAt time.Time                 `json:"simulated_at"`
	SimulatedBy string                    `json:"simulated_by"`
}

const campaignColumns = `id, name, result, simulated_at, actor`

func scanCampaign(r pgx.CollectableRow) (Campaign, error) {
	var c Campaign
	err := r.Scan(&c.ID, &c.Name, &c.Result, &c.SimulatedAt, &c.SimulatedBy)
	return c, err
}

// Campaign reads one campaign simulation.
func (q *Queries) Campaign(ctx context.Context, tenant, id string) (*Campaign, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, cybertwins.ErrCampaignNotFound, scanCampaign, func(s string) string {
		return `SELECT ` + campaignColumns + ` FROM ` + s + `.campaigns WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// Campaigns lists the tenant's campaign simulations, newest first.
func (q *Queries) Campaigns(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[Campaign], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".campaigns", campaignColumns).Where("tenant_id = ?", tenant).OrderBy(true, projections.TextKey("id"))
	}, p, scanCampaign, func(c Campaign) []any { return []any{c.ID} })
}

// ComputationOf is a computation as its event records it: the answer of the
// write that made it, whether or not the read model has applied it yet (a
// bulk import may keep it busy).
func ComputationOf(e *eventstore.Event) (*Computation, error) {
	var d cybertwins.AttackPathsComputedV1
	if err := e.Decode(&d); err != nil {
		return nil, err
	}
	return &Computation{ID: d.ComputationID, K: d.K, Sources: d.Sources, Targets: d.Targets, At: d.At, GraphVersion: d.GraphVersion, Assets: d.Assets,
		Links: d.Links, Paths: d.Paths, Critical: d.Critical, TookMs: d.TookMs, ComputedAt: e.Time, ComputedBy: e.Actor}, nil
}
